//! Reconciliation, pure: the journal's orders against what the venue says — our orders by
//! `client_order_id`, fills since the last seen, positions. Produces the records that bring the
//! journal up to date (unknown orders resolved, missed fills, orders closed while we were away)
//! and the differences no record can explain (untracked exposure), which stop new orders.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Count, Money, Price, SignedCount};
use crate::safety::orders::{OrderRecord, OrderStatus, OrderTable};

/// One of our orders as the venue reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueOrder {
    /// Exchange id.
    pub order_id: String,
    /// Our id (empty for orders placed elsewhere).
    pub client_order_id: String,
    /// Market.
    pub ticker: String,
    /// Still on the book.
    pub resting: bool,
    /// Contracts resting.
    pub remaining: Count,
}

/// A fill as the venue reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueFill {
    /// Fill id (dedup key).
    pub fill_id: String,
    /// Trade id (the key the `fill` WebSocket channel shares), when given.
    pub trade_id: Option<String>,
    /// Exchange order id.
    pub order_id: String,
    /// Our id, when the venue reports it.
    pub client_order_id: String,
    /// Contracts.
    pub count: Count,
    /// YES price of the fill.
    pub yes_price: Price,
    /// Fee.
    pub fee: Money,
    /// When.
    pub at: DateTime<Utc>,
}

/// A venue record that could not be read (a figure missing or out of bounds): kept as a
/// difference, never dropped — what cannot be read cannot be assumed absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreadableRecord {
    /// `order`, `fill` or `position`.
    pub record: &'static str,
    /// Its id (order id, fill id or market ticker).
    pub id: String,
    /// Our id, when the venue gave one.
    pub client_order_id: String,
    /// What could not be read.
    pub error: String,
}

/// What the venue says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VenueState {
    /// Every order of ours the venue lists (resting and recent).
    pub orders: Vec<VenueOrder>,
    /// Fills.
    pub fills: Vec<VenueFill>,
    /// Net positions (+YES / −NO) by market.
    pub positions: BTreeMap<String, SignedCount>,
    /// Records that could not be read.
    pub unreadable: Vec<UnreadableRecord>,
}

/// Something the journal and the venue disagree on after every record is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Difference {
    /// The venue has a resting order the journal does not know.
    UntrackedOrder {
        /// Exchange id.
        order_id: String,
        /// Its client order id.
        client_order_id: String,
        /// Market.
        ticker: String,
        /// Contracts resting.
        remaining: Count,
    },
    /// A fill for an order the journal does not know.
    UntrackedFill {
        /// Fill id.
        fill_id: String,
        /// Exchange order id.
        order_id: String,
    },
    /// The venue listed a record that could not be read.
    Unreadable(UnreadableRecord),
    /// The net position differs.
    Position {
        /// Market.
        ticker: String,
        /// By the journal.
        journal: SignedCount,
        /// At the venue.
        venue: SignedCount,
    },
}

/// The outcome of one reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Reconciliation {
    /// Records to append (and apply) to bring the journal up to date.
    pub records: Vec<OrderRecord>,
    /// What remains different: untracked exposure.
    pub differences: Vec<Difference>,
}

