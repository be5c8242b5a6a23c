//! Index values from Massive (formerly Polygon) for the S&P 500 (`I:SPX`) and Nasdaq-100
//! (`I:NDX`) ladders:
//!
//! * aggregates (`/v2/aggs/ticker/I:SPX/range/1/minute/{from}/{to}`): `results[]{o,h,l,c,t}`
//!   with `t` the bar start in unix ms UTC (no volume for indices), `status` `OK` or `DELAYED`,
//!   paging through `next_url`;
//! * the snapshot (`/v3/snapshot/indices?ticker.any_of=…`): `results[]{ticker, value,
//!   last_updated (ns), market_status, session{…}}`.
//!
//! Errors come as `{"status":"ERROR"|"NOT_AUTHORIZED", "error"|"message": …}`.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{Cell, DataError, Table, decode_json};

#[derive(Deserialize)]
struct Aggs {
    status: String,
    #[serde(default)]
    ticker: Option<String>,
    #[serde(default)]
    results: Vec<Bar>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    next_url: Option<String>,
}

#[derive(Deserialize)]
struct Bar {
    o: f64,
    h: f64,
    l: f64,
    c: f64,
    t: i64,
}

/// One bar.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexBar {
    /// `I:SPX`, `I:NDX`.
    pub ticker: String,
    /// Bar start.
    pub start: DateTime<Utc>,
    /// Open.
    pub open: f64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Close.
    pub close: f64,
}

fn status_error(
    source: &str,
    file: &str,
    status: &str,
    error: Option<&str>,
    message: Option<&str>,
) -> Option<DataError> {
    (!matches!(status, "OK" | "DELAYED")).then(|| {
        let why = error.or(message).unwrap_or("no message");
        DataError::new(source, file, Some("status".into()), format!("{status}: {why}"))
    })
}

/// Aggregate bars, oldest first, and the next page's URL if there is one.
pub fn aggregates(bytes: &[u8], file: &str) -> Result<(Vec<IndexBar>, Option<String>), DataError> {
    const SOURCE: &str = "index_aggs";
    let a: Aggs = decode_json(SOURCE, file, bytes)?;
    if let Some(e) = status_error(SOURCE, file, &a.status, a.error.as_deref(), a.message.as_deref()) {
        return Err(e);
    }
    let ticker = a.ticker.clone().unwrap_or_default();
    let mut bars = Vec::with_capacity(a.results.len());
    for (i, b) in a.results.iter().enumerate() {
        let start = DateTime::<Utc>::from_timestamp_millis(b.t).ok_or_else(|| {
            DataError::new(SOURCE, file, Some(format!("results[{i}].t")), format!("{} is not a time", b.t))
        })?;
        bars.push(IndexBar { ticker: ticker.clone(), start, open: b.o, high: b.h, low: b.l, close: b.c });
    }
    bars.sort_by_key(|b| b.start);
    Ok((bars, a.next_url))
}

