//! The drivers' parsers, pure: bytes as a source publishes them in, typed rows and a table
//! out, or an error naming the source, the file and the line or field. No I/O, no clock:
//! `drivers::fetch` gets the bytes, `drivers::store` keeps them and the tables.

pub mod bls;
pub mod claims;
pub mod gasoline;
pub mod index;
pub mod kalshi_history;
pub mod nowcast;
pub mod nws;
pub mod pdf;
pub mod treasury;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use thiserror::Error;

/// A payload that does not parse: which source, which file, where, and what.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{source_name}: {file}{}: {message}", location.as_ref().map(|l| format!(": {l}")).unwrap_or_default())]
pub struct DataError {
    /// The source (`bls`, `treasury`, …).
    pub source_name: String,
    /// The file or URL the bytes came from.
    pub file: String,
    /// `line 12`, `Results.series[0].data[3].value`, … when known.
    pub location: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl DataError {
    /// An error at `location` (or the whole file).
    pub fn new(source: &str, file: &str, location: Option<String>, message: impl Into<String>) -> DataError {
        DataError { source_name: source.to_string(), file: file.to_string(), location, message: message.into() }
    }
}

/// One value of a parsed table.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    /// Not published (`-`, `.`, blank, `MM`): never zero.
    Missing,
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
    /// A measurement that is not money (index levels, temperatures, percentages).
    Float(f64),
    /// A decimal exactly as published (`"321.456"`), where rounding decides settlement.
    Decimal(String),
    /// A calendar date.
    Date(NaiveDate),
    /// An instant.
    Time(DateTime<Utc>),
    /// A flag.
    Bool(bool),
}

/// A parsed payload as rows and named columns, with the latest date it covers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// Column names.
    pub columns: Vec<&'static str>,
    /// Rows, each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
    /// The latest observation date in the payload (`as_of`), when it has dates.
    pub as_of: Option<NaiveDate>,
}

/// The decimal text `raw` (digits, one optional point, optional sign), or `Missing` for the
/// markers sources use for "no value"; anything else is an error message.
pub fn decimal_cell(raw: &str) -> Result<Cell, String> {
    let t = raw.trim().trim_start_matches('$');
    if t.is_empty() || matches!(t, "-" | "." | "MM" | "N/A" | "NA" | "null") {
        return Ok(Cell::Missing);
    }
    let digits = t.strip_prefix('-').unwrap_or(t);
    let ok = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit());
    if ok { Ok(Cell::Decimal(t.to_string())) } else { Err(format!("`{raw}` is not a number")) }
}

/// A decimal cell as `f64` for model maths (`None` when missing).
pub fn cell_f64(cell: &Cell) -> Option<f64> {
    match cell {
        Cell::Decimal(t) | Cell::Text(t) => t.parse().ok(),
        Cell::Float(f) => Some(*f),
        Cell::Int(i) => Some(*i as f64),
        _ => None,
    }
}

/// `MM/DD/YYYY` or `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(t, "%m/%d/%Y")).ok()
}

/// Whether a CSV record is a footnote row (a note after the data: fewer cells than the
/// header, the first of which is not a date) rather than a truncated or broken data row.
pub fn is_footnote(record: &csv::StringRecord, header_len: usize) -> bool {
    record.len() < header_len
        && record.get(0).is_some_and(|first| parse_date(first).is_none() && !first.trim().is_empty())
}

/// Refuses HTML where JSON, CSV or XML was expected (an error page or a login wall).
pub fn refuse_html(source: &str, file: &str, bytes: &[u8]) -> Result<(), DataError> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        return Err(DataError::new(
            source,
            file,
            Some("line 1".into()),
            "an HTML page, not the data (an error or access page?)",
        ));
    }
    Ok(())
}

/// A JSON payload decoded into `T`, errors naming the field path.
pub fn decode_json<T: serde::de::DeserializeOwned>(source: &str, file: &str, bytes: &[u8]) -> Result<T, DataError> {
    refuse_html(source, file, bytes)?;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let location = if path == "." { format!("line {}", inner.line()) } else { path };
        DataError::new(source, file, Some(location), inner.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_markers_are_never_zero() {
        for m in ["-", ".", "", " ", "MM"] {
            assert_eq!(decimal_cell(m), Ok(Cell::Missing), "{m:?}");
        }
        assert_eq!(decimal_cell("321.456"), Ok(Cell::Decimal("321.456".into())));
        assert_eq!(decimal_cell("$3.412"), Ok(Cell::Decimal("3.412".into())));
        assert!(decimal_cell("4.5.2").is_err() && decimal_cell("abc").is_err());
        assert_eq!(parse_date("06/12/2026"), parse_date("2026-06-12"));
        assert!(is_footnote(&csv::StringRecord::from(vec!["Note: rates are bond-equivalent."]), 3));
        assert!(
            !is_footnote(&csv::StringRecord::from(vec!["06/11/2026", "4.5"]), 3),
            "a cut-off data row is not a note"
        );
        let err = refuse_html("bls", "x.json", b"<!DOCTYPE html><html>Access Denied</html>").unwrap_err();
        assert_eq!(err.to_string(), "bls: x.json: line 1: an HTML page, not the data (an error or access page?)");
    }
}
