//! The trading ledger, pure: order events, fills and settlements in; positions, cash, fees and
//! realised P&L (by New York day and series) out, plus the exposure the risk limits count.
//! Paper and live fills land in the same ledger, each marked with its mode. No I/O, no clock:
//! every event carries its time; the journal (`brokers::journal`) stores and replays them.
//!
//! Accounting: a position is one side of one market (Kalshi nets YES against NO). Buying the
//! other side closes contracts pairwise — a YES and a NO together are worth exactly $1 — and
//! realises `closed × $1 − closed × price − the closed share of the cost`. Settlement pays $1
//! per winning contract. Fees are realised as a loss when charged.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::America::New_York;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::{Count, Money, Price, Role, Side};
use crate::risk::limits::Ledger as Exposure;

/// Whose fills these are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Simulated against real or recorded books.
    Paper,
    /// Sent to the exchange.
    Live,
}

impl Mode {
    /// `paper` or `live`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Paper => "paper",
            Mode::Live => "live",
        }
    }
}

/// One entry of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LedgerEvent {
    /// An order was accepted and rests or fills.
    OrderPlaced(OrderPlaced),
    /// Contracts of an order filled.
    Fill(Fill),
    /// An order's remaining contracts were cancelled.
    OrderCancelled {
        /// When.
        ts: DateTime<Utc>,
        /// The order.
        client_order_id: String,
        /// Why (`cancel_all: …`, `session_end`, …).
        reason: String,
    },
    /// A market settled.
    Settled {
        /// When the settlement was applied.
        ts: DateTime<Utc>,
        /// Market ticker.
        ticker: String,
        /// The side that pays $1.
        result: Side,
    },
}

impl LedgerEvent {
    /// When it happened.
    pub fn ts(&self) -> DateTime<Utc> {
        match self {
            LedgerEvent::OrderPlaced(o) => o.ts,
            LedgerEvent::Fill(f) => f.ts,
            LedgerEvent::OrderCancelled { ts, .. } | LedgerEvent::Settled { ts, .. } => *ts,
        }
    }
}

/// An accepted order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderPlaced {
    /// When.
    pub ts: DateTime<Utc>,
    /// Paper or live.
    pub mode: Mode,
    /// Idempotency key.
    pub client_order_id: String,
    /// Series ticker.
    pub series: String,
    /// Event ticker.
    pub event: String,
    /// Market ticker.
    pub ticker: String,
    /// Contract bought.
    pub side: Side,
    /// Resting or crossing.
    pub role: Role,
    /// Limit price of the contract bought.
    pub price: Price,
    /// Contracts.
    pub count: Count,
    /// What the scan expected when it proposed the order (absent in older journals and for
    /// orders found only at the venue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<Expected>,
}

/// The scan's expectation for an order: the evidence reports compare it with what happened.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    /// Model probability that the bought contract pays out.
    pub model_p: f64,
    /// Market-implied probability of the same.
    pub market_p: f64,
    /// Expected value per contract after fees.
    pub ev_per_contract: Money,
}

impl Expected {
    /// The expectation a proposal carries.
    pub fn of(p: &crate::model::Proposal) -> Expected {
        Expected { model_p: p.model_p, market_p: p.market_p, ev_per_contract: p.ev_per_contract }
    }
}

/// Contracts bought by one of our orders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    /// When.
    pub ts: DateTime<Utc>,
    /// Paper or live.
    pub mode: Mode,
    /// The order.
    pub client_order_id: String,
    /// Series ticker.
    pub series: String,
    /// Market ticker.
    pub ticker: String,
    /// Contract bought.
    pub side: Side,
    /// Charged as maker or taker.
    pub role: Role,
    /// Price paid per contract.
    pub price: Price,
    /// Contracts.
    pub count: Count,
    /// Fee charged for this fill.
    pub fee: Money,
}

/// An order still resting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenOrder {
    /// The order as placed.
    pub order: OrderPlaced,
    /// Contracts not yet filled.
    pub remaining: Count,
}

/// One market's position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Position {
    /// Series ticker.
    pub series: String,
    /// Market ticker.
    pub ticker: String,
    /// The contract held.
    pub side: Side,
    /// Contracts held.
    pub count: Count,
    /// What the held contracts cost (fees excluded).
    pub cost: Money,
}

/// An event the ledger cannot apply.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LedgerError {
    /// A second order with a known id.
    #[error("order {0} was already placed")]
    DuplicateOrder(String),
    /// A fill larger than what remains of its order.
    #[error("fill of {count} on order {client_order_id} exceeds its remaining {remaining}")]
    Overfill {
        /// The order.
        client_order_id: String,
        /// Contracts in the fill.
        count: Count,
        /// Contracts left on the order.
        remaining: Count,
    },
}

