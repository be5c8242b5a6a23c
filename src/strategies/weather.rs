//! NYC daily high (`KXHIGHNY`): the NWS forecast high for the day plus the station bias, with
//! a normal spread from past forecast errors. Once the Daily Climate Report for the day is out,
//! a final report pins it; a preliminary one ("valid today as of …") is a floor.

use crate::pricing::distribution::Distribution;
use crate::strategies::Priced;
use crate::strategies::data::DataSet;
use crate::strategies::event_date;
use crate::strategies::params::WeatherParams;
use crate::strategies::views::View;

/// Prices one NYC high-temperature event.
pub fn price(event: &str, data: &DataSet, p: &WeatherParams) -> Result<Priced, String> {
    let day = event_date::parse(event).ok_or_else(|| format!("`{event}` has no date code"))?.day();
    if let Some(report) = data.climate.as_ref().filter(|r| r.date == day && !r.preliminary) {
        let max = report.max_f.ok_or("the final climate report's maximum is missing (MM)")? as f64;
        let note = format!("strategy weather: final CLI maximum {max} ({})", data.describe("nws_cli"));
        return Ok(Priced {
            view: View { model: Distribution::Normal { mean: max, std: 0.2 }, resolution: Some(1.0), note: Some(note) },
            input_age: data.oldest(&["nws_cli"]),
        });
    }
    let forecasts = data.forecast.as_ref().ok_or("no NWS forecast (`data fetch nws_forecast`)")?;
    let high = forecasts
        .iter()
        .find(|f| f.date == day)
        .ok_or_else(|| format!("the forecast has no daytime period on {day}"))?;
    let mut mean = high.high_f + p.bias;
    let floor = data.climate.as_ref().filter(|r| r.date == day && r.preliminary).and_then(|r| r.max_f);
    if let Some(f) = floor {
        mean = mean.max(f as f64);
    }
    let note = format!(
        "strategy weather: forecast high {} ({}) + bias {:+.1}{}, σ {:.1}",
        high.high_f,
        data.describe("nws_forecast"),
        p.bias,
        floor.map_or(String::new(), |f| format!(", preliminary CLI floor {f}")),
        p.error_std
    );
    Ok(Priced {
        view: View { model: Distribution::Normal { mean, std: p.error_std }, resolution: Some(1.0), note: Some(note) },
        input_age: data.oldest(&["nws_forecast"]),
    })
}
