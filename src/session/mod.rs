//! A scan session: market snapshots (fixtures under `--offline`, or the exchange online) →
//! scans → policy set (limits, hooks, gate) → broker (dry or paper) → reports.
//!
//! Everything is loaded, validated and computed before the first byte is written, so bad
//! input leaves no partial output. Reports and proposals are written atomically; the paper
//! ledger's journal is appended and fsync'd as orders and fills happen.

/// One writer per data directory (an exclusive `flock`).
pub mod dir_lock;
/// Peak equity across sessions, for the drawdown monitor.
pub mod equity;
/// The heartbeat state file the gate reads.
pub mod heartbeat;
/// Session playbooks and their host steps.
pub mod playbook;
/// Evaluating a policy set against fixtures (and another set).
pub mod policy_eval;
/// SIGINT/SIGTERM as a stop flag.
pub mod signals;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use thiserror::Error;

use crate::clock::Clock;
use crate::config::{ConfigError, ScanConfig};
use crate::drivers::fixtures::{FixtureError, load_market_fixtures};
use crate::brokers::{Broker, BrokerError, DryBroker, OrderContext, OrderIntent, Placed, new_client_order_id};
use crate::session::equity::EquityFile;
use crate::session::heartbeat::{Heartbeat, HeartbeatFile};
use crate::brokers::journal::{Journal, journal_path};
use crate::brokers::live::{LiveBroker, LiveSetup};
use crate::brokers::paper::PaperBroker;
use crate::ledger::{LedgerState, OpenOrder};
use crate::model::{Count, Money, Price, Role, Side};
use crate::pricing::fees::{FeeMultiplier, FeeSchedule, Rounding};
use crate::report::markdown::{PaperSection, ReportContext, render_series_report};
use crate::risk::ceilings::Verdict;
use crate::risk::gate::{Gate, GateContext, builtin_gate};
use crate::risk::limits::{Decider, Ledger};
use crate::rules::host::ScriptError;
use crate::rules::policy::{PolicyPaths, PolicySet};
use crate::scan::{EventInput, EventScan, LadderSnapshot, ScanError, ScanParams, SeriesSnapshot, scan_event};

/// Which broker a session sends orders to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BrokerKind {
    /// Records intents to an audit log; nothing fills.
    Dry,
    /// Fills against the books seen, with a persisted ledger.
    Paper,
    /// Real orders at the exchange (armed sessions only; opened from a `LiveSetup`).
    Live,
}

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

/// Everything the planner needs, loaded and validated.
pub struct Inputs {
    /// Configs.
    pub config: ScanConfig,
    /// Market snapshots per series.
    pub series: Vec<SeriesSnapshot>,
    /// Scanner knobs.
    pub params: ScanParams,
    /// What strategies price from (events without an operator view); none: views only.
    pub strategies: Option<StrategyContext>,
}

/// What the strategies price from: driver data, parameters (configured, with calibrations
/// in place) and the calibrations used.
#[derive(Debug, Clone)]
pub struct StrategyContext {
    /// Driver data.
    pub data: crate::strategies::data::DataSet,
    /// Parameters.
    pub params: crate::strategies::params::StrategyParams,
    /// Calibrations applied, by strategy.
    pub calibrations: BTreeMap<String, crate::strategies::params::Calibration>,
}

impl StrategyContext {
    /// Loads `configs/strategies.toml`, `configs/data.toml`, the calibrations under
    /// `out_root/data/proc/calibration/`, the CPI release calendar, and the driver data
    /// (`out_root/data/proc`, else `fixtures/data`; `online` sessions never use fixtures).
    pub fn load(
        configs: &Path,
        out_root: &Path,
        fixtures: &Path,
        now: DateTime<Utc>,
        online: bool,
    ) -> Result<StrategyContext, SessionError> {
        use crate::drivers::source::DataConfig;
        use crate::strategies::params::{Calibration, StrategyParams};
        let mut params: StrategyParams =
            crate::decode::read_toml(&configs.join("strategies.toml")).map_err(ConfigError::from)?;
        let data_config: DataConfig =
            crate::decode::read_toml(&configs.join("data.toml")).map_err(ConfigError::from)?;
        let mut calibrations = BTreeMap::new();
        let dir = out_root.join("data/proc/calibration");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect())
            .unwrap_or_default();
        files.sort();
        for path in files {
            let calibration: Calibration = crate::decode::read_toml(&path).map_err(ConfigError::from)?;
            params = params.with(&calibration).map_err(|message| SessionError::Write {
                path: path.clone(),
                source: std::io::Error::other(message),
            })?;
            calibrations.insert(calibration.strategy.clone(), calibration);
        }
        let store = crate::drivers::store::DataStore::new(out_root, fixtures);
        let mut data = crate::research::dataset::load(&store, &data_config, now, online);
        let releases = configs.join("calendars/cpi_release.toml");
        if let Ok(text) = std::fs::read_to_string(&releases)
            && let Ok(calendar) = crate::schedule::calendar::Calendar::parse(&releases, &text)
        {
            data.release_days = calendar.from_date(chrono::NaiveDate::MIN).collect();
        }
        Ok(StrategyContext { data, params, calibrations })
    }

    /// Hours since the calibration the series' strategy uses was fitted (none: configured values).
    pub fn calibration_age_hours(&self, series: &str, now: DateTime<Utc>) -> Option<f64> {
        let name = crate::strategies::strategy_name(series)?;
        self.calibrations.get(name).map(|c| c.age_hours(now))
    }
}

