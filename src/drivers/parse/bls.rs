//! BLS public API v2 (`POST https://api.bls.gov/publicAPI/v2/timeseries/data/`): CPI-U all
//! items and core, seasonally adjusted (`CUSR0000SA0`, `CUSR0000SA0L1E`, settlement) and not
//! (`CUUR…`). `Results` is an object (the documentation's sample shows an array: both are
//! read); points come newest first, every value a string; `M13` is the annual average (left
//! out); `"-"` is a missing value; a throttled or refused request is
//! `REQUEST_NOT_PROCESSED` with `Results: {}` — an error, whatever the HTTP status said.

use chrono::NaiveDate;
use serde::Deserialize;

use super::{Cell, DataError, Table, decimal_cell, decode_json};

const SOURCE: &str = "bls";

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    message: Vec<String>,
    #[serde(default, rename = "Results")]
    results: Option<Results>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Results {
    Object { series: Vec<Series> },
    Array(Vec<ResultsItem>),
    Empty {},
}

#[derive(Deserialize)]
struct ResultsItem {
    series: Vec<Series>,
}

#[derive(Deserialize)]
struct Series {
    #[serde(rename = "seriesID")]
    series_id: String,
    #[serde(default)]
    data: Vec<Point>,
}

#[derive(Deserialize)]
struct Point {
    year: String,
    period: String,
    value: String,
}

/// One monthly index value.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// `CUSR0000SA0`, …
    pub series_id: String,
    /// The month (first day).
    pub month: NaiveDate,
    /// The index as published (three decimals), `None` when `"-"`.
    pub value: Option<String>,
}

/// The monthly observations, oldest first.
pub fn observations(bytes: &[u8], file: &str) -> Result<Vec<Observation>, DataError> {
    let envelope: Envelope = decode_json(SOURCE, file, bytes)?;
    if envelope.status != "REQUEST_SUCCEEDED" {
        let why = if envelope.message.is_empty() { "no message".to_string() } else { envelope.message.join("; ") };
        return Err(DataError::new(SOURCE, file, Some("status".into()), format!("{}: {why}", envelope.status)));
    }
    let series = match envelope.results {
        Some(Results::Object { series }) => series,
        Some(Results::Array(items)) => items.into_iter().flat_map(|i| i.series).collect(),
        Some(Results::Empty {}) | None => {
            return Err(DataError::new(SOURCE, file, Some("Results".into()), "no series in the response"));
        }
    };
    let mut out = Vec::new();
    for (s, series) in series.iter().enumerate() {
        for (d, p) in series.data.iter().enumerate() {
            let at = || Some(format!("Results.series[{s}].data[{d}]"));
            let Some(month) = p.period.strip_prefix('M').and_then(|m| m.parse::<u32>().ok()) else {
                return Err(DataError::new(SOURCE, file, at(), format!("period `{}` is not monthly", p.period)));
            };
            if month == 13 {
                continue;
            }
            let year: i32 =
                p.year.parse().map_err(|_| DataError::new(SOURCE, file, at(), format!("year `{}`", p.year)))?;
            let month = NaiveDate::from_ymd_opt(year, month, 1)
                .ok_or_else(|| DataError::new(SOURCE, file, at(), format!("period `{}`", p.period)))?;
            let value = match decimal_cell(&p.value).map_err(|m| DataError::new(SOURCE, file, at(), m))? {
                Cell::Decimal(v) => Some(v),
                _ => None,
            };
            out.push(Observation { series_id: series.series_id.clone(), month, value });
        }
    }
    out.sort_by(|a, b| (&a.series_id, a.month).cmp(&(&b.series_id, b.month)));
    Ok(out)
}

/// Month-over-month change in percent, `(I_t / I_{t−1} − 1) × 100`, for consecutive months
/// of one series with both values (BLS rounds it to one decimal when it publishes).
pub fn month_over_month(obs: &[Observation], series_id: &str) -> Vec<(NaiveDate, f64)> {
    let points: Vec<(NaiveDate, f64)> = obs
        .iter()
        .filter(|o| o.series_id == series_id)
        .filter_map(|o| Some((o.month, o.value.as_deref()?.parse::<f64>().ok()?)))
        .collect();
    points
        .windows(2)
        .filter(|w| w[1].0 == w[0].0.checked_add_months(chrono::Months::new(1)).unwrap_or(w[0].0))
        .map(|w| (w[1].0, (w[1].1 / w[0].1 - 1.0) * 100.0))
        .collect()
}

/// The observations as a table.
pub fn parse(bytes: &[u8], file: &str) -> Result<Table, DataError> {
    let obs = observations(bytes, file)?;
    Ok(Table {
        columns: vec!["series_id", "month", "value"],
        as_of: obs.iter().filter(|o| o.value.is_some()).map(|o| o.month).max(),
        rows: obs
            .into_iter()
            .map(|o| vec![Cell::Text(o.series_id), Cell::Date(o.month), o.value.map_or(Cell::Missing, Cell::Decimal)])
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"{"status":"REQUEST_SUCCEEDED","responseTime":120,"message":[],"Results":{"series":[{"seriesID":"CUSR0000SA0","data":[{"year":"2026","period":"M02","periodName":"February","latest":"true","value":"322.100","footnotes":[{}]},{"year":"2026","period":"M01","periodName":"January","value":"-","footnotes":[{"code":"X","text":"not available"}]},{"year":"2025","period":"M13","periodName":"Annual","value":"320.0","footnotes":[{}]},{"year":"2025","period":"M12","periodName":"December","value":"321.456","footnotes":[{}]}]}]}}"#;

    #[test]
    fn reads_values_missing_and_skips_annual() {
        let obs = observations(OK.as_bytes(), "bls.json").unwrap();
        assert_eq!(obs.len(), 3);
        assert_eq!(obs[0].value.as_deref(), Some("321.456"));
        assert_eq!(obs[1].value, None, "`-` is missing, never zero");
        let t = parse(OK.as_bytes(), "bls.json").unwrap();
        assert_eq!(t.as_of, NaiveDate::from_ymd_opt(2026, 2, 1));
        // January is missing, so there is no consecutive pair.
        assert!(month_over_month(&obs, "CUSR0000SA0").is_empty());
    }

    #[test]
    fn not_processed_is_an_error_naming_the_field() {
        let body = r#"{"status":"REQUEST_NOT_PROCESSED","responseTime":20,"message":["Request could not be serviced, as the daily threshold for total number of requests allocated to the user has been reached."],"Results":{}}"#;
        let err = parse(body.as_bytes(), "bls.json").unwrap_err().to_string();
        assert!(
            err.starts_with("bls: bls.json: status: REQUEST_NOT_PROCESSED: Request could not be serviced"),
            "{err}"
        );
        let bad = OK.replace("\"322.100\"", "\"32x\"");
        let err = parse(bad.as_bytes(), "bls.json").unwrap_err().to_string();
        assert_eq!(err, "bls: bls.json: Results.series[0].data[0]: `32x` is not a number");
    }
}