#[derive(Deserialize)]
struct Snapshot {
    status: String,
    #[serde(default)]
    results: Vec<SnapshotItem>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct SnapshotItem {
    ticker: String,
    #[serde(default)]
    value: Option<f64>,
    #[serde(default)]
    last_updated: Option<i64>,
    #[serde(default)]
    market_status: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// One index's latest value.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexValue {
    /// `I:SPX`.
    pub ticker: String,
    /// The value.
    pub value: f64,
    /// When it was last updated.
    pub updated: DateTime<Utc>,
    /// `open`, `closed`, `early_trading`, …
    pub market_status: String,
}

/// The snapshot's values.
pub fn snapshot(bytes: &[u8], file: &str) -> Result<Vec<IndexValue>, DataError> {
    const SOURCE: &str = "index_snapshot";
    let s: Snapshot = decode_json(SOURCE, file, bytes)?;
    if let Some(e) = status_error(SOURCE, file, &s.status, s.error.as_deref(), s.message.as_deref()) {
        return Err(e);
    }
    let mut out = Vec::new();
    for (i, r) in s.results.iter().enumerate() {
        let at = || Some(format!("results[{i}]"));
        if let Some(e) = &r.error {
            return Err(DataError::new(SOURCE, file, at(), format!("{}: {e}", r.ticker)));
        }
        let value = r.value.ok_or_else(|| DataError::new(SOURCE, file, at(), format!("{}: no value", r.ticker)))?;
        let updated = r
            .last_updated
            .map(DateTime::<Utc>::from_timestamp_nanos)
            .ok_or_else(|| DataError::new(SOURCE, file, at(), format!("{}: no last_updated", r.ticker)))?;
        out.push(IndexValue {
            ticker: r.ticker.clone(),
            value,
            updated,
            market_status: r.market_status.clone().unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Bars as a table.
pub fn parse_aggs(bytes: &[u8], file: &str) -> Result<Table, DataError> {
    let (bars, _) = aggregates(bytes, file)?;
    Ok(Table {
        columns: vec!["ticker", "start", "open", "high", "low", "close"],
        as_of: bars.last().map(|b| b.start.date_naive()),
        rows: bars
            .into_iter()
            .map(|b| {
                vec![
                    Cell::Text(b.ticker),
                    Cell::Time(b.start),
                    Cell::Float(b.open),
                    Cell::Float(b.high),
                    Cell::Float(b.low),
                    Cell::Float(b.close),
                ]
            })
            .collect(),
    })
}

/// The snapshot as a table.
pub fn parse_snapshot(bytes: &[u8], file: &str) -> Result<Table, DataError> {
    let values = snapshot(bytes, file)?;
    Ok(Table {
        columns: vec!["ticker", "value", "updated", "market_status"],
        as_of: values.iter().map(|v| v.updated.date_naive()).max(),
        rows: values
            .into_iter()
            .map(|v| {
                vec![Cell::Text(v.ticker), Cell::Float(v.value), Cell::Time(v.updated), Cell::Text(v.market_status)]
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_and_paging() {
        let json = r#"{"ticker":"I:SPX","queryCount":2,"resultsCount":2,"adjusted":true,"results":[{"o":6838.1,"c":6839.4,"h":6840.0,"l":6837.9,"t":1764014460000},{"o":6835.0,"c":6838.1,"h":6838.5,"l":6834.2,"t":1764014400000}],"status":"DELAYED","request_id":"abc","count":2,"next_url":"https://api.massive.com/v2/aggs/ticker/I:SPX/range/1/minute/1764014520000/1764021600000?cursor=x"}"#;
        let (bars, next) = aggregates(json.as_bytes(), "aggs.json").unwrap();
        assert_eq!(bars[0].close, 6838.1);
        assert!(next.unwrap().contains("cursor=x"));
        let err = aggregates(
            br#"{"status":"NOT_AUTHORIZED","request_id":"x","message":"You are not entitled to this data."}"#,
            "a.json",
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "index_aggs: a.json: status: NOT_AUTHORIZED: You are not entitled to this data.");
    }

    #[test]
    fn snapshot_values() {
        let json = r#"{"results":[{"ticker":"I:SPX","name":"S&P 500","value":6838.42,"last_updated":1764014400000000000,"timeframe":"DELAYED","market_status":"open","session":{"change":12.1,"change_percent":0.18,"close":6838.42,"high":6845.0,"low":6801.2,"open":6810.0,"previous_close":6826.32}},{"ticker":"I:NDX","error":"NOT_FOUND","message":"Ticker not found."}],"status":"OK","request_id":"r"}"#;
        let err = snapshot(json.as_bytes(), "s.json").unwrap_err();
        assert_eq!(err.to_string(), "index_snapshot: s.json: results[1]: I:NDX: NOT_FOUND");
        let one = json.replace(r#",{"ticker":"I:NDX","error":"NOT_FOUND","message":"Ticker not found."}"#, "");
        let v = snapshot(one.as_bytes(), "s.json").unwrap();
        assert_eq!((v[0].value, v[0].market_status.as_str()), (6838.42, "open"));
    }
}
