//! What a session writes: series reports and proposals (atomically), the heartbeat, and the
//! equity the drawdown monitor reads.

use crate::session::{Inputs, PlannedSeries, ScanRequest, Sent, SeriesOutcome, SessionBroker, SessionError};
use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::brokers::paper::PaperBroker;
use crate::brokers::resting_fee_bound;
use crate::model::{Count, Money, Price, Side};
use crate::pricing::fees::Rounding;
use crate::report::markdown::{PaperSection, ReportContext, render_series_report};
use crate::risk::ceilings::Verdict;
use crate::risk::gate::{Gate, GateContext};
use crate::rules::policy::PolicySet;
use crate::scan::{EventScan, SeriesSnapshot};
use crate::session::equity::EquityFile;
use crate::session::heartbeat::{Heartbeat, HeartbeatFile};

/// The proposals file's shape.
#[derive(Serialize)]
struct ProposalsFile<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    banner: Option<&'a str>,
    generated_at: String,
    series: &'a str,
    broker: &'a str,
    gate: &'a Gate,
    gate_inputs: &'a GateContext,
    decided_by: &'a str,
    fees: &'a crate::pricing::fees::FeeSchedule,
    skipped: &'a [(String, String)],
    events: &'a [EventScan],
    /// The report's depth under stable keys: `pilot`, `mispricings_and_kinks`,
    /// `net_ladder_exposure`, `fill_and_slippage`.
    #[serde(flatten)]
    depth: &'a crate::report::depth::SeriesDepth,
}

pub(super) fn write_heartbeat(
    file: &HeartbeatFile,
    now: DateTime<Utc>,
    req: &ScanRequest,
    broker: &SessionBroker,
    policies: &PolicySet,
) -> Result<(), SessionError> {
    let beat = Heartbeat::new(now, &req.source, broker.mode(), broker.open_orders(), policies.digest());
    file.write(&beat).map_err(|source| SessionError::Write { path: file.path().to_path_buf(), source })
}

/// YES mids of every market in the snapshots.
pub fn marks(series: &[SeriesSnapshot]) -> BTreeMap<String, Price> {
    series
        .iter()
        .flat_map(|s| &s.events)
        .flat_map(|e| &e.rungs)
        .filter_map(|r| r.book.yes_mid().map(|m| (r.ticker.clone(), m)))
        .collect()
}

/// The `ledger_drawdown` monitor for a session's broker (`None` for the dry broker, which
/// keeps no ledger): drawdown from the peak in `data/proc/state/equity.json`, marked at
/// `marks`. An equity file that does not read is `unknown: FILE: why`, which the gate takes
/// as NO-GO.
pub fn drawdown_monitor(
    out_root: &Path,
    broker: &SessionBroker,
    marks: &BTreeMap<String, Price>,
    alert: Money,
) -> Option<String> {
    let ledger = broker.ledger()?;
    Some(match EquityFile::under(out_root).drawdown(ledger, marks) {
        Ok(drawdown) => drawdown_status(drawdown, alert),
        Err(e) => format!("unknown: {e}"),
    })
}

/// Records the session's equity for the next drawdown (paper and live); an equity file that
/// does not read is left untouched and the error names it.
pub fn record_equity(
    out_root: &Path,
    broker: &SessionBroker,
    marks: &BTreeMap<String, Price>,
) -> Result<(), SessionError> {
    let Some(ledger) = broker.ledger() else { return Ok(()) };
    EquityFile::under(out_root)
        .record(ledger, marks)
        .map_err(|e| SessionError::Write { path: e.path.clone(), source: std::io::Error::other(e.message) })
}

/// `ok`, `warn` (at half the alert level) or `alert: …`, for a drawdown from peak equity.
pub fn drawdown_status(drawdown: Money, alert: Money) -> String {
    if drawdown >= alert {
        format!("alert: drawdown {drawdown} >= {alert}")
    } else if drawdown + drawdown >= alert {
        "warn".to_string()
    } else {
        "ok".to_string()
    }
}

