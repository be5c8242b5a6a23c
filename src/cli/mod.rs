//! Command-line interface: argument definitions and dispatch. No business logic lives here.

mod auth;
mod console;
mod daemon;
mod data;
mod dirs;
mod doctor;
mod exchange;
mod fees;
mod ledger;
mod monitors;
mod online;
mod playbook;
mod policy;
mod preflight;
mod record;
mod replay;
mod report;
mod research;
mod scan;
mod schedule;
mod sim;
mod trading;
mod whatif;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Research, paper-trade and (carefully) live-trade Kalshi ladder markets.
#[derive(Debug, Parser)]
#[command(name = "kalshi-alpha", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan ladder events: PMFs, EV after fees, proposals, policy limits, dry broker, reports.
    Scan(scan::ScanArgs),
    /// Compute the Kalshi fee of one order.
    Fees(fees::FeesArgs),
    /// Check, dry-run, test, watch and describe the Rhai policy set.
    Policy(policy::PolicyArgs),
    /// List and run session playbooks (scripts/*.rhai).
    Playbook(playbook::PlaybookArgs),
    /// List a series' events and ladders with best bid/ask per bin.
    Markets(exchange::MarketsArgs),
    /// Print one market's order book.
    Book(exchange::BookArgs),
    /// Read the account: balance, positions, orders, fills (signed).
    Portfolio(exchange::PortfolioArgs),
    /// Signed request headers for curl smoke tests.
    Auth(auth::AuthArgs),
    /// Run the local exchange simulator on loopback (HTTP API from fixtures, matching, faults).
    Sim(sim::SimArgs),
    /// The paper ledger: positions, cash, P&L (`show`), settlements (`settle`).
    Ledger(ledger::LedgerArgs),
    /// The schedule of named playbooks: next runs in New York time, validation.
    Schedule(schedule::ScheduleArgs),
    /// Run the schedule's playbooks at their New York times (or rehearse a stretch of it).
    Daemon(daemon::DaemonArgs),
    /// The operator console on 127.0.0.1 without running the schedule: trading state, series
    /// GO/NO-GO, positions, P&L against the caps, data and calibration ages, alarms, runs,
    /// links to the latest reports (`/`, `/status.json`). Read-only.
    Console(console::ConsoleArgs),
    /// Would a run of this playbook be allowed now? Window, kill switch, heartbeat, gates. Writes nothing.
    Preflight(preflight::PreflightArgs),
    /// Check this deployment, read-only: configs, policies, schedule, kill switch, data and
    /// calibration ages, credentials, a signed read, the clock, the WebSocket. Exit 0/1/2 by
    /// the worst line (ok/warn/fail).
    Doctor(doctor::DoctorArgs),
    /// Record WebSocket traffic (JSONL: a header with the ladders, then one message per line
    /// with receive times) for replay and policy whatif.
    Record(record::RecordArgs),
    /// Public data drivers: fetch (network, cache, fixture), show, parse a saved payload.
    Data(data::DataArgs),
    /// Fit a series' strategy parameters from the history kept (writes data/proc/calibration/).
    Calibrate(research::CalibrateArgs),
    /// Score a series' strategy against settled events (CRPS, Brier, log-loss vs the market;
    /// EV after fees); writes reports/backtests/.
    Backtest(research::BacktestArgs),
    /// The latched kill switch: engage (cancel everything, halt), reset, status.
    Kill(trading::KillArgs),
    /// The trading state: ACTIVE, REDUCING (only risk-reducing orders) or HALTED (only cancels).
    State(trading::StateArgs),
    /// Outstanding orders: live (the journal beside the venue, exit 3 when they differ), paper
    /// (the ledger's open orders) or dry (the last intents), with counts by series.
    Orders(trading::OrdersArgs),
    /// Apply a recorded WebSocket session to fresh books; per market: best bid/ask, depth, messages, gaps.
    Replay(replay::ReplayArgs),
    /// Evidence reports: the scoreboard, pilot readiness.
    Report(report::ReportArgs),
    /// The CuSum drift alarms: show, acknowledge.
    Monitors(monitors::MonitorsArgs),
}

/// Parses the command line and runs the chosen command.
pub fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Fees(args) => fees::run(args),
        Command::Policy(args) => policy::run(args),
        Command::Playbook(args) => playbook::run(args),
        Command::Auth(args) => auth::run(args),
        Command::Markets(args) => exchange::markets(args),
        Command::Book(args) => exchange::book(args),
        Command::Portfolio(args) => exchange::portfolio(args),
        Command::Replay(args) => replay::run(args),
        Command::Record(args) => record::run(args),
        Command::Sim(args) => sim::run_sim(args),
        Command::Ledger(args) => ledger::run(args),
        Command::Schedule(args) => schedule::run(args),
        Command::Daemon(args) => daemon::run(args),
        Command::Preflight(args) => preflight::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Console(args) => console::run(args),
        Command::Data(args) => data::run(args),
        Command::Calibrate(args) => research::calibrate(args),
        Command::Backtest(args) => research::backtest(args),
        Command::Kill(args) => trading::kill(args),
        Command::State(args) => trading::state(args),
        Command::Orders(args) => trading::orders(args),
        Command::Report(args) => report::run(args),
        Command::Monitors(args) => monitors::run(args),
    }
}

/// The error for a policy set that does not load, one problem per line.
fn rejected(dir: &std::path::Path, problems: &[kalshi_alpha::rules::host::ScriptError]) -> anyhow::Error {
    let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
    anyhow::anyhow!("policy set {} rejected:\n{}", dir.display(), lines.join("\n"))
}

/// Logs go to stderr, filtered by `RUST_LOG` (default `warn`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
