//! Brokers: where approved orders go. The [`Broker`] trait is what sessions talk to; the dry
//! broker records each order intent to an append-only audit log and sends nothing, the paper
//! broker (`brokers::paper`) fills against the books it is shown and keeps a ledger.

/// The latched kill switch, the trading state and the last cancel-all mark, on disk.
pub mod controls;
/// The paper ledger's journal: append + fsync, replay with file:line errors.
pub mod journal;
/// The kill-switch watcher thread of a live session.
pub mod kill_watch;
/// `ledger show|settle`: open, mark, value and settle the paper or live ledger.
pub mod ledger_ops;
/// The ledger as parquet tables (through polars).
pub mod ledger_tables;
/// The live broker: pre-trade checks, journal, queue, V2 order entry, reconciliation.
pub mod live;
/// An operator's `kill engage`, with cancel-all at a named venue.
pub mod operator_kill;
/// The live order journal on disk (fsync'd, torn-tail repair).
pub mod order_journal;
/// Outstanding orders of the dry and paper brokers, by series.
pub mod outstanding;
/// The paper broker: fills through the paper fill model, journalled before they count.
pub mod paper;
/// The venue's orders, fills and positions, read for reconciliation.
pub mod venue;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;
use thiserror::Error;

use crate::ledger::{LedgerError, OpenOrder};
use crate::model::{Count, Money, OrderBook, Price, Proposal, Role, Side};
use crate::pricing::fees::{FeeMultiplier, FeeSchedule, Rounding};

/// A `client_order_id` unique across runs and processes: `ka-<mode>-<UUIDv7>` (time-ordered,
/// 74 random bits), never derived from the session's clock or a counter.
pub fn new_client_order_id(mode: &str) -> String {
    format!("ka-{mode}-{}", uuid::Uuid::now_v7().simple())
}

/// An order as the V2 API would receive it, plus what it means in YES/NO terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderIntent {
    /// Idempotency key.
    pub client_order_id: String,
    /// Market ticker.
    pub ticker: String,
    /// Contract bought.
    pub side: Side,
    /// Price of the contract bought.
    pub price: Price,
    /// V2 book side: `bid` buys YES, `ask` sells YES (≡ buys NO).
    pub book_side: &'static str,
    /// V2 price on the YES book (`1 − price` when buying NO).
    pub yes_book_price: Price,
    /// Contracts.
    pub count: Count,
    /// Resting only (maker).
    pub post_only: bool,
    /// `good_till_canceled` for makers, `immediate_or_cancel` for takers.
    pub time_in_force: &'static str,
    /// Self-trade prevention (always set).
    pub self_trade_prevention_type: &'static str,
}

impl OrderIntent {
    /// The V2 order for an approved proposal.
    pub fn from_proposal(p: &Proposal, client_order_id: String) -> OrderIntent {
        let (book_side, yes_book_price) = match p.side {
            Side::Yes => ("bid", p.price),
            Side::No => ("ask", p.price.complement()),
        };
        let maker = p.role == Role::Maker;
        OrderIntent {
            client_order_id,
            ticker: p.ticker.clone(),
            side: p.side,
            price: p.price,
            book_side,
            yes_book_price,
            count: p.count,
            post_only: maker,
            time_in_force: if maker { "good_till_canceled" } else { "immediate_or_cancel" },
            self_trade_prevention_type: "maker",
        }
    }
}

