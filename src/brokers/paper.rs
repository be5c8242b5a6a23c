//! The paper broker: orders fill against the books and trades a session sees (fixtures, the
//! simulator or the exchange) through the pure fill model in [`crate::paper`], and every
//! order event and fill goes to the ledger journal (fsync'd) before the broker answers.
//!
//! Resting orders kept from an earlier run (`session_end = "keep"`) are read back from the
//! journal; they rejoin the back of their queue when this session first sees their market's
//! book (their old queue position is not known).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::brokers::journal::Journal;
use crate::brokers::{Broker, BrokerError, MarketUpdate, OrderContext, OrderIntent, Placed};
use crate::ledger::{Fill, LedgerEvent, LedgerState, Mode, OrderPlaced};
use crate::model::{Count, Money, OrderBook, Role};
use crate::paper::{MakerQueue, PaperConfig, Print, SessionEnd, taker_walk, would_cross};
use crate::pricing::fees::{FeeSchedule, OrderFees};
use crate::scan::LadderSnapshot;

/// A resting paper order and what the model knows of it.
#[derive(Debug, Clone)]
struct Resting {
    order: OrderPlaced,
    /// `None` until this session has seen the market's book (orders kept from a past run).
    queue: Option<MakerQueue>,
    fees: Option<(FeeSchedule, OrderFees)>,
}

/// The paper broker.
#[derive(Debug)]
pub struct PaperBroker {
    config: PaperConfig,
    /// Fill-α of the index ladders by minutes to their target (none: `config.fill_alpha`).
    index_execution: Option<crate::paper::ExecutionCurve>,
    journal: Journal,
    state: LedgerState,
    resting: BTreeMap<String, Resting>,
    fills: Vec<Fill>,
}

impl PaperBroker {
    /// Opens the journal and rebuilds the ledger from it; resting orders come back.
    pub fn open(config: PaperConfig, journal: Journal) -> Result<PaperBroker, BrokerError> {
        let state = journal.replay(config.starting_cash)?;
        let resting = state
            .open_orders
            .iter()
            .map(|(id, o)| {
                let mut order = o.order.clone();
                order.count = o.remaining;
                (id.clone(), Resting { order, queue: None, fees: None })
            })
            .collect();
        Ok(PaperBroker { config, journal, state, resting, fills: Vec::new(), index_execution: None })
    }

    /// Resting orders on the index ladders take their fill-α from `curve` by the minutes left
    /// to the event's target.
    pub fn with_index_execution(mut self, curve: crate::paper::ExecutionCurve) -> PaperBroker {
        self.index_execution = Some(curve);
        self
    }

    /// The fill-α of a resting order on `series`' `event` placed at `at`.
    fn fill_alpha(&self, series: &str, event: &str, at: DateTime<Utc>) -> crate::paper::FillAlpha {
        let index = crate::strategies::Strategy::for_series(series) == Some(crate::strategies::Strategy::Index);
        let target = crate::strategies::event_date::parse(event).and_then(|d| d.instant());
        match (&self.index_execution, index, target) {
            (Some(curve), true, Some(target)) => {
                let minutes = (target - at).num_seconds().max(0) as f64 / 60.0;
                curve.at(minutes).map_or(self.config.fill_alpha, |(alpha, _)| alpha)
            }
            _ => self.config.fill_alpha,
        }
    }

    /// The ledger as of the last event.
    pub fn ledger(&self) -> &LedgerState {
        &self.state
    }

    /// The journal file.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Fills recorded by this session.
    pub fn session_fills(&self) -> &[Fill] {
        &self.fills
    }

    fn record(&mut self, event: LedgerEvent) -> Result<(), BrokerError> {
        // Checked first, so a refused event never reaches the journal; journalled before it
        // counts, so the ledger never holds what the journal lacks.
        self.state.check(&event)?;
        self.journal.append(&event)?;
        Ok(self.state.apply(&event)?)
    }

