//! The session's broker (dry, paper or live) and submitting a GO series' decisions to it.

use crate::session::{BrokerKind, PlannedSeries, SessionError};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::brokers::journal::{Journal, journal_path};
use crate::brokers::live::{LiveBroker, LiveSetup};
use crate::brokers::paper::PaperBroker;
use crate::brokers::{
    Broker, BrokerError, DryBroker, OrderContext, OrderIntent, Placed, new_client_order_id, resting_fee_bound,
};
use crate::config::ScanConfig;
use crate::ledger::LedgerState;
use crate::model::Count;
use crate::pricing::fees::Rounding;
use crate::risk::ceilings::Verdict;
use crate::risk::limits::Ledger;

/// A session's broker: dry or paper.
pub enum SessionBroker {
    /// Audit log only.
    Dry(DryBroker),
    /// Paper fills and a ledger.
    Paper(Box<PaperBroker>),
    /// Real orders.
    Live(Box<LiveBroker>),
}

impl SessionBroker {
    /// Opens the broker a request names under `out_root` (`audit_day` names the dry log).
    pub fn open(
        kind: BrokerKind,
        out_root: &Path,
        config: &ScanConfig,
        now: DateTime<Utc>,
    ) -> Result<SessionBroker, SessionError> {
        Ok(match kind {
            BrokerKind::Dry => SessionBroker::Dry(DryBroker::new(
                out_root.join("data/proc/audit").join(format!("dry_orders_{}.jsonl", now.format("%Y-%m-%d"))),
            )),
            BrokerKind::Paper => SessionBroker::Paper(Box::new(
                PaperBroker::open(config.paper.clone(), Journal::new(journal_path(out_root)))?
                    .with_index_execution(config.index_execution.clone()),
            )),
            BrokerKind::Live => return Err(SessionError::LiveNeedsSetup),
        })
    }

    /// Opens the live broker (arming already passed or refused into `setup.armed`).
    pub fn open_live(setup: LiveSetup, now: DateTime<Utc>) -> Result<SessionBroker, SessionError> {
        Ok(SessionBroker::Live(Box::new(LiveBroker::open(setup, now)?)))
    }

    /// Lets the broker see a planned series before its orders: the live broker keeps each
    /// event's model outcome bins for VaR, and acts on the gate (NO-GO → REDUCING; a `KILL:`
    /// rule engages the kill switch).
    pub fn observe_plan(&mut self, plan: &PlannedSeries, now: DateTime<Utc>) -> Result<(), BrokerError> {
        if let SessionBroker::Live(live) = self {
            for scan in &plan.scans {
                let tickers: Vec<String> = scan.rows.iter().map(|r| r.ticker.clone()).collect();
                let outcomes = crate::safety::var::EventOutcomes::from_ladder(scan.kind, &tickers, &scan.model_bins);
                live.observe_event(&scan.series, &scan.event, outcomes);
            }
            live.on_gate(&plan.series, plan.gate.go, &plan.gate.reasons, now)?;
        }
        Ok(())
    }

    /// The live broker, if live.
    pub fn live(&mut self) -> Option<&mut LiveBroker> {
        match self {
            SessionBroker::Live(b) => Some(b),
            _ => None,
        }
    }

    /// The broker as the trait.
    pub fn broker(&mut self) -> &mut dyn Broker {
        match self {
            SessionBroker::Dry(b) => b,
            SessionBroker::Paper(b) => b.as_mut(),
            SessionBroker::Live(b) => b.as_mut(),
        }
    }

    /// Orders resting at the broker.
    pub fn open_by_series(&self) -> std::collections::BTreeMap<String, usize> {
        match self {
            SessionBroker::Dry(b) => b.open_by_series(),
            SessionBroker::Paper(b) => b.open_by_series(),
            SessionBroker::Live(b) => b.open_by_series(),
        }
    }

    /// Orders resting at the broker.
    pub fn open_orders(&self) -> usize {
        match self {
            SessionBroker::Dry(b) => b.open_orders(),
            SessionBroker::Paper(b) => b.open_orders(),
            SessionBroker::Live(b) => b.open_orders(),
        }
    }

