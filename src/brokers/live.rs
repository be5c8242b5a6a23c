//! The live broker: approved orders go to the exchange through V2 order entry, after the
//! native pre-trade checks, through the cancel/replace queue and its token bucket, with every
//! step in the order journal first. It reconciles with the venue before the first order, after
//! any order whose outcome is unknown, and every `sync_interval_ms` while the session runs;
//! fills and cancels land in the live ledger (`data/proc/ledger/live_journal.jsonl`, the same
//! events as paper, marked `live`). The kill switch is watched by its own thread
//! (`brokers::kill_watch`), which cancels everything the moment the file appears.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::brokers::controls::{CancelAllMark, KillSwitch, StateStore};
use crate::brokers::journal::Journal;
use crate::brokers::kill_watch::KillWatch;
use crate::brokers::order_journal::{OrderJournal, order_journal_path};
use crate::brokers::venue::fetch_venue;
use crate::brokers::{Broker, BrokerError, OrderContext, OrderIntent, Placed};
use crate::kalshi::open_enum::{BookSide, SelfTradePrevention, TimeInForce};
use crate::kalshi::orders::{CreateOrder, CreateOrderGroup, DecreaseOrder};
use crate::kalshi::rest::{RestClient, RestError};
use crate::ledger::{Fill, LedgerEvent, LedgerState, Mode};
use crate::model::{Count, Money, Price, Role, Side};
use crate::pricing::fees::Rounding;
use crate::rate::RateLimits;
use crate::risk::ceilings::CoreCeilings;
use crate::safety::arming::ArmingRefusal;
use crate::safety::config::LiveConfig;
use crate::safety::orders::{Intent, OrderRecord, OrderStatus};
use crate::safety::pretrade::{self, Candidate, Refusal, Sent};
use crate::safety::queue::{QueuedRequest, RequestQueue};
use crate::safety::reconcile::{Difference, reconcile};
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
        if setup.config.queue_capacity == 0 {
            // A queue that holds nothing would drop cancels: refuse before anything starts.
            return Err(io_error(Path::new("configs/live.toml"), "queue_capacity: must be at least 1"));
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
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
            queue: RequestQueue::new(setup.config.queue_capacity, RateLimits::basic(), at.timestamp_millis()),
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
        broker.queue = RequestQueue::new(setup.config.queue_capacity, broker.limits.clone(), at.timestamp_millis());
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

    /// Appends an order record (fsync'd), then mirrors it into the live ledger.
    fn record(&mut self, record: OrderRecord) -> Result<(), BrokerError> {
        self.journal.append(record.clone()).map_err(|e| io_error(self.journal.path(), e))?;
        self.mirror(&record)
    }

    fn ledger_event(&mut self, event: LedgerEvent) -> Result<(), BrokerError> {
        self.ledger.check(&event)?;
        self.ledger_journal.append(&event)?;
        Ok(self.ledger.apply(&event)?)
    }

    /// The ledger side of an order record: orders known to exist are placed, fills fill,
    /// closed orders stop counting as resting.
    fn mirror(&mut self, record: &OrderRecord) -> Result<(), BrokerError> {
        let cid = match record {
            OrderRecord::Acked { client_order_id, .. }
            | OrderRecord::Resolved { client_order_id, .. }
            | OrderRecord::Fill { client_order_id, .. }
            | OrderRecord::Closed { client_order_id, .. }
            | OrderRecord::Amended { client_order_id, .. } => client_order_id.clone(),
            _ => return Ok(()),
        };
        let Some(order) = self.journal.table().orders.get(&cid).cloned() else { return Ok(()) };
        let exists = order.order_id.is_some() || matches!(record, OrderRecord::Fill { .. });
        if exists && !self.ledger.known_ids.contains(&cid) {
            // A fill proves the order exists: the ledger records the order first, then the fill.
            self.ledger_event(LedgerEvent::OrderPlaced(order.intent.clone()))?;
        }
        if let OrderRecord::Fill { at, count, price, fee, .. } = record {
            let fill = Fill {
                ts: *at,
                mode: Mode::Live,
                client_order_id: cid.clone(),
                series: order.intent.series.clone(),
                ticker: order.intent.ticker.clone(),
                side: order.intent.side,
                role: order.intent.role,
                price: *price,
                count: *count,
                fee: *fee,
            };
            // A fill the venue reports beyond what the ledger holds open still moves the position.
            self.ledger_event(LedgerEvent::Fill(fill.clone()))?;
            self.fills.push(fill);
        }
        let closed = matches!(order.status, OrderStatus::Closed | OrderStatus::Rejected);
        if closed && self.ledger.open_orders.contains_key(&cid) && !matches!(record, OrderRecord::Fill { .. }) {
            let ts = match record {
                OrderRecord::Closed { at, .. } | OrderRecord::Resolved { at, .. } | OrderRecord::Acked { at, .. } => {
                    *at
                }
                _ => order.intent.ts,
            };
            self.ledger_event(LedgerEvent::OrderCancelled { ts, client_order_id: cid, reason: "closed".into() })?;
        }
        Ok(())
    }

    /// Reads the venue (our orders, fills, positions), reconciles, and records what it finds.
    /// Differences (untracked exposure) move the trading state to REDUCING.
    pub fn reconcile_now(&mut self, at: DateTime<Utc>) -> Result<&SyncSummary, BrokerError> {
        let cursor = self.journal.table().last_fill_at;
        let venue = self.runtime.block_on(fetch_venue(&self.rest, cursor));
        let venue = match venue {
            Ok(v) => v,
            Err(e) => {
                // Unknown is not safe: nothing new is sent until a reconciliation succeeds.
                self.reconciled = false;
                self.audit_event(at, "reconcile_failed", None, None, serde_json::json!({ "error": e.to_string() }))?;
                return Ok(&self.sync);
            }
        };
        let settled: BTreeSet<String> = self.ledger.settled.iter().cloned().collect();
        let outcome = reconcile(self.journal.table(), &venue, &settled, at);
        self.sync.runs += 1;
        self.sync.records += outcome.records.len();
        for record in outcome.records {
            self.record(record)?;
        }
        if !outcome.differences.is_empty() && outcome.differences != self.sync.differences {
            self.audit_event(at, "reconcile_differences", None, None, serde_json::json!(&outcome.differences))?;
            self.request_state(
                TradingState::Reducing,
                Changer::Watchdog,
                "reconciliation found untracked exposure",
                at,
            )?;
        }
        self.sync.differences = outcome.differences;
        self.last_sync_ms = at.timestamp_millis();
        self.reconciled = true;
        Ok(&self.sync)
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

    /// The feed reconnected (`count` so far): whatever happened while it was away is read
    /// from the venue before anything new is sent.
    pub fn feed_reconnected(&mut self, count: u32, at: DateTime<Utc>) -> Result<(), BrokerError> {
        if count > self.seen_reconnects {
            self.seen_reconnects = count;
            self.audit_event(at, "feed_reconnected", None, None, serde_json::json!({ "reconnects": count }))?;
            self.reconcile_now(at)?;
        }
        Ok(())
    }

    /// Reconciles if the last one is older than `sync_interval_ms`; then applies the loss caps.
    pub fn tick(&mut self, at: DateTime<Utc>) -> Result<(), BrokerError> {
        let interval = i64::try_from(self.config.sync_interval_ms).unwrap_or(i64::MAX);
        if at.timestamp_millis().saturating_sub(self.last_sync_ms) >= interval {
            self.reconcile_now(at)?;
        }
        self.check_loss_caps(at)
    }

    /// Daily and weekly realised losses at the core caps engage the kill switch.
    fn check_loss_caps(&mut self, at: DateTime<Utc>) -> Result<(), BrokerError> {
        let day = crate::ledger::et_date(at);
        let (today, week) = (-self.ledger.realised_on(day), -self.ledger.realised_week_of(day));
        let p = &self.setup_core.pretrade;
        let hit = if today >= p.daily_loss_cap {
            Some(format!("daily loss {today} reached the cap {}", p.daily_loss_cap))
        } else if week >= p.weekly_loss_cap {
            Some(format!("weekly loss {week} reached the cap {}", p.weekly_loss_cap))
        } else {
            None
        };
        if let Some(reason) = hit
            && self.kill.engaged().is_none()
        {
            self.kill.engage(&reason, Changer::LossCap, at).map_err(|e| io_error(&e.path, e.message))?;
            self.engage_now(&reason, at)?;
        }
        Ok(())
    }

    /// Kill-switch actions from this thread (the watcher does the same on its own): cancel
    /// everything, trigger the order group, HALTED, audit, and journal it.
    fn engage_now(&mut self, reason: &str, at: DateTime<Utc>) -> Result<(), BrokerError> {
        self.purge_creates("kill_switch", reason, at)?;
        let cancel = self.runtime.block_on(crate::brokers::kill_watch::cancel_all_until_sent(&self.rest));
        self.cancel_mark.record(at.timestamp_millis()).map_err(|e| io_error(&e.path, e.message))?;
        if let Some(group) = &self.group {
            let _ = self.runtime.block_on(self.rest.trigger_order_group(group));
        }
        self.request_state(TradingState::Halted, Changer::KillSwitch, reason, at)?;
        self.audit_event(at, "kill_cancel_all", None, None, serde_json::json!({
            "reason": reason, "by": "session", "cancel_all": cancel.as_ref().map_or_else(|e| e.to_string(), |()| "sent".into()),
        }))?;
        self.record(OrderRecord::KillSwitch { at, reason: reason.to_string() })?;
        self.reconcile_now(at)?;
        Ok(())
    }

    /// The watchdogs: when a feed has been down, or the heartbeat stale, past its bound while
    /// orders rest, every resting order is cancelled. Returns how many were.
    pub fn watchdog(
        &mut self,
        feed_down_secs: Option<f64>,
        heartbeat_age_secs: Option<f64>,
        at: DateTime<Utc>,
    ) -> Result<usize, BrokerError> {
        if self.open_orders() == 0 {
            return Ok(0);
        }
        let feed = feed_down_secs.filter(|s| *s >= self.config.feed_down_cancel_secs as f64);
        let beat = heartbeat_age_secs.filter(|s| *s >= self.config.heartbeat_stale_cancel_secs as f64);
        let reason = match (feed, beat) {
            (Some(s), _) => format!("watchdog: feed down {s:.1}s"),
            (None, Some(s)) => format!("watchdog: heartbeat {s:.1}s old"),
            (None, None) => return Ok(0),
        };
        self.audit_event(at, "watchdog_cancel", None, None, serde_json::json!({ "reason": reason }))?;
        self.cancel_where(|_| true, &reason, at)
    }

    fn mid_of(ctx: &OrderContext<'_>) -> Option<Price> {
        let (bid, ask) = match ctx.proposal.side {
            Side::Yes => (ctx.book.best_yes_bid(), ctx.book.best_yes_ask()),
            Side::No => (ctx.book.best_no_bid(), ctx.book.best_no_ask()),
        };
        Some(bid?.price.midpoint(ask?.price))
    }

    /// Whether buying `side` of `ticker` only closes part of an opposite position.
    fn reduces(&self, ticker: &str, side: Side, count: Count) -> bool {
        self.ledger.positions.get(ticker).is_some_and(|p| p.side != side && count <= p.count)
    }

    fn holdings(&self) -> BTreeMap<String, Vec<Holding>> {
        let mut out: BTreeMap<String, Vec<Holding>> = BTreeMap::new();
        let event_of: BTreeMap<&str, &str> =
            self.journal.table().orders.values().map(|o| (o.intent.ticker.as_str(), o.intent.event.as_str())).collect();
        for p in self.ledger.positions.values() {
            if let Some(event) = event_of.get(p.ticker.as_str()) {
                let price = p.cost.per_contract_floor(p.count);
                let price = Price::from_micros(price.units() / 100).unwrap_or(Price::ONE);
                out.entry(event.to_string()).or_default().push(Holding {
                    ticker: p.ticker.clone(),
                    side: p.side,
                    price,
                    count: p.count,
                });
            }
        }
        for o in self.journal.table().open() {
            out.entry(o.intent.event.clone()).or_default().push(Holding {
                ticker: o.intent.ticker.clone(),
                side: o.intent.side,
                price: o.price,
                count: o.remaining,
            });
        }
        out
    }

    fn refuse(&self, intent: &OrderIntent, refusal: &Refusal, at: DateTime<Utc>) -> BrokerError {
        let detail = serde_json::to_value(refusal).unwrap_or_default();
        if let Err(e) =
            self.audit_event(at, "pretrade_refused", Some(&intent.client_order_id), Some(&intent.ticker), detail)
        {
            return e;
        }
        BrokerError::Refused {
            client_order_id: intent.client_order_id.clone(),
            code: refusal.code(),
            detail: serde_json::to_string(refusal).unwrap_or_default(),
        }
    }

    /// The pre-trade chain for one order.
    fn pretrade(&self, intent: &OrderIntent, ctx: &OrderContext<'_>, at: DateTime<Utc>) -> Result<bool, Refusal> {
        let p = ctx.proposal;
        let now_ms = at.timestamp_millis();
        let exposure = self.ledger.exposure(at, |o| crate::brokers::resting_fee_bound(o, self.rounding));
        let blocked: Vec<String> = self.journal.table().blocked_markets().into_iter().map(str::to_string).collect();
        let quiet_until_ms = self.last_cancel_all_ms().map(|t| t + (self.config.cancel_all_quiet_secs as i64) * 1000);
        let reduces = self.reduces(&intent.ticker, intent.side, intent.count);
        let holdings = self.holdings();
        let core = &self.setup_core;
        let book = pretrade::Book {
            armed: self.armed,
            kill_switch: self.kill.is_engaged(),
            reconciled: self.reconciled,
            state: self.trading_state(at),
            quiet_until_ms,
            blocked: &blocked,
            series_allowed: core.allowed_series.contains(&p.series),
            strike_limit: core.max_loss_per_strike,
            series_limit: core.pretrade.max_loss_per_series,
            loss_caps: (core.pretrade.daily_loss_cap, core.pretrade.weekly_loss_cap),
            strike_loss: exposure.by_ticker.get(&p.ticker).copied().unwrap_or(Money::ZERO),
            series_loss: exposure.by_series.get(&p.series).copied().unwrap_or(Money::ZERO),
            daily_loss: exposure.realised_today + exposure.committed,
            weekly_loss: exposure.realised_week + exposure.committed,
            session_notional: self.session_notional(),
            session_ceiling: self.session_ceiling,
            open_orders: self.journal.table().open().count(),
            recent: &self.recent,
            now_ms,
            outcomes: &self.outcomes,
            holdings: &holdings,
        };
        let candidate = Candidate {
            series: &p.series,
            event: &p.event,
            ticker: &p.ticker,
            side: intent.side,
            price: intent.price,
            count: intent.count,
            worst_loss: p.max_loss,
            model_p: p.model_p,
            mid: Self::mid_of(ctx),
            reduces,
        };
        pretrade::check(&candidate, &book, &core.pretrade).map(|()| reduces)
    }

    /// When the last cancel-all went out (by the watcher or this session).
    fn last_cancel_all_ms(&self) -> Option<i64> {
        self.cancel_mark.last_ms()
    }

    /// Queues a request; one the full queue hands back is audited as `queue_drop`. Returns
    /// whether it was queued.
    fn enqueue(&mut self, request: QueuedRequest, at: DateTime<Utc>) -> Result<bool, BrokerError> {
        match self.queue.push(request) {
            Ok(()) => Ok(true),
            Err(dropped) => {
                let detail = serde_json::json!(&dropped);
                self.audit_event(at, "queue_drop", Some(dropped.client_order_id()), Some(dropped.ticker()), detail)?;
                Ok(false)
            }
        }
    }

    /// Sends queued requests in order, waiting for the token bucket; drops are audited.
    fn drain(&mut self, at: DateTime<Utc>) -> Result<(), BrokerError> {
        for dropped in self.queue.take_evicted() {
            self.audit_event(
                at,
                "queue_drop",
                Some(dropped.client_order_id()),
                Some(dropped.ticker()),
                serde_json::json!(&dropped),
            )?;
        }
        loop {
            let now_ms = chrono::Utc::now().timestamp_millis().max(at.timestamp_millis());
            match self.queue.next(now_ms) {
                Ok(request) => self.send(request, at)?,
                Err(None) => return Ok(()),
                Err(Some(wait_ms)) => {
                    let wait = Duration::from_millis(wait_ms.min(5_000));
                    self.runtime.block_on(async move { tokio::time::sleep(wait).await });
                }
            }
        }
    }

    fn send(&mut self, request: QueuedRequest, at: DateTime<Utc>) -> Result<(), BrokerError> {
        match request {
            QueuedRequest::Create { client_order_id, .. } => self.send_create(&client_order_id, at),
            QueuedRequest::Cancel { client_order_id, .. } => self.send_cancel(&client_order_id, at),
            QueuedRequest::Decrease { client_order_id, remaining, .. } => {
                self.send_decrease(&client_order_id, remaining, at)
            }
        }
    }

    /// Why a create may not leave now, checked immediately before it is sent: the kill switch
    /// (anything at its path) or a trading state that no longer allows it.
    fn create_blocked(
        &self,
        order: &crate::safety::orders::LiveOrder,
        at: DateTime<Utc>,
    ) -> Option<(&'static str, String)> {
        if let Some(record) = self.kill.engaged() {
            return Some(("kill_switch", format!("kill switch engaged: {}", record.reason)));
        }
        let state = self.trading_state(at);
        let reduces = self.reduces(&order.intent.ticker, order.intent.side, order.intent.count);
        (!state.allows_order(reduces))
            .then(|| ("trading_state", format!("trading state {} does not allow it", state.as_str())))
    }

    /// Takes every create still queued out of the queue and records it as rejected (never
    /// sent): engaging the kill switch or halting empties the queue of new risk.
    fn purge_creates(&mut self, code: &str, why: &str, at: DateTime<Utc>) -> Result<usize, BrokerError> {
        let purged = self.queue.purge_creates();
        for request in &purged {
            self.record(OrderRecord::Rejected {
                at,
                client_order_id: request.client_order_id().to_string(),
                code: code.to_string(),
                message: why.to_string(),
            })?;
        }
        if !purged.is_empty() {
            let ids: Vec<&str> = purged.iter().map(QueuedRequest::client_order_id).collect();
            self.audit_event(at, "queue_purged", None, None, serde_json::json!({ "reason": why, "creates": ids }))?;
        }
        Ok(purged.len())
    }

    fn send_create(&mut self, cid: &str, at: DateTime<Utc>) -> Result<(), BrokerError> {
        let Some(order) = self.journal.table().orders.get(cid).cloned() else { return Ok(()) };
        if let Some((code, why)) = self.create_blocked(&order, at) {
            self.record(OrderRecord::Rejected {
                at,
                client_order_id: cid.into(),
                code: code.into(),
                message: why.clone(),
            })?;
            self.audit_event(
                at,
                "create_blocked",
                Some(cid),
                Some(&order.intent.ticker),
                serde_json::json!({ "reason": why }),
            )?;
            self.purge_creates(code, &why, at)?;
            return Ok(());
        }
        self.session_orders.insert(cid.to_string());
        let i = &order.intent;
        let (side, price) = match i.side {
            Side::Yes => (BookSide::Bid, i.price),
            Side::No => (BookSide::Ask, i.price.complement()),
        };
        let maker = i.role == Role::Maker;
        let mut create = CreateOrder::limit(&i.ticker, cid, side, price, i.count);
        create.time_in_force = if maker { TimeInForce::GoodTillCanceled } else { TimeInForce::ImmediateOrCancel };
        create.self_trade_prevention_type =
            if maker { SelfTradePrevention::Maker } else { SelfTradePrevention::TakerAtCross };
        create.post_only = maker.then_some(true);
        create.order_group_id.clone_from(&self.group);
        create.cancel_order_on_pause = Some(true);
        let response = self.runtime.block_on(self.rest.create_order(&create));
        let now = at.max(chrono::Utc::now());
        match response {
            Ok(r) if r.order_id.is_empty() => {
                self.record(OrderRecord::Unknown {
                    at: now,
                    client_order_id: cid.into(),
                    error: "create response without order_id".into(),
                })?;
                self.reconcile_now(now)?;
            }
            Ok(r) => {
                self.recent.push(Sent {
                    at_ms: at.timestamp_millis(),
                    ticker: i.ticker.clone(),
                    side: i.side,
                    price: i.price,
                });
                self.record(OrderRecord::Acked {
                    at: now,
                    client_order_id: cid.into(),
                    order_id: r.order_id,
                    filled: r.fill_count,
                    remaining: r.remaining_count,
                })?;
                if !r.fill_count.is_zero() {
                    // Immediate fills: their prices and fees come from the fills list.
                    self.reconcile_now(now)?;
                }
            }
            Err(e) if definitely_not_placed(&e) => {
                let (code, message) = match e.api() {
                    Some(api) => (api.body.code.clone(), api.body.message.clone()),
                    None => (rest_error_code(&e).to_string(), e.to_string()),
                };
                self.record(OrderRecord::Rejected { at: now, client_order_id: cid.into(), code, message })?;
            }
            Err(e) => {
                self.record(OrderRecord::Unknown { at: now, client_order_id: cid.into(), error: e.to_string() })?;
                self.reconcile_now(now)?;
            }
        }
        Ok(())
    }

    /// A cancel or decrease that failed: audited, then the venue is read again.
    fn request_failed(
        &mut self,
        event: &str,
        cid: &str,
        ticker: &str,
        error: &RestError,
        now: DateTime<Utc>,
    ) -> Result<(), BrokerError> {
        self.audit_event(now, event, Some(cid), Some(ticker), serde_json::json!({ "error": error.to_string() }))?;
        self.reconcile_now(now).map(|_| ())
    }

    fn send_cancel(&mut self, cid: &str, at: DateTime<Utc>) -> Result<(), BrokerError> {
        let Some(order) = self.journal.table().orders.get(cid).cloned() else { return Ok(()) };
        let Some(order_id) = order.order_id.clone() else { return Ok(()) };
        let result = self.runtime.block_on(self.rest.cancel_order(&order_id, &order.intent.ticker));
        let now = at.max(chrono::Utc::now());
        match result {
            Ok(_) => {
                self.record(OrderRecord::Closed { at: now, client_order_id: cid.into(), reason: "cancelled".into() })
            }
            Err(e) if e.api().is_some_and(|a| a.status == 404) => self.record(OrderRecord::Closed {
                at: now,
                client_order_id: cid.into(),
                reason: "not resting at the venue".into(),
            }),
            // Not known to be gone: the next reconciliation settles it.
            Err(e) => self.request_failed("cancel_failed", cid, &order.intent.ticker, &e, now),
        }
    }

    fn send_decrease(&mut self, cid: &str, remaining: Count, at: DateTime<Utc>) -> Result<(), BrokerError> {
        let Some(order) = self.journal.table().orders.get(cid).cloned() else { return Ok(()) };
        let Some(order_id) = order.order_id.clone() else { return Ok(()) };
        let request = DecreaseOrder { reduce_to: Some(remaining), reduce_by: None };
        let result = self.runtime.block_on(self.rest.decrease(&order_id, &request));
        let now = at.max(chrono::Utc::now());
        match result {
            Ok(_) => self.record(OrderRecord::Amended {
                at: now,
                client_order_id: cid.into(),
                price: order.price,
                remaining,
            }),
            Err(e) => self.request_failed("decrease_failed", cid, &order.intent.ticker, &e, now),
        }
    }

    /// Cancels our resting orders that `pick` selects, through the queue. Never blocked.
    fn cancel_where(
        &mut self,
        pick: impl Fn(&crate::safety::orders::LiveOrder) -> bool,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<usize, BrokerError> {
        let targets: Vec<(String, String)> = self
            .journal
            .table()
            .orders
            .values()
            .filter(|o| o.status == OrderStatus::Resting && !o.cancel_requested && pick(o))
            .map(|o| (o.intent.client_order_id.clone(), o.intent.ticker.clone()))
            .collect();
        for (cid, ticker) in &targets {
            if self.queue.len() >= self.config.queue_capacity {
                // Send what waits first: a cancel is never dropped for want of room.
                self.drain(at)?;
            }
            self.record(OrderRecord::CancelRequested { at, client_order_id: cid.clone(), reason: reason.to_string() })?;
            self.enqueue(QueuedRequest::Cancel { client_order_id: cid.clone(), ticker: ticker.clone() }, at)?;
        }
        self.drain(at)?;
        Ok(targets.len())
    }
}

/// An error after which the order is known not to exist at the venue.
fn definitely_not_placed(e: &RestError) -> bool {
    match e {
        RestError::Api { error, .. } => {
            (400..500).contains(&error.status) && error.status != 408 && error.status != 429
        }
        RestError::Conflict { .. }
        | RestError::ClockSkew { .. }
        | RestError::NoCredentials { .. }
        | RestError::BaseUrl(_) => true,
        _ => false,
    }
}

fn rest_error_code(e: &RestError) -> &'static str {
    match e {
        RestError::Conflict { .. } => "client_order_id_conflict",
        RestError::ClockSkew { .. } => "clock_skew",
        RestError::NoCredentials { .. } => "no_credentials",
        _ => "error",
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
