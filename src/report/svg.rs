//! Small SVG charts written as text (no plotting crate: fixed layouts, exact and
//! dependency-free): a reliability plot, a model-vs-market PMF bar chart, and grouped bars
//! around a zero line (values of either sign).

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

/// One line: its name, colour and points (x, y) in increasing x.
pub type Line<'a> = (&'a str, &'a str, Vec<(f64, f64)>);

/// Lines over a shared x range (e.g. seconds), scaled to the data (zero included), with an
/// optional dashed horizontal `threshold`; `x_label` and `unit` name the axes.
pub fn lines(title: &str, series: &[Line<'_>], threshold: Option<f64>, x_label: &str, unit: &str) -> String {
    let mut out = header(title);
    axes(&mut out, x_label, unit);
    let points = series.iter().flat_map(|(_, _, p)| p.iter().copied());
    let (mut x0, mut x1, mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY, 0.0_f64, 0.0_f64);
    for (px, py) in points.filter(|(a, b)| a.is_finite() && b.is_finite()) {
        (x0, x1, lo, hi) = (x0.min(px), x1.max(px), lo.min(py), hi.max(py));
    }
    if let Some(t) = threshold {
        (lo, hi) = (lo.min(t), hi.max(t));
    }
    if !x0.is_finite() {
        out.push_str("</svg>\n");
        return out;
    }
    let span = (x1 - x0).max(1e-9);
    let range = (hi - lo).max(1e-9);
    let at = |px: f64, py: f64| (x((px - x0) / span), y((py - lo) / range));
    if lo < 0.0 {
        let (_, zy) = at(x0, 0.0);
        let _ =
            writeln!(out, "<line x1=\"{}\" y1=\"{zy:.1}\" x2=\"{}\" y2=\"{zy:.1}\" stroke=\"#999\"/>", x(0.0), x(1.0));
    }
    if let Some(t) = threshold {
        let (_, ty) = at(x0, t);
        let _ = writeln!(
            out,
            "<line x1=\"{}\" y1=\"{ty:.1}\" x2=\"{}\" y2=\"{ty:.1}\" stroke=\"#b42318\" stroke-dasharray=\"4 3\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#b42318\">threshold {t}</text>",
            x(0.0),
            x(1.0),
            x(1.0),
            ty - 4.0
        );
    }
    for (j, (name, colour, pts)) in series.iter().enumerate() {
        let path: Vec<String> = pts
            .iter()
            .filter(|(a, b)| a.is_finite() && b.is_finite())
            .map(|(a, b)| {
                let (px, py) = at(*a, *b);
                format!("{px:.1},{py:.1}")
            })
            .collect();
        let _ = writeln!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>",
            path.join(" ")
        );
        for point in &path {
            let (px, py) = point.split_once(',').unwrap_or(("0", "0"));
            let _ = writeln!(out, "<circle cx=\"{px}\" cy=\"{py}\" r=\"2.5\" fill=\"{colour}\"/>");
        }
        let top_y = 34.0 + 14.0 * j as f64;
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{top_y}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            W - 150.0,
            W - 136.0,
            top_y + 9.0,
            escape(name)
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{hi:.4} … {lo:.4}</text>",
        x(0.0) - 4.0,
        y(1.0) - 8.0
    );
    out.push_str("</svg>\n");
    out
}

/// One group of bars: its name, colour and one value per label.
pub type BarGroup<'a> = (&'a str, &'a str, Vec<f64>);

/// Grouped bars per label around a zero line, scaled to the largest magnitude; a missing
/// value is a gap. `unit` is printed with the scale.
pub fn grouped_bars(title: &str, labels: &[String], groups: &[BarGroup<'_>], unit: &str) -> String {
    let mut out = header(title);
    let top = groups.iter().flat_map(|(_, _, v)| v.iter().map(|x| x.abs())).fold(0.0_f64, f64::max).max(1e-9);
    let negative = groups.iter().any(|(_, _, v)| v.iter().any(|x| *x < 0.0));
    // The zero line sits mid-height when a value is negative, else at the bottom.
    let zero = if negative { 0.5 } else { 0.0 };
    let scale = if negative { 0.5 } else { 1.0 };
    let _ = writeln!(
        out,
        "<line x1=\"{}\" y1=\"{:.1}\" x2=\"{}\" y2=\"{:.1}\" stroke=\"black\"/>",
        x(0.0),
        y(zero),
        x(1.0),
        y(zero)
    );
    let n = labels.len().max(1);
    let slot = 1.0 / n as f64;
    let width = slot * 0.8 / groups.len().max(1) as f64;
    for (i, label) in labels.iter().enumerate() {
        let left = i as f64 * slot;
        for (j, (_, colour, values)) in groups.iter().enumerate() {
            let Some(v) = values.get(i).copied().filter(|v| v.is_finite()) else { continue };
            let h = v / top * scale;
            let (from, to) = if h >= 0.0 { (zero + h, zero) } else { (zero, zero + h) };
            let _ = writeln!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{} {v:.4}</title></rect>",
                x(left + slot * 0.1 + width * j as f64),
                y(from),
                width * (W - 2.0 * PAD),
                (y(to) - y(from)).max(0.5),
                escape(label)
            );
        }
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x(left + slot / 2.0),
            H - PAD + 14.0,
            escape(label)
        );
    }
    for (j, (name, colour, _)) in groups.iter().enumerate() {
        let left = W - 160.0 + 80.0 * (j % 2) as f64;
        let top_y = 34.0 + 14.0 * (j / 2) as f64;
        let _ = writeln!(
            out,
            "<rect x=\"{left}\" y=\"{top_y}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            left + 14.0,
            top_y + 9.0,
            escape(name)
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">±{top:.4} {}</text>",
        x(0.0) - 4.0,
        y(1.0) - 8.0,
        escape(unit)
    );
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
        let bars = grouped_bars("P&L", &["A".into(), "B".into()], &[("paper", "#1f77b4", vec![2.0, -1.0])], "$");
        // Two bars and one legend swatch; the negative bar hangs below the zero line (mid-height).
        assert_eq!(bars.matches("<rect x=").count(), 3);
        assert!(bars.contains("P&amp;L") && bars.contains("±2.0000 $"));
        assert!(bars.contains(&format!("y=\"{:.1}\"", y(0.5))), "{bars}");
        let path = lines("S", &[("A", "#000", vec![(0.0, 0.0), (10.0, 0.6)])], Some(0.5), "s", "$");
        assert_eq!(path.matches("<circle").count(), 2);
        assert!(path.contains("stroke-dasharray") && path.contains("threshold 0.5"), "{path}");
        // The last point reaches the top (0.6 is the largest value).
        assert!(path.contains(&format!("{:.1},{:.1}", x(1.0), y(1.0))), "{path}");
    }
}
