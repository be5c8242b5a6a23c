//! `playbook run` from start to record, in the order safety asks for: the clock (no fake
//! clock for real money), the playbook's window, one writer per data directory, the policy
//! set and its watcher, arming, the gate on live books, then the run. The command line only
//! fills a [`LaunchRequest`] and prints the [`Launched`] outcome and the [`Notice`]s.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::brokers::controls::KillSwitch;
use crate::clock::{Clock, FixedClock, SystemClock};
use crate::config::{ConfigError, ScanConfig, load_limits};
use crate::feed::market::MarketFeed;
use crate::kalshi::credentials;
use crate::kalshi::signing::Signer;
use crate::model::{BrokerKind, Money};
use crate::rules::host::ScriptError;
use crate::rules::policy::PolicyPaths;
use crate::rules::reload::Reloader;
use crate::safety::arming::{ArmingFacts, ArmingRefusal, arm, ci_value_means_ci};
use crate::schedule::ScheduleError;
use crate::schedule::clock_et::show_et;
use crate::session::arming::{LiveGate, ReadinessRule, gate_live_session};
use crate::session::dir_lock::{DataDirLock, LockError};
use crate::session::playbook::{PlaybookError, PlaybookRequest, RunControls, SessionRecord, run};
use crate::session::schedule_files::{declared_window, load_calendars};
use crate::session::{ScanParamsInput, SessionError};

/// What to do when the playbook's trading window is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutsideWindow {
    /// Refuse: nothing is written.
    Refuse,
    /// Run anyway with the dry broker, every report saying FORCE-RUN (DRY).
    ForceDryRun,
    /// Sleep until the window opens (a fixed clock jumps there), then run.
    Wait,
    /// Only say when it opens.
    Print,
}

/// Where a launch reads and writes.
#[derive(Debug, Clone)]
pub struct LaunchDirs {
    /// Playbooks.
    pub scripts: PathBuf,
    /// The policy set.
    pub policies: PathBuf,
    /// Configs.
    pub configs: PathBuf,
    /// Calendars windows may name.
    pub calendars: PathBuf,
    /// Fixture root.
    pub fixtures: PathBuf,
    /// Root for `reports/` and `data/`.
    pub out: PathBuf,
    /// The data directory's kill switch (and any extra file).
    pub kill_switch: KillSwitch,
}

/// Opens the market feed for an online run, given the scan configuration.
pub type FeedOpener = Box<dyn FnOnce(&ScanConfig) -> Result<MarketFeed, String>>;

/// One `playbook run`.
pub struct LaunchRequest {
    /// Playbook name.
    pub name: String,
    /// Rehearse: no window check, nothing sent or recorded but the session record.
    pub dry_run: bool,
    /// The broker.
    pub broker: BrokerKind,
    /// `--i-understand-the-risks`.
    pub risks_acknowledged: bool,
    /// `--session-notional`.
    pub session_notional: Option<Money>,
    /// Series that are not READY for the pilot: refused, or traded for a recorded reason.
    pub readiness: ReadinessRule,
    /// Online runs: the exchange's REST base URL and how to open the feed.
    pub online: Option<(String, FeedOpener)>,
    /// Longest run.
    pub max_runtime: Option<Duration>,
    /// Outside the window.
    pub outside_window: OutsideWindow,
    /// Directories.
    pub dirs: LaunchDirs,
    /// Scanner knobs.
    pub params: ScanParamsInput,
    /// A fixed session clock (never with real money).
    pub now: Option<DateTime<Utc>>,
    /// SIGINT/SIGTERM, set from outside.
    pub stop: Option<Arc<AtomicBool>>,
}

/// Something the operator should see while a launch proceeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The window is closed and the launch waits for it (stdout).
    Waiting(String),
    /// The window is closed and the dry run goes ahead anyway.
    ForcedDryRun(String),
    /// The heartbeat could not be written (the gate then says NO-GO).
    HeartbeatUnwritten(String),
    /// A series that will not trade: nothing could be priced.
    NotPriced(String),
    /// A NO-GO line of the live gate.
    GateNoGo(String),
}

/// How a launch ended (errors aside).
#[derive(Debug)]
pub enum Launched {
    /// The playbook ran; its record.
    Ran(Box<SessionRecord>),
    /// The window is closed and nothing ran (`message` says when it opens).
    OutsideWindow {
        /// What was found.
        message: String,
    },
    /// The window is closed and the operator only asked when it opens.
    OpensAt {
        /// What was found.
        message: String,
    },
    /// The live session was refused; nothing was sent.
    Refused {
        /// Why.
        refusal: ArmingRefusal,
        /// What happened, when there is more to say than the refusal.
        detail: Option<String>,
    },
}

