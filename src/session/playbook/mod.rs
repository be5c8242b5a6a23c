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
use std::time::Duration;

use chrono::{DateTime, Utc};
use rhai::EvalAltResult;
use serde::Serialize;
use thiserror::Error;

use crate::brokers::DryBroker;
use crate::brokers::controls::KillSwitch;
use crate::brokers::live::LiveSetup;
use crate::clock::Clock;

/// `fetch` and `calibrate`: keeping the inputs fed.
mod input_steps;
mod session;
mod steps;
use crate::feed::market::MarketFeed;
use crate::risk::gate::{Gate, GateInputs};
use crate::risk::limits::Ledger;
use crate::rules::api::{self};
use crate::rules::host::{Host, Limits, ScriptError};
use crate::rules::policy::sha256_hex;
use crate::rules::reload::Active;
use crate::session::{BrokerKind, Inputs, PlannedSeries, ScanParamsInput, Sent, SessionBroker, SessionError};
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

/// A session record as Markdown (for its HTML page): what ran, how it ended, each series'
/// last GO/NO-GO, and every step with its result.
fn record_markdown(r: &SessionRecord) -> String {
    use std::fmt::Write as _;
    let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
    let mut out = String::new();
    if let Some(banner) = &r.banner {
        let _ = writeln!(out, "> **{banner}**\n");
    }
    let _ = writeln!(out, "# Session {} — {}\n", r.playbook, r.outcome);
    let _ = writeln!(
        out,
        "- Broker {}, market data {}, {} order(s)\n- From {} to {}{}\n- Playbook sha256 `{}`",
        r.broker,
        r.market_data,
        r.orders,
        r.started,
        r.finished,
        if r.dry_run { " (rehearsal)" } else { "" },
        r.sha256
    );
    if let Some(e) = &r.error {
        let _ = writeln!(out, "- **Error:** {}", cell(e));
    }
    if let Some(why) = &r.stopped {
        let _ = writeln!(out, "- **Stopped:** {}", cell(why));
    }
    let _ = writeln!(out, "\n## GO/NO-GO\n\n| series | gate | reasons |\n|---|---|---|");
    for (series, gate) in &r.gates {
        let _ = writeln!(
            out,
            "| {series} | {} | {} |",
            if gate.go { "GO" } else { "NO-GO" },
            cell(&gate.reasons.join("; "))
        );
    }
    if r.gates.is_empty() {
        let _ = writeln!(out, "| none scanned | | |");
    }
    let _ = writeln!(out, "\n## Steps\n\n| at | step | arguments | ms | result |\n|---|---|---|---:|---|");
    for step in &r.steps {
        let result = if step.result.is_null() { String::new() } else { step.result.to_string() };
        let short: String = result.chars().take(300).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.1} | {}{} |",
            step.at,
            step.step,
            cell(&step.args.join(", ")),
            step.duration_ms,
            cell(&short),
            if short.len() < result.len() { " …" } else { "" }
        );
    }
    out
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
    let title = format!("Session {} {}", record.playbook, record.started);
    let page =
        crate::report::html::document(&title, &record_markdown(&record), &Default::default(), &[]).map_err(|e| {
            PlaybookError::Record { path: record_path.clone(), source: std::io::Error::other(e.to_string()) }
        })?;
    crate::storage::write_replace(&record_path, &json)
        .map_err(|source| PlaybookError::Record { path: record_path.clone(), source })?;
    let page_path = record_path.with_extension("html");
    crate::storage::write_replace(&page_path, page.as_bytes())
        .map_err(|source| PlaybookError::Record { path: page_path, source })?;
    if !s.req.dry_run {
        let active = s.policies.load();
        let version = format!("v{} sha256={}", active.version, active.set.digest());
        let source = format!("playbook {}", s.req.name);
        crate::evidence::go_no_go::write_go_no_go(&s.req.out_root, &record.gates, end, &source, &version).map_err(
            |source| PlaybookError::Record { path: crate::evidence::go_no_go::go_no_go_path(&s.req.out_root), source },
        )?;
    }
    Ok(record)
}
