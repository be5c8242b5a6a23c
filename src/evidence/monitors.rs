//! The evidence state on disk: the CuSum drift alarm (`data/proc/state/cusum.json`,
//! recomputed from the ledgers, acknowledged by operators with an audit line) and pilot
//! readiness (`reports/pilot_readiness.md`, `reports/_artifacts/pilot_ready.json`), and what
//! sessions read of them: the `cusum_<series>` gate monitors and each series' readiness.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::brokers::controls::KillSwitch;
use crate::brokers::ledger_ops::{LedgerPlace, MarketSource, SettleReport};
use crate::evidence::cusum::{self, CusumState, monitor_name};
use crate::evidence::load::{EvidenceError, EvidencePlace, load};
use crate::evidence::readiness::{Readiness, ReadinessConfig, ReadinessFacts, readiness, readiness_markdown};
use crate::evidence::scoreboard::{EvidenceData, Window, scoreboard};
use crate::ledger::LedgerEvent;

/// `data/proc/state/cusum.json` under an output root.
pub fn cusum_path(out_root: &Path) -> PathBuf {
    out_root.join("data/proc/state/cusum.json")
}

/// `reports/_artifacts/pilot_ready.json` under an output root.
pub fn readiness_path(out_root: &Path) -> PathBuf {
    out_root.join("reports/_artifacts/pilot_ready.json")
}

/// The monitor a session sees when the CuSum state cannot be read: every series NO-GO.
pub const CUSUM_UNREADABLE: &str = "cusum";

fn file_error(path: &Path, message: impl std::fmt::Display) -> EvidenceError {
    EvidenceError::File { path: path.to_path_buf(), message: message.to_string() }
}

/// Reads `configs/readiness.toml`.
pub fn readiness_config(configs: &Path) -> Result<ReadinessConfig, EvidenceError> {
    let path = configs.join("readiness.toml");
    crate::decode::read_toml(&path)
        .map_err(|e| file_error(&path, e.to_string().trim_start_matches(&format!("{}: ", path.display()))))
}

/// The saved CuSum state (`Ok(None)`: never computed).
pub fn read_cusum(out_root: &Path) -> Result<Option<CusumState>, EvidenceError> {
    let path = cusum_path(out_root);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| file_error(&path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(file_error(&path, format!("cannot read: {e}"))),
    }
}

fn write_cusum(out_root: &Path, state: &CusumState) -> Result<(), EvidenceError> {
    let path = cusum_path(out_root);
    let json = serde_json::to_vec_pretty(state).map_err(|e| file_error(&path, e))?;
    crate::storage::write_atomic(&path, &json).map_err(|e| file_error(&path, format!("cannot write: {e}")))
}

/// The gate monitors sessions add: `cusum_<series>` = `ok` or `alert`; when the state cannot
/// be read, or a settlement was booked without the sum recomputed after it, `cusum` =
/// `unknown` (NO-GO for every series).
pub fn cusum_monitors(out_root: &Path) -> BTreeMap<String, String> {
    let unknown = || [(CUSUM_UNREADABLE.to_string(), "unknown".to_string())].into();
    match read_cusum(out_root) {
        Ok(Some(state)) if state.pending_since.is_some() => {
            tracing::error!(target: "evidence", "CuSum not recomputed since a settlement (`monitors show` recomputes it)");
            unknown()
        }
        Ok(Some(state)) => state.series.iter().map(|(s, c)| (monitor_name(s), c.status().to_string())).collect(),
        Ok(None) => BTreeMap::new(),
        Err(e) => {
            tracing::error!(target: "evidence", "{e}");
            unknown()
        }
    }
}

/// Recomputes the CuSum from both ledgers under `out_root` (acknowledgements kept) with the
/// parameters in `configs/readiness.toml`, and saves it.
pub fn refresh_cusum(out_root: &Path, configs: &Path, now: DateTime<Utc>) -> Result<CusumState, EvidenceError> {
    let config = readiness_config(configs)?;
    let (paper, live) = crate::evidence::load::ledgers(out_root)?;
    update_cusum(out_root, &[&paper, &live], config.cusum, now)
}

/// The CuSum over ledgers already read, saved.
fn update_cusum(
    out_root: &Path,
    ledgers: &[&[LedgerEvent]],
    config: crate::evidence::cusum::CusumConfig,
    now: DateTime<Utc>,
) -> Result<CusumState, EvidenceError> {
    let previous = read_cusum(out_root)?.unwrap_or_default();
    let state = cusum::update(&previous, ledgers, config, now);
    write_cusum(out_root, &state)?;
    Ok(state)
}

/// `ledger settle`: marks the CuSum pending, books the results, then recomputes the CuSum
/// over the settled fills (which clears the mark). If anything after the mark fails, sessions
/// see the CuSum as unknown — NO-GO — until it is recomputed.
pub fn settle_and_refresh(
    ledger: &LedgerPlace,
    source: MarketSource<'_>,
    fallback: DateTime<Utc>,
) -> Result<(SettleReport, CusumState), EvidenceError> {
    let mut pending = read_cusum(&ledger.out)?.unwrap_or_default();
    pending.pending_since = Some(fallback);
    write_cusum(&ledger.out, &pending)?;
    let report = crate::brokers::ledger_ops::settle(ledger, source, fallback)?;
    let cusum = refresh_cusum(&ledger.out, &ledger.configs, fallback)?;
    Ok((report, cusum))
}

