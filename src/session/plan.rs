//! Planning, pure: scan every series, decide every proposal through one decider, gate each
//! series (built-in and script). No I/O.

use crate::session::{Inputs, SessionError};

use chrono::{DateTime, Utc};

use crate::risk::gate::{Gate, GateContext, GateInputs, builtin_gate};
use crate::risk::limits::{Decider, Ledger};
use crate::rules::policy::PolicySet;
use crate::scan::{EventInput, EventScan, LadderSnapshot, SeriesSnapshot, scan_event};

/// A series fully computed, not yet written.
#[derive(Debug, Clone)]
pub struct PlannedSeries {
    /// Series title.
    pub title: String,
    /// Series ticker.
    pub series: String,
    /// The series' fee schedule.
    pub fees: crate::pricing::fees::FeeSchedule,
    /// One scan per event with a view.
    pub scans: Vec<EventScan>,
    /// The snapshot each scan read, in the same order.
    pub snapshots: Vec<LadderSnapshot>,
    /// Each scan's view, described.
    pub views: Vec<String>,
    /// Events not scanned, with why.
    pub skipped: Vec<(String, String)>,
    /// Built-in gate and the gate script together.
    pub gate: Gate,
    /// What the gate judged, with values.
    pub gate_inputs: GateContext,
    /// How old the strategy inputs priced from are (empty source: views only).
    pub input_age: crate::strategies::data::InputAge,
}

impl PlannedSeries {
    /// The book and fees a decision's market was scanned with.
    pub fn market(&self, ticker: &str) -> Option<(&LadderSnapshot, &crate::scan::RungSnapshot)> {
        self.snapshots.iter().find_map(|s| s.rung(ticker).map(|r| (s, r)))
    }
}

/// Scans every series, decides every proposal with one ledger across the session (starting
/// from `ledger`: losses and exposure already on the books), and gates each series. No I/O.
pub fn plan_session(
    inputs: &Inputs,
    policies: &PolicySet,
    gate: &GateInputs,
    ledger: Ledger,
    now: DateTime<Utc>,
) -> Result<Vec<PlannedSeries>, SessionError> {
    let mut decider = Decider::new(policies.table(), policies.hook(), ledger).with_weights(inputs.weights());
    inputs.series.iter().map(|s| plan_gated(s, inputs, policies, &mut decider, gate, now)).collect()
}

/// Scans, decides and gates one series. A NO-GO series sends nothing, so its approvals are
/// taken back out of the decider's ledger. No I/O.
pub fn plan_gated(
    series: &SeriesSnapshot,
    inputs: &Inputs,
    policies: &PolicySet,
    decider: &mut Decider<'_>,
    gate: &GateInputs,
    now: DateTime<Utc>,
) -> Result<PlannedSeries, SessionError> {
    let before = decider.ledger().clone();
    let mut plan = plan_series(series, inputs, gate.kill_switch, decider)?;
    let oldest_ms = plan.snapshots.iter().filter_map(LadderSnapshot::oldest_book).map(|b| b.oldest_ms).max();
    let context = GateContext {
        series: plan.series.clone(),
        kill_switch: gate.kill_switch,
        book_flags: plan.gate.reasons.iter().filter(|r| r.starts_with("MARKET_PMF")).cloned().collect(),
        monitors: gate.monitors_for(&series.ticker),
        data_age_secs: oldest_ms.map(|ms| ms as f64 / 1000.0),
        model_data_age_secs: plan.input_age.secs,
        model_data_source: plan.input_age.source.clone(),
        online: gate.online,
        calibration_age_hours: inputs.strategies.as_ref().and_then(|s| s.calibration_age_hours(&series.ticker, now)),
        heartbeat_age_secs: gate.heartbeat_age_secs,
        clock_skew_ms: gate.clock_skew_ms,
        now_et: now.with_timezone(&chrono_tz::America::New_York).format("%H:%M").to_string(),
    };
    plan.gate = plan.gate.clone().and(policies.gate(&context));
    plan.gate_inputs = context;
    if !plan.gate.go {
        decider.restore(before);
    }
    Ok(plan)
}

fn plan_series(
    series: &SeriesSnapshot,
    inputs: &Inputs,
    kill_switch: bool,
    decider: &mut Decider<'_>,
) -> Result<PlannedSeries, SessionError> {
    let mut scans = Vec::new();
    let mut snapshots = Vec::new();
    let mut views = Vec::new();
    let mut skipped = series.skipped.clone();
    let mut input_age = crate::strategies::data::InputAge::default();
    // Events the strategy could not price, with why: when none could, that is the reason.
    let mut unpriced = Vec::new();
    for snapshot in &series.events {
        let (view, described) = match inputs.config.views.events.get(&snapshot.event) {
            Some(view) => (view.clone(), format!("views.toml: {}", describe_view(view))),
            None => {
                let priced = inputs
                    .strategies
                    .as_ref()
                    .map(|s| crate::strategies::price(&series.ticker, &snapshot.event, &s.data, &s.params));
                match priced {
                    Some(Ok(Some(p))) => {
                        input_age = input_age.older(p.input_age.clone());
                        let described = describe_view(&p.view);
                        (p.view, described)
                    }
                    Some(Err(e)) => {
                        unpriced.push(format!("NO_MODEL: {}: {}", snapshot.event, e.message));
                        skipped.push((snapshot.event.clone(), e.to_string()));
                        continue;
                    }
                    Some(Ok(None)) | None => {
                        skipped.push((snapshot.event.clone(), "no view in views.toml and no strategy".to_string()));
                        continue;
                    }
                }
            }
        };
        let bankroll = inputs.config.sizing.bankroll.get(&series.ticker).copied();
        let input = EventInput { snapshot, view: &view, bankroll };
        let scan = scan_event(input, &inputs.params, decider)
            .map_err(|source| SessionError::Scan { source_name: snapshot.source.clone(), source })?;
        scans.push(scan);
        snapshots.push(snapshot.clone());
        views.push(described);
    }
    let mut gate = builtin_gate(kill_switch, scans.iter().map(|s| (s.event.as_str(), s.flags.as_slice())));
    for reason in left_out_inputs(series, inputs) {
        gate.go = false;
        gate.reasons.push(reason);
    }
    if scans.is_empty() && !unpriced.is_empty() {
        gate.go = false;
        gate.reasons.extend(unpriced);
    }
    Ok(PlannedSeries {
        title: series.title.clone(),
        series: series.ticker.clone(),
        fees: series.fees,
        scans,
        snapshots,
        views,
        skipped,
        gate,
        gate_inputs: GateContext::default(),
        input_age,
    })
}

/// `MODEL_DATA_STALE` for each source the series' strategy reads that was left out — past its
/// `max_age_hours` or unreadable — when an event of the series is priced by the strategy (no
/// view): the series must not quote on what it lacks, and the source is named.
fn left_out_inputs(series: &SeriesSnapshot, inputs: &Inputs) -> Vec<String> {
    let (Some(strategy), Some(context)) = (crate::strategies::Strategy::for_series(&series.ticker), &inputs.strategies)
    else {
        return Vec::new();
    };
    if series.events.iter().all(|e| inputs.config.views.events.contains_key(&e.event)) {
        return Vec::new();
    }
    strategy
        .sources(&series.ticker)
        .into_iter()
        .filter_map(|source| {
            let p = context.data.provenance.get(source.name())?;
            (p.origin.starts_with("stale") || p.origin.starts_with("unreadable"))
                .then(|| format!("MODEL_DATA_STALE: {}: {} ({})", source.name(), p.origin, p.file))
        })
        .collect()
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
