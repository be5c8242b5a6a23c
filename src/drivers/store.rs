//! Where driver data lives: raw bytes exactly as fetched under
//! `data/raw/<source>/<YYYY-MM-DD>/<HHMMSS.mmm>.<ext>`, the parsed table as parquet under
//! `data/proc/<source>/<source>.parquet` with `meta.json` beside it (fetched at, as of,
//! origin, redacted URL, SHA-256 of the raw bytes, rows), and bundled fixtures under
//! `fixtures/data/<source>/`. Tables and meta are written atomically, and only from a payload
//! that parsed: a bad payload never replaces the last good table.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::drivers::parse::{Cell, Table};
use crate::drivers::source::Source;

/// Where a table's bytes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Fetched just now.
    Network,
    /// The newest raw file kept from an earlier fetch.
    Cache,
    /// The bundled fixture (offline, or nothing better).
    Fixture,
    /// A file given to `data parse`.
    File,
}

impl Origin {
    /// `network`, `cache`, `fixture`, `file`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Network => "network",
            Origin::Cache => "cache",
            Origin::Fixture => "fixture",
            Origin::File => "file",
        }
    }
}

/// `meta.json`: what the current table is and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// Source name.
    pub source: String,
    /// When the bytes were fetched from the source: for a cached file served later, its own
    /// original fetch time; `None` for a bundled fixture (nobody knows when it was taken).
    #[serde(default)]
    pub fetched_at: Option<DateTime<Utc>>,
    /// The latest observation date in the table.
    pub as_of: Option<NaiveDate>,
    /// Network, cache or fixture.
    pub origin: Origin,
    /// The raw file the table was parsed from.
    pub raw: PathBuf,
    /// The URL (secrets redacted), when fetched.
    pub url: Option<String>,
    /// SHA-256 of the raw bytes.
    pub sha256: String,
    /// Rows in the table.
    pub rows: usize,
    /// Why the network was not used, when it was not.
    pub fallback_reason: Option<String>,
}

impl Meta {
    /// Seconds since the bytes were fetched (`None`: unknown).
    pub fn age_secs(&self, now: DateTime<Utc>) -> Option<f64> {
        self.fetched_at.map(|t| (now - t).num_milliseconds().max(0) as f64 / 1000.0)
    }
}

/// A store that cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct StoreError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub message: String,
}

fn store_error(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError { path: path.to_path_buf(), message: e.to_string() }
}

/// The data directories under an output root, and the bundled fixtures.
#[derive(Debug, Clone)]
pub struct DataStore {
    out: PathBuf,
    fixtures: PathBuf,
}

impl DataStore {
    /// Data under `out/data/`, fixtures under `fixtures/data/`.
    pub fn new(out: &Path, fixtures: &Path) -> DataStore {
        DataStore { out: out.to_path_buf(), fixtures: fixtures.to_path_buf() }
    }

    /// `data/raw/<source>/`.
    pub fn raw_dir(&self, source: Source) -> PathBuf {
        self.out.join("data/raw").join(source.name())
    }

    /// `data/proc/<source>/`.
    pub fn proc_dir(&self, source: Source) -> PathBuf {
        self.out.join("data/proc").join(source.name())
    }

    /// The table's parquet file.
    pub fn table_path(&self, source: Source) -> PathBuf {
        self.proc_dir(source).join(format!("{}.parquet", source.name()))
    }

    /// When a raw file kept by [`DataStore::save_raw`] was fetched, from its name
    /// (`<YYYY-MM-DD>/<HHMMSS.mmm>.<ext>`); `None` for any other file.
    pub fn fetched_at_of(path: &Path) -> Option<DateTime<Utc>> {
        let day = path.parent()?.file_name()?.to_str()?;
        let time = path.file_stem()?.to_str()?;
        let stamp = format!("{day} {time}");
        chrono::NaiveDateTime::parse_from_str(&stamp, "%Y-%m-%d %H%M%S%.3f").ok().map(|t| t.and_utc())
    }

    /// Keeps raw bytes (atomically), named by the fetch instant.
    pub fn save_raw(&self, source: Source, bytes: &[u8], at: DateTime<Utc>) -> Result<PathBuf, StoreError> {
        let path = self.raw_dir(source).join(at.format("%Y-%m-%d").to_string()).join(format!(
            "{}.{}",
            at.format("%H%M%S%.3f"),
            source.extension()
        ));
        crate::storage::write_atomic(&path, bytes).map_err(|e| store_error(&path, e))?;
        Ok(path)
    }

