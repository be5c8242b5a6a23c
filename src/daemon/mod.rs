//! The daemon: runs each schedule entry's playbook at its time, one run at a time per
//! playbook (an overlapping run is skipped and recorded), applies the missed-run policy after
//! downtime, bounds every run by its `max_runtime`, survives failing playbooks, writes the
//! heartbeat, and stops gracefully (current step finishes, resting orders are cancelled,
//! records written). One writer per data directory (`session::dir_lock`).
//!
//! In real time it sleeps until the next run or an event (stop, schedule edit): no polling.
//! In virtual time (`rehearse_until`) it walks the schedule from a start instant to an end,
//! running each playbook on a virtual clock — a day rehearsed in seconds, and the tests.
//!
//! Over 600 lines: the run loop, its records (runs log, GO/NO-GO, persisted state) and the
//! transactional reload are one state machine over one schedule; the status page is apart.

/// The loopback status page.
pub mod console;
pub mod status;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::clock::{Clock, FixedClock};
use crate::daemon::status::Board;
use crate::model::BrokerKind;
use crate::risk::gate::Gate;
use crate::rules::reload::Active;
use crate::schedule::{Entry, Missed, Schedule, ScheduleError};
use crate::session::ScanParamsInput;
use crate::session::heartbeat::{Heartbeat, HeartbeatFile};
use crate::session::playbook::{PlaybookRequest, RunControls, SessionRecord};
use crate::session::schedule_files::{SchedulePaths, load_schedule};

/// Everything the daemon needs.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// Schedule, calendars and playbooks.
    pub paths: SchedulePaths,
    /// Config directory (limits, fees, views, paper).
    pub configs: PathBuf,
    /// Fixture root for offline entries.
    pub fixtures: PathBuf,
    /// Root for `reports/` and `data/`.
    pub out_root: PathBuf,
    /// Scanner knobs for every run.
    pub params: ScanParamsInput,
    /// The data directory's kill switch (engaged when anything is at its path).
    pub kill_switch: crate::brokers::controls::KillSwitch,
    /// Walk the schedule in virtual time up to this instant, then stop.
    pub rehearse_until: Option<DateTime<Utc>>,
    /// REST base URL for `online = true` entries (the WebSocket URL follows from it).
    pub base_url: String,
}

/// Why the daemon cannot start or go on.
#[derive(Debug, Error)]
pub enum DaemonError {
    /// The schedule does not load.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// A state, lock or log file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An entry names a broker this build cannot run.
    #[error("entry {0}: the live broker is not available yet; schedule it as dry or paper")]
    LiveBroker(String),
}

/// The last scheduled instant handled per entry (`data/proc/state/daemon.json`).
#[derive(Debug, Default, Serialize, Deserialize)]
struct DaemonState {
    handled: BTreeMap<String, DateTime<Utc>>,
}

/// One line of `data/proc/runs.jsonl`.
#[derive(Debug, Clone, Serialize)]
pub struct RunLine {
    /// Entry name.
    pub entry: String,
    /// Playbook.
    pub playbook: String,
    /// The scheduled instant.
    pub scheduled: DateTime<Utc>,
    /// When it started (session clock).
    pub start: String,
    /// When it ended.
    pub end: String,
    /// `completed`, `failed`, `stopped`, `skipped_overlap`, `missed_skipped`, `refused`.
    pub outcome: String,
    /// GO/NO-GO per series scanned.
    pub go_no_go: BTreeMap<String, String>,
    /// Orders sent.
    pub orders: usize,
    /// Policy set version and SHA-256 at the start.
    pub policy_version: String,
    /// The error or why it was stopped or skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The session record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<PathBuf>,
}

/// Something that wakes the daemon before its next run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wake {
    /// Stop gracefully.
    Stop,
    /// A watched file changed (schedule, calendars, policies or playbooks).
    Changed(PathBuf),
}

/// The running daemon's shared pieces.
pub struct Daemon {
    config: DaemonConfig,
    policies: Arc<arc_swap::ArcSwap<Active>>,
    reloader: Option<crate::rules::reload::Reloader>,
    lib: PathBuf,
    schedule: Schedule,
    state: DaemonState,
    stop: Arc<AtomicBool>,
    busy: Arc<Mutex<BTreeMap<String, DateTime<Utc>>>>,
    running: Vec<std::thread::JoinHandle<()>>,
    board: Arc<Mutex<Board>>,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> DaemonError + '_ {
    move |source| DaemonError::Io { path: path.to_path_buf(), source }
}