    fn fill(
        &mut self,
        order: &OrderPlaced,
        role: Role,
        price: crate::model::Price,
        count: Count,
        fee: Money,
        at: DateTime<Utc>,
    ) -> Result<(), BrokerError> {
        let fill = Fill {
            ts: at,
            mode: Mode::Paper,
            client_order_id: order.client_order_id.clone(),
            series: order.series.clone(),
            ticker: order.ticker.clone(),
            side: order.side,
            role,
            price,
            count,
            fee,
        };
        self.record(LedgerEvent::Fill(fill.clone()))?;
        self.fills.push(fill);
        Ok(())
    }

    /// Shows the broker a scan's snapshot: resting orders on its markets update their queues,
    /// and orders kept from a past run join theirs.
    pub fn observe(&mut self, snapshot: &LadderSnapshot) {
        for rung in &snapshot.rungs {
            for r in self.resting.values_mut().filter(|r| r.order.ticker == rung.ticker) {
                match &mut r.queue {
                    Some(q) => q.on_book(&rung.book),
                    None => {
                        r.queue = Some(MakerQueue::join(
                            &rung.book,
                            r.order.side,
                            r.order.price,
                            r.order.count,
                            self.config.fill_alpha,
                        ));
                        r.fees = Some((snapshot.fees, OrderFees::new(self.config.fee_rounding)));
                    }
                }
            }
        }
    }

    fn cancel(&mut self, id: &str, reason: &str, at: DateTime<Utc>) -> Result<(), BrokerError> {
        self.resting.remove(id);
        self.record(LedgerEvent::OrderCancelled { ts: at, client_order_id: id.to_string(), reason: reason.to_string() })
    }

    fn on_trade(&mut self, ticker: &str, print: Print, at: DateTime<Utc>) -> Result<Count, BrokerError> {
        let mut filled = Count::ZERO;
        let ids: Vec<String> =
            self.resting.iter().filter(|(_, r)| r.order.ticker == ticker).map(|(id, _)| id.clone()).collect();
        for id in ids {
            let Some(r) = self.resting.get_mut(&id) else { continue };
            let (Some(queue), Some((schedule, fees))) = (&mut r.queue, &mut r.fees) else { continue };
            let Some(fill) = queue.on_trade(print) else { continue };
            let fee = fees.charge(schedule, Role::Maker, fill.price, fill.count);
            let done = queue.remaining.is_zero();
            let order = r.order.clone();
            if done {
                self.resting.remove(&id);
            }
            self.fill(&order, Role::Maker, fill.price, fill.count, fee, at)?;
            filled = filled + fill.count;
        }
        Ok(filled)
    }
}