impl Inputs {
    /// Loads configs and turns the fixtures into snapshots (books are "now": age 0).
    pub fn load(
        configs: &Path,
        fixtures: &Path,
        series: &[String],
        params: ScanParamsInput,
    ) -> Result<Inputs, SessionError> {
        let mut inputs = Inputs::configs_only(configs, params)?;
        inputs.series = fixture_snapshots(fixtures, series, &inputs.config)?;
        Ok(inputs)
    }

    /// Loads configs only (markets come later, e.g. from the exchange).
    pub fn configs_only(configs: &Path, params: ScanParamsInput) -> Result<Inputs, SessionError> {
        let config = ScanConfig::load(configs)?;
        let params = ScanParams {
            min_ev: params.min_ev,
            contracts: params.contracts,
            max_bins: params.max_bins,
            maker_only: params.maker_only,
            rounding: config.fees.rounding,
            kelly_cap: params.kelly_cap,
        };
        Ok(Inputs { config, series: Vec::new(), params, strategies: None })
    }

    /// These inputs with strategies for the events that have no operator view.
    pub fn with_strategies(
        mut self,
        configs: &Path,
        out_root: &Path,
        fixtures: &Path,
        now: DateTime<Utc>,
        online: bool,
    ) -> Result<Inputs, SessionError> {
        self.strategies = Some(StrategyContext::load(configs, out_root, fixtures, now, online)?);
        Ok(self)
    }
}

/// The fixtures under `root` as snapshots, each error naming its file.
pub fn fixture_snapshots(
    root: &Path,
    series: &[String],
    config: &ScanConfig,
) -> Result<Vec<SeriesSnapshot>, SessionError> {
    use crate::feed::snapshot::{from_books, series_fees};
    let mut out = Vec::new();
    for fixture in load_market_fixtures(root, series)? {
        let invalid = |path: &Path, e: crate::feed::snapshot::SnapshotError| FixtureError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let series_path = root.join("kalshi/series").join(format!("{}.json", fixture.series.ticker));
        let fees = series_fees(&fixture.series, &config.fees).map_err(|e| invalid(&series_path, e))?;
        let mut events = Vec::new();
        for ev in &fixture.events {
            let source = ev.path.display().to_string();
            events.push(
                from_books(&fixture.series, &ev.event, &ev.books, 0, &config.fees, &source)
                    .map_err(|e| invalid(&ev.path, e))?,
            );
        }
        out.push(SeriesSnapshot {
            ticker: fixture.series.ticker.clone(),
            title: fixture.series.title.clone(),
            fees,
            events,
            skipped: Vec::new(),
        });
    }
    Ok(out)
}

/// Loads the policy set against the core ceilings, with its own test cases.
pub fn load_policies(policies: &Path, config: &ScanConfig) -> Result<PolicySet, SessionError> {
    let paths = PolicyPaths { policies: policies.to_path_buf(), scripts: None };
    crate::rules::cases::load_checked(&paths, &config.limits).map_err(SessionError::Policy)
}

/// The gate's inputs that do not come from the scan itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GateInputs {
    /// The kill-switch file exists.
    pub kill_switch: bool,
    /// Age of the heartbeat file, seconds (`None`: missing or unreadable).
    pub heartbeat_age_secs: Option<f64>,
    /// Local minus exchange clock, ms (`None`: unknown).
    pub clock_skew_ms: Option<i64>,
    /// Monitor name → `ok`/`warn`/`alert`, from the feed and the ledger.
    pub monitors: BTreeMap<String, String>,
    /// Market data comes from the exchange (online or live), not fixtures.
    pub online: bool,
}

impl GateInputs {
    /// A session judged as fresh: heartbeat just written, no clock skew, no monitors (policy
    /// evaluation against fixtures and rehearsals, which have no exchange and write nothing).
    pub fn fresh() -> GateInputs {
        GateInputs { heartbeat_age_secs: Some(0.0), clock_skew_ms: Some(0), ..GateInputs::default() }
    }
}

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
}

