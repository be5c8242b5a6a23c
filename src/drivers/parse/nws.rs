//! National Weather Service, two payloads per daily-high city (`KXHIGHNY`, `KXHIGHCHI`, …):
//!
//! * the gridpoint forecast (`/gridpoints/OKX/33,37/forecast`, GeoJSON): `properties.updateTime`
//!   and `properties.periods[]` with `startTime`, `isDaytime`, `temperature`,
//!   `temperatureUnit`; the daytime period's temperature is the forecast high for its date;
//! * the Daily Climate Report (CLI) of the city's station (`CLINYC`, `CLIMDW`, `CLILAX`; a
//!   report of another station is refused), as the product JSON (`productText`) or
//!   the bare text: the date from the `CLIMATE SUMMARY FOR` line (never the issuance time),
//!   the first token after `MAXIMUM` in the `TEMPERATURE (F)` block (it may end in `R`, a
//!   record, or read `MM`, missing). A report "VALID TODAY AS OF …" (the `TODAY` block) is
//!   preliminary — a floor, not the answer; the final one reports `YESTERDAY`.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Deserialize;

use super::{Cell, DataError, Table, decode_json};

#[derive(Deserialize)]
struct Forecast {
    properties: ForecastProperties,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ForecastProperties {
    #[serde(default)]
    update_time: Option<String>,
    periods: Vec<Period>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Period {
    start_time: String,
    is_daytime: bool,
    temperature: Option<f64>,
    #[serde(default)]
    temperature_unit: Option<String>,
}

/// A forecast high for one local date.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastHigh {
    /// Local date of the daytime period.
    pub date: NaiveDate,
    /// °F.
    pub high_f: f64,
    /// When NWS updated the forecast.
    pub updated: Option<DateTime<FixedOffset>>,
}

/// Forecast highs by date from the gridpoint forecast.
pub fn forecast_highs(bytes: &[u8], file: &str) -> Result<Vec<ForecastHigh>, DataError> {
    const SOURCE: &str = "nws_forecast";
    let f: Forecast = decode_json(SOURCE, file, bytes)?;
    let updated = f.properties.update_time.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok());
    let mut out = Vec::new();
    for (i, p) in f.properties.periods.iter().enumerate().filter(|(_, p)| p.is_daytime) {
        let at = || Some(format!("properties.periods[{i}]"));
        let start = DateTime::parse_from_rfc3339(&p.start_time)
            .map_err(|_| DataError::new(SOURCE, file, at(), format!("startTime `{}` is not RFC 3339", p.start_time)))?;
        let Some(t) = p.temperature else { continue };
        let high_f = match p.temperature_unit.as_deref() {
            Some("C") => t * 9.0 / 5.0 + 32.0,
            _ => t,
        };
        out.push(ForecastHigh { date: start.date_naive(), high_f, updated });
    }
    if out.is_empty() {
        return Err(DataError::new(
            SOURCE,
            file,
            Some("properties.periods".into()),
            "no daytime period with a temperature",
        ));
    }
    Ok(out)
}

/// One Daily Climate Report's maximum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClimateReport {
    /// The day reported on.
    pub date: NaiveDate,
    /// Maximum temperature, °F (`None` for `MM`).
    pub max_f: Option<i64>,
    /// A record (`R` suffix).
    pub record: bool,
    /// "VALID TODAY AS OF": the day is not over; the maximum so far.
    pub preliminary: bool,
    /// The station site from the product's `CLIxxx` line (`NYC`, `MDW`, …), when present.
    pub site: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Product {
    product_text: String,
}

fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "JANUARY",
        "FEBRUARY",
        "MARCH",
        "APRIL",
        "MAY",
        "JUNE",
        "JULY",
        "AUGUST",
        "SEPTEMBER",
        "OCTOBER",
        "NOVEMBER",
        "DECEMBER",
    ];
    MONTHS.iter().position(|m| *m == name).map(|i| i as u32 + 1)
}

