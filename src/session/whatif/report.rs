//! The what-if's result, pure: per series the decisions that differ between the set in use
//! and the edited one, and the difference in orders, fills, fees, realised and marked P&L and
//! peak exposure; rendered as Markdown.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::session::policy_eval::{EvalDiff, render_diff};
use crate::session::whatif::account::Totals;

/// A decision that differs, with the session it came from.
#[derive(Debug, Clone, Serialize)]
pub struct SessionDiff {
    /// The recording.
    pub session: String,
    /// The decision under each set.
    #[serde(flatten)]
    pub diff: EvalDiff,
}

/// One series under both sets.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SeriesWhatIf {
    /// Under the set in use.
    pub old: Totals,
    /// Under the edited set.
    pub new: Totals,
    /// Decisions that differ.
    pub differences: Vec<SessionDiff>,
}

impl SeriesWhatIf {
    /// True when nothing differs: no decision, no figure.
    pub fn unchanged(&self) -> bool {
        self.differences.is_empty() && self.old == self.new
    }
}

/// One recording replayed.
#[derive(Debug, Clone, Serialize)]
pub struct SessionSummary {
    /// The file.
    pub file: String,
    /// Server messages read.
    pub messages: usize,
    /// Events decided, with the instant (RFC 3339).
    pub decided: Vec<(String, String)>,
    /// Events never decided, with why.
    pub undecided: Vec<(String, String)>,
}

/// The whole what-if.
#[derive(Debug, Clone, Serialize)]
pub struct WhatIfReport {
    /// The set in use (`--against`) and its digest.
    pub old_policies: String,
    /// Its SHA-256.
    pub old_sha256: String,
    /// The edited set (`--policies`).
    pub new_policies: String,
    /// Its SHA-256.
    pub new_sha256: String,
    /// The recordings replayed.
    pub sessions: Vec<SessionSummary>,
    /// Per series.
    pub series: BTreeMap<String, SeriesWhatIf>,
    /// Decisions that differ, in all.
    pub differ: usize,
    /// Where the Markdown report was written.
    pub report: String,
}

fn delta<T: std::fmt::Display + PartialEq>(old: T, new: T) -> String {
    if old == new { format!("{new}") } else { format!("{old} → **{new}**") }
}

/// The report as Markdown.
pub fn render(r: &WhatIfReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Policy what-if\n");
    let _ = writeln!(
        out,
        "In use: `{}` (sha256 {}). Edited: `{}` (sha256 {}). {} recording(s) replayed through the scan, both policy sets and the paper fill model; {} decision(s) differ.\n",
        r.old_policies,
        short(&r.old_sha256),
        r.new_policies,
        short(&r.new_sha256),
        r.sessions.len(),
        r.differ
    );
    let _ = writeln!(
        out,
        "| series | orders | contracts | filled | fees | realised P&L | marked P&L | peak exposure |\n|---|---|---|---|---|---|---|---|"
    );
    for (series, s) in &r.series {
        let (o, n) = (&s.old, &s.new);
        let _ = writeln!(
            out,
            "| {series} | {} | {} | {} | {} | {} | {} | {} |",
            delta(o.orders, n.orders),
            delta(o.contracts, n.contracts),
            delta(o.filled, n.filled),
            delta(o.fees, n.fees),
            delta(o.realised, n.realised),
            delta(o.marked, n.marked),
            delta(o.peak_exposure, n.peak_exposure)
        );
    }
    for (series, s) in r.series.iter().filter(|(_, s)| !s.differences.is_empty()) {
        let _ = writeln!(out, "\n## {series}: decisions that differ\n");
        let mut by_session: BTreeMap<&str, Vec<EvalDiff>> = BTreeMap::new();
        for d in &s.differences {
            by_session.entry(d.session.as_str()).or_default().push(d.diff.clone());
        }
        for (session, diffs) in by_session {
            let _ = writeln!(out, "{session}:\n\n```text\n{}```\n", render_diff(&diffs));
        }
    }
    let _ = writeln!(out, "\n## Sessions\n");
    for s in &r.sessions {
        let decided: Vec<String> = s.decided.iter().map(|(e, at)| format!("{e} at {at}")).collect();
        let _ = writeln!(out, "- {}: {} message(s); decided {}", s.file, s.messages, list(&decided));
        for (event, why) in &s.undecided {
            let _ = writeln!(out, "  - {event} not decided: {why}");
        }
    }
    let _ = writeln!(
        out,
        "\nRealised P&L counts fills in markets with a known settlement (`data fetch kalshi_settled`); marked P&L values every fill at the last YES mid of the recording (at cost without one). Resting orders end with their session."
    );
    out
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

fn list(items: &[String]) -> String {
    if items.is_empty() { "nothing".into() } else { items.join(", ") }
}
