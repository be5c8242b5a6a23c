//! What a session loads before it decides: configs, market snapshots (fixtures or the
//! exchange), the policy set, and the strategies' data and parameters.

use crate::session::{ScanParamsInput, SessionError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::config::{ConfigError, ScanConfig};
use crate::drivers::fixtures::{FixtureError, load_market_fixtures};
use crate::rules::policy::{PolicyPaths, PolicySet};
use crate::scan::{ScanParams, SeriesSnapshot};

/// Everything the planner needs, loaded and validated.
pub struct Inputs {
    /// Configs.
    pub config: ScanConfig,
    /// Market snapshots per series.
    pub series: Vec<SeriesSnapshot>,
    /// Scanner knobs.
    pub params: ScanParams,
    /// What strategies price from (events without an operator view); none: views only.
    pub strategies: Option<StrategyContext>,
    /// EV honesty's size weights (`reports/_artifacts/ev_honesty.json`), when computed.
    pub honesty: Option<crate::evidence::honesty::EvHonesty>,
}

/// What the strategies price from: driver data, parameters (configured, with calibrations
/// in place) and the calibrations used.
#[derive(Debug, Clone)]
pub struct StrategyContext {
    /// Driver data.
    pub data: crate::strategies::data::DataSet,
    /// Parameters.
    pub params: crate::strategies::params::StrategyParams,
    /// Calibrations applied, by file name (the strategy, or `weather_<city>`).
    pub calibrations: BTreeMap<String, crate::strategies::params::Calibration>,
}

impl StrategyContext {
    /// Loads `configs/strategies.toml`, `configs/data.toml`, the calibrations under
    /// `out_root/data/proc/calibration/`, the CPI release calendar, and the driver data
    /// (`out_root/data/proc`, else `fixtures/data`; `online` sessions never use fixtures).
    pub fn load(
        configs: &Path,
        out_root: &Path,
        fixtures: &Path,
        now: DateTime<Utc>,
        online: bool,
        wanted: Option<&[crate::drivers::source::Source]>,
    ) -> Result<StrategyContext, SessionError> {
        use crate::drivers::source::DataConfig;
        use crate::strategies::params::{Calibration, StrategyParams};
        let mut params: StrategyParams =
            crate::decode::read_toml(&configs.join("strategies.toml")).map_err(ConfigError::from)?;
        let data_config: DataConfig =
            crate::decode::read_toml(&configs.join("data.toml")).map_err(ConfigError::from)?;
        let mut calibrations = BTreeMap::new();
        let dir = out_root.join("data/proc/calibration");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect())
            .unwrap_or_default();
        files.sort();
        for path in files {
            let calibration: Calibration = crate::decode::read_toml(&path).map_err(ConfigError::from)?;
            params = params.with(&calibration).map_err(|message| SessionError::Write {
                path: path.clone(),
                source: std::io::Error::other(message),
            })?;
            // By file name: `weather_chi` and `weather_lax` are calibrations of one strategy.
            let name =
                path.file_stem().map_or_else(|| calibration.strategy.clone(), |s| s.to_string_lossy().to_string());
            calibrations.insert(name, calibration);
        }
        let store = crate::drivers::store::DataStore::new(out_root, fixtures);
        let mut data = crate::research::dataset::load(&store, &data_config, now, online, wanted);
        let releases = configs.join("calendars/cpi_release.toml");
        if let Ok(text) = std::fs::read_to_string(&releases)
            && let Ok(calendar) = crate::schedule::calendar::Calendar::parse(&releases, &text)
        {
            data.release_days = calendar.from_date(chrono::NaiveDate::MIN).collect();
        }
        Ok(StrategyContext { data, params, calibrations })
    }

    /// Hours since the calibration the series' strategy uses was fitted (none: configured values).
    pub fn calibration_age_hours(&self, series: &str, now: DateTime<Utc>) -> Option<f64> {
        let strategy = crate::strategies::Strategy::for_series(series)?;
        self.calibrations.get(&strategy.calibration_name(series)).map(|c| c.age_hours(now))
    }
}

