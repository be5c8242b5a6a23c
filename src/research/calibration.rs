//! `calibrate SERIES`: gathers a strategy's history from every payload kept (cached raw files
//! and bundled fixtures), fits its parameters (pure fits in `strategies::calibrate`) within an
//! optional window, and writes `data/proc/calibration/<strategy>.toml` atomically with the
//! fit window, time and observation count. The scan then uses the fitted values and the gate
//! reads their age (`calibration_age_hours`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use indicatif::ProgressBar;

use crate::drivers::city::City;
use crate::drivers::parse::nws;
use crate::drivers::source::Source;
use crate::drivers::store::DataStore;
use crate::research::history::History;
use crate::strategies::Strategy;
use crate::strategies::calibrate as fit;
use crate::strategies::params::{Calibration, StrategyParams};

/// Why a calibration could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    /// The series has no strategy.
    #[error("{0}: no strategy to calibrate")]
    NoStrategy(String),
    /// Too little history in the window.
    #[error("{strategy}: {found} observation(s) in the window, at least {needed} needed ({hint})")]
    TooFew {
        /// Strategy.
        strategy: String,
        /// Observations found.
        found: usize,
        /// Needed.
        needed: usize,
        /// Which data to fetch.
        hint: String,
    },
    /// A config, payload or file.
    #[error("{0}")]
    Io(String),
}

/// Every payload kept for `source` (cache first, then fixtures), each once.
pub fn payloads(store: &DataStore, source: Source, bar: &ProgressBar) -> Vec<(PathBuf, Vec<u8>)> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for path in store.cached(source).into_iter().chain(store.fixtures(source)) {
        bar.set_message(format!("{}: {}", source.name(), path.display()));
        if let Ok(bytes) = std::fs::read(&path)
            && seen.insert(crate::drivers::store::sha256_hex(&bytes))
        {
            out.push((path, bytes));
        }
        bar.inc(1);
    }
    out
}

fn within(d: NaiveDate, from: Option<NaiveDate>, to: Option<NaiveDate>) -> bool {
    from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t)
}

/// The sources the fit for `series` reads (weather: the series' city's).
pub fn fit_sources(strategy: Strategy, series: &str) -> Vec<Source> {
    match strategy {
        Strategy::Weather => City::for_series(series)
            .map(|c| vec![Source::NwsForecast(c), Source::KalshiSettled, Source::NwsCli(c)])
            .unwrap_or_default(),
        Strategy::Index => vec![Source::IndexAggs],
        Strategy::Cpi => vec![Source::Nowcast],
        Strategy::Claims => vec![Source::Claims],
        Strategy::Teny => vec![Source::Treasury],
        Strategy::Gasoline => vec![Source::Eia],
    }
}

/// Every payload kept for `sources`, parsed into one history (weather outcomes of `series`
/// only); `cpi_releases` date the BLS prints.
pub fn gather(
    store: &DataStore,
    sources: &[Source],
    series: &str,
    cpi_releases: BTreeSet<NaiveDate>,
    bar: &ProgressBar,
) -> History {
    let mut history = History::new(cpi_releases);
    for source in sources {
        for (path, bytes) in payloads(store, *source, bar) {
            history.add(*source, &bytes, &path.display().to_string(), Some(series));
        }
    }
    history
}

/// Weather pairs: for each settled day (with its New York start) in the window, the forecast high from the latest
/// forecast issued before that day (New York), and the settled maximum.
pub fn weather_pairs(
    forecasts: &[(DateTime<Utc>, &[nws::ForecastHigh])],
    actuals: &[(NaiveDate, f64, DateTime<Utc>)],
) -> Vec<(NaiveDate, f64, f64)> {
    // By issue time (stable: among equal times the later-listed wins, as before); each day
    // looks back from its start to the newest forecast that covers it.
    let mut sorted: Vec<&(DateTime<Utc>, &[nws::ForecastHigh])> = forecasts.iter().collect();
    sorted.sort_by_key(|(issued, _)| *issued);
    let mut pairs = Vec::new();
    for (day, actual, day_starts) in actuals {
        let issued_before = sorted.partition_point(|(issued, _)| issued < day_starts);
        let best = sorted[..issued_before]
            .iter()
            .rev()
            .find_map(|(_, highs)| highs.iter().find(|h| h.date == *day).map(|h| h.high_f));
        if let Some(forecast) = best {
            pairs.push((*day, forecast, *actual));
        }
    }
    pairs
}