/// Compares the journal with the venue; `settled` markets are left out of the position
/// comparison (settlement empties them at the venue).
pub fn reconcile(
    table: &OrderTable,
    venue: &VenueState,
    settled: &BTreeSet<String>,
    at: DateTime<Utc>,
) -> Reconciliation {
    let mut records = Vec::new();
    let mut closings = Vec::new();
    let by_cid: BTreeMap<&str, &VenueOrder> = venue
        .orders
        .iter()
        .filter(|o| !o.client_order_id.is_empty())
        .map(|o| (o.client_order_id.as_str(), o))
        .collect();
    // An order of ours the venue listed unreadably is neither found nor absent: left as it is.
    let unreadable: BTreeSet<&str> = venue.unreadable.iter().map(|u| u.client_order_id.as_str()).collect();
    for order in table.orders.values().filter(|o| !unreadable.contains(o.intent.client_order_id.as_str())) {
        let cid = order.intent.client_order_id.clone();
        let found = by_cid.get(cid.as_str());
        match (order.status, found) {
            (s, found) if s.is_unresolved() => records.push(OrderRecord::Resolved {
                at,
                client_order_id: cid,
                order_id: found.map(|v| v.order_id.clone()),
                remaining: found.filter(|v| v.resting).map_or(Count::ZERO, |v| v.remaining),
            }),
            (OrderStatus::Resting, Some(v)) if !v.resting => {
                closings.push(OrderRecord::Closed { at, client_order_id: cid, reason: "closed at the venue".into() })
            }
            (OrderStatus::Resting, Some(v)) if v.remaining != order.remaining => records.push(OrderRecord::Resolved {
                at,
                client_order_id: cid,
                order_id: Some(v.order_id.clone()),
                remaining: v.remaining,
            }),
            (OrderStatus::Resting, None) => {
                closings.push(OrderRecord::Closed { at, client_order_id: cid, reason: "absent at the venue".into() })
            }
            _ => {}
        }
    }
    // Order ids known after the records above (resolutions add ids).
    let mut ids: BTreeMap<String, String> = table
        .orders
        .values()
        .filter_map(|o| o.order_id.clone().map(|id| (id, o.intent.client_order_id.clone())))
        .collect();
    for r in &records {
        if let OrderRecord::Resolved { client_order_id, order_id: Some(id), .. } = r {
            ids.insert(id.clone(), client_order_id.clone());
        }
    }
    let mut differences = Vec::new();
    let mut new_fills = BTreeSet::new();
    for f in &venue.fills {
        let seen = |id: &String| table.fills_seen.contains(id);
        if seen(&f.fill_id) || f.trade_id.as_ref().is_some_and(seen) || !new_fills.insert(f.fill_id.clone()) {
            continue;
        }
        let cid = if table.orders.contains_key(&f.client_order_id) {
            Some(f.client_order_id.clone())
        } else {
            ids.get(&f.order_id).cloned()
        };
        match cid {
            Some(cid) => {
                let side = table.orders[&cid].intent.side;
                let price = side.price_of(f.yes_price);
                records.push(OrderRecord::Fill {
                    at: f.at,
                    client_order_id: cid,
                    fill_id: f.fill_id.clone(),
                    trade_id: f.trade_id.clone(),
                    count: f.count,
                    price,
                    fee: f.fee,
                });
            }
            None => {
                differences.push(Difference::UntrackedFill { fill_id: f.fill_id.clone(), order_id: f.order_id.clone() })
            }
        }
    }
    // Fills first, then the orders they closed.
    records.extend(closings);
    for v in venue.orders.iter().filter(|v| v.resting) {
        if !table.orders.contains_key(&v.client_order_id) {
            differences.push(Difference::UntrackedOrder {
                order_id: v.order_id.clone(),
                client_order_id: v.client_order_id.clone(),
                ticker: v.ticker.clone(),
                remaining: v.remaining,
            });
        }
    }
    differences.extend(venue.unreadable.iter().cloned().map(Difference::Unreadable));
    let mut after = table.clone();
    for r in &records {
        // Records built here always fit the table they were built from.
        let _ = after.apply(r);
    }
    let journal = after.positions();
    let tickers: BTreeSet<&String> = journal.keys().chain(venue.positions.keys()).collect();
    for ticker in tickers.into_iter().filter(|t| !settled.contains(*t)) {
        let j = journal.get(ticker).copied().unwrap_or(SignedCount::ZERO);
        let v = venue.positions.get(ticker).copied().unwrap_or(SignedCount::ZERO);
        if j != v {
            differences.push(Difference::Position { ticker: ticker.clone(), journal: j, venue: v });
        }
    }
    Reconciliation { records, differences }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Role, Side};
    use crate::safety::orders::Intent;

    fn intent(cid: &str, ticker: &str) -> OrderRecord {
        OrderRecord::Intent(Intent {
            ts: DateTime::<Utc>::UNIX_EPOCH,
            mode: crate::ledger::Mode::Live,
            client_order_id: cid.into(),
            series: "S".into(),
            event: "S-E".into(),
            ticker: ticker.into(),
            side: Side::No,
            role: Role::Maker,
            price: Price::from_cents(60).unwrap(),
            count: Count::from_whole(5).unwrap(),
            expected: None,
        })
    }

    #[test]
    fn unknown_order_found_filled_and_a_foreign_order_reported() {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let mut t = OrderTable::default();
        t.apply(&intent("lost", "M1")).unwrap();
        t.apply(&OrderRecord::Unknown { at, client_order_id: "lost".into(), error: "timeout".into() }).unwrap();
        t.apply(&intent("never", "M2")).unwrap();
        let five = Count::from_whole(5).unwrap();
        let two = Count::from_whole(2).unwrap();
        let venue = VenueState {
            orders: vec![
                VenueOrder {
                    order_id: "o1".into(),
                    client_order_id: "lost".into(),
                    ticker: "M1".into(),
                    resting: true,
                    remaining: Count::from_whole(3).unwrap(),
                },
                VenueOrder {
                    order_id: "o9".into(),
                    client_order_id: "someone".into(),
                    ticker: "M3".into(),
                    resting: true,
                    remaining: five,
                },
            ],
            fills: vec![VenueFill {
                fill_id: "f1".into(),
                trade_id: None,
                order_id: "o1".into(),
                client_order_id: String::new(),
                count: two,
                yes_price: Price::from_cents(40).unwrap(),
                fee: Money::ZERO,
                at,
            }],
            positions: [("M1".to_string(), SignedCount::from_centis(-200).unwrap())].into_iter().collect(),
            unreadable: Vec::new(),
        };
        let r = reconcile(&t, &venue, &BTreeSet::new(), at);
        for record in &r.records {
            t.apply(record).unwrap();
        }
        assert_eq!(t.orders["lost"].status, OrderStatus::Resting);
        assert_eq!(t.orders["lost"].filled, two);
        assert_eq!(t.orders["never"].status, OrderStatus::Rejected, "absent at the venue: it never arrived");
        assert!(t.blocked_markets().is_empty());
        // The fill's NO price is the complement of its YES price.
        assert!(
            r.records
                .iter()
                .any(|x| matches!(x, OrderRecord::Fill { price, .. } if *price == Price::from_cents(60).unwrap()))
        );
        assert_eq!(r.differences.len(), 1, "{:?}", r.differences);
        assert!(matches!(&r.differences[0], Difference::UntrackedOrder { order_id, .. } if order_id == "o9"));
        // Reconciling again adds nothing: the fill is seen, the order known.
        let again = reconcile(&t, &venue, &BTreeSet::new(), at);
        assert!(again.records.is_empty(), "{:?}", again.records);
    }

    #[test]
    fn an_unreadable_venue_record_is_a_difference_and_never_closes_our_order() {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let mut t = OrderTable::default();
        t.apply(&intent("mine", "M1")).unwrap();
        t.apply(&OrderRecord::Acked {
            at,
            client_order_id: "mine".into(),
            order_id: "o1".into(),
            filled: Count::ZERO,
            remaining: Count::from_whole(5).unwrap(),
        })
        .unwrap();
        let venue = VenueState {
            unreadable: vec![UnreadableRecord {
                record: "order",
                id: "o1".into(),
                client_order_id: "mine".into(),
                error: "remaining_count: not a count".into(),
            }],
            ..VenueState::default()
        };
        let r = reconcile(&t, &venue, &BTreeSet::new(), at);
        assert!(r.records.is_empty(), "an unreadable order is not absent: {:?}", r.records);
        assert!(matches!(&r.differences[0], Difference::Unreadable(u) if u.id == "o1"), "{:?}", r.differences);
    }
}
