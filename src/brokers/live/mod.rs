//! The live broker: approved orders go to the exchange through V2 order entry, after the
//! native pre-trade checks, through the cancel/replace queue and its token bucket, with every
//! step in the order journal first. It reconciles with the venue before the first order, after
//! any order whose outcome is unknown, and every `sync_interval_ms` while the session runs;
//! fills and cancels land in the live ledger (`data/proc/ledger/live_journal.jsonl`, the same
//! events as paper, marked `live`). The kill switch is watched by its own thread
//! (`brokers::kill_watch`), which cancels everything the moment the file appears.

mod send;
mod sync;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::brokers::controls::{CancelAllMark, KillSwitch, StateStore};
use crate::brokers::journal::Journal;
use crate::brokers::kill_watch::KillWatch;
use crate::brokers::order_journal::{OrderJournal, order_journal_path};
use crate::brokers::{Broker, BrokerError, OrderContext, OrderIntent, Placed};
use crate::kalshi::orders::CreateOrderGroup;
use crate::kalshi::rest::{RestClient, RestError};
use crate::ledger::{Fill, LedgerState, Mode};
use crate::model::{Count, Money};
use crate::pricing::fees::Rounding;
use crate::rate::RateLimits;
use crate::risk::ceilings::CoreCeilings;
use crate::safety::arming::ArmingRefusal;
use crate::safety::config::LiveConfig;
use crate::safety::orders::{Intent, OrderRecord, OrderStatus};
use crate::safety::pretrade::Sent;
use crate::safety::queue::{QueuedRequest, RequestQueue};
use crate::safety::reconcile::Difference;
use crate::safety::state::{Changer, TradingState};
use crate::safety::var::{EventOutcomes, Holding};

/// How many times a session tries its first reconciliation before it is refused.
const FIRST_RECONCILE_ATTEMPTS: u32 = 4;

/// Where the live ledger journal lives under an output root.
pub fn live_journal_path(out_root: &Path) -> PathBuf {
    out_root.join("data/proc/ledger/live_journal.jsonl")
}

/// Where the live audit log lives under an output root.
pub fn live_audit_path(out_root: &Path) -> PathBuf {
    out_root.join("data/proc/audit/live.jsonl")
}

/// Everything a live session needs, checked by arming before it is built.
#[derive(Debug, Clone)]
pub struct LiveSetup {
    /// Signed client for the exchange.
    pub rest: RestClient,
    /// Root of `data/`.
    pub out_root: PathBuf,
    /// The data directory's kill switch (engaged when anything is at its path).
    pub kill_switch: crate::brokers::controls::KillSwitch,
    /// Core ceilings (with `[pretrade]`).
    pub core: CoreCeilings,
    /// `configs/live.toml`.
    pub config: LiveConfig,
    /// The session's notional ceiling (`--session-notional`).
    pub session_ceiling: Money,
    /// Arming passed.
    pub armed: bool,
    /// Fee rounding the limits count resting orders with.
    pub rounding: Rounding,
}

/// A live-lane audit line (`data/proc/audit/live.jsonl`). Never holds a secret.
#[derive(Debug, Serialize)]
struct AuditLine<'a> {
    ts: DateTime<Utc>,
    event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_order_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ticker: Option<&'a str>,
    detail: serde_json::Value,
}

/// What the session's reconciliations found, for reports and tests.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncSummary {
    /// Reconciliations run.
    pub runs: usize,
    /// Records they added.
    pub records: usize,
    /// Fills that arrived on the `fill` WebSocket channel before any reconciliation saw them.
    pub pushed_fills: usize,
    /// Differences at the last one (untracked exposure).
    pub differences: Vec<Difference>,
}

/// Sends orders to the exchange.
pub struct LiveBroker {
    runtime: tokio::runtime::Runtime,
    rest: RestClient,
    journal: OrderJournal,
    ledger_journal: Journal,
    ledger: LedgerState,
    state: StateStore,
    kill: KillSwitch,
    cancel_mark: CancelAllMark,
    audit: PathBuf,
    setup_core: CoreCeilings,
    config: LiveConfig,
    armed: bool,
    session_ceiling: Money,
    /// Orders this session sent (or tried to): their notional counts against the ceiling
    /// until they are known not to exist.
    session_orders: BTreeSet<String>,
    /// The last reconciliation succeeded (none has failed since).
    reconciled: bool,
    rounding: Rounding,
    recent: Vec<Sent>,
    outcomes: BTreeMap<String, (String, EventOutcomes)>,
    queue: RequestQueue,
    limits: RateLimits,
    group: Option<String>,
    last_sync_ms: i64,
    sync: SyncSummary,
    watch: Option<KillWatch>,
    fills: Vec<Fill>,
    seen_reconnects: u32,
}

