//! What the venue says, for reconciliation: our orders, fills (from a cursor) and positions,
//! read over REST and turned into `live::reconcile`'s terms.

use chrono::{DateTime, Utc};

use crate::kalshi::open_enum::OrderStatus as VenueStatus;
use crate::kalshi::rest::{RestClient, RestError};
use crate::live::reconcile::{VenueFill, VenueOrder, VenueState};
use crate::model::{Money, SignedCount};

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

/// The venue's answers as reconciliation reads them (legacy-only records that cannot be read
/// are left out; they cannot be ours: this project writes the current fields).
pub fn venue_state(
    orders: Vec<crate::kalshi::portfolio::Order>,
    fills: Vec<crate::kalshi::portfolio::Fill>,
    positions: Vec<crate::kalshi::portfolio::MarketPosition>,
) -> VenueState {
    let orders = orders
        .into_iter()
        .filter_map(|o| {
            let remaining = o.remaining().ok()?;
            Some(VenueOrder {
                resting: o.status == VenueStatus::Resting || o.status == VenueStatus::Pending,
                order_id: o.order_id,
                client_order_id: o.client_order_id,
                ticker: o.ticker,
                remaining,
            })
        })
        .collect();
    let fills = fills
        .into_iter()
        .filter_map(|f| {
            let count = f.contracts().ok()?;
            let yes_price = f.yes_price().ok()??;
            let at = f
                .ts_ms
                .and_then(DateTime::<Utc>::from_timestamp_millis)
                .or_else(|| f.created_time.as_deref().and_then(|t| t.parse().ok()))
                .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
            Some(VenueFill {
                fill_id: if f.fill_id.is_empty() { f.trade_id.clone() } else { f.fill_id.clone() },
                order_id: f.order_id.clone(),
                client_order_id: f.client_order_id.clone(),
                count,
                yes_price,
                fee: f.fee_cost.unwrap_or(Money::ZERO),
                at,
            })
        })
        .collect();
    let positions = positions
        .into_iter()
        .map(|p| (p.ticker.clone(), p.contracts()))
        .filter(|(_, c): &(String, SignedCount)| c.centis() != 0)
        .collect();
    VenueState { orders, fills, positions }
}
