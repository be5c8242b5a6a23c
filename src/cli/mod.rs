//! Command-line interface: argument definitions and dispatch. No business logic lives here.

mod fees;
mod playbook;
mod policy;
mod scan;

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
}

/// Parses the command line and runs the chosen command.
pub fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Fees(args) => fees::run(args),
        Command::Policy(args) => policy::run(args),
        Command::Playbook(args) => playbook::run(args),
    }
}

/// Logs go to stderr, filtered by `RUST_LOG` (default `warn`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
