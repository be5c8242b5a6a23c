//! The live order journal on disk (`data/proc/live/orders.jsonl`): one `OrderRecord` per
//! line, appended and fsync'd before the session goes on — an intent before its request is
//! sent. A crash can tear only the last line (its request was never sent, because sending
//! waits for the fsync); opening the journal cuts such a tail off and says so.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::safety::orders::{OrderRecord, OrderTable};

/// The journal's place under an output root.
pub fn order_journal_path(out_root: &Path) -> PathBuf {
    out_root.join("data/proc/live/orders.jsonl")
}

/// A journal that cannot be read or written.
#[derive(Debug, Error)]
pub enum OrderJournalError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The journal.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A complete line that does not parse or does not fit.
    #[error("{path}:{line}: {message}")]
    Line {
        /// The journal.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// The open journal and the table its records add up to.
#[derive(Debug)]
pub struct OrderJournal {
    path: PathBuf,
    table: OrderTable,
    records: usize,
    torn_bytes: usize,
}

impl OrderJournal {
    /// Opens (or starts) the journal, replaying every record; a torn last line is cut off.
    pub fn open(path: PathBuf) -> Result<OrderJournal, OrderJournalError> {
        OrderJournal::load(path, true)
    }

    /// Reads the journal without changing it (a torn last line is skipped, not cut).
    pub fn read_only(path: PathBuf) -> Result<OrderJournal, OrderJournalError> {
        OrderJournal::load(path, false)
    }

    fn load(path: PathBuf, repair: bool) -> Result<OrderJournal, OrderJournalError> {
        let io = |source| OrderJournalError::Io { path: path.clone(), source };
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(e)),
        };
        let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let torn_bytes = bytes.len() - complete;
        if torn_bytes > 0 && repair {
            tracing::warn!(target: "live", "{}: cutting a torn last line ({torn_bytes} bytes, never sent)", path.display());
            let file = std::fs::OpenOptions::new().write(true).open(&path).map_err(io)?;
            file.set_len(complete as u64).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        let mut journal = OrderJournal { path: path.clone(), table: OrderTable::default(), records: 0, torn_bytes };
        for (i, line) in bytes[..complete].lines().enumerate() {
            let line = line.map_err(io)?;
            if line.trim().is_empty() {
                continue;
            }
            let fail = |message: String| OrderJournalError::Line { path: path.clone(), line: i + 1, message };
            let record: OrderRecord = serde_json::from_str(&line).map_err(|e| fail(e.to_string()))?;
            journal.table.apply(&record).map_err(|e| fail(e.to_string()))?;
            journal.records += 1;
        }
        Ok(journal)
    }

    /// Appends one record, fsyncs it, then applies it.
    pub fn append(&mut self, record: OrderRecord) -> Result<(), OrderJournalError> {
        let mut check = self.table.clone();
        check.apply(&record).map_err(|e| OrderJournalError::Line {
            path: self.path.clone(),
            line: self.records + 1,
            message: e.to_string(),
        })?;
        let io = |source| OrderJournalError::Io { path: self.path.clone(), source };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut line = serde_json::to_vec(&record).expect("records serialise");
        line.push(b'\n');
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&self.path).map_err(io)?;
        file.write_all(&line).map_err(io)?;
        file.sync_data().map_err(io)?;
        self.table = check;
        self.records += 1;
        Ok(())
    }

    /// What the records add up to.
    pub fn table(&self) -> &OrderTable {
        &self.table
    }

    /// Its file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records read and written.
    pub fn records(&self) -> usize {
        self.records
    }

    /// Bytes of a torn last line cut off when opened.
    pub fn torn_bytes(&self) -> usize {
        self.torn_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    #[test]
    fn torn_tail_is_cut_and_the_rest_replays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.jsonl");
        let mut j = OrderJournal::open(path.clone()).unwrap();
        let at = DateTime::<Utc>::UNIX_EPOCH;
        j.append(OrderRecord::KillSwitch { at, reason: "test".into() }).unwrap();
        let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"kind\":\"intent\",\"at\":").unwrap();
        drop(f);
        let j = OrderJournal::open(path.clone()).unwrap();
        assert_eq!((j.records(), j.torn_bytes()), (1, 22));
        assert!(std::fs::read_to_string(&path).unwrap().ends_with("}\n"));
        std::fs::write(
            &path,
            "{\"kind\":\"closed\",\"at\":\"2026-01-01T00:00:00Z\",\"client_order_id\":\"x\",\"reason\":\"r\"}\n",
        )
        .unwrap();
        let err = OrderJournal::open(path).unwrap_err().to_string();
        assert!(err.ends_with("orders.jsonl:1: record for unknown client_order_id x"), "{err}");
    }
}
