//! Where model distributions come from, pure: an operator's view (`views.toml`) when one is
//! configured for the event, else the series' strategy fed by driver data and calibrated (or
//! configured) parameters. Drivers hand the data in; nothing here reads a file or a clock.

pub mod calibrate;
pub mod claims;
pub mod cpi;
pub mod data;
pub mod event_date;
pub mod gasoline;
pub mod index;
pub mod params;
pub mod scoring;
pub mod teny;
pub mod views;
pub mod weather;

use crate::strategies::data::DataSet;
use crate::strategies::params::StrategyParams;
use crate::strategies::views::View;

/// Why a strategy could not price an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{series} strategy for {event}: {message}")]
pub struct StrategyError {
    /// Series.
    pub series: String,
    /// Event.
    pub event: String,
    /// Why (which input is missing or stale).
    pub message: String,
}

/// A strategy's view of one event, with what it was made from.
#[derive(Debug, Clone, PartialEq)]
pub struct Priced {
    /// The distribution and settlement grid (its `note` says how it was made).
    pub view: View,
    /// Oldest input used, seconds (the gate's `data_age_secs`), when known.
    pub data_age_secs: Option<f64>,
}

/// The strategy for `series`, if the project has one.
pub fn strategy_name(series: &str) -> Option<&'static str> {
    Some(match series {
        "KXCPI" | "KXCPICORE" => "cpi",
        "KXJOBLESSCLAIMS" => "claims",
        "KXTNOTED" | "KXTNOTEW" => "teny",
        "KXHIGHNY" => "weather",
        "KXAAAGASD" | "KXAAAGASW" | "KXAAAGASM" => "gasoline",
        "KXINX" | "KXINXU" | "KXNASDAQ100" | "KXNASDAQ100U" => "index",
        _ => return None,
    })
}

/// Prices `event` of `series` from `data`; `Ok(None)` when the series has no strategy. Time
/// comes from the data itself (each input's as-of), never a clock.
pub fn price(
    series: &str,
    event: &str,
    data: &DataSet,
    params: &StrategyParams,
) -> Result<Option<Priced>, StrategyError> {
    let fail = |message: String| StrategyError { series: series.into(), event: event.into(), message };
    let Some(name) = strategy_name(series) else { return Ok(None) };
    let priced = match name {
        "cpi" => cpi::price(series, event, data, &params.cpi),
        "claims" => claims::price(event, data, &params.claims),
        "teny" => teny::price(event, data, &params.teny),
        "weather" => weather::price(event, data, &params.weather),
        "gasoline" => gasoline::price(event, data, &params.gasoline),
        _ => index::price(series, event, data, &params.index),
    };
    priced.map(Some).map_err(fail)
}

/// Mean and sample standard deviation.
pub fn mean_std(values: &[f64]) -> Option<(f64, f64)> {
    if values.len() < 2 {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Some((mean, var.sqrt()))
}
