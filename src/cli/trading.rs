//! The live lane's commands: `kill engage|reset|status`, `state show|set`, `orders`, and the
//! way an arming refusal is printed.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use clap::{Args, Subcommand};
use kalshi_alpha::brokers::controls::{KillSwitch, StateStore};
use kalshi_alpha::brokers::order_journal::{OrderJournal, order_journal_path};
use kalshi_alpha::brokers::venue::{fetch_venue, orders_view};
use kalshi_alpha::kalshi::credentials;
use kalshi_alpha::kalshi::rest::{PROD_BASE_URL, RestClient, RestConfig};
use kalshi_alpha::model::Money;
use kalshi_alpha::safety::arming::ArmingRefusal;
use kalshi_alpha::safety::state::{Changer, TradingState};

/// Where the state files are.
#[derive(Debug, Clone, Args)]
pub struct ControlDirs {
    /// Root for data/ (the state and audit files live under it).
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// An extra kill-switch file (relative paths live under --out); the data directory's own
    /// `data/proc/state/kill_switch` is always engaged, reset and read as well.
    #[arg(long)]
    kill_switch: Option<PathBuf>,
}

impl ControlDirs {
    fn kill(&self) -> KillSwitch {
        KillSwitch::for_data_dir(&self.out, self.kill_switch.as_deref())
    }
}

/// `kill`.
#[derive(Debug, Args)]
pub struct KillArgs {
    #[command(subcommand)]
    what: KillCommand,
    #[command(flatten)]
    dirs: ControlDirs,
}

