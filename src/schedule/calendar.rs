//! Named calendars (`configs/calendars/*.toml`), parsed and validated from text (pure): the
//! exchange's trading days (weekdays less holidays, with early closes), lists of release
//! dates (CPI), and weekly releases with holiday shifts (jobless claims on Thursdays).
//! Every date is checked; a problem names the file and line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use serde::Deserialize;
use toml::Spanned;

use crate::schedule::ScheduleError;

/// The kinds of calendar files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    /// Monday to Friday, less `holidays`.
    TradingDays,
    /// Exactly the listed `dates`.
    Dates,
    /// Every `weekday`, moved by `shifts` in holiday weeks.
    Weekly,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    kind: Kind,
    /// First date the file speaks for.
    from: Spanned<String>,
    /// Last date the file speaks for.
    to: Spanned<String>,
    #[serde(default)]
    holidays: Vec<Spanned<String>>,
    #[serde(default)]
    early_closes: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    dates: Vec<Spanned<String>>,
    #[serde(default)]
    weekday: Option<Spanned<String>>,
    #[serde(default)]
    shifts: BTreeMap<String, Spanned<String>>,
}

/// A validated calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// Its name (the file stem).
    pub name: String,
    /// First date covered.
    pub from: NaiveDate,
    /// Last date covered.
    pub to: NaiveDate,
    /// The days it names, in order.
    pub days: BTreeSet<NaiveDate>,
    /// Early closes (trading-day calendars).
    pub early_closes: BTreeMap<NaiveDate, NaiveTime>,
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

impl Calendar {
    /// Parses and validates a calendar file's text.
    pub fn parse(path: &Path, text: &str) -> Result<Calendar, ScheduleError> {
        let name = path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        let file: CalendarFile =
            toml::from_str(text).map_err(|e| ScheduleError::at(path, text, e.span(), e.message()))?;
        let err = |span: std::ops::Range<usize>, message: String| ScheduleError::at(path, text, Some(span), &message);
        let date = |s: &Spanned<String>| {
            NaiveDate::parse_from_str(s.get_ref(), "%Y-%m-%d")
                .map_err(|_| err(s.span(), format!("`{}` is not a date (YYYY-MM-DD)", s.get_ref())))
        };
        let (from, to) = (date(&file.from)?, date(&file.to)?);
        if to < from {
            return Err(err(file.to.span(), format!("`to` {to} is before `from` {from}")));
        }
        let in_range = |d: NaiveDate, s: &Spanned<String>| {
            if d < from || d > to { Err(err(s.span(), format!("{d} is outside {from}..{to}"))) } else { Ok(d) }
        };
        let mut days = BTreeSet::new();
        let mut early_closes = BTreeMap::new();
        let unused = |what: &str, present: bool, span: std::ops::Range<usize>| {
            if present {
                Err(err(span, format!("`{what}` does not belong in a {:?} calendar", file.kind)))
            } else {
                Ok(())
            }
        };
        match file.kind {
            Kind::TradingDays => {
                unused("dates", !file.dates.is_empty(), file.dates.first().map_or(0..0, |d| d.span()))?;
                let mut holidays = BTreeSet::new();
                for h in &file.holidays {
                    let d = in_range(date(h)?, h)?;
                    if d.weekday().number_from_monday() > 5 {
                        return Err(err(h.span(), format!("holiday {d} is a {}, not a weekday", d.weekday())));
                    }
                    if !holidays.insert(d) {
                        return Err(err(h.span(), format!("holiday {d} is listed twice")));
                    }
                }
                days = from
                    .iter_days()
                    .take_while(|d| *d <= to)
                    .filter(|d| d.weekday().number_from_monday() <= 5 && !holidays.contains(d))
                    .collect();
                for (day, time) in &file.early_closes {
                    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d")
                        .map_err(|_| err(time.span(), format!("early close `{day}` is not a date (YYYY-MM-DD)")))?;
                    if !days.contains(&d) {
                        return Err(err(time.span(), format!("early close {d} is not a trading day")));
                    }
                    let t = NaiveTime::parse_from_str(time.get_ref(), "%H:%M")
                        .map_err(|_| err(time.span(), format!("early close time `{}` is not HH:MM", time.get_ref())))?;
                    early_closes.insert(d, t);
                }
            }
            Kind::Dates => {
                unused("holidays", !file.holidays.is_empty(), file.holidays.first().map_or(0..0, |d| d.span()))?;
                for s in &file.dates {
                    let d = in_range(date(s)?, s)?;
                    if !days.insert(d) {
                        return Err(err(s.span(), format!("date {d} is listed twice")));
                    }
                }
            }
            Kind::Weekly => {
                let weekday = file
                    .weekday
                    .as_ref()
                    .ok_or_else(|| err(0..0, "a weekly calendar needs `weekday` (Mon..Sun)".to_string()))?;
                let wd: Weekday = weekday
                    .get_ref()
                    .parse()
                    .map_err(|_| err(weekday.span(), format!("`{}` is not a weekday", weekday.get_ref())))?;
                days = from.iter_days().take_while(|d| *d <= to).filter(|d| d.weekday() == wd).collect();
                for (usual, moved) in &file.shifts {
                    let u = NaiveDate::parse_from_str(usual, "%Y-%m-%d")
                        .map_err(|_| err(moved.span(), format!("shift `{usual}` is not a date (YYYY-MM-DD)")))?;
                    if !days.remove(&u) {
                        return Err(err(moved.span(), format!("shift {u} is not a {wd} of this calendar")));
                    }
                    let m = in_range(date(moved)?, moved)?;
                    if (m - u).num_days().abs() > 3 || m == u {
                        return Err(err(moved.span(), format!("shift {u} → {m} must move the release 1 to 3 days")));
                    }
                    days.insert(m);
                }
            }
        }
        Ok(Calendar { name, from, to, days, early_closes })
    }