/// The CLI report (product JSON or text).
pub fn climate_report(bytes: &[u8], file: &str) -> Result<ClimateReport, DataError> {
    const SOURCE: &str = "nws_cli";
    let text = if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        decode_json::<Product>(SOURCE, file, bytes)?.product_text
    } else {
        String::from_utf8_lossy(bytes).to_string()
    };
    let lines: Vec<&str> = text.lines().collect();
    let err = |line: Option<usize>, m: &str| DataError::new(SOURCE, file, line.map(|l| format!("line {}", l + 1)), m);
    let (summary_line, date) = lines
        .iter()
        .enumerate()
        .find_map(|(i, l)| {
            let at = l.find("CLIMATE SUMMARY FOR ")?;
            let words: Vec<&str> = l[at + 20..].split_whitespace().map(|w| w.trim_matches('.')).collect();
            let (m, d, y) = (month_number(words.first()?)?, words.get(1)?.parse().ok()?, words.get(2)?.parse().ok()?);
            Some((i, NaiveDate::from_ymd_opt(y, m, d)))
        })
        .ok_or_else(|| err(None, "no \"CLIMATE SUMMARY FOR <MONTH> <D> <YEAR>\" line"))?;
    let date = date.ok_or_else(|| err(Some(summary_line), "the summary date is not a date"))?;
    let preliminary = text.contains("VALID TODAY AS OF");
    // The AWIPS id line: `CLI` and the three-letter site, alone on its line.
    let site = lines.iter().map(|l| l.trim()).find_map(|l| {
        let code = l.strip_prefix("CLI")?;
        (code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())).then(|| code.to_string())
    });
    let block = lines
        .iter()
        .position(|l| l.trim_start().starts_with("TEMPERATURE (F)"))
        .ok_or_else(|| err(None, "no TEMPERATURE (F) block"))?;
    let (max_line, line) = lines[block..]
        .iter()
        .enumerate()
        .find(|(_, l)| l.trim_start().starts_with("MAXIMUM"))
        .map(|(i, l)| (block + i, *l))
        .ok_or_else(|| err(Some(block), "no MAXIMUM line in the TEMPERATURE (F) block"))?;
    let token = line.split_whitespace().nth(1).ok_or_else(|| err(Some(max_line), "MAXIMUM has no value"))?;
    let (digits, record) = match token.strip_suffix('R') {
        Some(d) => (d, true),
        None => (token, false),
    };
    let max_f = if digits == "MM" {
        None
    } else {
        Some(
            digits
                .parse::<i64>()
                .map_err(|_| err(Some(max_line), &format!("MAXIMUM `{token}` is not a temperature")))?,
        )
    };
    Ok(ClimateReport { date, max_f, record, preliminary, site })
}

/// The CLI report of station `site` (`NYC`, `MDW`, `LAX`): a report naming another station is
/// an error (a ladder never settles on a neighbour's maximum).
pub fn station_report(bytes: &[u8], file: &str, site: &str) -> Result<ClimateReport, DataError> {
    let report = climate_report(bytes, file)?;
    match report.site.as_deref() {
        Some(found) if found != site => Err(DataError::new(
            "nws_cli",
            file,
            Some("productText".into()),
            format!("the report is CLI{found}, not CLI{site}: another station"),
        )),
        _ => Ok(report),
    }
}

/// Forecast highs as a table.
pub fn parse_forecast(bytes: &[u8], file: &str) -> Result<Table, DataError> {
    let highs = forecast_highs(bytes, file)?;
    Ok(Table {
        columns: vec!["date", "high_f", "updated"],
        as_of: highs.iter().map(|h| h.date).min(),
        rows: highs
            .into_iter()
            .map(|h| {
                vec![
                    Cell::Date(h.date),
                    Cell::Float(h.high_f),
                    h.updated.map_or(Cell::Missing, |u| Cell::Time(u.with_timezone(&chrono::Utc))),
                ]
            })
            .collect(),
    })
}

