//! The per-series Markdown report of a scan. Pure: returns text; the caller writes it.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use std::collections::BTreeMap;

use crate::model::{Count, Money};
use crate::pricing::fees::FeeSchedule;
use crate::risk::ceilings::{CoreCeilings, Verdict};
use crate::risk::gate::{Gate, GateContext};
use crate::scan::{EventScan, ScanParams};

/// What the report says besides the scans themselves.
#[derive(Debug, Clone)]
pub struct ReportContext<'a> {
    /// Series ticker.
    pub series: &'a str,
    /// Series title.
    pub title: &'a str,
    /// When the scan ran.
    pub generated_at: DateTime<Utc>,
    /// GO/NO-GO.
    pub gate: &'a Gate,
    /// What the gate judged, with values.
    pub gate_inputs: &'a GateContext,
    /// `dry`, `paper` or `live`.
    pub broker: &'a str,
    /// Order intents the broker recorded for this series.
    pub orders_recorded: usize,
    /// Orders outstanding at the broker as the report is written, by series (every series).
    pub outstanding: &'a std::collections::BTreeMap<String, usize>,
    /// Where they were recorded.
    pub audit_path: &'a str,
    /// The series' fee schedule.
    pub fees: &'a FeeSchedule,
    /// Scanner knobs.
    pub params: &'a ScanParams,
    /// Hard ceilings.
    pub ceilings: &'a CoreCeilings,
    /// SHA-256 of the policy set that decided.
    pub policy: &'a str,
    /// Events not scanned, with why.
    pub skipped: &'a [(String, String)],
    /// One-line description of each scanned event's view, keyed like `scans`.
    pub views: &'a [String],
    /// The paper broker's figures (paper sessions only).
    pub paper: Option<&'a PaperSection>,
    /// A banner above everything (`FORCE-RUN (DRY)` for runs forced outside their window).
    pub banner: Option<&'a str>,
    /// The pilot header, mispricings and kinks, net ladder exposure, fill and slippage.
    pub depth: &'a crate::report::depth::SeriesDepth,
}

/// One paper fill's expected and realised value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvSample {
    /// Premium paid.
    pub notional: Money,
    /// EV after fees the scan expected for these contracts.
    pub expected: Money,
    /// Value at the current mid minus premium and fee (settled value once settled).
    pub realised: Money,
}

/// The paper section of a series report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PaperSection {
    /// Contracts asked for this session.
    pub requested: Count,
    /// Contracts filled this session (at once or while resting).
    pub filled: Count,
    /// Orders the paper broker refused, with why.
    pub refused: Vec<String>,
    /// This session's fills of the series.
    pub samples: Vec<EvSample>,
    /// Worst-case loss held per series (positions and resting orders).
    pub exposure_by_series: BTreeMap<String, Money>,
    /// The series' realised P&L after fees, all time.
    pub realised_total: Money,
}

/// Mean and t-statistic of `values` (`None` for the t-statistic below two samples or with
/// no spread).
fn mean_t(values: &[f64]) -> (f64, Option<f64>) {
    let n = values.len() as f64;
    if values.is_empty() {
        return (0.0, None);
    }
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, None);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let se = (var / n).sqrt();
    (mean, (se > 0.0).then(|| mean / se))
}

fn render_paper(out: &mut String, paper: &PaperSection) {
    let _ = writeln!(out, "\n## Paper\n");
    let pct_filled = if paper.requested.is_zero() {
        "—".to_string()
    } else {
        format!("{:.1}%", paper.filled.centis() as f64 * 100.0 / paper.requested.centis() as f64)
    };
    let _ = writeln!(out, "- Fills vs requested: {} of {} contracts ({pct_filled})", paper.filled, paper.requested);
    for r in &paper.refused {
        let _ = writeln!(out, "- Refused: {r}");
    }
    let bps = |m: Money, notional: Money| {
        if notional.units() == 0 { 0.0 } else { m.units() as f64 * 10_000.0 / notional.units() as f64 }
    };
    let expected: Vec<f64> = paper.samples.iter().map(|s| bps(s.expected, s.notional)).collect();
    let realised: Vec<f64> = paper.samples.iter().map(|s| bps(s.realised, s.notional)).collect();
    let diff: Vec<f64> = realised.iter().zip(&expected).map(|(r, e)| r - e).collect();
    let (e_mean, _) = mean_t(&expected);
    let (r_mean, _) = mean_t(&realised);
    let (_, t) = mean_t(&diff);
    let t = t.map_or_else(|| "n/a (fewer than 2 fills or no spread)".to_string(), |t| format!("{t:.2}"));
    let _ = writeln!(
        out,
        "- EV: expected {e_mean:.1} bps, realised at mid {r_mean:.1} bps over {} fill(s); t-statistic of realised − expected: {t}",
        paper.samples.len()
    );
    let _ = writeln!(out, "- Realised P&L after fees (series, all time): {}", paper.realised_total);
    let _ = writeln!(out, "\n| series | worst-case exposure |\n|---|---:|");
    for (series, loss) in &paper.exposure_by_series {
        let _ = writeln!(out, "| {series} | {loss} |");
    }
    if paper.exposure_by_series.is_empty() {
        let _ = writeln!(out, "| — | 0.00 |");
    }
}

