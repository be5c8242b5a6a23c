//! The scoreboard as Markdown. Where a figure cannot be computed the cell says why
//! ("no settled fills", "no orders"), never a zero that was not measured.

use std::fmt::Write as _;

use crate::evidence::scoreboard::{Board, Decisions, Score, Scoreboard};

fn pct(x: Option<f64>, missing: &str) -> String {
    x.map_or_else(|| missing.to_string(), |v| format!("{:.1}%", 100.0 * v))
}

fn num(x: Option<f64>, dp: usize, missing: &str) -> String {
    x.map_or_else(|| missing.to_string(), |v| format!("{v:.dp$}"))
}

fn hours(secs: Option<i64>) -> String {
    secs.map_or_else(|| "-".to_string(), |s| format!("{:.1} h", s as f64 / 3600.0))
}

fn decisions_row(name: &str, d: &Decisions) -> String {
    let reasons = if d.top_no_go_reasons.is_empty() {
        "-".to_string()
    } else {
        d.top_no_go_reasons.iter().map(|(code, n)| format!("{code} ×{n}")).collect::<Vec<_>>().join(", ")
    };
    format!(
        "| {name} | {} | {} | {} | {} | {reasons} | {} |\n",
        d.runs,
        d.go,
        d.no_go,
        pct(d.go_rate, "no runs"),
        d.proposals
    )
}

fn score_rows(out: &mut String, name: &str, s: &Score) {
    let no_orders = if s.orders == 0 { "no orders" } else { "no maker orders" };
    let _ = writeln!(
        out,
        "| {name} | {} | {} / {} | {} | {} | {} | {} / {} |",
        s.orders,
        s.filled,
        s.requested,
        pct(s.fill_ratio, "no orders"),
        pct(s.maker_fill_rate, no_orders),
        num(s.alpha_gap, 3, "-"),
        s.fills,
        s.settled_fills,
    );
}

fn edge_rows(out: &mut String, name: &str, s: &Score) {
    let unsettled = if s.fills == 0 { "no fills" } else { "no settled fills" };
    let realised = s.realised_bps.map_or_else(
        || unsettled.to_string(),
        |m| format!("{:.0} (t = {})", m.mean, m.t.map_or_else(|| "n/a".to_string(), |t| format!("{t:.2}"))),
    );
    let _ = writeln!(
        out,
        "| {name} | {} | {realised} | {} | {} | {} | {} | {} | {} ({}) |",
        num(s.expected_bps, 0, unsettled),
        s.expected_pnl,
        s.realised_pnl,
        s.fees,
        pct(s.fee_share_of_gross, if s.settled_fills == 0 { unsettled } else { "no gross edge" }),
        pct(s.hit_rate, unsettled),
        s.drawdown.max,
        hours(s.drawdown.duration_secs),
    );
}

fn calibration_row(out: &mut String, name: &str, s: &Score) {
    let missing = if s.settled_fills == 0 { "no settled orders" } else { "no expectations recorded" };
    let _ = writeln!(
        out,
        "| {name} | {} | {} | {} | {} | {} |",
        s.scored_orders,
        num(s.brier_model, 4, missing),
        num(s.brier_market, 4, missing),
        num(s.log_loss_model, 4, missing),
        num(s.log_loss_market, 4, missing),
    );
}

fn board_section(out: &mut String, title: &str, board: &Board) {
    let _ = writeln!(out, "\n## {title}\n");
    if board.total.orders == 0 && board.total.fills == 0 {
        let _ = writeln!(out, "No data: the {title} ledger has no orders or fills in this window.");
        return;
    }
    out.push_str("### Orders and fills\n\n| series | orders | filled / requested | fill ratio | maker fill rate | α gap | fills / settled |\n|---|---|---|---|---|---|---|\n");
    for (name, s) in &board.series {
        score_rows(out, name, s);
    }
    score_rows(out, "**total**", &board.total);
    out.push_str("\n### Edge and P&L (after fees; bps per $1 paid)\n\n| series | expected bps | realised bps | expected P&L | realised P&L | fees | fees / gross edge | hit rate | max drawdown (duration) |\n|---|---|---|---|---|---|---|---|---|\n");
    for (name, s) in &board.series {
        edge_rows(out, name, s);
    }
    edge_rows(out, "**total**", &board.total);
    out.push_str("\n### Calibration on settled orders\n\n| series | orders | Brier model | Brier market | log-loss model | log-loss market |\n|---|---|---|---|---|---|\n");
    for (name, s) in &board.series {
        calibration_row(out, name, s);
    }
    calibration_row(out, "**total**", &board.total);
}

