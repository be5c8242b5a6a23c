//! `calibrate SERIES`: gathers a strategy's history from every payload kept (cached raw files
//! and bundled fixtures), fits its parameters (pure fits in `strategies::calibrate`) within an
//! optional window, and writes `data/proc/calibration/<strategy>.toml` atomically with the
//! fit window, time and observation count. The scan then uses the fitted values and the gate
//! reads their age (`calibration_age_hours`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use indicatif::ProgressBar;

use crate::drivers::parse::{self, kalshi_history, nws};
use crate::drivers::source::Source;
use crate::drivers::store::DataStore;
use crate::strategies::calibrate as fit;
use crate::strategies::params::{Calibration, StrategyParams};
use crate::strategies::{Strategy, event_date};

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

/// Weather pairs: for each settled day in the window, the forecast high from the latest
/// forecast issued before that day, and the settled maximum.
pub fn weather_pairs(
    forecasts: &[(Option<DateTime<chrono::FixedOffset>>, Vec<nws::ForecastHigh>)],
    actuals: &BTreeMap<NaiveDate, f64>,
) -> Vec<(NaiveDate, f64, f64)> {
    let mut pairs = Vec::new();
    for (day, actual) in actuals {
        let best = forecasts
            .iter()
            .filter_map(|(issued, highs)| {
                let issued = (*issued)?;
                (issued.date_naive() < *day).then_some(())?;
                highs.iter().find(|h| h.date == *day).map(|h| (issued, h.high_f))
            })
            .max_by_key(|(issued, _)| *issued);
        if let Some((_, forecast)) = best {
            pairs.push((*day, forecast, *actual));
        }
    }
    pairs
}