/// What the gate judged, one (input, value) row each, as every report shows it.
pub(crate) fn gate_input_rows(g: &GateContext) -> Vec<(String, String)> {
    let shown = |v: Option<String>| v.unwrap_or_else(|| "unknown".to_string());
    let model = if g.model_data_source.is_empty() {
        "none (no strategy data: views only)".to_string()
    } else {
        format!("{} (oldest: {})", shown(g.model_data_age_secs.map(|v| format!("{v:.0}"))), g.model_data_source)
    };
    let mut rows = vec![
        ("kill_switch".to_string(), g.kill_switch.to_string()),
        ("data_age_secs".to_string(), shown(g.data_age_secs.map(|v| format!("{v:.3}")))),
        ("heartbeat_age_secs".to_string(), shown(g.heartbeat_age_secs.map(|v| format!("{v:.3}")))),
        ("clock_skew_ms".to_string(), shown(g.clock_skew_ms.map(|v| v.to_string()))),
        ("calibration_age_hours".to_string(), shown(g.calibration_age_hours.map(|v| format!("{v:.1}")))),
        ("model_data_age_secs".to_string(), model),
        ("online".to_string(), g.online.to_string()),
        ("now_et".to_string(), g.now_et.clone()),
    ];
    rows.extend(g.book_flags.iter().map(|f| ("book_flag".to_string(), f.clone())));
    rows.extend(g.monitors.iter().map(|(name, status)| (format!("monitor {name}"), status.clone())));
    rows
}

/// The quote flags of a scan, or `none`.
pub(crate) fn quote_flags(scan: &EventScan) -> String {
    if scan.flags.is_empty() {
        "none".to_string()
    } else {
        scan.flags.iter().map(|f| serde_json::to_string(f).unwrap_or_default()).collect::<Vec<_>>().join(", ")
    }
}

fn render_gate_inputs(out: &mut String, g: &GateContext) {
    let _ = writeln!(out, "\n## Gate inputs\n");
    let _ = writeln!(out, "| input | value |\n|---|---|");
    for (input, value) in gate_input_rows(g) {
        let _ = writeln!(out, "| {input} | {value} |");
    }
}

/// A probability as a percentage with one decimal.
pub(crate) fn pct(p: f64) -> String {
    format!("{:.1}%", p * 100.0)
}

/// A value, or `—` when there is none.
pub(crate) fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "—".to_string(), |x| x.to_string())
}

/// `range ladder` or `threshold ladder`.
pub(crate) fn ladder_kind(kind: crate::model::LadderKind) -> &'static str {
    match kind {
        crate::model::LadderKind::Range => "range ladder",
        crate::model::LadderKind::Threshold => "threshold ladder",
    }
}

