//! The live order journal's records and what they add up to, pure. Every order's intent is
//! recorded (and fsync'd, by `brokers::order_journal`) before its request is sent; acks, rejects,
//! fills, cancels, amends and reconciliation results follow. Folding the records gives each
//! order's status; an order whose outcome is unknown (sent, no answer; or a crash between the
//! intent and the answer) blocks new orders on its market until a reconciliation resolves it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ledger::OrderPlaced;
use crate::model::{Count, Money, Price, Side, SignedCount};

/// One line of the order journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OrderRecord {
    /// A session began; its order group (the venue-side backstop), if one was created.
    Session {
        /// When.
        at: DateTime<Utc>,
        /// The session's order group.
        order_group_id: Option<String>,
        /// The group's contracts limit (rolling 15 s).
        group_limit: Option<Count>,
    },
    /// About to send a create. Written before the request leaves.
    Intent(Intent),
    /// The exchange accepted the order.
    Acked {
        /// When.
        at: DateTime<Utc>,
        /// Our id.
        client_order_id: String,
        /// The exchange's id.
        order_id: String,
        /// Contracts filled at once.
        filled: Count,
        /// Contracts resting.
        remaining: Count,
    },
    /// The exchange refused the order (nothing rests, nothing filled).
    Rejected {
        /// When.
        at: DateTime<Utc>,
        /// Our id.
        client_order_id: String,
        /// The error code (`invalid_order`, `insufficient_balance`, …, or a local one).
        code: String,
        /// The message.
        message: String,
    },
    /// No answer we can trust (timeout, lost response, retries exhausted): look it up.
    Unknown {
        /// When.
        at: DateTime<Utc>,
        /// Our id.
        client_order_id: String,
        /// What went wrong.
        error: String,
    },
    /// A cancel is about to be sent.
    CancelRequested {
        /// When.
        at: DateTime<Utc>,
        /// Our id.
        client_order_id: String,
        /// Why.
        reason: String,
    },
    /// The order no longer rests (cancelled, expired, filled out, or found closed).
    Closed {
        /// When.
        at: DateTime<Utc>,
        /// Our id.
        client_order_id: String,
        /// Why.
        reason: String,
    },
    /// The order's price or size changed (amend keeps queue priority; decrease only shrinks).
    Amended {
        /// When.
        at: DateTime<Utc>,
        /// Our id.
        client_order_id: String,
        /// New price of the contract bought.
        price: Price,
        /// Contracts still resting after the change.
        remaining: Count,
    },
    /// A fill, by the exchange's trade id (duplicates are ignored).
    Fill {
        /// When.
        at: DateTime<Utc>,
        /// Our id.
        client_order_id: String,
        /// The exchange's fill id (dedup key).
        fill_id: String,
        /// The exchange's trade id, the id both the REST fills list and the `fill` WebSocket
        /// channel carry (dedup key across the two; absent in journals written before).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trade_id: Option<String>,
        /// Contracts.
        count: Count,
        /// Price of the contract bought.
        price: Price,
        /// Fee charged.
        fee: Money,
    },
    /// A reconciliation found an unknown order at the venue (or found it absent).
    Resolved {
        /// When.
        at: DateTime<Utc>,
        /// Our id.
        client_order_id: String,
        /// The exchange's id, when found.
        order_id: Option<String>,
        /// Contracts resting there now (zero when absent or done).
        remaining: Count,
    },
    /// The kill switch engaged: everything was cancelled.
    KillSwitch {
        /// When.
        at: DateTime<Utc>,
        /// Why.
        reason: String,
    },
}

/// An order as decided, before it is sent: the ledger's `OrderPlaced` (mode `live`), which the
/// live ledger records once the order is known to exist.
pub type Intent = OrderPlaced;

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// The intent is written; no answer yet (a crash here leaves the outcome unknown).
    Sending,
    /// Sent, no trustworthy answer: blocks its market until reconciled.
    Unknown,
    /// On the book.
    Resting,
    /// Done: filled, cancelled, IOC remainder gone, or found closed.
    Closed,
    /// Refused by the exchange or by us before sending.
    Rejected,
}

impl OrderStatus {
    /// Outcome not known: the market is blocked.
    pub fn is_unresolved(self) -> bool {
        matches!(self, OrderStatus::Sending | OrderStatus::Unknown)
    }
}

