//! Point in time, pure: every payload kept, parsed once and merged row by row, and what of it
//! was public before a cutoff. A row is public from an instant read from its own content —
//! never from the file's name or date — under the publication rules below, each at or after
//! the source's documented release time (so a rule can only hide data, never show it early):
//!
//! | source | a row is public from |
//! |---|---|
//! | index bars | the bar's end (its start + 1 minute) |
//! | index snapshot | its `last_updated` |
//! | NWS forecast | the forecast's `updateTime` (a forecast without one is never used) |
//! | BLS CPI, month M | 08:30 ET on the first CPI release day after M; 00:00 ET on the 1st of M+2 when the calendar does not cover it |
//! | Cleveland nowcast point | 10:15 ET on its day |
//! | Treasury 10-year, day D | 18:00 ET on D |
//! | national claims, week ending W | 08:30 ET on W + 5 days (the Thursday release) |
//! | AAA page as of D | 08:00 ET on D |
//! | EIA week of Monday M | 12:00 ET on M + 1 day |
//! | weather outcome of day D (CLI final, Kalshi settlement) | 06:00 local time at the station on D + 1 day |
//!
//! The climate report is the weather outcome itself: it is an input to calibration (the
//! actuals), never to a model scoring that day.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Days, Months, NaiveDate, NaiveTime, Utc};

use crate::drivers::city::City;
use crate::drivers::parse::{bls, claims, gasoline, index, kalshi_history, nowcast, nws, treasury};
use crate::drivers::source::Source;
use crate::schedule::clock_et::{et_instant, local_instant};
use crate::strategies::data::{DataSet, Provenance};

/// The instant `hh:mm` New York time on `day`.
fn et(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    et_instant(day.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN)))
}

/// When the BLS print for the month starting `month` was public: 08:30 ET on the first CPI
/// release day after the month, else (calendar silent) 00:00 ET on the first of M+2.
pub fn bls_public(month: NaiveDate, cpi_releases: &BTreeSet<NaiveDate>) -> DateTime<Utc> {
    let next = month.checked_add_months(Months::new(1)).unwrap_or(NaiveDate::MAX);
    let after_next = month.checked_add_months(Months::new(2)).unwrap_or(NaiveDate::MAX);
    match cpi_releases.range(next..after_next).next() {
        Some(day) => et(*day, 8, 30),
        None => et(after_next, 0, 0),
    }
}

/// When a nowcast point dated `day` was public.
pub fn nowcast_public(day: NaiveDate) -> DateTime<Utc> {
    et(day, 10, 15)
}

/// When the Treasury 10-year par yield of `day` was public.
pub fn treasury_public(day: NaiveDate) -> DateTime<Utc> {
    et(day, 18, 0)
}

/// When national claims for the week ending `week_ended` (a Saturday) were public.
pub fn claims_public(week_ended: NaiveDate) -> DateTime<Utc> {
    et(week_ended.checked_add_days(Days::new(5)).unwrap_or(NaiveDate::MAX), 8, 30)
}

/// When AAA's page as of `day` was public.
pub fn aaa_public(day: NaiveDate) -> DateTime<Utc> {
    et(day, 8, 0)
}

/// When EIA's weekly price for the week of `monday` was public.
pub fn eia_public(monday: NaiveDate) -> DateTime<Utc> {
    et(monday.checked_add_days(Days::new(1)).unwrap_or(NaiveDate::MAX), 12, 0)
}

/// The instant `hh:00` local time at `city`'s station on `day`.
fn station_time(city: City, day: NaiveDate, hour: u32) -> DateTime<Utc> {
    local_instant(city.timezone(), day.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or(NaiveTime::MIN)))
}

/// When the weather outcome of `day` at `city` (the final climate report, Kalshi's
/// settlement) was public: 06:00 local time the next day.
pub fn weather_outcome_public(city: City, day: NaiveDate) -> DateTime<Utc> {
    station_time(city, day.checked_add_days(Days::new(1)).unwrap_or(NaiveDate::MAX), 6)
}

/// When a minute bar starting at `start` was complete.
pub fn bar_public(start: DateTime<Utc>) -> DateTime<Utc> {
    start + chrono::Duration::minutes(1)
}

/// One NWS forecast as issued.
#[derive(Debug, Clone)]
struct Forecast {
    city: City,
    issued: DateTime<Utc>,
    highs: Vec<nws::ForecastHigh>,
    file: String,
}

/// A weather outcome with its instants.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    value: f64,
    public: DateTime<Utc>,
    day_start: DateTime<Utc>,
}

impl Outcome {
    fn of(city: City, day: NaiveDate, value: f64) -> Outcome {
        Outcome { value, public: weather_outcome_public(city, day), day_start: station_time(city, day, 0) }
    }
}

