//! `policy whatif`: what recorded sessions would have done under an edited policy set. Each
//! recording (from `record`, or a session's `--record`) is replayed through the scan, the set
//! in use (`--against`) and the edited one, and the paper fill model (`replay`, pure; the
//! accounts in `account`, pure); the result per series is the decisions that differ and the
//! difference in orders, fills, fees, realised and marked P&L and peak exposure (`report`,
//! pure). Reads configs, policies, recordings and settlements; writes only the report.

/// One policy set's virtual paper account.
pub mod account;
/// One recording through both sets.
pub mod replay;
/// The result and its Markdown.
pub mod report;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::drivers::source::Source;
use crate::drivers::store::DataStore;
use crate::kalshi::market_data::{Event, Series};
use crate::kalshi::replay::read_header;
use crate::paper::SimTerms;
use crate::session::inputs::{Inputs, load_policies};
use crate::session::policy_eval::diff;
use crate::session::whatif::replay::{PolicyPair, run_session};
use crate::session::whatif::report::{SeriesWhatIf, SessionDiff, SessionSummary, WhatIfReport, render};
use crate::session::{ScanParamsInput, SessionError};

/// Which recordings to replay.
#[derive(Debug, Clone)]
pub enum Selection {
    /// These files.
    Files(Vec<PathBuf>),
    /// Every `.jsonl` recording in `dir` that starts within the last `days` days.
    Days {
        /// The recordings' directory.
        dir: PathBuf,
        /// How far back.
        days: u32,
    },
}

/// What a what-if reads.
#[derive(Debug, Clone)]
pub struct WhatIfRequest {
    /// The recordings.
    pub selection: Selection,
    /// The edited policy set.
    pub policies: PathBuf,
    /// The set in use.
    pub against: PathBuf,
    /// Configs (limits, fees, views, paper).
    pub configs: PathBuf,
    /// Fixture root: ladders of recordings without a header, bundled data.
    pub fixtures: PathBuf,
    /// Data root (strategy inputs, settlements) and where `reports/whatif/` goes.
    pub out_root: PathBuf,
    /// Scanner knobs.
    pub scan: ScanParamsInput,
    /// Now (for `--days`, the strategies' data ages and the report's name).
    pub now: DateTime<Utc>,
}

/// Why a what-if could not run.
#[derive(Debug, thiserror::Error)]
pub enum WhatIfError {
    /// Configs, policies or strategy data.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// A recording or directory could not be read.
    #[error("{path}: {message}")]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// Nothing to replay.
    #[error("no recorded session to replay: {0}")]
    NoSessions(String),
    /// The report could not be written.
    #[error("{path}: cannot write the report: {source}")]
    Write {
        /// The report.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn read_error(path: &Path, message: impl std::fmt::Display) -> WhatIfError {
    WhatIfError::Read { path: path.to_path_buf(), message: message.to_string() }
}

/// The first instant a recording names (its header's or first line's `recv_ms`/`sent_ms`).
fn started_ms(text: &str) -> Option<i64> {
    let first = text.lines().find(|l| !l.trim().is_empty())?;
    let value: serde_json::Value = serde_json::from_str(first).ok()?;
    value.get("recv_ms").or_else(|| value.get("sent_ms"))?.as_i64()
}

/// The first non-blank line of a recording (a header line may be long: it is read whole).
fn first_line(path: &Path) -> Result<String, WhatIfError> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).map_err(|e| read_error(path, e))?;
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|e| read_error(path, e))?;
        if !line.trim().is_empty() {
            return Ok(line);
        }
    }
    Ok(String::new())
}

/// The recordings selected, each with its text.
fn recordings(selection: &Selection, now: DateTime<Utc>) -> Result<Vec<(PathBuf, String)>, WhatIfError> {
    let read = |path: &Path| std::fs::read_to_string(path).map_err(|e| read_error(path, e));
    match selection {
        Selection::Files(files) => files.iter().map(|f| Ok((f.clone(), read(f)?))).collect(),
        Selection::Days { dir, days } => {
            let entries = std::fs::read_dir(dir).map_err(|e| read_error(dir, e))?;
            let mut files: Vec<PathBuf> =
                entries.map(|e| e.map(|e| e.path()).map_err(|e| read_error(dir, e))).collect::<Result<_, _>>()?;
            files.retain(|p| p.extension().is_some_and(|x| x == "jsonl"));
            files.sort();
            let since = (now - chrono::Duration::days(i64::from(*days))).timestamp_millis();
            let mut out = Vec::new();
            for path in files {
                // Only the first line decides; the whole recording is read once it is chosen.
                let start = first_line(&path).and_then(|line| {
                    started_ms(&line).ok_or_else(|| read_error(&path, "line 1: no recv_ms or sent_ms"))
                })?;
                if start >= since && start <= now.timestamp_millis() {
                    let text = read(&path)?;
                    out.push((path, text));
                }
            }
            if out.is_empty() {
                return Err(WhatIfError::NoSessions(format!(
                    "none in {} started in the last {days} day(s)",
                    dir.display()
                )));
            }
            Ok(out)
        }
    }
}

