//! The per-series HTML report, pure: the Markdown report's figures in one self-contained page
//! (styles inline, the model-vs-market chart as inline SVG, nothing fetched at view time),
//! rendered from `templates/series.html` through minijinja with HTML escaping on.

use serde_json::{Value, json};

use crate::report::index_window::verdict;
use crate::report::markdown::{ReportContext, gate_input_rows, ladder_kind, opt, pct, quote_flags};
use crate::scan::EventScan;

/// Why a page could not be rendered (a template error: a bug, never bad input).
#[derive(Debug, thiserror::Error)]
#[error("HTML report: {0}")]
pub struct HtmlError(String);

const SERIES: &str = include_str!("templates/series.html");
const PAGE: &str = include_str!("templates/page.html");

/// The templates, compiled once per process (a scan renders one page per series).
fn environment() -> Result<&'static minijinja::Environment<'static>, HtmlError> {
    static ENV: std::sync::OnceLock<Result<minijinja::Environment<'static>, String>> = std::sync::OnceLock::new();
    let compiled = ENV.get_or_init(|| {
        let mut env = minijinja::Environment::new();
        env.add_template("series.html", SERIES).map_err(|e| e.to_string())?;
        env.add_template("page.html", PAGE).map_err(|e| e.to_string())?;
        Ok(env)
    });
    compiled.as_ref().map_err(|e| HtmlError(e.clone()))
}

/// Renders template `name` with `context`.
fn render(name: &str, context: &Value) -> Result<String, HtmlError> {
    let template = environment()?.get_template(name).map_err(|e| HtmlError(e.to_string()))?;
    template.render(minijinja::Value::from_serialize(context)).map_err(|e| HtmlError(e.to_string()))
}

/// Renders one series report as HTML.
pub fn series_page(ctx: &ReportContext<'_>, scans: &[EventScan]) -> Result<String, HtmlError> {
    let et = ctx.generated_at.with_timezone(&chrono_tz::America::New_York);
    let gate_inputs: Vec<Value> = gate_input_rows(ctx.gate_inputs).into_iter().map(|(k, v)| json!([k, v])).collect();
    let depth = ctx.depth;
    let kinks: Vec<Value> = depth
        .mispricings_and_kinks
        .iter()
        .flat_map(|e| e.kinks.iter().map(move |k| json!({"event": e.event, "kind": k.name(), "text": k.describe()})))
        .collect();
    let exposure: Vec<Value> = depth
        .net_ladder_exposure
        .iter()
        .filter(|e| e.holdings > 0)
        .map(|e| {
            let bins: Vec<Value> = e
                .bins
                .iter()
                .map(|b| json!({"label": b.label, "model_p": pct(b.model_p), "pnl": b.pnl.to_string(), "negative": b.pnl.is_negative()}))
                .collect();
            json!({"event": e.event, "holdings": e.holdings, "var": e.var.to_string(), "bins": bins})
        })
        .collect();
    let fills: Vec<Value> = depth
        .fill_and_slippage
        .iter()
        .map(|f| {
            json!([
                f.ticker,
                f.side.as_str(),
                f.role.as_str(),
                f.count.to_string(),
                f.price.to_string(),
                opt(f.decision_mid),
                opt(f.vs_mid),
                opt(f.vs_model.map(|v| format!("{v:+.4}"))),
                match (f.later_mid, f.minutes_later) {
                    (Some(m), Some(min)) => format!("{m} ({min:.0} min)"),
                    _ => "not seen yet".to_string(),
                },
                opt(f.drift),
                opt(f.expected_slippage),
            ])
        })
        .collect();
    let events: Vec<Value> = scans
        .iter()
        .zip(ctx.views)
        .enumerate()
        .map(|(i, (scan, view))| {
            let labels: Vec<String> = depth
                .net_ladder_exposure
                .get(i)
                .map(|e| e.bins.iter().map(|b| b.label.clone()).collect())
                .unwrap_or_default();
            let chart = crate::report::svg::pmf_vs_market(
                &scan.event,
                &labels,
                &scan.model_bins,
                &scan.market_bins,
                usize::MAX,
            );
            let rows: Vec<Value> = scan
                .rows
                .iter()
                .map(|r| json!([r.label, r.ticker, opt(r.yes_bid), opt(r.yes_ask), pct(r.market_p), pct(r.model_p)]))
                .collect();
            let decisions: Vec<Value> = scan
                .decisions
                .iter()
                .map(|d| {
                    let p = &d.proposal;
                    let why = d.reasons.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; ");
                    let verdict = verdict(d.verdict);
                    json!([
                        p.label,
                        p.side.as_str().to_uppercase(),
                        p.role.as_str(),
                        p.price.to_string(),
                        d.allowed.to_string(),
                        pct(p.model_p),
                        pct(p.market_p),
                        p.ev_per_contract.to_string(),
                        p.ev_order.to_string(),
                        p.fee.to_string(),
                        p.max_loss.to_string(),
                        verdict,
                        why
                    ])
                })
                .collect();
            let flags = quote_flags(scan);
            let kind = ladder_kind(scan.kind);
            json!({"event": scan.event, "title": scan.title, "kind": kind, "view": view, "flags": flags,
                   "chart": chart, "rows": rows, "decisions": decisions})
        })
        .collect();
    let total: usize = ctx.outstanding.values().sum();
    let details = vec![
        format!("Broker: {} — {} order(s) recorded to {}", ctx.broker, ctx.orders_recorded, ctx.audit_path),
        format!("Outstanding at the broker: {total} order(s)"),
        format!("Fees: {} × {}", ctx.fees.fee_type().as_str(), ctx.fees.multiplier()),
        format!(
            "Scanner: min EV {}/contract, {} contracts asked, ≤ {} bins/event",
            ctx.params.min_ev, ctx.params.contracts, ctx.params.max_bins
        ),
    ];
    let paper: Vec<String> = ctx
        .paper
        .map(|p| {
            let mut lines = vec![format!("Fills vs requested: {} of {} contracts", p.filled, p.requested)];
            lines.extend(p.refused.iter().map(|r| format!("Refused: {r}")));
            lines.push(format!("Realised P&L after fees (series, all time): {}", p.realised_total));
            lines
        })
        .unwrap_or_default();
    let page = json!({
        "banner": ctx.banner,
        "series": ctx.series,
        "title": ctx.title,
        "badge": if ctx.gate.go { "GO" } else { "NO-GO" },
        "reasons": ctx.gate.reasons,
        "generated_et": et.format("%Y-%m-%d %H:%M:%S %Z").to_string(),
        "generated_utc": ctx.generated_at.to_rfc3339(),
        "pilot": depth.pilot,
        "details": details,
        "gate_inputs": gate_inputs,
        "kinks": kinks,
        "exposure": exposure,
        "fills": fills,
        "paper": paper,
        "events": events,
        "policy": ctx.policy,
    });
    render("series.html", &page)
}

