//! What the venue says, for reconciliation: our orders, fills (from a cursor) and positions,
//! read over REST and turned into `live::reconcile`'s terms.

use chrono::{DateTime, Utc};

use crate::kalshi::open_enum::OrderStatus as VenueStatus;
use crate::kalshi::rest::{RestClient, RestError};
use crate::model::{Money, SignedCount};
use crate::safety::reconcile::{UnreadableRecord, VenueFill, VenueOrder, VenueState};

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
