//! `policy eval`: what a policy set decides on the proposals the scan makes from fixtures,
//! and — against another set — only what differs. Places nothing, writes nothing. Pure
//! given the planned sessions.

use serde::Serialize;

use crate::model::Count;
use crate::risk::ceilings::Verdict;
use crate::session::PlannedSeries;

/// One decision, as the eval table shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvalRow {
    /// Event ticker (for gate rows, the series).
    pub event: String,
    /// Bin label and market ticker (for gate rows, `GATE`).
    pub bin: String,
    /// `yes`/`no` (empty for gate rows).
    pub side: String,
    /// Size asked.
    pub asked: Count,
    /// Size allowed.
    pub allowed: Count,
    /// `approved`, `clipped`, `denied`, or `GO`/`NO-GO` for gate rows.
    pub decision: String,
    /// Reasons, `; `-joined.
    pub reason: String,
}

impl EvalRow {
    fn key(&self) -> (&str, &str, &str) {
        (&self.event, &self.bin, &self.side)
    }
}

/// A decision that differs between two policy sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvalDiff {
    /// Under the old set (`None` when the row is new).
    pub old: Option<EvalRow>,
    /// Under the new set (`None` when the row is gone).
    pub new: Option<EvalRow>,
}

/// One row per decision, plus one gate row per series.
pub fn rows(plans: &[PlannedSeries]) -> Vec<EvalRow> {
    let mut out = Vec::new();
    for plan in plans {
        out.push(EvalRow {
            event: plan.series.clone(),
            bin: "GATE".to_string(),
            side: String::new(),
            asked: Count::ZERO,
            allowed: Count::ZERO,
            decision: plan.gate.badge().to_string(),
            reason: plan.gate.reasons.join("; "),
        });
        for scan in &plan.scans {
            for d in &scan.decisions {
                out.push(EvalRow {
                    event: scan.event.clone(),
                    bin: format!("{} ({})", d.proposal.label, d.proposal.ticker),
                    side: d.proposal.side.as_str().to_string(),
                    asked: d.asked,
                    allowed: d.allowed,
                    decision: verdict_str(d.verdict).to_string(),
                    reason: d.reasons.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; "),
                });
            }
        }
    }
    out
}

fn verdict_str(v: Verdict) -> &'static str {
    match v {
        Verdict::Approved => "approved",
        Verdict::Clipped => "clipped",
        Verdict::Denied => "denied",
    }
}

/// Rows whose decision, size or reasons differ, matched by event, bin and side.
pub fn diff(old: &[EvalRow], new: &[EvalRow]) -> Vec<EvalDiff> {
    let mut out = Vec::new();
    for n in new {
        match old.iter().find(|o| o.key() == n.key()) {
            Some(o) if o == n => {}
            Some(o) => out.push(EvalDiff { old: Some(o.clone()), new: Some(n.clone()) }),
            None => out.push(EvalDiff { old: None, new: Some(n.clone()) }),
        }
    }
    for o in old.iter().filter(|o| !new.iter().any(|n| n.key() == o.key())) {
        out.push(EvalDiff { old: Some(o.clone()), new: None });
    }
    out
}

/// The eval table, aligned for a terminal.
pub fn render_rows(rows: &[EvalRow]) -> String {
    let mut table = vec![["event", "bin", "side", "asked", "allowed", "decision", "reason"].map(String::from).to_vec()];
    for r in rows {
        table.push(vec![
            r.event.clone(),
            r.bin.clone(),
            r.side.clone(),
            count_cell(r, r.asked),
            count_cell(r, r.allowed),
            r.decision.clone(),
            r.reason.clone(),
        ]);
    }
    align(&table)
}

/// The differences, one line each: old → new.
pub fn render_diff(diffs: &[EvalDiff]) -> String {
    let mut table =
        vec![["event", "bin", "side", "asked", "allowed", "decision", "reason (new)"].map(String::from).to_vec()];
    for d in diffs {
        let any = d.new.as_ref().or(d.old.as_ref()).expect("a diff has a side");
        let cell = |f: &dyn Fn(&EvalRow) -> String| {
            let old = d.old.as_ref().map_or_else(|| "—".to_string(), f);
            let new = d.new.as_ref().map_or_else(|| "—".to_string(), f);
            if old == new { new } else { format!("{old} → {new}") }
        };
        table.push(vec![
            any.event.clone(),
            any.bin.clone(),
            any.side.clone(),
            cell(&|r| count_cell(r, r.asked)),
            cell(&|r| count_cell(r, r.allowed)),
            cell(&|r| r.decision.clone()),
            d.new.as_ref().map_or_else(String::new, |r| r.reason.clone()),
        ]);
    }
    align(&table)
}

fn count_cell(row: &EvalRow, c: Count) -> String {
    if row.bin == "GATE" { String::new() } else { c.to_string() }
}

fn align(table: &[Vec<String>]) -> String {
    let widths: Vec<usize> =
        (0..table[0].len()).map(|i| table.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in table {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(bin: &str, allowed: i64, decision: &str) -> EvalRow {
        EvalRow {
            event: "E".into(),
            bin: bin.into(),
            side: "yes".into(),
            asked: Count::from_whole(10).unwrap(),
            allowed: Count::from_whole(allowed).unwrap(),
            decision: decision.into(),
            reason: String::new(),
        }
    }

    #[test]
    fn diff_keeps_only_changes() {
        let old = vec![row("a", 10, "approved"), row("b", 10, "approved"), row("c", 1, "clipped")];
        let new = vec![row("a", 10, "approved"), row("b", 4, "clipped"), row("d", 2, "clipped")];
        let d = diff(&old, &new);
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].new.as_ref().unwrap().bin, "b");
        assert!(d[1].old.is_none());
        assert!(d[2].new.is_none());
        let text = render_diff(&d);
        assert!(text.contains("10.00 → 4.00"), "{text}");
        assert!(text.contains("approved → clipped"), "{text}");
    }
}
