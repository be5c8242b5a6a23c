//! Arguments shared by commands that read the exchange online (`scan --online`,
//! `playbook run --online`, `ledger settle --online`), and the feed they start.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use kalshi_alpha::config::ScanConfig;
use kalshi_alpha::feed::market::{MarketFeed, OnlineConfig, rest_snapshots};
use kalshi_alpha::kalshi::credentials;
use kalshi_alpha::kalshi::rest::{PROD_BASE_URL, RestConfig};
use kalshi_alpha::kalshi::signing::Signer;
use kalshi_alpha::risk::gate::GateInputs;
use kalshi_alpha::scan::SeriesSnapshot;

/// Where the exchange is.
#[derive(Debug, Clone, Args)]
pub struct OnlineArgs {
    /// REST base URL with --online (demo: https://external-api.demo.kalshi.co/trade-api/v2;
    /// simulator: http://127.0.0.1:PORT/trade-api/v2). The WebSocket URL follows from it.
    #[arg(long, default_value = PROD_BASE_URL)]
    pub base_url: String,
    /// Longest wait for every order book's first snapshot, in seconds.
    #[arg(long, default_value_t = 15)]
    pub snapshot_timeout: u64,
    /// Where one-shot scans read books: `ws` (subscribe and wait for snapshots) or `rest`
    /// (`GET /markets/{t}/orderbook`, no WebSocket). Playbooks always subscribe.
    #[arg(long, value_enum, default_value = "ws")]
    pub books: BookSource,
    /// Keep the session's WebSocket traffic in this JSONL file (`record`'s format), for
    /// `replay` and `policy whatif` (`--books ws` only).
    #[arg(long, value_name = "FILE")]
    pub record: Option<std::path::PathBuf>,
}

/// Where books come from in a one-shot online scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BookSource {
    /// WebSocket snapshots.
    Ws,
    /// REST order-book requests.
    Rest,
}

/// Snapshots and feed gate inputs from one online read.
pub struct Fetched {
    /// The series' snapshots.
    pub series: Vec<SeriesSnapshot>,
    /// Clock skew and feed monitors.
    pub gate: GateInputs,
    /// The base URL.
    pub source: String,
}

/// Public market data needs no key on the simulator; the exchange will say if it does.
fn signer() -> anyhow::Result<Option<Signer>> {
    Ok(credentials::optional_signer_from_env()?)
}

fn online_config(args: &OnlineArgs, series: &[String], config: &ScanConfig, user_channels: bool) -> OnlineConfig {
    let series = if series.is_empty() { config.limits.allowed_series.clone() } else { series.to_vec() };
    let wanted: BTreeSet<String> = config.views.events.keys().cloned().collect();
    OnlineConfig {
        rest: RestConfig { base_url: args.base_url.clone(), ..RestConfig::default() },
        series,
        wanted_events: wanted,
        snapshot_timeout: Duration::from_secs(args.snapshot_timeout),
        record: args.record.clone(),
        user_channels,
    }
}

/// Starts the feed for `series` (default: the allowed series in limits.toml), following the
/// events that have a view; `user_channels` adds the account's `fill` and `user_orders`
/// channels (a live broker's).
pub fn start_feed(
    args: &OnlineArgs,
    series: &[String],
    config: &ScanConfig,
    user_channels: bool,
) -> anyhow::Result<MarketFeed> {
    let online = online_config(args, series, config, user_channels);
    MarketFeed::start(online, signer()?, signer()?).with_context(|| format!("online feed from {}", args.base_url))
}

/// One set of snapshots: from a feed started and stopped for it, or from REST order books.
pub fn fetch_once(args: &OnlineArgs, series: &[String], config: &ScanConfig) -> anyhow::Result<Fetched> {
    if args.books == BookSource::Rest {
        anyhow::ensure!(args.record.is_none(), "--record keeps WebSocket traffic: it needs --books ws");
        let online = online_config(args, series, config, false);
        let (series, gate) =
            rest_snapshots(&online, &config.fees).with_context(|| format!("REST books from {}", args.base_url))?;
        return Ok(Fetched { series, gate, source: args.base_url.clone() });
    }
    let feed = start_feed(args, series, config, false)?;
    let snapshots = feed.snapshots(&config.fees).context("live books")?;
    let fetched = Fetched { series: snapshots, gate: feed.gate_inputs(), source: feed.source().to_string() };
    feed.stop();
    Ok(fetched)
}