impl std::fmt::Debug for LiveBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveBroker")
            .field("journal", &self.journal.path())
            .field("armed", &self.armed)
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

fn io_error(path: &Path, message: impl std::fmt::Display) -> BrokerError {
    BrokerError::Journal { path: path.to_path_buf(), line: 0, message: message.to_string() }
}

impl LiveBroker {
    /// Opens the journal and ledger, reads the account's rate limits (Basic figures when the
    /// lookup fails, audited), reconciles with the venue, creates the session's order group
    /// and starts the kill-switch watcher. Nothing is sent before the reconciliation.
    pub fn open(setup: LiveSetup, at: DateTime<Utc>) -> Result<LiveBroker, BrokerError> {
        let runtime = crate::kalshi::runtime::current_thread()
            .map_err(|e| io_error(&setup.out_root, format!("cannot start the network runtime: {e}")))?;
        let journal = OrderJournal::open(order_journal_path(&setup.out_root))
            .map_err(|e| io_error(&order_journal_path(&setup.out_root), e))?;
        let ledger_journal = Journal::new(live_journal_path(&setup.out_root));
        let ledger = ledger_journal.replay(Money::ZERO)?;
        let fetched = runtime.block_on(async {
            let limits = setup.rest.account_limits().await?;
            let costs = setup.rest.endpoint_costs().await?;
            Ok::<_, RestError>(crate::kalshi::account::rate_limits(&limits, &costs))
        });
        let audit = live_audit_path(&setup.out_root);
        let mut broker = LiveBroker {
            queue: RequestQueue::new(setup.config.queue_capacity.get(), RateLimits::basic(), at.timestamp_millis()),
            limits: RateLimits::basic(),
            runtime,
            rest: setup.rest.clone(),
            journal,
            ledger_journal,
            ledger,
            state: StateStore::under(&setup.out_root),
            kill: setup.kill_switch.clone(),
            cancel_mark: CancelAllMark::under(&setup.out_root),
            audit,
            setup_core: setup.core.clone(),
            config: setup.config.clone(),
            armed: setup.armed,
            session_ceiling: setup.session_ceiling,
            session_orders: BTreeSet::new(),
            reconciled: false,
            rounding: setup.rounding,
            recent: Vec::new(),
            outcomes: BTreeMap::new(),
            group: None,
            last_sync_ms: i64::MIN,
            sync: SyncSummary::default(),
            watch: None,
            fills: Vec::new(),
            seen_reconnects: 0,
        };
        match fetched {
            Ok(limits) => broker.limits = limits,
            Err(e) => broker.audit_event(
                at,
                "rate_limits_fallback",
                None,
                None,
                serde_json::json!({ "error": e.to_string() }),
            )?,
        }
        broker.queue =
            RequestQueue::new(setup.config.queue_capacity.get(), broker.limits.clone(), at.timestamp_millis());
        if broker.journal.torn_bytes() > 0 {
            let torn = broker.journal.torn_bytes();
            broker.audit_event(at, "journal_torn_tail", None, None, serde_json::json!({ "bytes": torn }))?;
        }
        broker.reconcile_first(at)?;
        if broker.armed {
            let group = broker.runtime.block_on(
                broker
                    .rest
                    .create_order_group(&CreateOrderGroup { contracts_limit_fp: setup.config.order_group_contracts }),
            );
            match group {
                Ok(g) => broker.group = Some(g.order_group_id),
                Err(e) => {
                    // No backstop, no trading: the session runs reducing-only at most.
                    broker.audit_event(
                        at,
                        "order_group_failed",
                        None,
                        None,
                        serde_json::json!({ "error": e.to_string() }),
                    )?;
                    broker.armed = false;
                }
            }
            broker.record(OrderRecord::Session {
                at,
                order_group_id: broker.group.clone(),
                group_limit: Some(setup.config.order_group_contracts),
            })?;
        }
        let watcher_refused = |detail: String| BrokerError::LiveRefused { refusal: ArmingRefusal::KillWatcher, detail };
        let watch = KillWatch::start(crate::brokers::kill_watch::WatchSetup {
            kill: broker.kill.clone(),
            state: broker.state.clone(),
            mark: broker.cancel_mark.clone(),
            rest: broker.rest.fresh().map_err(|e| watcher_refused(e.to_string()))?,
            group: broker.group.clone(),
            poll: Duration::from_millis(setup.config.kill_poll_ms.max(1)),
            audit: live_audit_path(&setup.out_root),
        })
        .map_err(watcher_refused)?;
        broker.watch = Some(watch);
        Ok(broker)
    }

