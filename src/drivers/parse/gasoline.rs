//! Gasoline prices, two payloads:
//!
//! * AAA's national average page (`https://gasprices.aaa.com/`, HTML, no API): the table whose
//!   header reads `Regular | Mid-Grade | Premium | Diesel | E85`, rows `Current Avg.`,
//!   `Yesterday Avg.`, `Week Ago Avg.`, `Month Ago Avg.`, `Year Ago Avg.` (dollars with three
//!   decimals), and the "Price as of M/D/YY" date — the settlement source of `KXAAAGAS*`;
//! * EIA's weekly retail regular price (API v2, `response.data[]{period, series, value}`,
//!   values as strings, `period` the Monday of the survey) — a covariate, not settlement.

use chrono::NaiveDate;
use serde::Deserialize;

use super::{Cell, DataError, Table, decimal_cell, decode_json};

/// One row of AAA's national table: regular gasoline, dollars per gallon as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AaaRow {
    /// `Current Avg.`, `Yesterday Avg.`, …
    pub label: String,
    /// Regular, e.g. `3.412`.
    pub regular: String,
}

/// AAA's page: the date and the regular price rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AaaPage {
    /// "Price as of" date.
    pub as_of: NaiveDate,
    /// Rows in page order (`Current Avg.` first).
    pub rows: Vec<AaaRow>,
}

/// The visible text of an HTML fragment: tags removed, entities for spaces and `$` decoded,
/// whitespace collapsed.
fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&nbsp;", " ").replace("&#36;", "$").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// AAA's national average page.
pub fn aaa(bytes: &[u8], file: &str) -> Result<AaaPage, DataError> {
    const SOURCE: &str = "aaa";
    let html = String::from_utf8_lossy(bytes);
    let text = visible_text(&html);
    let err = |m: &str| DataError::new(SOURCE, file, None, m);
    let header = text
        .find("Regular Mid-Grade Premium Diesel E85")
        .ok_or_else(|| err("no table headed Regular | Mid-Grade | Premium | Diesel | E85 (page layout changed?)"))?;
    let date_at = text.find("Price as of ").ok_or_else(|| err("no \"Price as of M/D/YY\""))?;
    let raw_date = text[date_at + 12..].split_whitespace().next().unwrap_or("");
    let as_of = NaiveDate::parse_from_str(raw_date, "%m/%d/%y")
        .or_else(|_| NaiveDate::parse_from_str(raw_date, "%m/%d/%Y"))
        .map_err(|_| err(&format!("\"Price as of {raw_date}\" is not a date")))?;
    let table = &text[header..];
    let mut rows = Vec::new();
    for label in ["Current Avg.", "Yesterday Avg.", "Week Ago Avg.", "Month Ago Avg.", "Year Ago Avg."] {
        let Some(at) = table.find(label) else { continue };
        let first = table[at + label.len()..].split_whitespace().next().unwrap_or("");
        match decimal_cell(first) {
            Ok(Cell::Decimal(v)) => rows.push(AaaRow { label: label.to_string(), regular: v }),
            _ => {
                return Err(DataError::new(
                    SOURCE,
                    file,
                    Some(label.into()),
                    format!("regular price `{first}` is not a price"),
                ));
            }
        }
    }
    if rows.first().is_none_or(|r| r.label != "Current Avg.") {
        return Err(err("no Current Avg. row"));
    }
    Ok(AaaPage { as_of, rows })
}

#[derive(Deserialize)]
struct EiaEnvelope {
    #[serde(default)]
    response: Option<EiaResponse>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct EiaResponse {
    #[serde(default)]
    data: Vec<EiaPoint>,
}

#[derive(Deserialize)]
struct EiaPoint {
    period: String,
    value: Option<serde_json::Value>,
}

/// One EIA weekly price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EiaWeek {
    /// Monday of the survey.
    pub period: NaiveDate,
    /// Dollars per gallon as published.
    pub price: Option<String>,
}

