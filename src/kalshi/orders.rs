//! V2 order entry (`/portfolio/events/orders*`: one YES book, `bid`/`ask`, one price) and
//! order groups. Requests serialise exactly as the exchange expects; responses decode with
//! unknown fields ignored.

use serde::{Deserialize, Serialize};

use crate::kalshi::error::ErrorBody;
use crate::kalshi::open_enum::{BookSide, SelfTradePrevention, TimeInForce};
use crate::model::{Count, Money, Price};

/// `POST /portfolio/events/orders` body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CreateOrder {
    /// Market ticker.
    pub ticker: String,
    /// Idempotency key: a repeat is answered `order_already_exists`.
    pub client_order_id: String,
    /// `bid` buys YES; `ask` sells YES (buys NO at 1 − price).
    pub side: BookSide,
    /// Contracts.
    pub count: Count,
    /// YES-book price.
    pub price: Price,
    /// How long it rests.
    pub time_in_force: TimeInForce,
    /// Which order gives way on a self-cross.
    pub self_trade_prevention_type: SelfTradePrevention,
    /// Rest only; refuse if it would cross.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_only: Option<bool>,
    /// Only reduce a position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduce_only: Option<bool>,
    /// Unix seconds, with `good_till_canceled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<i64>,
    /// Order group to count against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_group_id: Option<String>,
    /// Cancel if trading pauses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_order_on_pause: Option<bool>,
}

impl CreateOrder {
    /// A good-till-cancelled limit order, maker-side self-trade prevention, no options set.
    pub fn limit(ticker: &str, client_order_id: &str, side: BookSide, price: Price, count: Count) -> CreateOrder {
        CreateOrder {
            ticker: ticker.to_string(),
            client_order_id: client_order_id.to_string(),
            side,
            count,
            price,
            time_in_force: TimeInForce::GoodTillCanceled,
            self_trade_prevention_type: SelfTradePrevention::Maker,
            post_only: None,
            reduce_only: None,
            expiration_time: None,
            order_group_id: None,
            cancel_order_on_pause: None,
        }
    }
}

/// `POST /portfolio/events/orders` response (201).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CreateOrderResponse {
    /// Exchange order id.
    pub order_id: String,
    /// Our key.
    #[serde(default)]
    pub client_order_id: Option<String>,
    /// Filled on arrival.
    pub fill_count: Count,
    /// Left resting.
    pub remaining_count: Count,
    /// Average fill price, when something filled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_fill_price: Option<Price>,
    /// Average fee per contract, when something filled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_fee_paid: Option<Money>,
    /// Exchange time, unix ms.
    pub ts_ms: i64,
}

/// `DELETE /portfolio/events/orders/{order_id}` response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CancelOrderResponse {
    /// Exchange order id.
    pub order_id: String,
    /// Our key.
    #[serde(default)]
    pub client_order_id: Option<String>,
    /// Contracts taken off the book.
    pub reduced_by: Count,
    /// Exchange time, unix ms.
    pub ts_ms: i64,
}

/// `POST /portfolio/events/orders/{order_id}/decrease` body: exactly one of the two.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct DecreaseOrder {
    /// Take this many off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduce_by: Option<Count>,
    /// Leave this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduce_to: Option<Count>,
}

/// Decrease response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct DecreaseOrderResponse {
    /// Exchange order id.
    pub order_id: String,
    /// Our key.
    #[serde(default)]
    pub client_order_id: Option<String>,
    /// Left resting.
    pub remaining_count: Count,
    /// Exchange time, unix ms.
    pub ts_ms: i64,
}

/// `POST /portfolio/events/orders/{order_id}/amend` body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct AmendOrder {
    /// Market ticker.
    pub ticker: String,
    /// Book side (unchanged).
    pub side: BookSide,
    /// New price.
    pub price: Price,
    /// New total size (filled + remaining).
    pub count: Count,
    /// The order's current key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// The key after the amend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_client_order_id: Option<String>,
}

/// Amend response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct AmendOrderResponse {
    /// Exchange order id.
    pub order_id: String,
    /// Our key after the amend.
    #[serde(default)]
    pub client_order_id: Option<String>,
    /// Left resting.
    #[serde(default)]
    pub remaining_count: Option<Count>,
    /// Filled (by the amend crossing, or before).
    #[serde(default)]
    pub fill_count: Option<Count>,
    /// Exchange time, unix ms.
    pub ts_ms: i64,
}

/// `POST /portfolio/events/orders/batched` body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct BatchCreateOrders {
    /// The orders.
    pub orders: Vec<CreateOrder>,
}

/// One result of a batch create: the order, or an error for it alone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct BatchCreateResult {
    /// Exchange order id, on success.
    #[serde(default)]
    pub order_id: Option<String>,
    /// Our key.
    #[serde(default)]
    pub client_order_id: Option<String>,
    /// Filled on arrival.
    #[serde(default)]
    pub fill_count: Option<Count>,
    /// Left resting.
    #[serde(default)]
    pub remaining_count: Option<Count>,
    /// Exchange time, unix ms.
    #[serde(default)]
    pub ts_ms: Option<i64>,
    /// Why this one failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// Batch create response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct BatchCreateResponse {
    /// One result per order, in request order.
    pub orders: Vec<BatchCreateResult>,
}

/// One order of a batch cancel.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct BatchCancelItem {
    /// Exchange order id.
    pub order_id: String,
    /// Market, for routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_ticker: Option<String>,
}

/// `DELETE /portfolio/events/orders/batched` body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct BatchCancelOrders {
    /// The orders.
    pub orders: Vec<BatchCancelItem>,
}

/// One result of a batch cancel.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct BatchCancelResult {
    /// Exchange order id.
    pub order_id: String,
    /// Our key.
    #[serde(default)]
    pub client_order_id: Option<String>,
    /// Contracts taken off.
    #[serde(default)]
    pub reduced_by: Option<Count>,
    /// Exchange time, unix ms.
    #[serde(default)]
    pub ts_ms: Option<i64>,
    /// Why this one failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// Batch cancel response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct BatchCancelResponse {
    /// One result per order.
    pub orders: Vec<BatchCancelResult>,
}

/// `POST /portfolio/order_groups/create` body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CreateOrderGroup {
    /// Most contracts the group may fill in a rolling 15 s window.
    pub contracts_limit_fp: Count,
}

/// Create-group response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CreateOrderGroupResponse {
    /// Group id.
    pub order_group_id: String,
}

/// An order group.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct OrderGroup {
    /// Group id.
    pub id: String,
    /// Rolling 15 s contract limit.
    #[serde(default)]
    pub contracts_limit_fp: Option<Count>,
    /// Triggered: its orders were cancelled and new ones are refused until reset.
    pub is_auto_cancel_enabled: bool,
}

/// `GET /portfolio/order_groups`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct OrderGroupsPage {
    /// Groups.
    #[serde(default)]
    pub order_groups: Vec<OrderGroup>,
}

/// `GET /portfolio/order_groups/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct OrderGroupDetail {
    /// Triggered.
    pub is_auto_cancel_enabled: bool,
    /// Rolling 15 s contract limit.
    #[serde(default)]
    pub contracts_limit_fp: Option<Count>,
    /// Order ids in the group.
    #[serde(default)]
    pub orders: Vec<String>,
}
