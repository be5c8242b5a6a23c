//! One policy set's virtual paper account over recorded sessions, pure: the orders its
//! decisions sent (filled by the paper fill model against the recorded books and trades), the
//! exposure they carried, and what they made.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Count, Money, OrderBook, Price, Proposal, Side};
use crate::paper::{Print, SimOrder, SimTerms};
use crate::pricing::fees::FeeSchedule;

/// One order sent.
#[derive(Debug, Clone)]
struct Sent {
    series: String,
    ticker: String,
    order: SimOrder,
}

/// The orders of one policy set and the peak exposure per series.
#[derive(Debug, Clone, Default)]
pub struct Account {
    sent: Vec<Sent>,
    peak: BTreeMap<String, Money>,
}

/// One series' figures under one policy set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Orders sent.
    pub orders: usize,
    /// Contracts asked for.
    pub contracts: Count,
    /// Contracts filled.
    pub filled: Count,
    /// Makers refused as post-only.
    pub refused: usize,
    /// Fees on the fills.
    pub fees: Money,
    /// P&L after fees of the fills whose market settled (payout − cost − fees).
    pub realised: Money,
    /// Orders whose market has a known settlement.
    pub settled_orders: usize,
    /// P&L after fees of every fill, positions marked at the last YES mid (at cost without one).
    pub marked: Money,
    /// The most money at risk at once: filled cost plus resting premium.
    pub peak_exposure: Money,
}

impl Totals {
    /// Adds another session's figures (the peak exposure is the larger of the two: sessions
    /// run one after another).
    pub fn add(&mut self, other: &Totals) {
        self.orders += other.orders;
        self.contracts = self.contracts + other.contracts;
        self.filled = self.filled + other.filled;
        self.refused += other.refused;
        self.fees += other.fees;
        self.realised += other.realised;
        self.settled_orders += other.settled_orders;
        self.marked += other.marked;
        self.peak_exposure = self.peak_exposure.max(other.peak_exposure);
    }
}

impl Account {
    /// Sends `proposal` (at its allowed size) into `book`.
    pub fn place(&mut self, proposal: &Proposal, book: &OrderBook, schedule: &FeeSchedule, terms: SimTerms) {
        let order = SimOrder::place(proposal, book, book, schedule, terms);
        self.sent.push(Sent { series: proposal.series.clone(), ticker: proposal.ticker.clone(), order });
        self.track(&proposal.series);
    }

    /// True when an order was sent in `ticker` (its book and trades matter).
    pub fn follows(&self, ticker: &str) -> bool {
        self.sent.iter().any(|s| s.ticker == ticker)
    }

    /// A trade printed in `ticker`.
    pub fn on_trade(&mut self, ticker: &str, print: Print) {
        let mut touched = Vec::new();
        for s in self.sent.iter_mut().filter(|s| s.ticker == ticker) {
            if !s.order.on_trade(print).is_zero() {
                touched.push(s.series.clone());
            }
        }
        for series in touched {
            self.track(&series);
        }
    }

    /// `ticker`'s book changed.
    pub fn on_book(&mut self, ticker: &str, book: &OrderBook) {
        for s in self.sent.iter_mut().filter(|s| s.ticker == ticker) {
            s.order.on_book(book);
        }
    }

    /// Records `series`' exposure now, keeping its peak.
    fn track(&mut self, series: &str) {
        let now: Money = self
            .sent
            .iter()
            .filter(|s| s.series == series)
            .map(|s| s.order.cost + s.order.resting().times(s.order.price))
            .sum();
        let peak = self.peak.entry(series.to_string()).or_insert(Money::ZERO);
        *peak = (*peak).max(now);
    }

    /// Figures per series: `yes_marks` are the last YES mids, `results` whether each settled
    /// market paid YES. Resting orders end with the session (cancelled).
    pub fn totals(
        &self,
        yes_marks: &BTreeMap<String, Price>,
        results: &BTreeMap<String, bool>,
    ) -> BTreeMap<String, Totals> {
        let mut out: BTreeMap<String, Totals> = BTreeMap::new();
        for s in &self.sent {
            let t = out.entry(s.series.clone()).or_default();
            let o = &s.order;
            t.orders += 1;
            t.contracts = t.contracts + o.requested;
            t.filled = t.filled + o.filled;
            t.refused += usize::from(o.refused);
            t.fees += o.fees();
            if let Some(yes) = results.get(&s.ticker) {
                t.realised += o.settled_pnl(*yes == (o.side == Side::Yes));
                t.settled_orders += 1;
            }
            let value = match yes_marks.get(&s.ticker) {
                Some(yes) => o.filled.times(if o.side == Side::Yes { *yes } else { yes.complement() }),
                None => o.cost,
            };
            t.marked += value - o.cost - o.fees();
        }
        for (series, peak) in &self.peak {
            out.entry(series.clone()).or_default().peak_exposure = *peak;
        }
        out
    }
}