/// Renders the report.
pub fn render_series_report(ctx: &ReportContext<'_>, scans: &[EventScan]) -> String {
    let mut out = String::new();
    let et = ctx.generated_at.with_timezone(&chrono_tz::America::New_York);
    let badge = if ctx.gate.go { "**GO** ✅" } else { "**NO-GO** ⛔" };
    if let Some(banner) = ctx.banner {
        let _ = writeln!(out, "> **{banner}**\n");
    }
    let _ = writeln!(out, "# {} — {}\n", ctx.series, ctx.title);
    let _ = writeln!(out, "{badge}\n");
    for reason in &ctx.gate.reasons {
        let _ = writeln!(out, "- {reason}");
    }
    if !ctx.gate.reasons.is_empty() {
        out.push('\n');
    }
    crate::report::depth::render_pilot(&mut out, &ctx.depth.pilot);
    let c = ctx.ceilings;
    let p = ctx.params;
    let _ = writeln!(out, "- Generated: {} ({})", et.format("%Y-%m-%d %H:%M:%S %Z"), ctx.generated_at.to_rfc3339());
    let _ =
        writeln!(out, "- Broker: {} — {} order(s) recorded to `{}`", ctx.broker, ctx.orders_recorded, ctx.audit_path);
    let total: usize = ctx.outstanding.values().sum();
    let breakdown: Vec<String> = ctx.outstanding.iter().map(|(s, n)| format!("{s} {n}")).collect();
    let _ = writeln!(
        out,
        "- Outstanding at the broker: {total} order(s){}",
        if breakdown.is_empty() { String::new() } else { format!(" ({})", breakdown.join(", ")) }
    );
    let _ = writeln!(
        out,
        "- Fees: {} × {}, screening rounding {}",
        ctx.fees.fee_type().as_str(),
        ctx.fees.multiplier(),
        p.rounding.as_str()
    );
    let _ = writeln!(
        out,
        "- Scanner: min EV {}/contract, {} contracts asked, ≤ {} bins/event, {}",
        p.min_ev,
        p.contracts,
        p.max_bins,
        if p.maker_only { "maker-only" } else { "maker and taker" }
    );
    let _ = writeln!(
        out,
        "- Core ceilings: ≤ {} contracts/order, max loss {}/strike, ≤ {} bins/event, maker-only {}, allowed series [{}]",
        c.max_contracts_per_order,
        c.max_loss_per_strike,
        c.max_bins_per_event,
        c.maker_only,
        c.allowed_series.join(", ")
    );
    let _ = writeln!(
        out,
        "- Decided by: limits.toml tightened by policies (pal.rhai, pilot.rhai, gates.rhai) sha256 `{}`",
        ctx.policy
    );
    for (event, why) in ctx.skipped {
        let _ = writeln!(out, "- Skipped {event}: {why}");
    }
    render_gate_inputs(&mut out, ctx.gate_inputs);
    if let Some(paper) = ctx.paper {
        render_paper(&mut out, paper);
    }
    crate::report::depth::render_sections(&mut out, ctx.depth);
    for (scan, view) in scans.iter().zip(ctx.views) {
        render_event(&mut out, scan, view);
    }
    out
}

fn render_event(out: &mut String, scan: &EventScan, view: &str) {
    let _ = writeln!(out, "\n## {} — {}\n", scan.event, scan.title);
    let kind = ladder_kind(scan.kind);
    let _ = writeln!(out, "{kind}, {} markets. View: {view}. Quote flags: {}.\n", scan.rows.len(), quote_flags(scan));
    let _ = writeln!(out, "| bin | ticker | YES bid | YES ask | market p | model p |");
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|");
    for r in &scan.rows {
        let _ = writeln!(
            out,
            "| {} | {}{} | {} | {} | {} | {} |",
            r.label,
            r.ticker,
            if r.tradeable { "" } else { " (not trading)" },
            opt(r.yes_bid),
            opt(r.yes_ask),
            pct(r.market_p),
            pct(r.model_p)
        );
    }
    let _ = writeln!(out, "\n### Proposals\n");
    if scan.decisions.is_empty() {
        let _ = writeln!(out, "No bin clears the minimum EV after fees.");
        return;
    }
    let _ = writeln!(
        out,
        "| bin | side | role | price | size | model p | market p | EV/contract | EV order | fee | max loss | decision |"
    );
    let _ = writeln!(out, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for d in &scan.decisions {
        let p = &d.proposal;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:?} |",
            p.label,
            p.side.as_str().to_uppercase(),
            p.role.as_str(),
            p.price,
            d.allowed,
            pct(p.model_p),
            pct(p.market_p),
            p.ev_per_contract,
            p.ev_order,
            p.fee,
            p.max_loss,
            d.verdict
        );
    }
    let clipped: Vec<_> = scan.decisions.iter().filter(|d| d.verdict != Verdict::Approved).collect();
    let _ = writeln!(out, "\n### Clipped or denied by limits\n");
    if clipped.is_empty() {
        let _ = writeln!(out, "Nothing clipped.");
        return;
    }
    let _ = writeln!(out, "| ticker | side | asked | allowed | reason |");
    let _ = writeln!(out, "|---|---|---:|---:|---|");
    for d in clipped {
        let reasons = d.reasons.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; ");
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            d.proposal.ticker,
            d.proposal.side.as_str(),
            d.asked,
            d.allowed,
            reasons
        );
    }
}
