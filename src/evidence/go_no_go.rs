//! `reports/_artifacts/go_no_go.json`: the last session's GO/NO-GO, written by every session
//! that decides (scan, playbook run, and so the daemon's runs), atomically; and the history of
//! every session's decisions, one line each, in `data/proc/gates.jsonl` (the scoreboard counts
//! GO/NO-GO and reasons from it).
//!
//! `go` is true only when the session decided at least one series and every one was GO: an
//! operator (or a pre-arming script) reading `go` never sees GO for a session that decided
//! nothing. `series` holds this session's decisions; `latest` keeps each series' most recent
//! decision across sessions, with when and by which session it was made.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::risk::gate::{Gate, GateLine};

/// Where the file lives under an output root.
pub fn go_no_go_path(out_root: &Path) -> PathBuf {
    out_root.join("reports/_artifacts/go_no_go.json")
}

/// Where the history of decisions lives under an output root.
pub fn gates_log_path(out_root: &Path) -> PathBuf {
    out_root.join("data/proc/gates.jsonl")
}

/// One series' decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesDecision {
    /// GO?
    pub go: bool,
    /// Why not (`CODE: detail`).
    pub reasons: Vec<String>,
    /// When it was decided.
    pub at: DateTime<Utc>,
    /// Which session decided it (`scan`, `playbook NAME`).
    pub source: String,
}

/// The file's contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoNoGo {
    /// Every series this session decided was GO (and there was at least one).
    pub go: bool,
    /// When the session decided.
    pub at: DateTime<Utc>,
    /// Which session (`scan`, `playbook NAME`).
    pub source: String,
    /// The policy set that decided (version and SHA-256, or the SHA-256 alone).
    pub policy_version: String,
    /// This session's decisions.
    pub series: BTreeMap<String, SeriesDecision>,
    /// Each series' latest decision from any session.
    pub latest: BTreeMap<String, SeriesDecision>,
}

impl GoNoGo {
    /// The file for a session that decided `gates`, on top of the `previous` file (if any).
    pub fn new(
        gates: &BTreeMap<String, Gate>,
        at: DateTime<Utc>,
        source: &str,
        policy_version: &str,
        previous: Option<GoNoGo>,
    ) -> GoNoGo {
        let series: BTreeMap<String, SeriesDecision> = gates
            .iter()
            .map(|(s, g)| {
                let decision = SeriesDecision { go: g.go, reasons: g.reasons.clone(), at, source: source.to_string() };
                (s.clone(), decision)
            })
            .collect();
        let mut latest = previous.map(|p| p.latest).unwrap_or_default();
        latest.extend(series.iter().map(|(s, d)| (s.clone(), d.clone())));
        GoNoGo {
            go: !series.is_empty() && series.values().all(|d| d.go),
            at,
            source: source.to_string(),
            policy_version: policy_version.to_string(),
            series,
            latest,
        }
    }
}

/// Appends this session's decisions to the history, then writes the file (atomically; a
/// previous file that cannot be read only loses the older `latest` entries). A session that
/// decided nothing adds no history line and leaves the file saying NO-GO.
pub fn write_go_no_go(
    out_root: &Path,
    gates: &BTreeMap<String, Gate>,
    at: DateTime<Utc>,
    source: &str,
    policy_version: &str,
) -> std::io::Result<PathBuf> {
    let path = go_no_go_path(out_root);
    if !gates.is_empty() {
        let line = GateLine {
            at,
            source: source.to_string(),
            policy_version: policy_version.to_string(),
            series: gates.clone(),
        };
        // The decision log records; it never decides: a power cut may cost its last line.
        crate::storage::append_jsonl_unsynced(&gates_log_path(out_root), &line)?;
    }
    let previous = std::fs::read(&path).ok().and_then(|b| serde_json::from_slice::<GoNoGo>(&b).ok());
    let file = GoNoGo::new(gates, at, source, policy_version, previous);
    let json = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
    crate::storage::write_replace(&path, &json)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(go: bool) -> Gate {
        Gate { go, reasons: if go { vec![] } else { vec!["KILL_SWITCH: engaged".into()] } }
    }

    fn at(h: u32) -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 2, h, 0, 0).unwrap()
    }

    #[test]
    fn go_only_when_every_decided_series_is_go() {
        let all_go: BTreeMap<_, _> = [("A".to_string(), gate(true)), ("B".to_string(), gate(true))].into();
        assert!(GoNoGo::new(&all_go, at(1), "scan", "v1", None).go);
        let one_no: BTreeMap<_, _> = [("A".to_string(), gate(true)), ("B".to_string(), gate(false))].into();
        let file = GoNoGo::new(&one_no, at(1), "scan", "v1", None);
        assert!(!file.go);
        assert_eq!(file.series["B"].reasons, vec!["KILL_SWITCH: engaged".to_string()]);
        assert!(!GoNoGo::new(&BTreeMap::new(), at(1), "scan", "v1", None).go, "nothing decided is not GO");
    }

    #[test]
    fn latest_keeps_older_series_and_replaces_rescanned_ones() {
        let first: BTreeMap<_, _> = [("A".to_string(), gate(false)), ("B".to_string(), gate(true))].into();
        let first = GoNoGo::new(&first, at(1), "playbook x", "v1", None);
        let second: BTreeMap<_, _> = [("A".to_string(), gate(true))].into();
        let second = GoNoGo::new(&second, at(2), "scan", "v2", Some(first));
        assert!(second.go);
        assert_eq!(second.series.len(), 1);
        assert_eq!(second.latest["A"].at, at(2));
        assert!(second.latest["A"].go);
        assert_eq!(second.latest["B"].source, "playbook x");
    }
}
