//! When a backtest decides, pure: `configs/backtest.toml` gives each series a decision time
//! relative to its event — minutes before the event's instant (hourly and close ladders), or a
//! New York wall time on the event day, a day near it, or the release day of a monthly event
//! (the first date of a release calendar after the event's month). Everything a backtest shows
//! the strategy, the book and the fill model is cut at that instant.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Days, Months, NaiveDate, NaiveTime, Utc};
use serde::Deserialize;

use crate::paper::FillAlpha;
use crate::schedule::clock_et::et_instant;
use crate::strategies::event_date::EventDate;

/// `configs/backtest.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacktestConfig {
    /// Fill-α of the backtest's maker fills (absent: `paper.toml`'s).
    #[serde(default)]
    pub fill_alpha: Option<FillAlpha>,
    /// Decision rule by series.
    pub series: BTreeMap<String, DecisionRule>,
}

/// One series' decision time.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRule {
    /// Minutes before the event's instant (its stated time, else 16:00 New York).
    #[serde(default)]
    pub minutes_before: Option<u32>,
    /// New York wall time, `HH:MM`, on the event day (or the release day).
    #[serde(default)]
    pub at: Option<String>,
    /// Days added to that day (−1: the day before).
    #[serde(default)]
    pub day_offset: i64,
    /// Monthly events: the calendar (`configs/calendars/<name>.toml`) whose first date after
    /// the event's month is the day.
    #[serde(default)]
    pub release_calendar: Option<String>,
}

/// Why a decision time cannot be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("decision time: {0}")]
pub struct DecisionError(pub String);

impl DecisionRule {
    /// Checks the rule says exactly one thing.
    pub fn validate(&self) -> Result<(), DecisionError> {
        match (&self.minutes_before, &self.at) {
            (Some(_), Some(_)) => Err(DecisionError("give `minutes_before` or `at`, not both".into())),
            (None, None) => Err(DecisionError("give `minutes_before` or `at`".into())),
            (None, Some(at)) => self.wall_time(at).map(|_| ()),
            (Some(_), None) => Ok(()),
        }
    }

    fn wall_time(&self, at: &str) -> Result<NaiveTime, DecisionError> {
        NaiveTime::parse_from_str(at, "%H:%M").map_err(|_| DecisionError(format!("`at = \"{at}\"` is not HH:MM")))
    }

    /// The decision instant for an event dated `date`; `releases` are the dates of the
    /// rule's release calendar (monthly events).
    pub fn decision_time(
        &self,
        date: EventDate,
        releases: &BTreeSet<NaiveDate>,
    ) -> Result<DateTime<Utc>, DecisionError> {
        if let Some(minutes) = self.minutes_before {
            let instant = date.instant().ok_or_else(|| DecisionError("the event time does not exist".into()))?;
            return Ok(instant - chrono::Duration::minutes(i64::from(minutes)));
        }
        let at = self.wall_time(self.at.as_deref().unwrap_or_default())?;
        let day = match date {
            EventDate::Month(first) => {
                let name = self.release_calendar.as_deref().ok_or_else(|| {
                    DecisionError("a monthly event needs `release_calendar` (its release day)".into())
                })?;
                let next = first.checked_add_months(Months::new(1)).unwrap_or(NaiveDate::MAX);
                let after = first.checked_add_months(Months::new(2)).unwrap_or(NaiveDate::MAX);
                *releases.range(next..after).next().ok_or_else(|| {
                    DecisionError(format!("calendar `{name}` has no release day between {next} and {after}"))
                })?
            }
            EventDate::Day(day) | EventDate::At(day, _) => day,
        };
        let day = if self.day_offset >= 0 {
            day.checked_add_days(Days::new(self.day_offset.unsigned_abs()))
        } else {
            day.checked_sub_days(Days::new(self.day_offset.unsigned_abs()))
        }
        .ok_or_else(|| DecisionError("day offset out of range".into()))?;
        Ok(et_instant(day.and_time(at)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategies::event_date::parse;

    fn rule(text: &str) -> DecisionRule {
        let r: DecisionRule = toml::from_str(text).unwrap();
        r.validate().unwrap();
        r
    }

    #[test]
    fn each_kind_of_rule_gives_its_instant() {
        let none = BTreeSet::new();
        let hourly = rule("minutes_before = 10");
        let t = hourly.decision_time(parse("KXINXU-26NOV24H1200").unwrap(), &none).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-24T16:50:00+00:00");
        let weather = rule("at = \"07:00\"");
        let t = weather.decision_time(parse("KXHIGHNY-26NOV24").unwrap(), &none).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-24T12:00:00+00:00");
        let eve = rule("at = \"15:00\"\nday_offset = -1");
        let t = eve.decision_time(parse("KXHIGHNY-26NOV24").unwrap(), &none).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-23T20:00:00+00:00");
        let cpi = rule("at = \"08:00\"\nrelease_calendar = \"cpi_release\"");
        let releases: BTreeSet<NaiveDate> = ["2026-11-10".parse().unwrap(), "2026-12-10".parse().unwrap()].into();
        let t = cpi.decision_time(parse("KXCPI-26OCT").unwrap(), &releases).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-10T13:00:00+00:00");
        let err = cpi.decision_time(parse("KXCPI-26DEC").unwrap(), &releases).unwrap_err();
        assert!(err.0.contains("no release day between 2027-01-01"), "{err}");
    }

    #[test]
    fn a_rule_must_say_exactly_one_thing() {
        let both: DecisionRule = toml::from_str("minutes_before = 5\nat = \"08:00\"").unwrap();
        assert!(both.validate().is_err());
        let neither: DecisionRule = toml::from_str("day_offset = 1").unwrap();
        assert!(neither.validate().is_err());
        let bad: DecisionRule = toml::from_str("at = \"8 am\"").unwrap();
        assert!(bad.validate().unwrap_err().0.contains("HH:MM"));
    }
}