fn to_table<T: serde::Serialize>(params: T) -> Result<toml::Table, CalibrateError> {
    toml::Table::try_from(params).map_err(|e| CalibrateError::Io(e.to_string()))
}

/// A fit: the fitted parameters (as the strategy's table), the observations' dates and count.
#[derive(Debug, Clone)]
pub struct Fit {
    /// The strategy's parameters, fitted.
    pub params: toml::Table,
    /// The observations' dates.
    pub dates: Vec<NaiveDate>,
    /// Observations used.
    pub observations: usize,
}

/// Fits `strategy` for `series` on the observations of `history` dated in the window and
/// public before `before` (a backtest's decision time; `DateTime::<Utc>::MAX_UTC` for
/// everything kept). A weather fit is the series' city's [`WeatherFit`].
///
/// [`WeatherFit`]: crate::strategies::params::WeatherFit
pub fn fit(
    strategy: Strategy,
    series: &str,
    defaults: &StrategyParams,
    history: &History,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    before: DateTime<Utc>,
) -> Result<Fit, CalibrateError> {
    let too_few = |found: usize, needed: usize, hint: &str| CalibrateError::TooFew {
        strategy: strategy.to_string(),
        found,
        needed,
        hint: hint.to_string(),
    };
    let (params, dates, observations) = match strategy {
        Strategy::Weather => {
            let city = City::for_series(series).ok_or_else(|| CalibrateError::NoStrategy(series.to_string()))?;
            let mut actuals = history.outcomes_before(city, before);
            actuals.retain(|(d, ..)| within(*d, from, to));
            let pairs = weather_pairs(&history.forecasts_before(city, before), &actuals);
            let (bias, error_std) = fit::weather(&pairs.iter().map(|(_, f, a)| (*f, *a)).collect::<Vec<_>>())
                .ok_or_else(|| {
                    let hint = format!(
                        "data fetch {}, {}; kalshi_settled --series {}",
                        Source::NwsForecast(city),
                        Source::NwsCli(city),
                        city.series()
                    );
                    too_few(pairs.len(), 2, &hint)
                })?;
            let p = crate::strategies::params::WeatherFit { bias, error_std: error_std.max(0.5) };
            (to_table(p)?, pairs.iter().map(|(d, ..)| *d).collect(), pairs.len())
        }
        Strategy::Index => {
            let bars: Vec<_> =
                history.bars_before(before).into_iter().filter(|b| within(b.start.date_naive(), from, to)).collect();
            let (vol, n) = fit::minute_vol(&bars).ok_or_else(|| too_few(bars.len(), 3, "data fetch index_aggs"))?;
            let mut p = defaults.index;
            p.minute_vol = vol;
            // Per symbol and horizon: hourly ladders (60-minute returns) and close ladders
            // (each minute to the day's last bar), the skew matched to those returns.
            let fitted = |symbol: &str, horizon: Option<i64>| {
                fit::index_fit(&bars, symbol, horizon)
                    .map(|(minute_vol, shape, _)| crate::strategies::params::IndexFit { minute_vol, shape })
            };
            p.spx_hourly = fitted("I:SPX", Some(60));
            p.spx_close = fitted("I:SPX", None);
            p.ndx_hourly = fitted("I:NDX", Some(60));
            p.ndx_close = fitted("I:NDX", None);
            (to_table(p)?, bars.iter().map(|b| b.start.date_naive()).collect(), n)
        }
        Strategy::Cpi => {
            let points: Vec<_> =
                history.nowcast_before(before).into_iter().filter(|p| within(p.target, from, to)).collect();
            let errors = fit::nowcast_errors(&points, "CPI Inflation", "Actual CPI Inflation");
            let (_, std) =
                crate::strategies::mean_std(&errors).ok_or_else(|| too_few(errors.len(), 2, "data fetch nowcast"))?;
            let mut p = defaults.cpi;
            p.error_std = std.max(p.min_std);
            (to_table(p)?, points.iter().map(|p| p.target).collect(), errors.len())
        }
        Strategy::Claims => {
            let weeks: Vec<_> =
                history.claims_before(before).into_iter().filter(|w| within(w.week_ended, from, to)).collect();
            let (std, damping, holiday, n) =
                fit::claims(&weeks).ok_or_else(|| too_few(weeks.len(), 3, "data fetch claims"))?;
            let p = crate::strategies::params::ClaimsParams { damping, weekly_std: std, holiday_effect: holiday };
            (to_table(p)?, weeks.iter().map(|w| w.week_ended).collect(), n)
        }
        Strategy::Teny => {
            let yields: Vec<_> =
                history.treasury_before(before).into_iter().filter(|y| within(y.date, from, to)).collect();
            let (std, n) = fit::teny(&yields).ok_or_else(|| too_few(yields.len(), 3, "data fetch treasury"))?;
            let p = crate::strategies::params::TenyParams { daily_std: std };
            (to_table(p)?, yields.iter().map(|y| y.date).collect(), n)
        }
        Strategy::Gasoline => {
            let weeks: Vec<_> = history.eia_before(before).into_iter().filter(|w| within(w.period, from, to)).collect();
            let prices: Vec<f64> = weeks.iter().filter_map(|w| w.price.as_deref()?.parse().ok()).collect();
            let (std, n) = fit::gasoline(&prices).ok_or_else(|| too_few(prices.len(), 3, "data fetch eia"))?;
            let mut p = defaults.gasoline;
            p.daily_std = std;
            (to_table(p)?, weeks.iter().map(|w| w.period).collect(), n)
        }
    };
    Ok(Fit { params, dates, observations })
}

