//! `ledger show|settle` as library calls: open the paper or live ledger, read marks and
//! results for its markets (from the fixtures or the exchange), and value or settle it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use thiserror::Error;

use crate::brokers::BrokerError;
use crate::brokers::journal::{Journal, SettledMarket, journal_path, settle_markets};
use crate::brokers::ledger_tables::{TableError, tables_dir, write_tables};
use crate::config::{ConfigError, ScanConfig};
use crate::drivers::fixtures::{FixtureError, load_market_fixtures};
use crate::kalshi::rest::{RestClient, RestConfig, RestError};
use crate::ledger::{LedgerEvent, LedgerState, OpenOrder, Position};
use crate::model::{Money, Price, Side};

/// Which ledger, where.
#[derive(Debug, Clone)]
pub struct LedgerPlace {
    /// Root holding `data/proc/ledger/`.
    pub out: PathBuf,
    /// Directory with `paper.toml` (the paper ledger's starting cash).
    pub configs: PathBuf,
    /// The live ledger (cash from zero) instead of paper.
    pub live: bool,
}

/// Where marks and settlement results come from.
#[derive(Debug, Clone, Copy)]
pub enum MarketSource<'a> {
    /// The fixture root's events and books.
    Fixtures(&'a Path),
    /// The exchange's REST API at this base URL (public data, no key).
    Exchange(&'a str),
}

/// A settled market's result and when the venue says it settled.
pub type Settled = (Side, Option<DateTime<Utc>>);

/// YES mids and settlement results, by market.
#[derive(Debug, Default)]
pub struct MarketStates {
    /// YES mids of markets still trading.
    pub marks: BTreeMap<String, Price>,
    /// Results of settled markets.
    pub results: BTreeMap<String, Settled>,
}

/// Why a ledger command failed.
#[derive(Debug, Error)]
pub enum LedgerOpsError {
    /// `paper.toml`.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The journal.
    #[error(transparent)]
    Journal(#[from] BrokerError),
    /// The fixtures.
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    /// The exchange.
    #[error("market {ticker}: {source}")]
    Exchange {
        /// The market asked about.
        ticker: String,
        /// Why.
        #[source]
        source: RestError,
    },
    /// An order book the exchange sent that does not decode.
    #[error("market {ticker}: order book: {message}")]
    Book {
        /// The market.
        ticker: String,
        /// Why.
        message: String,
    },
    /// No client or runtime for the exchange.
    #[error("exchange client: {0}")]
    Client(String),
    /// The parquet tables.
    #[error(transparent)]
    Tables(#[from] TableError),
}

/// Opens the ledger: its journal and the state it replays to.
pub fn open(place: &LedgerPlace) -> Result<(Journal, LedgerState), LedgerOpsError> {
    if place.live {
        let journal = Journal::new(crate::brokers::live::live_journal_path(&place.out));
        let state = journal.replay(Money::ZERO)?;
        return Ok((journal, state));
    }
    let config = ScanConfig::load(&place.configs)?;
    let journal = Journal::new(journal_path(&place.out));
    let state = journal.replay(config.paper.starting_cash)?;
    Ok((journal, state))
}

/// Marks and results for `tickers` (the fixtures give every market they hold).
pub fn market_states(source: MarketSource<'_>, tickers: &[String]) -> Result<MarketStates, LedgerOpsError> {
    match source {
        MarketSource::Fixtures(root) => fixture_markets(root),
        MarketSource::Exchange(base_url) => exchange_markets(base_url, tickers),
    }
}

fn fixture_markets(root: &Path) -> Result<MarketStates, LedgerOpsError> {
    let mut states = MarketStates::default();
    for series in load_market_fixtures(root, &[])? {
        for ev in series.events {
            for m in &ev.event.markets {
                if let Some(mid) = ev.books.get(&m.ticker).and_then(|b| b.yes_mid()) {
                    states.marks.insert(m.ticker.clone(), mid);
                }
                if let Some(side) = m.settled_result() {
                    states.results.insert(m.ticker.clone(), (side, m.settled_at()));
                }
            }
        }
    }
    Ok(states)
}

fn exchange_markets(base_url: &str, tickers: &[String]) -> Result<MarketStates, LedgerOpsError> {
    let config = RestConfig { base_url: base_url.to_string(), ..RestConfig::default() };
    let client = RestClient::new(config, None).map_err(|e| LedgerOpsError::Client(e.to_string()))?;
    let runtime = crate::kalshi::runtime::current_thread().map_err(|e| LedgerOpsError::Client(e.to_string()))?;
    runtime.block_on(async {
        let mut states = MarketStates::default();
        for t in tickers {
            let exchange = |source| LedgerOpsError::Exchange { ticker: t.clone(), source };
            let market = client.market(t).await.map_err(exchange)?.market;
            if let Some(side) = market.settled_result() {
                states.results.insert(t.clone(), (side, market.settled_at()));
                continue;
            }
            let book = client.orderbook(t).await.map_err(exchange)?;
            let book =
                book.to_book().map_err(|e| LedgerOpsError::Book { ticker: t.clone(), message: e.to_string() })?;
            if let Some(mid) = book.yes_mid() {
                states.marks.insert(t.clone(), mid);
            }
        }
        Ok(states)
    })
}

/// Realised P&L and fees of one New York day and series.
#[derive(Debug, Serialize)]
pub struct DayRow {
    /// The day.
    pub date: String,
    /// The series.
    pub series: String,
    /// Realised P&L.
    pub realised: Money,
    /// Fees paid.
    pub fees: Money,
}

/// The ledger valued at mids.
#[derive(Debug, Serialize)]
pub struct LedgerView {
    /// Cash.
    pub cash: Money,
    /// Fees paid, all time.
    pub fees_paid: Money,
    /// Realised P&L, all time.
    pub realised_total: Money,
    /// Open positions at mid less their cost.
    pub unrealised_at_mid: Money,
    /// Cash plus positions at mid.
    pub equity_at_mid: Money,
    /// Open positions.
    pub positions: Vec<Position>,
    /// Resting orders.
    pub open_orders: Vec<OpenOrder>,
    /// Realised P&L by day and series.
    pub realised_by_day: Vec<DayRow>,
    /// Positions with no mid (valued at cost).
    pub unmarked: Vec<String>,
}

/// `ledger show`: the ledger at `place`, marked from `source`.
pub fn show(place: &LedgerPlace, source: MarketSource<'_>) -> Result<LedgerView, LedgerOpsError> {
    let (_, state) = open(place)?;
    let tickers: Vec<String> = state.positions.keys().cloned().collect();
    let marks = market_states(source, &tickers)?.marks;
    let unmarked = tickers.iter().filter(|t| !marks.contains_key(*t)).cloned().collect();
    Ok(LedgerView {
        cash: state.cash,
        fees_paid: state.fees_paid,
        realised_total: state.realised.values().map(|d| d.realised).sum(),
        unrealised_at_mid: state.unrealised(&marks),
        equity_at_mid: state.equity(&marks),
        positions: state.positions.values().cloned().collect(),
        open_orders: state.open_orders.values().cloned().collect(),
        realised_by_day: state
            .realised
            .iter()
            .map(|((d, s), p)| DayRow { date: d.to_string(), series: s.clone(), realised: p.realised, fees: p.fees })
            .collect(),
        unmarked,
    })
}

/// What `ledger settle` did.
#[derive(Debug)]
pub struct SettleReport {
    /// Markets settled now.
    pub settled: Vec<SettledMarket>,
    /// Markets still open.
    pub still_open: usize,
    /// Realised P&L, all time, after settling.
    pub realised_total: Money,
    /// Cash after settling.
    pub cash: Money,
}

/// `ledger settle`: books the results `source` gives for the ledger's open markets (at the
/// venue's settlement time, else `fallback`) and rewrites the parquet tables.
pub fn settle(
    place: &LedgerPlace,
    source: MarketSource<'_>,
    fallback: DateTime<Utc>,
) -> Result<SettleReport, LedgerOpsError> {
    let (journal, mut state) = open(place)?;
    let unsettled: Vec<String> = state.unsettled_markets().into_iter().collect();
    let results = market_states(source, &unsettled)?.results;
    let settled = settle_markets(&journal, &mut state, &results, fallback)?;
    let events: Vec<LedgerEvent> = journal.events()?.into_iter().map(|(_, e)| e).collect();
    let dir = tables_dir(&place.out);
    let dir = if place.live { dir.join("live") } else { dir };
    write_tables(&dir, &events, &state)?;
    Ok(SettleReport {
        still_open: unsettled.len().saturating_sub(settled.len()),
        settled,
        realised_total: state.realised.values().map(|d| d.realised).sum(),
        cash: state.cash,
    })
}
