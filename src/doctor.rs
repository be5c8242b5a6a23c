//! `doctor`: a read-only check of a deployment, one line per check — configs and policies
//! load, the schedule's next runs, the kill switch and trading state, the data tables' ages,
//! calibration ages, credentials (the key type named, never the key), a signed read, the clock
//! against the exchange's, and a WebSocket that snapshots the books of a followed series.
//! Nothing is sent that changes anything; nothing is written.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::brokers::controls::{KillSwitch, StateStore};
use crate::config::ScanConfig;
use crate::drivers::source::{DataConfig, Source};
use crate::drivers::store::DataStore;
use crate::kalshi::rest::{RestClient, RestConfig};
use crate::kalshi::signing::Signer;
use crate::safety::state::TradingState;
use crate::session::schedule_files::{SchedulePaths, load_schedule};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Fine.
    Ok,
    /// Works, but look at it.
    Warn,
    /// Broken: trading would be refused or wrong.
    Fail,
}

impl Level {
    /// `ok`, `warn` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Fail => "fail",
        }
    }
}

/// One check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// How it came out.
    pub level: Level,
    /// What was found.
    pub detail: String,
}

fn check(name: &str, level: Level, detail: impl Into<String>) -> Check {
    Check { name: name.to_string(), level, detail: detail.into() }
}

/// What the doctor looks at.
#[derive(Debug, Clone)]
pub struct DoctorRequest {
    /// `configs/` (limits, fees, views, paper, data, schedule, calendars).
    pub configs: PathBuf,
    /// `policies/`.
    pub policies: PathBuf,
    /// `scripts/` (the playbooks schedule entries name).
    pub scripts: PathBuf,
    /// Fixture root.
    pub fixtures: PathBuf,
    /// Data root (`data/`).
    pub out_root: PathBuf,
    /// The exchange's REST base URL.
    pub base_url: String,
    /// Longest wait for the WebSocket's snapshots.
    pub snapshot_timeout: Duration,
    /// Now.
    pub now: DateTime<Utc>,
}

/// Calibrations older than this are stale (the shipped gate's limit).
const CALIBRATION_STALE_HOURS: f64 = 336.0;

/// Loads the signer (each caller gets its own: a signer is not shared).
pub type LoadSigner<'a> = &'a dyn Fn() -> Result<Option<Signer>, String>;

/// Runs every check, local ones first.
pub fn doctor(req: &DoctorRequest, signer: LoadSigner<'_>) -> Vec<Check> {
    let (mut out, config) = local_checks(req);
    out.extend(exchange_checks(req, config.as_ref(), signer));
    out
}

/// The checks that read only local files (configs, policies, schedule, kill switch, trading
/// state, data ages, calibration ages), and the configs when they load.
pub fn local_checks(req: &DoctorRequest) -> (Vec<Check>, Option<ScanConfig>) {
    let mut out = Vec::new();
    let config = match ScanConfig::load(&req.configs) {
        Ok(c) => {
            out.push(check("configs", Level::Ok, format!("{} load", req.configs.display())));
            Some(c)
        }
        Err(e) => {
            out.push(check("configs", Level::Fail, e.to_string()));
            None
        }
    };
    if let Some(config) = &config {
        out.push(match crate::session::load_policies(&req.policies, config) {
            Ok(set) => check("policies", Level::Ok, format!("sha256 {}", set.digest())),
            Err(e) => check("policies", Level::Fail, e.to_string()),
        });
    }
    out.push(schedule_check(req));
    out.extend(safety_checks(&req.out_root, req.now));
    if let Some(config) = &config {
        out.extend(data_checks(req, config));
    }
    out.push(calibration_check(&req.out_root, req.now));
    (out, config)
}

