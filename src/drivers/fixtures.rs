//! Offline Kalshi market data from a fixtures directory, in the exchange's own shapes:
//!
//! ```text
//! fixtures/kalshi/series/<SERIES>.json        GET /series/{ticker}
//! fixtures/kalshi/events/<EVENT>.json         GET /events/{ticker}?with_nested_markets=true
//! fixtures/kalshi/orderbooks/<MARKET>.json    GET /markets/{ticker}/orderbook
//! ```
//!
//! Every event needs its series file and one order-book file per market; anything missing
//! or malformed is an error naming the file and the field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::decode::{FileError, read_json};
use crate::kalshi::market_data::{Event, EventResponse, OrderbookResponse, Series, SeriesResponse};
use crate::model::OrderBook;

/// A fixture that could not be used.
#[derive(Debug, Error)]
pub enum FixtureError {
    /// A file could not be read or decoded.
    #[error(transparent)]
    File(#[from] FileError),
    /// A directory could not be listed.
    #[error("{path}: cannot list: {source}")]
    List {
        /// Directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The data decodes but is inconsistent (a bad value, no events for a series).
    #[error("{path}: {message}")]
    Invalid {
        /// File.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// One event with its series and a book per market.
#[derive(Debug, Clone)]
pub struct EventFixture {
    /// The event and its markets.
    pub event: Event,
    /// Order book per market ticker.
    pub books: BTreeMap<String, OrderBook>,
    /// The file the event came from.
    pub path: PathBuf,
}

/// A series and the events found for it.
#[derive(Debug, Clone)]
pub struct SeriesFixture {
    /// The series (fee model, settlement sources).
    pub series: Series,
    /// Its events, in ticker order.
    pub events: Vec<EventFixture>,
}

/// Loads every event under `root/kalshi/events` (optionally only the listed series),
/// grouped by series in ticker order.
pub fn load_market_fixtures(root: &Path, only_series: &[String]) -> Result<Vec<SeriesFixture>, FixtureError> {
    let kalshi = root.join("kalshi");
    let mut by_series: BTreeMap<String, SeriesFixture> = BTreeMap::new();
    for path in json_files(&kalshi.join("events"))? {
        let response: EventResponse = read_json(&path)?;
        let event = response.into_event();
        if !only_series.is_empty() && !only_series.contains(&event.series_ticker) {
            continue;
        }
        if event.markets.is_empty() {
            return Err(FixtureError::Invalid { path, message: "event.markets: event has no markets".into() });
        }
        if !by_series.contains_key(&event.series_ticker) {
            let series_path = kalshi.join("series").join(format!("{}.json", event.series_ticker));
            let series = read_json::<SeriesResponse>(&series_path)?.series;
            by_series.insert(event.series_ticker.clone(), SeriesFixture { series, events: Vec::new() });
        }
        let mut books = BTreeMap::new();
        for market in &event.markets {
            let book_path = kalshi.join("orderbooks").join(format!("{}.json", market.ticker));
            let response: OrderbookResponse = read_json(&book_path)?;
            let book = response
                .to_book()
                .map_err(|e| FixtureError::Invalid { path: book_path.clone(), message: format!("orderbook: {e}") })?;
            books.insert(market.ticker.clone(), book);
        }
        let entry = by_series.get_mut(&event.series_ticker).expect("inserted above");
        entry.events.push(EventFixture { event, books, path });
    }
    for name in only_series {
        if !by_series.contains_key(name) {
            return Err(FixtureError::Invalid {
                path: kalshi.join("events"),
                message: format!("no event fixtures for series {name}"),
            });
        }
    }
    Ok(by_series.into_values().collect())
}

/// The `.json` files in a directory, sorted by name.
fn json_files(dir: &Path) -> Result<Vec<PathBuf>, FixtureError> {
    let read_err = |source| FixtureError::List { path: dir.to_path_buf(), source };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        if path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
