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
    /// How old the inputs used are (the gate's `model_data_age_secs`).
    pub input_age: crate::strategies::data::InputAge,
}

/// The strategies, one per kind of ladder. Every match on a strategy is over this enum, so a
/// new one cannot be forgotten by a `_ =>` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Strategy {
    /// CPI: nowcast plus gasoline.
    Cpi,
    /// Initial jobless claims: damped trend and holidays.
    Claims,
    /// The 10-year Treasury yield.
    Teny,
    /// Daily high temperature.
    Weather,
    /// AAA gasoline.
    Gasoline,
    /// S&P 500 and Nasdaq-100, hourly and close.
    Index,
}

impl Strategy {
    /// Every strategy.
    pub const ALL: [Strategy; 6] =
        [Strategy::Cpi, Strategy::Claims, Strategy::Teny, Strategy::Weather, Strategy::Gasoline, Strategy::Index];

    /// The strategy for `series`, if the project has one.
    pub fn for_series(series: &str) -> Option<Strategy> {
        Some(match series {
            "KXCPI" | "KXCPICORE" => Strategy::Cpi,
            "KXJOBLESSCLAIMS" => Strategy::Claims,
            "KXTNOTED" | "KXTNOTEW" => Strategy::Teny,
            "KXHIGHNY" | "KXHIGHCHI" | "KXHIGHLAX" => Strategy::Weather,
            "KXAAAGASD" | "KXAAAGASW" | "KXAAAGASM" => Strategy::Gasoline,
            "KXINX" | "KXINXU" | "KXNASDAQ100" | "KXNASDAQ100U" => Strategy::Index,
            _ => return None,
        })
    }

