//! `kalshi-alpha record`: WebSocket traffic to JSONL for later `replay` and `policy whatif`,
//! after a header line with the series and open events (markets nested) it follows.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use kalshi_alpha::feed::market::{fetch_ladders, market_tickers, recorded};
use kalshi_alpha::kalshi::credentials;
use kalshi_alpha::kalshi::replay::header_line;
use kalshi_alpha::kalshi::rest::{PROD_BASE_URL, RestClient, RestConfig};
use kalshi_alpha::kalshi::ws_client::{WsClient, WsConfig, WsEvent, ws_url_for};

/// Arguments of `record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Series whose open markets to record (repeatable).
    #[arg(long = "series", required = true)]
    series: Vec<String>,
    /// Output directory; the file is `<DIR>/<SERIES>_<stamp>.jsonl`.
    #[arg(long)]
    out: PathBuf,
    /// REST base URL (to list the markets).
    #[arg(long, default_value = PROD_BASE_URL)]
    base_url: String,
    /// WebSocket URL (default: the one that goes with --base-url).
    #[arg(long)]
    ws_url: Option<String>,
    /// Channels.
    #[arg(long, value_delimiter = ',', default_value = "orderbook_delta,trade,ticker")]
    channels: Vec<String>,
    /// Stop after this many seconds.
    #[arg(long)]
    duration_s: Option<u64>,
    /// Stop after this many received messages.
    #[arg(long)]
    max_messages: Option<u64>,
}

/// Runs `record`.
pub fn run(args: RecordArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.duration_s.is_some() || args.max_messages.is_some(), "give --duration-s or --max-messages");
    // Signed when credentials exist (the exchange needs them; the simulator does not).
    let signer = credentials::optional_signer_from_env()?.map(Arc::new);
    let ws_url = match &args.ws_url {
        Some(u) => u.clone(),
        None => ws_url_for(&args.base_url)?,
    };
    let runtime = kalshi_alpha::kalshi::runtime::current_thread()?;
    runtime.block_on(async {
        let rest = RestClient::new(RestConfig { base_url: args.base_url.clone(), ..RestConfig::default() }, None)?;
        // Every open event of each series, with its markets: the recording's header.
        let ladders = fetch_ladders(&rest, &args.series, None).await?;
        let markets = market_tickers(&ladders);
        anyhow::ensure!(!markets.is_empty(), "no open markets in {}", args.series.join(", "));
        std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let path = args.out.join(format!("{}_{stamp}.jsonl", args.series.join("+")));
        let file = std::fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut out = std::io::LineWriter::new(file);
        let header = header_line(chrono::Utc::now().timestamp_millis(), &recorded(&ladders))?;
        writeln!(out, "{header}").with_context(|| format!("{}: write failed", path.display()))?;
        let config = WsConfig {
            url: ws_url,
            channels: args.channels.clone(),
            markets,
            use_yes_price: false,
            max_reconnects: 20,
            backoff_base: Duration::from_millis(250),
        };
        let mut client = WsClient::new(config, signer);
        let started = Instant::now();
        let (received, mut write_error) = (std::cell::Cell::new(0_u64), None);
        let limit = args.max_messages;
        let deadline = args.duration_s.map(Duration::from_secs);
        let outcome = client
            .run(
                |_| limit.is_some_and(|n| received.get() >= n) || deadline.is_some_and(|d| started.elapsed() >= d),
                |event| {
                    let line = match event {
                        WsEvent::Sent { text, at_ms } => format!("{{\"sent_ms\":{at_ms},\"cmd\":{text}}}"),
                        WsEvent::Received { text, at_ms } => {
                            received.set(received.get() + 1);
                            format!("{{\"recv_ms\":{at_ms},\"msg\":{text}}}")
                        }
                        WsEvent::Reconnecting { attempt, reason } => {
                            eprintln!("reconnecting ({attempt}): {reason}");
                            return;
                        }
                        WsEvent::Alive { .. } => return,
                    };
                    if let Err(e) = writeln!(out, "{line}") {
                        write_error.get_or_insert(e);
                    }
                },
            )
            .await;
        if let Some(e) = write_error {
            return Err(anyhow::Error::from(e).context(format!("{}: write failed", path.display())));
        }
        outcome?;
        println!("recorded {} messages to {}", received.get(), path.display());
        Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