/// EIA weekly retail regular gasoline, oldest first.
pub fn eia(bytes: &[u8], file: &str) -> Result<Vec<EiaWeek>, DataError> {
    const SOURCE: &str = "eia";
    let env: EiaEnvelope = decode_json(SOURCE, file, bytes)?;
    if let Some(e) = env.error {
        return Err(DataError::new(SOURCE, file, Some("error".into()), e.to_string()));
    }
    let data = env.response.ok_or_else(|| DataError::new(SOURCE, file, Some("response".into()), "missing"))?.data;
    let mut out = Vec::new();
    for (i, p) in data.iter().enumerate() {
        let at = || Some(format!("response.data[{i}]"));
        let period = NaiveDate::parse_from_str(&p.period, "%Y-%m-%d")
            .map_err(|_| DataError::new(SOURCE, file, at(), format!("period `{}` is not a date", p.period)))?;
        let raw = match &p.value {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let price = match decimal_cell(&raw).map_err(|m| DataError::new(SOURCE, file, at(), m))? {
            Cell::Decimal(v) => Some(v),
            _ => None,
        };
        out.push(EiaWeek { period, price });
    }
    out.sort_by_key(|w| w.period);
    Ok(out)
}

/// AAA's page as a table.
pub fn parse_aaa(bytes: &[u8], file: &str) -> Result<Table, DataError> {
    let page = aaa(bytes, file)?;
    Ok(Table {
        columns: vec!["as_of", "row", "regular"],
        as_of: Some(page.as_of),
        rows: page
            .rows
            .into_iter()
            .map(|r| vec![Cell::Date(page.as_of), Cell::Text(r.label), Cell::Decimal(r.regular)])
            .collect(),
    })
}

/// EIA's weeks as a table.
pub fn parse_eia(bytes: &[u8], file: &str) -> Result<Table, DataError> {
    let weeks = eia(bytes, file)?;
    Ok(Table {
        columns: vec!["period", "price"],
        as_of: weeks.iter().filter(|w| w.price.is_some()).map(|w| w.period).max(),
        rows: weeks
            .into_iter()
            .map(|w| vec![Cell::Date(w.period), w.price.map_or(Cell::Missing, Cell::Decimal)])
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aaa_table_and_date() {
        let html = r#"<html><body><p class="price-text">Today's AAA National Average <strong>$3.4121</strong></p><p>Price as of 11/25/25</p><table class="table-mob"><thead><tr><th></th><th>Regular</th><th>Mid-Grade</th><th>Premium</th><th>Diesel</th><th>E85</th></tr></thead><tbody><tr><td>Current Avg.</td><td>$3.412</td><td>$3.901</td><td>$4.268</td><td>$3.775</td><td>$2.960</td></tr><tr><td>Yesterday Avg.</td><td>$3.415</td><td>$3.903</td><td>$4.270</td><td>$3.778</td><td>$2.961</td></tr></tbody></table></body></html>"#;
        let page = aaa(html.as_bytes(), "aaa.html").unwrap();
        assert_eq!(page.as_of, NaiveDate::from_ymd_opt(2025, 11, 25).unwrap());
        assert_eq!(page.rows[0], AaaRow { label: "Current Avg.".into(), regular: "3.412".into() });
        assert_eq!(page.rows[1].regular, "3.415");
        let err = aaa(b"<html>Access denied</html>", "aaa.html").unwrap_err().to_string();
        assert!(err.contains("no table headed Regular"), "{err}");
    }

    #[test]
    fn eia_strings_and_errors() {
        let json = r#"{"response":{"total":"2","dateFormat":"YYYY-MM-DD","frequency":"weekly","data":[{"period":"2025-11-24","duoarea":"NUS","series":"EMM_EPMR_PTE_NUS_DPG","value":"3.071","units":"$/GAL"},{"period":"2025-11-17","series":"EMM_EPMR_PTE_NUS_DPG","value":"3.082","units":"$/GAL"}]},"apiVersion":"2.1.8"}"#;
        let weeks = eia(json.as_bytes(), "eia.json").unwrap();
        assert_eq!(weeks[1].price.as_deref(), Some("3.071"));
        let err = eia(br#"{"error":"invalid api_key"}"#, "eia.json").unwrap_err().to_string();
        assert_eq!(err, "eia: eia.json: error: \"invalid api_key\"");
    }
}