impl Daemon {
    /// A daemon over a loaded schedule and a live policy set (`lib` = `policies/lib`).
    pub fn new(
        config: DaemonConfig,
        policies: Arc<arc_swap::ArcSwap<Active>>,
        lib: PathBuf,
        stop: Arc<AtomicBool>,
    ) -> Result<Daemon, DaemonError> {
        let schedule = load_schedule(&config.paths)?;
        if let Some(e) = schedule.entries.iter().find(|e| e.enabled && e.broker == BrokerKind::Live) {
            return Err(DaemonError::LiveBroker(e.name.clone()));
        }
        let state_path = config.out_root.join("data/proc/state/daemon.json");
        let state = std::fs::read(&state_path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        Ok(Daemon {
            config,
            policies,
            reloader: None,
            lib,
            schedule,
            state,
            stop,
            busy: Arc::new(Mutex::new(BTreeMap::new())),
            running: Vec::new(),
            board: Arc::new(Mutex::new(Board::default())),
        })
    }

    /// Hands the daemon the policy reloader, so an edit reloads policies, playbooks and the
    /// schedule as one transaction.
    pub fn with_reloader(mut self, reloader: crate::rules::reload::Reloader) -> Daemon {
        self.reloader = Some(reloader);
        self
    }

    /// What the status page shows, kept current by [`Daemon::serve`].
    pub fn board(&self) -> Arc<Mutex<Board>> {
        Arc::clone(&self.board)
    }

    fn publish(&self, now: DateTime<Utc>) {
        let running: Vec<String> = self
            .busy
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(_, until)| **until > now)
            .map(|(p, _)| p.clone())
            .collect();
        let board = Board {
            next_runs: self.schedule.next_runs(now, 10),
            brokers: self.schedule.entries.iter().map(|e| (e.name.clone(), e.broker.as_str().to_string())).collect(),
            policy_version: self.policy_version(),
            running,
        };
        *self.board.lock().unwrap_or_else(|p| p.into_inner()) = board;
    }

    fn state_path(&self) -> PathBuf {
        self.config.out_root.join("data/proc/state/daemon.json")
    }

    fn save_state(&self) -> Result<(), DaemonError> {
        let path = self.state_path();
        let json = serde_json::to_vec_pretty(&self.state).expect("state serialises");
        crate::storage::write_atomic(&path, &json).map_err(io_err(&path))
    }

    /// Reloads after an edit, as one transaction: the schedule (with its calendars) is loaded
    /// first, then the policy set with the playbooks; only when both are good are both swapped
    /// in. Otherwise the last good pair keeps running. Every attempt is audited
    /// (`data/proc/audit/schedule_reloads.jsonl`; the policy set's own audit as before).
    pub fn reload(&mut self, files: &[PathBuf], now: DateTime<Utc>) -> Result<bool, DaemonError> {
        let audit = self.config.out_root.join("data/proc/audit/schedule_reloads.jsonl");
        let candidate = load_schedule(&self.config.paths).and_then(|s| {
            match s.entries.iter().find(|e| e.enabled && e.broker == BrokerKind::Live) {
                Some(e) => Err(ScheduleError {
                    path: self.config.paths.schedule.clone(),
                    line: e.line,
                    message: format!("entry {}: the live broker is not available yet", e.name),
                }),
                None => Ok(s),
            }
        });
        let error = match candidate {
            Err(e) => Some(e.to_string()),
            Ok(schedule) => {
                let policies = match &self.reloader {
                    Some(reloader) => {
                        let attempt =
                            reloader.reload(files, std::time::Instant::now(), &FixedClock(now)).map_err(|e| {
                                DaemonError::Io {
                                    path: PathBuf::from("policies"),
                                    source: std::io::Error::other(e.to_string()),
                                }
                            })?;
                        match attempt {
                            crate::rules::reload::Attempt::Accepted { .. } => None,
                            rejected => Some(rejected.to_string()),
                        }
                    }
                    None => None,
                };
                if policies.is_none() {
                    self.schedule = schedule;
                }
                policies
            }
        };
        let accepted = error.is_none();
        let line = serde_json::json!({
            "time": now.to_rfc3339(), "files": files, "accepted": accepted,
            "entries": self.schedule.entries.len(), "policy_version": self.policy_version(), "error": error,
        });
        crate::storage::append_jsonl(&audit, &line).map_err(io_err(&audit))?;
        match &error {
            Some(e) => println!("reload rejected: {e} (keeping the last good schedule and policies)"),
            None => println!("reloaded: {} entries, policies {}", self.schedule.entries.len(), self.policy_version()),
        }
        Ok(accepted)
    }

