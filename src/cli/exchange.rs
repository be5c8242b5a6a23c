//! `kalshi-alpha markets|book|portfolio`: read the exchange (or the simulator, or fixtures).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use kalshi_alpha::drivers::fixtures::load_market_fixtures;
use kalshi_alpha::kalshi::credentials;
use kalshi_alpha::kalshi::market_data::Market;
use kalshi_alpha::kalshi::rest::{PROD_BASE_URL, RestClient, RestConfig};
use kalshi_alpha::model::{OrderBook, Price};
use serde::Serialize;

/// Where to read from.
#[derive(Debug, Clone, Args)]
pub struct Endpoint {
    /// REST base URL (demo: https://external-api.demo.kalshi.co/trade-api/v2; simulator:
    /// http://127.0.0.1:PORT/trade-api/v2).
    #[arg(long, default_value = PROD_BASE_URL)]
    base_url: String,
    /// Archive raw responses under this directory (`<dir>/<date>/…`).
    #[arg(long)]
    archive: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl Endpoint {
    fn client(&self, signed: bool) -> anyhow::Result<RestClient> {
        let signer = if signed { Some(credentials::signer_from_env()?) } else { None };
        let config =
            RestConfig { base_url: self.base_url.clone(), archive_dir: self.archive.clone(), ..RestConfig::default() };
        Ok(RestClient::new(config, signer)?)
    }
}

fn block_on<T>(work: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    kalshi_alpha::kalshi::runtime::current_thread().context("cannot start the runtime")?.block_on(work)
}

/// Arguments of `markets`.
#[derive(Debug, Args)]
pub struct MarketsArgs {
    /// Series ticker, e.g. KXHIGHNY.
    #[arg(long)]
    series: String,
    /// Only markets in this status (`open` for trading).
    #[arg(long)]
    status: Option<String>,
    /// Read fixtures instead of the exchange.
    #[arg(long)]
    offline: bool,
    /// Fixture root for --offline.
    #[arg(long, default_value = "fixtures")]
    fixtures: PathBuf,
    #[command(flatten)]
    endpoint: Endpoint,
}

#[derive(Serialize)]
struct BinRow {
    #[serde(skip)]
    order: (f64, bool),
    ticker: String,
    label: String,
    status: String,
    yes_bid: Option<Price>,
    yes_ask: Option<Price>,
}

#[derive(Serialize)]
struct EventRows {
    event: String,
    bins: Vec<BinRow>,
}

fn strike_order(m: &Market) -> (f64, bool) {
    m.strike().map(|s| s.sort_key()).unwrap_or((f64::INFINITY, false))
}

fn label(m: &Market) -> String {
    m.strike().map(|s| s.label()).unwrap_or_else(|e| format!("? ({e})"))
}

/// Runs `markets`.
pub fn markets(args: MarketsArgs) -> anyhow::Result<ExitCode> {
    let mut events: Vec<EventRows> = Vec::new();
    if args.offline {
        for series in load_market_fixtures(&args.fixtures, std::slice::from_ref(&args.series))? {
            for ev in series.events {
                let bins = ev
                    .event
                    .markets
                    .iter()
                    .filter(|m| {
                        args.status
                            .as_deref()
                            .is_none_or(|s| m.status.as_str() == s || (s == "open" && m.is_tradeable()))
                    })
                    .map(|m| {
                        let book = ev.books.get(&m.ticker).cloned().unwrap_or_default();
                        BinRow {
                            order: strike_order(m),
                            ticker: m.ticker.clone(),
                            label: label(m),
                            status: m.status.to_string(),
                            yes_bid: book.best_yes_bid().map(|t| t.price),
                            yes_ask: book.best_yes_ask().map(|t| t.price),
                        }
                    })
                    .collect();
                events.push(EventRows { event: ev.event.event_ticker.clone(), bins });
            }
        }
    } else {
        let client = args.endpoint.client(false)?;
        let markets = block_on(async { Ok(client.markets(&args.series, args.status.as_deref()).await?) })?;
        for m in markets {
            let row = BinRow {
                order: strike_order(&m),
                ticker: m.ticker.clone(),
                label: label(&m),
                status: m.status.to_string(),
                yes_bid: m.yes_bid()?,
                yes_ask: m.yes_ask()?,
            };
            match events.iter_mut().find(|e| e.event == m.event_ticker) {
                Some(e) => e.bins.push(row),
                None => events.push(EventRows { event: m.event_ticker.clone(), bins: vec![row] }),
            }
        }
    }
    for e in &mut events {
        e.bins.sort_by(|a, b| a.order.partial_cmp(&b.order).unwrap_or(std::cmp::Ordering::Equal));
    }
    if args.endpoint.json {
        println!("{}", serde_json::to_string_pretty(&events)?);
        return Ok(ExitCode::SUCCESS);
    }
    let opt = |p: Option<Price>| p.map_or_else(|| "—".to_string(), |p| p.to_string());
    for e in &events {
        println!("{}", e.event);
        for b in &e.bins {
            println!(
                "  {:<34} {:<16} {:<10} bid {:>7}  ask {:>7}",
                b.ticker,
                b.label,
                b.status,
                opt(b.yes_bid),
                opt(b.yes_ask)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `book`.
#[derive(Debug, Args)]
pub struct BookArgs {
    /// Market ticker.
    ticker: String,
    /// Read fixtures instead of the exchange.
    #[arg(long)]
    offline: bool,
    /// Fixture root for --offline.
    #[arg(long, default_value = "fixtures")]
    fixtures: PathBuf,
    #[command(flatten)]
    endpoint: Endpoint,
}

/// Runs `book`.
pub fn book(args: BookArgs) -> anyhow::Result<ExitCode> {
    let book: OrderBook = if args.offline {
        let path = args.fixtures.join("kalshi/orderbooks").join(format!("{}.json", args.ticker));
        let response: kalshi_alpha::kalshi::market_data::OrderbookResponse = kalshi_alpha::decode::read_json(&path)?;
        response.to_book().with_context(|| path.display().to_string())?
    } else {
        let client = args.endpoint.client(false)?;
        let response = block_on(async { Ok(client.orderbook(&args.ticker).await?) })?;
        response.to_book()?
    };
    if args.endpoint.json {
        let out = serde_json::json!({
            "ticker": args.ticker,
            "yes_bids": book.yes_bids().iter().map(|l| [l.price.to_string(), l.size.to_string()]).collect::<Vec<_>>(),
            "no_bids": book.no_bids().iter().map(|l| [l.price.to_string(), l.size.to_string()]).collect::<Vec<_>>(),
            "best_yes_bid": book.best_yes_bid().map(|t| t.price),
            "best_yes_ask": book.best_yes_ask().map(|t| t.price),
            "yes_mid": book.yes_mid(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}", args.ticker);
    println!("  {:>8} {:>10}   {:>8} {:>10}", "YES bid", "size", "NO bid", "size");
    let (yes, no) = (book.yes_bids(), book.no_bids());
    for i in 0..yes.len().max(no.len()) {
        let cell = |side: &[kalshi_alpha::model::Level], i: usize| {
            side.iter()
                .rev()
                .nth(i)
                .map_or((String::new(), String::new()), |l| (l.price.to_string(), l.size.to_string()))
        };
        let ((yp, ys), (np, ns)) = (cell(yes, i), cell(no, i));
        println!("  {yp:>8} {ys:>10}   {np:>8} {ns:>10}");
    }
    let opt = |p: Option<Price>| p.map_or_else(|| "—".to_string(), |p| p.to_string());
    println!(
        "  best YES bid {}  ask {}  mid {}",
        opt(book.best_yes_bid().map(|t| t.price)),
        opt(book.best_yes_ask().map(|t| t.price)),
        opt(book.yes_mid())
    );
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `portfolio`.
#[derive(Debug, Args)]
pub struct PortfolioArgs {
    /// What to read.
    #[arg(value_enum)]
    what: PortfolioCommand,
    #[command(flatten)]
    endpoint: Endpoint,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PortfolioCommand {
    /// Cash.
    Balance,
    /// Positions per market.
    Positions,
    /// Resting orders.
    Orders,
    /// Fills.
    Fills,
    /// Settled markets and their P&L.
    Settlements,
}

/// Runs `portfolio` (credentials from KALSHI_API_KEY_ID / KALSHI_PRIVATE_KEY_PEM_PATH, .env.local or .env).
pub fn portfolio(args: PortfolioArgs) -> anyhow::Result<ExitCode> {
    let client = args.endpoint.client(true)?;
    let json = args.endpoint.json;
    block_on(async move {
        match args.what {
            PortfolioCommand::Balance => {
                let b = client.balance().await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&b)?);
                } else {
                    println!("cash {}", b.cash());
                }
            }
            PortfolioCommand::Positions => {
                let positions = client.positions().await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&positions)?);
                } else {
                    for p in positions {
                        println!(
                            "{:<34} {:>10}  exposure {:>10}  realized {:>10}",
                            p.ticker,
                            p.contracts(),
                            p.exposure(),
                            p.realized_pnl()
                        );
                    }
                }
            }
            PortfolioCommand::Orders => {
                let orders = client.orders(Some("resting"), None).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&orders)?);
                } else {
                    for o in orders {
                        let side = o.book_side().map_or_else(|| "?".to_string(), |s| s.to_string());
                        let price = o.yes_price()?.map_or_else(|| "—".to_string(), |p| p.to_string());
                        println!(
                            "{:<34} {:<4} {:>8} remaining {:>8}  {}",
                            o.ticker,
                            side,
                            price,
                            o.remaining()?,
                            o.client_order_id
                        );
                    }
                }
            }
            PortfolioCommand::Fills => {
                let fills = client.fills().await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&fills)?);
                } else {
                    for f in fills {
                        let price = f.yes_price()?.map_or_else(|| "—".to_string(), |p| p.to_string());
                        println!(
                            "{:<34} {:>8} x {:>8} fee {:>6} {}",
                            f.market(),
                            price,
                            f.contracts()?,
                            f.fee_cost.unwrap_or_default(),
                            if f.is_taker { "taker" } else { "maker" }
                        );
                    }
                }
            }
            PortfolioCommand::Settlements => {
                let settlements = client.settlements().await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&settlements)?);
                } else {
                    for s in settlements {
                        println!("{:<34} {:<6} P&L {:>10}  {}", s.ticker, s.market_result, s.pnl(), s.settled_time);
                    }
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
