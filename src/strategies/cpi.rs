//! CPI month-over-month (`KXCPI`, core `KXCPICORE`): the Cleveland Fed nowcast for the target
//! month, plus a gasoline adjustment for the move in AAA's national average since the nowcast's
//! date (headline only: motor fuel's weight × its percent change), with Student-t tails whose
//! scale is the nowcast's historical error. Settles on BLS's first print, one decimal.

use crate::drivers::parse::nowcast;
use crate::pricing::distribution::Distribution;
use crate::strategies::Priced;
use crate::strategies::data::DataSet;
use crate::strategies::event_date::{self, EventDate};
use crate::strategies::params::CpiParams;
use crate::strategies::views::View;

/// The gasoline adjustment in percentage points: `weight × %Δ AAA` over the days since the
/// nowcast, from the page's week-ago row (a week's move prorated), zero when the nowcast is
/// current.
pub fn gasoline_adjustment(data: &DataSet, nowcast_date: chrono::NaiveDate, weight: f64) -> f64 {
    let Some(page) = &data.aaa else { return 0.0 };
    let price = |label: &str| page.rows.iter().find(|r| r.label == label).and_then(|r| r.regular.parse::<f64>().ok());
    let (Some(now), Some(week_ago)) = (price("Current Avg."), price("Week Ago Avg.")) else { return 0.0 };
    let days = (page.as_of - nowcast_date).num_days().clamp(0, 7) as f64;
    weight * (now / week_ago - 1.0) * 100.0 * days / 7.0
}

/// Prices one CPI event.
pub fn price(series: &str, event: &str, data: &DataSet, p: &CpiParams) -> Result<Priced, String> {
    let Some(EventDate::Month(target)) = event_date::parse(event) else {
        return Err(format!("`{event}` has no month code"));
    };
    let points = data.nowcast.as_ref().ok_or("no nowcast data (`data fetch nowcast`)")?;
    let name = if series == "KXCPICORE" { "Core CPI Inflation" } else { "CPI Inflation" };
    let (date, value) = nowcast::latest(points, target, name)
        .ok_or_else(|| format!("the nowcast has no {name} for {}", target.format("%Y-%m")))?;
    // `+ 0.0` turns a negative zero into zero for the note.
    let adjustment = if series == "KXCPICORE" { 0.0 } else { gasoline_adjustment(data, date, p.gasoline_weight) } + 0.0;
    let scale = p.error_std.max(p.min_std);
    let model = Distribution::StudentT { location: value + adjustment, scale, df: p.df };
    let note = format!(
        "strategy cpi: nowcast {value:.3} ({date}, {}) + gasoline {adjustment:+.3} ({}), t(df={}) scale {scale:.3}",
        data.describe("nowcast"),
        data.describe("aaa"),
        p.df
    );
    Ok(Priced {
        view: View { model, resolution: Some(0.1), note: Some(note) },
        input_age: data.oldest(&["nowcast", "aaa"]),
    })
}