/// The rows public before `before`.
fn before_cut<'a, T: Clone + 'a>(rows: impl Iterator<Item = &'a (T, DateTime<Utc>)>, before: DateTime<Utc>) -> Vec<T> {
    rows.filter(|(_, public)| *public < before).map(|(row, _)| row.clone()).collect()
}

/// `Some` when not empty.
fn some<T>(rows: Vec<T>) -> Option<Vec<T>> {
    (!rows.is_empty()).then_some(rows)
}

/// Every payload kept, parsed and merged (a row seen in several payloads is kept once, as
/// first seen).
#[derive(Debug, Clone, Default)]
pub struct History {
    // Each row with the instant it became public, computed once (time-zone conversions are
    // the costly part of a point-in-time cut made per event).
    bls: BTreeMap<(String, NaiveDate), (bls::Observation, DateTime<Utc>)>,
    nowcast: BTreeMap<(NaiveDate, NaiveDate, String), (nowcast::Point, DateTime<Utc>)>,
    aaa: BTreeMap<NaiveDate, (gasoline::AaaPage, String, DateTime<Utc>)>,
    eia: BTreeMap<NaiveDate, (gasoline::EiaWeek, DateTime<Utc>)>,
    forecasts: Vec<Forecast>,
    bars: BTreeMap<(String, DateTime<Utc>), index::IndexBar>,
    snapshot: Vec<index::IndexValue>,
    treasury: BTreeMap<NaiveDate, (treasury::Yield, DateTime<Utc>)>,
    claims: BTreeMap<NaiveDate, (claims::NationalWeek, DateTime<Utc>)>,
    /// Weather outcomes by city and day (°F): final climate reports and Kalshi settlements.
    outcomes: BTreeMap<(City, NaiveDate), Outcome>,
    /// Files read, by source.
    files: BTreeMap<Source, Vec<String>>,
    /// CPI release days (from `configs/calendars/cpi_release.toml`).
    cpi_releases: BTreeSet<NaiveDate>,
    /// Payloads that could not be read, with why (left out, reported).
    pub unreadable: Vec<String>,
}

impl History {
    /// An empty history knowing the CPI release days.
    pub fn new(cpi_releases: BTreeSet<NaiveDate>) -> History {
        History { cpi_releases, ..History::default() }
    }

    /// Adds one payload of `source` (an unreadable one is remembered in `unreadable`).
    /// Kalshi settlements add the outcomes of `outcome_series` only (another series' values
    /// are not temperatures).
    pub fn add(&mut self, source: Source, bytes: &[u8], file: &str, outcome_series: Option<&str>) {
        if let Err(e) = self.parse(source, bytes, file, outcome_series) {
            self.unreadable.push(format!("{file}: {e}"));
            return;
        }
        self.files.entry(source).or_default().push(file.to_string());
    }

