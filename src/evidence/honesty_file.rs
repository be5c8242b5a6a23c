//! `reports/_artifacts/ev_honesty.json`: computed from both ledgers with the scoreboard,
//! read by sessions (their decider scales sizes by it) and policy scripts.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::evidence::honesty::{EvHonesty, ev_honesty};
use crate::evidence::load::EvidenceError;
use crate::evidence::scoreboard::EvidenceData;

/// The file under an output root.
pub fn honesty_path(out_root: &Path) -> PathBuf {
    out_root.join("reports/_artifacts/ev_honesty.json")
}

/// The saved table (`Ok(None)`: never computed). A file that exists but cannot be read is an
/// error: a session does not trade at sizes it was told to shrink without knowing by how much.
pub fn read_honesty(out_root: &Path) -> Result<Option<EvHonesty>, EvidenceError> {
    let path = honesty_path(out_root);
    let error = |message: String| EvidenceError::File { path: path.clone(), message };
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| error(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(error(format!("cannot read: {e}"))),
    }
}

/// Computes the table from `data`'s ledgers with `config` and writes it atomically.
pub fn write_honesty(
    out_root: &Path,
    data: &EvidenceData,
    config: crate::evidence::honesty::HonestyConfig,
    now: DateTime<Utc>,
) -> Result<EvHonesty, EvidenceError> {
    let table = ev_honesty(&[&data.paper, &data.live], config, now);
    let path = honesty_path(out_root);
    let json = serde_json::to_vec_pretty(&table)
        .map_err(|e| EvidenceError::File { path: path.clone(), message: e.to_string() })?;
    crate::storage::write_replace(&path, &json)
        .map_err(|e| EvidenceError::File { path: path.clone(), message: format!("cannot write: {e}") })?;
    Ok(table)
}