/// The ladders a recording follows: its header's, else the bundled events whose ticker it
/// names (`fixtures/kalshi/events`).
fn ladders_of(path: &Path, text: &str, fixtures: &Path) -> Result<Vec<(Series, Vec<Event>)>, WhatIfError> {
    if let Some(first) = text.lines().find(|l| !l.trim().is_empty())
        && let Some(header) = read_header(first)
    {
        let (_, ladders) = header.map_err(|e| read_error(path, format!("line 1 (header): {e}")))?;
        return Ok(ladders.into_iter().map(|l| (l.series, l.events)).collect());
    }
    let fixtures = crate::drivers::fixtures::load_market_fixtures(fixtures, &[])
        .map_err(|e| read_error(path, format!("no header, and the bundled ladders do not load: {e}")))?;
    let ladders: Vec<(Series, Vec<Event>)> = fixtures
        .into_iter()
        .map(|f| {
            let events = f.events.into_iter().map(|e| e.event).filter(|e| text.contains(&e.event_ticker)).collect();
            (f.series, events)
        })
        .filter(|(_, events): &(Series, Vec<Event>)| !events.is_empty())
        .collect();
    if ladders.is_empty() {
        return Err(read_error(path, "no header line with the ladders, and no bundled event it names"));
    }
    Ok(ladders)
}

/// Settled results by market ticker (YES paid), from every `kalshi_settled` payload kept. A
/// payload that does not parse is an error naming it: realised P&L must not quietly count
/// settled markets as open.
fn settled_results(store: &DataStore) -> Result<BTreeMap<String, bool>, WhatIfError> {
    let mut out = BTreeMap::new();
    let hidden = indicatif::ProgressBar::hidden();
    for (path, bytes) in crate::research::calibration::payloads(store, Source::KalshiSettled, &hidden) {
        let file = path.display().to_string();
        let settled =
            crate::drivers::parse::kalshi_history::settled(&bytes, &file).map_err(|e| read_error(&path, e))?;
        for m in settled {
            out.entry(m.ticker).or_insert(m.result == "yes");
        }
    }
    Ok(out)
}

/// Runs the what-if and writes its report under `reports/whatif/`.
pub fn whatif(req: &WhatIfRequest) -> Result<WhatIfReport, WhatIfError> {
    let inputs = Inputs::configs_only(&req.configs, req.scan)?.with_strategies(
        &req.configs,
        &req.out_root,
        &req.fixtures,
        req.now,
        false,
    )?;
    let new_set = load_policies(&req.policies, &inputs.config)?;
    let old_set = load_policies(&req.against, &inputs.config)?;
    let policies = PolicyPair { old: &old_set, new: &new_set };
    let terms = SimTerms { rounding: inputs.config.paper.fee_rounding, alpha: inputs.config.paper.fill_alpha };
    let results = settled_results(&DataStore::new(&req.out_root, &req.fixtures))?;
    let files = recordings(&req.selection, req.now)?;
    let mut series: BTreeMap<String, SeriesWhatIf> = BTreeMap::new();
    let mut sessions = Vec::new();
    for (path, text) in &files {
        let name = path.display().to_string();
        let ladders = ladders_of(path, text, &req.fixtures)?;
        let outcome = run_session(text.lines(), &ladders, &inputs, policies, terms).map_err(|e| read_error(path, e))?;
        for (event, _) in &outcome.decided {
            series.entry(series_of(event)).or_default();
        }
        for (ticker, t) in outcome.old.account.totals(&outcome.marks, &results) {
            series.entry(ticker).or_default().old.add(&t);
        }
        for (ticker, t) in outcome.new.account.totals(&outcome.marks, &results) {
            series.entry(ticker).or_default().new.add(&t);
        }
        for d in diff(&outcome.old.rows, &outcome.new.rows) {
            let event = d.new.as_ref().or(d.old.as_ref()).map(|r| r.event.clone()).unwrap_or_default();
            series
                .entry(series_of(&event))
                .or_default()
                .differences
                .push(SessionDiff { session: name.clone(), diff: d });
        }
        sessions.push(SessionSummary {
            file: name,
            messages: outcome.messages,
            decided: outcome.decided.iter().map(|(e, at)| (e.clone(), at.to_rfc3339())).collect(),
            undecided: outcome.undecided,
        });
    }
    let path = req.out_root.join("reports/whatif").join(format!("whatif_{}.md", req.now.format("%Y%m%dT%H%M%SZ")));
    let mut report = WhatIfReport {
        old_policies: req.against.display().to_string(),
        old_sha256: old_set.digest().to_string(),
        new_policies: req.policies.display().to_string(),
        new_sha256: new_set.digest().to_string(),
        sessions,
        differ: series.values().map(|s| s.differences.len()).sum(),
        series,
        report: path.display().to_string(),
    };
    let markdown = render(&report);
    let page = crate::report::html::document("Policy what-if", &markdown, &Default::default(), &[])
        .map_err(|e| WhatIfError::Write { path: path.clone(), source: std::io::Error::other(e.to_string()) })?;
    crate::storage::write_replace(&path, markdown.as_bytes())
        .map_err(|source| WhatIfError::Write { path: path.clone(), source })?;
    let html = path.with_extension("html");
    crate::storage::write_replace(&html, page.as_bytes())
        .map_err(|source| WhatIfError::Write { path: html, source })?;
    report.report = path.display().to_string();
    Ok(report)
}

/// The series of an event ticker.
fn series_of(event: &str) -> String {
    event.split('-').next().unwrap_or(event).to_string()
}