/// One acknowledgement, as audited.
#[derive(Serialize)]
struct AckAudit<'a> {
    ts: DateTime<Utc>,
    event: &'static str,
    monitor: String,
    reason: &'a str,
    alarm_at: Option<DateTime<Utc>>,
}

/// Acknowledges `series`' CuSum alarm: audited to `data/proc/audit/monitors.jsonl`, and the
/// sum restarts from fills settled after now. Returns the state saved.
pub fn acknowledge(
    out_root: &Path,
    configs: &Path,
    series: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<CusumState, EvidenceError> {
    let mut state = refresh_cusum(out_root, configs, now)?;
    let alarm_at = state.series.get(series).and_then(|c| c.alarm_at);
    let audit = out_root.join("data/proc/audit/monitors.jsonl");
    let line = AckAudit { ts: now, event: "cusum_acknowledged", monitor: monitor_name(series), reason, alarm_at };
    crate::storage::append_jsonl(&audit, &line).map_err(|e| file_error(&audit, format!("cannot write: {e}")))?;
    cusum::acknowledge(&mut state, series, reason, now);
    write_cusum(out_root, &state)?;
    Ok(state)
}

/// Engagements audited since `from`, and at least one while the switch is engaged (however it
/// came to be); `None` when the audit cannot be read.
fn kill_engagements(out_root: &Path, from: DateTime<Utc>) -> Option<usize> {
    let engaged_now = usize::from(KillSwitch::for_data_dir(out_root, None).is_engaged());
    let path = out_root.join("data/proc/audit/kill_switch.jsonl");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(engaged_now),
        Err(_) => return None,
    };
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let value: serde_json::Value = serde_json::from_str(line).ok()?;
        let at: DateTime<Utc> = value["ts"].as_str()?.parse().ok()?;
        n += usize::from(value["event"] == "kill_engaged" && at > from);
    }
    Some(n.max(engaged_now))
}

/// Computes readiness (refreshing the CuSum first) and writes `reports/pilot_readiness.md`
/// and `reports/_artifacts/pilot_ready.json`.
pub fn refresh_readiness(place: &EvidencePlace, now: DateTime<Utc>) -> Result<Readiness, EvidenceError> {
    let config = readiness_config(&place.configs)?;
    let data = load(place, now)?;
    readiness_from(&place.out, &data, &config, now)
}

/// [`refresh_readiness`] over evidence already read.
pub(crate) fn readiness_from(
    out_root: &Path,
    data: &EvidenceData,
    config: &ReadinessConfig,
    now: DateTime<Utc>,
) -> Result<Readiness, EvidenceError> {
    let cusum = update_cusum(out_root, &[&data.paper, &data.live], config.cusum, now)?;
    let window = Window { label: format!("{}d", config.window_days), days: config.window_days };
    let board = scoreboard(data, &window, now);
    let mut first_fill: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    let mut last_event = None;
    for event in data.paper.iter().chain(&data.live) {
        let ts = event.ts();
        last_event = last_event.max(Some(ts));
        if let LedgerEvent::Fill(f) = event {
            let first = first_fill.entry(f.series.clone()).or_insert(f.ts);
            *first = (*first).min(f.ts);
        }
    }
    let facts = ReadinessFacts {
        first_fill,
        cusum: Some(cusum),
        kill_engagements: kill_engagements(out_root, now - Duration::days(config.window_days)),
        last_ledger_event: last_event,
    };
    let result = readiness(&board, &facts, config, now);
    let json_path = readiness_path(out_root);
    let json = serde_json::to_vec_pretty(&result).map_err(|e| file_error(&json_path, e))?;
    crate::storage::write_replace(&json_path, &json)
        .map_err(|e| file_error(&json_path, format!("cannot write: {e}")))?;
    let md = out_root.join("reports/pilot_readiness.md");
    let markdown = readiness_markdown(&result);
    let page = crate::report::html::document("Pilot readiness", &markdown, &Default::default(), &[])
        .map_err(|e| file_error(&md, e.to_string()))?;
    crate::storage::write_replace(&md, markdown.as_bytes())
        .map_err(|e| file_error(&md, format!("cannot write: {e}")))?;
    let html = md.with_extension("html");
    crate::storage::write_replace(&html, page.as_bytes())
        .map_err(|e| file_error(&html, format!("cannot write: {e}")))?;
    Ok(result)
}

/// Why arming may not trade `series` for want of readiness (`None`: READY). No file, an
/// unreadable one, or one older than a day all count as NOT READY.
pub fn not_ready(out_root: &Path, series: &str, now: DateTime<Utc>) -> Option<String> {
    let path = readiness_path(out_root);
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(e) => return Some(format!("{}: {e} (run `kalshi-alpha report readiness`)", path.display())),
    };
    let r: Readiness = match serde_json::from_slice(&text) {
        Ok(r) => r,
        Err(e) => return Some(format!("{}: {e}", path.display())),
    };
    if now - r.generated_at > Duration::hours(24) {
        return Some(format!("{} is from {}, over a day old", path.display(), r.generated_at.to_rfc3339()));
    }
    match r.series.get(series) {
        Some(s) if s.ready => None,
        Some(s) => {
            let failed: Vec<String> =
                s.criteria.iter().filter(|c| !c.pass).map(|c| format!("{} = {}", c.name, c.value)).collect();
            Some(failed.join("; "))
        }
        None => Some(format!("{series} is not in {}", path.display())),
    }
}
