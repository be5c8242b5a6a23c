//! Ten-year Treasury (`KXTNOTED`, `KXTNOTEW`): close to close, a driftless normal from the
//! latest published 10-year par yield with `daily_std × √(business days to the event)`.
//! Settles on Treasury's daily par yield curve, two decimals.

use chrono::{Datelike, NaiveDate, Weekday};

use crate::pricing::distribution::Distribution;
use crate::strategies::Priced;
use crate::strategies::data::DataSet;
use crate::strategies::event_date;
use crate::strategies::params::TenyParams;
use crate::strategies::views::View;

/// Weekdays after `from` up to and including `to`.
pub fn business_days(from: NaiveDate, to: NaiveDate) -> i64 {
    from.iter_days()
        .skip(1)
        .take_while(|d| *d <= to)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .count() as i64
}

/// Prices one ten-year event.
pub fn price(event: &str, data: &DataSet, p: &TenyParams) -> Result<Priced, String> {
    let day = event_date::parse(event).ok_or_else(|| format!("`{event}` has no date code"))?.day();
    let yields = data.treasury.as_ref().ok_or("no Treasury curve (`data fetch treasury`)")?;
    let (date, last) = yields
        .iter()
        .filter(|y| y.date <= day)
        .filter_map(|y| Some((y.date, y.ten_year.as_deref()?.parse::<f64>().ok()?)))
        .next_back()
        .ok_or("no 10-year yield on or before the event date")?;
    let days = business_days(date, day);
    // A published value for the day itself leaves only rounding: a tight spread.
    let std = if days == 0 { 0.002 } else { p.daily_std * (days as f64).sqrt() };
    let note = format!(
        "strategy teny: 10 Yr {last:.2} on {date} ({}), {days} business day(s), σ {std:.3}",
        data.describe("treasury")
    );
    Ok(Priced {
        view: View { model: Distribution::Normal { mean: last, std }, resolution: Some(0.01), note: Some(note) },
        input_age: data.oldest(&["treasury"]),
    })
}
