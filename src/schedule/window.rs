//! Trading windows (pure): a playbook declares one in its header
//! (`// window: 08:00-08:29 on cpi_release`) or a schedule entry does (`window = {…}`). A run
//! outside its window is refused; `next_opening` says when the next one starts.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveTime, Utc};
use serde::Serialize;

use crate::schedule::Calendar;
use crate::schedule::clock_et::{et, et_instant};

/// A window of New York wall time, optionally only on a calendar's days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TradingWindow {
    /// First minute (inclusive).
    pub start: NaiveTime,
    /// Last minute (inclusive).
    pub end: NaiveTime,
    /// Only on this calendar's days.
    pub calendar: Option<String>,
}

/// A header line that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct WindowError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The window a playbook declares in its leading comment lines, if any.
pub fn declared_window(source: &str) -> Result<Option<TradingWindow>, WindowError> {
    for (i, line) in source.lines().enumerate() {
        let Some(comment) = line.trim().strip_prefix("//") else { break };
        let Some(spec) = comment.trim().strip_prefix("window:") else { continue };
        let err = |message: String| WindowError { line: i + 1, message };
        let mut parts = spec.split_whitespace();
        let range = parts.next().ok_or_else(|| err("window: expected HH:MM-HH:MM".into()))?;
        let (a, b) = range.split_once('-').ok_or_else(|| err(format!("window `{range}`: expected HH:MM-HH:MM")))?;
        let time =
            |t: &str| NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| err(format!("window: `{t}` is not HH:MM")));
        let (start, end) = (time(a)?, time(b)?);
        if end < start {
            return Err(err(format!("window {range}: the end is before the start")));
        }
        let calendar = match (parts.next(), parts.next()) {
            (None, _) => None,
            (Some("on"), Some(name)) => Some(name.to_string()),
            _ => return Err(err("window: expected `HH:MM-HH:MM` or `HH:MM-HH:MM on CALENDAR`".into())),
        };
        return Ok(Some(TradingWindow { start, end, calendar }));
    }
    Ok(None)
}

impl TradingWindow {
    /// `08:00–08:29 ET on cpi_release days`.
    pub fn describe(&self) -> String {
        let days = self.calendar.as_ref().map_or_else(String::new, |c| format!(" on {c} days"));
        format!("{}–{} ET{days}", self.start.format("%H:%M"), self.end.format("%H:%M"))
    }

    fn day_ok(&self, date: chrono::NaiveDate, calendars: &BTreeMap<String, Calendar>) -> bool {
        match &self.calendar {
            None => true,
            Some(name) => calendars.get(name).is_some_and(|c| c.days.contains(&date)),
        }
    }

    /// True when `now` lies inside the window.
    pub fn is_open(&self, now: DateTime<Utc>, calendars: &BTreeMap<String, Calendar>) -> bool {
        let local = et(now);
        let time = local.time();
        self.day_ok(local.date_naive(), calendars)
            && time >= self.start
            && time < self.end + chrono::Duration::minutes(1)
    }

    /// The next instant the window opens after `now` (within a year), or `None`.
    pub fn next_opening(&self, now: DateTime<Utc>, calendars: &BTreeMap<String, Calendar>) -> Option<DateTime<Utc>> {
        let today = et(now).date_naive();
        today
            .iter_days()
            .take(366)
            .filter(|d| self.day_ok(*d, calendars))
            .map(|d| et_instant(d.and_time(self.start)))
            .find(|t| *t > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_open_and_reopen() {
        let w = declared_window("// CPI morning.\n// window: 08:00-08:29 on cpi\nlog(\"x\");\n").unwrap().unwrap();
        assert_eq!(w.describe(), "08:00–08:29 ET on cpi days");
        let cpi = Calendar::parse(
            std::path::Path::new("cpi.toml"),
            "kind = \"dates\"\nfrom = \"2027-01-01\"\nto = \"2027-12-31\"\ndates = [\"2027-03-10\", \"2027-04-13\"]\n",
        )
        .unwrap();
        let calendars: BTreeMap<String, Calendar> = [("cpi".to_string(), cpi)].into();
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert!(w.is_open(t("2027-03-10T13:29:59Z"), &calendars), "08:29:59 EST");
        assert!(!w.is_open(t("2027-03-10T13:30:00Z"), &calendars));
        assert!(!w.is_open(t("2027-03-11T13:10:00Z"), &calendars), "not a release day");
        assert_eq!(w.next_opening(t("2027-03-10T14:00:00Z"), &calendars), Some(t("2027-04-13T12:00:00Z")));
        assert_eq!(declared_window("// Plain.\nlog(1);\n").unwrap(), None);
        assert_eq!(declared_window("// window: 9-10\n").unwrap_err().line, 1);
    }
}
