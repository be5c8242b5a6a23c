//! The ledger as parquet tables for pandas, duckdb or polars:
//! `data/proc/ledger/{orders,fills,positions}.parquet`, rebuilt from the journal after each
//! session and written atomically (uncompressed, so any reader opens them); not fsync'd: the
//! journal is the durable record and rebuilds them.
//!
//! Column types: timestamps are `Datetime(ms)` in UTC; every exact decimal appears twice, as
//! the Kalshi-style string (`"0.4200"`, `"10.00"`, `"1.3125"`) and as a scaled integer that
//! sums exactly: `*_micros` (10⁻⁶ dollars, prices), `*_centis` (10⁻² contracts, counts) and
//! `*_units` (10⁻⁸ dollars, money).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use polars::prelude::*;

use crate::ledger::{Fill, LedgerEvent, LedgerState, OrderPlaced};
use crate::model::{Count, Money};

/// A table that could not be built or written.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct TableError {
    /// The table's file.
    pub path: PathBuf,
    /// Why.
    pub message: String,
}

/// Where the tables live under an output root.
pub fn tables_dir(out_root: &Path) -> PathBuf {
    out_root.join("data/proc/ledger")
}

struct OrderRow<'a> {
    placed: &'a OrderPlaced,
    filled: Count,
    status: &'static str,
}

/// Writes the three tables from the journal's events and the ledger they replay into.
pub fn write_tables(dir: &Path, events: &[LedgerEvent], state: &LedgerState) -> Result<Vec<PathBuf>, TableError> {
    let mut orders: BTreeMap<&str, OrderRow<'_>> = BTreeMap::new();
    let mut order_ids = Vec::new();
    let mut fills: Vec<&Fill> = Vec::new();
    for event in events {
        match event {
            LedgerEvent::OrderPlaced(o) => {
                order_ids.push(o.client_order_id.as_str());
                orders.insert(&o.client_order_id, OrderRow { placed: o, filled: Count::ZERO, status: "open" });
            }
            LedgerEvent::Fill(f) => {
                fills.push(f);
                if let Some(row) = orders.get_mut(f.client_order_id.as_str()) {
                    row.filled = row.filled + f.count;
                    if row.filled >= row.placed.count {
                        row.status = "filled";
                    }
                }
            }
            LedgerEvent::OrderCancelled { client_order_id, .. } => {
                if let Some(row) = orders.get_mut(client_order_id.as_str()) {
                    row.status = "cancelled";
                }
            }
            LedgerEvent::Settled { ticker, .. } => {
                for row in orders.values_mut().filter(|r| &r.placed.ticker == ticker && r.status == "open") {
                    row.status = "settled";
                }
            }
        }
    }
    let rows: Vec<&OrderRow<'_>> = order_ids.iter().filter_map(|id| orders.get(id)).collect();
    let written = vec![
        write(dir.join("orders.parquet"), orders_frame(&rows))?,
        write(dir.join("fills.parquet"), fills_frame(&fills))?,
        write(dir.join("positions.parquet"), positions_frame(state))?,
    ];
    Ok(written)
}

fn ms(ts: DateTime<Utc>) -> i64 {
    ts.timestamp_millis()
}

/// Milliseconds as a `Datetime(ms)` column, typed in place (a cast of an empty column would
/// zero-fill polars' 8 MiB global buffer; see [`crate::storage::parquet_bytes`]).
fn datetime(name: &str, values: Vec<i64>) -> PolarsResult<Column> {
    Ok(Int64Chunked::from_vec(name.into(), values).into_datetime(TimeUnit::Milliseconds, None).into_column())
}

fn text<'a>(name: &str, values: impl Iterator<Item = &'a str>) -> Column {
    Column::new(name.into(), values.collect::<Vec<&str>>())
}

fn strings(name: &str, values: impl Iterator<Item = String>) -> Column {
    Column::new(name.into(), values.collect::<Vec<String>>())
}

fn ints(name: &str, values: impl Iterator<Item = i64>) -> Column {
    Column::new(name.into(), values.collect::<Vec<i64>>())
}