    /// Its mode.
    pub fn mode(&self) -> &'static str {
        match self {
            SessionBroker::Dry(b) => b.mode(),
            SessionBroker::Paper(b) => b.mode(),
            SessionBroker::Live(b) => b.mode(),
        }
    }

    /// The audit log or journal.
    pub fn audit_path(&self) -> Option<&Path> {
        match self {
            SessionBroker::Dry(b) => b.audit_path(),
            SessionBroker::Paper(b) => Some(b.journal().path()),
            SessionBroker::Live(b) => Some(b.journal().path()),
        }
    }

    /// The paper broker, if paper.
    pub fn paper(&self) -> Option<&PaperBroker> {
        match self {
            SessionBroker::Paper(b) => Some(b),
            _ => None,
        }
    }

    /// Rebuilds the parquet tables from the journal (paper only).
    pub fn write_tables(&self, out_root: &Path) -> Result<(), SessionError> {
        let Some(paper) = self.paper() else { return Ok(()) };
        let events: Vec<_> = paper.journal().events()?.into_iter().map(|(_, e)| e).collect();
        crate::brokers::ledger_tables::write_tables(
            &crate::brokers::ledger_tables::tables_dir(out_root),
            &events,
            paper.ledger(),
        )
        .map_err(|e| SessionError::Write { path: e.path.clone(), source: std::io::Error::other(e.message) })?;
        Ok(())
    }

    /// What the book holds (positions and resting orders), as the live VaR check counts it.
    pub fn holdings(&self) -> crate::safety::var::BookHoldings {
        match self {
            SessionBroker::Dry(b) => b.holdings(),
            SessionBroker::Paper(b) => b.holdings(),
            SessionBroker::Live(b) => b.holdings(),
        }
    }

    /// This session's fills (none for the dry broker).
    pub fn session_fills(&self) -> &[crate::ledger::Fill] {
        match self {
            SessionBroker::Dry(_) => &[],
            SessionBroker::Paper(b) => b.session_fills(),
            SessionBroker::Live(b) => b.session_fills(),
        }
    }

    /// The paper or live ledger.
    pub fn ledger(&self) -> Option<&LedgerState> {
        match self {
            SessionBroker::Dry(_) => None,
            SessionBroker::Paper(b) => Some(b.ledger()),
            SessionBroker::Live(b) => Some(b.ledger()),
        }
    }

    /// What the limits count before this session's decisions: the paper ledger's realised
    /// losses and open exposure (none for the dry broker).
    pub fn exposure(&self, now: DateTime<Utc>, rounding: Rounding) -> Ledger {
        self.ledger().map_or_else(Ledger::default, |l| l.exposure(now, |o| resting_fee_bound(o, rounding)))
    }
}

/// What a series' submit did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Sent {
    /// Orders placed.
    pub orders: usize,
    /// Contracts asked for.
    pub requested: Count,
    /// Contracts filled at once.
    pub filled: Count,
    /// Orders a broker refused (post-only crosses), with why.
    pub refused: Vec<String>,
}

/// Sends a GO series' approved and clipped proposals to the broker.
pub fn submit(plan: &PlannedSeries, broker: &mut SessionBroker, now: DateTime<Utc>) -> Result<Sent, SessionError> {
    let mut sent = Sent::default();
    broker.observe_plan(plan, now)?;
    if !plan.gate.go {
        return Ok(sent);
    }
    let mode = broker.mode();
    for decision in plan.scans.iter().flat_map(|s| &s.decisions).filter(|d| d.verdict != Verdict::Denied) {
        let p = &decision.proposal;
        let (snapshot, rung) = plan.market(&p.ticker).expect("decisions come from the plan's snapshots");
        let intent = OrderIntent::from_proposal(p, new_client_order_id(mode));
        let ctx = OrderContext { proposal: p, fees: &snapshot.fees, book: &rung.book };
        match broker.broker().place(&intent, &ctx, now) {
            Ok(Placed { filled, .. }) => {
                sent.orders += 1;
                sent.requested = sent.requested + intent.count;
                sent.filled = sent.filled + filled;
            }
            Err(BrokerError::PostOnlyCross(id)) => sent.refused.push(format!("{id}: post-only order would cross")),
            Err(BrokerError::Refused { client_order_id, code, .. }) => {
                sent.refused.push(format!("{client_order_id}: {code}"))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(sent)
}
