//! A local exchange simulator on loopback: fixture market data, V2 order entry with
//! price-time-priority matching, the account reads, order groups, a WebSocket with books,
//! fills and order updates, signature checks and injected faults. Every test that talks to "the exchange" talks to this.

pub mod exchange;
pub mod faults;
pub mod flow;
pub mod market;
pub mod server;
pub mod ws;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;

use crate::model::Money;
use crate::sim::faults::{Dice, Faults};
use crate::sim::market::{MarketData, SimFixtureError};
use crate::sim::server::{PublicKeyError, SimState, read_public_key};

/// How to run the simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Fixture root (holds `kalshi/`).
    pub fixtures: PathBuf,
    /// Public key that must sign `/portfolio` requests; none means unchecked.
    pub public_key: Option<PathBuf>,
    /// Faults to inject.
    pub faults: Faults,
    /// Our starting cash.
    pub cash: Money,
    /// Scripted crowd orders (JSONL), sent after start.
    pub flow: Option<PathBuf>,
    /// The flow's clock starts at the first WebSocket subscription instead of at start.
    pub flow_after_subscribe: bool,
}

/// Why the simulator cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Fixtures.
    #[error(transparent)]
    Fixtures(#[from] SimFixtureError),
    /// The public key.
    #[error(transparent)]
    Key(#[from] PublicKeyError),
    /// The flow file.
    #[error(transparent)]
    Flow(#[from] crate::sim::flow::FlowError),
}

/// Builds the shared state from fixtures and settings.
pub fn state(config: &SimConfig) -> Result<Arc<SimState>, SimError> {
    let (markets, exchange) = MarketData::load(&config.fixtures, config.cash)?;
    let public_key = config.public_key.as_deref().map(read_public_key).transpose()?;
    Ok(Arc::new(SimState {
        exchange: Mutex::new(exchange),
        markets: Mutex::new(markets),
        faults: config.faults,
        dice: Mutex::new(Dice::new(config.faults.seed)),
        public_key,
        requests: Mutex::new(0),
        portfolio_reads: Mutex::new(0),
        changes: tokio::sync::broadcast::channel(4096).0,
        subscribed: tokio::sync::watch::channel(false).0,
    }))
}

/// Serves `state` on `listener` (bind `127.0.0.1:0` for tests), playing `flow` alongside.
pub async fn run(
    listener: TcpListener,
    state: Arc<SimState>,
    flow: Vec<flow::FlowOrder>,
    flow_after_subscribe: bool,
) -> std::io::Result<()> {
    tokio::spawn(flow::play(flow, Arc::clone(&state), flow_after_subscribe));
    server::serve(listener, state).await
}

/// The flow file's orders (none without one).
pub fn load_flow(config: &SimConfig) -> Result<Vec<flow::FlowOrder>, SimError> {
    Ok(config.flow.as_deref().map(flow::read_flow).transpose()?.unwrap_or_default())
}
