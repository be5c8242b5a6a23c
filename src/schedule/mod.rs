//! The schedule of named playbooks (`configs/schedule.toml`) and the calendars it may name,
//! parsed, validated and evaluated in New York time. Pure: files come in as text and time as
//! an argument; `exec` reads the files and runs what comes due.
//!
//! An entry runs by a cron rule in `America/New_York` (`when = "30 8 * * MON-FRI"`, parsed by
//! `croner`), optionally only on a calendar's days (`days = "exchange"`), or at a time on each
//! day of a named calendar (`calendar = "cpi_release"`, `at = "08:20"`). DST rules are in
//! [`clock_et`].

pub mod calendar;
pub mod clock_et;
pub mod window;

use crate::model::BrokerKind;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, NaiveTime, Utc};
use croner::Cron;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use toml::Spanned;

pub use calendar::Calendar;
use clock_et::{et, et_instant, show_et};
use window::TradingWindow;

/// A schedule or calendar file that cannot be used: `FILE:LINE: message`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}:{line}: {message}", path.display())]
pub struct ScheduleError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line (1 when the problem is the whole file).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl ScheduleError {
    /// An error at a byte span of `text`.
    pub fn at(path: &Path, text: &str, span: Option<std::ops::Range<usize>>, message: &str) -> ScheduleError {
        let line = span.map_or(1, |s| calendar::line_of(text, s.start));
        ScheduleError { path: path.to_path_buf(), line, message: message.trim().to_string() }
    }
}

/// What to do about runs missed while the daemon was down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Missed {
    /// Forget them.
    Skip,
    /// Run once on start, however many were missed.
    RunOnce,
}

impl Missed {
    /// `skip` or `run_once`.
    pub fn as_str(self) -> &'static str {
        match self {
            Missed::Skip => "skip",
            Missed::RunOnce => "run_once",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    start: String,
    end: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    playbook: Spanned<String>,
    broker: BrokerKind,
    #[serde(default)]
    online: bool,
    #[serde(default)]
    when: Option<Spanned<String>>,
    #[serde(default)]
    days: Option<Spanned<String>>,
    #[serde(default)]
    calendar: Option<Spanned<String>>,
    #[serde(default)]
    at: Option<Spanned<String>>,
    #[serde(default)]
    window: Option<Spanned<RawWindow>>,
    missed: Missed,
    max_runtime: Spanned<String>,
    #[serde(default = "enabled")]
    enabled: bool,
}

fn enabled() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    entries: BTreeMap<String, Spanned<RawEntry>>,
}

/// When an entry runs.
#[derive(Debug, Clone)]
pub enum When {
    /// A cron rule in New York time, optionally only on a calendar's days.
    Cron {
        /// The rule as written.
        rule: String,
        /// The parsed rule.
        cron: Box<Cron>,
        /// Only on this calendar's days.
        days: Option<String>,
    },
    /// At a New York time on each day of a calendar.
    Calendar {
        /// Calendar name.
        calendar: String,
        /// Time of day.
        at: NaiveTime,
    },
}

impl When {
    /// `30 8 * * MON-FRI` or `cpi_release at 08:20`.
    pub fn describe(&self) -> String {
        match self {
            When::Cron { rule, days: None, .. } => rule.clone(),
            When::Cron { rule, days: Some(d), .. } => format!("{rule} on {d} days"),
            When::Calendar { calendar, at } => format!("{calendar} at {}", at.format("%H:%M")),
        }
    }
}

/// One named entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Entry name.
    pub name: String,
    /// Playbook (`scripts/<playbook>.rhai`).
    pub playbook: String,
    /// Broker.
    pub broker: BrokerKind,
    /// Live market data.
    pub online: bool,
    /// When.
    pub when: When,
    /// A trading window the run must start inside.
    pub window: Option<TradingWindow>,
    /// Policy for runs missed while down.
    pub missed: Missed,
    /// Longest a run may take before it is stopped.
    pub max_runtime: Duration,
    /// Disabled entries are listed but never run.
    pub enabled: bool,
    /// Line of the entry in its file.
    pub line: usize,
}

