//! Session playbooks: `scripts/<name>.rhai` decides the order and conditions of a session;
//! the host steps registered here do the work (scan, gate, submit, cancel all, report, log,
//! wait until an ET time). Each step is timed and recorded; the session record is written
//! atomically under `reports/sessions/` whether the playbook completes or fails.
//!
//! `--dry-run` rehearses: `wait_until` advances a virtual clock instead of sleeping,
//! `submit` and `cancel_all` go to a broker that records nothing, and `report` writes
//! nothing. Only the session record (marked `dry_run`) is written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveTime, Timelike, Utc};
use chrono_tz::America::New_York;
use rhai::{Array, Dynamic, EvalAltResult, Map};
use serde::Serialize;
use serde_json::json;
use thiserror::Error;

use crate::brokers::controls::KillSwitch;
use crate::brokers::live::LiveSetup;
use crate::brokers::{Broker, DryBroker, MarketUpdate};
use crate::clock::Clock;
use crate::session::heartbeat::{Heartbeat, HeartbeatFile};

mod steps;
use crate::feed::market::MarketFeed;
use crate::kalshi::open_enum::OutcomeSide;
use crate::model::Side;
use crate::risk::ceilings::Verdict;
use crate::risk::gate::{Gate, GateInputs};
use crate::risk::limits::{Decider, Ledger};
use crate::rules::api::{self, BinView, runtime_error};
use crate::rules::host::{Host, Limits, ScriptError};
use crate::rules::policy::sha256_hex;
use crate::rules::reload::Active;
use crate::schedule::clock_et::et_instant;
use crate::session::{
    BrokerKind, Inputs, PlannedSeries, ScanParamsInput, Sent, SessionBroker, SessionError, Written, plan_gated, submit,
    write_series,
};
use steps::register_steps;

/// What to run and where.
#[derive(Debug, Clone)]
pub struct PlaybookRequest {
    /// Playbook name (`scripts/<name>.rhai`).
    pub name: String,
    /// Playbook directory.
    pub scripts: PathBuf,
    /// Fixture root.
    pub fixtures: PathBuf,
    /// Config directory.
    pub configs: PathBuf,
    /// Root for `reports/` and `data/`.
    pub out_root: PathBuf,
    /// Scanner knobs.
    pub params: ScanParamsInput,
    /// The data directory's kill switch.
    pub kill_switch: KillSwitch,
    /// Rehearse: no sleeping, nothing recorded but the session record.
    pub dry_run: bool,
    /// The broker (ignored under `dry_run`, which records nothing).
    pub broker: BrokerKind,
    /// What the live broker needs (`broker` = live only; arming has run).
    pub live: Option<LiveSetup>,
    /// How the run is bounded and stopped (scheduled runs set these).
    pub controls: RunControls,
    /// Stamped on the session record and every report (`FORCE-RUN (DRY)`).
    pub banner: Option<String>,
}

/// Bounds on a run: its clock, its longest duration and an outside stop.
#[derive(Debug, Clone, Default)]
pub struct RunControls {
    /// Waits advance the session clock instead of sleeping (implied by `dry_run`): a daemon
    /// rehearsing a day, or tests.
    pub virtual_time: bool,
    /// The run is stopped once its session clock passes start + this; resting orders are
    /// cancelled and the record says so.
    pub max_runtime: Option<Duration>,
    /// Set from outside (SIGTERM, SIGINT): the current step finishes, waits are cut, resting
    /// orders are cancelled and the record is written.
    pub stop: Option<Arc<std::sync::atomic::AtomicBool>>,
}

/// A playbook on disk.
#[derive(Debug, Clone, Serialize)]
pub struct PlaybookInfo {
    /// Name (file stem).
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// The first comment line.
    pub description: String,
    /// SHA-256 of the file.
    pub sha256: String,
}