    fn parse(
        &mut self,
        source: Source,
        bytes: &[u8],
        file: &str,
        outcome_series: Option<&str>,
    ) -> Result<(), crate::drivers::parse::DataError> {
        match source {
            Source::Bls => {
                for o in bls::observations(bytes, file)? {
                    let public = bls_public(o.month, &self.cpi_releases);
                    self.bls.entry((o.series_id.clone(), o.month)).or_insert((o, public));
                }
            }
            Source::Nowcast => {
                for p in nowcast::points(bytes, file)? {
                    let public = nowcast_public(p.date);
                    self.nowcast.entry((p.target, p.date, p.series.clone())).or_insert((p, public));
                }
            }
            Source::Aaa => {
                let page = gasoline::aaa(bytes, file)?;
                let public = aaa_public(page.as_of);
                self.aaa.entry(page.as_of).or_insert((page, file.to_string(), public));
            }
            Source::Eia => {
                for w in gasoline::eia(bytes, file)? {
                    let public = eia_public(w.period);
                    self.eia.entry(w.period).or_insert((w, public));
                }
            }
            Source::NwsForecast(city) => {
                let highs = nws::forecast_highs(bytes, file)?;
                if let Some(issued) = highs.first().and_then(|h| h.updated) {
                    let issued = issued.with_timezone(&Utc);
                    self.forecasts.push(Forecast { city, issued, highs, file: file.to_string() });
                }
            }
            Source::NwsCli(city) => {
                let r = nws::station_report(bytes, file, city.cli_site())?;
                if let (false, Some(max)) = (r.preliminary, r.max_f) {
                    self.outcomes.insert((city, r.date), Outcome::of(city, r.date, max as f64));
                }
            }
            Source::KalshiSettled => {
                let Some(city) = outcome_series.and_then(City::for_series) else { return Ok(()) };
                for m in kalshi_history::settled(bytes, file)? {
                    let ours = m.event.split('-').next() == Some(city.series());
                    let day = crate::strategies::event_date::parse(&m.event).map(|d| d.day());
                    let value = m.expiration_value.as_deref().and_then(|v| v.parse::<f64>().ok());
                    if let (true, Some(day), Some(v)) = (ours, day, value) {
                        self.outcomes.entry((city, day)).or_insert_with(|| Outcome::of(city, day, v));
                    }
                }
            }
            Source::IndexAggs => {
                for b in index::aggregates(bytes, file)?.0 {
                    self.bars.entry((b.ticker.clone(), b.start)).or_insert(b);
                }
            }
            Source::IndexSnapshot => self.snapshot.extend(index::snapshot(bytes, file)?),
            Source::Treasury => {
                for y in treasury::curve_csv(bytes, file)? {
                    let public = treasury_public(y.date);
                    self.treasury.entry(y.date).or_insert((y, public));
                }
            }
            Source::Claims => {
                for w in claims::national(bytes, file)? {
                    let public = claims_public(w.week_ended);
                    self.claims.entry(w.week_ended).or_insert((w, public));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// BLS observations public before `before`.
    pub fn bls_before(&self, before: DateTime<Utc>) -> Vec<bls::Observation> {
        before_cut(self.bls.values(), before)
    }

    /// Nowcast points public before `before`.
    pub fn nowcast_before(&self, before: DateTime<Utc>) -> Vec<nowcast::Point> {
        before_cut(self.nowcast.values(), before)
    }

    /// EIA weeks public before `before`.
    pub fn eia_before(&self, before: DateTime<Utc>) -> Vec<gasoline::EiaWeek> {
        before_cut(self.eia.values(), before)
    }

    /// Index minute bars complete before `before`.
    pub fn bars_before(&self, before: DateTime<Utc>) -> Vec<index::IndexBar> {
        self.bars.values().filter(|b| bar_public(b.start) <= before).cloned().collect()
    }

    /// Treasury yields public before `before`.
    pub fn treasury_before(&self, before: DateTime<Utc>) -> Vec<treasury::Yield> {
        before_cut(self.treasury.values(), before)
    }

    /// National claims weeks public before `before`.
    pub fn claims_before(&self, before: DateTime<Utc>) -> Vec<claims::NationalWeek> {
        before_cut(self.claims.values(), before)
    }

    /// `city`'s weather outcomes public before `before`, by day: (day, °F, the day's start
    /// at the station).
    pub fn outcomes_before(&self, city: City, before: DateTime<Utc>) -> Vec<(NaiveDate, f64, DateTime<Utc>)> {
        self.outcomes
            .iter()
            .filter(|((c, _), o)| *c == city && o.public < before)
            .map(|((_, d), o)| (*d, o.value, o.day_start))
            .collect()
    }

    /// Every forecast for `city` issued before `before`: (issue instant, highs).
    pub fn forecasts_before(&self, city: City, before: DateTime<Utc>) -> Vec<(DateTime<Utc>, &[nws::ForecastHigh])> {
        self.forecasts
            .iter()
            .filter(|f| f.city == city && f.issued < before)
            .map(|f| (f.issued, f.highs.as_slice()))
            .collect()
    }

    /// What a strategy deciding at `before` could have read: each source's rows public
    /// before it (the newest forecast, AAA page and snapshot value per index); sources with
    /// nothing public are absent. The CPI release days are the strategies' release days.
    pub fn as_of(&self, before: DateTime<Utc>) -> DataSet {
        let mut data = DataSet { release_days: self.cpi_releases.clone(), ..DataSet::default() };
        data.bls = some(self.bls_before(before));
        data.nowcast = some(self.nowcast_before(before));
        data.eia = some(self.eia_before(before));
        data.index_bars = some(self.bars_before(before));
        data.treasury = some(self.treasury_before(before));
        data.claims = some(self.claims_before(before));
        let newest_page = self.aaa.values().rev().find(|(.., public)| *public < before);
        data.aaa = newest_page.map(|(page, ..)| page.clone());
        let mut forecast_files = Vec::new();
        for city in City::ALL {
            let newest = self
                .forecasts
                .iter()
                .filter(|f| f.city == city && f.issued < before)
                .max_by_key(|f| (f.issued, f.file.clone()));
            if let Some(f) = newest {
                data.forecast.insert(city, f.highs.clone());
                forecast_files.push((Source::NwsForecast(city), f.file.clone()));
            }
        }
        let mut newest: BTreeMap<&str, &index::IndexValue> = BTreeMap::new();
        for v in self.snapshot.iter().filter(|v| v.updated < before) {
            let slot = newest.entry(v.ticker.as_str()).or_insert(v);
            if v.updated > slot.updated {
                *slot = v;
            }
        }
        data.index_snapshot = some(newest.into_values().cloned().collect());
        let present: [(Source, bool, Option<String>); 7] = [
            (Source::Bls, data.bls.is_some(), None),
            (Source::Nowcast, data.nowcast.is_some(), None),
            (Source::Eia, data.eia.is_some(), None),
            (Source::IndexAggs, data.index_bars.is_some(), None),
            (Source::Treasury, data.treasury.is_some(), None),
            (Source::Claims, data.claims.is_some(), None),
            (Source::Aaa, data.aaa.is_some(), newest_page.map(|(_, f, _)| f.clone())),
        ];
        let snapshot = [(Source::IndexSnapshot, data.index_snapshot.is_some(), None)];
        let forecasts = forecast_files.into_iter().map(|(source, file)| (source, true, Some(file)));
        for (source, used, file) in present.into_iter().chain(snapshot).chain(forecasts) {
            if !used {
                continue;
            }
            let files = || self.files.get(&source).map(|f| f.join(", ")).unwrap_or_default();
            data.provenance.insert(
                source.name().to_string(),
                Provenance {
                    origin: format!("history before {}", before.to_rfc3339()),
                    file: file.unwrap_or_else(files),
                    age_secs: None,
                },
            );
        }
        data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn publication_rules_read_the_rows_own_dates() {
        let releases: BTreeSet<NaiveDate> = [d("2026-11-10"), d("2026-12-10")].into();
        // October's print: 08:30 ET (13:30 UTC, standard time) on Nov 10.
        assert_eq!(bls_public(d("2026-10-01"), &releases).to_rfc3339(), "2026-11-10T13:30:00+00:00");
        // A month the calendar does not cover: the first of M+2.
        assert_eq!(bls_public(d("2027-01-01"), &releases).to_rfc3339(), "2027-03-01T05:00:00+00:00");
        // Claims for the week ending Sat Nov 21: Thursday Nov 26 08:30 ET.
        assert_eq!(claims_public(d("2026-11-21")).to_rfc3339(), "2026-11-26T13:30:00+00:00");
        assert_eq!(treasury_public(d("2026-07-01")).to_rfc3339(), "2026-07-01T22:00:00+00:00");
        assert_eq!(weather_outcome_public(City::NewYork, d("2026-11-23")).to_rfc3339(), "2026-11-24T11:00:00+00:00");
        // Los Angeles: 06:00 PST is 14:00 UTC.
        assert_eq!(weather_outcome_public(City::LosAngeles, d("2026-11-23")).to_rfc3339(), "2026-11-24T14:00:00+00:00");
        let start: DateTime<Utc> = "2026-11-24T14:59:00Z".parse().unwrap();
        assert_eq!(bar_public(start).to_rfc3339(), "2026-11-24T15:00:00+00:00");
    }

    #[test]
    fn as_of_keeps_only_what_was_public_and_the_newest_forecast() {
        let forecast = |updated: &str, high: u32| {
            format!(
                r#"{{"properties":{{"updateTime":"{updated}","periods":[{{"name":"Tuesday","startTime":"2026-11-24T06:00:00-05:00","endTime":"2026-11-24T18:00:00-05:00","isDaytime":true,"temperature":{high},"temperatureUnit":"F"}}]}}}}"#
            )
        };
        let mut h = History::new(BTreeSet::new());
        let nyc = Source::NwsForecast(City::NewYork);
        h.add(nyc, forecast("2026-11-23T18:00:00+00:00", 50).as_bytes(), "a.json", None);
        h.add(nyc, forecast("2026-11-24T12:01:00+00:00", 70).as_bytes(), "b.json", None);
        h.add(nyc, b"not json", "c.json", None);
        h.add(
            Source::NwsForecast(City::Chicago),
            forecast("2026-11-23T19:00:00+00:00", 40).as_bytes(),
            "chi.json",
            None,
        );
        assert_eq!(h.unreadable.len(), 1);
        let cutoff: DateTime<Utc> = "2026-11-24T12:00:00Z".parse().unwrap();
        let data = h.as_of(cutoff);
        let highs = &data.forecast[&City::NewYork];
        assert_eq!(highs[0].high_f, 50.0);
        assert_eq!(data.provenance["nws_forecast"].file, "a.json");
        // Each city keeps its own newest forecast.
        assert_eq!(data.forecast[&City::Chicago][0].high_f, 40.0);
        assert_eq!(data.provenance["nws_forecast_chi"].file, "chi.json");
        // One minute later the newer forecast is public.
        let later = h.as_of(cutoff + chrono::Duration::minutes(2));
        assert_eq!(later.forecast[&City::NewYork][0].high_f, 70.0);
        // Before both: nothing.
        assert!(h.as_of("2026-11-20T00:00:00Z".parse().unwrap()).forecast.is_empty());
    }
}
