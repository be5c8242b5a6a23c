//! The parsed driver data strategies read, each with where it came from and how old it is.
//! Filled by `exec::dataset` (I/O); strategies only read it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

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
    /// NWS forecast highs.
    pub forecast: Option<Vec<nws::ForecastHigh>>,
    /// NWS climate report.
    pub climate: Option<nws::ClimateReport>,
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
    /// The oldest age among `sources` that have one.
    pub fn oldest(&self, sources: &[&str]) -> Option<f64> {
        sources.iter().filter_map(|s| self.provenance.get(*s)?.age_secs).reduce(f64::max)
    }

    /// `source (origin)` for notes.
    pub fn describe(&self, source: &str) -> String {
        match self.provenance.get(source) {
            Some(p) => format!("{source} ({})", p.origin),
            None => format!("{source} (none)"),
        }
    }
}
