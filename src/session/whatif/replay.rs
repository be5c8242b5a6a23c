//! One recorded session through two policy sets, pure. The recording's lines rebuild the
//! books; each event is decided once, at the first message after which every market of its
//! ladder has a valid book (a live session would not start before that either): the scan,
//! then each policy set's decider and gate, exactly as a session plans. What a GO set
//! approves is sent into the paper fill model at that instant (takers walk the book, makers
//! queue), then the rest of the recording — trades and book changes — fills the resting
//! makers. The session's end cancels what still rests.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::kalshi::live_book::BookSet;
use crate::kalshi::market_data::{Event, Series};
use crate::kalshi::replay::{Applied, ReplayError, apply_line};
use crate::kalshi::ws::WsMessage;
use crate::model::{OrderBook, Price};
use crate::paper::{Print, SimTerms};
use crate::risk::ceilings::Verdict;
use crate::risk::gate::GateInputs;
use crate::risk::limits::{Decider, Ledger};
use crate::rules::policy::PolicySet;
use crate::scan::SeriesSnapshot;
use crate::session::inputs::Inputs;
use crate::session::plan::plan_gated;
use crate::session::policy_eval::{EvalRow, rows};
use crate::session::whatif::account::Account;

/// One policy set's side of a session: its decisions and its account.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// Every decision (gate rows carry the event decided).
    pub rows: Vec<EvalRow>,
    /// The orders it sent and what they got.
    pub account: Account,
}

/// A session replayed under both sets.
#[derive(Debug, Clone)]
pub struct SessionOutcome {
    /// Events decided, with the instant.
    pub decided: Vec<(String, DateTime<Utc>)>,
    /// Events never decided, with why.
    pub undecided: Vec<(String, String)>,
    /// Under the set in use.
    pub old: Run,
    /// Under the edited set.
    pub new: Run,
    /// Last YES mid of every market with a two-sided book at the end.
    pub marks: BTreeMap<String, Price>,
    /// Server messages read.
    pub messages: usize,
}

/// The two sets compared.
#[derive(Clone, Copy)]
pub struct PolicyPair<'a> {
    /// The set in use.
    pub old: &'a PolicySet,
    /// The edited set.
    pub new: &'a PolicySet,
}

/// Why a session could not be replayed.
#[derive(Debug, thiserror::Error)]
pub enum WhatIfRunError {
    /// A line is not a recording line.
    #[error(transparent)]
    Line(#[from] ReplayError),
    /// Planning failed (a policy script error is fail-closed there, so this is structural).
    #[error("{event}: {message}")]
    Plan {
        /// The event being decided.
        event: String,
        /// Why.
        message: String,
    },
}

struct Pending<'a> {
    series: &'a Series,
    event: &'a Event,
}

fn all_valid(books: &BookSet, event: &Event) -> bool {
    !event.markets.is_empty() && event.markets.iter().all(|m| books.book(&m.ticker).is_some_and(|b| b.valid))
}

