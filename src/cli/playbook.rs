//! `kalshi-alpha playbook list|run`: named session playbooks from `scripts/`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use kalshi_alpha::model::BrokerKind;
use kalshi_alpha::session::arming::ReadinessRule;
use kalshi_alpha::session::launch::{FeedOpener, LaunchDirs, LaunchRequest, Launched, Notice, OutsideWindow, launch};
use kalshi_alpha::session::playbook::list;

use crate::cli::dirs::SessionDirs;
use crate::cli::scan::ScannerArgs;

/// Arguments of `playbook`.
#[derive(Debug, Args)]
pub struct PlaybookArgs {
    #[command(subcommand)]
    command: PlaybookCommand,
}

#[derive(Debug, Subcommand)]
enum PlaybookCommand {
    /// List the playbooks in scripts/.
    List(ListArgs),
    /// Run a playbook; writes a session record under reports/sessions/.
    Run(Box<RunArgs>),
}

#[derive(Debug, Args)]
struct ListArgs {
    /// Playbook directory.
    #[arg(long, default_value = "scripts")]
    scripts: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Playbook name (scripts/NAME.rhai).
    name: String,
    /// Rehearse: wait_until does not sleep, nothing is sent or recorded except the session record.
    #[arg(long)]
    dry_run: bool,
    /// Broker: `dry` records intents; `paper` fills against the books and keeps a ledger;
    /// `live` sends real orders (needs --online, --i-understand-the-risks, --session-notional,
    /// credentials, no kill switch, gate GO, not under CI).
    #[arg(long, value_enum, default_value = "dry")]
    broker: BrokerKind,
    #[command(flatten)]
    arming: crate::cli::trading::ArmingArgs,
    /// Read markets and books from the exchange (or `--base-url`), kept subscribed across steps.
    #[arg(long)]
    online: bool,
    #[command(flatten)]
    exchange: crate::cli::online::OnlineArgs,
    /// Stop the run (cancelling its resting orders) once it has taken this long: 90s, 15m, 2h.
    #[arg(long, value_parser = parse_max_runtime)]
    max_runtime: Option<Duration>,
    /// Run outside the playbook's trading window anyway: only with the dry broker, and every
    /// report and record says FORCE-RUN (DRY).
    #[arg(long, conflicts_with = "snap_to_window")]
    force_run: bool,
    /// Outside the window: `wait` for it to open, or `print` when it opens and exit 0.
    #[arg(long, value_enum)]
    snap_to_window: Option<Snap>,
    #[command(flatten)]
    dirs: SessionDirs,
    #[command(flatten)]
    scanner: ScannerArgs,
    /// Start the session clock at this instant (RFC 3339).
    #[arg(long)]
    now: Option<DateTime<Utc>>,
    /// Print the session record as JSON.
    #[arg(long)]
    json: bool,
}

/// What to do outside the playbook's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Snap {
    /// Sleep until the window opens, then run.
    Wait,
    /// Print when it opens and exit 0.
    Print,
}

/// Exit code of a run refused because its window is closed.
const OUTSIDE_WINDOW: u8 = 3;

fn parse_max_runtime(text: &str) -> Result<Duration, String> {
    kalshi_alpha::schedule::parse_duration(text).ok_or_else(|| format!("`{text}` is not like 90s, 15m or 2h"))
}

/// Runs `playbook`.
pub fn run(args: PlaybookArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        PlaybookCommand::List(a) => {
            let playbooks = list(&a.scripts)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&playbooks)?);
            } else {
                for p in &playbooks {
                    println!("{:<20} {}  sha256={}", p.name, p.description, &p.sha256[..12]);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        PlaybookCommand::Run(a) => run_one(*a),
    }
}

fn run_one(args: RunArgs) -> anyhow::Result<ExitCode> {
    let online = args.online.then(|| {
        let exchange = args.exchange.clone();
        // A live broker also follows its own fills as they happen.
        let user_channels = args.broker == BrokerKind::Live;
        let open: FeedOpener = Box::new(move |config| {
            crate::cli::online::start_feed(&exchange, &[], config, user_channels).map_err(|e| format!("{e:#}"))
        });
        (args.exchange.base_url.clone(), open)
    });
    let outside_window = match (args.snap_to_window, args.force_run) {
        (Some(Snap::Print), _) => OutsideWindow::Print,
        (Some(Snap::Wait), _) => OutsideWindow::Wait,
        (None, true) => OutsideWindow::ForceDryRun,
        (None, false) => OutsideWindow::Refuse,
    };
    let req = LaunchRequest {
        name: args.name,
        dry_run: args.dry_run,
        broker: args.broker,
        risks_acknowledged: args.arming.i_understand_the_risks,
        session_notional: args.arming.session_notional,
        readiness: match args.arming.override_readiness {
            Some(reason) => ReadinessRule::Override(reason),
            None => ReadinessRule::Require,
        },
        online,
        max_runtime: args.max_runtime,
        outside_window,
        dirs: LaunchDirs {
            kill_switch: args.dirs.kill_switch(),
            scripts: args.dirs.scripts,
            policies: args.dirs.policies,
            configs: args.dirs.configs,
            calendars: args.dirs.calendars,
            fixtures: args.dirs.fixtures,
            out: args.dirs.out,
        },
        params: args.scanner.input()?,
        now: args.now,
        // SIGINT or SIGTERM: the current step finishes, resting orders are cancelled.
        stop: Some(kalshi_alpha::session::signals::stop_on_signal()),
    };
    let mut notify = |notice: Notice| match notice {
        Notice::Waiting(line) => println!("{line}"),
        Notice::ForcedDryRun(line) => eprintln!("{line}"),
        Notice::HeartbeatUnwritten(e) => eprintln!("cannot write the heartbeat: {e}"),
        Notice::NotPriced(series) => eprintln!("not priced, will not trade: {series}"),
        Notice::GateNoGo(line) => eprintln!("gate NO-GO {line}"),
    };
    let record = match launch(req, &mut notify)? {
        Launched::Ran(record) => record,
        Launched::OpensAt { message } => {
            println!("{message}");
            return Ok(ExitCode::SUCCESS);
        }
        Launched::OutsideWindow { message } => {
            eprintln!("{message}");
            return Ok(ExitCode::from(OUTSIDE_WINDOW));
        }
        Launched::Refused { refusal, detail } => {
            if let Some(detail) = detail {
                eprintln!("{detail}");
            }
            return Ok(crate::cli::trading::refused(refusal));
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&record)?);
    } else {
        for (series, gate) in &record.gates {
            println!("{series:<16} {}", gate.badge());
        }
        println!(
            "session {}: {} steps, {} order(s) ({} broker); record {}",
            record.outcome,
            record.steps.len(),
            record.orders,
            record.broker,
            record.record.display()
        );
    }
    if let Some(error) = &record.error {
        eprintln!("error: {error}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
