//! The online market feed: series, events and markets over REST, the ladder markets' books
//! (and trades) over the WebSocket, kept subscribed in the background so every scan of a
//! session reads live books. Starting it waits (bounded) for every book's snapshot and names
//! the markets that never got one.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::feed::snapshot::{SnapshotError, from_live, series_fees};
use crate::kalshi::live_book::BookSet;
use crate::kalshi::market_data::{Event, Series};
use crate::kalshi::replay::{RecordedLadder, header_line};
use crate::kalshi::rest::{RestClient, RestError};
use crate::kalshi::signing::Signer;
use crate::kalshi::ws::{FillUpdate, TradeUpdate, WsMessage};
use crate::kalshi::ws_client::{WsClient, WsClientError, WsConfig, WsEvent, ws_url_for};
use crate::pricing::fees::FeeConfig;
use crate::risk::gate::GateInputs;
use crate::scan::SeriesSnapshot;

/// Why the feed could not start or read.
#[derive(Debug, Error)]
pub enum OnlineError {
    /// A REST call failed.
    #[error(transparent)]
    Rest(#[from] RestError),
    /// The WebSocket URL is wrong.
    #[error(transparent)]
    Ws(#[from] WsClientError),
    /// The async runtime could not start.
    #[error("cannot start the network runtime: {0}")]
    Runtime(std::io::Error),
    /// Some books never got their snapshot in time.
    #[error("no order book snapshot within {waited_ms} ms for {} market(s): {}", .markets.len(), .markets.join(", "))]
    SnapshotsMissing {
        /// How long the feed waited.
        waited_ms: u128,
        /// The markets without a book.
        markets: Vec<String>,
    },
    /// A series has no open events.
    #[error("series {0}: no open markets on the exchange")]
    NoMarkets(String),
    /// A snapshot could not be built from live books.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// The session's recording could not be started.
    #[error("recording {path}: {source}")]
    Record {
        /// The recording file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Where and what to read.
#[derive(Debug, Clone)]
pub struct OnlineConfig {
    /// REST client (base URL, limits, signer).
    pub rest: crate::kalshi::rest::RestConfig,
    /// Series to follow.
    pub series: Vec<String>,
    /// Only events with these tickers get books (events with a view); others are listed as skipped.
    pub wanted_events: BTreeSet<String>,
    /// Longest wait for every snapshot.
    pub snapshot_timeout: Duration,
    /// Keep the session's WebSocket traffic in this JSONL file (`record`'s format, header
    /// first), for `replay` and `policy whatif`.
    pub record: Option<std::path::PathBuf>,
    /// Also subscribe the account's `fill` and `user_orders` channels (a live broker's fills
    /// as they happen; the handshake must be signed).
    pub user_channels: bool,
}

/// What the WebSocket task shares with the session.
#[derive(Debug, Default)]
struct Shared {
    /// Unix ms of the last frame of any kind (data or ping): the feed is alive.
    alive_ms: AtomicI64,
    reconnects: AtomicU32,
    trades: Mutex<VecDeque<TradeUpdate>>,
    /// Our fills from the `fill` channel, since the last drain.
    fills: Mutex<Vec<FillUpdate>>,
    stop: AtomicBool,
    failed: Mutex<Option<String>>,
    /// The session's recording, while it can be written.
    recording: Mutex<Option<std::io::LineWriter<std::fs::File>>>,
}

/// A followed series: its open events with books, and those skipped (with why).
pub type Ladder = (Series, Vec<Event>, Vec<(String, String)>);

/// The most trades kept between two drains; older ones are dropped (and counted).
const TRADE_BUFFER: usize = 100_000;

/// A running feed.
pub struct MarketFeed {
    runtime: tokio::runtime::Runtime,
    rest: RestClient,
    books: Arc<Mutex<BookSet>>,
    shared: Arc<Shared>,
    ladders: Vec<Ladder>,
    task: Option<tokio::task::JoinHandle<()>>,
    source: String,
    started_ms: i64,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl MarketFeed {
    /// Fetches the ladders, subscribes their books and trades, and waits for every snapshot.
    /// `rest_signer` signs portfolio reads, `ws_signer` the WebSocket handshake (the exchange
    /// requires one; the simulator only when started with a public key).
    pub fn start(
        config: OnlineConfig,
        rest_signer: Option<Signer>,
        ws_signer: Option<Signer>,
    ) -> Result<MarketFeed, OnlineError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(OnlineError::Runtime)?;
        let source = config.rest.base_url.clone();
        let ws_url = ws_url_for(&config.rest.base_url)?;
        let rest = RestClient::new(config.rest.clone(), rest_signer)?;
        let ladders = runtime.block_on(fetch_ladders(&rest, &config.series, Some(&config.wanted_events)))?;
        let markets = market_tickers(&ladders);
        let ws = WsConfig {
            url: ws_url,
            channels: if config.user_channels {
                vec!["orderbook_delta".into(), "trade".into(), "fill".into(), "user_orders".into()]
            } else {
                vec!["orderbook_delta".into(), "trade".into()]
            },
            markets: markets.clone(),
            use_yes_price: false,
            max_reconnects: 20,
            backoff_base: Duration::from_millis(250),
        };
        let mut client = WsClient::new(ws, ws_signer.map(Arc::new));
        let books = client.books();
        let shared = Arc::new(Shared::default());
        if let Some(path) = &config.record {
            let recording = start_recording(path, &ladders)?;
            *shared.recording.lock().unwrap_or_else(|p| p.into_inner()) = Some(recording);
        }
        let task = if markets.is_empty() {
            None
        } else {
            let shared = Arc::clone(&shared);
            Some(runtime.spawn(async move {
                let stop = Arc::clone(&shared);
                let events = Arc::clone(&shared);
                let outcome = client
                    .run(move |_| stop.stop.load(Ordering::Relaxed), move |event| on_ws_event(&events, event))
                    .await;
                if let Err(e) = outcome {
                    *shared.failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                }
            }))
        };
        let feed = MarketFeed { runtime, rest, books, shared, ladders, task, source, started_ms: now_ms() };
        feed.wait_for_snapshots(&markets, config.snapshot_timeout)?;
        Ok(feed)
    }

    fn wait_for_snapshots(&self, markets: &[String], timeout: Duration) -> Result<(), OnlineError> {
        let started = Instant::now();
        loop {
            let missing: Vec<String> = {
                let books = self.books.lock().unwrap_or_else(|p| p.into_inner());
                markets.iter().filter(|m| !books.book(m).is_some_and(|b| b.valid)).cloned().collect()
            };
            if missing.is_empty() {
                return Ok(());
            }
            if started.elapsed() >= timeout {
                return Err(OnlineError::SnapshotsMissing {
                    waited_ms: started.elapsed().as_millis(),
                    markets: missing,
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Every market the feed follows.
    pub fn markets(&self) -> Vec<String> {
        market_tickers(&self.ladders)
    }

    /// The REST base URL the feed reads.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every followed series as snapshots of its live books, as of now. A book is as fresh as
    /// the later of its last update and the connection's last frame (a live subscription with
    /// no changes is current); a book awaiting a snapshot after a gap is missing.
    pub fn snapshots(&self, fees: &FeeConfig) -> Result<Vec<SeriesSnapshot>, OnlineError> {
        let now = now_ms();
        let alive = self.shared.alive_ms.load(Ordering::Relaxed);
        let mut books = self.books.lock().unwrap_or_else(|p| p.into_inner()).clone();
        books.freshen(alive);
        let mut out = Vec::new();
        for (series, events, skipped) in &self.ladders {
            let mut snapshots = Vec::new();
            for event in events {
                snapshots.push(from_live(series, event, &books, now, fees)?);
            }
            out.push(SeriesSnapshot {
                ticker: series.ticker.clone(),
                title: series.title.clone(),
                fees: series_fees(series, fees)?,
                events: snapshots,
                skipped: skipped.clone(),
            });
        }
        Ok(out)
    }

    /// Gate inputs from the feed: clock skew from the exchange's `Date` header and monitors
    /// for sequence gaps, reconnects and a failed connection.
    pub fn gate_inputs(&self) -> GateInputs {
        let books = self.books.lock().unwrap_or_else(|p| p.into_inner());
        let mut monitors = BTreeMap::new();
        let gaps = books.gap_count;
        monitors.insert(
            "feed_seq_gaps".to_string(),
            if gaps == 0 { "ok".to_string() } else { format!("warn: {gaps} gap(s), resnapshotted") },
        );
        let refused = books.anomaly_count;
        monitors.insert(
            "feed_refused".to_string(),
            if refused == 0 { "ok".to_string() } else { format!("warn: {refused} message(s) refused, resnapshotted") },
        );
        let reconnects = self.shared.reconnects.load(Ordering::Relaxed);
        monitors.insert(
            "feed_reconnects".to_string(),
            if reconnects == 0 { "ok".to_string() } else { format!("warn: {reconnects}") },
        );
        if let Some(failed) = self.shared.failed.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            monitors.insert("feed_connection".to_string(), format!("alert: {failed}"));
        }
        let invalid = books.books().values().filter(|b| !b.valid).count();
        if invalid > 0 {
            monitors.insert("feed_books".to_string(), format!("alert: {invalid} book(s) awaiting a snapshot"));
        }
        GateInputs { clock_skew_ms: Some(self.rest.clock_skew_ms()), monitors, online: true, ..GateInputs::default() }
    }

    /// Reconnections so far.
    pub fn reconnects(&self) -> u32 {
        self.shared.reconnects.load(Ordering::Relaxed)
    }

    /// Seconds since the feed's last frame of any kind (pings included), or since it started
    /// when none came: how long the market-data connection has been silent.
    pub fn silent_secs(&self, now_ms: i64) -> f64 {
        let alive = self.shared.alive_ms.load(Ordering::Relaxed);
        let since = if alive > 0 { alive } else { self.started_ms };
        (now_ms - since).max(0) as f64 / 1000.0
    }

    /// Trades received since the last drain, oldest first.
    pub fn drain_trades(&self) -> Vec<TradeUpdate> {
        self.shared.trades.lock().unwrap_or_else(|p| p.into_inner()).drain(..).collect()
    }

    /// Our fills pushed on the `fill` channel since the last drain, oldest first.
    pub fn drain_fills(&self) -> Vec<FillUpdate> {
        std::mem::take(&mut *self.shared.fills.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The REST client (settlements, status).
    pub fn rest(&self) -> &RestClient {
        &self.rest
    }

    /// Runs a future on the feed's runtime.
    pub fn block_on<F: std::future::Future>(&self, work: F) -> F::Output {
        self.runtime.block_on(work)
    }

    /// Unsubscribes and closes the connection.
    pub fn stop(mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(task) = self.task.take() {
            let _ = self.runtime.block_on(async { tokio::time::timeout(Duration::from_secs(2), task).await });
        }
    }
}

/// The followed series as snapshots of order books fetched over REST (no WebSocket): each
/// book is as old as its fetch took. Clock skew comes from the responses' `Date` headers.
pub fn rest_snapshots(
    config: &OnlineConfig,
    fees: &FeeConfig,
) -> Result<(Vec<SeriesSnapshot>, GateInputs), OnlineError> {
    let runtime = crate::kalshi::runtime::current_thread().map_err(OnlineError::Runtime)?;
    let rest = RestClient::new(config.rest.clone(), None)?;
    let series = runtime.block_on(async {
        let mut out = Vec::new();
        for (series, events, skipped) in fetch_ladders(&rest, &config.series, Some(&config.wanted_events)).await? {
            let mut snapshots = Vec::new();
            for event in &events {
                let mut books = BTreeMap::new();
                let mut fetched_at = BTreeMap::new();
                for m in &event.markets {
                    let response = rest.orderbook(&m.ticker).await?;
                    let book = response
                        .to_book()
                        .map_err(|e| SnapshotError::Book { ticker: m.ticker.clone(), message: e.to_string() })?;
                    books.insert(m.ticker.clone(), book);
                    fetched_at.insert(m.ticker.clone(), now_ms());
                }
                let now = now_ms();
                let snapshot =
                    crate::feed::snapshot::ladder_snapshot(&series, event, fees, &config.rest.base_url, |t| {
                        Some((books.get(t)?.clone(), now - fetched_at.get(t)?))
                    })?;
                snapshots.push(snapshot);
            }
            out.push(SeriesSnapshot {
                ticker: series.ticker.clone(),
                title: series.title.clone(),
                fees: series_fees(&series, fees)?,
                events: snapshots,
                skipped,
            });
        }
        Ok::<_, OnlineError>(out)
    })?;
    let gate = GateInputs { clock_skew_ms: Some(rest.clock_skew_ms()), online: true, ..GateInputs::default() };
    Ok((series, gate))
}

/// Creates the recording file and writes its header (the ladders followed).
fn start_recording(
    path: &std::path::Path,
    ladders: &[Ladder],
) -> Result<std::io::LineWriter<std::fs::File>, OnlineError> {
    use std::io::Write;
    let failed = |source: std::io::Error| OnlineError::Record { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let header = header_line(now_ms(), &recorded(ladders)).map_err(|e| failed(std::io::Error::other(e)))?;
    let mut out = std::io::LineWriter::new(std::fs::File::create(path).map_err(failed)?);
    writeln!(out, "{header}").map_err(failed)?;
    Ok(out)
}

/// Every market of the ladders' events.
pub fn market_tickers(ladders: &[Ladder]) -> Vec<String> {
    ladders.iter().flat_map(|(_, events, _)| events).flat_map(|e| &e.markets).map(|m| m.ticker.clone()).collect()
}

/// The ladders as a recording's header keeps them.
pub fn recorded(ladders: &[Ladder]) -> Vec<RecordedLadder> {
    ladders
        .iter()
        .map(|(series, events, _)| RecordedLadder { series: series.clone(), events: events.clone() })
        .collect()
}

/// Appends one WebSocket event to the recording; a failed write stops the recording (said
/// once in the log): it is evidence, never a control.
fn record(shared: &Shared, event: &WsEvent) {
    use std::io::Write;
    let line = match event {
        WsEvent::Sent { text, at_ms } => format!("{{\"sent_ms\":{at_ms},\"cmd\":{text}}}"),
        WsEvent::Received { text, at_ms } => format!("{{\"recv_ms\":{at_ms},\"msg\":{text}}}"),
        _ => return,
    };
    let mut recording = shared.recording.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(out) = recording.as_mut()
        && let Err(e) = writeln!(out, "{line}")
    {
        tracing::warn!("the session's recording stopped: {e}");
        *recording = None;
    }
}

fn on_ws_event(shared: &Shared, event: &WsEvent) {
    record(shared, event);
    match event {
        WsEvent::Received { text, at_ms } => {
            shared.alive_ms.store(*at_ms, Ordering::Relaxed);
            match WsMessage::decode(text) {
                Ok(WsMessage::Trade { trade, .. }) => {
                    let mut trades = shared.trades.lock().unwrap_or_else(|p| p.into_inner());
                    if trades.len() >= TRADE_BUFFER {
                        trades.pop_front();
                    }
                    trades.push_back(trade);
                }
                // Our own fills are never dropped: REST would find them later, but late.
                Ok(WsMessage::Fill { fill, .. }) => shared.fills.lock().unwrap_or_else(|p| p.into_inner()).push(fill),
                _ => {}
            }
        }
        WsEvent::Alive { at_ms } => shared.alive_ms.store(*at_ms, Ordering::Relaxed),
        WsEvent::Reconnecting { .. } => {
            shared.reconnects.fetch_add(1, Ordering::Relaxed);
        }
        WsEvent::Sent { .. } => {}
    }
}

/// Each series with its open events: those with a view in `wanted`, or every event of a series
/// a strategy prices, get books; the rest are skipped. `None` wants every open event.
pub async fn fetch_ladders(
    rest: &RestClient,
    series: &[String],
    wanted: Option<&BTreeSet<String>>,
) -> Result<Vec<Ladder>, OnlineError> {
    let mut out = Vec::new();
    for ticker in series {
        let s = rest.series(ticker).await?.series;
        let markets = rest.markets(ticker, Some("open")).await?;
        let event_tickers: BTreeSet<String> = markets.iter().map(|m| m.event_ticker.clone()).collect();
        if event_tickers.is_empty() {
            return Err(OnlineError::NoMarkets(ticker.clone()));
        }
        let mut events = Vec::new();
        let mut skipped = Vec::new();
        let priced_by_strategy = crate::strategies::Strategy::for_series(ticker).is_some();
        for e in event_tickers {
            if wanted.is_some_and(|w| !w.contains(&e)) && !priced_by_strategy {
                skipped.push((e, "no view in views.toml and no strategy".to_string()));
                continue;
            }
            events.push(rest.event(&e).await?.into_event());
        }
        out.push((s, events, skipped));
    }
    Ok(out)
}