/// The scoreboard as a Markdown page.
pub fn scoreboard_markdown(board: &Scoreboard) -> String {
    let mut out = format!(
        "# Scoreboard, last {}\n\n{} → {} (UTC). Configured maker fill-α {:.2}.\n\n## Decisions\n\n| series | runs | GO | NO-GO | GO rate | most frequent NO-GO reasons | proposals |\n|---|---|---|---|---|---|---|\n",
        board.window.label,
        board.from.format("%Y-%m-%d %H:%M"),
        board.to.format("%Y-%m-%d %H:%M"),
        board.fill_alpha,
    );
    for (name, d) in &board.decisions_by_series {
        out.push_str(&decisions_row(name, d));
    }
    out.push_str(&decisions_row("**total**", &board.decisions));
    if board.decisions.runs == 0 {
        out.push_str("\nNo data: no session decided in this window (data/proc/gates.jsonl).\n");
    }
    board_section(&mut out, "paper", &board.paper);
    board_section(&mut out, "live", &board.live);
    out.push_str("\n## Freshness\n\n| series | calibration age | data age | not dated |\n|---|---|---|---|\n");
    for (name, f) in &board.freshness {
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} |",
            f.calibration_age_hours.map_or_else(|| "unknown".to_string(), |h| format!("{h:.1} h")),
            f.data_age_hours.map_or_else(|| "unknown".to_string(), |h| format!("{h:.1} h")),
            if f.unknown.is_empty() { "-".to_string() } else { f.unknown.join("; ") },
        );
    }
    out
}

/// The scoreboard's charts, paper and live where they have orders: realised against
/// expected P&L after fees by series, and the fill ratio and maker fill rate against fill-α
/// (the realism gap) by series.
pub fn scoreboard_charts(board: &Scoreboard) -> Vec<(String, String)> {
    use crate::report::svg::grouped_bars;
    let mut charts = Vec::new();
    for (mode, b) in [("paper", &board.paper), ("live", &board.live)] {
        if b.total.orders == 0 {
            continue;
        }
        let labels: Vec<String> = b.series.keys().cloned().collect();
        let money = |f: &dyn Fn(&crate::evidence::scoreboard::Score) -> crate::model::Money| -> Vec<f64> {
            b.series.values().map(|s| f(s).as_f64()).collect()
        };
        let pnl = grouped_bars(
            &format!("{mode}: P&L after fees by series"),
            &labels,
            &[("expected", "#1f77b4", money(&|s| s.expected_pnl)), ("realised", "#ff7f0e", money(&|s| s.realised_pnl))],
            "$",
        );
        charts.push((format!("{mode}: expected and realised P&L after fees of settled fills, by series"), pnl));
        let ratio = |f: &dyn Fn(&crate::evidence::scoreboard::Score) -> Option<f64>| -> Vec<f64> {
            b.series.values().map(|s| f(s).unwrap_or(f64::NAN)).collect()
        };
        let alpha = vec![board.fill_alpha; labels.len()];
        let fills = grouped_bars(
            &format!("{mode}: fill ratio and maker fill rate vs fill-α"),
            &labels,
            &[
                ("fill ratio", "#2ca02c", ratio(&|s| s.fill_ratio)),
                ("maker rate", "#9467bd", ratio(&|s| s.maker_fill_rate)),
                ("fill-α", "#7f7f7f", alpha),
            ],
            "share",
        );
        charts.push((
            format!("{mode}: fill ratio and maker fill rate against the configured fill-α (the realism gap)"),
            fills,
        ));
    }
    charts
}
