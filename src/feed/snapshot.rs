//! Adapters from the exchange's shapes to the scan's [`LadderSnapshot`]: one for an event and
//! books read from files or REST (`GET /events/{t}` + `GET /markets/{t}/orderbook`), one for
//! live WebSocket books. Fees are resolved here through [`FeeConfig::resolve`], the one
//! place that applies series values, event overrides and `configs/fees.toml`. Pure.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::kalshi::live_book::BookSet;
use crate::kalshi::market_data::{Event, MarketError, Series};
use crate::model::OrderBook;
use crate::pricing::fees::{FeeConfig, FeeError, FeeSchedule, ReportedFees};
use crate::scan::snapshot::{LadderSnapshot, RungSnapshot};

/// Why an event cannot become a snapshot.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SnapshotError {
    /// A market's fields are unusable.
    #[error(transparent)]
    Market(#[from] MarketError),
    /// The series' fees cannot be priced.
    #[error("series {series}: {source}")]
    Fees {
        /// Series ticker.
        series: String,
        /// Why.
        #[source]
        source: FeeError,
    },
    /// A book response that does not decode into levels.
    #[error("market {ticker}: order book: {message}")]
    Book {
        /// Market ticker.
        ticker: String,
        /// Why.
        message: String,
    },
    /// A market has no (valid) book.
    #[error("event {event}: no order book for market {ticker}")]
    MissingBook {
        /// Event ticker.
        event: String,
        /// Market ticker.
        ticker: String,
    },
}

/// The fees that apply to `event` of `series`, resolved once.
pub fn event_fees(series: &Series, event: &Event, config: &FeeConfig) -> Result<FeeSchedule, SnapshotError> {
    resolve(series, Some(event), config)
}

/// The series' own fees, without any event override (for reports).
pub fn series_fees(series: &Series, config: &FeeConfig) -> Result<FeeSchedule, SnapshotError> {
    resolve(series, None, config)
}

fn resolve(series: &Series, event: Option<&Event>, config: &FeeConfig) -> Result<FeeSchedule, SnapshotError> {
    let reported = ReportedFees {
        fee_type: &series.fee_type,
        multiplier: series.fee_multiplier,
        event_fee_type: event.and_then(|e| e.fee_type_override.as_deref()),
        event_multiplier: event.and_then(|e| e.fee_multiplier_override),
    };
    config
        .resolve(&series.ticker, reported)
        .map_err(|source| SnapshotError::Fees { series: series.ticker.clone(), source })
}

/// A snapshot from an event and a book per market, each with its age in milliseconds
/// (`book` returns `None` for a market without a usable book).
pub fn ladder_snapshot(
    series: &Series,
    event: &Event,
    fees: &FeeConfig,
    source: &str,
    mut book: impl FnMut(&str) -> Option<(OrderBook, i64)>,
) -> Result<LadderSnapshot, SnapshotError> {
    let fees = event_fees(series, event, fees)?;
    let rungs = event
        .markets
        .iter()
        .map(|m| {
            let (book, book_age_ms) = book(&m.ticker).ok_or_else(|| SnapshotError::MissingBook {
                event: event.event_ticker.clone(),
                ticker: m.ticker.clone(),
            })?;
            Ok(RungSnapshot {
                ticker: m.ticker.clone(),
                strike: m.strike()?,
                tradeable: m.is_tradeable(),
                book,
                book_age_ms,
            })
        })
        .collect::<Result<Vec<_>, SnapshotError>>()?;
    Ok(LadderSnapshot {
        series: series.ticker.clone(),
        event: event.event_ticker.clone(),
        title: event.title.clone(),
        fees,
        rungs,
        source: source.to_string(),
    })
}

/// A snapshot from books fetched at one moment (fixtures under `--offline`, or REST order
/// books): each book is `age_ms` old.
pub fn from_books(
    series: &Series,
    event: &Event,
    books: &BTreeMap<String, OrderBook>,
    age_ms: i64,
    fees: &FeeConfig,
    source: &str,
) -> Result<LadderSnapshot, SnapshotError> {
    ladder_snapshot(series, event, fees, source, |t| books.get(t).map(|b| (b.clone(), age_ms)))
}

/// A snapshot from live WebSocket books as of `now_ms`; a book that has not had a snapshot
/// since its last gap counts as missing.
pub fn from_live(
    series: &Series,
    event: &Event,
    books: &BookSet,
    now_ms: i64,
    fees: &FeeConfig,
) -> Result<LadderSnapshot, SnapshotError> {
    ladder_snapshot(series, event, fees, "live", |t| {
        let live = books.book(t).filter(|b| b.valid)?;
        Some((live.to_book(), live.age_ms(now_ms).unwrap_or(0).max(0)))
    })
}
