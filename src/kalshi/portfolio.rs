//! Signed account reads: the V1 `Order` object (`GET /portfolio/orders[/{id}]`), fills,
//! positions, balance and settlements. Current `_dollars` / `_fp` fields first; the legacy
//! integer fields (cents, whole contracts) where an older response carries only those.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::kalshi::open_enum::{Action, BookSide, OrderStatus, OutcomeSide, SelfTradePrevention, open_enum};
use crate::model::{Count, FixedError, Money, Price, SignedCount};

/// A legacy integer field that does not convert.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("field {field}: {source}")]
pub struct LegacyFieldError {
    /// The field.
    pub field: &'static str,
    /// Why.
    #[source]
    pub source: FixedError,
}

/// A price from its current dollar field, else from its legacy cent field.
pub(crate) fn price_or_cents(
    dollars: Option<Price>,
    cents: Option<i64>,
    field: &'static str,
) -> Result<Option<Price>, LegacyFieldError> {
    match (dollars, cents) {
        (Some(p), _) => Ok(Some(p)),
        (None, Some(c)) => Price::from_cents(c).map(Some).map_err(|source| LegacyFieldError { field, source }),
        (None, None) => Ok(None),
    }
}

fn count_or_whole(
    fp: Option<Count>,
    whole: Option<i64>,
    field: &'static str,
) -> Result<Option<Count>, LegacyFieldError> {
    match (fp, whole) {
        (Some(c), _) => Ok(Some(c)),
        (None, Some(n)) => Count::from_whole(n).map(Some).map_err(|source| LegacyFieldError { field, source }),
        (None, None) => Ok(None),
    }
}

/// Whole cents as money.
pub fn cents(c: i64) -> Money {
    Money::from_units(c.saturating_mul(1_000_000))
}

fn money_or_cents(dollars: Option<Money>, legacy: Option<i64>) -> Option<Money> {
    dollars.or(legacy.map(cents))
}

/// The V1 order object the read routes return.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Order {
    /// Exchange order id.
    pub order_id: String,
    /// Account.
    #[serde(default)]
    pub user_id: String,
    /// Our idempotency key.
    #[serde(default)]
    pub client_order_id: String,
    /// Market ticker.
    pub ticker: String,
    /// V1 side (`yes`/`no`).
    #[serde(default)]
    pub side: Option<OutcomeSide>,
    /// V1 action (`buy`/`sell`).
    #[serde(default)]
    pub action: Option<Action>,
    /// The contract (2026-05 on).
    #[serde(default)]
    pub outcome_side: Option<OutcomeSide>,
    /// The YES-book side (2026-05 on).
    #[serde(default)]
    pub book_side: Option<BookSide>,
    /// `limit` or `market`.
    #[serde(default, rename = "type")]
    pub order_type: String,
    /// State.
    pub status: OrderStatus,
    /// YES price.
    #[serde(default)]
    pub yes_price_dollars: Option<Price>,
    /// NO price.
    #[serde(default)]
    pub no_price_dollars: Option<Price>,
    /// Filled so far.
    #[serde(default)]
    pub fill_count_fp: Option<Count>,
    /// Still resting.
    #[serde(default)]
    pub remaining_count_fp: Option<Count>,
    /// Size at placement.
    #[serde(default)]
    pub initial_count_fp: Option<Count>,
    /// Premium paid when taking liquidity.
    #[serde(default)]
    pub taker_fill_cost_dollars: Option<Money>,
    /// Premium paid when resting contracts were taken.
    #[serde(default)]
    pub maker_fill_cost_dollars: Option<Money>,
    /// Taker fees paid.
    #[serde(default)]
    pub taker_fees_dollars: Option<Money>,
    /// Maker fees paid.
    #[serde(default)]
    pub maker_fees_dollars: Option<Money>,
    /// Expiry (RFC 3339), if any.
    #[serde(default)]
    pub expiration_time: Option<String>,
    /// Created (RFC 3339).
    #[serde(default)]
    pub created_time: Option<String>,
    /// Self-trade prevention.
    #[serde(default)]
    pub self_trade_prevention_type: Option<SelfTradePrevention>,
    /// Order group, if any.
    #[serde(default)]
    pub order_group_id: Option<String>,
    /// Legacy: YES price in cents.
    #[serde(default)]
    pub yes_price: Option<i64>,
    /// Legacy: filled, whole contracts.
    #[serde(default)]
    pub fill_count: Option<i64>,
    /// Legacy: remaining, whole contracts.
    #[serde(default)]
    pub remaining_count: Option<i64>,
    /// Legacy: initial size, whole contracts.
    #[serde(default)]
    pub initial_count: Option<i64>,
}

impl Order {
    /// YES price: the dollar field, else legacy cents.
    pub fn yes_price(&self) -> Result<Option<Price>, LegacyFieldError> {
        price_or_cents(self.yes_price_dollars, self.yes_price, "yes_price")
    }

