//! What the venue says, for reconciliation: our orders, fills (from a cursor) and positions,
//! read over REST and turned into `safety::reconcile`'s terms; and the journal beside the
//! venue, order by order (`orders_view`, what `kalshi-alpha orders` prints).

use chrono::{DateTime, Utc};

use crate::kalshi::open_enum::OrderStatus as VenueStatus;
use crate::kalshi::rest::{RestClient, RestError};
use crate::model::{Money, SignedCount};
use serde::Serialize;

use crate::brokers::order_journal::OrderJournal;
use crate::safety::orders::OrderStatus;
use crate::safety::reconcile::{Difference, UnreadableRecord, VenueFill, VenueOrder, VenueState, reconcile};

/// How far before the last fill seen the next reconciliation reads fills again (fills can be
/// reported late or out of order; repeats are ignored by fill id).
const FILL_CURSOR_MARGIN_SECS: i64 = 300;

/// Everything reconciliation reads from the venue: our orders, fills (all, or from the cursor:
/// the last fill seen minus a margin) and positions.
pub async fn fetch_venue(rest: &RestClient, fills_from: Option<DateTime<Utc>>) -> Result<VenueState, RestError> {
    let orders = rest.orders(None, None).await?;
    let fills = match fills_from {
        Some(t) => rest.fills_since(t.timestamp() - FILL_CURSOR_MARGIN_SECS).await?,
        None => rest.fills().await?,
    };
    let positions = rest.positions().await?;
    Ok(venue_state(orders, fills, positions))
}

/// The venue's answers as reconciliation reads them. A record that cannot be read (a count
/// or price in neither era's field, or out of bounds) is kept in `unreadable`, never dropped:
/// reconciliation reports it as a difference.
pub fn venue_state(
    orders: Vec<crate::kalshi::portfolio::Order>,
    fills: Vec<crate::kalshi::portfolio::Fill>,
    positions: Vec<crate::kalshi::portfolio::MarketPosition>,
) -> VenueState {
    let mut unreadable = Vec::new();
    let mut venue_orders = Vec::with_capacity(orders.len());
    for o in orders {
        match o.remaining() {
            Ok(remaining) => venue_orders.push(VenueOrder {
                resting: o.status == VenueStatus::Resting || o.status == VenueStatus::Pending,
                order_id: o.order_id,
                client_order_id: o.client_order_id,
                ticker: o.ticker,
                remaining,
            }),
            Err(e) => unreadable.push(UnreadableRecord {
                record: "order",
                id: o.order_id,
                client_order_id: o.client_order_id,
                error: e.to_string(),
            }),
        }
    }
    let mut venue_fills = Vec::with_capacity(fills.len());
    for f in fills {
        let fill_id = if f.fill_id.is_empty() { f.trade_id.clone() } else { f.fill_id.clone() };
        let count = match (f.count_fp, f.count) {
            (None, None) => Err("no count_fp or count".to_string()),
            _ => f.contracts().map_err(|e| e.to_string()),
        };
        let price = f.yes_price().map_err(|e| e.to_string()).and_then(|p| p.ok_or_else(|| "no yes price".to_string()));
        match (count, price) {
            (Ok(count), Ok(yes_price)) => {
                let at = f
                    .ts_ms
                    .and_then(DateTime::<Utc>::from_timestamp_millis)
                    .or_else(|| f.created_time.as_deref().and_then(|t| t.parse().ok()))
                    .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
                venue_fills.push(VenueFill {
                    fill_id,
                    trade_id: (!f.trade_id.is_empty()).then(|| f.trade_id.clone()),
                    order_id: f.order_id,
                    client_order_id: f.client_order_id,
                    count,
                    yes_price,
                    fee: f.fee_cost.unwrap_or(Money::ZERO),
                    at,
                });
            }
            (Err(e), _) | (_, Err(e)) => unreadable.push(UnreadableRecord {
                record: "fill",
                id: fill_id,
                client_order_id: f.client_order_id,
                error: e,
            }),
        }
    }
    let positions = positions
        .into_iter()
        .map(|p| (p.ticker.clone(), p.contracts()))
        .filter(|(_, c): &(String, SignedCount)| c.centis() != 0)
        .collect();
    VenueState { orders: venue_orders, fills: venue_fills, positions, unreadable }
}

