//! A scan session: market snapshots (fixtures under `--offline`, or the exchange online) →
//! scans → policy set (limits, hooks, gate) → broker (dry or paper) → reports.
//!
//! Everything is loaded, validated and computed before the first byte is written, so bad
//! input leaves no partial output. Reports and proposals are written atomically; the paper
//! ledger's journal is appended and fsync'd as orders and fills happen.

/// Arming's last condition: the gate on the live books, then the live broker's setup.
pub mod arming;
mod broker;
mod depth;
/// One writer per data directory (an exclusive `flock`).
pub mod dir_lock;
/// Peak equity across sessions, for the drawdown monitor.
pub mod equity;
/// The heartbeat state file the gate reads.
pub mod heartbeat;
mod inputs;
/// `playbook run` end to end: window, lock, policy watcher, arming, gate, run.
pub mod launch;
mod plan;
/// Reading the schedule, calendars and playbook windows from disk.
pub mod schedule_files;
mod write;

pub use broker::{Sent, SessionBroker, submit};
pub use inputs::{Inputs, StrategyContext, fixture_snapshots, load_policies};
pub use plan::{PlannedSeries, plan_gated, plan_session};
use write::write_heartbeat;
pub use write::{Written, drawdown_monitor, drawdown_status, marks, record_equity, write_series};
/// Session playbooks and their host steps.
pub mod playbook;
/// Evaluating a policy set against fixtures (and another set).
pub mod policy_eval;
/// SIGINT/SIGTERM as a stop flag.
pub mod signals;
/// `policy whatif`: recorded sessions under the set in use and an edited one.
pub mod whatif;

use std::path::{Path, PathBuf};

use serde::Serialize;
use thiserror::Error;

use crate::brokers::BrokerError;
use crate::clock::Clock;
use crate::config::ConfigError;
use crate::drivers::fixtures::FixtureError;
use crate::model::BrokerKind;
use crate::model::{Count, Money};
use crate::risk::gate::{Gate, GateInputs};
use crate::rules::host::ScriptError;
use crate::scan::ScanError;
use crate::session::heartbeat::HeartbeatFile;

/// What to scan and where to write.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    /// Directory with `limits.toml`, `fees.toml`, `views.toml`, `paper.toml`.
    pub configs: PathBuf,
    /// The policy set (`pal.rhai`, `pilot.rhai`, `gates.rhai`).
    pub policies: PathBuf,
    /// Root under which `reports/` and `data/` are written.
    pub out_root: PathBuf,
    /// Scanner knobs, except the rounding mode, which comes from `fees.toml`.
    pub params: ScanParamsInput,
    /// The data directory's kill switch (engaged when anything is at its path).
    pub kill_switch: crate::brokers::controls::KillSwitch,
    /// The broker.
    pub broker: BrokerKind,
    /// `offline` or the exchange's base URL, for reports and the heartbeat.
    pub source: String,
}

/// Scanner knobs given on the command line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScanParamsInput {
    /// See [`ScanParams::min_ev`].
    pub min_ev: Money,
    /// See [`ScanParams::contracts`].
    pub contracts: Count,
    /// See [`ScanParams::max_bins`].
    pub max_bins: usize,
    /// See [`ScanParams::maker_only`].
    pub maker_only: bool,
    /// See [`ScanParams::kelly_cap`].
    pub kelly_cap: f64,
    /// `--sizing`; none: `configs/sizing.toml`'s mode.
    pub sizing: Option<crate::scan::Sizing>,
}

