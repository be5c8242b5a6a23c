//! Initial jobless claims (`KXJOBLESSCLAIMS`): the latest seasonally adjusted week carried
//! forward with a damped trend (the mean of the last four weekly changes × `damping` per week
//! ahead), a holiday effect for weeks holding a federal holiday, and a normal spread of
//! `weekly_std × √weeks`. Settles on the release's advance SA figure, whole thousands.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use crate::pricing::distribution::Distribution;
use crate::strategies::Priced;
use crate::strategies::data::DataSet;
use crate::strategies::event_date;
use crate::strategies::params::ClaimsParams;
use crate::strategies::views::View;

fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u8) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n)
}

fn last_monday_of_may(year: i32) -> Option<NaiveDate> {
    let may31 = NaiveDate::from_ymd_opt(year, 5, 31)?;
    Some(may31 - Duration::days(i64::from(may31.weekday().num_days_from_monday())))
}

/// US federal holidays of `year` (observed dates not shifted: the week is what matters).
pub fn federal_holidays(year: i32) -> Vec<NaiveDate> {
    let fixed = [(1, 1), (6, 19), (7, 4), (11, 11), (12, 25)];
    let mut days: Vec<NaiveDate> = fixed.iter().filter_map(|(m, d)| NaiveDate::from_ymd_opt(year, *m, *d)).collect();
    days.extend(
        [
            nth_weekday(year, 1, Weekday::Mon, 3),
            nth_weekday(year, 2, Weekday::Mon, 3),
            last_monday_of_may(year),
            nth_weekday(year, 9, Weekday::Mon, 1),
            nth_weekday(year, 10, Weekday::Mon, 2),
            nth_weekday(year, 11, Weekday::Thu, 4),
        ]
        .into_iter()
        .flatten(),
    );
    days
}

/// Whether the week (Sunday–Saturday) ending `saturday` holds a federal holiday.
pub fn week_has_holiday(saturday: NaiveDate) -> bool {
    let sunday = saturday - Duration::days(6);
    federal_holidays(saturday.year())
        .into_iter()
        .chain(federal_holidays(sunday.year()))
        .any(|h| h >= sunday && h <= saturday)
}

/// Prices one claims event (the ticker's date is the release Thursday; the week it reports
/// ends the Saturday before).
pub fn price(event: &str, data: &DataSet, p: &ClaimsParams) -> Result<Priced, String> {
    let release = event_date::parse(event).ok_or_else(|| format!("`{event}` has no date code"))?.day();
    let week = release - Duration::days(i64::from((release.weekday().num_days_from_sunday() + 1) % 7));
    let weeks = data.claims.as_ref().ok_or("no national claims history (`data fetch claims`)")?;
    let sa: Vec<(NaiveDate, f64)> =
        weeks.iter().filter_map(|w| Some((w.week_ended, w.initial_sa? as f64))).filter(|(d, _)| *d < week).collect();
    let &(last_week, last) = sa.last().ok_or("no seasonally adjusted week before the event")?;
    let changes: Vec<f64> = sa.windows(2).rev().take(4).map(|w| w[1].1 - w[0].1).collect();
    let trend = if changes.is_empty() { 0.0 } else { changes.iter().sum::<f64>() / changes.len() as f64 };
    let ahead = ((week - last_week).num_days() / 7).max(1) as f64;
    let damped: f64 = (1..=ahead as i32).map(|k| p.damping.powi(k)).sum::<f64>() * trend;
    let holiday = if week_has_holiday(week) { p.holiday_effect } else { 0.0 };
    let mean = last + damped + holiday;
    let std = p.weekly_std * ahead.sqrt();
    let note = format!(
        "strategy claims: last SA {last:.0} (week of {last_week}, {}), damped trend {damped:+.0}, holiday {holiday:+.0}, σ {std:.0}",
        data.describe("claims")
    );
    Ok(Priced {
        view: View { model: Distribution::Normal { mean, std }, resolution: Some(1000.0), note: Some(note) },
        input_age: data.oldest(&["claims"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thanksgiving_week() {
        assert!(week_has_holiday(NaiveDate::from_ymd_opt(2025, 11, 29).unwrap()));
        assert!(!week_has_holiday(NaiveDate::from_ymd_opt(2025, 11, 22).unwrap()));
        // New Year's Day 2026 (a Thursday) sits in the week ending Saturday 2026-01-03.
        assert!(week_has_holiday(NaiveDate::from_ymd_opt(2026, 1, 3).unwrap()));
    }
}
