//! The per-series Markdown report of a scan. Pure: returns text; the caller writes it.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::exec::scan::{EventScan, ScanParams};
use crate::pricing::fees::FeeSchedule;
use crate::risk::ceilings::{CoreCeilings, Verdict};
use crate::risk::gate::Gate;

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
    /// `dry` or `live`.
    pub broker: &'a str,
    /// Order intents the broker recorded for this series.
    pub orders_recorded: usize,
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
}

fn pct(p: f64) -> String {
    format!("{:.1}%", p * 100.0)
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "—".to_string(), |x| x.to_string())
}

/// Renders the report.
pub fn render_series_report(ctx: &ReportContext<'_>, scans: &[EventScan]) -> String {
    let mut out = String::new();
    let et = ctx.generated_at.with_timezone(&chrono_tz::America::New_York);
    let badge = if ctx.gate.go { "**GO** ✅" } else { "**NO-GO** ⛔" };
    let _ = writeln!(out, "# {} — {}\n", ctx.series, ctx.title);
    let _ = writeln!(out, "{badge}\n");
    for reason in &ctx.gate.reasons {
        let _ = writeln!(out, "- {reason}");
    }
    if !ctx.gate.reasons.is_empty() {
        out.push('\n');
    }
    let c = ctx.ceilings;
    let p = ctx.params;
    let _ = writeln!(out, "- Generated: {} ({})", et.format("%Y-%m-%d %H:%M:%S %Z"), ctx.generated_at.to_rfc3339());
    let _ = writeln!(
        out,
        "- Broker: {} — {} order intent(s) recorded to `{}`",
        ctx.broker, ctx.orders_recorded, ctx.audit_path
    );
    let _ = writeln!(
        out,
        "- Fees: {} × {}, screening rounding {}",
        ctx.fees.fee_type.as_str(),
        ctx.fees.multiplier,
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
    for (scan, view) in scans.iter().zip(ctx.views) {
        render_event(&mut out, scan, view);
    }
    out
}

fn render_event(out: &mut String, scan: &EventScan, view: &str) {
    let _ = writeln!(out, "\n## {} — {}\n", scan.event, scan.title);
    let kind = match scan.kind {
        crate::model::LadderKind::Range => "range ladder",
        crate::model::LadderKind::Threshold => "threshold ladder",
    };
    let flags = if scan.flags.is_empty() {
        "none".to_string()
    } else {
        scan.flags.iter().map(|f| serde_json::to_string(f).unwrap_or_default()).collect::<Vec<_>>().join(", ")
    };
    let _ = writeln!(out, "{kind}, {} markets. View: {view}. Quote flags: {flags}.\n", scan.rows.len());
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