fn money(name: &str, values: &[Money]) -> [Column; 2] {
    [
        strings(name, values.iter().map(|m| m.to_string())),
        ints(&format!("{name}_units"), values.iter().map(|m| m.units())),
    ]
}

fn orders_frame(rows: &[&OrderRow<'_>]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            datetime("ts", rows.iter().map(|r| ms(r.placed.ts)).collect())?,
            text("client_order_id", rows.iter().map(|r| r.placed.client_order_id.as_str())),
            text("mode", rows.iter().map(|r| r.placed.mode.as_str())),
            text("series", rows.iter().map(|r| r.placed.series.as_str())),
            text("event", rows.iter().map(|r| r.placed.event.as_str())),
            text("ticker", rows.iter().map(|r| r.placed.ticker.as_str())),
            text("side", rows.iter().map(|r| r.placed.side.as_str())),
            text("role", rows.iter().map(|r| r.placed.role.as_str())),
            strings("price", rows.iter().map(|r| r.placed.price.to_string())),
            ints("price_micros", rows.iter().map(|r| r.placed.price.micros())),
            strings("count", rows.iter().map(|r| r.placed.count.to_string())),
            ints("count_centis", rows.iter().map(|r| r.placed.count.centis())),
            strings("filled", rows.iter().map(|r| r.filled.to_string())),
            ints("filled_centis", rows.iter().map(|r| r.filled.centis())),
            text("status", rows.iter().map(|r| r.status)),
        ],
    )
}

fn fills_frame(fills: &[&Fill]) -> PolarsResult<DataFrame> {
    let fees: Vec<Money> = fills.iter().map(|f| f.fee).collect();
    let [fee, fee_units] = money("fee", &fees);
    DataFrame::new(
        fills.len(),
        vec![
            datetime("ts", fills.iter().map(|f| ms(f.ts)).collect())?,
            text("client_order_id", fills.iter().map(|f| f.client_order_id.as_str())),
            text("mode", fills.iter().map(|f| f.mode.as_str())),
            text("series", fills.iter().map(|f| f.series.as_str())),
            text("ticker", fills.iter().map(|f| f.ticker.as_str())),
            text("side", fills.iter().map(|f| f.side.as_str())),
            text("role", fills.iter().map(|f| f.role.as_str())),
            strings("price", fills.iter().map(|f| f.price.to_string())),
            ints("price_micros", fills.iter().map(|f| f.price.micros())),
            strings("count", fills.iter().map(|f| f.count.to_string())),
            ints("count_centis", fills.iter().map(|f| f.count.centis())),
            fee,
            fee_units,
        ],
    )
}

fn positions_frame(state: &LedgerState) -> PolarsResult<DataFrame> {
    let positions: Vec<_> = state.positions.values().collect();
    let costs: Vec<Money> = positions.iter().map(|p| p.cost).collect();
    let [cost, cost_units] = money("cost", &costs);
    DataFrame::new(
        positions.len(),
        vec![
            text("series", positions.iter().map(|p| p.series.as_str())),
            text("ticker", positions.iter().map(|p| p.ticker.as_str())),
            text("side", positions.iter().map(|p| p.side.as_str())),
            strings("count", positions.iter().map(|p| p.count.to_string())),
            ints("count_centis", positions.iter().map(|p| p.count.centis())),
            cost,
            cost_units,
        ],
    )
}

fn write(path: PathBuf, frame: PolarsResult<DataFrame>) -> Result<PathBuf, TableError> {
    let err = |e: &dyn std::fmt::Display| TableError { path: path.clone(), message: e.to_string() };
    let mut frame = frame.map_err(|e| err(&e))?;
    let bytes = crate::storage::parquet_bytes(&mut frame).map_err(|e| err(&e))?;
    crate::storage::write_replace(&path, &bytes).map_err(|e| err(&e))?;
    Ok(path)
}

/// Reads one table back (tests, `ledger show` cross-checks).
pub fn read_table(path: &Path) -> Result<DataFrame, TableError> {
    let err = |e: &dyn std::fmt::Display| TableError { path: path.to_path_buf(), message: e.to_string() };
    let file = std::fs::File::open(path).map_err(|e| err(&e))?;
    ParquetReader::new(file).finish().map_err(|e| err(&e))
}
