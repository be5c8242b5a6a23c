//! The one walk over a ledger that the evidence reports share: each fill with its order and,
//! once its market's result is in the ledger, what it realised. Pure.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::ledger::{Expected, Fill, LedgerEvent, OrderPlaced};
use crate::model::{Money, Price, Side};

/// A fill whose market has settled.
#[derive(Debug, Clone, Copy)]
pub struct SettledFill<'a> {
    /// The fill.
    pub fill: &'a Fill,
    /// What its order expected, when it recorded an expectation.
    pub expected: Option<Expected>,
    /// When its market settled.
    pub settled_at: DateTime<Utc>,
    /// Whether the contract bought paid out.
    pub won: bool,
    /// Price × contracts.
    pub paid: Money,
    /// Payout − paid − fee.
    pub realised: Money,
}

impl SettledFill<'_> {
    /// Contracts, as a number.
    pub fn contracts(&self) -> f64 {
        self.fill.count.centis() as f64 / 100.0
    }

    /// 10,000 × `value` / paid: bps per $1 paid (`None` when nothing was paid).
    pub fn bps(&self, value: Money) -> Option<f64> {
        (self.paid > Money::ZERO).then(|| 10_000.0 * value.as_f64() / self.paid.as_f64())
    }
}

/// A ledger's orders, fills and results up to `now`, indexed.
#[derive(Debug, Default)]
pub struct LedgerIndex<'a> {
    /// Orders by client order id.
    pub orders: BTreeMap<&'a str, &'a OrderPlaced>,
    /// Fills in journal order.
    pub fills: Vec<&'a Fill>,
    /// Results by market: the side that paid and when.
    pub results: BTreeMap<&'a str, (Side, DateTime<Utc>)>,
}

impl<'a> LedgerIndex<'a> {
    /// Indexes `events` stamped at or before `now`.
    pub fn new(events: &'a [LedgerEvent], now: DateTime<Utc>) -> LedgerIndex<'a> {
        let mut index = LedgerIndex::default();
        for event in events {
            match event {
                LedgerEvent::OrderPlaced(o) if o.ts <= now => {
                    index.orders.insert(o.client_order_id.as_str(), o);
                }
                LedgerEvent::Fill(f) if f.ts <= now => index.fills.push(f),
                LedgerEvent::Settled { ts, ticker, result } if *ts <= now => {
                    index.results.insert(ticker.as_str(), (*result, *ts));
                }
                _ => {}
            }
        }
        index
    }

    /// `fill`, settled, when its market's result is known.
    pub fn settled(&self, fill: &'a Fill) -> Option<SettledFill<'a>> {
        let (result, settled_at) = self.results.get(fill.ticker.as_str())?;
        let won = *result == fill.side;
        let paid = fill.count.times(fill.price);
        let payout = if won { fill.count.times(Price::ONE) } else { Money::ZERO };
        Some(SettledFill {
            fill,
            expected: self.orders.get(fill.client_order_id.as_str()).and_then(|o| o.expected),
            settled_at: *settled_at,
            won,
            paid,
            realised: payout - paid - fill.fee,
        })
    }
}