    /// Raw files kept for `source`, newest first.
    pub fn cached(&self, source: Source) -> Vec<PathBuf> {
        let mut files = Vec::new();
        let Ok(days) = std::fs::read_dir(self.raw_dir(source)) else { return files };
        for day in days.flatten() {
            if let Ok(entries) = std::fs::read_dir(day.path()) {
                files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file() && !is_temp(p)));
            }
        }
        files.sort();
        files.reverse();
        files
    }

    /// The bundled fixture files for `source`, newest (by name) first.
    pub fn fixtures(&self, source: Source) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.fixtures.join("data").join(source.name()))
            .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect())
            .unwrap_or_default();
        files.sort();
        files.reverse();
        files
    }

    /// The current table's meta, if any.
    pub fn meta(&self, source: Source) -> Result<Option<Meta>, StoreError> {
        let path = self.proc_dir(source).join("meta.json");
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| store_error(&path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(store_error(&path, e)),
        }
    }

    /// Writes the table (parquet) and then its meta, both atomically.
    pub fn write_table(&self, source: Source, table: &Table, meta: &Meta) -> Result<(), StoreError> {
        let path = self.table_path(source);
        let mut frame = frame(table).map_err(|e| store_error(&path, e))?;
        let bytes = crate::storage::parquet_bytes(&mut frame).map_err(|e| store_error(&path, e))?;
        crate::storage::write_atomic(&path, &bytes).map_err(|e| store_error(&path, e))?;
        let meta_path = self.proc_dir(source).join("meta.json");
        let json = serde_json::to_vec_pretty(meta).expect("meta serialises");
        crate::storage::write_atomic(&meta_path, &json).map_err(|e| store_error(&meta_path, e))
    }

    /// Reads the table back.
    pub fn read_table(&self, source: Source) -> Result<DataFrame, StoreError> {
        let path = self.table_path(source);
        let file = std::fs::File::open(&path).map_err(|e| store_error(&path, e))?;
        ParquetReader::new(file).finish().map_err(|e| store_error(&path, e))
    }
}

fn is_temp(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))
}

/// SHA-256 of bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The table as a data frame. Column types follow the cells: dates and instants as
/// `Datetime(ms)` UTC (a date at 00:00), decimals twice — the exact published text and a
/// `<name>_f64` float for analysis —, integers, floats, flags, text; missing cells are null.
fn frame(table: &Table) -> PolarsResult<DataFrame> {
    let mut columns = Vec::new();
    for (c, name) in table.columns.iter().enumerate() {
        let cells: Vec<&Cell> = table.rows.iter().map(|r| r.get(c).unwrap_or(&Cell::Missing)).collect();
        let kind = cells.iter().find(|cell| !matches!(cell, Cell::Missing));
        let column = match kind {
            Some(Cell::Date(_)) | Some(Cell::Time(_)) => {
                let ms: Vec<Option<i64>> = cells
                    .iter()
                    .map(|cell| match cell {
                        Cell::Date(d) => d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()),
                        Cell::Time(t) => Some(t.timestamp_millis()),
                        _ => None,
                    })
                    .collect();
                Column::new((*name).into(), ms).cast(&DataType::Datetime(TimeUnit::Milliseconds, None))?
            }
            Some(Cell::Int(_)) => Column::new(
                (*name).into(),
                cells.iter().map(|c| if let Cell::Int(i) = c { Some(*i) } else { None }).collect::<Vec<_>>(),
            ),
            Some(Cell::Float(_)) => Column::new(
                (*name).into(),
                cells.iter().map(|c| if let Cell::Float(f) = c { Some(*f) } else { None }).collect::<Vec<_>>(),
            ),
            Some(Cell::Bool(_)) => Column::new(
                (*name).into(),
                cells.iter().map(|c| if let Cell::Bool(b) = c { Some(*b) } else { None }).collect::<Vec<_>>(),
            ),
            Some(Cell::Decimal(_)) => {
                let text: Vec<Option<&str>> =
                    cells.iter().map(|c| if let Cell::Decimal(t) = c { Some(t.as_str()) } else { None }).collect();
                let floats: Vec<Option<f64>> = text.iter().map(|t| t.and_then(|t| t.parse().ok())).collect();
                columns.push(Column::new(format!("{name}_f64").into(), floats));
                Column::new((*name).into(), text)
            }
            _ => Column::new(
                (*name).into(),
                cells.iter().map(|c| if let Cell::Text(t) = c { Some(t.as_str()) } else { None }).collect::<Vec<_>>(),
            ),
        };
        columns.push(column);
    }
    DataFrame::new(table.rows.len(), columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_round_trip_through_parquet_with_nulls() {
        let dir = tempfile::tempdir().unwrap();
        let store = DataStore::new(dir.path(), dir.path());
        let table = Table {
            columns: vec!["date", "ten_year"],
            as_of: NaiveDate::from_ymd_opt(2026, 6, 12),
            rows: vec![
                vec![Cell::Date(NaiveDate::from_ymd_opt(2026, 6, 11).unwrap()), Cell::Missing],
                vec![Cell::Date(NaiveDate::from_ymd_opt(2026, 6, 12).unwrap()), Cell::Decimal("4.52".into())],
            ],
        };
        let meta = Meta {
            source: "treasury".into(),
            fetched_at: None,
            as_of: table.as_of,
            origin: Origin::Fixture,
            raw: PathBuf::from("x.csv"),
            url: None,
            sha256: sha256_hex(b"x"),
            rows: 2,
            fallback_reason: None,
        };
        store.write_table(Source::Treasury, &table, &meta).unwrap();
        let df = store.read_table(Source::Treasury).unwrap();
        assert_eq!(df.height(), 2);
        assert_eq!(df.column("ten_year").unwrap().null_count(), 1);
        assert_eq!(df.column("ten_year_f64").unwrap().f64().unwrap().get(1), Some(4.52));
        assert_eq!(store.meta(Source::Treasury).unwrap().unwrap(), meta);
        let raw = store.save_raw(Source::Treasury, b"a", DateTime::<Utc>::UNIX_EPOCH).unwrap();
        assert!(raw.ends_with("1970-01-01/000000.000.csv"));
        assert_eq!(store.cached(Source::Treasury), vec![raw]);
    }
}
