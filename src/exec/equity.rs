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

    fn peak(&self) -> Option<Money> {
        let bytes = std::fs::read(&self.0).ok()?;
        serde_json::from_slice::<Peak>(&bytes).ok().map(|p| p.peak_equity)
    }

    /// How far equity now is below the highest equity recorded (zero at a new high).
    pub fn drawdown(&self, ledger: &LedgerState, marks: &BTreeMap<String, Price>) -> Money {
        let equity = ledger.equity(marks);
        let peak = self.peak().map_or(equity, |p| if p > equity { p } else { equity });
        peak - equity
    }

    /// Records equity now, keeping the highest seen.
    pub fn record(&self, ledger: &LedgerState, marks: &BTreeMap<String, Price>) -> std::io::Result<()> {
        let equity = ledger.equity(marks);
        let peak = self.peak().map_or(equity, |p| if p > equity { p } else { equity });
        let json = serde_json::to_vec_pretty(&Peak { peak_equity: peak }).map_err(std::io::Error::other)?;
        crate::storage::write_atomic(&self.0, &json)
    }
}