/// A broker's refusal or failure.
#[derive(Debug, Error)]
pub enum BrokerError {
    /// The same `client_order_id` was sent twice.
    #[error("duplicate client_order_id {0}")]
    Duplicate(String),
    /// The ledger refused an event (a duplicate id, an overfill).
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A pre-trade check (or the request queue) refused the order; nothing was sent.
    #[error("order {client_order_id}: refused by {code}: {detail}")]
    Refused {
        /// Our id.
        client_order_id: String,
        /// The check's stable code.
        code: &'static str,
        /// The figures that decided it.
        detail: String,
    },
    /// A post-only order would have crossed the book.
    #[error("order {0}: post-only order would cross the book")]
    PostOnlyCross(String),
    /// The journal could not be read back.
    #[error("{path}:{line}: {message}")]
    Journal {
        /// Journal file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Live trading refused at the session's start (the arming conditions only the live
    /// broker can check: a first reconciliation, the kill-switch watcher). Nothing was sent.
    #[error("live trading refused: {}: {detail}", .refusal.message())]
    LiveRefused {
        /// Which condition.
        refusal: crate::safety::arming::ArmingRefusal,
        /// What happened.
        detail: String,
    },
    /// The audit log could not be written; nothing was recorded.
    #[error("{path}: cannot append audit record: {source}")]
    Audit {
        /// Audit file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// What a broker may need besides the intent: the proposal, the fees and the book now.
#[derive(Debug, Clone, Copy)]
pub struct OrderContext<'a> {
    /// The approved proposal.
    pub proposal: &'a Proposal,
    /// The event's fees.
    pub fees: &'a FeeSchedule,
    /// The market's book as the scan saw it.
    pub book: &'a OrderBook,
}

/// What became of a placed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Placed {
    /// Contracts filled at once.
    pub filled: Count,
    /// Contracts left resting.
    pub resting: Count,
    /// Fees charged on the fills.
    pub fees: Money,
}

/// A market-data event a broker may fill resting orders on.
#[derive(Debug, Clone, Copy)]
pub enum MarketUpdate<'a> {
    /// The market's book now.
    Book {
        /// Market ticker.
        ticker: &'a str,
        /// Its book.
        book: &'a OrderBook,
    },
    /// A trade printed.
    Trade {
        /// Market ticker.
        ticker: &'a str,
        /// YES price of the trade.
        yes_price: Price,
        /// Contracts.
        count: Count,
        /// The contract the taker bought.
        taker_side: Side,
    },
}

/// How many of each series.
pub fn count_by<'a>(series: impl Iterator<Item = &'a String>) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for s in series {
        *out.entry(s.clone()).or_insert(0) += 1;
    }
    out
}

/// Something that accepts order intents.
pub trait Broker {
    /// `dry`, `rehearsal`, `paper` or `live`.
    fn mode(&self) -> &'static str;
    /// Places one order.
    fn place(&mut self, intent: &OrderIntent, ctx: &OrderContext<'_>, at: DateTime<Utc>)
    -> Result<Placed, BrokerError>;
    /// Cancels every open order; always allowed. Returns how many were open.
    fn cancel_all(&mut self, reason: &str, at: DateTime<Utc>) -> Result<usize, BrokerError>;
    /// Cancels the open orders of one series; always allowed. Returns how many.
    fn cancel_series(&mut self, series: &str, reason: &str, at: DateTime<Utc>) -> Result<usize, BrokerError>;
    /// Orders still resting.
    fn open_orders(&self) -> usize;
    /// Orders still resting, counted by series.
    fn open_by_series(&self) -> BTreeMap<String, usize>;
    /// What the book holds: positions at their average price, and resting orders as if
    /// filled — the holdings the live VaR check counts.
    fn holdings(&self) -> crate::safety::var::BookHoldings;
    /// Market data arrived; returns the contracts it filled.
    fn on_market(&mut self, _update: MarketUpdate<'_>, _at: DateTime<Utc>) -> Result<Count, BrokerError> {
        Ok(Count::ZERO)
    }
    /// The session ends: cancel or keep resting orders, as the broker is configured.
    fn finish(&mut self, _at: DateTime<Utc>) -> Result<(), BrokerError> {
        Ok(())
    }
}

/// Records intents to `data/proc/audit/…jsonl`; sends nothing. A rehearsal broker (no
/// audit path) records nothing at all.
#[derive(Debug)]
pub struct DryBroker {
    audit_path: Option<PathBuf>,
    seen: BTreeSet<String>,
    /// Open intents: client order id → series and the order as a holding.
    open: BTreeMap<String, (String, crate::safety::var::Holding)>,
}

#[derive(Serialize)]
struct AuditLine<'a> {
    ts: String,
    mode: &'static str,
    event: &'static str,
    #[serde(flatten)]
    intent: &'a OrderIntent,
    ev_order: Money,
}