/// A session's broker: dry or paper.
pub enum SessionBroker {
    /// Audit log only.
    Dry(DryBroker),
    /// Paper fills and a ledger.
    Paper(Box<PaperBroker>),
    /// Real orders.
    Live(Box<LiveBroker>),
}

impl SessionBroker {
    /// Opens the broker a request names under `out_root` (`audit_day` names the dry log).
    pub fn open(
        kind: BrokerKind,
        out_root: &Path,
        config: &ScanConfig,
        now: DateTime<Utc>,
    ) -> Result<SessionBroker, SessionError> {
        Ok(match kind {
            BrokerKind::Dry => SessionBroker::Dry(DryBroker::new(
                out_root.join("data/proc/audit").join(format!("dry_orders_{}.jsonl", now.format("%Y-%m-%d"))),
            )),
            BrokerKind::Paper => SessionBroker::Paper(Box::new(PaperBroker::open(
                config.paper.clone(),
                Journal::new(journal_path(out_root)),
            )?)),
            BrokerKind::Live => return Err(SessionError::LiveNeedsSetup),
        })
    }

    /// Opens the live broker (arming already passed or refused into `setup.armed`).
    pub fn open_live(setup: LiveSetup, now: DateTime<Utc>) -> Result<SessionBroker, SessionError> {
        Ok(SessionBroker::Live(Box::new(LiveBroker::open(setup, now)?)))
    }

    /// Lets the broker see a planned series before its orders: the live broker keeps each
    /// event's model outcome bins for VaR, and acts on the gate (NO-GO → REDUCING; a `KILL:`
    /// rule engages the kill switch).
    pub fn observe_plan(&mut self, plan: &PlannedSeries, now: DateTime<Utc>) -> Result<(), BrokerError> {
        if let SessionBroker::Live(live) = self {
            for scan in &plan.scans {
                let tickers: Vec<String> = scan.rows.iter().map(|r| r.ticker.clone()).collect();
                let outcomes = crate::safety::var::EventOutcomes::from_ladder(scan.kind, &tickers, &scan.model_bins);
                live.observe_event(&scan.series, &scan.event, outcomes);
            }
            live.on_gate(&plan.series, plan.gate.go, &plan.gate.reasons, now)?;
        }
        Ok(())
    }

    /// The live broker, if live.
    pub fn live(&mut self) -> Option<&mut LiveBroker> {
        match self {
            SessionBroker::Live(b) => Some(b),
            _ => None,
        }
    }

    /// The broker as the trait.
    pub fn broker(&mut self) -> &mut dyn Broker {
        match self {
            SessionBroker::Dry(b) => b,
            SessionBroker::Paper(b) => b.as_mut(),
            SessionBroker::Live(b) => b.as_mut(),
        }
    }

    /// Orders resting at the broker.
    pub fn open_orders(&self) -> usize {
        match self {
            SessionBroker::Dry(b) => b.open_orders(),
            SessionBroker::Paper(b) => b.open_orders(),
            SessionBroker::Live(b) => b.open_orders(),
        }
    }

    /// Its mode.
    pub fn mode(&self) -> &'static str {
        match self {
            SessionBroker::Dry(b) => b.mode(),
            SessionBroker::Paper(b) => b.mode(),
            SessionBroker::Live(b) => b.mode(),
        }
    }

    /// The audit log or journal.
    pub fn audit_path(&self) -> Option<&Path> {
        match self {
            SessionBroker::Dry(b) => b.audit_path(),
            SessionBroker::Paper(b) => Some(b.journal().path()),
            SessionBroker::Live(b) => Some(b.journal().path()),
        }
    }

    /// The paper broker, if paper.
    pub fn paper(&self) -> Option<&PaperBroker> {
        match self {
            SessionBroker::Paper(b) => Some(b),
            _ => None,
        }
    }

    /// Rebuilds the parquet tables from the journal (paper only).
    pub fn write_tables(&self, out_root: &Path) -> Result<(), SessionError> {
        let Some(paper) = self.paper() else { return Ok(()) };
        let events: Vec<_> = paper.journal().events()?.into_iter().map(|(_, e)| e).collect();
        crate::brokers::ledger_tables::write_tables(
            &crate::brokers::ledger_tables::tables_dir(out_root),
            &events,
            paper.ledger(),
        )
        .map_err(|e| SessionError::Write { path: e.path.clone(), source: std::io::Error::other(e.message) })?;
        Ok(())
    }

    /// The paper or live ledger.
    pub fn ledger(&self) -> Option<&LedgerState> {
        match self {
            SessionBroker::Dry(_) => None,
            SessionBroker::Paper(b) => Some(b.ledger()),
            SessionBroker::Live(b) => Some(b.ledger()),
        }
    }

    /// What the limits count before this session's decisions: the paper ledger's realised
    /// losses and open exposure (none for the dry broker).
    pub fn exposure(&self, now: DateTime<Utc>, rounding: Rounding) -> Ledger {
        self.ledger().map_or_else(Ledger::default, |l| l.exposure(now, |o| resting_fee_bound(o, rounding)))
    }
}

