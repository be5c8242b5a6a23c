//! A backtest's results and their Markdown report, rendered to a string.

use std::fmt::Write;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::model::{Count, Money};
use crate::strategies::scoring::ReliabilityBucket;

/// One scored event.
#[derive(Debug, Clone, Serialize)]
pub struct EventScore {
    /// Event ticker.
    pub event: String,
    /// The settlement value, when published.
    pub value: Option<String>,
    /// The bin that happened.
    pub outcome_bin: usize,
    /// Model RPS.
    pub model_rps: f64,
    /// Market RPS.
    pub market_rps: f64,
    /// Model log-loss.
    pub model_log_loss: f64,
    /// Market log-loss.
    pub market_log_loss: f64,
    /// Model bins.
    pub model_bins: Vec<f64>,
    /// Market bins.
    pub market_bins: Vec<f64>,
    /// Bin labels.
    pub labels: Vec<String>,
    /// When it was decided: everything it saw was public before this instant.
    pub decision: DateTime<Utc>,
    /// Proposals approved (each sent to the fill model).
    pub proposals: usize,
    /// What they got from the fill model.
    pub fills: FillTotals,
    /// Realised P&L after fees of what filled.
    pub pnl: Money,
    /// How the model was made.
    pub view: String,
    /// Which parameters it used (fitted before the decision, or configured).
    pub params: String,
}

/// Orders sent to the fill model and what they got.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FillTotals {
    /// Orders.
    pub orders: usize,
    /// Of which resting (maker).
    pub makers: usize,
    /// Of which crossing (taker).
    pub takers: usize,
    /// Contracts asked for.
    pub requested: Count,
    /// Contracts filled.
    pub filled: Count,
    /// Fees on the fills.
    pub fees: Money,
    /// Makers refused as post-only (they would have crossed).
    pub refused: usize,
    /// Makers in markets with no recorded trade after the decision (nothing could fill them).
    pub makers_without_trades: usize,
}

impl FillTotals {
    /// Adds another's counts.
    pub fn merge(&mut self, other: &FillTotals) {
        self.orders += other.orders;
        self.makers += other.makers;
        self.takers += other.takers;
        self.requested = self.requested + other.requested;
        self.filled = self.filled + other.filled;
        self.fees += other.fees;
        self.refused += other.refused;
        self.makers_without_trades += other.makers_without_trades;
    }

    /// Filled / requested (none when nothing was requested).
    pub fn ratio(&self) -> Option<f64> {
        (!self.requested.is_zero()).then(|| self.filled.centis() as f64 / self.requested.centis() as f64)
    }
}

/// Averages of one forecaster's scores.
#[derive(Debug, Clone, Serialize)]
pub struct Scores {
    /// Mean RPS (discrete CRPS).
    pub crps: f64,
    /// Brier score over markets.
    pub brier: f64,
    /// Mean log-loss.
    pub log_loss: f64,
}

/// The whole backtest.
#[derive(Debug, Clone, Serialize)]
pub struct BacktestReport {
    /// Series.
    pub series: String,
    /// Window.
    pub from: NaiveDate,
    /// Window.
    pub to: NaiveDate,
    /// Scored events.
    pub events: Vec<EventScore>,
    /// Events left out, with why.
    pub skipped: Vec<(String, String)>,
    /// The strategy.
    pub model: Scores,
    /// The market-implied PMF.
    pub market: Scores,
    /// Reliability of the model's market-level YES probabilities.
    pub reliability: Vec<ReliabilityBucket>,
    /// Proposals approved in all.
    pub proposals: usize,
    /// Realised P&L after fees of what filled.
    pub pnl_after_fees: Money,
    /// Orders and fills in all.
    pub fills: FillTotals,
    /// Fill-α of the maker fills.
    pub fill_alpha: f64,
    /// Fees the report assumed.
    pub fees: String,
    /// The Markdown report.
    pub report: PathBuf,
}

/// The report; `stem` names the SVG files beside it.
pub fn render(r: &BacktestReport, stem: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Backtest: {} from {} to {}\n", r.series, r.from, r.to);
    let _ = writeln!(out, "{} event(s) scored, {} skipped. Fees: {}.\n", r.events.len(), r.skipped.len(), r.fees);
    let _ = writeln!(out, "| forecaster | CRPS (RPS, lower is better) | Brier | log-loss |\n|---|---|---|---|");
    let _ =
        writeln!(out, "| model (strategy) | {:.4} | {:.4} | {:.4} |", r.model.crps, r.model.brier, r.model.log_loss);
    let _ = writeln!(
        out,
        "| market-implied PMF | {:.4} | {:.4} | {:.4} |\n",
        r.market.crps, r.market.brier, r.market.log_loss
    );
    let f = &r.fills;
    let _ = writeln!(
        out,
        "Orders the scan would have sent: {} ({} maker, {} taker); through the paper fill model (fill-α {}): {} of {} contract(s) filled ({}), fees {}; {} maker(s) refused as crossing, {} in markets with no recorded trade after the decision. Realised P&L after fees at settlement: **{}**.\n",
        f.orders,
        f.makers,
        f.takers,
        r.fill_alpha,
        f.filled,
        f.requested,
        f.ratio().map_or("no contracts requested".into(), |x| format!("{:.1} %", x * 100.0)),
        f.fees,
        f.refused,
        f.makers_without_trades,
        r.pnl_after_fees
    );
    let _ = writeln!(out, "## Reliability\n\n![reliability]({stem}_reliability.svg)\n");
    let _ = writeln!(out, "| predicted | markets | mean predicted | observed |\n|---|---|---|---|");
    for b in &r.reliability {
        let _ = writeln!(out, "| {:.1}–{:.1} | {} | {:.3} | {:.3} |", b.from, b.to, b.count, b.predicted, b.observed);
    }
    if let Some(last) = r.events.last() {
        let _ = writeln!(out, "\n## PMF vs market: {}\n\n![pmf]({stem}_pmf.svg)\n", last.event);
    }
    let _ = writeln!(
        out,
        "## Events\n\n| event | decided (UTC) | value | model RPS | market RPS | model log-loss | market log-loss | orders | filled / requested | P&L |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    for e in &r.events {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.4} | {:.4} | {:.3} | {:.3} | {} | {} / {} | {} |",
            e.event,
            e.decision.format("%Y-%m-%d %H:%M"),
            e.value.as_deref().unwrap_or("—"),
            e.model_rps,
            e.market_rps,
            e.model_log_loss,
            e.market_log_loss,
            e.proposals,
            e.fills.filled,
            e.fills.requested,
            e.pnl
        );
    }
    if !r.skipped.is_empty() {
        let _ = writeln!(out, "\n## Skipped\n");
        for (event, why) in &r.skipped {
            let _ = writeln!(out, "- {event}: {why}");
        }
    }
    let _ = writeln!(out, "\n## Models\n");
    for e in &r.events {
        let _ =
            writeln!(out, "- {} (decided {}): {}; parameters: {}.", e.event, e.decision.to_rfc3339(), e.view, e.params);
    }
    let _ = writeln!(
        out,
        "\nPoint in time: each event was decided at its series' decision time (`configs/backtest.toml`) and saw only rows public before it by their own timestamps, parameters fitted only on observations public before it (or the configured ones), and the last hourly candle ending by then as its book (depth: that candle's traded volume). Nothing fills by assumption: takers walk that depth; makers fill only from recorded trades after the decision, behind the queue, scaled by fill-α."
    );
    out
}