    /// Contracts still resting (zero when neither era's field is present).
    pub fn remaining(&self) -> Result<Count, LegacyFieldError> {
        Ok(count_or_whole(self.remaining_count_fp, self.remaining_count, "remaining_count")?.unwrap_or(Count::ZERO))
    }

    /// Contracts filled (zero when neither era's field is present).
    pub fn filled(&self) -> Result<Count, LegacyFieldError> {
        Ok(count_or_whole(self.fill_count_fp, self.fill_count, "fill_count")?.unwrap_or(Count::ZERO))
    }

    /// The YES-book side: `book_side`, else derived from the V1 side and action
    /// (buy YES / sell NO = bid; sell YES / buy NO = ask).
    pub fn book_side(&self) -> Option<BookSide> {
        if let Some(side) = &self.book_side {
            return Some(side.clone());
        }
        match (self.side.as_ref()?, self.action.as_ref()?) {
            (OutcomeSide::Yes, Action::Buy) | (OutcomeSide::No, Action::Sell) => Some(BookSide::Bid),
            (OutcomeSide::Yes, Action::Sell) | (OutcomeSide::No, Action::Buy) => Some(BookSide::Ask),
            _ => None,
        }
    }
}

/// `GET /portfolio/orders/{order_id}`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OrderResponse {
    /// The order.
    pub order: Order,
}

/// `GET /portfolio/orders`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OrdersPage {
    /// Orders.
    #[serde(default)]
    pub orders: Vec<Order>,
    /// Next page; empty at the end.
    #[serde(default)]
    pub cursor: String,
}

/// One fill.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Fill {
    /// Fill id.
    #[serde(default)]
    pub fill_id: String,
    /// Trade id.
    #[serde(default)]
    pub trade_id: String,
    /// The order filled.
    pub order_id: String,
    /// The order's idempotency key.
    #[serde(default)]
    pub client_order_id: String,
    /// Market ticker (older name).
    #[serde(default)]
    pub ticker: String,
    /// Market ticker.
    #[serde(default)]
    pub market_ticker: String,
    /// V1 side.
    #[serde(default)]
    pub side: Option<OutcomeSide>,
    /// V1 action.
    #[serde(default)]
    pub action: Option<Action>,
    /// The contract.
    #[serde(default)]
    pub outcome_side: Option<OutcomeSide>,
    /// The YES-book side.
    #[serde(default)]
    pub book_side: Option<BookSide>,
    /// Contracts.
    #[serde(default)]
    pub count_fp: Option<Count>,
    /// YES price.
    #[serde(default)]
    pub yes_price_dollars: Option<Price>,
    /// NO price.
    #[serde(default)]
    pub no_price_dollars: Option<Price>,
    /// We took liquidity.
    #[serde(default)]
    pub is_taker: bool,
    /// Fee charged.
    #[serde(default)]
    pub fee_cost: Option<Money>,
    /// When (RFC 3339).
    #[serde(default)]
    pub created_time: Option<String>,
    /// When, unix ms.
    #[serde(default)]
    pub ts_ms: Option<i64>,
    /// The market position after this fill (+YES / −NO).
    #[serde(default)]
    pub post_position_fp: Option<SignedCount>,
    /// Legacy: contracts.
    #[serde(default)]
    pub count: Option<i64>,
    /// Legacy: YES price in cents.
    #[serde(default)]
    pub yes_price: Option<i64>,
}

impl Fill {
    /// Contracts: `count_fp`, else legacy `count`.
    pub fn contracts(&self) -> Result<Count, LegacyFieldError> {
        Ok(count_or_whole(self.count_fp, self.count, "count")?.unwrap_or(Count::ZERO))
    }

    /// YES price: dollars, else legacy cents.
    pub fn yes_price(&self) -> Result<Option<Price>, LegacyFieldError> {
        price_or_cents(self.yes_price_dollars, self.yes_price, "yes_price")
    }

    /// The market, under whichever name the response used.
    pub fn market(&self) -> &str {
        if self.market_ticker.is_empty() { &self.ticker } else { &self.market_ticker }
    }
}

/// `GET /portfolio/fills`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct FillsPage {
    /// Fills.
    #[serde(default)]
    pub fills: Vec<Fill>,
    /// Next page; empty at the end.
    #[serde(default)]
    pub cursor: String,
}

/// A position in one market.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct MarketPosition {
    /// Market ticker.
    pub ticker: String,
    /// Contracts: positive YES, negative NO.
    #[serde(default)]
    pub position_fp: Option<SignedCount>,
    /// Cost of the position.
    #[serde(default)]
    pub market_exposure_dollars: Option<Money>,
    /// Realised P&L.
    #[serde(default)]
    pub realized_pnl_dollars: Option<Money>,
    /// Fees paid.
    #[serde(default)]
    pub fees_paid_dollars: Option<Money>,
    /// Traded value.
    #[serde(default)]
    pub total_traded_dollars: Option<Money>,
    /// Legacy: contracts.
    #[serde(default)]
    pub position: Option<i64>,
    /// Legacy: exposure in cents.
    #[serde(default)]
    pub market_exposure: Option<i64>,
    /// Legacy: realised P&L in cents.
    #[serde(default)]
    pub realized_pnl: Option<i64>,
    /// Legacy: fees in cents.
    #[serde(default)]
    pub fees_paid: Option<i64>,
}

