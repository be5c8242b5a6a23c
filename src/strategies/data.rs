//! The parsed driver data strategies read, each with where it came from and how old it is.
//! Filled by `research::dataset` (I/O); strategies only read it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::drivers::city::City;
use crate::drivers::parse::{bls, claims, gasoline, index, nowcast, nws, treasury};

/// Where one input came from and its age.
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    /// `network`, `cache`, `fixture`.
    pub origin: String,
    /// The raw file.
    pub file: String,
    /// Seconds since it was fetched (fixtures: since installed, or none).
    pub age_secs: Option<f64>,
}

/// How old a model's inputs are: the oldest input's fetch age and its source. `secs` is
/// `None` when an input has no fetch time (a bundled fixture); `source` is empty when no
/// input was used.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct InputAge {
    /// Seconds since the oldest input was fetched (`None`: unknown).
    pub secs: Option<f64>,
    /// That input's source.
    pub source: String,
}

impl InputAge {
    /// The older of two: unknown wins (it may be anything), then the larger age.
    pub fn older(self, other: InputAge) -> InputAge {
        match (&self.secs, &other.secs) {
            _ if other.source.is_empty() => self,
            _ if self.source.is_empty() => other,
            (None, _) => self,
            (_, None) => other,
            (Some(a), Some(b)) => {
                if b > a {
                    other
                } else {
                    self
                }
            }
        }
    }
}

/// Every input a strategy may read (absent when no table or fixture exists).
#[derive(Debug, Clone, Default)]
pub struct DataSet {
    /// BLS CPI observations.
    pub bls: Option<Vec<bls::Observation>>,
    /// Cleveland Fed nowcast points.
    pub nowcast: Option<Vec<nowcast::Point>>,
    /// AAA national average page.
    pub aaa: Option<gasoline::AaaPage>,
    /// EIA weekly retail gasoline.
    pub eia: Option<Vec<gasoline::EiaWeek>>,
    /// NWS forecast highs, by city.
    pub forecast: BTreeMap<City, Vec<nws::ForecastHigh>>,
    /// NWS climate report, by city.
    pub climate: BTreeMap<City, nws::ClimateReport>,
    /// S&P 500 minute bars.
    pub index_bars: Option<Vec<index::IndexBar>>,
    /// Index snapshot values.
    pub index_snapshot: Option<Vec<index::IndexValue>>,
    /// Ten-year yields.
    pub treasury: Option<Vec<treasury::Yield>>,
    /// National weekly claims.
    pub claims: Option<Vec<claims::NationalWeek>>,
    /// Days with a scheduled release that moves indices (CPI; from the calendars).
    pub release_days: BTreeSet<NaiveDate>,
    /// Provenance by source name.
    pub provenance: BTreeMap<String, Provenance>,
}

impl DataSet {
    /// The age of the inputs among `sources` that are present: the oldest one's, with its
    /// name; unknown (and that source named) as soon as one of them has no fetch time.
    pub fn oldest(&self, sources: &[&str]) -> InputAge {
        let mut oldest = InputAge { secs: Some(0.0), source: String::new() };
        for (name, p) in sources.iter().filter_map(|s| Some((*s, self.provenance.get(*s)?))) {
            match (p.age_secs, oldest.secs) {
                (None, _) => return InputAge { secs: None, source: name.to_string() },
                (Some(age), Some(so_far)) if oldest.source.is_empty() || age > so_far => {
                    oldest = InputAge { secs: Some(age), source: name.to_string() };
                }
                _ => {}
            }
        }
        oldest
    }

    /// `source (origin)` for notes.
    pub fn describe(&self, source: &str) -> String {
        match self.provenance.get(source) {
            Some(p) => format!("{source} ({})", p.origin),
            None => format!("{source} (none)"),
        }
    }
}