    fn beat(&self, now: DateTime<Utc>) {
        let busy = self.busy.lock().unwrap_or_else(|p| p.into_inner()).len();
        let policy = self.policies.load();
        let beat = Heartbeat::new(now, "daemon", &format!("{busy} run(s) active"), 0, policy.set.digest());
        if let Err(e) = HeartbeatFile::under(&self.config.out_root).write(&beat) {
            tracing::warn!(target: "daemon", "cannot write heartbeat: {e}");
        }
    }

    /// The next (instant, entry) after each entry's last handled instant (or `from`).
    fn next_due(&self, from: DateTime<Utc>) -> Option<(DateTime<Utc>, Entry)> {
        self.schedule
            .entries
            .iter()
            .filter(|e| e.enabled)
            .filter_map(|e| {
                let after = self.state.handled.get(&e.name).copied().map_or(from, |h| h.max(from));
                Some((self.schedule.next_of(e, after)?, e.clone()))
            })
            .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)))
    }

    /// Applies each entry's missed-run policy for runs due between its last handled instant
    /// and `now` (none on a first start).
    fn catch_up(&mut self, now: DateTime<Utc>, virtual_time: bool) -> Result<(), DaemonError> {
        let entries: Vec<Entry> = self.schedule.entries.iter().filter(|e| e.enabled).cloned().collect();
        for entry in entries {
            let Some(last) = self.state.handled.get(&entry.name).copied() else {
                // A new entry starts now: nothing before this start counts as missed.
                self.state.handled.insert(entry.name.clone(), now);
                continue;
            };
            let mut missed = Vec::new();
            let mut at = last;
            while let Some(next) = self.schedule.next_of(&entry, at) {
                if next > now || missed.len() >= 10_000 {
                    break;
                }
                missed.push(next);
                at = next;
            }
            let Some(latest) = missed.last().copied() else { continue };
            match entry.missed {
                Missed::Skip => {
                    let detail = format!("{} run(s) missed while down, skipped by policy", missed.len());
                    self.log_line(skipped_line(&entry, latest, "missed_skipped", &detail, &self.policy_version()))?;
                }
                Missed::RunOnce => self.start_run(&entry, latest, now, virtual_time)?,
            }
            self.state.handled.insert(entry.name.clone(), latest);
        }
        self.save_state()
    }

    fn policy_version(&self) -> String {
        let p = self.policies.load();
        format!("v{} sha256={}", p.version, p.set.digest())
    }

    fn log_line(&self, line: RunLine) -> Result<(), DaemonError> {
        write_run_outputs(&self.config.out_root, &line)
    }

    /// Starts (or, in virtual time, runs to the end) one entry's playbook, unless its playbook
    /// is still busy.
    fn start_run(
        &mut self,
        entry: &Entry,
        scheduled: DateTime<Utc>,
        now: DateTime<Utc>,
        virtual_time: bool,
    ) -> Result<(), DaemonError> {
        let busy_until = self.busy.lock().unwrap_or_else(|p| p.into_inner()).get(&entry.playbook).copied();
        if busy_until.is_some_and(|until| until > now) {
            let detail = format!("playbook {} is still running; this run is skipped", entry.playbook);
            println!("{} {}: {detail}", crate::schedule::clock_et::show_et(now), entry.name);
            return self.log_line(skipped_line(entry, scheduled, "skipped_overlap", &detail, &self.policy_version()));
        }
        if let Some(why) = self.outside_window(entry, now) {
            println!("{} {}: refused: {why}", crate::schedule::clock_et::show_et(now), entry.name);
            return self.log_line(skipped_line(entry, scheduled, "refused", &why, &self.policy_version()));
        }
        let broker = match entry.broker {
            BrokerKind::Dry => BrokerKind::Dry,
            BrokerKind::Paper => BrokerKind::Paper,
            BrokerKind::Live => return Err(DaemonError::LiveBroker(entry.name.clone())),
        };
        let request = PlaybookRequest {
            name: entry.playbook.clone(),
            scripts: self.config.paths.scripts.clone(),
            fixtures: self.config.fixtures.clone(),
            configs: self.config.configs.clone(),
            out_root: self.config.out_root.clone(),
            params: self.config.params,
            kill_switch: self.config.kill_switch.clone(),
            dry_run: false,
            broker,
            live: None,
            controls: RunControls {
                virtual_time,
                max_runtime: Some(entry.max_runtime),
                stop: Some(Arc::clone(&self.stop)),
            },
            banner: None,
        };
        let job = RunJob {
            base_url: self.config.base_url.clone(),
            entry: entry.clone(),
            scheduled,
            request,
            lib: self.lib.clone(),
            policies: Arc::clone(&self.policies),
            out_root: self.config.out_root.clone(),
            policy_version: self.policy_version(),
        };
        println!(
            "{} {}: running {} ({})",
            crate::schedule::clock_et::show_et(now),
            entry.name,
            entry.playbook,
            entry.broker.as_str()
        );
        if virtual_time {
            let end = job.run(now);
            self.busy.lock().unwrap_or_else(|p| p.into_inner()).insert(entry.playbook.clone(), end);
            return Ok(());
        }
        let far = DateTime::<Utc>::MAX_UTC;
        self.busy.lock().unwrap_or_else(|p| p.into_inner()).insert(entry.playbook.clone(), far);
        let busy = Arc::clone(&self.busy);
        self.running.push(std::thread::spawn(move || {
            let playbook = job.entry.playbook.clone();
            job.run(Utc::now());
            busy.lock().unwrap_or_else(|p| p.into_inner()).remove(&playbook);
        }));
        Ok(())
    }

    /// Why a run of `entry` may not start at `now`: outside the entry's window or the one its
    /// playbook declares (or the playbook's header does not parse).
    fn outside_window(&self, entry: &Entry, now: DateTime<Utc>) -> Option<String> {
        if let Some(w) = entry.window.as_ref().filter(|w| !w.is_open(now, &self.schedule.calendars)) {
            return Some(format!("outside the entry's window {}", w.describe()));
        }
        match crate::session::schedule_files::declared_window(&self.config.paths.scripts, &entry.playbook) {
            Ok(Some(w)) if !w.is_open(now, &self.schedule.calendars) => {
                Some(format!("outside the playbook's window {}", w.describe()))
            }
            Ok(_) => None,
            Err(e) => Some(e.to_string()),
        }
    }

    /// Walks the schedule from `from` to `until` in virtual time.
    pub fn rehearse(&mut self, from: DateTime<Utc>, until: DateTime<Utc>) -> Result<usize, DaemonError> {
        self.catch_up(from, true)?;
        let mut runs = 0;
        while let Some((at, entry)) = self.next_due(from) {
            if at > until {
                break;
            }
            self.start_run(&entry, at, at, true)?;
            self.state.handled.insert(entry.name.clone(), at);
            self.save_state()?;
            runs += 1;
        }
        self.beat(until);
        Ok(runs)
    }

    /// Runs in real time until a stop: sleeps until the next run or a wake-up.
    pub fn serve(&mut self, wake: &Receiver<Wake>, clock: &dyn Clock) -> Result<(), DaemonError> {
        self.catch_up(clock.now(), false)?;
        let heartbeat_every = chrono::Duration::seconds(30);
        loop {
            let now = clock.now();
            self.beat(now);
            self.running.retain(|h| !h.is_finished());
            self.publish(now);
            let next = self.next_due(now);
            let wake_at = next.as_ref().map_or(now + heartbeat_every, |(t, _)| (*t).min(now + heartbeat_every));
            let timeout = (wake_at - now).to_std().unwrap_or(Duration::ZERO);
            match wake.recv_timeout(timeout) {
                Ok(Wake::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(Wake::Changed(first)) => {
                    // Editors save in several steps: collect what changes within 75 ms.
                    let mut files = vec![first];
                    let mut stop = false;
                    while let Ok(next) = wake.recv_timeout(Duration::from_millis(75)) {
                        match next {
                            Wake::Changed(path) if !files.contains(&path) => files.push(path),
                            Wake::Changed(_) => {}
                            Wake::Stop => stop = true,
                        }
                    }
                    if stop {
                        break;
                    }
                    self.reload(&files, clock.now())?;
                    continue;
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            let now = clock.now();
            while let Some((at, entry)) = self.next_due(now - chrono::Duration::days(1)).filter(|(t, _)| *t <= now) {
                if !self.state.handled.contains_key(&entry.name) {
                    // Added by a schedule edit while running: it starts from now.
                    self.state.handled.insert(entry.name.clone(), now);
                    continue;
                }
                self.start_run(&entry, at, now, false)?;
                self.state.handled.insert(entry.name.clone(), at);
                self.save_state()?;
            }
        }
        // Graceful stop: runs finish their current step, cancel what rests, write records.
        self.stop.store(true, Ordering::Relaxed);
        for handle in self.running.drain(..) {
            let _ = handle.join();
        }
        self.beat(clock.now());
        Ok(())
    }
}

fn skipped_line(entry: &Entry, scheduled: DateTime<Utc>, outcome: &str, detail: &str, policy: &str) -> RunLine {
    RunLine {
        entry: entry.name.clone(),
        playbook: entry.playbook.clone(),
        scheduled,
        start: scheduled.to_rfc3339(),
        end: scheduled.to_rfc3339(),
        outcome: outcome.to_string(),
        go_no_go: BTreeMap::new(),
        orders: 0,
        policy_version: policy.to_string(),
        detail: Some(detail.to_string()),
        record: None,
    }
}

/// Appends to `data/proc/runs.jsonl` (the run's playbook wrote `go_no_go.json` itself).
fn write_run_outputs(out_root: &Path, line: &RunLine) -> Result<(), DaemonError> {
    let runs = out_root.join("data/proc/runs.jsonl");
    crate::storage::append_jsonl(&runs, line).map_err(io_err(&runs))
}

/// One scheduled run, ready to go.
struct RunJob {
    base_url: String,
    entry: Entry,
    scheduled: DateTime<Utc>,
    request: PlaybookRequest,
    lib: PathBuf,
    policies: Arc<arc_swap::ArcSwap<Active>>,
    out_root: PathBuf,
    policy_version: String,
}

impl RunJob {
    /// Runs the playbook from `start` (session clock), records the outcome; returns when the
    /// session ended on its clock.
    fn run(self, start: DateTime<Utc>) -> DateTime<Utc> {
        let clock: Arc<dyn Clock + Send + Sync> = if self.request.controls.virtual_time {
            Arc::new(FixedClock(start))
        } else {
            Arc::new(crate::clock::SystemClock)
        };
        let feed = if self.entry.online { Some(self.start_feed()) } else { None };
        let outcome = match feed {
            Some(Err(e)) => Err(e),
            Some(Ok(feed)) => crate::session::playbook::run(self.request, &self.lib, self.policies, clock, Some(feed))
                .map_err(|e| e.to_string()),
            None => crate::session::playbook::run(self.request, &self.lib, self.policies, clock, None)
                .map_err(|e| e.to_string()),
        };
        let line = match outcome {
            Ok(record) => record_line(&self.entry, self.scheduled, &record, &self.policy_version),
            Err(e) => {
                let mut line =
                    skipped_line(&self.entry, self.scheduled, "failed", &e.to_string(), &self.policy_version);
                line.start = start.to_rfc3339();
                line
            }
        };
        let end = DateTime::parse_from_rfc3339(&line.end).map_or(start, |t| t.with_timezone(&Utc));
        println!(
            "{} {}: {}{}",
            crate::schedule::clock_et::show_et(end),
            line.entry,
            line.outcome,
            line.detail.as_deref().map_or_else(String::new, |d| format!(" ({d})"))
        );
        if let Err(e) = write_run_outputs(&self.out_root, &line) {
            tracing::error!(target: "daemon", "cannot record run of {}: {e}", line.entry);
        }
        end
    }
}

impl RunJob {
    /// The live feed an `online = true` entry reads: the allowed series, books for the events
    /// with a view, signed with the credentials from the environment, `.env.local` or `.env` if any.
    fn start_feed(&self) -> Result<crate::feed::market::MarketFeed, String> {
        let config = crate::config::ScanConfig::load(&self.request.configs).map_err(|e| e.to_string())?;
        let online = crate::feed::market::OnlineConfig {
            rest: crate::kalshi::rest::RestConfig { base_url: self.base_url.clone(), ..Default::default() },
            series: config.limits.allowed_series.clone(),
            wanted_events: config.views.events.keys().cloned().collect(),
            snapshot_timeout: Duration::from_secs(15),
            // Scheduled sessions do not keep recordings (`record` and `--record` do).
            record: None,
            user_channels: self.entry.broker == BrokerKind::Live,
        };
        let signer = || crate::kalshi::credentials::signer_from_env().ok();
        crate::feed::market::MarketFeed::start(online, signer(), signer())
            .map_err(|e| format!("online feed from {}: {e}", self.base_url))
    }
}

fn record_line(entry: &Entry, scheduled: DateTime<Utc>, record: &SessionRecord, policy: &str) -> RunLine {
    let outcome = if record.stopped.is_some() { "stopped" } else { record.outcome.as_str() };
    RunLine {
        entry: entry.name.clone(),
        playbook: entry.playbook.clone(),
        scheduled,
        start: record.started.clone(),
        end: record.finished.clone(),
        outcome: outcome.to_string(),
        go_no_go: record.gates.iter().map(|(s, g): (&String, &Gate)| (s.clone(), g.badge().to_string())).collect(),
        orders: record.orders,
        policy_version: policy.to_string(),
        detail: record.stopped.clone().or_else(|| record.error.clone()),
        record: Some(record.record.clone()),
    }
}
