//! Strategy parameters: `configs/strategies.toml` holds every default (required, no silent
//! values), and `calibrate SERIES` writes fitted values to
//! `data/proc/calibration/<strategy>.toml` with its fit window and time; fitted values win.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::drivers::city::City;

/// CPI m/m.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpiParams {
    /// Standard deviation of (nowcast − first print), percentage points.
    pub error_std: f64,
    /// Student-t degrees of freedom.
    pub df: f64,
    /// Share of CPI that is motor fuel (the gasoline adjustment's weight).
    pub gasoline_weight: f64,
    /// Smallest standard deviation used.
    pub min_std: f64,
}

/// Jobless claims.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimsParams {
    /// How much of the recent weekly trend carries into next week (0–1).
    pub damping: f64,
    /// Standard deviation of the weekly change, claims.
    pub weekly_std: f64,
    /// Added to the mean in a week holding a federal holiday, claims.
    pub holiday_effect: f64,
}

/// Ten-year Treasury.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenyParams {
    /// Standard deviation of one business day's change, percentage points.
    pub daily_std: f64,
}

/// Daily highs: configured values for every city, and each city's own fit when calibrated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeatherParams {
    /// Mean of (CLI maximum − forecast high), °F.
    pub bias: f64,
    /// Standard deviation of the same, °F.
    pub error_std: f64,
    /// Fitted for New York (Central Park) by `calibrate KXHIGHNY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nyc: Option<WeatherFit>,
    /// Fitted for Chicago (Midway).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chi: Option<WeatherFit>,
    /// Fitted for Los Angeles (LAX).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lax: Option<WeatherFit>,
}

/// One station's fitted forecast error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeatherFit {
    /// Mean of (CLI maximum − forecast high), °F.
    pub bias: f64,
    /// Standard deviation of the same, °F.
    pub error_std: f64,
}

impl WeatherParams {
    /// The city's slot for a fit.
    fn slot(&mut self, city: City) -> &mut Option<WeatherFit> {
        match city {
            City::NewYork => &mut self.nyc,
            City::Chicago => &mut self.chi,
            City::LosAngeles => &mut self.lax,
        }
    }

    /// Bias and spread for `city`: its fit when there is one, else the configured values.
    pub fn for_city(&self, city: City) -> WeatherFit {
        let fit = match city {
            City::NewYork => self.nyc,
            City::Chicago => self.chi,
            City::LosAngeles => self.lax,
        };
        fit.unwrap_or(WeatherFit { bias: self.bias, error_std: self.error_std })
    }
}

/// Gasoline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GasolineParams {
    /// Standard deviation of one day's change in the AAA average, dollars.
    pub daily_std: f64,
    /// Weight of the EIA weekly trend against AAA's own week (0–1).
    pub eia_weight: f64,
}

/// S&P 500 / Nasdaq-100.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexParams {
    /// Standard deviation of one minute's log return.
    pub minute_vol: f64,
    /// Skew-normal shape (negative: a fatter lower tail).
    pub shape: f64,
    /// Variance multiplier on days with a scheduled release (CPI, FOMC).
    pub event_day_scale: f64,
    /// Variance multiplier for minutes after 15:00 New York (the late-day bump).
    pub late_day_bump: f64,
    /// Nasdaq-100 volatility relative to the S&P 500.
    pub ndx_vol_ratio: f64,
    /// Fitted by `calibrate` for the S&P 500's hourly ladders (absent: the values above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spx_hourly: Option<IndexFit>,
    /// Fitted for the S&P 500's close ladders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spx_close: Option<IndexFit>,
    /// Fitted for the Nasdaq-100's hourly ladders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ndx_hourly: Option<IndexFit>,
    /// Fitted for the Nasdaq-100's close ladders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ndx_close: Option<IndexFit>,
}

/// One symbol's fitted volatility and skew at one horizon.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexFit {
    /// Standard deviation of one minute's log return.
    pub minute_vol: f64,
    /// Skew-normal shape matched to the skewness of returns at the horizon.
    pub shape: f64,
}

impl IndexParams {
    /// The volatility per minute and the skew-normal shape for `symbol` (`I:SPX`, `I:NDX`) at
    /// the `hourly` or close horizon: the fit when there is one, else the configured values
    /// (the Nasdaq-100 scaled by `ndx_vol_ratio`).
    pub fn for_ladder(&self, symbol: &str, hourly: bool) -> (f64, f64) {
        let nasdaq = symbol == "I:NDX";
        let fit = match (nasdaq, hourly) {
            (false, true) => self.spx_hourly,
            (false, false) => self.spx_close,
            (true, true) => self.ndx_hourly,
            (true, false) => self.ndx_close,
        };
        match fit {
            Some(f) => (f.minute_vol, f.shape),
            None => (self.minute_vol * if nasdaq { self.ndx_vol_ratio } else { 1.0 }, self.shape),
        }
    }
}

/// Every strategy's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategyParams {
    /// CPI.
    pub cpi: CpiParams,
    /// Claims.
    pub claims: ClaimsParams,
    /// Ten-year.
    pub teny: TenyParams,
    /// Weather.
    pub weather: WeatherParams,
    /// Gasoline.
    pub gasoline: GasolineParams,
    /// Indices.
    pub index: IndexParams,
}

/// A calibration file: fitted parameters of one strategy and how they were fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// The strategy (`weather`, `index`, …).
    pub strategy: String,
    /// When it was fitted.
    pub fitted_at: DateTime<Utc>,
    /// First day of the fit window.
    pub from: NaiveDate,
    /// Last day of the fit window.
    pub to: NaiveDate,
    /// Observations used.
    pub observations: usize,
    /// The city a weather fit is for (`nyc`, `chi`, `lax`; file `weather_<city>.toml`):
    /// `params` is then that city's bias and spread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// The fitted parameters, as the strategy's table in `strategies.toml`.
    pub params: toml::Table,
}

impl Calibration {
    /// Hours since it was fitted.
    pub fn age_hours(&self, now: DateTime<Utc>) -> f64 {
        (now - self.fitted_at).num_seconds().max(0) as f64 / 3600.0
    }
}

impl StrategyParams {
    /// These parameters with a calibration's fitted values in place (unknown keys are an error).
    pub fn with(mut self, calibration: &Calibration) -> Result<StrategyParams, String> {
        let table = toml::Value::Table(calibration.params.clone());
        let err = |e: toml::de::Error| format!("calibration {}: {e}", calibration.strategy);
        let Some(strategy) = crate::strategies::Strategy::named(&calibration.strategy) else {
            return Err(format!("calibration for unknown strategy `{}`", calibration.strategy));
        };
        match strategy {
            crate::strategies::Strategy::Cpi => self.cpi = table.try_into().map_err(err)?,
            crate::strategies::Strategy::Claims => self.claims = table.try_into().map_err(err)?,
            crate::strategies::Strategy::Teny => self.teny = table.try_into().map_err(err)?,
            crate::strategies::Strategy::Weather => match calibration.city.as_deref() {
                None => self.weather = table.try_into().map_err(err)?,
                Some(code) => {
                    let city = City::ALL
                        .into_iter()
                        .find(|c| c.code() == code)
                        .ok_or_else(|| format!("calibration weather: unknown city `{code}`"))?;
                    *self.weather.slot(city) = Some(table.try_into().map_err(err)?);
                }
            },
            crate::strategies::Strategy::Gasoline => self.gasoline = table.try_into().map_err(err)?,
            crate::strategies::Strategy::Index => self.index = table.try_into().map_err(err)?,
        }
        Ok(self)
    }
}