/// Fits the strategy of `series` and writes its calibration file; returns it and its path.
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
    let too_few = |found: usize, needed: usize, hint: &str| CalibrateError::TooFew {
        strategy: strategy.to_string(),
        found,
        needed,
        hint: hint.to_string(),
    };
    let (table, dates, observations): (toml::Table, Vec<NaiveDate>, usize) = match strategy {
        Strategy::Weather => {
            let mut forecasts = Vec::new();
            for (path, bytes) in payloads(store, Source::NwsForecast, bar) {
                if let Ok(highs) = nws::forecast_highs(&bytes, &path.display().to_string()) {
                    forecasts.push((highs.first().and_then(|h| h.updated), highs));
                }
            }
            let mut actuals = BTreeMap::new();
            for (path, bytes) in payloads(store, Source::KalshiSettled, bar) {
                let settled = kalshi_history::settled(&bytes, &path.display().to_string()).unwrap_or_default();
                // Only this series' settlements: another series' values are not temperatures.
                for m in settled.into_iter().filter(|m| m.event.split('-').next() == Some(series)) {
                    let (Some(day), Some(v)) =
                        (event_date::parse(&m.event), m.expiration_value.and_then(|v| v.parse::<f64>().ok()))
                    else {
                        continue;
                    };
                    actuals.insert(day.day(), v);
                }
            }
            for (path, bytes) in payloads(store, Source::NwsCli, bar) {
                if let Ok(r) = nws::climate_report(&bytes, &path.display().to_string())
                    && let (false, Some(max)) = (r.preliminary, r.max_f)
                {
                    actuals.insert(r.date, max as f64);
                }
            }
            actuals.retain(|d, _| within(*d, from, to));
            let pairs = weather_pairs(&forecasts, &actuals);
            let (bias, error_std) = fit::weather(&pairs.iter().map(|(_, f, a)| (*f, *a)).collect::<Vec<_>>())
                .ok_or_else(|| {
                    too_few(pairs.len(), 2, "data fetch nws_forecast, nws_cli; kalshi_settled --series KXHIGHNY")
                })?;
            let mut p = defaults.weather;
            p.bias = bias;
            p.error_std = error_std.max(0.5);
            (toml::Table::try_from(p).map_err(|e| io(&e))?, pairs.iter().map(|(d, ..)| *d).collect(), pairs.len())
        }
        Strategy::Index => {
            let mut bars = BTreeMap::new();
            for (path, bytes) in payloads(store, Source::IndexAggs, bar) {
                if let Ok((bs, _)) = parse::index::aggregates(&bytes, &path.display().to_string()) {
                    for b in bs.into_iter().filter(|b| within(b.start.date_naive(), from, to)) {
                        bars.insert((b.ticker.clone(), b.start), b);
                    }
                }
            }
            let bars: Vec<_> = bars.into_values().collect();
            let (vol, n) = fit::minute_vol(&bars).ok_or_else(|| too_few(bars.len(), 3, "data fetch index_aggs"))?;
            let mut p = defaults.index;
            p.minute_vol = vol;
            (toml::Table::try_from(p).map_err(|e| io(&e))?, bars.iter().map(|b| b.start.date_naive()).collect(), n)
        }
        Strategy::Cpi => {
            let newest = payloads(store, Source::Nowcast, bar)
                .into_iter()
                .next()
                .ok_or_else(|| too_few(0, 2, "data fetch nowcast"))?;
            let points: Vec<_> = parse::nowcast::points(&newest.1, &newest.0.display().to_string())
                .map_err(|e| io(&e))?
                .into_iter()
                .filter(|p| within(p.target, from, to))
                .collect();
            let errors = fit::nowcast_errors(&points, "CPI Inflation", "Actual CPI Inflation");
            let (_, std) =
                crate::strategies::mean_std(&errors).ok_or_else(|| too_few(errors.len(), 2, "data fetch nowcast"))?;
            let mut p = defaults.cpi;
            p.error_std = std.max(p.min_std);
            (toml::Table::try_from(p).map_err(|e| io(&e))?, points.iter().map(|p| p.target).collect(), errors.len())
        }
        Strategy::Claims => {
            let newest = payloads(store, Source::Claims, bar)
                .into_iter()
                .next()
                .ok_or_else(|| too_few(0, 3, "data fetch claims"))?;
            let weeks: Vec<_> = parse::claims::national(&newest.1, &newest.0.display().to_string())
                .map_err(|e| io(&e))?
                .into_iter()
                .filter(|w| within(w.week_ended, from, to))
                .collect();
            let (std, damping, holiday, n) =
                fit::claims(&weeks).ok_or_else(|| too_few(weeks.len(), 3, "data fetch claims"))?;
            let p = crate::strategies::params::ClaimsParams { damping, weekly_std: std, holiday_effect: holiday };
            (toml::Table::try_from(p).map_err(|e| io(&e))?, weeks.iter().map(|w| w.week_ended).collect(), n)
        }
        Strategy::Teny => {
            let newest = payloads(store, Source::Treasury, bar)
                .into_iter()
                .next()
                .ok_or_else(|| too_few(0, 3, "data fetch treasury"))?;
            let yields: Vec<_> = parse::treasury::curve_csv(&newest.1, &newest.0.display().to_string())
                .map_err(|e| io(&e))?
                .into_iter()
                .filter(|y| within(y.date, from, to))
                .collect();
            let (std, n) = fit::teny(&yields).ok_or_else(|| too_few(yields.len(), 3, "data fetch treasury"))?;
            let p = crate::strategies::params::TenyParams { daily_std: std };
            (toml::Table::try_from(p).map_err(|e| io(&e))?, yields.iter().map(|y| y.date).collect(), n)
        }
        Strategy::Gasoline => {
            let newest =
                payloads(store, Source::Eia, bar).into_iter().next().ok_or_else(|| too_few(0, 3, "data fetch eia"))?;
            let weeks: Vec<_> = parse::gasoline::eia(&newest.1, &newest.0.display().to_string())
                .map_err(|e| io(&e))?
                .into_iter()
                .filter(|w| within(w.period, from, to))
                .collect();
            let prices: Vec<f64> = weeks.iter().filter_map(|w| w.price.as_deref()?.parse().ok()).collect();
            let (std, n) = fit::gasoline(&prices).ok_or_else(|| too_few(prices.len(), 3, "data fetch eia"))?;
            let mut p = defaults.gasoline;
            p.daily_std = std;
            (toml::Table::try_from(p).map_err(|e| io(&e))?, weeks.iter().map(|w| w.period).collect(), n)
        }
    };
    let (first, last) = fit::window(dates.into_iter()).ok_or_else(|| too_few(0, 1, "no dated observations"))?;
    let calibration = Calibration {
        strategy: strategy.to_string(),
        fitted_at: now,
        from: first,
        to: last,
        observations,
        params: table,
    };
    // The fitted values must read back as the strategy's parameters.
    defaults.with(&calibration).map_err(|e| io(&e))?;
    let path = out_root.join("data/proc/calibration").join(format!("{strategy}.toml"));
    let text = toml::to_string(&calibration).map_err(|e| io(&e))?;
    crate::storage::write_atomic(&path, text.as_bytes()).map_err(|e| io(&e))?;
    Ok((calibration, path))
}
