//! Small SVG charts written as text (no plotting crate: two fixed layouts, exact and
//! dependency-free): a reliability plot and a model-vs-market PMF bar chart.

use std::fmt::Write;

use crate::strategies::scoring::ReliabilityBucket;

const W: f64 = 480.0;
const H: f64 = 360.0;
const PAD: f64 = 48.0;

fn header(title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n",
        W / 2.0,
        escape(title)
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn x(v: f64) -> f64 {
    PAD + v * (W - 2.0 * PAD)
}

fn y(v: f64) -> f64 {
    H - PAD - v * (H - 2.0 * PAD)
}

fn axes(out: &mut String, x_label: &str, y_label: &str) {
    let _ = writeln!(
        out,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>",
        x(0.0),
        y(0.0),
        x(1.0),
        y(0.0)
    );
    let _ = writeln!(
        out,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>",
        x(0.0),
        y(0.0),
        x(0.0),
        y(1.0)
    );
    for i in 0..=4 {
        let v = i as f64 / 4.0;
        let _ = writeln!(out, "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{v:.2}</text>", x(0.0) - 4.0, y(v) + 4.0);
    }
    let _ =
        writeln!(out, "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", W / 2.0, H - 10.0, escape(x_label));
    let _ = writeln!(
        out,
        "<text x=\"14\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {})\">{}</text>",
        H / 2.0,
        H / 2.0,
        escape(y_label)
    );
}

/// Predicted YES probability against observed frequency, one dot per bucket (area ∝ count),
/// with the diagonal of perfect calibration.
pub fn reliability(buckets: &[ReliabilityBucket]) -> String {
    let mut out = header("Reliability: model YES probability vs observed frequency");
    axes(&mut out, "predicted probability", "observed frequency");
    for i in 0..=4 {
        let v = i as f64 / 4.0;
        let _ = writeln!(out, "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{v:.2}</text>", x(v), y(0.0) + 14.0);
    }
    let _ = writeln!(
        out,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>",
        x(0.0),
        y(0.0),
        x(1.0),
        y(1.0)
    );
    let most = buckets.iter().map(|b| b.count).max().unwrap_or(1).max(1) as f64;
    for b in buckets {
        let r = 3.0 + 9.0 * (b.count as f64 / most).sqrt();
        let _ = writeln!(
            out,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r:.1}\" fill=\"#1f77b4\" fill-opacity=\"0.7\"><title>{:.2}–{:.2}: {} markets, predicted {:.3}, observed {:.3}</title></circle>",
            x(b.predicted),
            y(b.observed),
            b.from,
            b.to,
            b.count,
            b.predicted,
            b.observed
        );
    }
    out.push_str("</svg>\n");
    out
}

/// Model and market PMFs side by side per bin, the bin that happened marked.
pub fn pmf_vs_market(event: &str, labels: &[String], model: &[f64], market: &[f64], outcome: usize) -> String {
    let mut out = header(&format!("{event}: model vs market PMF"));
    axes(&mut out, "bin (the outcome in bold)", "probability");
    let n = model.len().max(market.len()).max(1);
    let top = model.iter().chain(market).cloned().fold(0.0_f64, f64::max).max(0.05);
    let slot = 1.0 / n as f64;
    for i in 0..n {
        let left = i as f64 * slot;
        for (j, (values, colour)) in [(model, "#1f77b4"), (market, "#ff7f0e")].iter().enumerate() {
            let v = values.get(i).copied().unwrap_or(0.0) / top;
            let bar_x = x(left + slot * (0.15 + 0.35 * j as f64));
            let width = slot * 0.35 * (W - 2.0 * PAD);
            let _ = writeln!(
                out,
                "<rect x=\"{bar_x:.1}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"{:.1}\" fill=\"{colour}\"/>",
                y(v),
                y(0.0) - y(v)
            );
        }
        let label = labels.get(i).cloned().unwrap_or_else(|| format!("{i}"));
        let weight = if i == outcome { " font-weight=\"bold\"" } else { "" };
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\"{weight}>{}</text>",
            x(left + slot / 2.0),
            y(0.0) + 14.0,
            escape(&label)
        );
    }
    let _ = writeln!(
        out,
        "<rect x=\"{}\" y=\"34\" width=\"10\" height=\"10\" fill=\"#1f77b4\"/><text x=\"{}\" y=\"43\">model</text>",
        W - 150.0,
        W - 136.0
    );
    let _ = writeln!(
        out,
        "<rect x=\"{}\" y=\"34\" width=\"10\" height=\"10\" fill=\"#ff7f0e\"/><text x=\"{}\" y=\"43\">market</text>",
        W - 90.0,
        W - 76.0
    );
    let _ =
        writeln!(out, "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">max {top:.2}</text>", x(0.0) - 4.0, y(1.0) - 8.0);
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_and_escaped() {
        let svg = reliability(&[ReliabilityBucket { from: 0.0, to: 0.1, count: 3, predicted: 0.05, observed: 0.0 }]);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<circle").count(), 1);
        let pmf = pmf_vs_market("E<1>", &["<45".into(), "45–46".into()], &[0.4, 0.6], &[0.5, 0.5], 1);
        assert!(pmf.contains("E&lt;1&gt;") && pmf.contains("&lt;45"));
        assert_eq!(pmf.matches("<rect x=").count(), 4 + 2);
    }
}