    /// The reconciliation every live session starts with, retried with the shared backoff;
    /// when the venue cannot be read the session is refused (nothing was sent).
    fn reconcile_first(&mut self, at: DateTime<Utc>) -> Result<(), BrokerError> {
        let backoff = crate::kalshi::backoff::Backoff { base: Duration::from_millis(200), cap: Duration::from_secs(2) };
        for attempt in 0..FIRST_RECONCILE_ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(backoff.delay(attempt - 1));
            }
            self.reconcile_now(at)?;
            if self.reconciled {
                return Ok(());
            }
        }
        Err(BrokerError::LiveRefused {
            refusal: ArmingRefusal::NotReconciled,
            detail: format!("{FIRST_RECONCILE_ATTEMPTS} attempts to read the venue failed"),
        })
    }

    /// Notional of this session's orders that exist or may exist (sent, acknowledged or with
    /// an unknown outcome): only an order known never to have reached the venue stops counting.
    pub fn session_notional(&self) -> Money {
        let orders = &self.journal.table().orders;
        self.session_orders
            .iter()
            .filter_map(|cid| orders.get(cid))
            .filter(|o| o.status != OrderStatus::Rejected)
            .fold(Money::ZERO, |total, o| total + o.intent.count.times(o.intent.price))
    }

    /// The order journal.
    pub fn journal(&self) -> &OrderJournal {
        &self.journal
    }

    /// The live ledger.
    pub fn ledger(&self) -> &LedgerState {
        &self.ledger
    }

    /// The live ledger's journal.
    pub fn ledger_journal(&self) -> &Journal {
        &self.ledger_journal
    }

    /// What the reconciliations found.
    pub fn sync_summary(&self) -> &SyncSummary {
        &self.sync
    }

    /// This session's fills.
    pub fn session_fills(&self) -> &[Fill] {
        &self.fills
    }

    /// The rate limits in force.
    pub fn rate_limits(&self) -> &RateLimits {
        &self.limits
    }

    /// A series' gate before its orders: NO-GO moves the trading state to REDUCING (an
    /// operator restores it); a NO-GO reason starting with `KILL:` — a gate rule asking for
    /// it — engages the latched kill switch.
    pub fn on_gate(
        &mut self,
        series: &str,
        go: bool,
        reasons: &[String],
        at: DateTime<Utc>,
    ) -> Result<(), BrokerError> {
        if go {
            return Ok(());
        }
        if let Some(rule) = reasons.iter().find(|r| r.starts_with("KILL:")) {
            if self.kill.engaged().is_none() {
                self.kill.engage(rule, Changer::Gate, at).map_err(|e| io_error(&e.path, e.message))?;
                self.engage_now(rule, at)?;
            }
            return Ok(());
        }
        self.request_state(
            TradingState::Reducing,
            Changer::Gate,
            &format!("{series} NO-GO: {}", reasons.join("; ")),
            at,
        )
        .map(|_| ())
    }

    /// Remembers a scanned event's outcome bins (for VaR).
    pub fn observe_event(&mut self, series: &str, event: &str, outcomes: EventOutcomes) {
        self.outcomes.insert(event.to_string(), (series.to_string(), outcomes));
    }

    fn audit_event(
        &self,
        ts: DateTime<Utc>,
        event: &str,
        client_order_id: Option<&str>,
        ticker: Option<&str>,
        detail: serde_json::Value,
    ) -> Result<(), BrokerError> {
        let line = AuditLine { ts, event, client_order_id, ticker, detail };
        crate::storage::append_jsonl(&self.audit, &line)
            .map_err(|source| BrokerError::Audit { path: self.audit.clone(), source })
    }

    fn request_state(
        &self,
        wanted: TradingState,
        by: Changer,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<TradingState, BrokerError> {
        self.state.request(wanted, by, reason, at).map(|r| r.state).map_err(|e| io_error(&e.path, e.message))
    }

    /// The trading state now; one that cannot be read counts as HALTED (fail closed).
    fn trading_state(&self, at: DateTime<Utc>) -> TradingState {
        self.state.load(at).map_or(TradingState::Halted, |r| r.state)
    }
}

