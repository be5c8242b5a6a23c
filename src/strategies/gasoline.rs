//! US gasoline (`KXAAAGASD`, `KXAAAGASW`, `KXAAAGASM`): AAA's national average carried to the
//! event day with a drift that blends AAA's own week with EIA's weekly trend, and a normal
//! spread of `daily_std × √days`. (The seed priced these from a placeholder.) Settles on AAA's
//! regular average.

use crate::pricing::distribution::Distribution;
use crate::strategies::Priced;
use crate::strategies::data::DataSet;
use crate::strategies::event_date;
use crate::strategies::params::GasolineParams;
use crate::strategies::views::View;

/// Prices one gasoline event.
pub fn price(event: &str, data: &DataSet, p: &GasolineParams) -> Result<Priced, String> {
    let date = event_date::parse(event).ok_or_else(|| format!("`{event}` has no date code"))?;
    // Monthly events settle on the month's last day.
    let day = match date {
        event_date::EventDate::Month(first) => {
            first.checked_add_months(chrono::Months::new(1)).map_or(first, |n| n.pred_opt().unwrap_or(n))
        }
        other => other.day(),
    };
    let page = data.aaa.as_ref().ok_or("no AAA page (`data fetch aaa`)")?;
    let price = |label: &str| page.rows.iter().find(|r| r.label == label).and_then(|r| r.regular.parse::<f64>().ok());
    let current = price("Current Avg.").ok_or("AAA has no current average")?;
    let aaa_drift = price("Week Ago Avg.").map_or(0.0, |w| (current - w) / 7.0);
    let eia_drift = data
        .eia
        .as_ref()
        .and_then(|weeks| {
            let v: Vec<f64> = weeks.iter().filter_map(|w| w.price.as_deref()?.parse().ok()).collect();
            (v.len() >= 2).then(|| (v[v.len() - 1] - v[v.len() - 2]) / 7.0)
        })
        .unwrap_or(aaa_drift);
    let drift = (1.0 - p.eia_weight) * aaa_drift + p.eia_weight * eia_drift;
    let days = (day - page.as_of).num_days().max(0) as f64;
    let mean = current + drift * days;
    let std = p.daily_std * days.max(0.25).sqrt();
    let note = format!(
        "strategy gasoline: AAA {current:.3} on {} ({}), drift {drift:+.4}/day over {days} day(s) (EIA weight {}), σ {std:.4}",
        page.as_of,
        data.describe("aaa"),
        p.eia_weight
    );
    Ok(Priced {
        view: View { model: Distribution::Normal { mean, std }, resolution: Some(0.001), note: Some(note) },
        input_age: data.oldest(&["aaa", "eia"]),
    })
}