    /// True when the calendar's data covers `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        date >= self.from && date <= self.to
    }

    /// The calendar's days from `date` on, in order.
    pub fn from_date(&self, date: NaiveDate) -> impl Iterator<Item = NaiveDate> + '_ {
        self.days.range(date..).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Calendar, ScheduleError> {
        Calendar::parse(Path::new("configs/calendars/x.toml"), text)
    }

    #[test]
    fn trading_days_skip_weekends_and_holidays() {
        let c = parse(
            "kind = \"trading_days\"\nfrom = \"2027-11-22\"\nto = \"2027-11-30\"\nholidays = [\"2027-11-25\"]\n[early_closes]\n\"2027-11-26\" = \"13:00\"\n",
        )
        .unwrap();
        let days: Vec<String> = c.days.iter().map(|d| d.to_string()).collect();
        assert_eq!(days, ["2027-11-22", "2027-11-23", "2027-11-24", "2027-11-26", "2027-11-29", "2027-11-30"]);
        assert_eq!(c.early_closes[&"2027-11-26".parse().unwrap()].to_string(), "13:00:00");
    }

    #[test]
    fn weekly_releases_move_in_holiday_weeks() {
        let c = parse(
            "kind = \"weekly\"\nweekday = \"Thu\"\nfrom = \"2027-11-15\"\nto = \"2027-12-05\"\n[shifts]\n\"2027-11-25\" = \"2027-11-24\"\n",
        )
        .unwrap();
        let days: Vec<String> = c.days.iter().map(|d| d.to_string()).collect();
        assert_eq!(days, ["2027-11-18", "2027-11-24", "2027-12-02"]);
    }

    #[test]
    fn problems_name_file_and_line() {
        let e = parse("kind = \"dates\"\nfrom = \"2027-01-01\"\nto = \"2027-12-31\"\ndates = [\n  \"2027-01-13\",\n  \"2027-02-30\",\n]\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "configs/calendars/x.toml:6: `2027-02-30` is not a date (YYYY-MM-DD)");
        let e =
            parse("kind = \"trading_days\"\nfrom = \"2027-01-01\"\nto = \"2027-12-31\"\nholidays = [\"2027-01-02\"]\n")
                .unwrap_err()
                .to_string();
        assert!(e.starts_with("configs/calendars/x.toml:4: holiday 2027-01-02 is a Sat"), "{e}");
        let e = parse("kind = \"weekly\"\nweekday = \"Thu\"\nfrom = \"2027-01-01\"\nto = \"2027-12-31\"\n[shifts]\n\"2027-11-24\" = \"2027-11-23\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("configs/calendars/x.toml:6: shift 2027-11-24 is not a Thu"), "{e}");
        assert!(
            parse("kind = \"dates\"\nfrom = \"2027-01-01\"\nto = \"2027-12-31\"\nbogus = 1\n")
                .unwrap_err()
                .to_string()
                .contains(":4")
        );
    }
}