/// Why a launch could not proceed.
#[derive(Debug, Error)]
pub enum LaunchError {
    /// The window, schedule or calendars.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// The window never opens within a year.
    #[error("{0}")]
    NeverOpens(String),
    /// `--force-run` with a broker other than dry.
    #[error("--force-run is allowed only with the dry broker (this run asked for another)")]
    ForceRunNotDry,
    /// `--broker live` without `--online`.
    #[error("--broker live needs --online (live orders follow live books)")]
    LiveNeedsOnline,
    /// Another writer holds the data directory.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// A configuration file.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The policy set does not load.
    #[error("policy set {} rejected:\n{}", .dir.display(), .problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Policy {
        /// The policy directory.
        dir: PathBuf,
        /// Every problem found.
        problems: Vec<ScriptError>,
    },
    /// The market feed did not start.
    #[error("online feed from {url}: {message}")]
    Feed {
        /// The REST base URL.
        url: String,
        /// Why.
        message: String,
    },
    /// The live gate could not be evaluated.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The playbook failed.
    #[error(transparent)]
    Playbook(#[from] PlaybookError),
}

/// How long the policy watcher waits for a burst of saves to settle.
const RELOAD_DEBOUNCE: Duration = Duration::from_millis(75);

/// Runs `req` to its end; `notify` hears what the operator should see on the way.
pub fn launch(req: LaunchRequest, notify: &mut dyn FnMut(Notice)) -> Result<Launched, LaunchError> {
    let wants_live = matches!(req.broker, BrokerKind::Live) && !req.dry_run;
    if wants_live && req.now.is_some() {
        // Before the window check: a fake clock must not even pick the window for real money.
        return Ok(Launched::Refused { refusal: ArmingRefusal::VirtualClock, detail: None });
    }
    let mut clock: Arc<dyn Clock + Send + Sync> = match req.now {
        Some(t) => Arc::new(FixedClock(t)),
        None => Arc::new(SystemClock),
    };
    let banner = if req.dry_run {
        None
    } else {
        match check_window(&req, &mut clock, notify)? {
            WindowCheck::Run(banner) => banner,
            WindowCheck::Stop(outcome) => return Ok(outcome),
        }
    };
    // Paper and live sessions write the ledger and state files: one writer per data directory.
    let _lock = if req.dry_run || matches!(req.broker, BrokerKind::Dry) {
        None
    } else {
        let holder = format!("playbook run {} ({:?})", req.name, req.broker).to_lowercase();
        Some(DataDirLock::acquire(&req.dirs.out, &holder)?)
    };
    let core = load_limits(&req.dirs.configs)?;
    let ceiling = core.pretrade.max_notional_per_session;
    let paths = PolicyPaths { policies: req.dirs.policies.clone(), scripts: None };
    let audit = req.dirs.out.join("data/proc/audit/policy_reloads.jsonl");
    let reloader = Reloader::start(paths.clone(), core, audit)
        .map_err(|problems| LaunchError::Policy { dir: req.dirs.policies.clone(), problems })?;
    let armed = match arm_before_gate(&req, wants_live, ceiling) {
        Ok(armed) => armed,
        Err(refusal) => return Ok(Launched::Refused { refusal, detail: None }),
    };
    if armed.is_some() && req.online.is_none() {
        return Err(LaunchError::LiveNeedsOnline);
    }
    let LaunchRequest { name, dry_run, broker, online, max_runtime, dirs, params, stop, readiness, .. } = req;
    let mut playbook = PlaybookRequest {
        name,
        scripts: dirs.scripts,
        fixtures: dirs.fixtures,
        configs: dirs.configs,
        out_root: dirs.out,
        params,
        kill_switch: dirs.kill_switch,
        dry_run,
        broker,
        live: None,
        controls: RunControls { virtual_time: false, max_runtime, stop },
        banner,
    };
    let feed = match online {
        Some((url, open)) => {
            let config = ScanConfig::load(&playbook.configs)?;
            Some((open(&config).map_err(|message| LaunchError::Feed { url: url.clone(), message })?, url))
        }
        None => None,
    };
    if let (Some(armed), Some((live_feed, base_url))) = (armed, feed.as_ref()) {
        let arming = gate_live_session(
            &playbook,
            &paths.policies,
            base_url,
            armed.signer,
            armed.ceiling,
            live_feed,
            &readiness,
            clock.now(),
        )?;
        if let Some(e) = arming.heartbeat_error {
            notify(Notice::HeartbeatUnwritten(e));
        }
        for series in arming.not_priced {
            notify(Notice::NotPriced(series));
        }
        match arming.gate {
            LiveGate::Go(setup) => playbook.live = Some(*setup),
            LiveGate::NoGo(lines) => {
                for line in lines {
                    notify(Notice::GateNoGo(line));
                }
                if let Some((feed, _)) = feed {
                    feed.stop();
                }
                return Ok(Launched::Refused { refusal: ArmingRefusal::GateNoGo, detail: None });
            }
        }
    }
    let record = run_watching(reloader, playbook, &paths, clock, feed.map(|(feed, _)| feed));
    match record {
        Ok(record) => Ok(Launched::Ran(Box::new(record))),
        Err(e) => match e.live_refusal() {
            Some((refusal, detail)) => Ok(Launched::Refused { refusal, detail: Some(detail.to_string()) }),
            None => Err(e.into()),
        },
    }
}

