//! Dates in event tickers: `KXHIGHNY-26NOV25` (a day), `KXINXU-26NOV24H1600` (a day and a New
//! York time), `KXCPI-25NOV` (a month).

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::America::New_York;

/// What an event ticker's date code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventDate {
    /// A calendar month (first day).
    Month(NaiveDate),
    /// A day.
    Day(NaiveDate),
    /// A day and a New York wall time.
    At(NaiveDate, NaiveTime),
}

impl EventDate {
    /// The day (a month's first day).
    pub fn day(self) -> NaiveDate {
        match self {
            EventDate::Month(d) | EventDate::Day(d) | EventDate::At(d, _) => d,
        }
    }

    /// The instant: the stated New York time, else 16:00 New York on a day, else 00:00 on a
    /// month's first day.
    pub fn instant(self) -> Option<DateTime<Utc>> {
        let (day, time) = match self {
            EventDate::At(d, t) => (d, t),
            EventDate::Day(d) => (d, NaiveTime::from_hms_opt(16, 0, 0)?),
            EventDate::Month(d) => (d, NaiveTime::MIN),
        };
        New_York.from_local_datetime(&day.and_time(time)).earliest().map(|t| t.with_timezone(&Utc))
    }
}

fn month(code: &str) -> Option<u32> {
    const M: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    M.iter().position(|m| *m == code).map(|i| i as u32 + 1)
}

/// The date code of an event ticker (the part after the first `-`).
pub fn parse(event: &str) -> Option<EventDate> {
    let code = event.split_once('-')?.1;
    let year = 2000 + code.get(0..2)?.parse::<i32>().ok()?;
    let m = month(code.get(2..5)?)?;
    let rest = code.get(5..).unwrap_or("");
    if rest.is_empty() {
        return NaiveDate::from_ymd_opt(year, m, 1).map(EventDate::Month);
    }
    let day = NaiveDate::from_ymd_opt(year, m, rest.get(0..2)?.parse().ok()?)?;
    match rest.get(2..) {
        Some(h) if h.starts_with('H') && h.len() == 5 => {
            let time = NaiveTime::from_hms_opt(h.get(1..3)?.parse().ok()?, h.get(3..5)?.parse().ok()?, 0)?;
            Some(EventDate::At(day, time))
        }
        Some("") | None => Some(EventDate::Day(day)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(parse("KXHIGHNY-26NOV25"), Some(EventDate::Day(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap())));
        assert_eq!(parse("KXCPI-25NOV"), Some(EventDate::Month(NaiveDate::from_ymd_opt(2025, 11, 1).unwrap())));
        let at = parse("KXINXU-26NOV24H1600").unwrap();
        assert_eq!(at.instant().unwrap().to_rfc3339(), "2026-11-24T21:00:00+00:00");
        assert_eq!(parse("KXINXU-26XYZ24"), None);
    }
}
