//! The operator's controls on disk: the trading state (`data/proc/state/trading_state.json`,
//! every change audited to `data/proc/audit/trading_state.jsonl`) and the latched kill switch
//! (`data/proc/state/kill_switch`: present = engaged, until `kill reset` removes it). Files
//! are written atomically; a kill switch file an operator made by hand (any content) counts.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::safety::state::{Changer, StateRecord, TradingState};

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

/// Where a data directory's kill switch is, relative to the directory (`--out`).
pub const DEFAULT_KILL_SWITCH: &str = "data/proc/state/kill_switch";

/// The latched kill switch of a data directory. It fails closed: anything at its path — a
/// file of any content, an unreadable file, a directory, a dangling symlink — or a path that
/// cannot even be looked at, is *engaged*; a record that parses only adds the reason.
///
/// A session started with a custom `--kill-switch` path watches that path **and** the data
/// directory's default one, so a plain `kill engage` always reaches it.
#[derive(Debug, Clone)]
pub struct KillSwitch {
    /// The path engaging writes (the custom one when given); then the default if different.
    paths: Vec<PathBuf>,
    audit: PathBuf,
}

#[derive(Serialize)]
struct KillAudit<'a> {
    ts: DateTime<Utc>,
    event: &'static str,
    reason: &'a str,
    by: Changer,
}

/// What is at one kill-switch path: nothing (`None`) or an engagement and why.
fn probe(path: &Path) -> Option<KillRecord> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return Some(present(format!("cannot look at {}: {e} (fail closed)", path.display()), None)),
    };
    let modified = meta.modified().ok();
    if meta.file_type().is_symlink() && std::fs::metadata(path).is_err() {
        return Some(present(format!("dangling symlink at {}", path.display()), modified));
    }
    if meta.is_dir() {
        return Some(present(format!("a directory is at {}", path.display()), modified));
    }
    match std::fs::read(path) {
        Ok(bytes) => Some(
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| present("kill switch file present".to_string(), modified)),
        ),
        Err(e) => Some(present(format!("unreadable kill switch file {}: {e}", path.display()), modified)),
    }
}

/// An engagement found without a record: by an operator, at the path's modification time.
fn present(reason: String, modified: Option<std::time::SystemTime>) -> KillRecord {
    let at_ms = modified
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    KillRecord { reason, by: Changer::Operator, at_ms }
}

impl KillSwitch {
    /// The one rule for where a data directory's kill switch is: `out_root/` +
    /// [`DEFAULT_KILL_SWITCH`], plus `custom` (relative paths live under `out_root`) when
    /// given. Audits go to `out_root/data/proc/audit/kill_switch.jsonl`.
    pub fn for_data_dir(out_root: &Path, custom: Option<&Path>) -> KillSwitch {
        let default = out_root.join(DEFAULT_KILL_SWITCH);
        let mut paths = Vec::with_capacity(2);
        if let Some(custom) = custom {
            let custom = if custom.is_relative() { out_root.join(custom) } else { custom.to_path_buf() };
            if custom != default {
                paths.push(custom);
            }
        }
        paths.push(default);
        KillSwitch { paths, audit: out_root.join("data/proc/audit/kill_switch.jsonl") }
    }

    /// The file `engage` writes.
    pub fn path(&self) -> &Path {
        &self.paths[0]
    }

    /// Engaged or not: the first path with anything at it decides, with its record when it
    /// holds one, else what was found there (never "off" for something that cannot be read).
    pub fn engaged(&self) -> Option<KillRecord> {
        self.paths.iter().find_map(|p| probe(p))
    }

    /// True when engaged.
    pub fn is_engaged(&self) -> bool {
        self.engaged().is_some()
    }

    /// Engages (latches) the switch and audits it; engaging an engaged switch keeps the first record.
    pub fn engage(&self, reason: &str, by: Changer, at: DateTime<Utc>) -> Result<KillRecord, ControlError> {
        if let Some(existing) = self.engaged() {
            return Ok(existing);
        }
        let record = KillRecord { reason: reason.to_string(), by, at_ms: at.timestamp_millis() };
        let json = serde_json::to_vec(&record).map_err(|e| control_error(self.path(), e))?;
        crate::storage::write_atomic(self.path(), &json).map_err(|e| control_error(self.path(), e))?;
        self.audit_line("kill_engaged", reason, by, at)?;
        Ok(record)
    }

    /// Releases the latch (operators only) at every path; returns whether it was engaged. A
    /// directory (or anything but a file or symlink) at a path is left for the operator to
    /// remove by hand and is an error: the switch stays engaged.
    pub fn reset(&self, reason: &str, at: DateTime<Utc>) -> Result<bool, ControlError> {
        let mut was = false;
        for path in &self.paths {
            match std::fs::symlink_metadata(path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(control_error(path, e)),
                Ok(meta) if meta.is_dir() => {
                    return Err(control_error(path, "a directory is at the kill switch path; remove it by hand"));
                }
                Ok(_) => {}
            }
            match std::fs::remove_file(path) {
                Ok(()) => was = true,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(control_error(path, e)),
            }
        }
        if was {
            self.audit_line("kill_reset", reason, Changer::Operator, at)?;
        }
        Ok(was)
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

    /// The last one (`Ok(None)`: never). A mark that is there but cannot be read is an error:
    /// the caller cannot tell whether the quiet time has passed.
    pub fn last_ms(&self) -> Result<Option<i64>, ControlError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str::<CancelAllAt>(&text)
                .map(|m| Some(m.at_ms))
                .map_err(|e| control_error(&self.path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(control_error(&self.path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_switch_latches_and_state_only_tightens_unless_an_operator_says() {
        let dir = tempfile::tempdir().unwrap();
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let kill = KillSwitch::for_data_dir(dir.path(), None);
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

    #[test]
    fn an_unreadable_cancel_all_mark_is_an_error_not_never() {
        let dir = tempfile::tempdir().unwrap();
        let mark = CancelAllMark::under(dir.path());
        assert_eq!(mark.last_ms().unwrap(), None, "never");
        mark.record(1_700_000_000_000).unwrap();
        assert_eq!(mark.last_ms().unwrap(), Some(1_700_000_000_000));
        std::fs::write(dir.path().join("data/proc/state/last_cancel_all.json"), "{ torn").unwrap();
        assert!(mark.last_ms().is_err(), "cannot tell: the caller applies the quiet time");
    }
}