fn schedule_check(req: &DoctorRequest) -> Check {
    let paths = SchedulePaths {
        schedule: req.configs.join("schedule.toml"),
        calendars: req.configs.join("calendars"),
        scripts: req.scripts.clone(),
    };
    match load_schedule(&paths) {
        Ok(schedule) => {
            let next: Vec<String> =
                schedule.next_runs(req.now, 3).iter().map(|r| format!("{} at {}", r.entry, r.et)).collect();
            if next.is_empty() {
                check("schedule", Level::Warn, "no run ahead (calendars ended?)")
            } else {
                check("schedule", Level::Ok, format!("next: {}", next.join("; ")))
            }
        }
        Err(e) => check("schedule", Level::Fail, e.to_string()),
    }
}

fn safety_checks(out_root: &Path, now: DateTime<Utc>) -> Vec<Check> {
    let kill = KillSwitch::for_data_dir(out_root, None);
    let kill = match kill.engaged() {
        Some(record) => {
            check("kill switch", Level::Fail, format!("ENGAGED at {}: {}", kill.path().display(), record.reason))
        }
        None => check("kill switch", Level::Ok, "off"),
    };
    let state = match StateStore::under(out_root).load(now) {
        Ok(record) => {
            let level = if record.state == TradingState::Active { Level::Ok } else { Level::Fail };
            check("trading state", level, format!("{}: {}", record.state.as_str(), record.reason))
        }
        Err(e) => check("trading state", Level::Fail, e.to_string()),
    };
    vec![kill, state]
}

/// The sources the allowed series' strategies price from, each table's age.
fn data_checks(req: &DoctorRequest, config: &ScanConfig) -> Vec<Check> {
    let data_config: DataConfig = match crate::decode::read_toml(&req.configs.join("data.toml")) {
        Ok(c) => c,
        Err(e) => return vec![check("data", Level::Fail, e.to_string())],
    };
    let mut sources: Vec<Source> = config
        .limits
        .allowed_series
        .iter()
        .filter_map(|s| crate::strategies::Strategy::for_series(s).map(|st| st.sources(s)))
        .flatten()
        .collect();
    sources.sort_by_key(|s| s.name());
    sources.dedup();
    let store = DataStore::new(&req.out_root, &req.fixtures);
    sources
        .into_iter()
        .map(|source| {
            let name = format!("data {}", source.name());
            let max_hours = data_config.max_age_hours.get(source.name()).copied();
            match store.meta(source) {
                Err(e) => check(&name, Level::Fail, e.to_string()),
                Ok(None) => check(&name, Level::Warn, format!("no table: `data fetch {}`", source.name())),
                Ok(Some(meta)) => match (meta.age_secs(req.now), max_hours) {
                    (None, _) => check(&name, Level::Warn, "age unknown (a bundled fixture): online sessions skip it"),
                    (Some(age), Some(max)) if age > max * 3600.0 => check(
                        &name,
                        Level::Warn,
                        format!("{:.1} h old, past max_age_hours {max}: strategies skip it", age / 3600.0),
                    ),
                    (Some(age), _) => {
                        check(&name, Level::Ok, format!("{:.1} h old ({})", age / 3600.0, meta.origin.as_str()))
                    }
                },
            }
        })
        .collect()
}

fn calibration_check(out_root: &Path, now: DateTime<Utc>) -> Check {
    let dir = out_root.join("data/proc/calibration");
    let files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => {
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect()
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return check("calibration", Level::Fail, format!("{}: {e}", dir.display())),
    };
    if files.is_empty() {
        return check("calibration", Level::Warn, "none: strategies use configs/strategies.toml (`calibrate SERIES`)");
    }
    let mut level = Level::Ok;
    let mut parts = Vec::new();
    for path in files {
        match crate::decode::read_toml::<crate::strategies::params::Calibration>(&path) {
            Ok(c) => {
                let age = c.age_hours(now);
                if age > CALIBRATION_STALE_HOURS {
                    level = level.max(Level::Warn);
                }
                let name = path.file_stem().map_or_else(|| c.strategy.clone(), |s| s.to_string_lossy().to_string());
                parts.push(format!("{name} {age:.0} h"));
            }
            Err(e) => {
                level = Level::Fail;
                parts.push(e.to_string());
            }
        }
    }
    check("calibration", level, parts.join(", "))
}