/// The whole schedule, validated against its calendars.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Entries by name.
    pub entries: Vec<Entry>,
    /// The calendars, by name.
    pub calendars: BTreeMap<String, Calendar>,
}

/// One upcoming run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    /// Entry name.
    pub entry: String,
    /// Playbook.
    pub playbook: String,
    /// New York time with zone and offset.
    pub et: String,
    /// The instant.
    pub utc: DateTime<Utc>,
}

/// `90s`, `15m`, `2h` (a positive whole number and a unit).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let n: u64 = number.parse().ok()?;
    let secs = match unit {
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        _ => return None,
    };
    (secs > 0).then(|| Duration::from_secs(secs))
}

fn parse_hhmm(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text, "%H:%M").ok()
}

impl Schedule {
    /// Parses `schedule.toml`'s text against the loaded calendars; `playbooks` are the names
    /// that exist (each entry's playbook must be one).
    pub fn parse(
        path: &Path,
        text: &str,
        calendars: BTreeMap<String, Calendar>,
        playbooks: &[String],
    ) -> Result<Schedule, ScheduleError> {
        let raw: RawSchedule =
            toml::from_str(text).map_err(|e| ScheduleError::at(path, text, e.span(), e.message()))?;
        let err = |span: std::ops::Range<usize>, message: String| ScheduleError::at(path, text, Some(span), &message);
        let calendar_named = |s: &Spanned<String>| {
            if calendars.contains_key(s.get_ref()) {
                Ok(s.get_ref().clone())
            } else {
                let known: Vec<&String> = calendars.keys().collect();
                Err(err(s.span(), format!("no calendar `{}` (known: {known:?})", s.get_ref())))
            }
        };
        let mut entries = Vec::new();
        for (name, spanned) in raw.entries {
            let span = spanned.span();
            let e = spanned.into_inner();
            if !playbooks.iter().any(|p| p == e.playbook.get_ref()) {
                return Err(err(
                    e.playbook.span(),
                    format!("entry {name}: no playbook scripts/{}.rhai", e.playbook.get_ref()),
                ));
            }
            let when = match (&e.when, &e.calendar, &e.at) {
                (Some(rule), None, None) => When::Cron {
                    rule: rule.get_ref().clone(),
                    cron: Box::new(
                        Cron::from_str(rule.get_ref())
                            .map_err(|c| err(rule.span(), format!("entry {name}: `{}`: {c}", rule.get_ref())))?,
                    ),
                    days: e.days.as_ref().map(calendar_named).transpose()?,
                },
                (None, Some(cal), Some(at)) => When::Calendar {
                    calendar: calendar_named(cal)?,
                    at: parse_hhmm(at.get_ref())
                        .ok_or_else(|| err(at.span(), format!("entry {name}: at `{}` is not HH:MM", at.get_ref())))?,
                },
                _ => {
                    return Err(err(
                        span,
                        format!("entry {name}: give either `when` (a cron rule) or `calendar` with `at`"),
                    ));
                }
            };
            if e.days.is_some() && e.when.is_none() {
                return Err(err(span, format!("entry {name}: `days` only goes with a cron `when`")));
            }
            let window = e
                .window
                .as_ref()
                .map(|w| {
                    let r = w.get_ref();
                    match (parse_hhmm(&r.start), parse_hhmm(&r.end)) {
                        (Some(start), Some(end)) if start <= end => Ok(TradingWindow { start, end, calendar: None }),
                        _ => Err(err(w.span(), format!("entry {name}: window needs start <= end, both HH:MM"))),
                    }
                })
                .transpose()?;
            let max_runtime = parse_duration(e.max_runtime.get_ref()).ok_or_else(|| {
                err(
                    e.max_runtime.span(),
                    format!("entry {name}: max_runtime `{}` is not like 90s, 15m or 2h", e.max_runtime.get_ref()),
                )
            })?;
            entries.push(Entry {
                name,
                playbook: e.playbook.get_ref().clone(),
                broker: e.broker,
                online: e.online,
                when,
                window,
                missed: e.missed,
                max_runtime,
                enabled: e.enabled,
                line: calendar::line_of(text, span.start),
            });
        }
        Ok(Schedule { entries, calendars })
    }

