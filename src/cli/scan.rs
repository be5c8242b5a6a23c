//! `kalshi-alpha scan`: the offline dry session.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use kalshi_alpha::exec::clock::{Clock, FixedClock, SystemClock};
use kalshi_alpha::exec::offline::{ScanParamsInput, ScanRequest, run_offline_scan};
use kalshi_alpha::model::{Count, Money};

/// Arguments of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Read markets and books from fixture files (required for now: no network access).
    #[arg(long)]
    offline: bool,
    /// Fixture root (holds `kalshi/series`, `kalshi/events`, `kalshi/orderbooks`).
    #[arg(long, default_value = "fixtures")]
    fixtures: PathBuf,
    /// Directory with `limits.toml`, `fees.toml` and `views.toml`.
    #[arg(long, default_value = "configs")]
    configs: PathBuf,
    /// Root directory for `reports/` and `data/`.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// Only this series (repeatable); default: every series with fixtures.
    #[arg(long = "series")]
    series: Vec<String>,
    /// The policy set: `pal.rhai`, `pilot.rhai`, `gates.rhai`, `lib/`, `tests/`.
    #[arg(long, default_value = "policies")]
    policies: PathBuf,
    #[command(flatten)]
    scanner: ScannerArgs,
    /// Broker: only `dry` exists so far (records intents, sends nothing).
    #[arg(long, value_enum, default_value = "dry")]
    broker: BrokerArg,
    /// Kill-switch file; while it exists every series is NO-GO.
    #[arg(long, default_value = "data/proc/state/kill_switch")]
    kill_switch: PathBuf,
    /// Run as of this instant (RFC 3339), e.g. for reproducible reports.
    #[arg(long)]
    now: Option<DateTime<Utc>>,
    /// Print the outcome as JSON.
    #[arg(long)]
    json: bool,
}

/// The scanner's knobs, shared by every command that scans.
#[derive(Debug, Clone, Args)]
pub struct ScannerArgs {
    /// Smallest EV per contract after fees, in dollars.
    #[arg(long, default_value = "0.01")]
    min_ev: Money,
    /// Contracts per proposal before limits.
    #[arg(long, default_value = "10")]
    contracts: Count,
    /// Most bins proposed per event.
    #[arg(long, default_value_t = 2)]
    max_bins: usize,
    /// Also propose taker orders (the limits may still refuse them).
    #[arg(long)]
    allow_taker: bool,
    /// Cap on the reported Kelly fraction.
    #[arg(long, default_value_t = 0.25)]
    kelly_cap: f64,
}

impl ScannerArgs {
    /// Checks the knobs and converts them.
    pub fn input(&self) -> anyhow::Result<ScanParamsInput> {
        anyhow::ensure!(!self.contracts.is_zero(), "--contracts must be positive");
        anyhow::ensure!(
            self.kelly_cap.is_finite() && self.kelly_cap >= 0.0,
            "--kelly-cap must be a non-negative number"
        );
        Ok(ScanParamsInput {
            min_ev: self.min_ev,
            contracts: self.contracts,
            max_bins: self.max_bins,
            maker_only: !self.allow_taker,
            kelly_cap: self.kelly_cap,
        })
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum BrokerArg {
    Dry,
}

/// Runs `scan`.
pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.offline, "online scanning needs Kalshi connectivity, which is not built yet: pass --offline");
    let BrokerArg::Dry = args.broker;
    let kill_switch = crate::cli::under(&args.out, args.kill_switch);
    let request = ScanRequest {
        fixtures: args.fixtures,
        configs: args.configs,
        out_root: args.out,
        series: args.series,
        policies: args.policies,
        params: args.scanner.input()?,
        kill_switch,
    };
    let clock: Box<dyn Clock> = match args.now {
        Some(t) => Box::new(FixedClock(t)),
        None => Box::new(SystemClock),
    };
    let outcome = run_offline_scan(&request, clock.as_ref()).context("offline scan failed")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
        return Ok(ExitCode::SUCCESS);
    }
    for s in &outcome.series {
        println!(
            "{:<16} {:<6} events={} approved={} denied={} orders={} report={}",
            s.series,
            s.gate.badge(),
            s.events,
            s.approved,
            s.denied,
            s.orders,
            s.report.display()
        );
    }
    println!("policy: sha256={}", outcome.policy);
    println!("audit: {}", outcome.audit.display());
    Ok(ExitCode::SUCCESS)
}