#[derive(Serialize)]
struct CancelLine<'a> {
    ts: String,
    mode: &'static str,
    event: &'static str,
    client_order_id: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct CancelAllLine<'a> {
    ts: String,
    mode: &'static str,
    event: &'static str,
    reason: &'a str,
    open_orders: usize,
}

impl DryBroker {
    /// A dry broker that appends to `audit_path`.
    pub fn new(audit_path: PathBuf) -> DryBroker {
        DryBroker { audit_path: Some(audit_path), seen: BTreeSet::new(), open: BTreeMap::new() }
    }

    /// A broker for rehearsals (`--dry-run`): checks and counts, writes nothing.
    pub fn rehearsal() -> DryBroker {
        DryBroker { audit_path: None, seen: BTreeSet::new(), open: BTreeMap::new() }
    }

    /// The audit log's path (none for a rehearsal).
    pub fn audit_path(&self) -> Option<&std::path::Path> {
        self.audit_path.as_deref()
    }

    fn append(&self, line: &impl Serialize) -> Result<(), BrokerError> {
        let Some(path) = &self.audit_path else { return Ok(()) };
        crate::storage::append_jsonl(path, line).map_err(|source| BrokerError::Audit { path: path.clone(), source })
    }
}

impl Broker for DryBroker {
    fn mode(&self) -> &'static str {
        if self.audit_path.is_some() { "dry" } else { "rehearsal" }
    }

    fn place(
        &mut self,
        intent: &OrderIntent,
        ctx: &OrderContext<'_>,
        at: DateTime<Utc>,
    ) -> Result<Placed, BrokerError> {
        if !self.seen.insert(intent.client_order_id.clone()) {
            return Err(BrokerError::Duplicate(intent.client_order_id.clone()));
        }
        let line = AuditLine {
            ts: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            mode: self.mode(),
            event: "order_intent",
            intent,
            ev_order: ctx.proposal.ev_order,
        };
        self.append(&line)?;
        let holding = crate::safety::var::Holding {
            ticker: intent.ticker.clone(),
            side: intent.side,
            price: intent.price,
            count: intent.count,
        };
        self.open.insert(intent.client_order_id.clone(), (ctx.proposal.series.clone(), holding));
        Ok(Placed { filled: Count::ZERO, resting: intent.count, fees: Money::ZERO })
    }

    fn open_orders(&self) -> usize {
        self.open.len()
    }

    fn open_by_series(&self) -> BTreeMap<String, usize> {
        count_by(self.open.values().map(|(series, _)| series))
    }

    fn holdings(&self) -> crate::safety::var::BookHoldings {
        let resting = self.open.values().map(|(_, h)| h.clone()).collect();
        crate::safety::var::BookHoldings { positions: Vec::new(), resting }
    }

    fn cancel_all(&mut self, reason: &str, at: DateTime<Utc>) -> Result<usize, BrokerError> {
        let line = CancelAllLine {
            ts: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            mode: self.mode(),
            event: "cancel_all",
            reason,
            open_orders: self.open.len(),
        };
        self.append(&line)?;
        let cancelled = self.open.len();
        self.open.clear();
        Ok(cancelled)
    }

    fn cancel_series(&mut self, series: &str, reason: &str, at: DateTime<Utc>) -> Result<usize, BrokerError> {
        let ids: Vec<String> = self.open.iter().filter(|(_, (s, _))| *s == series).map(|(id, _)| id.clone()).collect();
        for id in &ids {
            let line = CancelLine {
                ts: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                mode: self.mode(),
                event: "cancel",
                client_order_id: id,
                reason,
            };
            self.append(&line)?;
            self.open.remove(id);
        }
        Ok(ids.len())
    }
}
/// A resting order's fee as the limits count it: the full taker rate at multiplier 1, the
/// most a quadratic series charges (conservative: the order's own schedule may charge less).
pub fn resting_fee_bound(order: &OpenOrder, rounding: Rounding) -> Money {
    FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE).fee(
        Role::Taker,
        order.order.price,
        order.remaining,
        rounding,
    )
}