/// Runs the playbook while a thread reloads the policy set on change.
fn run_watching(
    reloader: Reloader,
    playbook: PlaybookRequest,
    paths: &PolicyPaths,
    clock: Arc<dyn Clock + Send + Sync>,
    feed: Option<MarketFeed>,
) -> Result<SessionRecord, PlaybookError> {
    let handle = reloader.handle();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let outcome = reloader.watch(
                RELOAD_DEBOUNCE,
                &stop,
                &SystemClock,
                || {},
                |attempt| {
                    tracing::warn!(target: "policy", "{attempt}");
                },
            );
            if let Err(e) = outcome {
                tracing::error!(target: "policy", "policy watch stopped: {e}");
            }
        })
    };
    let record = run(playbook, &paths.lib(), handle, clock, feed);
    stop.store(true, Ordering::Relaxed);
    if watcher.join().is_err() {
        tracing::error!(target: "policy", "the policy watcher panicked");
    }
    record
}

/// What arming found before the gate: the session's signer and ceiling.
struct Armed {
    signer: Signer,
    ceiling: Money,
}

/// Every arming condition but the gate (which needs the feed). `Ok(None)`: not live.
fn arm_before_gate(req: &LaunchRequest, live: bool, configured_ceiling: Money) -> Result<Option<Armed>, ArmingRefusal> {
    let signer = credentials::signer_from_env().ok();
    let facts = ArmingFacts {
        live_broker: live,
        risks_acknowledged: req.risks_acknowledged,
        credentials: signer.is_some(),
        kill_switch: req.dirs.kill_switch.is_engaged(),
        gate_go: None,
        under_ci: ci_value_means_ci(std::env::var("CI").ok().as_deref()),
        session_ceiling: req.session_notional,
        configured_ceiling,
        virtual_clock: req.now.is_some(),
    };
    if !arm(&facts)? {
        return Ok(None);
    }
    // `arm` has checked that both are present.
    match (signer, req.session_notional) {
        (Some(signer), Some(ceiling)) => Ok(Some(Armed { signer, ceiling })),
        (None, _) => Err(ArmingRefusal::NoCredentials),
        (_, None) => Err(ArmingRefusal::NoSessionCeiling),
    }
}

enum WindowCheck {
    /// Go ahead, with this banner on every report.
    Run(Option<String>),
    /// Stop here.
    Stop(Launched),
}

/// The window check before a run.
fn check_window(
    req: &LaunchRequest,
    clock: &mut Arc<dyn Clock + Send + Sync>,
    notify: &mut dyn FnMut(Notice),
) -> Result<WindowCheck, LaunchError> {
    let Some(window) = declared_window(&req.dirs.scripts, &req.name)? else { return Ok(WindowCheck::Run(None)) };
    let calendars = if window.calendar.is_some() { load_calendars(&req.dirs.calendars)? } else { Default::default() };
    let now = clock.now();
    if window.is_open(now, &calendars) {
        return Ok(WindowCheck::Run(None));
    }
    let next = window.next_opening(now, &calendars);
    let next_text = next.map_or_else(
        || "no opening within a year".to_string(),
        |t| format!("next opens {} ({})", show_et(t), t.format("%Y-%m-%dT%H:%M:%SZ")),
    );
    let what = format!("{}: outside its window {} at {}; {next_text}", req.name, window.describe(), show_et(now));
    match req.outside_window {
        OutsideWindow::Print => Ok(WindowCheck::Stop(Launched::OpensAt { message: what })),
        OutsideWindow::Wait => {
            let Some(next) = next else { return Err(LaunchError::NeverOpens(what)) };
            notify(Notice::Waiting(format!("{what}; waiting")));
            if req.now.is_some() {
                // A fixed clock jumps to the opening.
                *clock = Arc::new(FixedClock(next));
            } else if !sleep_until_stopped((next - now).to_std().unwrap_or_default(), req.stop.as_deref()) {
                return Ok(WindowCheck::Stop(Launched::OutsideWindow {
                    message: format!("{what}; stopped while waiting"),
                }));
            }
            Ok(WindowCheck::Run(None))
        }
        OutsideWindow::ForceDryRun if matches!(req.broker, BrokerKind::Dry) => {
            notify(Notice::ForcedDryRun(format!("{what}; FORCE-RUN (DRY)")));
            Ok(WindowCheck::Run(Some("FORCE-RUN (DRY)".to_string())))
        }
        OutsideWindow::ForceDryRun => Err(LaunchError::ForceRunNotDry),
        OutsideWindow::Refuse => Ok(WindowCheck::Stop(Launched::OutsideWindow {
            message: format!(
                "{what}; nothing written (--force-run runs it with the dry broker, --snap-to-window wait|print)"
            ),
        })),
    }
}

/// Sleeps `wait` in short steps; false when `stop` was set first.
fn sleep_until_stopped(wait: Duration, stop: Option<&AtomicBool>) -> bool {
    let until = std::time::Instant::now() + wait;
    loop {
        let now = std::time::Instant::now();
        if now >= until {
            return true;
        }
        if stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200).min(until - now));
    }
}