/// One order, folded from its records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveOrder {
    /// What was decided.
    pub intent: Intent,
    /// The exchange's id, once known.
    pub order_id: Option<String>,
    /// Status.
    pub status: OrderStatus,
    /// Contracts filled (sum of fills seen).
    pub filled: Count,
    /// Contracts resting, as last known.
    pub remaining: Count,
    /// Current price (after amends).
    pub price: Price,
    /// A cancel was requested.
    pub cancel_requested: bool,
}

/// A record that does not fit what came before it (a journal written by something else, or
/// edited by hand).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RecordError(pub String);

/// Everything the journal says.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OrderTable {
    /// Orders by client order id.
    pub orders: BTreeMap<String, LiveOrder>,
    /// Fill and trade ids already counted.
    pub fills_seen: BTreeSet<String>,
    /// The latest session's order group.
    pub order_group_id: Option<String>,
    /// Fills counted, in total (after de-duplication).
    pub fill_count: usize,
    /// Fill records ignored as duplicates.
    pub duplicate_fills: usize,
    /// The latest fill time counted: the cursor the next reconciliation reads fills from.
    pub last_fill_at: Option<DateTime<Utc>>,
}

impl OrderTable {
    /// Folds one record in.
    pub fn apply(&mut self, record: &OrderRecord) -> Result<(), RecordError> {
        let missing = |cid: &str| RecordError(format!("record for unknown client_order_id {cid}"));
        match record {
            OrderRecord::Session { order_group_id, .. } => self.order_group_id.clone_from(order_group_id),
            OrderRecord::Intent(intent) => {
                if self.orders.contains_key(&intent.client_order_id) {
                    return Err(RecordError(format!("client_order_id {} used twice", intent.client_order_id)));
                }
                self.orders.insert(
                    intent.client_order_id.clone(),
                    LiveOrder {
                        intent: intent.clone(),
                        order_id: None,
                        status: OrderStatus::Sending,
                        filled: Count::ZERO,
                        remaining: intent.count,
                        price: intent.price,
                        cancel_requested: false,
                    },
                );
            }
            OrderRecord::Acked { client_order_id, order_id, remaining, .. } => {
                let o = self.orders.get_mut(client_order_id).ok_or_else(|| missing(client_order_id))?;
                o.order_id = Some(order_id.clone());
                o.remaining = *remaining;
                o.status = if remaining.is_zero() { OrderStatus::Closed } else { OrderStatus::Resting };
            }
            OrderRecord::Rejected { client_order_id, .. } => {
                let o = self.orders.get_mut(client_order_id).ok_or_else(|| missing(client_order_id))?;
                o.status = OrderStatus::Rejected;
                o.remaining = Count::ZERO;
            }
            OrderRecord::Unknown { client_order_id, .. } => {
                let o = self.orders.get_mut(client_order_id).ok_or_else(|| missing(client_order_id))?;
                o.status = OrderStatus::Unknown;
            }
            OrderRecord::CancelRequested { client_order_id, .. } => {
                let o = self.orders.get_mut(client_order_id).ok_or_else(|| missing(client_order_id))?;
                o.cancel_requested = true;
            }
            OrderRecord::Closed { client_order_id, .. } => {
                let o = self.orders.get_mut(client_order_id).ok_or_else(|| missing(client_order_id))?;
                o.status = OrderStatus::Closed;
                o.remaining = Count::ZERO;
            }
            OrderRecord::Amended { client_order_id, price, remaining, .. } => {
                let o = self.orders.get_mut(client_order_id).ok_or_else(|| missing(client_order_id))?;
                o.price = *price;
                o.remaining = *remaining;
                if remaining.is_zero() {
                    o.status = OrderStatus::Closed;
                }
            }
            OrderRecord::Fill { at, client_order_id, fill_id, trade_id, count, .. } => {
                // Seen under either id (REST's fill id or the trade id both paths carry).
                let seen =
                    self.fills_seen.contains(fill_id) || trade_id.as_ref().is_some_and(|t| self.fills_seen.contains(t));
                if seen {
                    self.duplicate_fills += 1;
                    return Ok(());
                }
                self.fills_seen.insert(fill_id.clone());
                self.fills_seen.extend(trade_id.iter().cloned());
                let o = self.orders.get_mut(client_order_id).ok_or_else(|| missing(client_order_id))?;
                o.filled = o.filled + *count;
                self.fill_count += 1;
                self.last_fill_at = self.last_fill_at.max(Some(*at));
            }
            OrderRecord::Resolved { client_order_id, order_id, remaining, .. } => {
                let o = self.orders.get_mut(client_order_id).ok_or_else(|| missing(client_order_id))?;
                o.order_id.clone_from(order_id);
                o.remaining = *remaining;
                o.status = match (order_id, remaining.is_zero()) {
                    (None, _) => OrderStatus::Rejected,
                    (Some(_), true) => OrderStatus::Closed,
                    (Some(_), false) => OrderStatus::Resting,
                };
            }
            OrderRecord::KillSwitch { .. } => {}
        }
        Ok(())
    }