    /// Its name in configs and calibration files (`cpi`, `weather`, …).
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Cpi => "cpi",
            Strategy::Claims => "claims",
            Strategy::Teny => "teny",
            Strategy::Weather => "weather",
            Strategy::Gasoline => "gasoline",
            Strategy::Index => "index",
        }
    }

    /// The driver sources its pricing of `series` reads (weather: the series' city's).
    pub fn sources(self, series: &str) -> Vec<crate::drivers::source::Source> {
        use crate::drivers::source::Source;
        match self {
            Strategy::Cpi => vec![Source::Nowcast, Source::Aaa],
            Strategy::Claims => vec![Source::Claims],
            Strategy::Teny => vec![Source::Treasury],
            Strategy::Weather => crate::drivers::city::City::for_series(series)
                .map(|c| vec![Source::NwsForecast(c), Source::NwsCli(c)])
                .unwrap_or_default(),
            Strategy::Gasoline => vec![Source::Aaa, Source::Eia],
            Strategy::Index => vec![Source::IndexAggs, Source::IndexSnapshot],
        }
    }

    /// The calibration file's name (without `.toml`) for `series`: the strategy's name, or
    /// `weather_<city>` for a daily-high city (each station is fitted on its own).
    pub fn calibration_name(self, series: &str) -> String {
        match (self, crate::drivers::city::City::for_series(series)) {
            (Strategy::Weather, Some(city)) => format!("weather_{}", city.code()),
            _ => self.name().to_string(),
        }
    }

    /// The strategy a calibration file names.
    pub fn named(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
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
    let Some(strategy) = Strategy::for_series(series) else { return Ok(None) };
    let priced = match strategy {
        Strategy::Cpi => cpi::price(series, event, data, &params.cpi),
        Strategy::Claims => claims::price(event, data, &params.claims),
        Strategy::Teny => teny::price(event, data, &params.teny),
        Strategy::Weather => weather::price(series, event, data, &params.weather),
        Strategy::Gasoline => gasoline::price(event, data, &params.gasoline),
        Strategy::Index => index::price(series, event, data, &params.index),
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

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::drivers::city::City;
    use crate::drivers::parse::{gasoline, nowcast, nws};
    use crate::model::{Ladder, Rung, Strike};
    use crate::pricing::distribution::{Distribution, model_pmf};

    fn params() -> StrategyParams {
        toml::from_str(
            &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/configs/strategies.toml")).unwrap(),
        )
        .unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn weather_pmf_by_hand() {
        let data = DataSet {
            forecast: [(
                City::NewYork,
                vec![nws::ForecastHigh { date: day(2026, 11, 25), high_f: 49.0, updated: None }],
            )]
            .into(),
            ..DataSet::default()
        };
        let priced = price("KXHIGHNY", "KXHIGHNY-26NOV25", &data, &params()).unwrap().unwrap();
        assert_eq!(priced.view.model, Distribution::Normal { mean: 48.6, std: 2.2 });
        // P(49 ≤ high ≤ 50) with whole-degree settlement = Φ((50.5−48.6)/2.2) − Φ((48.5−48.6)/2.2).
        let ladder = Ladder::build(vec![
            Rung { ticker: "lo".into(), strike: Strike::Less { cap: 49.0 } },
            Rung { ticker: "mid".into(), strike: Strike::Between { floor: 49.0, cap: 50.0 } },
            Rung { ticker: "hi".into(), strike: Strike::Greater { floor: 50.0 } },
        ])
        .unwrap();
        let pmf = model_pmf(&ladder, &priced.view.model.cdf_fn().unwrap(), priced.view.resolution);
        assert!((pmf.yes_prob[1] - 0.324_233_656_748_886_66).abs() < 1e-12, "{}", pmf.yes_prob[1]);
        // A final climate report for the day pins it.
        let pinned = DataSet {
            climate: [(
                City::NewYork,
                nws::ClimateReport {
                    date: day(2026, 11, 25),
                    max_f: Some(51),
                    record: false,
                    preliminary: false,
                    site: Some("NYC".into()),
                },
            )]
            .into(),
            ..data.clone()
        };
        let p = price("KXHIGHNY", "KXHIGHNY-26NOV25", &pinned, &params()).unwrap().unwrap();
        assert_eq!(p.view.model, Distribution::Normal { mean: 51.0, std: 0.2 });
        // Another city reads only its own station: New York's forecast does not price Chicago,
        // and Chicago's fit is its own.
        let err = price("KXHIGHCHI", "KXHIGHCHI-26NOV25", &data, &params()).unwrap_err();
        assert!(err.message.contains("no NWS forecast for Chicago Midway"), "{err}");
        let mut chicago = data.clone();
        chicago
            .forecast
            .insert(City::Chicago, vec![nws::ForecastHigh { date: day(2026, 11, 25), high_f: 38.0, updated: None }]);
        let mut fitted = params();
        fitted.weather.chi = Some(params::WeatherFit { bias: 1.5, error_std: 3.0 });
        let p = price("KXHIGHCHI", "KXHIGHCHI-26NOV25", &chicago, &fitted).unwrap().unwrap();
        assert_eq!(p.view.model, Distribution::Normal { mean: 39.5, std: 3.0 });
        let p = price("KXHIGHNY", "KXHIGHNY-26NOV25", &chicago, &fitted).unwrap().unwrap();
        assert_eq!(p.view.model, Distribution::Normal { mean: 48.6, std: 2.2 }, "New York keeps the configured values");
    }

    #[test]
    fn cpi_gasoline_adjustment_by_hand() {
        let point =
            |date, value| nowcast::Point { target: day(2025, 11, 1), date, series: "CPI Inflation".into(), value };
        let row = |label: &str, regular: &str| gasoline::AaaRow { label: label.into(), regular: regular.into() };
        let data = DataSet {
            nowcast: Some(vec![point(day(2025, 12, 1), 0.25), point(day(2025, 12, 6), 0.27)]),
            aaa: Some(gasoline::AaaPage {
                as_of: day(2025, 12, 9),
                rows: vec![row("Current Avg.", "3.412"), row("Week Ago Avg.", "3.430")],
            }),
            ..DataSet::default()
        };
        let p = price("KXCPI", "KXCPI-25NOV", &data, &params()).unwrap().unwrap();
        // 0.035 × (3.412/3.430 − 1) × 100 × 3/7 days since the nowcast = −0.0078717…
        let Distribution::StudentT { location, scale, df } = p.view.model else { panic!("{:?}", p.view.model) };
        assert!((location - 0.262_128_279_883_381_8).abs() < 1e-12, "{location}");
        assert_eq!((scale, df, p.view.resolution), (0.11, 6.0, Some(0.1)));
        // Core CPI has no gasoline adjustment; an event without a nowcast is an error naming it.
        let err = price("KXCPI", "KXCPI-25OCT", &data, &params()).unwrap_err();
        assert!(err.to_string().contains("no CPI Inflation for 2025-10"), "{err}");
    }

    #[test]
    fn gasoline_and_ten_year_by_hand() {
        let row = |label: &str, regular: &str| gasoline::AaaRow { label: label.into(), regular: regular.into() };
        let week = |d, p: &str| gasoline::EiaWeek { period: d, price: Some(p.into()) };
        let data = DataSet {
            aaa: Some(gasoline::AaaPage {
                as_of: day(2025, 12, 9),
                rows: vec![row("Current Avg.", "3.412"), row("Week Ago Avg.", "3.430")],
            }),
            eia: Some(vec![week(day(2025, 12, 1), "3.351"), week(day(2025, 12, 8), "3.397")]),
            treasury: Some(vec![
                crate::drivers::parse::treasury::Yield { date: day(2026, 11, 20), ten_year: Some("4.40".into()) },
                crate::drivers::parse::treasury::Yield { date: day(2026, 11, 23), ten_year: Some("4.42".into()) },
            ]),
            ..DataSet::default()
        };
        let p = price("KXAAAGASD", "KXAAAGASD-25DEC14", &data, &params()).unwrap().unwrap();
        let Distribution::Normal { mean, std } = p.view.model else { panic!() };
        assert!(
            (mean - 3.412_857_142_857_143).abs() < 1e-12 && (std - 0.013_416_407_864_998_74).abs() < 1e-12,
            "{mean} {std}"
        );
        // 10-year: from Monday 11-23 to Wednesday 11-25 is two business days.
        let t = price("KXTNOTED", "KXTNOTED-26NOV25", &data, &params()).unwrap().unwrap();
        let Distribution::Normal { mean, std } = t.view.model else { panic!() };
        assert_eq!(mean, 4.42);
        assert!((std - 0.055 * 2f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn index_scale_by_hand() {
        use crate::drivers::parse::index::IndexBar;
        let at = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 24, 19, 59, 0).unwrap(); // 14:59 ET
        let data = DataSet {
            index_bars: Some(vec![IndexBar {
                ticker: "I:SPX".into(),
                start: at,
                open: 6837.0,
                high: 6838.5,
                low: 6836.0,
                close: 6838.0,
            }]),
            ..DataSet::default()
        };
        let p = price("KXINXU", "KXINXU-26NOV24H1600", &data, &params()).unwrap().unwrap();
        // 60 minutes after 15:00 × late bump 1.2 = 72; scale = 6838 × vol × √72 = 22 (shape 0).
        let Distribution::SkewNormal { location, scale, shape } = p.view.model else { panic!() };
        assert!((scale - 22.0).abs() < 1e-9 && location == 6838.0 && shape == 0.0, "{location} {scale}");
        assert!(price("KXINXU", "KXINXU-26NOV23H1600", &data, &params()).is_err(), "no value before that event");
    }

    #[test]
    fn claims_by_hand() {
        use crate::drivers::parse::claims::NationalWeek;
        let week = |d: NaiveDate, sa: i64| NationalWeek {
            week_ended: d,
            initial_nsa: None,
            initial_sa: Some(sa),
            seasonal_factor: None,
            continued_sa: None,
        };
        let data = DataSet {
            claims: Some(vec![
                week(day(2025, 11, 1), 220_000),
                week(day(2025, 11, 8), 224_000),
                week(day(2025, 11, 15), 222_000),
            ]),
            ..DataSet::default()
        };
        // Release Wednesday 2025-11-26 reports the week ending Saturday 11-22 (one week ahead):
        // trend = mean(+4000, −2000) = +1000, damped × 0.5; no holiday that week.
        let p = price("KXJOBLESSCLAIMS", "KXJOBLESSCLAIMS-25NOV26", &data, &params()).unwrap().unwrap();
        assert_eq!(p.view.model, Distribution::Normal { mean: 222_500.0, std: 12_000.0 });
    }
}
