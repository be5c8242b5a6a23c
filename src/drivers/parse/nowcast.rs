//! The Cleveland Fed inflation nowcast (`nowcast_month.json`): an array with one chart per
//! target month since 2013. `chart.subcaption` is the target month (`2026-5`); category labels
//! are `MM/DD` without a year (the year is inferred from the target month, wrapping at
//! December), and labels with `"vline": "true"` are markers to drop before aligning values
//! with dates. Each dataset (`CPI Inflation`, `Core CPI Inflation`, `Actual CPI Inflation`, …)
//! holds month-over-month percent strings, `""` for none.

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::{Cell, DataError, Table, decode_json};

const SOURCE: &str = "nowcast";

#[derive(Deserialize)]
struct Chart {
    chart: ChartMeta,
    #[serde(default)]
    categories: Vec<Categories>,
    #[serde(default)]
    dataset: Vec<Dataset>,
}

#[derive(Deserialize)]
struct ChartMeta {
    subcaption: String,
}

#[derive(Deserialize)]
struct Categories {
    #[serde(default)]
    category: Vec<Category>,
}

#[derive(Deserialize)]
struct Category {
    label: String,
    #[serde(default)]
    vline: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Dataset {
    seriesname: String,
    #[serde(default)]
    data: Vec<Value>,
}

#[derive(Deserialize)]
struct Value {
    #[serde(default)]
    value: Option<serde_json::Value>,
}

/// One nowcast value.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The target month (first day).
    pub target: NaiveDate,
    /// The day the value is for.
    pub date: NaiveDate,
    /// `CPI Inflation`, `Core CPI Inflation`, `Actual CPI Inflation`, …
    pub series: String,
    /// Month-over-month percent.
    pub value: f64,
}

fn target_month(subcaption: &str) -> Option<NaiveDate> {
    let (y, m) = subcaption.trim().split_once('-')?;
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)
}

/// Every value of every chart, by target month, date and series.
pub fn points(bytes: &[u8], file: &str) -> Result<Vec<Point>, DataError> {
    let charts: Vec<Chart> = decode_json(SOURCE, file, bytes)?;
    let mut out = Vec::new();
    for (c, chart) in charts.iter().enumerate() {
        let target = target_month(&chart.chart.subcaption).ok_or_else(|| {
            DataError::new(
                SOURCE,
                file,
                Some(format!("[{c}].chart.subcaption")),
                format!("`{}` is not YYYY-M", chart.chart.subcaption),
            )
        })?;
        let labels: Vec<&str> = chart
            .categories
            .iter()
            .flat_map(|cs| &cs.category)
            .filter(|cat| !cat.vline.as_ref().is_some_and(|v| v == "true" || v == &serde_json::Value::Bool(true)))
            .map(|cat| cat.label.as_str())
            .collect();
        // Dates run forward from shortly before the target month: the first label's year is
        // the target's, or the year before when its month is later than the target's.
        let mut dates = Vec::with_capacity(labels.len());
        let mut year = target.year();
        let mut previous_month = 0;
        for (i, label) in labels.iter().enumerate() {
            let bad = || {
                DataError::new(
                    SOURCE,
                    file,
                    Some(format!("[{c}].categories label {i}")),
                    format!("`{label}` is not MM/DD"),
                )
            };
            let (m, d) = label.split_once('/').ok_or_else(bad)?;
            let (m, d): (u32, u32) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
            if i == 0 && m > target.month() + 1 {
                year -= 1;
            } else if i > 0 && m < previous_month {
                year += 1;
            }
            previous_month = m;
            dates.push(NaiveDate::from_ymd_opt(year, m, d).ok_or_else(bad)?);
        }
        for (s, set) in chart.dataset.iter().enumerate() {
            for (i, v) in set.data.iter().enumerate() {
                let text = match &v.value {
                    Some(serde_json::Value::String(t)) => t.trim().to_string(),
                    Some(serde_json::Value::Number(n)) => n.to_string(),
                    _ => String::new(),
                };
                if text.is_empty() {
                    continue;
                }
                let at = || Some(format!("[{c}].dataset[{s}].data[{i}]"));
                let value: f64 = text
                    .parse()
                    .map_err(|_| DataError::new(SOURCE, file, at(), format!("`{text}` is not a number")))?;
                let date = *dates.get(i).ok_or_else(|| DataError::new(SOURCE, file, at(), "more values than dates"))?;
                out.push(Point { target, date, series: set.seriesname.clone(), value });
            }
        }
    }
    Ok(out)
}

/// The latest value of `series` for `target`, with its date.
pub fn latest(points: &[Point], target: NaiveDate, series: &str) -> Option<(NaiveDate, f64)> {
    points.iter().filter(|p| p.target == target && p.series == series).max_by_key(|p| p.date).map(|p| (p.date, p.value))
}

/// The points as a table.
pub fn parse(bytes: &[u8], file: &str) -> Result<Table, DataError> {
    let points = points(bytes, file)?;
    Ok(Table {
        columns: vec!["target_month", "date", "series", "value"],
        as_of: points.iter().map(|p| p.date).max(),
        rows: points
            .into_iter()
            .map(|p| vec![Cell::Date(p.target), Cell::Date(p.date), Cell::Text(p.series), Cell::Float(p.value)])
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_markers_wraps_years_and_skips_blanks() {
        let json = r#"[{"chart":{"subcaption":"2026-1","_comment":"2026-02-09 00:00"},"categories":[{"category":[{"label":"12/30"},{"label":"CPI Dec","vline":"true"},{"label":"01/02"},{"label":"01/05"}]}],"dataset":[{"seriesname":"CPI Inflation","data":[{"value":"0.21"},{"value":""},{"value":"0.24"}]},{"seriesname":"Actual CPI Inflation","data":[{"value":""},{"value":""},{"value":""}]}]}]"#;
        let ps = points(json.as_bytes(), "nowcast_month.json").unwrap();
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].date, NaiveDate::from_ymd_opt(2025, 12, 30).unwrap());
        assert_eq!(ps[1].date, NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
        let target = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert_eq!(latest(&ps, target, "CPI Inflation"), Some((ps[1].date, 0.24)));
        let bad = json.replace("\"0.24\"", "\"n/a\"");
        assert_eq!(
            points(bad.as_bytes(), "n.json").unwrap_err().to_string(),
            "nowcast: n.json: [0].dataset[0].data[2]: `n/a` is not a number"
        );
    }
}
