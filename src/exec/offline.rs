//! The offline dry session: fixtures → scans → policy set (limits, hooks, gate) → dry
//! broker → reports.
//!
//! Everything is loaded, validated and computed before the first byte is written, so bad
//! input leaves no partial output. Reports and proposals are written atomically.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use thiserror::Error;

use crate::config::{ConfigError, ScanConfig};
use crate::drivers::fixtures::{FixtureError, SeriesFixture, load_market_fixtures};
use crate::exec::broker::{Broker, BrokerError, DryBroker, OrderIntent};
use crate::exec::clock::Clock;
use crate::exec::scan::{EventInput, EventScan, ScanError, ScanParams, scan_event};
use crate::pricing::fees::{FeeError, FeeMultiplier, FeeSchedule, FeeType};
use crate::report::markdown::{ReportContext, render_series_report};
use crate::risk::ceilings::Verdict;
use crate::risk::gate::{Gate, GateContext, builtin_gate};
use crate::risk::limits::{Decider, Ledger};
use crate::rules::host::ScriptError;
use crate::rules::policy::{PolicyPaths, PolicySet};

/// What to scan and where to write.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    /// Fixture root (holds `kalshi/`).
    pub fixtures: PathBuf,
    /// Directory with `limits.toml`, `fees.toml`, `views.toml`.
    pub configs: PathBuf,
    /// The policy set (`pal.rhai`, `pilot.rhai`, `gates.rhai`).
    pub policies: PathBuf,
    /// Root under which `reports/` and `data/` are written.
    pub out_root: PathBuf,
    /// Only these series (all with fixtures when empty).
    pub series: Vec<String>,
    /// Scanner knobs, except the rounding mode, which comes from `fees.toml`.
    pub params: ScanParamsInput,
    /// Kill-switch file; its presence means NO-GO.
    pub kill_switch: PathBuf,
}

/// Scanner knobs given on the command line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScanParamsInput {
    /// See [`ScanParams::min_ev`].
    pub min_ev: crate::model::Money,
    /// See [`ScanParams::contracts`].
    pub contracts: crate::model::Count,
    /// See [`ScanParams::max_bins`].
    pub max_bins: usize,
    /// See [`ScanParams::maker_only`].
    pub maker_only: bool,
    /// See [`ScanParams::kelly_cap`].
    pub kelly_cap: f64,
}

/// Why the session stopped before writing anything (or, for write errors, part-way).
#[derive(Debug, Error)]
pub enum SessionError {
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
    #[error("{path}: {source}")]
    Scan {
        /// The event's fixture file.
        path: PathBuf,
        /// Why.
        #[source]
        source: ScanError,
    },
    /// A series whose fees cannot be priced.
    #[error("series {series}: {source}")]
    Fees {
        /// Series ticker.
        series: String,
        /// Why.
        #[source]
        source: FeeError,
    },
    /// The broker refused or could not record.
    #[error(transparent)]
    Broker(#[from] BrokerError),
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
    /// Order intents sent to the broker.
    pub orders: usize,
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
    /// Dry broker audit log.
    pub audit: PathBuf,
    /// SHA-256 of the policy set that decided.
    pub policy: String,
}

/// A series fully computed, not yet written.
#[derive(Debug, Clone)]
pub struct PlannedSeries {
    /// Series title.
    pub title: String,
    /// Series ticker.
    pub series: String,
    /// The series' fee schedule.
    pub fees: FeeSchedule,
    /// One scan per event with a view.
    pub scans: Vec<EventScan>,
    /// Each scan's view, described.
    pub views: Vec<String>,
    /// Events not scanned, with why.
    pub skipped: Vec<(String, String)>,
    /// Built-in gate and the gate script together.
    pub gate: Gate,
}

/// Everything the planner needs, loaded and validated.
pub struct Inputs {
    /// Configs.
    pub config: ScanConfig,
    /// Fixtures per series.
    pub fixtures: Vec<SeriesFixture>,
    /// Scanner knobs.
    pub params: ScanParams,
}

impl Inputs {
    /// Loads configs and fixtures.
    pub fn load(
        configs: &Path,
        fixtures: &Path,
        series: &[String],
        params: ScanParamsInput,
    ) -> Result<Inputs, SessionError> {
        let mut inputs = Inputs::without_fixtures(configs, params)?;
        inputs.fixtures = load_market_fixtures(fixtures, series)?;
        Ok(inputs)
    }

