//! `kalshi-alpha sim`: the local exchange simulator on loopback.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use kalshi_alpha::model::Money;
use kalshi_alpha::sim::faults::Faults;
use kalshi_alpha::sim::{SimConfig, load_flow, run, state};

/// Arguments of `sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// Fixture root (holds kalshi/).
    #[arg(long, default_value = "fixtures")]
    fixtures: PathBuf,
    /// Public key (PEM: RSA SPKI/PKCS#1 or Ed25519 SPKI) that must sign /portfolio requests and
    /// WebSocket handshakes; unchecked without it.
    #[arg(long)]
    public_key: Option<PathBuf>,
    /// Faults, e.g. `429=0.2,5xx=0.1,latency_ms=50,lose=0.3,seed=7`.
    #[arg(long, default_value = "")]
    faults: Faults,
    /// Scripted crowd orders, one JSON object per line (`after_ms`, `ticker`, `side`, `price`, `count`).
    #[arg(long)]
    flow: Option<PathBuf>,
    /// Start the flow's clock at the first WebSocket subscription instead of at start.
    #[arg(long)]
    flow_after_subscribe: bool,
    /// Starting cash of the simulated account, dollars.
    #[arg(long, default_value = "1000.00")]
    cash: Money,
}

/// Runs `sim` until interrupted.
pub fn run_sim(args: SimArgs) -> anyhow::Result<ExitCode> {
    let config = SimConfig {
        fixtures: args.fixtures,
        public_key: args.public_key,
        faults: args.faults,
        cash: args.cash,
        flow: args.flow,
        flow_after_subscribe: args.flow_after_subscribe,
    };
    let flow = load_flow(&config)?;
    let shared = state(&config)?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
            .await
            .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
        let address = listener.local_addr()?;
        println!("sim listening on http://{address}/trade-api/v2");
        run(listener, shared, flow, config.flow_after_subscribe).await.context("simulator stopped")
    })?;
    Ok(ExitCode::SUCCESS)
}