    /// Orders whose outcome is not known.
    pub fn unresolved(&self) -> impl Iterator<Item = &LiveOrder> {
        self.orders.values().filter(|o| o.status.is_unresolved())
    }

    /// Markets where an unresolved order blocks new ones.
    pub fn blocked_markets(&self) -> BTreeSet<&str> {
        self.unresolved().map(|o| o.intent.ticker.as_str()).collect()
    }

    /// Orders on the book (or possibly: unresolved ones count, conservatively).
    pub fn open(&self) -> impl Iterator<Item = &LiveOrder> {
        self.orders.values().filter(|o| o.status == OrderStatus::Resting || o.status.is_unresolved())
    }

    /// The order with this exchange id.
    pub fn by_order_id(&self, order_id: &str) -> Option<&LiveOrder> {
        self.orders.values().find(|o| o.order_id.as_deref() == Some(order_id))
    }

    /// Our net position per market from the fills counted (+YES / −NO), zeros left out.
    pub fn positions(&self) -> BTreeMap<String, SignedCount> {
        let mut centis: BTreeMap<String, i64> = BTreeMap::new();
        for o in self.orders.values().filter(|o| !o.filled.is_zero()) {
            let signed = match o.intent.side {
                Side::Yes => o.filled.centis(),
                Side::No => -o.filled.centis(),
            };
            *centis.entry(o.intent.ticker.clone()).or_insert(0) += signed;
        }
        centis.into_iter().filter(|(_, c)| *c != 0).map(|(t, c)| (t, SignedCount::saturating_from_centis(c))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn intent(cid: &str, ticker: &str) -> OrderRecord {
        OrderRecord::Intent(Intent {
            ts: DateTime::<Utc>::UNIX_EPOCH,
            mode: crate::ledger::Mode::Live,
            client_order_id: cid.into(),
            series: "KXHIGHNY".into(),
            event: "KXHIGHNY-26NOV25".into(),
            ticker: ticker.into(),
            side: Side::Yes,
            role: crate::model::Role::Maker,
            price: Price::from_cents(40).unwrap(),
            count: Count::from_whole(5).unwrap(),
            expected: None,
        })
    }

    #[test]
    fn unknown_orders_block_their_market_until_resolved() {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let mut t = OrderTable::default();
        t.apply(&intent("a", "M1")).unwrap();
        t.apply(&intent("b", "M2")).unwrap();
        t.apply(&OrderRecord::Acked {
            at,
            client_order_id: "b".into(),
            order_id: "o-b".into(),
            filled: Count::ZERO,
            remaining: Count::from_whole(5).unwrap(),
        })
        .unwrap();
        assert_eq!(t.blocked_markets().into_iter().collect::<Vec<_>>(), ["M1"]);
        t.apply(&OrderRecord::Unknown { at, client_order_id: "a".into(), error: "timeout".into() }).unwrap();
        assert_eq!(t.blocked_markets().len(), 1);
        t.apply(&OrderRecord::Resolved {
            at,
            client_order_id: "a".into(),
            order_id: Some("o-a".into()),
            remaining: Count::from_whole(5).unwrap(),
        })
        .unwrap();
        assert!(t.blocked_markets().is_empty());
        assert_eq!(t.open().count(), 2);
        // Duplicate fills count once; a second intent with the same id is refused.
        let fill = |fill_id: &str| OrderRecord::Fill {
            at,
            client_order_id: "a".into(),
            fill_id: fill_id.into(),
            trade_id: Some("t1".into()),
            count: Count::from_whole(2).unwrap(),
            price: Price::from_cents(40).unwrap(),
            fee: Money::ZERO,
        };
        t.apply(&fill("f1")).unwrap();
        t.apply(&fill("f1")).unwrap();
        // The same trade arriving by the WebSocket (keyed by its trade id only) is a duplicate too.
        t.apply(&fill("t1")).unwrap();
        assert_eq!((t.orders["a"].filled, t.duplicate_fills), (Count::from_whole(2).unwrap(), 2));
        assert!(t.apply(&intent("a", "M1")).is_err());
    }
}