/// Why the session stopped before writing anything (or, for write errors, part-way).
#[derive(Debug, Error)]
pub enum SessionError {
    /// `--broker live` reached a path that cannot arm it (live sessions are opened from a setup).
    #[error("the live broker runs only through an armed `playbook run --online --broker live`")]
    LiveNeedsSetup,
    /// A configuration file.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A fixture file.
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    /// The policy set does not load.
    #[error("policy set rejected:\n{}", .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Policy(Vec<ScriptError>),
    /// An event that cannot be scanned.
    #[error("{source_name}: {source}")]
    Scan {
        /// Where the event came from.
        source_name: String,
        /// Why.
        #[source]
        source: ScanError,
    },
    /// The broker refused or could not record.
    #[error(transparent)]
    Broker(#[from] BrokerError),
    /// The market feed failed.
    #[error(transparent)]
    Feed(#[from] crate::feed::market::OnlineError),
    /// The exchange client could not be built.
    #[error(transparent)]
    Rest(#[from] crate::kalshi::rest::RestError),
    /// Evidence the session applies (EV honesty) could not be read.
    #[error(transparent)]
    Evidence(crate::evidence::load::EvidenceError),
    /// An output could not be written.
    #[error("{path}: cannot write: {source}")]
    Write {
        /// Output file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// One series' results.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesOutcome {
    /// Series ticker.
    pub series: String,
    /// GO/NO-GO.
    pub gate: Gate,
    /// Events scanned.
    pub events: usize,
    /// Proposals after ceilings that were approved or clipped.
    pub approved: usize,
    /// Proposals denied by ceilings.
    pub denied: usize,
    /// Orders sent to the broker.
    pub orders: usize,
    /// Contracts filled at once (paper).
    pub filled: Count,
    /// Markdown report.
    pub report: PathBuf,
    /// Proposals JSON.
    pub proposals: PathBuf,
}

/// The whole session's results.
#[derive(Debug, Clone, Serialize)]
pub struct ScanOutcome {
    /// Per series, in ticker order.
    pub series: Vec<SeriesOutcome>,
    /// `dry` or `paper`.
    pub broker: &'static str,
    /// Dry broker audit log, or the paper ledger's journal.
    pub audit: PathBuf,
    /// SHA-256 of the policy set that decided.
    pub policy: String,
}

/// Runs a scan session over `inputs` (already loaded from fixtures or the exchange).
pub fn run_scan(
    req: &ScanRequest,
    inputs: &Inputs,
    feed: GateInputs,
    clock: &dyn Clock,
) -> Result<ScanOutcome, SessionError> {
    let now = clock.now();
    let policies = load_policies(&req.policies, &inputs.config)?;
    let mut broker = SessionBroker::open(req.broker, &req.out_root, &inputs.config, now)?;
    let heartbeat = HeartbeatFile::under(&req.out_root);
    write_heartbeat(&heartbeat, now, req, &broker, &policies)?;
    let mut gate_inputs = feed;
    gate_inputs.kill_switch = req.kill_switch.is_engaged();
    gate_inputs.heartbeat_age_secs = heartbeat.age_secs(now);
    let marks = marks(&inputs.series);
    if let Some(status) = drawdown_monitor(&req.out_root, &broker, &marks, inputs.config.paper.drawdown_alert) {
        gate_inputs.monitors.insert("ledger_drawdown".into(), status);
    }
    gate_inputs.monitors.extend(crate::evidence::monitors::cusum_monitors(&req.out_root));
    let ledger = broker.exposure(now, inputs.params.rounding);
    let planned = plan_session(inputs, &policies, &gate_inputs, ledger, now)?;

    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let mut outcomes = Vec::with_capacity(planned.len());
    for plan in &planned {
        let sent = submit(plan, &mut broker, now)?;
        let written = Written {
            broker: &broker,
            sent: &sent,
            now,
            stamp: &stamp,
            policy: policies.digest(),
            banner: None,
            later_marks: None,
        };
        outcomes.push(write_series(&req.out_root, plan, inputs, &written)?);
    }
    broker.broker().finish(now)?;
    broker.write_tables(&req.out_root)?;
    record_equity(&req.out_root, &broker, &marks)?;
    let gates = outcomes.iter().map(|o| (o.series.clone(), o.gate.clone())).collect();
    let path = crate::evidence::go_no_go::go_no_go_path(&req.out_root);
    crate::evidence::go_no_go::write_go_no_go(&req.out_root, &gates, now, "scan", policies.digest())
        .map_err(|source| SessionError::Write { path, source })?;
    write_heartbeat(&heartbeat, now, req, &broker, &policies)?;
    Ok(ScanOutcome {
        series: outcomes,
        broker: broker.mode(),
        audit: broker.audit_path().map(Path::to_path_buf).unwrap_or_default(),
        policy: policies.digest().to_string(),
    })
}
