//! Daily highs per city (`KXHIGHNY`, `KXHIGHCHI`, `KXHIGHLAX`): the NWS forecast high for the
//! day at the city's station plus that station's bias, with a normal spread from its past
//! forecast errors. Once the station's Daily Climate Report for the day is out, a final report
//! pins it; a preliminary one ("valid today as of …") is a floor.

use crate::drivers::city::City;
use crate::drivers::source::Source;
use crate::pricing::distribution::Distribution;
use crate::strategies::Priced;
use crate::strategies::data::DataSet;
use crate::strategies::event_date;
use crate::strategies::params::WeatherParams;
use crate::strategies::views::View;

/// Prices one high-temperature event of `series`' city.
pub fn price(series: &str, event: &str, data: &DataSet, params: &WeatherParams) -> Result<Priced, String> {
    let city = City::for_series(series).ok_or_else(|| format!("`{series}` is not a daily-high city"))?;
    let (forecast_source, cli_source) = (Source::NwsForecast(city).name(), Source::NwsCli(city).name());
    let p = params.for_city(city);
    let day = event_date::parse(event).ok_or_else(|| format!("`{event}` has no date code"))?.day();
    let climate = data.climate.get(&city);
    if let Some(report) = climate.filter(|r| r.date == day && !r.preliminary) {
        let max = report.max_f.ok_or("the final climate report's maximum is missing (MM)")? as f64;
        let note =
            format!("strategy weather: final CLI{} maximum {max} ({})", city.cli_site(), data.describe(cli_source));
        return Ok(Priced {
            view: View { model: Distribution::Normal { mean: max, std: 0.2 }, resolution: Some(1.0), note: Some(note) },
            input_age: data.oldest(&[cli_source]),
        });
    }
    let forecasts = data
        .forecast
        .get(&city)
        .ok_or_else(|| format!("no NWS forecast for {} (`data fetch {forecast_source}`)", city.station()))?;
    let high = forecasts
        .iter()
        .find(|f| f.date == day)
        .ok_or_else(|| format!("the forecast has no daytime period on {day}"))?;
    let mut mean = high.high_f + p.bias;
    let floor = climate.filter(|r| r.date == day && r.preliminary).and_then(|r| r.max_f);
    if let Some(f) = floor {
        mean = mean.max(f as f64);
    }
    let note = format!(
        "strategy weather: {} forecast high {} ({}) + bias {:+.1}{}, σ {:.1}",
        city.station(),
        high.high_f,
        data.describe(forecast_source),
        p.bias,
        floor.map_or(String::new(), |f| format!(", preliminary CLI floor {f}")),
        p.error_std
    );
    Ok(Priced {
        view: View { model: Distribution::Normal { mean, std: p.error_std }, resolution: Some(1.0), note: Some(note) },
        input_age: data.oldest(&[forecast_source]),
    })
}