/// Replays `lines` (numbered from 1) against the `ladders` followed.
pub fn run_session<'l>(
    lines: impl IntoIterator<Item = &'l str>,
    ladders: &[(Series, Vec<Event>)],
    inputs: &Inputs,
    policies: PolicyPair<'_>,
    terms: SimTerms,
) -> Result<SessionOutcome, WhatIfRunError> {
    let mut pending: Vec<Pending<'_>> =
        ladders.iter().flat_map(|(series, events)| events.iter().map(move |event| Pending { series, event })).collect();
    let mut outcome = SessionOutcome {
        decided: Vec::new(),
        undecided: Vec::new(),
        old: Run::default(),
        new: Run::default(),
        marks: BTreeMap::new(),
        messages: 0,
    };
    let weights = inputs.weights();
    let mut old = Decider::new(policies.old.table(), policies.old.hook(), Ledger::default()).with_weights(weights);
    let mut new = Decider::new(policies.new.table(), policies.new.hook(), Ledger::default()).with_weights(weights);
    let mut books = BookSet::default();
    let mut last_ms = 0_i64;
    for (n, text) in lines.into_iter().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        let Applied::Server(message) = apply_line(&mut books, text, n + 1, &mut last_ms)? else { continue };
        outcome.messages += 1;
        match &message {
            Some(WsMessage::Trade { trade, .. }) => {
                if let Some((taker, yes_price, count)) = trade.taken() {
                    let print = Print::of_trade(taker, yes_price, count);
                    outcome.old.account.on_trade(&trade.market_ticker, print);
                    outcome.new.account.on_trade(&trade.market_ticker, print);
                }
            }
            Some(WsMessage::Snapshot { book, .. }) => follow_book(&mut outcome, &books, &book.market_ticker),
            Some(WsMessage::Delta { delta, .. }) => follow_book(&mut outcome, &books, &delta.market_ticker),
            _ => {}
        }
        if pending.iter().any(|p| all_valid(&books, p.event)) {
            let at = DateTime::<Utc>::from_timestamp_millis(last_ms).unwrap_or_default();
            let (ready, waiting): (Vec<_>, Vec<_>) = pending.into_iter().partition(|p| all_valid(&books, p.event));
            pending = waiting;
            for p in ready {
                decide(&p, &books, last_ms, at, inputs, policies, (&mut old, &mut new), terms, &mut outcome)?;
            }
        }
    }
    for p in pending {
        let booked = p.event.markets.iter().filter(|m| books.book(&m.ticker).is_some_and(|b| b.valid)).count();
        outcome.undecided.push((
            p.event.event_ticker.clone(),
            format!("never had every book: {booked} of {} market(s) booked", p.event.markets.len()),
        ));
    }
    outcome.marks = books.books().iter().filter_map(|(t, b)| b.to_book().yes_mid().map(|m| (t.clone(), m))).collect();
    Ok(outcome)
}

fn follow_book(outcome: &mut SessionOutcome, books: &BookSet, ticker: &str) {
    let followed = outcome.old.account.follows(ticker) || outcome.new.account.follows(ticker);
    let Some(live) = books.book(ticker).filter(|b| b.valid && followed) else { return };
    let book = live.to_book();
    outcome.old.account.on_book(ticker, &book);
    outcome.new.account.on_book(ticker, &book);
}

#[allow(clippy::too_many_arguments)]
fn decide<'d>(
    p: &Pending<'_>,
    books: &BookSet,
    now_ms: i64,
    at: DateTime<Utc>,
    inputs: &Inputs,
    policies: PolicyPair<'_>,
    deciders: (&mut Decider<'d>, &mut Decider<'d>),
    terms: SimTerms,
    outcome: &mut SessionOutcome,
) -> Result<(), WhatIfRunError> {
    let event = p.event.event_ticker.clone();
    let plan_error = |message: String| WhatIfRunError::Plan { event: event.clone(), message };
    let fees = &inputs.config.fees;
    let snapshot = match crate::feed::snapshot::from_live(p.series, p.event, books, now_ms, fees) {
        Ok(s) => s,
        Err(e) => {
            outcome.undecided.push((event.clone(), e.to_string()));
            return Ok(());
        }
    };
    let series = SeriesSnapshot {
        ticker: p.series.ticker.clone(),
        title: p.series.title.clone(),
        fees: crate::feed::snapshot::series_fees(p.series, fees).map_err(|e| plan_error(e.to_string()))?,
        events: vec![snapshot],
        skipped: Vec::new(),
    };
    outcome.decided.push((event.clone(), at));
    let gate = GateInputs::fresh();
    for (policy, decider, run) in
        [(policies.old, deciders.0, &mut outcome.old), (policies.new, deciders.1, &mut outcome.new)]
    {
        let plan = plan_gated(&series, inputs, policy, decider, &gate, at).map_err(|e| plan_error(e.to_string()))?;
        let mut planned = rows(std::slice::from_ref(&plan));
        for row in planned.iter_mut().filter(|r| r.bin == "GATE") {
            row.event = event.clone();
        }
        run.rows.extend(planned);
        if !plan.gate.go {
            continue;
        }
        for d in plan.scans.iter().flat_map(|s| &s.decisions) {
            if d.verdict == Verdict::Denied || d.allowed.is_zero() {
                continue;
            }
            let book = plan.market(&d.proposal.ticker).map(|(_, rung)| rung.book.clone());
            let book = book.unwrap_or_else(|| OrderBook::from_levels(vec![], vec![]));
            run.account.place(&d.proposal, &book, &plan.fees, terms);
        }
    }
    Ok(())
}