impl Broker for LiveBroker {
    fn mode(&self) -> &'static str {
        "live"
    }

    fn place(
        &mut self,
        intent: &OrderIntent,
        ctx: &OrderContext<'_>,
        at: DateTime<Utc>,
    ) -> Result<Placed, BrokerError> {
        self.tick(at)?;
        // A quote on a market and side where ours already rests is a replace.
        let resting = self
            .journal
            .table()
            .orders
            .values()
            .find(|o| {
                o.status == OrderStatus::Resting
                    && !o.cancel_requested
                    && o.intent.ticker == intent.ticker
                    && o.intent.side == intent.side
            })
            .cloned();
        if let Some(old) = resting {
            if old.price == intent.price && intent.count <= old.remaining {
                if intent.count < old.remaining {
                    // Same price, smaller: decrease keeps the order's place in the queue.
                    let request = QueuedRequest::Decrease {
                        client_order_id: old.intent.client_order_id.clone(),
                        ticker: old.intent.ticker.clone(),
                        remaining: intent.count,
                    };
                    self.enqueue(request, at)?;
                    self.drain(at)?;
                }
                return Ok(Placed { filled: Count::ZERO, resting: intent.count, fees: Money::ZERO });
            }
            // Another price or more size: cancel, then create (checked as a new order).
            self.cancel_where(|o| o.intent.client_order_id == old.intent.client_order_id, "replaced", at)?;
        }
        if let Err(refusal) = self.pretrade(intent, ctx, at) {
            return Err(self.refuse(intent, &refusal, at));
        }
        let p = ctx.proposal;
        self.record(OrderRecord::Intent(Intent {
            ts: at,
            mode: Mode::Live,
            client_order_id: intent.client_order_id.clone(),
            series: p.series.clone(),
            event: p.event.clone(),
            ticker: intent.ticker.clone(),
            side: intent.side,
            role: p.role,
            price: intent.price,
            count: intent.count,
            expected: Some(crate::ledger::Expected::of(p)),
        }))?;
        let request = QueuedRequest::Create {
            client_order_id: intent.client_order_id.clone(),
            ticker: intent.ticker.clone(),
            price: intent.price,
            count: intent.count,
        };
        if !self.enqueue(request, at)? {
            self.record(OrderRecord::Rejected {
                at,
                client_order_id: intent.client_order_id.clone(),
                code: "queue_drop".into(),
                message: "cancel/replace queue full".into(),
            })?;
            return Err(BrokerError::Refused {
                client_order_id: intent.client_order_id.clone(),
                code: "QUEUE_DROP",
                detail: "queue full".into(),
            });
        }
        self.drain(at)?;
        if self.kill.engaged().is_some() {
            // Engaged while this order was in flight: the watcher's cancel-all may have gone
            // out before it landed.
            self.cancel_where(|_| true, "kill switch engaged while sending", at)?;
        }
        let order = &self.journal.table().orders[&intent.client_order_id];
        Ok(Placed { filled: order.filled, resting: order.remaining, fees: Money::ZERO })
    }

    fn cancel_all(&mut self, reason: &str, at: DateTime<Utc>) -> Result<usize, BrokerError> {
        self.cancel_where(|_| true, reason, at)
    }

    fn cancel_series(&mut self, series: &str, reason: &str, at: DateTime<Utc>) -> Result<usize, BrokerError> {
        self.cancel_where(|o| o.intent.series == series, reason, at)
    }

    fn open_orders(&self) -> usize {
        self.journal.table().open().count()
    }

    fn open_by_series(&self) -> std::collections::BTreeMap<String, usize> {
        crate::brokers::count_by(self.journal.table().open().map(|o| &o.intent.series))
    }

    fn holdings(&self) -> crate::safety::var::BookHoldings {
        let mut book = crate::safety::var::ledger_holdings(&self.ledger);
        // The journal knows resting orders the ledger may not have mirrored yet (unknown outcome).
        book.resting = self
            .journal
            .table()
            .open()
            .map(|o| Holding {
                ticker: o.intent.ticker.clone(),
                side: o.intent.side,
                price: o.price,
                count: o.remaining,
            })
            .collect();
        book
    }

    fn finish(&mut self, at: DateTime<Utc>) -> Result<(), BrokerError> {
        // Live sessions leave nothing resting: the venue-side cancel on pause and the order
        // group are backstops, not the plan.
        self.cancel_where(|_| true, "session end", at)?;
        self.reconcile_now(at)?;
        if let Some(watch) = self.watch.take() {
            watch.stop();
        }
        Ok(())
    }
}