/// Station `site`'s climate report as a one-row table.
pub fn parse_cli(bytes: &[u8], file: &str, site: &str) -> Result<Table, DataError> {
    let r = station_report(bytes, file, site)?;
    Ok(Table {
        columns: vec!["date", "max_f", "record", "preliminary"],
        as_of: Some(r.date),
        rows: vec![vec![
            Cell::Date(r.date),
            r.max_f.map_or(Cell::Missing, Cell::Int),
            Cell::Bool(r.record),
            Cell::Bool(r.preliminary),
        ]],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FINAL: &str = "\n000\nCDUS41 KOKX 260631\nCLINYC\n\nCLIMATE REPORT\nNATIONAL WEATHER SERVICE NEW YORK, NY\n131 AM EST WED NOV 26 2025\n\n...................................\n\n...THE CENTRAL PARK NY CLIMATE SUMMARY FOR NOVEMBER 25 2025...\n\nCLIMATE NORMAL PERIOD 1991 TO 2020\nCLIMATE RECORD PERIOD 1869 TO 2025\n\n\nWEATHER ITEM   OBSERVED TIME   RECORD YEAR NORMAL DEPARTURE LAST\n                VALUE   (LST)  VALUE       VALUE  FROM      YEAR\n                                                  NORMAL\n...................................................................\nTEMPERATURE (F)\n YESTERDAY\n  MAXIMUM         49    229 PM  71    1979  52     -3       56\n  MINIMUM         38    700 AM  15    1880  40     -2       44\n";

    #[test]
    fn final_report_date_from_the_summary_line() {
        let r = climate_report(FINAL.as_bytes(), "cli.txt").unwrap();
        assert_eq!(
            r,
            ClimateReport {
                date: NaiveDate::from_ymd_opt(2025, 11, 25).unwrap(),
                max_f: Some(49),
                record: false,
                preliminary: false,
                site: Some("NYC".into())
            }
        );
        assert!(station_report(FINAL.as_bytes(), "cli.txt", "NYC").is_ok());
        assert_eq!(
            station_report(FINAL.as_bytes(), "cli.txt", "MDW").unwrap_err().to_string(),
            "nws_cli: cli.txt: productText: the report is CLINYC, not CLIMDW: another station"
        );
        let json = serde_json::json!({ "@id": "x", "productText": FINAL.replace("  49 ", " 72R ") }).to_string();
        let r = climate_report(json.as_bytes(), "cli.json").unwrap();
        assert_eq!((r.max_f, r.record), (Some(72), true));
    }

    #[test]
    fn preliminary_and_missing() {
        let prelim = FINAL
            .replace(" YESTERDAY", " TODAY")
            .replace("CLIMATE NORMAL", "VALID TODAY AS OF 0500 PM LOCAL TIME.\n\nCLIMATE NORMAL");
        let r = climate_report(prelim.as_bytes(), "cli.txt").unwrap();
        assert!(r.preliminary);
        let missing = FINAL.replace("  49 ", "  MM ");
        assert_eq!(climate_report(missing.as_bytes(), "cli.txt").unwrap().max_f, None);
        let bad = FINAL.replace("  49 ", "  4x ");
        assert_eq!(
            climate_report(bad.as_bytes(), "cli.txt").unwrap_err().to_string(),
            "nws_cli: cli.txt: line 24: MAXIMUM `4x` is not a temperature"
        );
    }

    #[test]
    fn forecast_daytime_highs() {
        let json = r#"{"type":"Feature","properties":{"updateTime":"2025-11-24T20:11:37+00:00","units":"us","periods":[{"number":1,"name":"Tonight","startTime":"2025-11-24T18:00:00-05:00","endTime":"2025-11-25T06:00:00-05:00","isDaytime":false,"temperature":39,"temperatureUnit":"F"},{"number":2,"name":"Tuesday","startTime":"2025-11-25T06:00:00-05:00","endTime":"2025-11-25T18:00:00-05:00","isDaytime":true,"temperature":49,"temperatureUnit":"F","probabilityOfPrecipitation":{"unitCode":"wmoUnit:percent","value":20},"shortForecast":"Partly Sunny"}]}}"#;
        let highs = forecast_highs(json.as_bytes(), "f.json").unwrap();
        assert_eq!(highs.len(), 1);
        assert_eq!((highs[0].date, highs[0].high_f), (NaiveDate::from_ymd_opt(2025, 11, 25).unwrap(), 49.0));
    }
}