/// Realised P&L of one series on one New York day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct DayPnl {
    /// Realised P&L after fees.
    pub realised: Money,
    /// Fees charged.
    pub fees: Money,
}

/// Positions, cash and P&L, rebuilt from the journal's events.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct LedgerState {
    /// Cash: the starting balance plus every flow since.
    pub cash: Money,
    /// Fees charged, all time.
    pub fees_paid: Money,
    /// Open positions by market ticker.
    pub positions: BTreeMap<String, Position>,
    /// Resting orders by client order id.
    pub open_orders: BTreeMap<String, OpenOrder>,
    /// Realised P&L by (New York date, series).
    pub realised: BTreeMap<(NaiveDate, String), DayPnl>,
    /// Markets already settled (a second settlement is ignored).
    pub settled: BTreeSet<String>,
    /// Every client order id ever placed (ids are never reused).
    #[serde(skip)]
    pub known_ids: BTreeSet<String>,
    /// Series of each market seen, for settlements.
    #[serde(skip)]
    series_of: BTreeMap<String, String>,
}

/// The New York date of an instant.
pub fn et_date(ts: DateTime<Utc>) -> NaiveDate {
    ts.with_timezone(&New_York).date_naive()
}

/// The Monday (New York) that starts the week of `date`.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday()))
}

impl LedgerState {
    /// An empty ledger holding `cash`.
    pub fn with_cash(cash: Money) -> LedgerState {
        LedgerState { cash, ..LedgerState::default() }
    }

