//! Reading what the evidence reports are computed from: both ledgers' journals, the decision
//! log, the proposals the scans wrote, the paper config's α, calibration files and the data
//! store's fetch times. A file that cannot be read is an error naming it, never skipped: an
//! empty scoreboard must mean there was nothing, not that something was unreadable.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::brokers::journal::{Journal, journal_path};
use crate::brokers::live::live_journal_path;
use crate::config::{ConfigError, ScanConfig};
use crate::drivers::store::DataStore;
use crate::evidence::go_no_go::gates_log_path;
use crate::evidence::scoreboard::{EvidenceData, Freshness, ProposalBatch};
use crate::ledger::LedgerEvent;
use crate::risk::gate::GateLine;
use crate::strategies::Strategy;
use crate::strategies::params::Calibration;

/// Where the evidence is.
#[derive(Debug, Clone)]
pub struct EvidencePlace {
    /// Root holding `data/` and `reports/`.
    pub out: PathBuf,
    /// Configs (`paper.toml`, `limits.toml`).
    pub configs: PathBuf,
    /// Fixture root (the data store's fallback).
    pub fixtures: PathBuf,
}

/// A file the evidence could not be read from.
#[derive(Debug, Error)]
pub enum EvidenceError {
    /// A configuration file.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The ledger could not be settled.
    #[error(transparent)]
    Ledger(#[from] crate::brokers::ledger_ops::LedgerOpsError),
    /// A file that exists but cannot be read or parsed.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

fn file_error(path: &Path, message: impl std::fmt::Display) -> EvidenceError {
    EvidenceError::File { path: path.to_path_buf(), message: message.to_string() }
}

/// Reads everything the scoreboard needs, with freshness measured at `now`.
pub fn load(place: &EvidencePlace, now: DateTime<Utc>) -> Result<EvidenceData, EvidenceError> {
    let config = ScanConfig::load(&place.configs)?;
    let series: Vec<String> = config.limits.allowed_series.to_vec();
    let freshness = series.iter().map(|s| (s.clone(), freshness(place, s, now))).collect();
    let (paper, live) = ledgers(&place.out)?;
    Ok(EvidenceData {
        paper,
        live,
        gates: gate_lines(&gates_log_path(&place.out))?,
        proposals: proposals(&place.out.join("data/proc/proposals"))?,
        fill_alpha: config.paper.fill_alpha.as_f64(),
        freshness,
        series,
    })
}

/// The paper and the live ledger's events under `out_root`.
pub fn ledgers(out_root: &Path) -> Result<(Vec<LedgerEvent>, Vec<LedgerEvent>), EvidenceError> {
    Ok((ledger_events(&journal_path(out_root))?, ledger_events(&live_journal_path(out_root))?))
}

fn ledger_events(path: &Path) -> Result<Vec<LedgerEvent>, EvidenceError> {
    let events = Journal::new(path.to_path_buf()).events().map_err(|e| file_error(path, e))?;
    Ok(events.into_iter().map(|(_, e)| e).collect())
}

fn gate_lines(path: &Path) -> Result<Vec<GateLine>, EvidenceError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(file_error(path, format!("cannot read: {e}"))),
    };
    let mut lines = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let line = serde_json::from_str(line).map_err(|e| file_error(path, format!("line {}: {e}", n + 1)))?;
        lines.push(line);
    }
    Ok(lines)
}

/// The proposals files' shape, as far as counting goes.
#[derive(serde::Deserialize)]
struct ProposalsFile {
    generated_at: DateTime<Utc>,
    series: String,
    events: Vec<ProposalsEvent>,
}

#[derive(serde::Deserialize)]
struct ProposalsEvent {
    decisions: Vec<serde::de::IgnoredAny>,
}

fn proposals(dir: &Path) -> Result<Vec<ProposalBatch>, EvidenceError> {
    let mut out = Vec::new();
    let series_dirs = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(file_error(dir, format!("cannot list: {e}"))),
    };
    for series_dir in series_dirs {
        let series_dir = series_dir.map_err(|e| file_error(dir, format!("cannot list: {e}")))?.path();
        if !series_dir.is_dir() {
            continue;
        }
        let files = std::fs::read_dir(&series_dir).map_err(|e| file_error(&series_dir, format!("cannot list: {e}")))?;
        for file in files {
            let path = file.map_err(|e| file_error(&series_dir, format!("cannot list: {e}")))?.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let parsed: ProposalsFile =
                crate::decode::read_json(&path).map_err(|e| file_error(&path, e.to_string()))?;
            let count = parsed.events.iter().map(|e| e.decisions.len()).sum();
            out.push(ProposalBatch { series: parsed.series, at: parsed.generated_at, count });
        }
    }
    Ok(out)
}

/// How old a series' calibration and data are; what cannot be dated is said.
fn freshness(place: &EvidencePlace, series: &str, now: DateTime<Utc>) -> Freshness {
    let mut fresh = Freshness::default();
    let Some(strategy) = Strategy::for_series(series) else {
        fresh.unknown.push("no strategy prices this series".to_string());
        return fresh;
    };
    let calibration =
        place.out.join("data/proc/calibration").join(format!("{}.toml", strategy.calibration_name(series)));
    if !calibration.exists() {
        fresh.unknown.push(format!("calibration: not calibrated ({} missing)", calibration.display()));
    } else {
        match crate::decode::read_toml::<Calibration>(&calibration) {
            Ok(c) => fresh.calibration_age_hours = Some(c.age_hours(now)),
            Err(e) => fresh.unknown.push(format!("calibration: {e}")),
        }
    }
    let store = DataStore::new(&place.out, &place.fixtures);
    let mut oldest: Option<f64> = None;
    for source in strategy.sources(series) {
        match store.meta(source) {
            Ok(Some(meta)) => match meta.age_secs(now) {
                Some(secs) => oldest = Some(oldest.map_or(secs / 3600.0, |o: f64| o.max(secs / 3600.0))),
                None => fresh.unknown.push(format!("{}: bundled fixture, age unknown", source.name())),
            },
            Ok(None) => {
                fresh.unknown.push(format!("{}: never fetched (sessions read the bundled fixture)", source.name()))
            }
            Err(e) => fresh.unknown.push(format!("{}: {e}", source.name())),
        }
    }
    // An unknown age hides nothing: with any source undated, the data age is unknown.
    fresh.data_age_hours = if fresh.unknown.iter().any(|u| !u.starts_with("calibration")) { None } else { oldest };
    fresh
}