/// What the session did, for the written outputs.
pub struct Written<'a> {
    /// The broker the orders went to.
    pub broker: &'a SessionBroker,
    /// What this series' submit did.
    pub sent: &'a Sent,
    /// When.
    pub now: DateTime<Utc>,
    /// `YYYYMMDDTHHMMSSZ`, in file names.
    pub stamp: &'a str,
    /// SHA-256 of the policy set that decided.
    pub policy: &'a str,
    /// A banner for the report (`FORCE-RUN (DRY)`).
    pub banner: Option<&'a str>,
    /// YES mids as the report is written (a live feed's books), when the session has them.
    pub later_marks: Option<&'a BTreeMap<String, Price>>,
}

/// Writes one series' Markdown report and proposals JSON (atomically) under `out_root`.
pub fn write_series(
    out_root: &Path,
    plan: &PlannedSeries,
    inputs: &Inputs,
    w: &Written<'_>,
) -> Result<SeriesOutcome, SessionError> {
    let audit_display = w.broker.audit_path().map_or_else(String::new, |p| relative(p, out_root));
    let paper = w.broker.paper().map(|broker| paper_section(plan, broker, w.sent, w.now));
    let outstanding = w.broker.open_by_series();
    let holdings = w.broker.holdings();
    let depth = crate::session::depth::series_depth(
        plan,
        inputs,
        &crate::session::depth::DepthInputs {
            broker: w.broker.mode(),
            holdings: &holdings,
            outstanding_orders: w.broker.open_orders(),
            fills: w.broker.session_fills(),
            later_marks: w.later_marks,
            now: w.now,
        },
    );
    let context = ReportContext {
        series: &plan.series,
        title: &plan.title,
        generated_at: w.now,
        gate: &plan.gate,
        gate_inputs: &plan.gate_inputs,
        broker: w.broker.mode(),
        orders_recorded: w.sent.orders,
        outstanding: &outstanding,
        audit_path: &audit_display,
        fees: &plan.fees,
        params: &inputs.params,
        ceilings: &inputs.config.limits,
        policy: w.policy,
        skipped: &plan.skipped,
        views: &plan.views,
        paper: paper.as_ref(),
        banner: w.banner,
        depth: &depth,
    };
    let report = render_series_report(&context, &plan.scans);
    let page = crate::report::html::series_page(&context, &plan.scans).map_err(|e| SessionError::Write {
        path: out_root.join("reports").join(&plan.series),
        source: std::io::Error::other(e.to_string()),
    })?;
    let (now, stamp) = (w.now, w.stamp);
    let report_path = out_root.join("reports").join(&plan.series).join(format!("scan_{stamp}.md"));
    write(&report_path, report.as_bytes())?;
    write(&report_path.with_extension("html"), page.as_bytes())?;
    let proposals = ProposalsFile {
        banner: w.banner,
        generated_at: now.to_rfc3339(),
        series: &plan.series,
        broker: w.broker.mode(),
        gate: &plan.gate,
        gate_inputs: &plan.gate_inputs,
        decided_by: &format!("limits.toml + policies sha256={}", w.policy),
        fees: &plan.fees,
        skipped: &plan.skipped,
        events: &plan.scans,
        depth: &depth,
    };
    let json = serde_json::to_vec_pretty(&proposals).expect("proposals serialise");
    let proposals_path =
        out_root.join("data/proc/proposals").join(&plan.series).join(format!("proposals_{stamp}.json"));
    write(&proposals_path, &json)?;
    write_index_windows(out_root, plan, inputs, now, &depth.fill_and_slippage)?;
    let decisions = plan.scans.iter().flat_map(|s| &s.decisions);
    Ok(SeriesOutcome {
        series: plan.series.clone(),
        gate: plan.gate.clone(),
        events: plan.scans.len(),
        approved: decisions.clone().filter(|d| d.verdict != Verdict::Denied).count(),
        denied: decisions.filter(|d| d.verdict == Verdict::Denied).count(),
        orders: w.sent.orders,
        filled: w.sent.filled,
        report: report_path,
        proposals: proposals_path,
    })
}

