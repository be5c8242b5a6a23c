//! Ten-year Treasury yields, three payloads:
//!
//! * Treasury's daily par yield curve CSV: newest row first, `Date` as `MM/DD/YYYY`, tenors
//!   as quoted headers (`"10 Yr"`; tenors were added over time, so columns are found by their
//!   header text), a blank cell is missing;
//! * the same curve as XML (an Atom feed of `m:properties` with `d:NEW_DATE` and
//!   `d:BC_10YEAR`; a missing value is an absent element or `m:null="true"`);
//! * FRED `DGS10` CSV (`observation_date,DGS10`, older files `DATE,DGS10`; holidays `.` or
//!   blank) — later than Treasury, for history and cross-checks only.
//!
//! Values stay decimal text (percent, two decimals): settlement buckets are three hundredths wide.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use quick_xml::events::Event;

use super::{Cell, DataError, Table, decimal_cell, parse_date, refuse_html};

/// One day's 10-year yield.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Yield {
    /// The business day.
    pub date: NaiveDate,
    /// Percent as published, `None` when missing.
    pub ten_year: Option<String>,
}

fn csv_column(
    source: &str,
    file: &str,
    bytes: &[u8],
    date_names: &[&str],
    value_name: &str,
) -> Result<Vec<Yield>, DataError> {
    refuse_html(source, file, bytes)?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers =
        reader.headers().map_err(|e| DataError::new(source, file, Some("line 1".into()), e.to_string()))?.clone();
    let find = |names: &[&str]| headers.iter().position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)));
    let date_col = find(date_names)
        .ok_or_else(|| DataError::new(source, file, Some("line 1".into()), format!("no `{}` column", date_names[0])))?;
    let value_col = find(&[value_name])
        .ok_or_else(|| DataError::new(source, file, Some("line 1".into()), format!("no `{value_name}` column")))?;
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| DataError::new(source, file, Some(format!("line {line}")), e.to_string()))?;
        if !out.is_empty() && super::is_footnote(&record, headers.len()) {
            continue;
        }
        if record.len() < headers.len() {
            return Err(DataError::new(
                source,
                file,
                Some(format!("line {line}")),
                format!("{} of {} fields (truncated file?)", record.len(), headers.len()),
            ));
        }
        let raw_date = record.get(date_col).unwrap_or("");
        let date = parse_date(raw_date).ok_or_else(|| {
            DataError::new(
                source,
                file,
                Some(format!("line {line}, {}", date_names[0])),
                format!("`{raw_date}` is not a date"),
            )
        })?;
        let raw = record.get(value_col).unwrap_or("");
        let ten_year = match decimal_cell(raw)
            .map_err(|m| DataError::new(source, file, Some(format!("line {line}, {value_name}")), m))?
        {
            Cell::Decimal(v) => Some(v),
            _ => None,
        };
        out.push(Yield { date, ten_year });
    }
    out.sort_by_key(|y| y.date);
    Ok(out)
}

/// Treasury's daily par yield curve CSV: the `10 Yr` column by date, oldest first.
pub fn curve_csv(bytes: &[u8], file: &str) -> Result<Vec<Yield>, DataError> {
    csv_column("treasury", file, bytes, &["Date"], "10 Yr")
}

/// FRED `DGS10` CSV, oldest first.
pub fn fred_csv(bytes: &[u8], file: &str) -> Result<Vec<Yield>, DataError> {
    csv_column("fred", file, bytes, &["observation_date", "DATE"], "DGS10")
}

/// Treasury's daily par yield curve XML feed, oldest first.
pub fn curve_xml(bytes: &[u8], file: &str) -> Result<Vec<Yield>, DataError> {
    const SOURCE: &str = "treasury_xml";
    refuse_html(SOURCE, file, bytes)?;
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut current: Option<String> = None;
    let mut props: BTreeMap<String, String> = BTreeMap::new();
    let mut in_props = false;
    let mut out = Vec::new();
    loop {
        let at = |r: &quick_xml::Reader<&[u8]>| Some(format!("byte {}", r.buffer_position()));
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_string();
                if name == "properties" {
                    in_props = true;
                    props.clear();
                } else if in_props {
                    current = Some(name);
                }
            }
            Ok(Event::Text(t)) => {
                if let Some(name) = &current {
                    let text = t.unescape().map_err(|e| DataError::new(SOURCE, file, at(&reader), e.to_string()))?;
                    props.entry(name.clone()).or_default().push_str(text.trim());
                }
            }
            Ok(Event::End(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_string();
                if name == "properties" {
                    in_props = false;
                    let entry = out.len() + 1;
                    let raw = props.get("NEW_DATE").cloned().unwrap_or_default();
                    let date = NaiveDate::parse_from_str(raw.get(..10).unwrap_or(""), "%Y-%m-%d").map_err(|_| {
                        DataError::new(
                            SOURCE,
                            file,
                            Some(format!("entry {entry}, d:NEW_DATE")),
                            format!("`{raw}` is not a date"),
                        )
                    })?;
                    let value = props.get("BC_10YEAR").map(String::as_str).unwrap_or("");
                    let ten_year = match decimal_cell(value)
                        .map_err(|m| DataError::new(SOURCE, file, Some(format!("entry {entry}, d:BC_10YEAR")), m))?
                    {
                        Cell::Decimal(v) => Some(v),
                        _ => None,
                    };
                    out.push(Yield { date, ten_year });
                } else {
                    current = None;
                }
            }
            Ok(Event::Empty(_)) => {}
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(DataError::new(SOURCE, file, at(&reader), format!("not well-formed XML: {e}"))),
        }
    }
    if out.is_empty() {
        return Err(DataError::new(SOURCE, file, None, "no m:properties entries"));
    }
    out.sort_by_key(|y| y.date);
    Ok(out)
}

