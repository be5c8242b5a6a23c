//! Peak equity across sessions (`data/proc/state/equity.json`), for the drawdown monitor the
//! gate reads: drawdown = peak equity − equity now, positions marked at mid.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ledger::LedgerState;
use crate::model::{Money, Price};

#[derive(Debug, Serialize, Deserialize)]
struct Peak {
    peak_equity: Money,
}

/// The equity state file of an output root.
#[derive(Debug, Clone)]
pub struct EquityFile(PathBuf);

impl EquityFile {
    /// `out_root/data/proc/state/equity.json`.
    pub fn under(out_root: &Path) -> EquityFile {
        EquityFile(out_root.join("data/proc/state/equity.json"))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The highest equity recorded: `None` when there is no file yet; a file that cannot be
    /// read or does not parse is an error naming it (never a silent reset of the peak).
    fn peak(&self) -> Result<Option<Money>, EquityError> {
        let bytes = match std::fs::read(&self.0) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(EquityError { path: self.0.clone(), message: e.to_string() }),
        };
        serde_json::from_slice::<Peak>(&bytes)
            .map(|p| Some(p.peak_equity))
            .map_err(|e| EquityError { path: self.0.clone(), message: e.to_string() })
    }

    /// How far equity now is below the highest equity recorded (zero at a new high).
    pub fn drawdown(&self, ledger: &LedgerState, marks: &BTreeMap<String, Price>) -> Result<Money, EquityError> {
        let equity = ledger.equity(marks);
        let peak = self.peak()?.map_or(equity, |p| if p > equity { p } else { equity });
        Ok(peak - equity)
    }

    /// Records equity now, keeping the highest seen. A file that does not read is left as it
    /// is (for the operator to look at) and the error says so.
    pub fn record(&self, ledger: &LedgerState, marks: &BTreeMap<String, Price>) -> Result<(), EquityError> {
        let equity = ledger.equity(marks);
        let peak = self.peak()?.map_or(equity, |p| if p > equity { p } else { equity });
        let failed = |e: std::io::Error| EquityError { path: self.0.clone(), message: e.to_string() };
        let json =
            serde_json::to_vec_pretty(&Peak { peak_equity: peak }).map_err(|e| failed(std::io::Error::other(e)))?;
        crate::storage::write_atomic(&self.0, &json).map_err(failed)
    }
}

/// The equity file cannot be read, parsed or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct EquityError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}