    /// Whether `event` would apply, without applying it.
    pub fn check(&self, event: &LedgerEvent) -> Result<(), LedgerError> {
        match event {
            LedgerEvent::OrderPlaced(o) if self.known_ids.contains(&o.client_order_id) => {
                Err(LedgerError::DuplicateOrder(o.client_order_id.clone()))
            }
            LedgerEvent::Fill(f) => match self.open_orders.get(&f.client_order_id) {
                Some(open) if f.count > open.remaining => Err(LedgerError::Overfill {
                    client_order_id: f.client_order_id.clone(),
                    count: f.count,
                    remaining: open.remaining,
                }),
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// Applies one event; an event [`check`](Self::check) refuses changes nothing.
    pub fn apply(&mut self, event: &LedgerEvent) -> Result<(), LedgerError> {
        self.check(event)?;
        match event {
            LedgerEvent::OrderPlaced(o) => {
                self.known_ids.insert(o.client_order_id.clone());
                self.series_of.insert(o.ticker.clone(), o.series.clone());
                self.open_orders.insert(o.client_order_id.clone(), OpenOrder { order: o.clone(), remaining: o.count });
            }
            LedgerEvent::Fill(f) => self.fill(f),
            LedgerEvent::OrderCancelled { client_order_id, .. } => {
                self.open_orders.remove(client_order_id);
            }
            LedgerEvent::Settled { ts, ticker, result } => self.settle(*ts, ticker, *result),
        }
        Ok(())
    }

    fn fill(&mut self, f: &Fill) {
        if let Some(open) = self.open_orders.get_mut(&f.client_order_id) {
            open.remaining = open.remaining.saturating_sub(f.count);
            if open.remaining.is_zero() {
                self.open_orders.remove(&f.client_order_id);
            }
        }
        self.series_of.insert(f.ticker.clone(), f.series.clone());
        let day = self.realised.entry((et_date(f.ts), f.series.clone())).or_default();
        day.fees += f.fee;
        day.realised -= f.fee;
        self.fees_paid += f.fee;
        self.cash -= f.count.times(f.price) + f.fee;

        let mut buy = f.count;
        let mut realised = Money::ZERO;
        if let Some(pos) = self.positions.get_mut(&f.ticker) {
            if pos.side == f.side {
                pos.count = pos.count + buy;
                pos.cost += buy.times(f.price);
                buy = Count::ZERO;
            } else {
                // A YES and a NO make $1: close pairwise.
                let closed = if buy < pos.count { buy } else { pos.count };
                let cost_share = pos.cost.share_floor(closed.centis(), pos.count.centis());
                realised = closed.times(Price::ONE) - closed.times(f.price) - cost_share;
                self.cash += closed.times(Price::ONE);
                pos.count = pos.count.saturating_sub(closed);
                pos.cost -= cost_share;
                buy = buy.saturating_sub(closed);
                if pos.count.is_zero() {
                    self.positions.remove(&f.ticker);
                }
            }
        }
        if !buy.is_zero() {
            self.positions.insert(
                f.ticker.clone(),
                Position {
                    series: f.series.clone(),
                    ticker: f.ticker.clone(),
                    side: f.side,
                    count: buy,
                    cost: buy.times(f.price),
                },
            );
        }
        self.realised.entry((et_date(f.ts), f.series.clone())).or_default().realised += realised;
    }

    fn settle(&mut self, ts: DateTime<Utc>, ticker: &str, result: Side) {
        if !self.settled.insert(ticker.to_string()) {
            return;
        }
        self.open_orders.retain(|_, o| o.order.ticker != ticker);
        let Some(pos) = self.positions.remove(ticker) else { return };
        let payout = if pos.side == result { pos.count.times(Price::ONE) } else { Money::ZERO };
        self.cash += payout;
        self.realised.entry((et_date(ts), pos.series.clone())).or_default().realised += payout - pos.cost;
    }

    /// Markets with a position or a resting order that have not settled.
    pub fn unsettled_markets(&self) -> BTreeSet<String> {
        self.positions.keys().chain(self.open_orders.values().map(|o| &o.order.ticker)).cloned().collect()
    }

    /// The series a market belongs to, as far as the ledger has seen it.
    pub fn series_of(&self, ticker: &str) -> Option<&str> {
        self.series_of.get(ticker).map(String::as_str)
    }

    /// Realised P&L after fees on New York day `date`, all series.
    pub fn realised_on(&self, date: NaiveDate) -> Money {
        self.realised.iter().filter(|((d, _), _)| *d == date).map(|(_, p)| p.realised).sum()
    }

    /// Realised P&L after fees in the Monday-to-Sunday New York week holding `date`.
    pub fn realised_week_of(&self, date: NaiveDate) -> Money {
        let start = week_start(date);
        self.realised.iter().filter(|((d, _), _)| *d >= start && *d <= date).map(|(_, p)| p.realised).sum()
    }

    /// Unrealised P&L at the given YES marks (mid prices): value of each position at its mark
    /// minus its cost; a market without a mark counts at cost.
    pub fn unrealised(&self, yes_marks: &BTreeMap<String, Price>) -> Money {
        self.positions.values().map(|p| self.mark_value(p, yes_marks) - p.cost).sum()
    }

    fn mark_value(&self, p: &Position, yes_marks: &BTreeMap<String, Price>) -> Money {
        match yes_marks.get(&p.ticker) {
            Some(yes) => p.count.times(if p.side == Side::Yes { *yes } else { yes.complement() }),
            None => p.cost,
        }
    }

    /// Cash plus positions at the marks.
    pub fn equity(&self, yes_marks: &BTreeMap<String, Price>) -> Money {
        self.cash + self.positions.values().map(|p| self.mark_value(p, yes_marks)).sum()
    }

    /// What the risk limits count as of `now`: losses realised today and this week (New York
    /// days, weeks from Monday), and the worst-case loss of every open position (its cost) and
    /// resting order (premium plus `order_fee`) per market, series and event.
    pub fn exposure(&self, now: DateTime<Utc>, order_fee: impl Fn(&OpenOrder) -> Money) -> Exposure {
        let today = et_date(now);
        let loss = |pnl: Money| if pnl.is_negative() { -pnl } else { Money::ZERO };
        let mut exposure = Exposure {
            realised_today: loss(self.realised_on(today)),
            realised_week: loss(self.realised_week_of(today)),
            ..Exposure::default()
        };
        let mut add = |series: &str, ticker: &str, event: Option<&str>, worst: Money| {
            *exposure.by_ticker.entry(ticker.to_string()).or_insert(Money::ZERO) += worst;
            *exposure.by_series.entry(series.to_string()).or_insert(Money::ZERO) += worst;
            exposure.committed += worst;
            if let Some(event) = event {
                exposure.bins.entry(event.to_string()).or_default().insert(ticker.to_string());
            }
        };
        for p in self.positions.values() {
            add(&p.series, &p.ticker, None, p.cost);
        }
        for o in self.open_orders.values() {
            add(
                &o.order.series,
                &o.order.ticker,
                Some(&o.order.event),
                o.remaining.times(o.order.price) + order_fee(o),
            );
        }
        exposure
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn placed(id: &str, side: Side, price: &str, count: &str) -> LedgerEvent {
        LedgerEvent::OrderPlaced(OrderPlaced {
            ts: t("2026-11-24T15:00:00Z"),
            mode: Mode::Paper,
            client_order_id: id.into(),
            series: "KXHIGHNY".into(),
            event: "KXHIGHNY-26NOV25".into(),
            ticker: "KXHIGHNY-26NOV25-B49.5".into(),
            side,
            role: Role::Maker,
            price: price.parse().unwrap(),
            count: count.parse().unwrap(),
            expected: None,
        })
    }

    fn fill(id: &str, side: Side, price: &str, count: &str, fee: &str, ts: &str) -> LedgerEvent {
        LedgerEvent::Fill(Fill {
            ts: t(ts),
            mode: Mode::Paper,
            client_order_id: id.into(),
            series: "KXHIGHNY".into(),
            ticker: "KXHIGHNY-26NOV25-B49.5".into(),
            side,
            role: Role::Maker,
            price: price.parse().unwrap(),
            count: count.parse().unwrap(),
            fee: fee.parse().unwrap(),
        })
    }

    #[test]
    fn buy_close_and_settle_exact_to_the_cent() {
        let mut l = LedgerState::with_cash("100".parse().unwrap());
        l.apply(&placed("a", Side::Yes, "0.30", "10")).unwrap();
        l.apply(&fill("a", Side::Yes, "0.30", "10", "0.02", "2026-11-24T15:01:00Z")).unwrap();
        assert_eq!(l.cash.to_string(), "96.98");
        assert!(l.open_orders.is_empty());
        // Buy 4 NO at 0.60: closes 4 YES pairwise for $1 each; cost share 4/10 of 3.00 = 1.20.
        l.apply(&placed("b", Side::No, "0.60", "4")).unwrap();
        l.apply(&fill("b", Side::No, "0.60", "4", "0.01", "2026-11-24T16:00:00Z")).unwrap();
        let pos = &l.positions["KXHIGHNY-26NOV25-B49.5"];
        assert_eq!((pos.side, pos.count.to_string(), pos.cost.to_string()), (Side::Yes, "6.00".into(), "1.80".into()));
        // realised: 4 − 2.40 − 1.20 = 0.40, minus fees 0.03.
        let day = et_date(t("2026-11-24T16:00:00Z"));
        assert_eq!(l.realised_on(day).to_string(), "0.37");
        // Settles NO: the 6 YES lose their 1.80.
        l.apply(&LedgerEvent::Settled { ts: t("2026-11-25T22:00:00Z"), ticker: pos.ticker.clone(), result: Side::No })
            .unwrap();
        assert!(l.positions.is_empty());
        assert_eq!(l.realised_on(et_date(t("2026-11-25T22:00:00Z"))).to_string(), "-1.80");
        assert_eq!(l.cash.to_string(), "98.57");
        assert_eq!(l.fees_paid.to_string(), "0.03");
        // 100 − 1.80 + 0.40 − 0.03 = 98.57: cash and P&L agree.
        assert_eq!(l.realised_week_of(et_date(t("2026-11-25T22:00:00Z"))).to_string(), "-1.43");
    }

    #[test]
    fn exposure_counts_days_weeks_positions_and_orders() {
        let mut l = LedgerState::with_cash("100".parse().unwrap());
        l.apply(&placed("a", Side::Yes, "0.30", "10")).unwrap();
        l.apply(&fill("a", Side::Yes, "0.30", "4", "0.00", "2026-11-23T15:00:00Z")).unwrap(); // Monday
        l.apply(&LedgerEvent::Settled {
            ts: t("2026-11-23T22:00:00Z"),
            ticker: "KXHIGHNY-26NOV25-B49.5".into(),
            result: Side::No,
        })
        .unwrap();
        // Settlement also retires the resting remainder.
        assert!(l.open_orders.is_empty());
        l.apply(&placed("c", Side::No, "0.50", "2")).unwrap();
        let e = l.exposure(t("2026-11-24T15:00:00Z"), |_| "0.01".parse().unwrap());
        assert_eq!(e.realised_today, Money::ZERO, "Tuesday: Monday's loss is not today's");
        assert_eq!(e.realised_week.to_string(), "1.20");
        assert_eq!(e.by_series["KXHIGHNY"].to_string(), "1.01");
        let next_week = l.exposure(t("2026-11-30T15:00:00Z"), |_| Money::ZERO);
        assert_eq!(next_week.realised_week, Money::ZERO);
        assert!(matches!(l.apply(&placed("c", Side::No, "0.50", "2")), Err(LedgerError::DuplicateOrder(_))));
    }

    #[test]
    fn overfill_is_refused() {
        let mut l = LedgerState::default();
        l.apply(&placed("a", Side::Yes, "0.30", "1")).unwrap();
        let err = l.apply(&fill("a", Side::Yes, "0.30", "2", "0", "2026-11-24T15:01:00Z")).unwrap_err();
        assert!(matches!(err, LedgerError::Overfill { .. }));
    }
}