/// Credentials, a signed read, the clock and the WebSocket.
fn exchange_checks(req: &DoctorRequest, config: Option<&ScanConfig>, load: LoadSigner<'_>) -> Vec<Check> {
    let mut out = Vec::new();
    let signer = match load() {
        Ok(Some(s)) => {
            out.push(check("credentials", Level::Ok, format!("key id {} ({})", s.key_id_hint(), s.key_type().name())));
            Some(s)
        }
        Ok(None) => {
            out.push(check(
                "credentials",
                Level::Warn,
                "none found: public reads only (KALSHI_API_KEY_ID, KALSHI_PRIVATE_KEY_PEM_PATH)",
            ));
            None
        }
        Err(e) => {
            out.push(check("credentials", Level::Fail, e));
            None
        }
    };
    let runtime = match crate::kalshi::runtime::current_thread() {
        Ok(r) => r,
        Err(e) => {
            out.push(check("exchange", Level::Fail, format!("cannot start the network runtime: {e}")));
            return out;
        }
    };
    let signed = signer.is_some();
    let rest = match RestClient::new(RestConfig { base_url: req.base_url.clone(), ..RestConfig::default() }, signer) {
        Ok(r) => r,
        Err(e) => {
            out.push(check("exchange", Level::Fail, e.to_string()));
            return out;
        }
    };
    let series = config.and_then(|c| c.limits.allowed_series.first().cloned()).unwrap_or_else(|| "KXHIGHNY".into());
    let read = runtime.block_on(async {
        if signed {
            rest.balance().await.map(|b| format!("signed read: balance {}", b.cash()))
        } else {
            rest.series(&series).await.map(|_| format!("public read: series {series}"))
        }
    });
    let read_ok = read.is_ok();
    out.push(match read {
        Ok(what) => check("exchange read", Level::Ok, format!("{what} from {}", req.base_url)),
        Err(e) => check("exchange read", Level::Fail, format!("{}: {e}", req.base_url)),
    });
    if read_ok {
        let skew = rest.clock_skew_ms();
        let level = match skew.unsigned_abs() {
            0..=1_000 => Level::Ok,
            1_001..=4_999 => Level::Warn,
            _ => Level::Fail,
        };
        out.push(check(
            "clock",
            level,
            format!("{skew:+} ms against the exchange's Date header (signing refused past ±5000)"),
        ));
    } else {
        out.push(check("clock", Level::Fail, "unknown: no response from the exchange"));
    }
    out.push(websocket_check(req, config, load));
    out
}

fn websocket_check(req: &DoctorRequest, config: Option<&ScanConfig>, load: LoadSigner<'_>) -> Check {
    let Some(series) = config.and_then(|c| c.limits.allowed_series.first().cloned()) else {
        return check("websocket", Level::Fail, "no allowed series to follow (limits.toml)");
    };
    let online = crate::feed::market::OnlineConfig {
        rest: RestConfig { base_url: req.base_url.clone(), ..RestConfig::default() },
        series: vec![series.clone()],
        wanted_events: Default::default(),
        snapshot_timeout: req.snapshot_timeout,
        record: None,
        user_channels: false,
    };
    let started = Instant::now();
    let signer = || load().ok().flatten();
    match crate::feed::market::MarketFeed::start(online, signer(), signer()) {
        Ok(feed) => {
            let books = feed.markets().len();
            feed.stop();
            check(
                "websocket",
                Level::Ok,
                format!("{series}: {books} book(s) snapshotted in {} ms", started.elapsed().as_millis()),
            )
        }
        Err(e) => check("websocket", Level::Fail, format!("{series}: {e}")),
    }
}

/// The worst level (`Ok` for no checks).
pub fn worst(checks: &[Check]) -> Level {
    checks.iter().map(|c| c.level).max().unwrap_or(Level::Ok)
}
