//! What the operator console shows besides the schedule, read from the files on each request
//! (read-only): the trading state and kill switch with who, why and when; each series' latest
//! GO/NO-GO with its reasons, its positions, resting orders and their notional, and its latest
//! report; P&L today and this week against the caps, per ledger; the local doctor checks (data
//! freshness per source, calibration ages); open drift alarms; the policy version. A file that
//! cannot be read is shown as such, never as "fine".

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::brokers::controls::{KillSwitch, StateStore};
use crate::doctor::{Check, DoctorRequest, local_checks};
use crate::model::Money;

/// Where the console reads.
#[derive(Debug, Clone)]
pub struct ConsolePaths {
    /// `configs/`.
    pub configs: PathBuf,
    /// `policies/`.
    pub policies: PathBuf,
    /// `scripts/`.
    pub scripts: PathBuf,
    /// Fixture root.
    pub fixtures: PathBuf,
    /// Root holding `data/` and `reports/`.
    pub out_root: PathBuf,
}

/// Who changed something, why and when.
#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    /// The state or `ENGAGED` / `off`.
    pub value: String,
    /// Who.
    pub by: String,
    /// Why.
    pub reason: String,
    /// When (RFC 3339), if known.
    pub at: Option<String>,
}

/// One series' line.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesLine {
    /// Series.
    pub series: String,
    /// Its latest decision (none: never decided).
    pub go: Option<bool>,
    /// Why not.
    pub reasons: Vec<String>,
    /// When and by which session.
    pub decided: String,
    /// Positions held (paper and live ledgers).
    pub positions: usize,
    /// Orders resting.
    pub resting: usize,
    /// Their notional.
    pub resting_notional: Money,
    /// The latest report (HTML if there is one), relative to the root.
    pub report: Option<String>,
    /// What the gate judged in the latest scan (from its proposals file), in one line.
    pub gate_inputs: String,
}

/// One ledger's P&L against the caps.
#[derive(Debug, Clone, Serialize)]
pub struct Pnl {
    /// `paper` or `live`.
    pub ledger: String,
    /// Realised today (New York day).
    pub today: Money,
    /// Realised this week.
    pub week: Money,
    /// The daily loss cap.
    pub daily_cap: Money,
    /// The weekly loss cap.
    pub weekly_cap: Money,
}

/// Everything the console adds to the status page.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorView {
    /// The trading state (or why it cannot be read).
    pub trading_state: Changed,
    /// The kill switch.
    pub kill_switch: Changed,
    /// Per series.
    pub series: Vec<SeriesLine>,
    /// Per ledger.
    pub pnl: Vec<Pnl>,
    /// Local checks: configs, policies, schedule, data ages, calibration ages.
    pub checks: Vec<Check>,
    /// Open drift alarms (`cusum_<SERIES>`), or why the CuSum state cannot be read.
    pub alarms: Vec<String>,
    /// The policy set that last decided (from `go_no_go.json`).
    pub policy_version: String,
    /// Files that could not be read.
    pub errors: Vec<String>,
}

fn changer(by: crate::safety::state::Changer) -> String {
    serde_json::to_value(by).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// The newest report of `series` under `out_root/reports/<series>/` (HTML first).
fn latest_report(out_root: &Path, series: &str) -> Option<String> {
    let dir = out_root.join("reports").join(series);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).ok()?.flatten().map(|e| e.path()).collect();
    files.sort();
    let newest = files.iter().rev().find(|p| p.extension().is_some_and(|x| x == "html" || x == "md"))?;
    let html = newest.with_extension("html");
    let chosen = if html.exists() { html } else { newest.clone() };
    Some(format!("reports/{series}/{}", chosen.file_name()?.to_string_lossy()))
}

/// The gate inputs of `series`' newest proposals file, in one line ("none" before any scan;
/// an unreadable file says so).
fn latest_gate_inputs(out_root: &Path, series: &str) -> String {
    let dir = out_root.join("data/proc/proposals").join(series);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return "none (never scanned)".to_string(),
        Err(e) => return format!("unreadable: {}: {e}", dir.display()),
    };
    let Some(newest) = entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "json")).max()
    else {
        return "none (never scanned)".to_string();
    };
    let doc: serde_json::Value = match std::fs::read(&newest).map(|b| serde_json::from_slice(&b)) {
        Ok(Ok(doc)) => doc,
        _ => return format!("unreadable: {}", newest.display()),
    };
    let g = &doc["gate_inputs"];
    let num =
        |key: &str, unit: &str| g[key].as_f64().map_or_else(|| "unknown".to_string(), |v| format!("{v:.1} {unit}"));
    let model = match g["model_data_source"].as_str() {
        Some("") | None => "views only".to_string(),
        Some(source) => format!("{} ({source})", num("model_data_age_secs", "s")),
    };
    format!(
        "book {}, model data {model}, calibration {}, heartbeat {}, clock skew {}",
        num("data_age_secs", "s"),
        num("calibration_age_hours", "h"),
        num("heartbeat_age_secs", "s"),
        g["clock_skew_ms"].as_i64().map_or_else(|| "unknown".to_string(), |v| format!("{v} ms"))
    )
}

