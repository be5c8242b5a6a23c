//! The series report's depth, pure: the pilot header, mispricings and kinks, net ladder
//! exposure, and fill and slippage — the figures (computed by the session from the broker's
//! book and the scans) and their Markdown. Each section says "none" plainly when empty; the
//! same figures go into the proposals JSON under the same names.

use std::fmt::Write as _;

use serde::Serialize;

use crate::model::{Count, Money, Price, Role, Side};
use crate::scan::kinks::Kink;

/// The header at the top of every series report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PilotHeader {
    /// `dry`, `paper`, `live` (or `rehearsal`).
    pub broker: String,
    /// `fixed` or `kelly`: which sizing decided the sizes asked.
    pub sizing: String,
    /// The cap on the Kelly fraction.
    pub kelly_cap: f64,
    /// VaR confidence (limits.toml `var_confidence`).
    pub var_confidence: String,
    /// VaR of the book per event of this series.
    pub event_var: Vec<(String, Money)>,
    /// VaR per family (series whose events move together, summed over this report's events).
    pub family_var: Vec<(String, Money)>,
    /// Fill-α of resting orders (paper.toml; index ladders follow index_execution.toml).
    pub fill_alpha: String,
    /// Orders resting at the broker (every series).
    pub outstanding_orders: usize,
    /// Their notional: contracts × price.
    pub outstanding_notional: Money,
}

/// One event's findings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventKinks {
    /// Event ticker.
    pub event: String,
    /// Findings, by kind.
    pub kinks: Vec<Kink>,
}

/// One outcome bin of an event and what the book pays in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExposureBin {
    /// The bin.
    pub label: String,
    /// Model probability of the bin.
    pub model_p: f64,
    /// P&L of positions and resting orders (as if filled) if the event settles in it.
    pub pnl: Money,
}

/// One event's net ladder exposure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventExposure {
    /// Event ticker.
    pub event: String,
    /// Holdings counted (positions and resting orders on its markets).
    pub holdings: usize,
    /// P&L per outcome bin.
    pub bins: Vec<ExposureBin>,
    /// Value at risk at the header's confidence.
    pub var: Money,
}

/// One fill beside the market at decision time and later.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FillSlippage {
    /// Market ticker.
    pub ticker: String,
    /// Contract bought.
    pub side: Side,
    /// Maker or taker.
    pub role: Role,
    /// Contracts.
    pub count: Count,
    /// Price paid per contract.
    pub price: Price,
    /// The contract's mid when the scan decided.
    pub decision_mid: Option<Price>,
    /// The model's probability of the contract when the scan decided.
    pub model_p: Option<f64>,
    /// Price − decision mid, per contract (negative: bought below the mid).
    pub vs_mid: Option<Money>,
    /// Price − model probability, per contract (negative: bought below the model).
    pub vs_model: Option<f64>,
    /// The contract's mid when the report was written.
    pub later_mid: Option<Price>,
    /// Minutes from the fill to that mid.
    pub minutes_later: Option<f64>,
    /// Later mid − decision mid (negative: the market moved against the fill).
    pub drift: Option<Money>,
    /// Expected slippage per contract at the fill's minutes to target (index ladders,
    /// index_execution.toml).
    pub expected_slippage: Option<Money>,
}

/// Everything the four sections show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesDepth {
    /// The pilot header.
    pub pilot: PilotHeader,
    /// Mispricings and kinks per event.
    pub mispricings_and_kinks: Vec<EventKinks>,
    /// Net ladder exposure per event.
    pub net_ladder_exposure: Vec<EventExposure>,
    /// This session's fills of the series.
    pub fill_and_slippage: Vec<FillSlippage>,
}

/// The pilot header's lines.
pub fn render_pilot(out: &mut String, p: &PilotHeader) {
    let _ = writeln!(out, "## Pilot\n");
    let _ = writeln!(out, "| broker | sizing | Kelly cap | fill-α | outstanding | notional |");
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} order(s) | {} |",
        p.broker, p.sizing, p.kelly_cap, p.fill_alpha, p.outstanding_orders, p.outstanding_notional
    );
    let list = |v: &[(String, Money)]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter().map(|(k, m)| format!("{k} {m}")).collect::<Vec<_>>().join(", ")
        }
    };
    let _ = writeln!(out, "\n- VaR at {} per event: {}", p.var_confidence, list(&p.event_var));
    let _ = writeln!(out, "- VaR per family (this report's events): {}\n", list(&p.family_var));
}

/// The three sections below the gate inputs.
pub fn render_sections(out: &mut String, d: &SeriesDepth) {
    let _ = writeln!(out, "\n## Mispricings and kinks\n");
    let found: Vec<&EventKinks> = d.mispricings_and_kinks.iter().filter(|e| !e.kinks.is_empty()).collect();
    if found.is_empty() {
        let _ = writeln!(out, "None: model and market agree within 5 points and the market's curve is consistent.");
    }
    for e in found {
        for k in &e.kinks {
            let _ = writeln!(out, "- {} — {}: {}", e.event, k.name(), k.describe());
        }
    }
    let _ = writeln!(out, "\n## Net ladder exposure\n");
    let held: Vec<&EventExposure> = d.net_ladder_exposure.iter().filter(|e| e.holdings > 0).collect();
    if held.is_empty() {
        let _ = writeln!(out, "None: no position or resting order on these ladders.");
    }
    for e in held {
        let _ = writeln!(out, "{} — {} holding(s), VaR {}:\n", e.event, e.holdings, e.var);
        let _ = writeln!(out, "| settles in | model p | P&L |\n|---|---:|---:|");
        for b in &e.bins {
            let _ = writeln!(out, "| {} | {:.1}% | {} |", b.label, b.model_p * 100.0, b.pnl);
        }
        out.push('\n');
    }
    let _ = writeln!(out, "\n## Fill and slippage\n");
    if d.fill_and_slippage.is_empty() {
        let _ = writeln!(out, "None: no fill of this series in this session.");
        return;
    }
    let _ = writeln!(
        out,
        "| ticker | side | role | filled | price | mid at decision | vs mid | vs model | mid later | drift | expected slippage |"
    );
    let _ = writeln!(out, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let shown = |v: Option<String>| v.unwrap_or_else(|| "—".to_string());
    for f in &d.fill_and_slippage {
        let later = match (f.later_mid, f.minutes_later) {
            (Some(m), Some(min)) => format!("{m} ({min:.0} min)"),
            _ => "not seen yet".to_string(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            f.ticker,
            f.side.as_str(),
            f.role.as_str(),
            f.count,
            f.price,
            shown(f.decision_mid.map(|m| m.to_string())),
            shown(f.vs_mid.map(|m| m.to_string())),
            shown(f.vs_model.map(|v| format!("{v:+.4}"))),
            later,
            shown(f.drift.map(|m| m.to_string())),
            shown(f.expected_slippage.map(|m| m.to_string())),
        );
    }
}
