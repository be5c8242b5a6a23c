//! New York wall time to instants, with the project's DST rules (pure):
//!
//! * a local time that does not exist (spring forward, 02:00–02:59 on the second Sunday of
//!   March) runs at the first instant after the gap (03:00 EDT);
//! * a local time that happens twice (fall back, 01:00–01:59 on the first Sunday of November)
//!   runs once, at its first occurrence (EDT).

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::America::New_York;
use chrono_tz::Tz;

/// The instant a New York wall time stands for, under the rules above.
pub fn et_instant(local: NaiveDateTime) -> DateTime<Utc> {
    local_instant(New_York, local)
}

/// The instant a wall time in `zone` stands for, under the same rules.
pub fn local_instant(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Walk forward a minute at a time to the first wall time after the gap (New York's
            // gaps last an hour; no zone's lasts a day).
            let mut probe = local.with_second(0).unwrap_or(local);
            for _ in 0..(24 * 60) {
                probe += Duration::minutes(1);
                if let Some(t) = zone.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            Utc.from_utc_datetime(&local)
        }
    }
}

/// An instant in New York time.
pub fn et(t: DateTime<Utc>) -> DateTime<Tz> {
    t.with_timezone(&New_York)
}

/// `2027-03-14 03:00:00 EDT (-04:00)`: New York time with its zone and UTC offset.
pub fn show_et(t: DateTime<Utc>) -> String {
    et(t).format("%Y-%m-%d %H:%M:%S %Z (%:z)").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn gaps_run_after_the_gap_and_repeats_run_once_first() {
        // 2027-03-14: 02:00 EST jumps to 03:00 EDT.
        assert_eq!(et_instant(local("2027-03-14 02:30")).to_rfc3339(), "2027-03-14T07:00:00+00:00");
        assert_eq!(et_instant(local("2027-03-14 01:59")).to_rfc3339(), "2027-03-14T06:59:00+00:00");
        assert_eq!(et_instant(local("2027-03-14 03:00")).to_rfc3339(), "2027-03-14T07:00:00+00:00");
        // 2027-11-07: 01:30 happens at 05:30Z (EDT) and 06:30Z (EST); the first one wins.
        assert_eq!(et_instant(local("2027-11-07 01:30")).to_rfc3339(), "2027-11-07T05:30:00+00:00");
        assert_eq!(show_et(et_instant(local("2027-11-07 01:30"))), "2027-11-07 01:30:00 EDT (-04:00)");
        assert_eq!(show_et(et_instant(local("2027-11-07 02:00"))), "2027-11-07 02:00:00 EST (-05:00)");
    }
}