/// Reads everything the console shows, as of `now`; `kill` is the kill switch sessions watch
/// (the data directory's file and any extra one).
pub fn operator_view(paths: &ConsolePaths, kill: &KillSwitch, now: DateTime<Utc>) -> OperatorView {
    let mut errors = Vec::new();
    let out = &paths.out_root;
    let trading_state = match StateStore::under(out).load(now) {
        Ok(r) => Changed {
            value: r.state.as_str().to_string(),
            by: changer(r.by),
            reason: r.reason,
            at: Some(r.at.to_rfc3339()),
        },
        Err(e) => Changed { value: "unknown".into(), by: String::new(), reason: e.to_string(), at: None },
    };
    let kill_switch = match kill.engaged() {
        Some(r) => Changed {
            value: "ENGAGED".into(),
            by: changer(r.by),
            reason: r.reason,
            at: DateTime::<Utc>::from_timestamp_millis(r.at_ms).map(|t| t.to_rfc3339()),
        },
        None => Changed { value: "off".into(), by: String::new(), reason: String::new(), at: None },
    };
    let request = DoctorRequest {
        configs: paths.configs.clone(),
        policies: paths.policies.clone(),
        scripts: paths.scripts.clone(),
        fixtures: paths.fixtures.clone(),
        out_root: out.clone(),
        base_url: String::new(),
        snapshot_timeout: std::time::Duration::ZERO,
        now,
    };
    let (checks, config) = local_checks(&request);
    let go_no_go: Option<crate::evidence::go_no_go::GoNoGo> =
        match std::fs::read(crate::evidence::go_no_go::go_no_go_path(out)) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| errors.push(format!("go_no_go.json: {e}"))).ok(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                errors.push(format!("go_no_go.json: {e}"));
                None
            }
        };
    // Both ledgers, when they exist.
    let mut books = Vec::new();
    for live in [false, true] {
        let place = crate::brokers::ledger_ops::LedgerPlace { out: out.clone(), configs: paths.configs.clone(), live };
        let name = if live { "live" } else { "paper" };
        let journal = if live {
            crate::brokers::live::live_journal_path(out)
        } else {
            crate::brokers::journal::journal_path(out)
        };
        match journal.try_exists() {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                errors.push(format!("{name} ledger: {}: {e}", journal.display()));
                continue;
            }
        }
        match crate::brokers::ledger_ops::open(&place) {
            Ok((_, state)) => books.push((name, state)),
            Err(e) => errors.push(format!("{name} ledger: {e}")),
        }
    }
    let mut series_names: Vec<String> = config.as_ref().map(|c| c.limits.allowed_series.clone()).unwrap_or_default();
    if let Some(g) = &go_no_go {
        series_names.extend(g.latest.keys().filter(|s| !series_names.contains(s)).cloned().collect::<Vec<_>>());
    }
    let series = series_names
        .iter()
        .map(|s| {
            let decision = go_no_go.as_ref().and_then(|g| g.latest.get(s));
            let positions = books.iter().map(|(_, b)| b.positions.values().filter(|p| &p.series == s).count()).sum();
            let resting: Vec<&crate::ledger::OpenOrder> =
                books.iter().flat_map(|(_, b)| b.open_orders.values().filter(|o| &o.order.series == s)).collect();
            SeriesLine {
                series: s.clone(),
                go: decision.map(|d| d.go),
                reasons: decision.map(|d| d.reasons.clone()).unwrap_or_default(),
                decided: decision
                    .map_or_else(|| "never".to_string(), |d| format!("{} by {}", d.at.to_rfc3339(), d.source)),
                positions,
                resting: resting.len(),
                resting_notional: resting.iter().map(|o| o.remaining.times(o.order.price)).sum(),
                report: latest_report(out, s),
                gate_inputs: latest_gate_inputs(out, s),
            }
        })
        .collect();
    let day = crate::ledger::et_date(now);
    let pnl = match &config {
        Some(c) => books
            .iter()
            .map(|(name, b)| Pnl {
                ledger: name.to_string(),
                today: b.realised_on(day),
                week: b.realised_week_of(day),
                daily_cap: c.limits.pretrade.daily_loss_cap,
                weekly_cap: c.limits.pretrade.weekly_loss_cap,
            })
            .collect(),
        None => Vec::new(),
    };
    let alarms = crate::evidence::monitors::cusum_monitors(out)
        .into_iter()
        .filter(|(_, status)| status != "ok")
        .map(|(name, status)| format!("{name}: {status}"))
        .collect();
    OperatorView {
        trading_state,
        kill_switch,
        series,
        pnl,
        checks,
        alarms,
        policy_version: go_no_go.map(|g| g.policy_version).unwrap_or_else(|| "no session yet".to_string()),
        errors,
    }
}
