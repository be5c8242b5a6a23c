//! Outstanding orders of the dry and paper brokers, with counts by series (`orders --broker
//! dry|paper`; the live broker's view is the journal beside the venue, `orders`). Read-only.
//!
//! * **Dry**: the intents of the newest `data/proc/audit/dry_orders_<date>.jsonl` that no
//!   later `cancel` or `cancel_all` line took back (dry intents never fill).
//! * **Paper**: the open orders of the ledger rebuilt from `data/proc/ledger/journal.jsonl`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::brokers::BrokerError;
use crate::brokers::journal::{Journal, journal_path};
use crate::model::{BrokerKind, Count, Money, Price, Side};

/// One order still out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutstandingOrder {
    /// Idempotency key.
    pub client_order_id: String,
    /// Series.
    pub series: String,
    /// Market.
    pub ticker: String,
    /// Contract bought.
    pub side: Side,
    /// Limit price.
    pub price: Price,
    /// Contracts not yet filled.
    pub remaining: Count,
}

/// Orders and contracts out in one series.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SeriesCount {
    /// Orders.
    pub orders: usize,
    /// Contracts.
    pub contracts: Count,
}

/// A broker's outstanding orders.
#[derive(Debug, Clone, Serialize)]
pub struct Outstanding {
    /// Which broker.
    pub broker: BrokerKind,
    /// The file read (none: nothing recorded yet).
    pub source: Option<PathBuf>,
    /// The orders.
    pub orders: Vec<OutstandingOrder>,
    /// Counts by series.
    pub by_series: BTreeMap<String, SeriesCount>,
}

impl Outstanding {
    fn new(broker: BrokerKind, source: Option<PathBuf>, orders: Vec<OutstandingOrder>) -> Outstanding {
        let mut by_series: BTreeMap<String, SeriesCount> = BTreeMap::new();
        for o in &orders {
            let c = by_series.entry(o.series.clone()).or_default();
            c.orders += 1;
            c.contracts = c.contracts + o.remaining;
        }
        Outstanding { broker, source, orders, by_series }
    }
}

/// The paper ledger's open orders.
pub fn paper(out_root: &Path, starting_cash: Money) -> Result<Outstanding, BrokerError> {
    let path = journal_path(out_root);
    if !path.exists() {
        return Ok(Outstanding::new(BrokerKind::Paper, None, Vec::new()));
    }
    let state = Journal::new(path.clone()).replay(starting_cash)?;
    let orders = state
        .open_orders
        .values()
        .map(|o| OutstandingOrder {
            client_order_id: o.order.client_order_id.clone(),
            series: o.order.series.clone(),
            ticker: o.order.ticker.clone(),
            side: o.order.side,
            price: o.order.price,
            remaining: o.remaining,
        })
        .collect();
    Ok(Outstanding::new(BrokerKind::Paper, Some(path), orders))
}

#[derive(Deserialize)]
struct DryLine {
    event: String,
    #[serde(default)]
    client_order_id: Option<String>,
    #[serde(default)]
    ticker: Option<String>,
    #[serde(default)]
    side: Option<Side>,
    #[serde(default)]
    price: Option<Price>,
    #[serde(default)]
    count: Option<Count>,
}

/// The newest dry audit's intents not taken back.
pub fn dry(out_root: &Path) -> Result<Outstanding, BrokerError> {
    let dir = out_root.join("data/proc/audit");
    let journal_error =
        |path: &Path, line: usize, message: String| BrokerError::Journal { path: path.to_path_buf(), line, message };
    let newest = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("dry_orders_") && n.ends_with(".jsonl"))
            })
            .max(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(journal_error(&dir, 0, format!("cannot read: {e}"))),
    };
    let Some(path) = newest else { return Ok(Outstanding::new(BrokerKind::Dry, None, Vec::new())) };
    let text = std::fs::read_to_string(&path).map_err(|e| journal_error(&path, 0, format!("cannot read: {e}")))?;
    let mut open: BTreeMap<String, OutstandingOrder> = BTreeMap::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let parsed: DryLine = serde_json::from_str(line).map_err(|e| journal_error(&path, i + 1, e.to_string()))?;
        match parsed.event.as_str() {
            "order_intent" => {
                let (Some(id), Some(ticker), Some(side), Some(price), Some(count)) =
                    (parsed.client_order_id, parsed.ticker, parsed.side, parsed.price, parsed.count)
                else {
                    return Err(journal_error(&path, i + 1, "an intent without its order fields".into()));
                };
                let series = ticker.split('-').next().unwrap_or(&ticker).to_string();
                open.insert(
                    id.clone(),
                    OutstandingOrder { client_order_id: id, series, ticker, side, price, remaining: count },
                );
            }
            "cancel" => {
                if let Some(id) = parsed.client_order_id {
                    open.remove(&id);
                }
            }
            "cancel_all" => open.clear(),
            _ => {}
        }
    }
    Ok(Outstanding::new(BrokerKind::Dry, Some(path), open.into_values().collect()))
}