/// An index series' per-window outputs: `reports/index_ladders/<HHMM>/<SERIES>.csv` and `.md`
/// for each event settling at a New York hour.
fn write_index_windows(
    out_root: &Path,
    plan: &PlannedSeries,
    inputs: &Inputs,
    now: DateTime<Utc>,
    fills: &[crate::report::depth::FillSlippage],
) -> Result<(), SessionError> {
    use crate::report::index_window::{Execution, csv, markdown, slippage_drift, window_of};
    if crate::strategies::Strategy::for_series(&plan.series) != Some(crate::strategies::Strategy::Index) {
        return Ok(());
    }
    for scan in &plan.scans {
        let Some(window) = window_of(&scan.event) else { continue };
        let target = crate::strategies::event_date::parse(&scan.event).and_then(|d| d.instant());
        let minutes = target.map_or(0.0, |t| (t - now).num_seconds().max(0) as f64 / 60.0);
        let (alpha, slippage) =
            inputs.config.index_execution.at(minutes).unwrap_or((inputs.config.paper.fill_alpha, Money::ZERO));
        let execution = Execution { minutes, alpha: alpha.as_f64(), slippage };
        let dir = out_root.join("reports/index_ladders").join(window);
        write(&dir.join(format!("{}.csv", plan.series)), csv(scan, execution.alpha).as_bytes())?;
        let event_fills: Vec<_> = fills.iter().filter(|f| f.ticker.starts_with(&format!("{}-", scan.event))).collect();
        let drift = slippage_drift(&event_fills, slippage);
        let md = markdown(scan, &plan.gate_inputs, plan.gate.go, execution, &drift);
        write(&dir.join(format!("{}.md", plan.series)), md.as_bytes())?;
    }
    Ok(())
}

/// The report's paper section for one series: fills against what was asked, expected and
/// mark-to-mid EV of this series' fills, and the exposure the ledger holds.
fn paper_section(plan: &PlannedSeries, broker: &PaperBroker, sent: &Sent, now: DateTime<Utc>) -> PaperSection {
    let ledger = broker.ledger();
    let marks: BTreeMap<String, Price> = plan
        .snapshots
        .iter()
        .flat_map(|s| &s.rungs)
        .filter_map(|r| r.book.yes_mid().map(|m| (r.ticker.clone(), m)))
        .collect();
    let ev_by_ticker: BTreeMap<(&str, Side), Money> = plan
        .scans
        .iter()
        .flat_map(|s| &s.decisions)
        .map(|d| ((d.proposal.ticker.as_str(), d.proposal.side), d.proposal.ev_per_contract))
        .collect();
    let mut samples = Vec::new();
    for f in broker.session_fills().iter().filter(|f| f.series == plan.series) {
        let Some(expected) = ev_by_ticker.get(&(f.ticker.as_str(), f.side)) else { continue };
        let Some(yes_mid) = marks.get(&f.ticker) else { continue };
        let mark = if f.side == Side::Yes { *yes_mid } else { yes_mid.complement() };
        let realised = f.count.times(mark) - f.count.times(f.price) - f.fee;
        samples.push(crate::report::markdown::EvSample {
            notional: f.count.times(f.price),
            expected: expected.share_floor(f.count.centis(), 100),
            realised,
        });
    }
    let exposure = ledger.exposure(now, |o| resting_fee_bound(o, Rounding::Cent));
    let session_fills = broker.session_fills().iter().filter(|f| f.series == plan.series);
    PaperSection {
        requested: sent.requested,
        filled: session_fills.fold(Count::ZERO, |total, f| total + f.count),
        refused: sent.refused.clone(),
        samples,
        exposure_by_series: exposure.by_series,
        realised_total: ledger.realised.iter().filter(|((_, s), _)| *s == plan.series).map(|(_, p)| p.realised).sum(),
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), SessionError> {
    crate::storage::write_replace(path, bytes)
        .map_err(|source| SessionError::Write { path: path.to_path_buf(), source })
}

fn relative(path: &Path, root: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}