#[derive(Debug, Subcommand)]
enum KillCommand {
    /// Engage the kill switch: a running live session cancels everything (cancel-all, its
    /// order group triggered) and halts; nothing new is sent until `kill reset`.
    Engage {
        /// Why (audited).
        #[arg(long)]
        reason: String,
        /// Also send cancel-all to this venue now (REST base URL), for when no live session is
        /// running to do it (a crashed or hung one). Needs credentials.
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Release the latch. Trading stays HALTED until `state set` says otherwise.
    Reset {
        /// Why (audited).
        #[arg(long)]
        reason: String,
    },
    /// Engaged or not, and why.
    Status,
}

/// Runs `kill`.
pub fn kill(args: KillArgs) -> anyhow::Result<ExitCode> {
    let kill = args.dirs.kill();
    let now = Utc::now();
    match args.what {
        KillCommand::Engage { reason, base_url } => {
            let venue = base_url.as_deref();
            let engaged = kalshi_alpha::brokers::operator_kill::engage(&args.dirs.out, &kill, &reason, venue, now)?;
            println!("kill switch ENGAGED ({}): {}", engaged.record.reason, engaged.path.display());
            if let (Some(url), Some(_)) = (&base_url, engaged.cancel_all_at) {
                println!("cancel-all sent to {url}");
            }
        }
        KillCommand::Reset { reason } => {
            if kill.reset(&reason, now)? {
                println!("kill switch reset; trading state stays as it is (`state set active --reason ...` to resume)");
            } else {
                println!("kill switch was not engaged");
            }
        }
        KillCommand::Status => match kill.engaged() {
            Some(r) => println!("ENGAGED by {:?} at {} ms: {}", r.by, r.at_ms, r.reason),
            None => println!("off"),
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// `state`.
#[derive(Debug, Args)]
pub struct StateArgs {
    #[command(subcommand)]
    what: StateCommand,
    #[command(flatten)]
    dirs: ControlDirs,
}

#[derive(Debug, Subcommand)]
enum StateCommand {
    /// The trading state and how it came to be.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set the trading state (operators may loosen it; everything else only tightens).
    Set {
        /// active, reducing or halted.
        state: TradingState,
        /// Why (audited).
        #[arg(long)]
        reason: String,
    },
}

/// Runs `state`.
pub fn state(args: StateArgs) -> anyhow::Result<ExitCode> {
    let store = StateStore::under(&args.dirs.out);
    let now = Utc::now();
    match args.what {
        StateCommand::Show { json } => {
            let record = store.load(now)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&record)?);
            } else {
                println!(
                    "{} (by {:?} at {}: {})",
                    record.state.as_str().to_uppercase(),
                    record.by,
                    record.at.to_rfc3339(),
                    record.reason
                );
            }
        }
        StateCommand::Set { state, reason } => {
            if state != TradingState::Halted && args.dirs.kill().engaged().is_some() {
                anyhow::bail!("the kill switch is engaged: `kill reset --reason ...` first");
            }
            let record = store.request(state, Changer::Operator, &reason, now)?;
            println!("trading state {}", record.state.as_str().to_uppercase());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `orders`.
#[derive(Debug, Args)]
pub struct OrdersArgs {
    /// Whose orders: `live` (the journal beside the venue), `paper` (the ledger's open
    /// orders) or `dry` (the newest dry audit's intents not taken back).
    #[arg(long, value_enum, default_value = "live")]
    broker: OrdersBroker,
    /// Directory with paper.toml (the paper ledger's starting cash).
    #[arg(long, default_value = "configs")]
    configs: PathBuf,
    /// Root for data/.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// REST base URL of the venue to compare with.
    #[arg(long, default_value = PROD_BASE_URL)]
    base_url: String,
    /// Local journal only; do not ask the venue.
    #[arg(long)]
    offline: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Which broker's orders `orders` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OrdersBroker {
    /// The newest dry audit's intents.
    Dry,
    /// The paper ledger's open orders.
    Paper,
    /// The live journal beside the venue.
    Live,
}

/// Prints the dry or paper broker's outstanding orders and counts by series.
fn outstanding(args: &OrdersArgs) -> anyhow::Result<ExitCode> {
    use kalshi_alpha::brokers::outstanding;
    let view = if args.broker == OrdersBroker::Paper {
        let config = kalshi_alpha::config::ScanConfig::load(&args.configs)?;
        outstanding::paper(&args.out, config.paper.starting_cash)?
    } else {
        outstanding::dry(&args.out)?
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&view)?);
        return Ok(ExitCode::SUCCESS);
    }
    match &view.source {
        Some(path) => println!("{} orders outstanding in {}", view.broker.as_str(), path.display()),
        None => println!("{}: nothing recorded yet", view.broker.as_str()),
    }
    for o in &view.orders {
        println!("{:<44} {:<30} {:<4} {:>8} {:>9}", o.client_order_id, o.ticker, o.side.as_str(), o.price, o.remaining);
    }
    for (series, c) in &view.by_series {
        println!("{series}: {} order(s), {} contract(s)", c.orders, c.contracts);
    }
    println!("{} outstanding in all", view.orders.len());
    Ok(ExitCode::SUCCESS)
}

/// Runs `orders`: the journal's orders beside the venue's, and every difference (live), or
/// the dry or paper broker's outstanding orders.
pub fn orders(args: OrdersArgs) -> anyhow::Result<ExitCode> {
    if args.broker != OrdersBroker::Live {
        return outstanding(&args);
    }
    let path = order_journal_path(&args.out);
    let journal = OrderJournal::read_only(path.clone())?;
    let venue = if args.offline {
        None
    } else {
        let rest = RestClient::new(
            RestConfig { base_url: args.base_url.clone(), ..RestConfig::default() },
            Some(credentials::signer_from_env()?),
        )?;
        let runtime = kalshi_alpha::kalshi::runtime::current_thread()?;
        Some(
            runtime
                .block_on(fetch_venue(&rest, None))
                .with_context(|| format!("venue state from {}", args.base_url))?,
        )
    };
    let view = orders_view(&journal, venue.as_ref().map(|v| (args.base_url.as_str(), v)), Utc::now());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        println!("{} ({} records)", view.journal, view.records);
        println!(
            "{:<44} {:<30} {:<4} {:>8} {:<9} {:>9} {:>8} | {:<8} {:>9}",
            "client_order_id", "ticker", "side", "price", "local", "remaining", "filled", "venue", "remaining"
        );
        for r in &view.orders {
            println!(
                "{:<44} {:<30} {:<4} {:>8} {:<9} {:>9} {:>8} | {:<8} {:>9}{}",
                r.client_order_id,
                r.ticker,
                r.side,
                r.price,
                r.local_status,
                r.local_remaining,
                r.filled,
                r.venue_status.as_deref().unwrap_or("-"),
                r.venue_remaining.as_deref().unwrap_or("-"),
                if r.differs { "  DIFFERS" } else { "" }
            );
        }
        match &view.venue {
            None => println!("venue: not asked (--offline)"),
            Some(url) if view.differences.is_empty() && view.pending_records == 0 => {
                println!("venue {url}: matches the journal")
            }
            Some(url) => {
                println!("venue {url}: {} update(s) the next reconciliation will record", view.pending_records);
                for d in &view.differences {
                    println!("  difference: {}", serde_json::to_string(d)?);
                }
                for o in &view.venue_only {
                    println!("  at the venue, not in the journal: {o}");
                }
            }
        }
    }
    let clean = view.clean();
    Ok(if clean { ExitCode::SUCCESS } else { ExitCode::from(3) })
}

/// The arming flags of `playbook run`.
#[derive(Debug, Clone, Args)]
pub struct ArmingArgs {
    /// Required with `--broker live`: real orders, real money.
    #[arg(long)]
    pub i_understand_the_risks: bool,
    /// The session's notional ceiling in dollars (required with `--broker live`; at most
    /// `[pretrade] max_notional_per_session` in limits.toml).
    #[arg(long)]
    pub session_notional: Option<Money>,
    /// Trade series that `report readiness` does not call READY, for this reason (audited to
    /// data/proc/audit/readiness_overrides.jsonl). Without it they are NO-GO `NOT_READY`.
    #[arg(long, value_name = "REASON")]
    pub override_readiness: Option<String>,
}

/// Prints an arming refusal and gives its exit code.
pub fn refused(refusal: ArmingRefusal) -> ExitCode {
    eprintln!(
        "live trading refused ({}): {}",
        serde_json::to_string(&refusal).unwrap_or_default().trim_matches('"'),
        refusal.message()
    );
    ExitCode::from(refusal.exit_code())
}