/// A Markdown report as one self-contained HTML page: the Markdown rendered (tables
/// included), each `![alt](NAME)` image whose NAME is in `inline` replaced by that SVG, and
/// `charts` (caption, SVG) after the text.
pub fn document(
    title: &str,
    markdown: &str,
    inline: &std::collections::BTreeMap<String, String>,
    charts: &[(String, String)],
) -> Result<String, HtmlError> {
    use pulldown_cmark::{Event, Options, Parser, Tag};
    let events = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|event| match event {
        Event::Start(Tag::Image { dest_url, .. }) if inline.contains_key(dest_url.as_ref()) => {
            Event::Html(inline[dest_url.as_ref()].clone().into())
        }
        other => other,
    });
    // An inlined image's alt text would follow it as text: drop it up to the image's end.
    let mut body = String::new();
    let mut skipping = false;
    let filtered: Vec<Event<'_>> = events
        .filter(|e| match e {
            Event::Html(h) if h.starts_with("<svg") => {
                skipping = true;
                true
            }
            Event::End(pulldown_cmark::TagEnd::Image) if skipping => {
                skipping = false;
                false
            }
            _ => !skipping,
        })
        .collect();
    pulldown_cmark::html::push_html(&mut body, filtered.into_iter());
    let charts: Vec<Value> = charts.iter().map(|(caption, svg)| json!({"caption": caption, "svg": svg})).collect();
    render("page.html", &json!({"title": title, "body": body, "charts": charts}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_markdown_page_with_an_inlined_chart_and_escaped_text() {
        let inline = [("chart.svg".to_string(), "<svg><rect/></svg>".to_string())].into();
        let charts = vec![("P&L".to_string(), "<svg><circle/></svg>".to_string())];
        let page =
            document("T <1>", "# Head\n\n| a | b |\n|---|---|\n| 1 | <x> |\n\n![chart](chart.svg)\n", &inline, &charts)
                .unwrap();
        assert!(page.contains("<title>T &lt;1&gt;</title>"), "{page}");
        assert!(page.contains("<table>") && page.contains("<td>1</td>"), "{page}");
        assert!(page.contains("<svg><rect/></svg>") && !page.contains("<img"), "{page}");
        assert!(page.contains("<figcaption>P&amp;L</figcaption>") && page.contains("<svg><circle/></svg>"), "{page}");
        assert!(!page.contains("http"), "self-contained: {page}");
    }
}