impl Broker for PaperBroker {
    fn mode(&self) -> &'static str {
        "paper"
    }

    fn place(
        &mut self,
        intent: &OrderIntent,
        ctx: &OrderContext<'_>,
        at: DateTime<Utc>,
    ) -> Result<Placed, BrokerError> {
        let p = ctx.proposal;
        if intent.post_only && would_cross(ctx.book, intent.side, intent.price) {
            return Err(BrokerError::PostOnlyCross(intent.client_order_id.clone()));
        }
        let order = OrderPlaced {
            ts: at,
            mode: Mode::Paper,
            client_order_id: intent.client_order_id.clone(),
            series: p.series.clone(),
            event: p.event.clone(),
            ticker: intent.ticker.clone(),
            side: intent.side,
            role: p.role,
            price: intent.price,
            count: intent.count,
            expected: Some(crate::ledger::Expected::of(p)),
        };
        self.record(LedgerEvent::OrderPlaced(order.clone()))?;
        let mut fees = OrderFees::new(self.config.fee_rounding);
        if p.role == Role::Taker {
            // Immediate-or-cancel: walk the book, cancel what is left.
            let mut filled = Count::ZERO;
            for f in taker_walk(ctx.book, intent.side, intent.price, intent.count) {
                let fee = fees.charge(ctx.fees, Role::Taker, f.price, f.count);
                self.fill(&order, Role::Taker, f.price, f.count, fee, at)?;
                filled = filled + f.count;
            }
            if filled < intent.count {
                self.record(LedgerEvent::OrderCancelled {
                    ts: at,
                    client_order_id: order.client_order_id.clone(),
                    reason: "immediate_or_cancel: rest of the order".into(),
                })?;
            }
            return Ok(Placed { filled, resting: Count::ZERO, fees: fees.charged() });
        }
        let alpha = self.fill_alpha(&p.series, &p.event, at);
        let queue = MakerQueue::join(ctx.book, intent.side, intent.price, intent.count, alpha);
        self.resting.insert(
            order.client_order_id.clone(),
            Resting { order, queue: Some(queue), fees: Some((*ctx.fees, fees)) },
        );
        Ok(Placed { filled: Count::ZERO, resting: intent.count, fees: Money::ZERO })
    }

    fn cancel_all(&mut self, reason: &str, at: DateTime<Utc>) -> Result<usize, BrokerError> {
        let ids: Vec<String> = self.resting.keys().cloned().collect();
        for id in &ids {
            self.cancel(id, &format!("cancel_all: {reason}"), at)?;
        }
        Ok(ids.len())
    }

    fn cancel_series(&mut self, series: &str, reason: &str, at: DateTime<Utc>) -> Result<usize, BrokerError> {
        let ids: Vec<String> =
            self.resting.iter().filter(|(_, r)| r.order.series == series).map(|(id, _)| id.clone()).collect();
        for id in &ids {
            self.cancel(id, reason, at)?;
        }
        Ok(ids.len())
    }

    fn open_orders(&self) -> usize {
        self.resting.len()
    }

    fn open_by_series(&self) -> BTreeMap<String, usize> {
        crate::brokers::count_by(self.resting.values().map(|r| &r.order.series))
    }

    fn holdings(&self) -> crate::safety::var::BookHoldings {
        crate::safety::var::ledger_holdings(&self.state)
    }

    fn on_market(&mut self, update: MarketUpdate<'_>, at: DateTime<Utc>) -> Result<Count, BrokerError> {
        match update {
            MarketUpdate::Book { ticker, book } => {
                self.observe_book(ticker, book);
                Ok(Count::ZERO)
            }
            MarketUpdate::Trade { ticker, yes_price, count, taker_side } => {
                let print = Print::of_trade(taker_side, yes_price, count);
                self.on_trade(ticker, print, at)
            }
        }
    }

    fn finish(&mut self, at: DateTime<Utc>) -> Result<(), BrokerError> {
        if self.config.session_end == SessionEnd::Cancel {
            let ids: Vec<String> = self.resting.keys().cloned().collect();
            for id in ids {
                self.cancel(&id, "session_end", at)?;
            }
        }
        Ok(())
    }
}

impl PaperBroker {
    fn observe_book(&mut self, ticker: &str, book: &OrderBook) {
        for r in self.resting.values_mut().filter(|r| r.order.ticker == ticker) {
            if let Some(q) = &mut r.queue {
                q.on_book(book);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_ladders_take_fill_alpha_from_the_execution_curve() {
        let dir = tempfile::tempdir().unwrap();
        let config: PaperConfig = toml::from_str(
            "starting_cash = \"100\"\nfill_alpha = \"0.6\"\nfee_rounding = \"cent\"\nsession_end = \"cancel\"\ndrawdown_alert = \"50\"\n",
        )
        .unwrap();
        let curve: crate::paper::ExecutionCurve =
            toml::from_str("[[points]]\nminutes = 2\nfill_alpha = \"0.25\"\nslippage = \"0.015\"\n").unwrap();
        let broker = PaperBroker::open(config, Journal::new(dir.path().join("journal.jsonl")))
            .unwrap()
            .with_index_execution(curve);
        // 15:58 New York, two minutes before the 16:00 hourly event.
        let at: DateTime<Utc> = "2026-11-24T20:58:00Z".parse().unwrap();
        assert_eq!(String::from(broker.fill_alpha("KXINXU", "KXINXU-26NOV24H1600", at)), "0.2500");
        // Other ladders keep paper.toml's fill-α.
        assert_eq!(String::from(broker.fill_alpha("KXHIGHNY", "KXHIGHNY-26NOV25", at)), "0.6000");
    }
}
