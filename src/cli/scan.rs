//! `kalshi-alpha scan`: one scan session, offline from fixtures or online from the exchange.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;
use kalshi_alpha::brokers::controls::KillSwitch;
use kalshi_alpha::clock::{Clock, FixedClock, SystemClock};
use kalshi_alpha::model::BrokerKind;
use kalshi_alpha::model::{Count, Money};
use kalshi_alpha::risk::gate::GateInputs;
use kalshi_alpha::session::{Inputs, ScanParamsInput, ScanRequest, run_scan};

/// Arguments of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Read markets and books from fixture files (the default).
    #[arg(long, conflicts_with = "online")]
    offline: bool,
    /// Read markets over REST and books over the WebSocket from the exchange (or `--base-url`).
    #[arg(long)]
    online: bool,
    #[command(flatten)]
    exchange: crate::cli::online::OnlineArgs,
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
    /// Broker: `dry` records intents and sends nothing; `paper` fills against the books seen
    /// and keeps a ledger under data/proc/ledger/.
    #[arg(long, value_enum, default_value = "dry")]
    broker: BrokerKind,
    /// Kill-switch file; while it exists every series is NO-GO.
    #[arg(long)]
    kill_switch: Option<PathBuf>,
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
    /// Cap on the Kelly fraction (reported; sizes under `--sizing kelly`).
    #[arg(long, default_value_t = 0.25)]
    kelly_cap: f64,
    /// How proposals are sized: `fixed` (`--contracts` each) or `kelly` (the capped Kelly
    /// fraction × the series' bankroll share in configs/sizing.toml, whole contracts); default:
    /// sizing.toml's `mode`. The limits apply after either.
    #[arg(long)]
    sizing: Option<kalshi_alpha::scan::Sizing>,
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
            sizing: self.sizing,
        })
    }
}

/// Runs `scan`.
pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    if matches!(args.broker, BrokerKind::Live) {
        anyhow::bail!(
            "scan does not trade live: `playbook run NAME --online --broker live --i-understand-the-risks --session-notional D`"
        );
    }
    let kill_switch = KillSwitch::for_data_dir(&args.out, args.kill_switch.as_deref());
    // A paper scan writes the ledger and state files: one writer per data directory.
    let _lock = match args.broker {
        BrokerKind::Paper => Some(kalshi_alpha::session::dir_lock::DataDirLock::acquire(&args.out, "scan (paper)")?),
        _ => None,
    };
    let params = args.scanner.input()?;
    let clock: Box<dyn Clock> = match args.now {
        Some(t) => Box::new(FixedClock(t)),
        None => Box::new(SystemClock),
    };
    let (inputs, feed, source) = if args.online {
        let mut inputs = Inputs::configs_only(&args.configs, params)
            .and_then(|i| i.with_strategies(&args.configs, &args.out, &args.fixtures, clock.now(), true))
            .context("online scan failed")?;
        let fetched = crate::cli::online::fetch_once(&args.exchange, &args.series, &inputs.config)?;
        inputs.series = fetched.series;
        (inputs, fetched.gate, fetched.source)
    } else {
        let inputs = Inputs::load(&args.configs, &args.fixtures, &args.series, params)
            .and_then(|i| i.with_strategies(&args.configs, &args.out, &args.fixtures, clock.now(), false))
            .context("offline scan failed")?;
        // Fixtures are a snapshot taken "now"; there is no exchange clock to drift from.
        (inputs, GateInputs { clock_skew_ms: Some(0), ..GateInputs::default() }, "offline".to_string())
    };
    let request = ScanRequest {
        configs: args.configs,
        out_root: args.out,
        policies: args.policies,
        params,
        kill_switch,
        broker: args.broker,
        source,
    };
    let outcome = run_scan(&request, &inputs, feed, clock.as_ref()).context("scan failed")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
        return Ok(ExitCode::SUCCESS);
    }
    for s in &outcome.series {
        println!(
            "{:<16} {:<6} events={} approved={} denied={} orders={} filled={} report={}",
            s.series,
            s.gate.badge(),
            s.events,
            s.approved,
            s.denied,
            s.orders,
            s.filled,
            s.report.display()
        );
    }
    println!("policy: sha256={}", outcome.policy);
    println!("{}: {}", if outcome.broker == "paper" { "journal" } else { "audit" }, outcome.audit.display());
    Ok(ExitCode::SUCCESS)
}
