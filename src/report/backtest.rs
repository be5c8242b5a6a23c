//! A backtest's results and their Markdown report, rendered to a string.

use std::fmt::Write;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

use crate::model::Money;
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
    /// Proposals approved.
    pub proposals: usize,
    /// Their realised P&L after fees.
    pub pnl: Money,
    /// How the model was made.
    pub view: String,
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
    /// Their realised P&L after fees.
    pub pnl_after_fees: Money,
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
    let _ = writeln!(
        out,
        "Proposals the scan would have made: {}; realised P&L after fees at settlement: **{}**.\n",
        r.proposals, r.pnl_after_fees
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
        "## Events\n\n| event | value | model RPS | market RPS | model log-loss | market log-loss | proposals | P&L |\n|---|---|---|---|---|---|---|---|"
    );
    for e in &r.events {
        let _ = writeln!(
            out,
            "| {} | {} | {:.4} | {:.4} | {:.3} | {:.3} | {} | {} |",
            e.event,
            e.value.as_deref().unwrap_or("—"),
            e.model_rps,
            e.market_rps,
            e.model_log_loss,
            e.market_log_loss,
            e.proposals,
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
        let _ = writeln!(out, "- {}: {}", e.event, e.view);
    }
    let _ = writeln!(
        out,
        "\nEach event used only data issued before its day (the forecast's update time; other sources' latest date), and the books of the last hourly candle before 00:00 New York on the event day. Parameters are the configured ones, or the calibration file's when one exists (if it was fitted on this window, the scores are in-sample)."
    );
    out
}
