//! Scripted order flow: other traders' orders, one JSON object per line, each sent a fixed
//! time after the simulator starts, so a test or paper session sees its resting orders
//! filled the way they would be by the crowd.
//!
//! ```text
//! {"after_ms": 500, "ticker": "KXHIGHNY-26NOV25-B49.5", "side": "ask", "price": "0.3700", "count": "5.00"}
//! ```

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::kalshi::open_enum::{BookSide, TimeInForce};
use crate::kalshi::orders::CreateOrder;
use crate::model::{Count, Price};
use crate::sim::exchange::Owner;
use crate::sim::server::SimState;

/// One scripted order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowOrder {
    /// Milliseconds after start.
    pub after_ms: u64,
    /// Market.
    pub ticker: String,
    /// `bid` or `ask`.
    pub side: BookSide,
    /// YES-book price.
    pub price: Price,
    /// Contracts.
    pub count: Count,
    /// Rest what does not fill (default) or cancel it.
    #[serde(default)]
    pub immediate_or_cancel: bool,
}

/// A flow file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct FlowError {
    /// The file.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads a flow file; orders are sorted by time.
pub fn read_flow(path: &Path) -> Result<Vec<FlowOrder>, FlowError> {
    let err = |line: usize, message: String| FlowError { path: path.display().to_string(), line, message };
    let text = std::fs::read_to_string(path).map_err(|e| err(0, format!("cannot read: {e}")))?;
    let mut orders = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
    {
        let order: FlowOrder = serde_json::from_str(line).map_err(|e| err(i + 1, e.to_string()))?;
        orders.push(order);
    }
    orders.sort_by_key(|o| o.after_ms);
    Ok(orders)
}

/// Sends each order at its time (counted from the first WebSocket subscription when
/// `after_subscribe`, else from now); refusals (an unknown market, a bad price) are logged.
pub async fn play(orders: Vec<FlowOrder>, state: Arc<SimState>, after_subscribe: bool) {
    if after_subscribe && !orders.is_empty() {
        let mut subscribed = state.subscribed.subscribe();
        if subscribed.wait_for(|s| *s).await.is_err() {
            return;
        }
    }
    let start = tokio::time::Instant::now();
    for (i, order) in orders.into_iter().enumerate() {
        tokio::time::sleep_until(start + Duration::from_millis(order.after_ms)).await;
        let mut request = CreateOrder::limit(&order.ticker, &format!("flow-{i}"), order.side, order.price, order.count);
        if order.immediate_or_cancel {
            request.time_in_force = TimeInForce::ImmediateOrCancel;
        }
        let mut exchange = state.exchange.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = exchange.create(&request, Owner::Crowd, chrono::Utc::now().timestamp_millis()) {
            tracing::warn!(target: "sim", "flow order {i} on {} refused: {e}", order.ticker);
        }
        state.publish(&mut exchange);
    }
}
