//! S&P 500 and Nasdaq-100 hourly and close ladders (`KXINXU`, `KXINX`, `KXNASDAQ100U`,
//! `KXNASDAQ100`): a skew-normal around the latest index value whose variance adds up minute
//! by minute to the target time — `minute_vol²` per regular-session minute, ×1.5 in the first
//! half hour, × `late_day_bump` after 15:00 New York, all × `event_day_scale` on release days
//! — with the location set so the mean is today's value, and a negative shape for the fatter
//! lower tail. Nasdaq-100 volatility is the S&P's × `ndx_vol_ratio`.

use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};
use chrono_tz::America::New_York;

use crate::pricing::distribution::Distribution;
use crate::strategies::Priced;
use crate::strategies::data::DataSet;
use crate::strategies::event_date::{self, EventDate};
use crate::strategies::params::IndexParams;
use crate::strategies::views::View;

/// The variance weight of the session minutes from `from` to `to` (each regular-session
/// minute counts 1, the first half hour 1.5, after 15:00 `late_bump`).
pub fn session_minutes(from: DateTime<Utc>, to: DateTime<Utc>, late_bump: f64) -> f64 {
    let (open, early, late, close) = (
        NaiveTime::from_hms_opt(9, 30, 0).unwrap_or(NaiveTime::MIN),
        NaiveTime::from_hms_opt(10, 0, 0).unwrap_or(NaiveTime::MIN),
        NaiveTime::from_hms_opt(15, 0, 0).unwrap_or(NaiveTime::MIN),
        NaiveTime::from_hms_opt(16, 0, 0).unwrap_or(NaiveTime::MIN),
    );
    let mut total = 0.0;
    let mut t = from.with_second(0).unwrap_or(from);
    while t < to {
        let local = t.with_timezone(&New_York);
        let time = local.time();
        let weekday = chrono::Datelike::weekday(&local).number_from_monday() <= 5;
        if weekday && time >= open && time < close {
            total += if time < early {
                1.5
            } else if time >= late {
                late_bump
            } else {
                1.0
            };
        }
        t += Duration::minutes(1);
    }
    total
}

/// Prices one index event.
pub fn price(series: &str, event: &str, data: &DataSet, p: &IndexParams) -> Result<Priced, String> {
    let date = event_date::parse(event).ok_or_else(|| format!("`{event}` has no date code"))?;
    let target = match date {
        EventDate::At(..) | EventDate::Day(_) => date.instant().ok_or("the event time does not exist in New York")?,
        EventDate::Month(_) => return Err(format!("`{event}` has no day")),
    };
    let nasdaq = series.starts_with("KXNASDAQ100");
    let ticker = if nasdaq { "I:NDX" } else { "I:SPX" };
    let from_bars = data
        .index_bars
        .as_ref()
        .and_then(|bars| bars.iter().filter(|b| b.ticker == ticker && b.start < target).max_by_key(|b| b.start))
        .map(|b| (b.start + Duration::minutes(1), b.close, "index_aggs"));
    let from_snapshot = data
        .index_snapshot
        .as_ref()
        .and_then(|vs| vs.iter().find(|v| v.ticker == ticker && v.updated < target))
        .map(|v| (v.updated, v.value, "index_snapshot"));
    let (at, spot, source) = [from_bars, from_snapshot]
        .into_iter()
        .flatten()
        .max_by_key(|(t, ..)| *t)
        .ok_or_else(|| format!("no {ticker} value before the event (`data fetch index_aggs index_snapshot`)"))?;
    let release_day = data.release_days.contains(&date.day());
    let minutes = session_minutes(at, target, p.late_day_bump);
    // Hourly ladders (`…U`) and close ladders each have their own fit per symbol.
    let (vol, shape) = p.for_ladder(ticker, series.ends_with('U'));
    let variance = vol * vol * minutes * if release_day { p.event_day_scale } else { 1.0 };
    let scale = (spot * variance.sqrt()).max(spot * 1e-6);
    let delta = shape / (1.0 + shape * shape).sqrt();
    let location = spot - scale * delta * (2.0 / std::f64::consts::PI).sqrt();
    let note = format!(
        "strategy index: {ticker} {spot:.2} at {} ({}), {minutes:.0} weighted minute(s) to {}, vol {vol:.2e}/min{}, skew-normal shape {}",
        at.with_timezone(&New_York).format("%H:%M ET"),
        data.describe(source),
        target.with_timezone(&New_York).format("%H:%M ET"),
        if release_day { format!(", release day ×{}", p.event_day_scale) } else { String::new() },
        shape
    );
    Ok(Priced {
        view: View {
            model: Distribution::SkewNormal { location, scale, shape },
            resolution: Some(0.01),
            note: Some(note),
        },
        input_age: data.oldest(&[source]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_session_minutes() {
        let t = |h: u32, m: u32| {
            chrono::TimeZone::from_local_datetime(
                &New_York,
                &chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap().and_hms_opt(h, m, 0).unwrap(),
            )
            .unwrap()
            .with_timezone(&Utc)
        };
        assert!((session_minutes(t(15, 0), t(16, 0), 1.2) - 72.0).abs() < 1e-9);
        assert!((session_minutes(t(9, 0), t(10, 30), 1.2) - (30.0 * 1.5 + 30.0)).abs() < 1e-9);
        assert_eq!(session_minutes(t(16, 0), t(17, 0), 1.2), 0.0);
    }
}