/// The city a weather calibration of `series` is for (`None` for other strategies).
pub fn city_of(strategy: Strategy, series: &str) -> Option<String> {
    (strategy == Strategy::Weather).then(|| City::for_series(series).map(|c| c.code().to_string())).flatten()
}

/// Fits the strategy of `series` on everything kept and writes its calibration file; returns
/// it and its path.
#[allow(clippy::too_many_arguments)]
pub fn calibrate(
    series: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    configs: &Path,
    store: &DataStore,
    out_root: &Path,
    now: DateTime<Utc>,
    bar: &ProgressBar,
) -> Result<(Calibration, PathBuf), CalibrateError> {
    let strategy = Strategy::for_series(series).ok_or_else(|| CalibrateError::NoStrategy(series.to_string()))?;
    let io = |e: &dyn std::fmt::Display| CalibrateError::Io(e.to_string());
    let defaults: StrategyParams = crate::decode::read_toml(&configs.join("strategies.toml")).map_err(|e| io(&e))?;
    let history = gather(store, &fit_sources(strategy, series), series, BTreeSet::new(), bar);
    // A payload left out would bias the fit without a word: refuse and name it.
    if !history.unreadable.is_empty() {
        return Err(CalibrateError::Io(format!("payloads that do not parse: {}", history.unreadable.join("; "))));
    }
    let Fit { params: table, dates, observations } =
        fit(strategy, series, &defaults, &history, from, to, DateTime::<Utc>::MAX_UTC)?;
    let too_few = |found: usize, needed: usize, hint: &str| CalibrateError::TooFew {
        strategy: strategy.to_string(),
        found,
        needed,
        hint: hint.to_string(),
    };
    let (first, last) = fit::window(dates.into_iter()).ok_or_else(|| too_few(0, 1, "no dated observations"))?;
    let calibration = Calibration {
        strategy: strategy.to_string(),
        fitted_at: now,
        from: first,
        to: last,
        observations,
        city: city_of(strategy, series),
        params: table,
    };
    // The fitted values must read back as the strategy's parameters.
    defaults.with(&calibration).map_err(|e| io(&e))?;
    let path = out_root.join("data/proc/calibration").join(format!("{}.toml", strategy.calibration_name(series)));
    let text = toml::to_string(&calibration).map_err(|e| io(&e))?;
    crate::storage::write_atomic(&path, text.as_bytes()).map_err(|e| io(&e))?;
    Ok((calibration, path))
}