/// A resting order's fee as the limits count it: the full taker rate at multiplier 1, the
/// most a quadratic series charges (conservative: the order's own schedule may charge less).
pub fn resting_fee_bound(order: &OpenOrder, rounding: Rounding) -> Money {
    FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE).fee(
        Role::Taker,
        order.order.price,
        order.remaining,
        rounding,
    )
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
    let ledger = broker.exposure(now, inputs.params.rounding);
    let planned = plan_session(inputs, &policies, &gate_inputs, ledger, now)?;

    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let mut outcomes = Vec::with_capacity(planned.len());
    for plan in &planned {
        let sent = submit(plan, &mut broker, now)?;
        let written =
            Written { broker: &broker, sent: &sent, now, stamp: &stamp, policy: policies.digest(), banner: None };
        outcomes.push(write_series(&req.out_root, plan, inputs, &written)?);
    }
    broker.broker().finish(now)?;
    broker.write_tables(&req.out_root)?;
    record_equity(&req.out_root, &broker, &marks)?;
    write_heartbeat(&heartbeat, now, req, &broker, &policies)?;
    Ok(ScanOutcome {
        series: outcomes,
        broker: broker.mode(),
        audit: broker.audit_path().map(Path::to_path_buf).unwrap_or_default(),
        policy: policies.digest().to_string(),
    })
}

fn write_heartbeat(
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

/// What a series' submit did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Sent {
    /// Orders placed.
    pub orders: usize,
    /// Contracts asked for.
    pub requested: Count,
    /// Contracts filled at once.
    pub filled: Count,
    /// Orders a broker refused (post-only crosses), with why.
    pub refused: Vec<String>,
}

/// Sends a GO series' approved and clipped proposals to the broker.
pub fn submit(plan: &PlannedSeries, broker: &mut SessionBroker, now: DateTime<Utc>) -> Result<Sent, SessionError> {
    let mut sent = Sent::default();
    broker.observe_plan(plan, now)?;
    if !plan.gate.go {
        return Ok(sent);
    }
    let mode = broker.mode();
    for decision in plan.scans.iter().flat_map(|s| &s.decisions).filter(|d| d.verdict != Verdict::Denied) {
        let p = &decision.proposal;
        let (snapshot, rung) = plan.market(&p.ticker).expect("decisions come from the plan's snapshots");
        let intent = OrderIntent::from_proposal(p, new_client_order_id(mode));
        let ctx = OrderContext { proposal: p, fees: &snapshot.fees, book: &rung.book };
        match broker.broker().place(&intent, &ctx, now) {
            Ok(Placed { filled, .. }) => {
                sent.orders += 1;
                sent.requested = sent.requested + intent.count;
                sent.filled = sent.filled + filled;
            }
            Err(BrokerError::PostOnlyCross(id)) => sent.refused.push(format!("{id}: post-only order would cross")),
            Err(BrokerError::Refused { client_order_id, code, .. }) => {
                sent.refused.push(format!("{client_order_id}: {code}"))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(sent)
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
    let mut decider = Decider::new(policies.table(), policies.hook(), ledger);
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
        monitors: gate.monitors.clone(),
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
        let input = EventInput { snapshot, view: &view };
        let scan = scan_event(input, &inputs.params, decider)
            .map_err(|source| SessionError::Scan { source_name: snapshot.source.clone(), source })?;
        scans.push(scan);
        snapshots.push(snapshot.clone());
        views.push(described);
    }
    let gate = builtin_gate(kill_switch, scans.iter().map(|s| (s.event.as_str(), s.flags.as_slice())));
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
    let report = render_series_report(
        &ReportContext {
            series: &plan.series,
            title: &plan.title,
            generated_at: w.now,
            gate: &plan.gate,
            gate_inputs: &plan.gate_inputs,
            broker: w.broker.mode(),
            orders_recorded: w.sent.orders,
            audit_path: &audit_display,
            fees: &plan.fees,
            params: &inputs.params,
            ceilings: &inputs.config.limits,
            policy: w.policy,
            skipped: &plan.skipped,
            views: &plan.views,
            paper: paper.as_ref(),
            banner: w.banner,
        },
        &plan.scans,
    );
    let (now, stamp) = (w.now, w.stamp);
    let report_path = out_root.join("reports").join(&plan.series).join(format!("scan_{stamp}.md"));
    write(&report_path, report.as_bytes())?;
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
        orders: w.sent.orders,
        filled: w.sent.filled,
        report: report_path,
        proposals: proposals_path,
    })
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
    crate::storage::write_atomic(path, bytes).map_err(|source| SessionError::Write { path: path.to_path_buf(), source })
}

fn relative(path: &Path, root: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}
