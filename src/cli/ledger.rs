//! `kalshi-alpha ledger show|settle`: the paper (and later live) ledger.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use kalshi_alpha::brokers::ledger_ops::{self, LedgerPlace, MarketSource};
use kalshi_alpha::evidence::monitors::settle_and_refresh;

/// Arguments of `ledger`.
#[derive(Debug, Args)]
pub struct LedgerArgs {
    #[command(subcommand)]
    command: LedgerCommand,
}

#[derive(Debug, Subcommand)]
enum LedgerCommand {
    /// Positions, cash, fees, realised P&L by day and series, unrealised at mid.
    Show(ShowArgs),
    /// Applies the results of settled markets to open positions.
    Settle(SettleArgs),
}

#[derive(Debug, Args)]
struct Common {
    /// Root holding data/proc/ledger/.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// Directory with paper.toml (the starting cash).
    #[arg(long, default_value = "configs")]
    configs: PathBuf,
    /// Fixture root, for marks (offline) and results (`settle --offline`).
    #[arg(long, default_value = "fixtures")]
    fixtures: PathBuf,
    /// The live ledger (`data/proc/ledger/live_journal.jsonl`, cash from zero) instead of paper.
    #[arg(long)]
    live: bool,
}

#[derive(Debug, Args)]
struct ShowArgs {
    #[command(flatten)]
    common: Common,
    /// Mark positions at the exchange's mids (or `--base-url`) instead of the fixtures'.
    #[arg(long)]
    online: bool,
    #[command(flatten)]
    exchange: crate::cli::online::OnlineArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct SettleArgs {
    #[command(flatten)]
    common: Common,
    /// Read results from the exchange (`GET /markets/{ticker}`: status settled/finalized and result).
    #[arg(long, conflicts_with = "offline")]
    online: bool,
    /// Read results from the fixture events' `result` fields (the default).
    #[arg(long)]
    offline: bool,
    #[command(flatten)]
    exchange: crate::cli::online::OnlineArgs,
    /// Settlement time to book when the venue gives none (RFC 3339; default now). Markets are
    /// booked at their own `settlement_ts` (else `close_time`) whenever the venue says it.
    #[arg(long)]
    now: Option<DateTime<Utc>>,
}

/// Runs `ledger`.
pub fn run(args: LedgerArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        LedgerCommand::Show(a) => show(a),
        LedgerCommand::Settle(a) => settle(a),
    }
}

impl Common {
    fn place(&self) -> LedgerPlace {
        LedgerPlace { out: self.out.clone(), configs: self.configs.clone(), live: self.live }
    }
}

fn source<'a>(online: bool, exchange: &'a crate::cli::online::OnlineArgs, common: &'a Common) -> MarketSource<'a> {
    if online { MarketSource::Exchange(&exchange.base_url) } else { MarketSource::Fixtures(&common.fixtures) }
}

fn show(args: ShowArgs) -> anyhow::Result<ExitCode> {
    let shown = ledger_ops::show(&args.common.place(), source(args.online, &args.exchange, &args.common))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&shown)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "cash {}  fees paid {}  realised {}  unrealised at mid {}  equity {}",
        shown.cash, shown.fees_paid, shown.realised_total, shown.unrealised_at_mid, shown.equity_at_mid
    );
    println!("\npositions ({}):", shown.positions.len());
    for p in &shown.positions {
        println!("  {:<32} {:<3} {:>10}  cost {}", p.ticker, p.side.as_str(), p.count.to_string(), p.cost);
    }
    println!("\nresting orders ({}):", shown.open_orders.len());
    for o in &shown.open_orders {
        println!(
            "  {:<32} {:<3} {} × {}  {}",
            o.order.ticker,
            o.order.side.as_str(),
            o.remaining,
            o.order.price,
            o.order.client_order_id
        );
    }
    println!("\nrealised P&L by day (New York) and series:");
    for d in &shown.realised_by_day {
        println!("  {} {:<16} {:>12}  fees {}", d.date, d.series, d.realised.to_string(), d.fees);
    }
    for t in &shown.unmarked {
        println!("note: no mid for {t}; valued at cost");
    }
    Ok(ExitCode::SUCCESS)
}

fn settle(args: SettleArgs) -> anyhow::Result<ExitCode> {
    let source = source(args.online, &args.exchange, &args.common);
    let (report, cusum) = settle_and_refresh(&args.common.place(), source, args.now.unwrap_or_else(Utc::now))?;
    for s in &report.settled {
        if s.at_fallback {
            println!("note: {}: the venue gives no settlement time; booked at {}", s.ticker, s.at.to_rfc3339());
        }
        println!("settled {}: {}", s.ticker, s.result.as_str());
    }
    println!("{} market(s) settled, {} still open", report.settled.len(), report.still_open);
    println!("realised total {}  cash {}", report.realised_total, report.cash);
    for (series, c) in cusum.series.iter().filter(|(_, c)| c.alarm_at.is_some()) {
        println!(
            "CuSum ALARM {series}: sum {:.3} over {} settled fill(s) (`monitors ack {series} --reason ...`)",
            c.value, c.samples
        );
    }
    Ok(ExitCode::SUCCESS)
}