impl MarketPosition {
    /// Contracts (+YES / −NO): `position_fp`, else legacy `position`.
    pub fn contracts(&self) -> SignedCount {
        self.position_fp
            .unwrap_or_else(|| SignedCount::saturating_from_centis(self.position.unwrap_or(0).saturating_mul(100)))
    }

    /// Exposure: dollars, else legacy cents.
    pub fn exposure(&self) -> Money {
        money_or_cents(self.market_exposure_dollars, self.market_exposure).unwrap_or(Money::ZERO)
    }

    /// Realised P&L: dollars, else legacy cents.
    pub fn realized_pnl(&self) -> Money {
        money_or_cents(self.realized_pnl_dollars, self.realized_pnl).unwrap_or(Money::ZERO)
    }
}

/// A position across one event.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct EventPosition {
    /// Event ticker.
    pub event_ticker: String,
    /// Cost of the positions.
    #[serde(default)]
    pub event_exposure_dollars: Option<Money>,
    /// Realised P&L.
    #[serde(default)]
    pub realized_pnl_dollars: Option<Money>,
    /// Fees paid.
    #[serde(default)]
    pub fees_paid_dollars: Option<Money>,
}

/// `GET /portfolio/positions`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PositionsPage {
    /// Per market.
    #[serde(default)]
    pub market_positions: Vec<MarketPosition>,
    /// Per event.
    #[serde(default)]
    pub event_positions: Vec<EventPosition>,
    /// Next page; empty at the end.
    #[serde(default)]
    pub cursor: String,
}

/// `GET /portfolio/balance`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Balance {
    /// Cash in whole cents (truncated by the exchange).
    #[serde(default)]
    pub balance: Option<i64>,
    /// Cash in dollars, exact (preferred).
    #[serde(default)]
    pub balance_dollars: Option<Money>,
    /// Portfolio value in cents.
    #[serde(default)]
    pub portfolio_value: Option<i64>,
    /// When (unix seconds).
    #[serde(default)]
    pub updated_ts: Option<i64>,
}

impl Balance {
    /// Cash: `balance_dollars`, else the cent figure.
    pub fn cash(&self) -> Money {
        money_or_cents(self.balance_dollars, self.balance).unwrap_or(Money::ZERO)
    }
}

open_enum! {
    /// How a market settled.
    MarketResult { /// YES won.
        Yes = "yes", /// NO won.
        No = "no", /// Scalar settlement.
        Scalar = "scalar", /// Voided.
        Void = "void" }
}

/// One settled market.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Settlement {
    /// Market ticker.
    pub ticker: String,
    /// Event ticker.
    #[serde(default)]
    pub event_ticker: String,
    /// Result.
    pub market_result: MarketResult,
    /// YES contracts held.
    #[serde(default)]
    pub yes_count_fp: Option<Count>,
    /// NO contracts held.
    #[serde(default)]
    pub no_count_fp: Option<Count>,
    /// Cost of the YES contracts.
    #[serde(default)]
    pub yes_total_cost_dollars: Option<Money>,
    /// Cost of the NO contracts.
    #[serde(default)]
    pub no_total_cost_dollars: Option<Money>,
    /// Paid out, in cents.
    #[serde(default)]
    pub revenue: i64,
    /// Fees.
    #[serde(default)]
    pub fee_cost: Option<Money>,
    /// When (RFC 3339).
    #[serde(default)]
    pub settled_time: String,
    /// Legacy: YES contracts.
    #[serde(default)]
    pub yes_count: Option<i64>,
    /// Legacy: NO contracts.
    #[serde(default)]
    pub no_count: Option<i64>,
    /// Legacy: YES cost in cents.
    #[serde(default)]
    pub yes_total_cost: Option<i64>,
    /// Legacy: NO cost in cents.
    #[serde(default)]
    pub no_total_cost: Option<i64>,
}

impl Settlement {
    /// Settlement P&L: revenue minus the cost of both sides and fees.
    pub fn pnl(&self) -> Money {
        let cost = money_or_cents(self.yes_total_cost_dollars, self.yes_total_cost).unwrap_or(Money::ZERO)
            + money_or_cents(self.no_total_cost_dollars, self.no_total_cost).unwrap_or(Money::ZERO);
        cents(self.revenue) - cost - self.fee_cost.unwrap_or(Money::ZERO)
    }
}

/// `GET /portfolio/settlements`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SettlementsPage {
    /// Settlements.
    #[serde(default)]
    pub settlements: Vec<Settlement>,
    /// Next page; empty at the end.
    #[serde(default)]
    pub cursor: String,
}