    /// The next run of `entry` strictly after `after`, or `None` when its rule or calendar has
    /// none within a year (or the calendar's data ends).
    pub fn next_of(&self, entry: &Entry, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match &entry.when {
            When::Cron { cron, days, .. } => {
                let calendar = days.as_ref().and_then(|d| self.calendars.get(d));
                let mut local: NaiveDateTime = et(after).naive_local();
                let horizon = local + chrono::Duration::days(366);
                while local < horizon {
                    local = cron.find_next_occurrence(&local, false).ok()?;
                    let instant = et_instant(local);
                    let on_day = calendar.is_none_or(|c| c.days.contains(&local.date()));
                    if instant > after && on_day {
                        return Some(instant);
                    }
                }
                None
            }
            When::Calendar { calendar, at } => {
                let c = self.calendars.get(calendar)?;
                c.from_date(et(after).date_naive()).map(|d| et_instant(d.and_time(*at))).find(|t| *t > after)
            }
        }
    }

    /// The next `count` runs of the enabled entries after `after`, in time order (ties by
    /// entry name).
    pub fn next_runs(&self, after: DateTime<Utc>, count: usize) -> Vec<Run> {
        let mut cursors: Vec<(DateTime<Utc>, &Entry)> =
            self.entries.iter().filter(|e| e.enabled).filter_map(|e| Some((self.next_of(e, after)?, e))).collect();
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let Some(i) = (0..cursors.len()).min_by(|a, b| {
                let (ta, ea) = cursors[*a];
                let (tb, eb) = cursors[*b];
                ta.cmp(&tb).then_with(|| ea.name.cmp(&eb.name))
            }) else {
                break;
            };
            let (t, e) = cursors[i];
            out.push(Run { entry: e.name.clone(), playbook: e.playbook.clone(), et: show_et(t), utc: t });
            match self.next_of(e, t) {
                Some(next) => cursors[i] = (next, e),
                None => {
                    cursors.swap_remove(i);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendars() -> BTreeMap<String, Calendar> {
        let exchange = Calendar::parse(
            Path::new("exchange.toml"),
            "kind = \"trading_days\"\nfrom = \"2027-01-01\"\nto = \"2027-12-31\"\nholidays = [\"2027-11-25\"]\n",
        )
        .unwrap();
        [("exchange".to_string(), exchange)].into()
    }

    fn schedule(text: &str) -> Result<Schedule, ScheduleError> {
        Schedule::parse(Path::new("configs/schedule.toml"), text, calendars(), &["daily_scan".to_string()])
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn cron_entries_follow_new_york_across_dst_and_holidays() {
        let s = schedule(
            "[entries.hourly]\nplaybook = \"daily_scan\"\nbroker = \"dry\"\nwhen = \"30 2 * * *\"\nmissed = \"skip\"\nmax_runtime = \"10m\"\n\
             [entries.open]\nplaybook = \"daily_scan\"\nbroker = \"paper\"\nwhen = \"0 10 * * MON-FRI\"\ndays = \"exchange\"\nmissed = \"run_once\"\nmax_runtime = \"1h\"\n",
        )
        .unwrap();
        let runs = s.next_runs(t("2027-03-13T12:00:00Z"), 3);
        let got: Vec<(&str, &str)> = runs.iter().map(|r| (r.entry.as_str(), r.et.as_str())).collect();
        assert_eq!(
            got,
            [
                ("hourly", "2027-03-14 03:00:00 EDT (-04:00)"), // 02:30 does not exist: right after the gap
                ("hourly", "2027-03-15 02:30:00 EDT (-04:00)"),
                ("open", "2027-03-15 10:00:00 EDT (-04:00)"),
            ]
        );
        let thanksgiving = s.next_runs(t("2027-11-24T16:00:00Z"), 4);
        let opens: Vec<&str> = thanksgiving.iter().filter(|r| r.entry == "open").map(|r| r.et.as_str()).collect();
        assert_eq!(opens, ["2027-11-26 10:00:00 EST (-05:00)"], "no run on the holiday");
        let fall = s.next_runs(t("2027-11-06T12:00:00Z"), 2);
        assert_eq!(fall[0].et, "2027-11-07 02:30:00 EST (-05:00)");
    }

    #[test]
    fn repeated_times_run_once_and_gap_times_collapse() {
        let s = schedule(
            "[entries.late]\nplaybook = \"daily_scan\"\nbroker = \"dry\"\nwhen = \"30 1 * * *\"\nmissed = \"skip\"\nmax_runtime = \"10m\"\n\
             [entries.half]\nplaybook = \"daily_scan\"\nbroker = \"dry\"\nwhen = \"*/30 1-3 14 3 *\"\nmissed = \"skip\"\nmax_runtime = \"10m\"\n",
        )
        .unwrap();
        let late = s.entries.iter().find(|e| e.name == "late").unwrap();
        // 01:30 on 2027-11-07 happens at 05:30Z (EDT) and 06:30Z (EST): one run, the first.
        let first = s.next_of(late, t("2027-11-07T00:00:00Z")).unwrap();
        assert_eq!(first, t("2027-11-07T05:30:00Z"));
        assert_eq!(s.next_of(late, first).unwrap(), t("2027-11-08T06:30:00Z"));
        // From inside the repeated hour (01:15 EST), the 01:30 that already ran is not run again.
        assert_eq!(s.next_of(late, t("2027-11-07T06:15:00Z")).unwrap(), t("2027-11-08T06:30:00Z"));
        // 01:00, 01:30, [02:00, 02:30 missing], 03:00, 03:30 on 2027-03-14.
        let half = s.entries.iter().find(|e| e.name == "half").unwrap();
        let mut at = t("2027-03-14T00:00:00Z");
        let mut shown = Vec::new();
        for _ in 0..5 {
            at = s.next_of(half, at).unwrap();
            shown.push(show_et(at));
        }
        assert_eq!(
            shown,
            [
                "2027-03-14 01:00:00 EST (-05:00)",
                "2027-03-14 01:30:00 EST (-05:00)",
                "2027-03-14 03:00:00 EDT (-04:00)",
                "2027-03-14 03:30:00 EDT (-04:00)",
                "2028-03-14 01:00:00 EDT (-04:00)",
            ]
        );
    }

    #[test]
    fn entry_problems_name_the_line() {
        let e = schedule("[entries.x]\nplaybook = \"daily_scan\"\nbroker = \"dry\"\nwhen = \"61 8 * * *\"\nmissed = \"skip\"\nmax_runtime = \"10m\"\n")
            .unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        let e = schedule("[entries.x]\nplaybook = \"nope\"\nbroker = \"dry\"\nwhen = \"0 8 * * *\"\nmissed = \"skip\"\nmax_runtime = \"10m\"\n")
            .unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (2, "entry x: no playbook scripts/nope.rhai"));
        let e = schedule("[entries.x]\nplaybook = \"daily_scan\"\nbroker = \"dry\"\ncalendar = \"cpi\"\nat = \"08:20\"\nmissed = \"skip\"\nmax_runtime = \"10m\"\n")
            .unwrap_err();
        assert_eq!(e.line, 4);
        let e = schedule("[entries.x]\nplaybook = \"daily_scan\"\nbroker = \"dry\"\nwhen = \"0 8 * * *\"\nmissed = \"skip\"\nmax_runtime = \"soon\"\n")
            .unwrap_err();
        assert_eq!(e.line, 6);
        assert!(
            schedule("[entries.x]\nplaybook = \"daily_scan\"\nbroker = \"cash\"\n")
                .unwrap_err()
                .to_string()
                .starts_with("configs/schedule.toml:3:")
        );
    }
}
