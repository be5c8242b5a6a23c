//! The ledger journal: every order event, fill and settlement appended as one JSON line and
//! fsync'd before the session goes on (`data/proc/ledger/journal.jsonl`). Replaying it from
//! the starting cash rebuilds the ledger exactly; the parquet tables are derived from it.

use std::path::{Path, PathBuf};

use crate::brokers::BrokerError;
use crate::ledger::{LedgerEvent, LedgerState};
use crate::model::Money;

/// The journal's place under an output root.
pub fn journal_path(out_root: &Path) -> PathBuf {
    out_root.join("data/proc/ledger/journal.jsonl")
}

/// An append-only journal file.
#[derive(Debug, Clone)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    /// The journal at `path` (created on the first append).
    pub fn new(path: PathBuf) -> Journal {
        Journal { path }
    }

    /// Its file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event and fsyncs it.
    pub fn append(&self, event: &LedgerEvent) -> Result<(), BrokerError> {
        crate::storage::append_jsonl(&self.path, event)
            .map_err(|source| BrokerError::Audit { path: self.path.clone(), source })
    }

    /// Every event in order with its line number (none when the file does not exist yet). A bad line is an error
    /// naming the file and line; nothing is skipped.
    pub fn events(&self) -> Result<Vec<(usize, LedgerEvent)>, BrokerError> {
        let file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.error(0, format!("cannot read: {e}"))),
        };
        let mut events = Vec::new();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::BufReader::new(file), &mut text)
            .map_err(|e| self.error(0, format!("cannot read: {e}")))?;
        // A last line without its newline is a write a crash interrupted: never applied
        // (nothing acts on an event before its fsync returns); the next append cuts it.
        let complete = text.rfind('\n').map_or("", |i| &text[..=i]);
        for (i, line) in complete.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            events.push((i + 1, serde_json::from_str(line).map_err(|e| self.error(i + 1, e.to_string()))?));
        }
        Ok(events)
    }

    /// The ledger rebuilt from `starting_cash` and every event.
    pub fn replay(&self, starting_cash: Money) -> Result<LedgerState, BrokerError> {
        let mut state = LedgerState::with_cash(starting_cash);
        for (line, event) in self.events()? {
            state.apply(&event).map_err(|e| self.error(line, e.to_string()))?;
        }
        Ok(state)
    }

    fn error(&self, line: usize, message: String) -> BrokerError {
        BrokerError::Journal { path: self.path.clone(), line, message }
    }
}
/// A market booked as settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledMarket {
    /// Market.
    pub ticker: String,
    /// The side that paid.
    pub result: crate::model::Side,
    /// When it was booked.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The venue gave no settlement time: booked at the fallback instant.
    pub at_fallback: bool,
}

/// Books every open market of `state` that `results` (side, and the venue's settlement time)
/// settles: each event checked, journalled, then applied, on the day the venue says the market
/// settled (`fallback` only when it says nothing).
pub fn settle_markets(
    journal: &Journal,
    state: &mut LedgerState,
    results: &std::collections::BTreeMap<String, (crate::model::Side, Option<chrono::DateTime<chrono::Utc>>)>,
    fallback: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<SettledMarket>, BrokerError> {
    let mut settled = Vec::new();
    for ticker in state.unsettled_markets() {
        let Some((result, at)) = results.get(&ticker) else { continue };
        let event = LedgerEvent::Settled { ts: at.unwrap_or(fallback), ticker: ticker.clone(), result: *result };
        state.check(&event)?;
        journal.append(&event)?;
        state.apply(&event)?;
        settled.push(SettledMarket { ticker, result: *result, at: at.unwrap_or(fallback), at_fallback: at.is_none() });
    }
    Ok(settled)
}