/// Why a playbook could not run (a playbook that fails part-way still gets a record).
#[derive(Debug, Error)]
pub enum PlaybookError {
    /// No such playbook, or the directory cannot be read.
    #[error("{path}: {message}")]
    NotFound {
        /// The path looked at.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The playbook does not compile.
    #[error(transparent)]
    Script(#[from] ScriptError),
    /// Configs or fixtures.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The session record could not be written.
    #[error("{path}: cannot write session record: {source}")]
    Record {
        /// The record file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl PlaybookError {
    /// The arming refusal inside, when the live broker refused to start (no first
    /// reconciliation, no kill-switch watcher), with what happened.
    pub fn live_refusal(&self) -> Option<(crate::safety::arming::ArmingRefusal, &str)> {
        match self {
            PlaybookError::Session(SessionError::Broker(crate::brokers::BrokerError::LiveRefused {
                refusal,
                detail,
            })) => Some((*refusal, detail)),
            _ => None,
        }
    }
}

/// One host step, as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// Step name.
    pub step: String,
    /// Arguments, as given.
    pub args: Vec<String>,
    /// Session time at the start (virtual under `--dry-run`).
    pub at: String,
    /// Wall time the step took, milliseconds.
    pub duration_ms: f64,
    /// Policy version and SHA-256 in force, for steps that decide.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// What the step returned or did.
    pub result: serde_json::Value,
}

/// The session record written under `reports/sessions/`.
#[derive(Debug, Clone, Serialize)]
pub struct SessionRecord {
    /// `FORCE-RUN (DRY)` for a run forced outside its window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    /// Playbook name.
    pub playbook: String,
    /// Its SHA-256.
    pub sha256: String,
    /// Rehearsal?
    pub dry_run: bool,
    /// Broker mode (`dry`, `paper` or `rehearsal`).
    pub broker: String,
    /// `offline` or the exchange's base URL.
    pub market_data: String,
    /// Session start.
    pub started: String,
    /// Session end (virtual under `--dry-run`).
    pub finished: String,
    /// `completed` or `failed`.
    pub outcome: String,
    /// The script error, when failed.
    pub error: Option<String>,
    /// Why the run was stopped before its end (`max_runtime …`, `stop requested`).
    pub stopped: Option<String>,
    /// Every step, in order.
    pub steps: Vec<StepRecord>,
    /// Last GO/NO-GO per series.
    pub gates: BTreeMap<String, Gate>,
    /// Orders sent to the broker.
    pub orders: usize,
    /// Where this record is.
    pub record: PathBuf,
}

/// The playbooks in `dir`, by name.
pub fn list(dir: &Path) -> Result<Vec<PlaybookInfo>, PlaybookError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| PlaybookError::NotFound { path: dir.to_path_buf(), message: format!("cannot list: {e}") })?;
    let mut out = Vec::new();
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.extension().is_none_or(|e| e != "rhai") {
            continue;
        }
        let source = std::fs::read_to_string(&path)
            .map_err(|e| PlaybookError::NotFound { path: path.clone(), message: format!("cannot read: {e}") })?;
        let description =
            source.lines().find_map(|l| l.trim().strip_prefix("//")).map(|d| d.trim().to_string()).unwrap_or_default();
        let name = path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        out.push(PlaybookInfo { name, sha256: sha256_hex(source.as_bytes()), path, description });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The session's mutable state, shared with the registered steps.
struct Session {
    req: PlaybookRequest,
    inputs: Inputs,
    policies: Arc<arc_swap::ArcSwap<Active>>,
    clock: Arc<dyn Clock + Send + Sync>,
    offset: chrono::Duration,
    broker: SessionBroker,
    feed: Option<MarketFeed>,
    feed_gate: GateInputs,
    ledger: Ledger,
    plans: BTreeMap<String, PlannedSeries>,
    sent: BTreeMap<String, Sent>,
    steps: Vec<StepRecord>,
    gates: BTreeMap<String, Gate>,
    orders: usize,
    stamp: String,
    /// When the run began (session clock), for `max_runtime`.
    started_at: DateTime<Utc>,
    /// The calendars under `configs/calendars` (none when the directory is absent).
    calendars: BTreeMap<String, crate::schedule::Calendar>,
    /// Set once the run was cut short, with why.
    stopped: Option<String>,
    /// The latest mid of every market scanned, for the equity recorded at the end.
    marks: BTreeMap<String, crate::model::Price>,
}

type Shared = Arc<Mutex<Session>>;
type StepResult<T> = Result<T, Box<EvalAltResult>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Session> {
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Session {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now() + self.offset
    }

    fn record(
        &mut self,
        step: &str,
        args: &[&str],
        started: Instant,
        at: DateTime<Utc>,
        policy: Option<String>,
        result: serde_json::Value,
    ) {
        self.steps.push(StepRecord {
            step: step.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
            at: at.to_rfc3339(),
            duration_ms: started.elapsed().as_micros() as f64 / 1e3,
            policy,
            result,
        });
    }

    fn scan(&mut self, series: &str, event: Option<&str>) -> StepResult<Map> {
        self.check_stop()?;
        let (started, at) = (Instant::now(), self.now());
        self.pump(at)?;
        let all = match &self.feed {
            Some(feed) => {
                let all = feed
                    .snapshots(&self.inputs.config.fees)
                    .map_err(|e| runtime_error(format!("scan {series}: {e}")))?;
                self.feed_gate = feed.gate_inputs();
                all
            }
            None => self.inputs.series.clone(),
        };
        let marks = crate::session::marks(&all);
        let mut snapshot = all.into_iter().find(|s| s.ticker == series).ok_or_else(|| {
            let source = if self.feed.is_some() { "open markets followed" } else { "fixtures" };
            runtime_error(format!("scan: no {source} for series {series}"))
        })?;
        if let Some(event) = event {
            snapshot.events.retain(|e| e.event == event);
            if snapshot.events.is_empty() {
                return Err(runtime_error(format!("scan: no event {event} in series {series}")));
            }
        }
        if let SessionBroker::Paper(paper) = &mut self.broker {
            for e in &snapshot.events {
                paper.observe(e);
            }
        }
        let active = self.policies.load_full();
        let policy = format!("v{} sha256={}", active.version, active.set.digest());
        let start = match &self.broker {
            SessionBroker::Dry(_) => self.ledger.clone(),
            SessionBroker::Paper(_) | SessionBroker::Live(_) => self.broker.exposure(at, self.inputs.params.rounding),
        };
        let mut decider = Decider::new(active.set.table(), active.set.hook(), start);
        self.beat(at);
        // A rehearsal writes no heartbeat; its virtual session is alive by construction.
        let heartbeat_age_secs =
            if self.req.dry_run { Some(0.0) } else { HeartbeatFile::under(&self.req.out_root).age_secs(at) };
        let mut gate =
            GateInputs { kill_switch: self.req.kill_switch.is_engaged(), heartbeat_age_secs, ..self.feed_gate.clone() };
        let alert = self.inputs.config.paper.drawdown_alert;
        if let Some(status) = crate::session::drawdown_monitor(&self.req.out_root, &self.broker, &marks, alert) {
            gate.monitors.insert("ledger_drawdown".into(), status);
        }
        self.marks.extend(marks);
        let plan = plan_gated(&snapshot, &self.inputs, &active.set, &mut decider, &gate, at)
            .map_err(|e| runtime_error(format!("scan {series}: {e}")))?;
        let result = scan_map(&plan);
        let decisions = plan.scans.iter().flat_map(|s| &s.decisions);
        let summary = json!({
            "gate": &plan.gate,
            "events": plan.scans.len(),
            "decisions": decisions.map(|d| json!({
                "ticker": d.proposal.ticker, "side": d.proposal.side, "asked": d.asked, "allowed": d.allowed,
                "verdict": d.verdict, "reasons": d.reasons.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        self.gates.insert(series.to_string(), plan.gate.clone());
        self.plans.insert(series.to_string(), plan);
        let args: Vec<&str> = std::iter::once(series).chain(event).collect();
        self.record("scan", &args, started, at, Some(policy), summary);
        Ok(result)
    }

    fn plan(&mut self, step: &str, series: &str) -> StepResult<&PlannedSeries> {
        if !self.plans.contains_key(series) {
            self.scan(series, None)?;
        }
        self.plans.get(series).ok_or_else(|| runtime_error(format!("{step}: series {series} was not scanned")))
    }

    fn gate(&mut self, series: &str) -> StepResult<Map> {
        let (started, at) = (Instant::now(), self.now());
        let gate = self.plan("gate", series)?.gate.clone();
        self.record("gate", &[series], started, at, None, json!(&gate));
        Ok(gate_map(&gate))
    }

    fn submit(&mut self, series: &str) -> StepResult<i64> {
        self.check_stop()?;
        let (started, at) = (Instant::now(), self.now());
        self.pump(at)?;
        let plan = self.plan("submit", series)?.clone();
        let sent = submit(&plan, &mut self.broker, at).map_err(|e| runtime_error(format!("submit {series}: {e}")))?;
        if plan.gate.go && matches!(self.broker, SessionBroker::Dry(_)) {
            // A paper ledger counts its own orders; the dry broker's are counted here.
            for d in plan.scans.iter().flat_map(|s| &s.decisions).filter(|d| d.verdict != Verdict::Denied) {
                self.ledger.commit(&d.proposal, d.proposal.max_loss);
            }
        }
        self.orders += sent.orders;
        let total = self.sent.entry(series.to_string()).or_default();
        total.orders += sent.orders;
        total.requested = total.requested + sent.requested;
        total.filled = total.filled + sent.filled;
        total.refused.extend(sent.refused.iter().cloned());
        let result = json!({ "gate": plan.gate.badge(), "orders": sent.orders, "filled": sent.filled,
                             "refused": sent.refused, "broker": self.broker.mode() });
        self.record("submit", &[series], started, at, None, result);
        self.beat(at);
        Ok(i64::try_from(sent.orders).unwrap_or(i64::MAX))
    }

    /// Feeds the trades the live feed received since the last step to the broker (paper
    /// maker fills happen here).
    fn pump(&mut self, at: DateTime<Utc>) -> StepResult<()> {
        self.live_tick(at)?;
        let Some(feed) = &self.feed else { return Ok(()) };
        for t in feed.drain_trades() {
            let (Some(yes_price), Some(count)) = (t.yes_price_dollars, t.count_fp) else { continue };
            let taker_side = match t.taker_outcome_side {
                Some(OutcomeSide::Yes) => Side::Yes,
                Some(OutcomeSide::No) => Side::No,
                _ => continue,
            };
            let update = MarketUpdate::Trade { ticker: &t.market_ticker, yes_price, count, taker_side };
            self.broker.broker().on_market(update, at).map_err(|e| runtime_error(format!("paper fills: {e}")))?;
        }
        // Then the books as they stand: a level that shrank by more than its trades lost
        // cancels, part of them ahead of our resting orders.
        if let SessionBroker::Paper(paper) = &mut self.broker
            && paper.open_orders() > 0
        {
            let live =
                feed.snapshots(&self.inputs.config.fees).map_err(|e| runtime_error(format!("live books: {e}")))?;
            for event in live.iter().flat_map(|s| &s.events) {
                paper.observe(event);
            }
        }
        Ok(())
    }

    fn trading_state(&self) -> StepResult<String> {
        let store = crate::brokers::controls::StateStore::under(&self.req.out_root);
        let record = store.load(self.now()).map_err(|e| runtime_error(format!("trading_state: {e}")))?;
        Ok(record.state.as_str().to_string())
    }

    fn tighten_trading_state(&mut self, state: &str, reason: &str) -> StepResult<String> {
        let (started, at) = (Instant::now(), self.now());
        let wanted: crate::safety::state::TradingState =
            state.parse().map_err(|e: String| runtime_error(format!("tighten_trading_state: {e}")))?;
        let store = crate::brokers::controls::StateStore::under(&self.req.out_root);
        let after = if self.req.dry_run {
            let now = store.load(at).map_err(|e| runtime_error(format!("tighten_trading_state: {e}")))?;
            now.state.toward_halted(wanted)
        } else {
            store
                .request(wanted, crate::safety::state::Changer::Script, reason, at)
                .map_err(|e| runtime_error(format!("tighten_trading_state: {e}")))?
                .state
        };
        self.record("tighten_trading_state", &[state, reason], started, at, None, json!({ "state": after.as_str() }));
        Ok(after.as_str().to_string())
    }

    /// The live broker's housekeeping: reconcile when due, loss caps, and the watchdogs (feed
    /// silent or heartbeat stale while orders rest → cancel them).
    fn live_tick(&mut self, at: DateTime<Utc>) -> StepResult<()> {
        let feed_silent = self.feed.as_ref().map(|f| f.silent_secs(at.timestamp_millis()));
        let reconnects = self.feed.as_ref().map_or(0, MarketFeed::reconnects);
        let heartbeat = HeartbeatFile::under(&self.req.out_root).age_secs(at);
        let Some(live) = self.broker.live() else { return Ok(()) };
        live.feed_reconnected(reconnects, at).map_err(|e| runtime_error(format!("live: {e}")))?;
        live.tick(at).map_err(|e| runtime_error(format!("live: {e}")))?;
        live.watchdog(feed_silent, heartbeat, at).map_err(|e| runtime_error(format!("live watchdog: {e}")))?;
        Ok(())
    }

    /// Writes the heartbeat (best effort: a failed write shows as a stale heartbeat).
    fn beat(&mut self, at: DateTime<Utc>) {
        if self.req.dry_run {
            return;
        }
        let digest = self.policies.load().set.digest().to_string();
        let source = self.feed.as_ref().map_or("offline", |f| f.source()).to_string();
        let beat = Heartbeat::new(at, &source, self.broker.mode(), self.broker.open_orders(), &digest);
        if let Err(e) = HeartbeatFile::under(&self.req.out_root).write(&beat) {
            tracing::warn!(target: "playbook", "cannot write heartbeat: {e}");
        }
    }

    fn cancel_all(&mut self, reason: &str) -> StepResult<i64> {
        let (started, at) = (Instant::now(), self.now());
        let cancelled =
            self.broker.broker().cancel_all(reason, at).map_err(|e| runtime_error(format!("cancel_all: {e}")))?;
        self.record("cancel_all", &[reason], started, at, None, json!({ "cancelled": cancelled }));
        Ok(i64::try_from(cancelled).unwrap_or(i64::MAX))
    }

    fn cancel_series(&mut self, series: &str, reason: &str) -> StepResult<i64> {
        let (started, at) = (Instant::now(), self.now());
        let cancelled = self
            .broker
            .broker()
            .cancel_series(series, reason, at)
            .map_err(|e| runtime_error(format!("cancel {series}: {e}")))?;
        self.record("cancel", &[series, reason], started, at, None, json!({ "cancelled": cancelled }));
        self.beat(at);
        Ok(i64::try_from(cancelled).unwrap_or(i64::MAX))
    }

    fn report(&mut self, series: &str) -> StepResult<String> {
        let (started, at) = (Instant::now(), self.now());
        self.pump(at)?;
        let plan = self.plan("report", series)?.clone();
        let active = self.policies.load_full();
        let path = if self.req.dry_run {
            "(dry run: no report written)".to_string()
        } else {
            let sent = self.sent.get(series).cloned().unwrap_or_default();
            let written = Written {
                broker: &self.broker,
                sent: &sent,
                now: at,
                stamp: &self.stamp,
                policy: active.set.digest(),
                banner: self.req.banner.as_deref(),
            };
            let outcome = write_series(&self.req.out_root, &plan, &self.inputs, &written)
                .map_err(|e| runtime_error(format!("report {series}: {e}")))?;
            outcome.report.display().to_string()
        };
        self.record("report", &[series], started, at, None, json!({ "report": path }));
        Ok(path)
    }

    fn log(&mut self, message: &str) {
        let at = self.now();
        tracing::info!(target: "playbook", "{message}");
        println!("[{}] {message}", at.with_timezone(&New_York).format("%H:%M:%S %Z"));
        self.record("log", &[message], Instant::now(), at, None, serde_json::Value::Null);
    }

    /// True when the session can scan `series` (fixtures offline, followed series online),
    /// or, given an event, that event of it.
    fn has_markets(&self, series: &str, event: Option<&str>) -> bool {
        let found = |all: &[crate::scan::SeriesSnapshot]| {
            all.iter()
                .filter(|s| s.ticker == series)
                .any(|s| event.is_none_or(|e| s.events.iter().any(|x| x.event == e)))
        };
        match &self.feed {
            Some(feed) => feed.snapshots(&self.inputs.config.fees).is_ok_and(|all| found(&all)),
            None => found(&self.inputs.series),
        }
    }

    /// True when today (New York) is a day of `calendar`; an unknown calendar is an error.
    fn is_day(&self, calendar: &str) -> StepResult<bool> {
        let c =
            self.calendars.get(calendar).ok_or_else(|| runtime_error(format!("is_day: no calendar `{calendar}`")))?;
        Ok(c.days.contains(&self.now().with_timezone(&New_York).date_naive()))
    }

    /// The days of `calendar` in the current Monday-to-Sunday week (New York), `YYYY-MM-DD`.
    fn days_this_week(&self, calendar: &str) -> StepResult<Array> {
        let c = self
            .calendars
            .get(calendar)
            .ok_or_else(|| runtime_error(format!("days_this_week: no calendar `{calendar}`")))?;
        let monday = crate::ledger::week_start(self.now().with_timezone(&New_York).date_naive());
        let sunday = monday + chrono::Days::new(6);
        Ok(c.days.range(monday..=sunday).map(|d| Dynamic::from(d.to_string())).collect())
    }

    /// The ticker of `series`' event for the next top of the hour (New York): `KXINXU` at
    /// 15:10 → `KXINXU-26NOV24H1600`.
    fn hourly_event(&self, series: &str) -> String {
        let local = self.now().with_timezone(&New_York);
        let next = local.date_naive().and_hms_opt(local.hour(), 0, 0).unwrap_or(local.naive_local())
            + chrono::Duration::hours(1);
        format!("{series}-{}H{}", next.format("%y%b%d").to_string().to_uppercase(), next.format("%H%M"))
    }

    fn info(&self) -> Map {
        let active = self.policies.load();
        let mut m = Map::new();
        m.insert("playbook".into(), self.req.name.clone().into());
        m.insert("dry_run".into(), self.req.dry_run.into());
        m.insert("broker".into(), self.broker.mode().into());
        m.insert("orders".into(), Dynamic::from(i64::try_from(self.orders).unwrap_or(i64::MAX)));
        m.insert("policy_version".into(), Dynamic::from(i64::try_from(active.version).unwrap_or(i64::MAX)));
        m.insert("policy_sha256".into(), active.set.digest().to_string().into());
        m
    }

    fn now_et(&self) -> String {
        self.now().with_timezone(&New_York).format("%H:%M").to_string()
    }

    /// Why the run must stop now, if it must: a stop request, or the session clock past
    /// start + `max_runtime`.
    fn must_stop(&self) -> Option<String> {
        if self.req.controls.stop.as_ref().is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed)) {
            return Some("stop requested".to_string());
        }
        let limit = self.req.controls.max_runtime?;
        let elapsed = (self.now() - self.started_at).to_std().unwrap_or(Duration::ZERO);
        (elapsed >= limit).then(|| format!("max_runtime {}s reached", limit.as_secs()))
    }

    /// Fails the step (and so the run) when the run must stop, remembering why.
    fn check_stop(&mut self) -> StepResult<()> {
        match self.must_stop() {
            Some(why) => {
                self.stopped.get_or_insert(why.clone());
                Err(runtime_error(format!("run stopped: {why}")))
            }
            None => Ok(()),
        }
    }

    /// Waits until `target` on the session clock: virtual runs jump (never past the run's
    /// end), real ones sleep in short slices so a stop or `max_runtime` cuts the wait.
    /// Returns whether it slept for real.
    fn sleep_until(shared: &Shared, target: DateTime<Utc>) -> StepResult<bool> {
        let (virtual_time, limit, started_at) = {
            let s = lock(shared);
            (s.req.dry_run || s.req.controls.virtual_time, s.req.controls.max_runtime, s.started_at)
        };
        if virtual_time {
            let mut s = lock(shared);
            let end = limit.and_then(|l| chrono::Duration::from_std(l).ok()).map(|l| started_at + l);
            let until = end.map_or(target, |e| target.min(e));
            if until > s.now() {
                let step = until - s.now();
                s.offset += step;
            }
            s.check_stop()?;
            return Ok(false);
        }
        // Real time is measured on the machine's monotonic clock, so a session started at a
        // fixed instant (`--now`) still waits for real and then stands at `target`.
        let wait = {
            let s = lock(shared);
            (target - s.now()).to_std().unwrap_or(Duration::ZERO)
        };
        let began = Instant::now();
        loop {
            lock(shared).check_stop()?;
            let elapsed = began.elapsed();
            if elapsed >= wait {
                break;
            }
            // The live broker keeps reconciling and watching while the script waits.
            {
                let mut s = lock(shared);
                let now = s.now();
                s.live_tick(now)?;
            }
            // The session lock is not held while sleeping.
            std::thread::sleep((wait - elapsed).min(Duration::from_millis(200)));
        }
        let mut s = lock(shared);
        if s.now() < target {
            let behind = target - s.now();
            s.offset += behind;
        }
        Ok(true)
    }

    /// Sleeps (or, in virtual time, advances the session clock) until `when`.
    fn wait_until(shared: &Shared, when: &str) -> StepResult<bool> {
        let (started, now) = {
            let s = lock(shared);
            (Instant::now(), s.now())
        };
        let target = wait_target(now, when).map_err(runtime_error)?;
        let waited = target > now;
        let slept = if waited { Session::sleep_until(shared, target)? } else { false };
        let result = json!({ "until": target.to_rfc3339(), "waited": waited, "slept": slept });
        lock(shared).record("wait_until", &[when], started, now, None, result);
        Ok(waited)
    }
}

impl Session {
    /// Waits `seconds` (in virtual time the session clock jumps instead); the feed keeps
    /// running meanwhile.
    fn pause(shared: &Shared, seconds: f64) -> StepResult<()> {
        if !seconds.is_finite() || !(0.0..=86_400.0).contains(&seconds) {
            return Err(runtime_error(format!("pause({seconds}): expected 0 to 86400 seconds")));
        }
        let (started, now) = {
            let s = lock(shared);
            (Instant::now(), s.now())
        };
        let wait = chrono::Duration::from_std(Duration::from_secs_f64(seconds)).unwrap_or_default();
        Session::sleep_until(shared, now + wait)?;
        let mut s = lock(shared);
        let end = s.now();
        // The tape printed meanwhile: resting paper orders fill now, stamped at the end of the wait.
        s.pump(end)?;
        s.beat(end);
        s.record("pause", &[&seconds.to_string()], started, now, None, json!({ "seconds": seconds }));
        Ok(())
    }
}

/// The instant `when` names: `HH:MM` (today in New York, as of `now`), `YYYY-MM-DD HH:MM`
/// (New York wall time) or RFC 3339. New York times follow the schedule's DST rules.
fn wait_target(now: DateTime<Utc>, when: &str) -> Result<DateTime<Utc>, String> {
    let bad = || {
        format!(
            "wait_until(\"{when}\"): expected a 24-hour time like \"15:55\", a New York date-time like \"2027-03-14 08:30\", or RFC 3339"
        )
    };
    let time_of_day = NaiveTime::parse_from_str(when, "%H:%M").or_else(|_| NaiveTime::parse_from_str(when, "%H:%M:%S"));
    if let Ok(time) = time_of_day {
        return Ok(et_instant(now.with_timezone(&New_York).date_naive().and_time(time)));
    }
    if let Ok(local) = chrono::NaiveDateTime::parse_from_str(when, "%Y-%m-%d %H:%M") {
        return Ok(et_instant(local));
    }
    DateTime::parse_from_rfc3339(when).map(|t| t.with_timezone(&Utc)).map_err(|_| bad())
}

fn gate_map(gate: &Gate) -> Map {
    let mut m = Map::new();
    m.insert("go".into(), gate.go.into());
    m.insert("reasons".into(), gate.reasons.iter().map(|r| Dynamic::from(r.clone())).collect::<Array>().into());
    m
}

fn scan_map(plan: &PlannedSeries) -> Map {
    let mut m = gate_map(&plan.gate);
    m.insert("series".into(), plan.series.clone().into());
    let unknown = || Dynamic::UNIT;
    let g = &plan.gate_inputs;
    m.insert("data_age_secs".into(), g.data_age_secs.map_or_else(unknown, Dynamic::from));
    m.insert("clock_skew_ms".into(), g.clock_skew_ms.map_or_else(unknown, Dynamic::from));
    let decisions = plan.scans.iter().flat_map(|s| &s.decisions);
    let approved = decisions.clone().filter(|d| d.verdict != Verdict::Denied).count();
    m.insert("approved".into(), Dynamic::from(i64::try_from(approved).unwrap_or(i64::MAX)));
    m.insert("denied".into(), Dynamic::from(i64::try_from(decisions.count() - approved).unwrap_or(i64::MAX)));
    let events: Array = plan
        .scans
        .iter()
        .map(|scan| {
            let mut e = Map::new();
            e.insert("event".into(), scan.event.clone().into());
            e.insert("title".into(), scan.title.clone().into());
            let bins: Array = scan.rows.iter().map(|r| Dynamic::from(BinView(Arc::new(r.clone())))).collect();
            e.insert("bins".into(), bins.into());
            let decisions: Array = scan
                .decisions
                .iter()
                .map(|d| {
                    let mut x = Map::new();
                    x.insert("ticker".into(), d.proposal.ticker.clone().into());
                    x.insert("label".into(), d.proposal.label.clone().into());
                    x.insert("side".into(), d.proposal.side.as_str().into());
                    x.insert("price".into(), Dynamic::from(d.proposal.price));
                    x.insert("asked".into(), Dynamic::from(d.asked));
                    x.insert("allowed".into(), Dynamic::from(d.allowed));
                    x.insert("verdict".into(), format!("{:?}", d.verdict).to_lowercase().into());
                    x.insert("ev".into(), Dynamic::from(d.proposal.ev_order));
                    let reasons: Array = d.reasons.iter().map(|r| Dynamic::from(r.to_string())).collect();
                    x.insert("reasons".into(), reasons.into());
                    Dynamic::from_map(x)
                })
                .collect();
            e.insert("decisions".into(), decisions.into());
            Dynamic::from_map(e)
        })
        .collect();
    m.insert("events".into(), events.into());
    m
}

/// Limits for playbooks: a session may wait for hours, so the deadline is a day; the
/// operation budget still stops runaway loops.
fn playbook_limits() -> Limits {
    Limits { max_operations: 1_000_000, deadline: Duration::from_secs(24 * 3600), ..Limits::default() }
}

/// The engine playbooks run in, with the policy API and the host steps bound to an idle
/// session over `inputs` (for `policy defs`).
pub fn definitions_host(
    lib: &Path,
    req: PlaybookRequest,
    inputs: Inputs,
    policies: Arc<arc_swap::ArcSwap<Active>>,
    clock: Arc<dyn Clock + Send + Sync>,
) -> Host {
    let mut host = Host::new(lib, playbook_limits());
    api::register(host.engine_mut());
    let broker = SessionBroker::Dry(DryBroker::rehearsal());
    let shared = new_session(req, inputs, policies, clock, broker, None);
    register_steps(&mut host, &shared);
    host
}

fn new_session(
    req: PlaybookRequest,
    inputs: Inputs,
    policies: Arc<arc_swap::ArcSwap<Active>>,
    clock: Arc<dyn Clock + Send + Sync>,
    broker: SessionBroker,
    feed: Option<MarketFeed>,
) -> Shared {
    let now = clock.now();
    let calendar_dir = req.configs.join("calendars");
    let calendars = if calendar_dir.is_dir() {
        crate::session::schedule_files::load_calendars(&calendar_dir).unwrap_or_else(|e| {
            tracing::warn!(target: "playbook", "calendars not loaded: {e}");
            BTreeMap::new()
        })
    } else {
        BTreeMap::new()
    };
    let feed_gate = match &feed {
        Some(f) => f.gate_inputs(),
        // Fixtures are a snapshot taken "now"; there is no exchange clock to drift from.
        None => GateInputs { clock_skew_ms: Some(0), ..GateInputs::default() },
    };
    Arc::new(Mutex::new(Session {
        req,
        inputs,
        policies,
        clock,
        offset: chrono::Duration::zero(),
        broker,
        feed,
        feed_gate,
        ledger: Ledger::default(),
        plans: BTreeMap::new(),
        sent: BTreeMap::new(),
        steps: Vec::new(),
        gates: BTreeMap::new(),
        orders: 0,
        stamp: now.format("%Y%m%dT%H%M%SZ").to_string(),
        started_at: now,
        stopped: None,
        marks: BTreeMap::new(),
        calendars,
    }))
}

/// Runs a playbook to the end (or its first error) and writes the session record. A script
/// error is recorded and returned inside the record (`outcome = failed`), not as `Err`.
/// With a live `feed` every `scan()` reads its books (kept subscribed across steps);
/// without one, the fixtures. Resting paper orders are cancelled or kept at the end as
/// `paper.toml` says.
pub fn run(
    req: PlaybookRequest,
    lib: &Path,
    policies: Arc<arc_swap::ArcSwap<Active>>,
    clock: Arc<dyn Clock + Send + Sync>,
    feed: Option<MarketFeed>,
) -> Result<SessionRecord, PlaybookError> {
    let path = req.scripts.join(format!("{}.rhai", req.name));
    let source = std::fs::read_to_string(&path).map_err(|e| PlaybookError::NotFound {
        path: path.clone(),
        message: format!("no such playbook ({e}); `playbook list` shows what exists"),
    })?;
    let inputs = match feed {
        Some(_) => Inputs::configs_only(&req.configs, req.params)?,
        None => Inputs::load(&req.configs, &req.fixtures, &[], req.params)?,
    }
    .with_strategies(&req.configs, &req.out_root, &req.fixtures, clock.now(), feed.is_some())?;
    let mut limits = playbook_limits();
    if let (false, Some(max)) = (req.dry_run || req.controls.virtual_time, req.controls.max_runtime) {
        // A script busy in a loop is cut at max_runtime too (waits check it themselves).
        limits.deadline = max;
    }
    let mut host = Host::new(lib, limits);
    api::register(host.engine_mut());
    let ast = host.compile(&path, &source)?;
    let started = clock.now();
    let broker = match (&req.live, req.dry_run) {
        (_, true) => SessionBroker::Dry(DryBroker::rehearsal()),
        (Some(setup), false) if req.broker == BrokerKind::Live => SessionBroker::open_live(setup.clone(), started)?,
        (_, false) => SessionBroker::open(req.broker, &req.out_root, &inputs.config, started)?,
    };
    let market_data = feed.as_ref().map_or("offline", |f| f.source()).to_string();
    let shared = new_session(req, inputs, policies, clock, broker, feed);
    register_steps(&mut host, &shared);
    let mut result = host.run(&path, &ast);
    let mut s = lock(&shared);
    let end = s.now();
    if let Some(why) = s.stopped.clone() {
        // A stopped run leaves nothing resting, whatever paper.toml says about session ends.
        if let Err(e) = s.broker.broker().cancel_all(&format!("run stopped: {why}"), end) {
            tracing::error!(target: "playbook", "cannot cancel after stop: {e}");
        }
    }
    let closing = s.pump(end).map_err(|e| e.to_string()).and_then(|()| {
        s.broker.broker().finish(end).map_err(|e| format!("session end: {e}"))?;
        s.broker.write_tables(&s.req.out_root).map_err(|e| format!("session end: {e}"))?;
        if s.req.dry_run {
            return Ok(());
        }
        crate::session::record_equity(&s.req.out_root, &s.broker, &s.marks).map_err(|e| format!("session end: {e}"))
    });
    if let (true, Err(message)) = (result.is_ok(), closing) {
        result = Err(ScriptError { file: path.clone(), line: None, column: None, message });
    }
    s.beat(end);
    let record_path = s.req.out_root.join("reports/sessions").join(format!("{}_{}.json", s.req.name, s.stamp));
    let record = SessionRecord {
        banner: s.req.banner.clone(),
        playbook: s.req.name.clone(),
        sha256: sha256_hex(source.as_bytes()),
        dry_run: s.req.dry_run,
        broker: s.broker.mode().to_string(),
        market_data,
        started: started.to_rfc3339(),
        finished: end.to_rfc3339(),
        outcome: if result.is_ok() { "completed" } else { "failed" }.to_string(),
        error: result.err().map(|e| e.to_string()),
        stopped: s.stopped.clone(),
        steps: s.steps.clone(),
        gates: s.gates.clone(),
        orders: s.orders,
        record: record_path.clone(),
    };
    if let Some(feed) = s.feed.take() {
        feed.stop();
    }
    let json = serde_json::to_vec_pretty(&record).expect("session record serialises");
    crate::storage::write_atomic(&record_path, &json)
        .map_err(|source| PlaybookError::Record { path: record_path, source })?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn et_times_follow_new_york_offsets() {
        let now: DateTime<Utc> = "2026-11-24T15:00:00Z".parse().unwrap(); // 10:00 EST
        assert_eq!(wait_target(now, "15:55").unwrap().to_rfc3339(), "2026-11-24T20:55:00+00:00");
        let summer: DateTime<Utc> = "2026-07-01T15:00:00Z".parse().unwrap(); // 11:00 EDT
        assert_eq!(wait_target(summer, "08:30").unwrap().to_rfc3339(), "2026-07-01T12:30:00+00:00");
        assert!(wait_target(now, "25:00").unwrap_err().contains("24-hour"));
        // Another day, in New York wall time (across the spring-forward gap) or RFC 3339.
        assert_eq!(wait_target(now, "2027-03-14 02:30").unwrap().to_rfc3339(), "2027-03-14T07:00:00+00:00");
        assert_eq!(wait_target(now, "2027-03-15T12:30:00Z").unwrap().to_rfc3339(), "2027-03-15T12:30:00+00:00");
    }
}
