//! `kalshi-alpha ledger show|settle`: the paper (and later live) ledger.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use kalshi_alpha::brokers::journal::{Journal, journal_path, settle_markets};
use kalshi_alpha::brokers::ledger_tables::{tables_dir, write_tables};
use kalshi_alpha::config::ScanConfig;
use kalshi_alpha::drivers::fixtures::load_market_fixtures;
use kalshi_alpha::ledger::{LedgerEvent, LedgerState};
use kalshi_alpha::model::{Money, Price, Side};
use serde::Serialize;

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

fn open(common: &Common) -> anyhow::Result<(Journal, LedgerState)> {
    if common.live {
        let journal = Journal::new(kalshi_alpha::brokers::live::live_journal_path(&common.out));
        let state = journal.replay(kalshi_alpha::model::Money::ZERO)?;
        return Ok((journal, state));
    }
    let config = ScanConfig::load(&common.configs)?;
    let journal = Journal::new(journal_path(&common.out));
    let state = journal.replay(config.paper.starting_cash)?;
    Ok((journal, state))
}

/// A settled market's result and when the venue says it settled.
type Settled = (Side, Option<DateTime<Utc>>);

/// YES mids and settlement results from the fixtures, by market.
fn fixture_markets(root: &std::path::Path) -> anyhow::Result<(BTreeMap<String, Price>, BTreeMap<String, Settled>)> {
    let mut marks = BTreeMap::new();
    let mut results = BTreeMap::new();
    for series in load_market_fixtures(root, &[])? {
        for ev in series.events {
            for m in &ev.event.markets {
                if let Some(mid) = ev.books.get(&m.ticker).and_then(|b| b.yes_mid()) {
                    marks.insert(m.ticker.clone(), mid);
                }
                if let Some(side) = m.settled_result() {
                    results.insert(m.ticker.clone(), (side, m.settled_at()));
                }
            }
        }
    }
    Ok((marks, results))
}

/// YES mids and results of `tickers` from the exchange.
fn exchange_markets(
    exchange: &crate::cli::online::OnlineArgs,
    tickers: &[String],
) -> anyhow::Result<(BTreeMap<String, Price>, BTreeMap<String, Settled>)> {
    use kalshi_alpha::kalshi::rest::{RestClient, RestConfig};
    let client = RestClient::new(RestConfig { base_url: exchange.base_url.clone(), ..RestConfig::default() }, None)?;
    let runtime = kalshi_alpha::kalshi::runtime::current_thread()?;
    runtime.block_on(async {
        let mut marks = BTreeMap::new();
        let mut results = BTreeMap::new();
        for t in tickers {
            let market = client.market(t).await.with_context(|| format!("market {t}"))?.market;
            if let Some(side) = market.settled_result() {
                results.insert(t.clone(), (side, market.settled_at()));
            } else if let Some(mid) = client.orderbook(t).await?.to_book()?.yes_mid() {
                marks.insert(t.clone(), mid);
            }
        }
        Ok((marks, results))
    })
}

#[derive(Serialize)]
struct DayRow {
    date: String,
    series: String,
    realised: Money,
    fees: Money,
}

#[derive(Serialize)]
struct Shown<'a> {
    cash: Money,
    fees_paid: Money,
    realised_total: Money,
    unrealised_at_mid: Money,
    equity_at_mid: Money,
    positions: Vec<&'a kalshi_alpha::ledger::Position>,
    open_orders: Vec<&'a kalshi_alpha::ledger::OpenOrder>,
    realised_by_day: Vec<DayRow>,
    unmarked: Vec<String>,
}

fn show(args: ShowArgs) -> anyhow::Result<ExitCode> {
    let (_, state) = open(&args.common)?;
    let tickers: Vec<String> = state.positions.keys().cloned().collect();
    let (marks, _) =
        if args.online { exchange_markets(&args.exchange, &tickers)? } else { fixture_markets(&args.common.fixtures)? };
    let unmarked: Vec<String> = tickers.iter().filter(|t| !marks.contains_key(*t)).cloned().collect();
    let shown = Shown {
        cash: state.cash,
        fees_paid: state.fees_paid,
        realised_total: state.realised.values().map(|d| d.realised).sum(),
        unrealised_at_mid: state.unrealised(&marks),
        equity_at_mid: state.equity(&marks),
        positions: state.positions.values().collect(),
        open_orders: state.open_orders.values().collect(),
        realised_by_day: state
            .realised
            .iter()
            .map(|((d, s), p)| DayRow { date: d.to_string(), series: s.clone(), realised: p.realised, fees: p.fees })
            .collect(),
        unmarked,
    };
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
    let (journal, mut state) = open(&args.common)?;
    let unsettled: Vec<String> = state.unsettled_markets().into_iter().collect();
    let (_, results) = if args.online {
        exchange_markets(&args.exchange, &unsettled)?
    } else {
        fixture_markets(&args.common.fixtures)?
    };
    let settled = settle_markets(&journal, &mut state, &results, args.now.unwrap_or_else(Utc::now))?;
    for s in &settled {
        if s.at_fallback {
            println!("note: {}: the venue gives no settlement time; booked at {}", s.ticker, s.at.to_rfc3339());
        }
        println!("settled {}: {}", s.ticker, s.result.as_str());
    }
    let applied = settled.len();
    let events: Vec<LedgerEvent> = journal.events()?.into_iter().map(|(_, e)| e).collect();
    let dir = tables_dir(&args.common.out);
    let dir = if args.common.live { dir.join("live") } else { dir };
    write_tables(&dir, &events, &state)?;
    println!("{applied} market(s) settled, {} still open", unsettled.len() - applied);
    println!("realised total {}  cash {}", state.realised.values().map(|d| d.realised).sum::<Money>(), state.cash);
    Ok(ExitCode::SUCCESS)
}