/// One order of the journal beside what the venue says of it.
#[derive(Debug, Clone, Serialize)]
pub struct OrderRow {
    /// Our id.
    pub client_order_id: String,
    /// Market.
    pub ticker: String,
    /// `yes` or `no`.
    pub side: String,
    /// Price of the contract bought.
    pub price: String,
    /// Status by the journal.
    pub local_status: String,
    /// Contracts resting by the journal.
    pub local_remaining: String,
    /// Contracts filled by the journal.
    pub filled: String,
    /// `resting` or `closed` at the venue (none: not asked, or not listed).
    pub venue_status: Option<String>,
    /// Contracts resting at the venue.
    pub venue_remaining: Option<String>,
    /// The two disagree.
    pub differs: bool,
}

/// The journal beside the venue: every order, what the next reconciliation would record, what
/// no record explains, and venue orders the journal has no intent for.
#[derive(Debug, Clone, Serialize)]
pub struct OrdersView {
    /// The journal file.
    pub journal: String,
    /// Its records.
    pub records: usize,
    /// Every order.
    pub orders: Vec<OrderRow>,
    /// The venue compared with (none: journal only).
    pub venue: Option<String>,
    /// Records the next reconciliation would append.
    pub pending_records: usize,
    /// Differences no record explains.
    pub differences: Vec<Difference>,
    /// Venue orders (any status) the journal has no intent for: duplicates or foreign orders.
    pub venue_only: Vec<String>,
}

impl OrdersView {
    /// Nothing differs and nothing foreign rests.
    pub fn clean(&self) -> bool {
        self.differences.is_empty() && self.venue_only.is_empty()
    }
}

/// Compares the journal with `venue` (its base URL and state) as of `at`; pure.
pub fn orders_view(journal: &OrderJournal, venue: Option<(&str, &VenueState)>, at: DateTime<Utc>) -> OrdersView {
    let table = journal.table();
    let outcome = venue.map(|(_, v)| reconcile(table, v, &Default::default(), at));
    let orders = table
        .orders
        .values()
        .map(|o| {
            let v = venue.and_then(|(_, v)| v.orders.iter().find(|x| x.client_order_id == o.intent.client_order_id));
            let local_resting = o.status == OrderStatus::Resting;
            let differs = venue.is_some()
                && (v.is_some_and(|v| v.resting != local_resting || (v.resting && v.remaining != o.remaining))
                    || (v.is_none() && (local_resting || o.status.is_unresolved())));
            OrderRow {
                client_order_id: o.intent.client_order_id.clone(),
                ticker: o.intent.ticker.clone(),
                side: o.intent.side.as_str().to_string(),
                price: o.price.to_string(),
                local_status: serde_json::to_value(o.status)
                    .ok()
                    .and_then(|s| s.as_str().map(str::to_string))
                    .unwrap_or_default(),
                local_remaining: o.remaining.to_string(),
                filled: o.filled.to_string(),
                venue_status: v.map(|v| if v.resting { "resting".into() } else { "closed".into() }),
                venue_remaining: v.map(|v| v.remaining.to_string()),
                differs,
            }
        })
        .collect();
    OrdersView {
        journal: journal.path().display().to_string(),
        records: journal.records(),
        orders,
        venue: venue.map(|(url, _)| url.to_string()),
        pending_records: outcome.as_ref().map_or(0, |o| o.records.len()),
        venue_only: venue
            .into_iter()
            .flat_map(|(_, v)| &v.orders)
            .filter(|o| !table.orders.contains_key(&o.client_order_id))
            .map(|o| format!("{} ({}, client_order_id {:?})", o.order_id, o.ticker, o.client_order_id))
            .collect(),
        differences: outcome.map(|o| o.differences).unwrap_or_default(),
    }
}
