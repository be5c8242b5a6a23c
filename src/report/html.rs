//! The per-series HTML report, pure: the Markdown report's figures in one self-contained page
//! (styles inline, the model-vs-market chart as inline SVG, nothing fetched at view time),
//! rendered from `templates/series.html` through minijinja with HTML escaping on.

use serde_json::{Value, json};

use crate::report::markdown::ReportContext;
use crate::risk::ceilings::Verdict;
use crate::scan::EventScan;

/// Why a page could not be rendered (a template error: a bug, never bad input).
#[derive(Debug, thiserror::Error)]
#[error("HTML report: {0}")]
pub struct HtmlError(String);

const SERIES: &str = include_str!("templates/series.html");

fn pct(p: f64) -> String {
    format!("{:.1}%", p * 100.0)
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "—".to_string(), |x| x.to_string())
}

/// Renders one series report as HTML.
pub fn series_page(ctx: &ReportContext<'_>, scans: &[EventScan]) -> Result<String, HtmlError> {
    let et = ctx.generated_at.with_timezone(&chrono_tz::America::New_York);
    let g = ctx.gate_inputs;
    let shown = |v: Option<String>| v.unwrap_or_else(|| "unknown".to_string());
    let mut gate_inputs = vec![
        json!(["kill_switch", g.kill_switch.to_string()]),
        json!(["data_age_secs", shown(g.data_age_secs.map(|v| format!("{v:.3}")))]),
        json!(["heartbeat_age_secs", shown(g.heartbeat_age_secs.map(|v| format!("{v:.3}")))]),
        json!(["clock_skew_ms", shown(g.clock_skew_ms.map(|v| v.to_string()))]),
        json!(["calibration_age_hours", shown(g.calibration_age_hours.map(|v| format!("{v:.1}")))]),
        json!([
            "model_data",
            if g.model_data_source.is_empty() {
                "views only".to_string()
            } else {
                format!("{} s old ({})", shown(g.model_data_age_secs.map(|v| format!("{v:.0}"))), g.model_data_source)
            }
        ]),
        json!(["online", g.online.to_string()]),
        json!(["now_et", g.now_et]),
    ];
    gate_inputs.extend(g.monitors.iter().map(|(k, v)| json!([format!("monitor {k}"), v])));
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
                    let verdict = match d.verdict {
                        Verdict::Approved => "approved",
                        Verdict::Clipped => "clipped",
                        Verdict::Denied => "denied",
                    };
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
            let flags = if scan.flags.is_empty() {
                "none".to_string()
            } else {
                scan.flags.iter().map(|f| serde_json::to_string(f).unwrap_or_default()).collect::<Vec<_>>().join(", ")
            };
            let kind = match scan.kind {
                crate::model::LadderKind::Range => "range ladder",
                crate::model::LadderKind::Threshold => "threshold ladder",
            };
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
    let mut env = minijinja::Environment::new();
    env.add_template("series.html", SERIES).map_err(|e| HtmlError(e.to_string()))?;
    let template = env.get_template("series.html").map_err(|e| HtmlError(e.to_string()))?;
    template.render(minijinja::Value::from_serialize(&page)).map_err(|e| HtmlError(e.to_string()))
}

const PAGE: &str = include_str!("templates/page.html");

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
    let mut env = minijinja::Environment::new();
    env.add_template("page.html", PAGE).map_err(|e| HtmlError(e.to_string()))?;
    let template = env.get_template("page.html").map_err(|e| HtmlError(e.to_string()))?;
    template
        .render(minijinja::Value::from_serialize(json!({"title": title, "body": body, "charts": charts})))
        .map_err(|e| HtmlError(e.to_string()))
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