    /// Loads configs only (for engines that are built but not run, e.g. `policy defs`).
    pub fn without_fixtures(configs: &Path, params: ScanParamsInput) -> Result<Inputs, SessionError> {
        let config = ScanConfig::load(configs)?;
        let params = ScanParams {
            min_ev: params.min_ev,
            contracts: params.contracts,
            max_bins: params.max_bins,
            maker_only: params.maker_only,
            rounding: config.fees.rounding,
            kelly_cap: params.kelly_cap,
        };
        Ok(Inputs { config, fixtures: Vec::new(), params })
    }
}

/// Loads the policy set against the core ceilings, with its own test cases.
pub fn load_policies(policies: &Path, config: &ScanConfig) -> Result<PolicySet, SessionError> {
    let paths = PolicyPaths { policies: policies.to_path_buf(), scripts: None };
    crate::rules::cases::load_checked(&paths, &config.limits).map_err(SessionError::Policy)
}

/// The proposals file's shape.
#[derive(Serialize)]
struct ProposalsFile<'a> {
    generated_at: String,
    series: &'a str,
    broker: &'a str,
    gate: &'a Gate,
    decided_by: &'a str,
    fees: &'a FeeSchedule,
    skipped: &'a [(String, String)],
    events: &'a [EventScan],
}

/// Runs the offline dry session.
pub fn run_offline_scan(req: &ScanRequest, clock: &dyn Clock) -> Result<ScanOutcome, SessionError> {
    let now = clock.now();
    let inputs = Inputs::load(&req.configs, &req.fixtures, &req.series, req.params)?;
    let policies = load_policies(&req.policies, &inputs.config)?;
    let kill_switch = req.kill_switch.exists();
    let planned = plan_session(&inputs, &policies, kill_switch, now)?;

    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let audit = req.out_root.join("data/proc/audit").join(format!("dry_orders_{}.jsonl", now.format("%Y-%m-%d")));
    let mut broker = DryBroker::new(audit.clone());
    let mut outcomes = Vec::with_capacity(planned.len());
    let mut sequence = 0_usize;
    for plan in &planned {
        let orders = submit(plan, &mut broker, &format!("ka-dry-{stamp}"), &mut sequence, now)?;
        let written = Written { broker: &broker, orders, now, stamp: &stamp, policy: policies.digest() };
        outcomes.push(write_series(&req.out_root, plan, &inputs, &written)?);
    }
    Ok(ScanOutcome { series: outcomes, audit, policy: policies.digest().to_string() })
}

/// Sends a GO series' approved and clipped proposals to the broker; returns how many.
pub fn submit(
    plan: &PlannedSeries,
    broker: &mut dyn Broker,
    id_prefix: &str,
    sequence: &mut usize,
    now: DateTime<Utc>,
) -> Result<usize, SessionError> {
    if !plan.gate.go {
        return Ok(0);
    }
    let mut orders = 0;
    for decision in plan.scans.iter().flat_map(|s| &s.decisions).filter(|d| d.verdict != Verdict::Denied) {
        *sequence += 1;
        let intent = OrderIntent::from_proposal(&decision.proposal, format!("{id_prefix}-{:04}", *sequence));
        broker.place(&intent, decision.proposal.ev_order, now)?;
        orders += 1;
    }
    Ok(orders)
}

/// Scans every series, decides every proposal with one ledger across the session, and
/// gates each series (built-in gate and the gate script). No I/O.
pub fn plan_session(
    inputs: &Inputs,
    policies: &PolicySet,
    kill_switch: bool,
    now: DateTime<Utc>,
) -> Result<Vec<PlannedSeries>, SessionError> {
    let mut decider = Decider::new(policies.table(), policies.hook(), Ledger::default());
    inputs.fixtures.iter().map(|f| plan_gated(f, inputs, policies, &mut decider, kill_switch, now)).collect()
}

/// Scans, decides and gates one series. A NO-GO series sends nothing, so its approvals are
/// taken back out of the decider's ledger. No I/O.
pub fn plan_gated(
    fixture: &SeriesFixture,
    inputs: &Inputs,
    policies: &PolicySet,
    decider: &mut Decider<'_>,
    kill_switch: bool,
    now: DateTime<Utc>,
) -> Result<PlannedSeries, SessionError> {
    let before = decider.ledger().clone();
    let mut plan = plan_series(fixture, &inputs.config, &inputs.params, kill_switch, decider)?;
    let context = GateContext {
        series: plan.series.clone(),
        kill_switch,
        book_flags: plan.gate.reasons.iter().filter(|r| r.starts_with("MARKET_PMF")).cloned().collect(),
        monitors: Default::default(),
        // Fixtures are a snapshot taken "now"; there is no exchange to drift from.
        data_age_secs: Some(0.0),
        calibration_age_hours: None,
        heartbeat_age_secs: Some(0.0),
        clock_skew_ms: Some(0),
        now_et: now.with_timezone(&chrono_tz::America::New_York).format("%H:%M").to_string(),
    };
    plan.gate = plan.gate.clone().and(policies.gate(&context));
    if !plan.gate.go {
        decider.restore(before);
    }
    Ok(plan)
}

