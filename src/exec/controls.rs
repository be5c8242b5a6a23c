//! The operator's controls on disk: the trading state (`data/proc/state/trading_state.json`,
//! every change audited to `data/proc/audit/trading_state.jsonl`) and the latched kill switch
//! (`data/proc/state/kill_switch`: present = engaged, until `kill reset` removes it). Files
//! are written atomically; a kill switch file an operator made by hand (any content) counts.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::live::state::{Changer, StateRecord, TradingState};

/// A control file that cannot be read or written.
#[derive(Debug, Error)]
#[error("{path}: {message}")]
pub struct ControlError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

fn control_error(path: &Path, e: impl std::fmt::Display) -> ControlError {
    ControlError { path: path.to_path_buf(), message: e.to_string() }
}

/// The trading state's files under an output root.
#[derive(Debug, Clone)]
pub struct StateStore {
    path: PathBuf,
    audit: PathBuf,
}

#[derive(Serialize)]
struct StateAudit<'a> {
    ts: DateTime<Utc>,
    event: &'static str,
    from: TradingState,
    #[serde(flatten)]
    record: &'a StateRecord,
}

impl StateStore {
    /// The store under `out_root`.
    pub fn under(out_root: &Path) -> StateStore {
        StateStore {
            path: out_root.join("data/proc/state/trading_state.json"),
            audit: out_root.join("data/proc/audit/trading_state.jsonl"),
        }
    }

    /// The state now (ACTIVE when never set). A file that does not parse is an error: the
    /// caller fails closed.
    pub fn load(&self, now: DateTime<Utc>) -> Result<StateRecord, ControlError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| control_error(&self.path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StateRecord::initial(now)),
            Err(e) => Err(control_error(&self.path, e)),
        }
    }

    /// Asks for `wanted`: operators set it, everyone else only tightens. Writes and audits a
    /// change; returns the state after.
    pub fn request(
        &self,
        wanted: TradingState,
        by: Changer,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<StateRecord, ControlError> {
        let current = self.load(at)?;
        let Some(next) = current.change(wanted, by, reason, at) else { return Ok(current) };
        let json = serde_json::to_vec_pretty(&next).expect("state serialises");
        crate::storage::write_atomic(&self.path, &json).map_err(|e| control_error(&self.path, e))?;
        let line = StateAudit { ts: at, event: "trading_state", from: current.state, record: &next };
        crate::storage::append_jsonl(&self.audit, &line).map_err(|e| control_error(&self.audit, e))?;
        Ok(next)
    }
}

/// Why and when the kill switch was engaged (what `kill engage` writes into the file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillRecord {
    /// Why.
    pub reason: String,
    /// Who or what engaged it.
    pub by: Changer,
    /// When (unix ms): the start of the engage → cancel-all measurement.
    pub at_ms: i64,
}

/// The latched kill switch file.
#[derive(Debug, Clone)]
pub struct KillSwitch {
    path: PathBuf,
    audit: PathBuf,
}

#[derive(Serialize)]
struct KillAudit<'a> {
    ts: DateTime<Utc>,
    event: &'static str,
    reason: &'a str,
    by: Changer,
}

impl KillSwitch {
    /// The switch at `path`, auditing to `data/proc/audit/kill_switch.jsonl` under `out_root`.
    pub fn new(path: PathBuf, out_root: &Path) -> KillSwitch {
        KillSwitch { path, audit: out_root.join("data/proc/audit/kill_switch.jsonl") }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Engaged or not; when the file holds no record (made by hand), its modification time.
    pub fn engaged(&self) -> Option<KillRecord> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        Some(serde_json::from_str(&text).unwrap_or_else(|_| {
            let at_ms = std::fs::metadata(&self.path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
            KillRecord { reason: "kill switch file present".into(), by: Changer::Operator, at_ms }
        }))
    }

    /// Engages (latches) the switch and audits it; engaging an engaged switch keeps the first record.
    pub fn engage(&self, reason: &str, by: Changer, at: DateTime<Utc>) -> Result<KillRecord, ControlError> {
        if let Some(existing) = self.engaged() {
            return Ok(existing);
        }
        let record = KillRecord { reason: reason.to_string(), by, at_ms: at.timestamp_millis() };
        let json = serde_json::to_vec(&record).expect("record serialises");
        crate::storage::write_atomic(&self.path, &json).map_err(|e| control_error(&self.path, e))?;
        self.audit_line("kill_engaged", reason, by, at)?;
        Ok(record)
    }

    /// Releases the latch (operators only); returns whether it was engaged.
    pub fn reset(&self, reason: &str, at: DateTime<Utc>) -> Result<bool, ControlError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => {
                self.audit_line("kill_reset", reason, Changer::Operator, at)?;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(control_error(&self.path, e)),
        }
    }

    /// Appends an audit line.
    pub fn audit_line(
        &self,
        event: &'static str,
        reason: &str,
        by: Changer,
        at: DateTime<Utc>,
    ) -> Result<(), ControlError> {
        let line = KillAudit { ts: at, event, reason, by };
        crate::storage::append_jsonl(&self.audit, &line).map_err(|e| control_error(&self.audit, e))
    }
}

/// When the last cancel-all was sent (`data/proc/state/last_cancel_all.json`): the venue may
/// cancel orders placed in the minute after one, so new orders wait out the quiet time.
#[derive(Debug, Clone)]
pub struct CancelAllMark {
    path: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct CancelAllAt {
    at_ms: i64,
}

impl CancelAllMark {
    /// The mark under `out_root`.
    pub fn under(out_root: &Path) -> CancelAllMark {
        CancelAllMark { path: out_root.join("data/proc/state/last_cancel_all.json") }
    }

    /// Records a cancel-all sent at `at_ms`.
    pub fn record(&self, at_ms: i64) -> Result<(), ControlError> {
        let json = serde_json::to_vec(&CancelAllAt { at_ms }).expect("mark serialises");
        crate::storage::write_atomic(&self.path, &json).map_err(|e| control_error(&self.path, e))
    }

    /// The last one (none if never, or unreadable: then the state file still gates orders).
    pub fn last_ms(&self) -> Option<i64> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        serde_json::from_str::<CancelAllAt>(&text).ok().map(|m| m.at_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_switch_latches_and_state_only_tightens_unless_an_operator_says() {
        let dir = tempfile::tempdir().unwrap();
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let kill = KillSwitch::new(dir.path().join("data/proc/state/kill_switch"), dir.path());
        assert!(kill.engaged().is_none());
        let first = kill.engage("loss cap", Changer::LossCap, at).unwrap();
        assert_eq!(kill.engage("again", Changer::Operator, at).unwrap(), first);
        assert!(kill.reset("checked", at).unwrap());
        assert!(!kill.reset("twice", at).unwrap());
        std::fs::write(kill.path(), "").unwrap();
        assert_eq!(kill.engaged().unwrap().reason, "kill switch file present");

        let store = StateStore::under(dir.path());
        assert_eq!(store.load(at).unwrap().state, TradingState::Active);
        store.request(TradingState::Halted, Changer::KillSwitch, "kill", at).unwrap();
        assert_eq!(store.request(TradingState::Active, Changer::Script, "go", at).unwrap().state, TradingState::Halted);
        assert_eq!(
            store.request(TradingState::Reducing, Changer::Operator, "ok", at).unwrap().state,
            TradingState::Reducing
        );
        let audit = std::fs::read_to_string(dir.path().join("data/proc/audit/trading_state.jsonl")).unwrap();
        assert_eq!(audit.lines().count(), 2);
    }
}
