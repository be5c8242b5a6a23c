//! The offline dry session: fixtures → scans → gate → dry broker → reports.
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
use crate::risk::gate::{Gate, builtin_gate};

/// What to scan and where to write.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    /// Fixture root (holds `kalshi/`).
    pub fixtures: PathBuf,
    /// Directory with `limits.toml`, `fees.toml`, `views.toml`.
    pub configs: PathBuf,
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
}

/// A series fully computed, not yet written.
struct PlannedSeries {
    fixture_title: String,
    series: String,
    fees: FeeSchedule,
    scans: Vec<EventScan>,
    views: Vec<String>,
    skipped: Vec<(String, String)>,
    gate: Gate,
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
    let config = ScanConfig::load(&req.configs)?;
    let fixtures = load_market_fixtures(&req.fixtures, &req.series)?;
    let params = ScanParams {
        min_ev: req.params.min_ev,
        contracts: req.params.contracts,
        max_bins: req.params.max_bins,
        maker_only: req.params.maker_only,
        rounding: config.fees.rounding,
        kelly_cap: req.params.kelly_cap,
    };
    let kill_switch = req.kill_switch.exists();
    let planned =
        fixtures.iter().map(|f| plan_series(f, &config, &params, kill_switch)).collect::<Result<Vec<_>, _>>()?;

    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let audit = req.out_root.join("data/proc/audit").join(format!("dry_orders_{}.jsonl", now.format("%Y-%m-%d")));
    let mut broker = DryBroker::new(audit.clone());
    let mut outcomes = Vec::with_capacity(planned.len());
    let mut sequence = 0_usize;
    for plan in &planned {
        let mut orders = 0;
        if plan.gate.go {
            for decision in plan.scans.iter().flat_map(|s| &s.decisions).filter(|d| d.verdict != Verdict::Denied) {
                sequence += 1;
                let intent = OrderIntent::from_proposal(&decision.proposal, format!("ka-dry-{stamp}-{sequence:04}"));
                broker.place(&intent, decision.proposal.ev_order, now)?;
                orders += 1;
            }
        }
        outcomes.push(write_series(req, plan, &params, &config, &broker, orders, now, &stamp)?);
    }
    Ok(ScanOutcome { series: outcomes, audit })
}

fn plan_series(
    fixture: &SeriesFixture,
    config: &ScanConfig,
    params: &ScanParams,
    kill_switch: bool,
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
        let scan = scan_event(input, params, &config.limits)
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
    Ok(PlannedSeries {
        fixture_title: series.title.clone(),
        series: series.ticker.clone(),
        fees,
        scans,
        views,
        skipped,
        gate,
    })
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

#[allow(clippy::too_many_arguments)]
fn write_series(
    req: &ScanRequest,
    plan: &PlannedSeries,
    params: &ScanParams,
    config: &ScanConfig,
    broker: &DryBroker,
    orders: usize,
    now: DateTime<Utc>,
    stamp: &str,
) -> Result<SeriesOutcome, SessionError> {
    let audit_display = relative(broker.audit_path(), &req.out_root);
    let report = render_series_report(
        &ReportContext {
            series: &plan.series,
            title: &plan.fixture_title,
            generated_at: now,
            gate: &plan.gate,
            broker: broker.mode(),
            orders_recorded: orders,
            audit_path: &audit_display,
            fees: &plan.fees,
            params,
            ceilings: &config.limits,
            skipped: &plan.skipped,
            views: &plan.views,
        },
        &plan.scans,
    );
    let report_path = req.out_root.join("reports").join(&plan.series).join(format!("scan_{stamp}.md"));
    write(&report_path, report.as_bytes())?;
    let proposals = ProposalsFile {
        generated_at: now.to_rfc3339(),
        series: &plan.series,
        broker: broker.mode(),
        gate: &plan.gate,
        decided_by: "core ceilings (limits.toml)",
        fees: &plan.fees,
        skipped: &plan.skipped,
        events: &plan.scans,
    };
    let json = serde_json::to_vec_pretty(&proposals).expect("proposals serialise");
    let proposals_path =
        req.out_root.join("data/proc/proposals").join(&plan.series).join(format!("proposals_{stamp}.json"));
    write(&proposals_path, &json)?;
    let decisions = plan.scans.iter().flat_map(|s| &s.decisions);
    Ok(SeriesOutcome {
        series: plan.series.clone(),
        gate: plan.gate.clone(),
        events: plan.scans.len(),
        approved: decisions.clone().filter(|d| d.verdict != Verdict::Denied).count(),
        denied: decisions.filter(|d| d.verdict == Verdict::Denied).count(),
        orders,
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