fn plan_series(
    fixture: &SeriesFixture,
    config: &ScanConfig,
    params: &ScanParams,
    kill_switch: bool,
    decider: &mut Decider<'_>,
) -> Result<PlannedSeries, SessionError> {
    let series = &fixture.series;
    let fee_err = |source| SessionError::Fees { series: series.ticker.clone(), source };
    let mut scans = Vec::new();
    let mut views = Vec::new();
    let mut skipped = Vec::new();
    let mut series_fees = None;
    for ev in &fixture.events {
        let fee_type =
            FeeType::from_api(ev.event.fee_type_override.as_deref().unwrap_or(&series.fee_type)).map_err(fee_err)?;
        let multiplier = FeeMultiplier::from_f64(ev.event.fee_multiplier_override.unwrap_or(series.fee_multiplier))
            .map_err(fee_err)?;
        let fees = config.fees.resolve(&series.ticker, fee_type, multiplier).map_err(fee_err)?;
        let Some(view) = config.views.events.get(&ev.event.event_ticker) else {
            skipped.push((ev.event.event_ticker.clone(), "no view in views.toml".to_string()));
            continue;
        };
        let input = EventInput { event: &ev.event, books: &ev.books, fees: &fees, view };
        let scan = scan_event(input, params, decider)
            .map_err(|source| SessionError::Scan { path: ev.path.clone(), source })?;
        scans.push(scan);
        views.push(describe_view(view));
        series_fees.get_or_insert(fees);
    }
    let fees = match series_fees {
        Some(f) => f,
        None => config
            .fees
            .resolve(
                &series.ticker,
                FeeType::from_api(&series.fee_type).map_err(fee_err)?,
                FeeMultiplier::from_f64(series.fee_multiplier).map_err(fee_err)?,
            )
            .map_err(fee_err)?,
    };
    let gate = builtin_gate(kill_switch, scans.iter().map(|s| (s.event.as_str(), s.flags.as_slice())));
    Ok(PlannedSeries { title: series.title.clone(), series: series.ticker.clone(), fees, scans, views, skipped, gate })
}

fn describe_view(view: &crate::strategies::views::View) -> String {
    use crate::pricing::distribution::Distribution::*;
    let model = match view.model {
        Normal { mean, std } => format!("normal(mean={mean}, std={std})"),
        StudentT { location, scale, df } => format!("student_t(location={location}, scale={scale}, df={df})"),
        SkewNormal { location, scale, shape } => {
            format!("skew_normal(location={location}, scale={scale}, shape={shape})")
        }
    };
    let resolution = view.resolution.map_or_else(String::new, |r| format!(", resolution {r}"));
    let note = view.note.as_deref().map_or_else(String::new, |n| format!(" — {n}"));
    format!("{model}{resolution}{note}")
}

/// What the session did, for the written outputs.
pub struct Written<'a> {
    /// The broker the orders went to.
    pub broker: &'a DryBroker,
    /// Orders sent for this series.
    pub orders: usize,
    /// When.
    pub now: DateTime<Utc>,
    /// `YYYYMMDDTHHMMSSZ`, in file names.
    pub stamp: &'a str,
    /// SHA-256 of the policy set that decided.
    pub policy: &'a str,
}

/// Writes one series' Markdown report and proposals JSON (atomically) under `out_root`.
pub fn write_series(
    out_root: &Path,
    plan: &PlannedSeries,
    inputs: &Inputs,
    w: &Written<'_>,
) -> Result<SeriesOutcome, SessionError> {
    let audit_display = w.broker.audit_path().map_or_else(String::new, |p| relative(p, out_root));
    let report = render_series_report(
        &ReportContext {
            series: &plan.series,
            title: &plan.title,
            generated_at: w.now,
            gate: &plan.gate,
            broker: w.broker.mode(),
            orders_recorded: w.orders,
            audit_path: &audit_display,
            fees: &plan.fees,
            params: &inputs.params,
            ceilings: &inputs.config.limits,
            policy: w.policy,
            skipped: &plan.skipped,
            views: &plan.views,
        },
        &plan.scans,
    );
    let (now, stamp) = (w.now, w.stamp);
    let report_path = out_root.join("reports").join(&plan.series).join(format!("scan_{stamp}.md"));
    write(&report_path, report.as_bytes())?;
    let proposals = ProposalsFile {
        generated_at: now.to_rfc3339(),
        series: &plan.series,
        broker: w.broker.mode(),
        gate: &plan.gate,
        decided_by: &format!("limits.toml + policies sha256={}", w.policy),
        fees: &plan.fees,
        skipped: &plan.skipped,
        events: &plan.scans,
    };
    let json = serde_json::to_vec_pretty(&proposals).expect("proposals serialise");
    let proposals_path =
        out_root.join("data/proc/proposals").join(&plan.series).join(format!("proposals_{stamp}.json"));
    write(&proposals_path, &json)?;
    let decisions = plan.scans.iter().flat_map(|s| &s.decisions);
    Ok(SeriesOutcome {
        series: plan.series.clone(),
        gate: plan.gate.clone(),
        events: plan.scans.len(),
        approved: decisions.clone().filter(|d| d.verdict != Verdict::Denied).count(),
        denied: decisions.filter(|d| d.verdict == Verdict::Denied).count(),
        orders: w.orders,
        report: report_path,
        proposals: proposals_path,
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), SessionError> {
    crate::storage::write_atomic(path, bytes).map_err(|source| SessionError::Write { path: path.to_path_buf(), source })
}

fn relative(path: &Path, root: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}