fn table(yields: Vec<Yield>) -> Table {
    Table {
        columns: vec!["date", "ten_year"],
        as_of: yields.iter().filter(|y| y.ten_year.is_some()).map(|y| y.date).max(),
        rows: yields
            .into_iter()
            .map(|y| vec![Cell::Date(y.date), y.ten_year.map_or(Cell::Missing, Cell::Decimal)])
            .collect(),
    }
}

/// The CSV curve as a table.
pub fn parse_csv(bytes: &[u8], file: &str) -> Result<Table, DataError> {
    curve_csv(bytes, file).map(table)
}

/// The XML curve as a table.
pub fn parse_xml(bytes: &[u8], file: &str) -> Result<Table, DataError> {
    curve_xml(bytes, file).map(table)
}

/// FRED `DGS10` as a table.
pub fn parse_fred(bytes: &[u8], file: &str) -> Result<Table, DataError> {
    fred_csv(bytes, file).map(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_by_header_text_newest_first_blank_missing() {
        let csv = "Date,\"1 Mo\",\"1.5 Month\",\"2 Mo\",\"10 Yr\",\"30 Yr\"\n06/12/2026,4.31,4.30,4.29,4.52,4.81\n06/11/2026,4.32,,4.30,,4.80\n";
        let ys = curve_csv(csv.as_bytes(), "curve.csv").unwrap();
        assert_eq!(ys[0].date, NaiveDate::from_ymd_opt(2026, 6, 11).unwrap());
        assert_eq!((ys[0].ten_year.as_deref(), ys[1].ten_year.as_deref()), (None, Some("4.52")));
        let truncated = "Date,\"10 Yr\",\"30 Yr\"\n06/12/2026,4.52,4.81\n06/11/2026,4.5";
        let err = curve_csv(truncated.as_bytes(), "curve.csv").unwrap_err().to_string();
        assert_eq!(err, "treasury: curve.csv: line 3: 2 of 3 fields (truncated file?)");
        // A footnote row after the data is skipped, not an error.
        let noted =
            "Date,\"10 Yr\",\"30 Yr\"\n06/12/2026,4.52,4.81\n\"Note: 2-month yields were added on 10/16/2018.\"\n";
        assert_eq!(curve_csv(noted.as_bytes(), "curve.csv").unwrap().len(), 1);
    }

    #[test]
    fn xml_feed_with_absent_and_null_values() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices"><entry><content type="application/xml"><m:properties><d:Id m:type="Edm.Int32">9001</d:Id><d:NEW_DATE m:type="Edm.DateTime">2026-06-12T00:00:00</d:NEW_DATE><d:BC_1MONTH m:type="Edm.Double">4.31</d:BC_1MONTH><d:BC_10YEAR m:type="Edm.Double">4.52</d:BC_10YEAR></m:properties></content></entry><entry><content type="application/xml"><m:properties><d:NEW_DATE m:type="Edm.DateTime">2026-06-11T00:00:00</d:NEW_DATE><d:BC_10YEAR m:type="Edm.Double" m:null="true" /></m:properties></content></entry></feed>"#;
        let ys = curve_xml(xml.as_bytes(), "curve.xml").unwrap();
        assert_eq!(ys.len(), 2);
        assert_eq!((ys[0].ten_year.as_deref(), ys[1].ten_year.as_deref()), (None, Some("4.52")));
    }

    #[test]
    fn fred_dots_are_missing() {
        let ys = fred_csv(b"observation_date,DGS10\n2026-06-11,.\n2026-06-12,4.52\n", "DGS10.csv").unwrap();
        assert_eq!((ys[0].ten_year.as_deref(), ys[1].ten_year.as_deref()), (None, Some("4.52")));
        let old = fred_csv(b"DATE,DGS10\n2026-06-12,4.52\n", "DGS10.csv").unwrap();
        assert_eq!(old.len(), 1);
    }
}