impl Inputs {
    /// Loads configs and turns the fixtures into snapshots (books are "now": age 0).
    pub fn load(
        configs: &Path,
        fixtures: &Path,
        series: &[String],
        params: ScanParamsInput,
    ) -> Result<Inputs, SessionError> {
        let mut inputs = Inputs::configs_only(configs, params)?;
        let mut snapshots = fixture_snapshots(fixtures, series, &inputs.config)?;
        // Planned in the order limits.toml lists the series: the operator's priority for the
        // loss caps the session's series share.
        let allowed = &inputs.config.limits.allowed_series;
        snapshots.sort_by_key(|s| allowed.iter().position(|a| *a == s.ticker).unwrap_or(usize::MAX));
        inputs.series = snapshots;
        Ok(inputs)
    }

    /// Loads configs only (markets come later, e.g. from the exchange).
    pub fn configs_only(configs: &Path, params: ScanParamsInput) -> Result<Inputs, SessionError> {
        let config = ScanConfig::load(configs)?;
        let params = ScanParams {
            min_ev: params.min_ev,
            contracts: params.contracts,
            max_bins: params.max_bins,
            maker_only: params.maker_only,
            rounding: config.fees.rounding,
            kelly_cap: params.kelly_cap,
            sizing: params.sizing.unwrap_or(config.sizing.mode),
        };
        Ok(Inputs { config, series: Vec::new(), params, strategies: None, honesty: None })
    }

    /// These inputs with strategies for the events that have no operator view.
    pub fn with_strategies(
        mut self,
        configs: &Path,
        out_root: &Path,
        fixtures: &Path,
        now: DateTime<Utc>,
        online: bool,
    ) -> Result<Inputs, SessionError> {
        // Offline the series are known: only their strategies' sources are read.
        let mut wanted: Vec<crate::drivers::source::Source> = self
            .series
            .iter()
            .filter_map(|s| crate::strategies::Strategy::for_series(&s.ticker).map(|st| st.sources(&s.ticker)))
            .flatten()
            .collect();
        wanted.sort_by_key(|s| s.name());
        wanted.dedup();
        let wanted = (!self.series.is_empty()).then_some(wanted.as_slice());
        self.strategies = Some(StrategyContext::load(configs, out_root, fixtures, now, online, wanted)?);
        self.honesty = crate::evidence::honesty_file::read_honesty(out_root).map_err(SessionError::Evidence)?;
        // Policy scripts read the same table through `ev_honesty(series, side, p)`.
        crate::rules::api::set_size_weights(
            self.honesty
                .clone()
                .map(|h| std::sync::Arc::new(h) as std::sync::Arc<dyn crate::risk::limits::SizeWeights + Send + Sync>),
        );
        Ok(self)
    }

    /// The size weights the decider applies (EV honesty), when there are any.
    pub fn weights(&self) -> Option<&dyn crate::risk::limits::SizeWeights> {
        self.honesty.as_ref().map(|h| h as &dyn crate::risk::limits::SizeWeights)
    }
}

/// The fixtures under `root` as snapshots, each error naming its file.
pub fn fixture_snapshots(
    root: &Path,
    series: &[String],
    config: &ScanConfig,
) -> Result<Vec<SeriesSnapshot>, SessionError> {
    use crate::feed::snapshot::{from_books, series_fees};
    let mut out = Vec::new();
    for fixture in load_market_fixtures(root, series)? {
        let invalid = |path: &Path, e: crate::feed::snapshot::SnapshotError| FixtureError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let series_path = root.join("kalshi/series").join(format!("{}.json", fixture.series.ticker));
        let fees = series_fees(&fixture.series, &config.fees).map_err(|e| invalid(&series_path, e))?;
        let mut events = Vec::new();
        for ev in &fixture.events {
            let source = ev.path.display().to_string();
            events.push(
                from_books(&fixture.series, &ev.event, &ev.books, 0, &config.fees, &source)
                    .map_err(|e| invalid(&ev.path, e))?,
            );
        }
        out.push(SeriesSnapshot {
            ticker: fixture.series.ticker.clone(),
            title: fixture.series.title.clone(),
            fees,
            events,
            skipped: Vec::new(),
        });
    }
    Ok(out)
}

/// Loads the policy set against the core ceilings, with its own test cases.
pub fn load_policies(policies: &Path, config: &ScanConfig) -> Result<PolicySet, SessionError> {
    let paths = PolicyPaths { policies: policies.to_path_buf(), scripts: None };
    crate::rules::cases::load_checked(&paths, &config.limits).map_err(SessionError::Policy)
}
