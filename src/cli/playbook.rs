//! `kalshi-alpha playbook list|run`: named session playbooks from `scripts/`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use kalshi_alpha::clock::{Clock, FixedClock, SystemClock};
use kalshi_alpha::config::load_limits;
use kalshi_alpha::model::BrokerKind;
use kalshi_alpha::rules::policy::PolicyPaths;
use kalshi_alpha::rules::reload::Reloader;
use kalshi_alpha::schedule::clock_et::show_et;
use kalshi_alpha::session::arming::{LiveGate, gate_live_session};
use kalshi_alpha::session::playbook::{PlaybookRequest, RunControls, list, run as run_playbook};
use kalshi_alpha::session::schedule_files::{declared_window, load_calendars};

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

/// The window check before a run: `Ok(Some(code))` ends the command without running.
fn check_window(
    args: &RunArgs,
    clock: &mut Arc<dyn Clock + Send + Sync>,
) -> anyhow::Result<Result<Option<String>, ExitCode>> {
    let Some(window) = declared_window(&args.dirs.scripts, &args.name)? else { return Ok(Ok(None)) };
    let calendars = if window.calendar.is_some() { load_calendars(&args.dirs.calendars)? } else { Default::default() };
    let now = clock.now();
    if window.is_open(now, &calendars) {
        return Ok(Ok(None));
    }
    let next = window.next_opening(now, &calendars);
    let next_text = next.map_or_else(
        || "no opening within a year".to_string(),
        |t| format!("next opens {} ({})", show_et(t), t.format("%Y-%m-%dT%H:%M:%SZ")),
    );
    let what = format!("{}: outside its window {} at {}; {next_text}", args.name, window.describe(), show_et(now));
    match (args.snap_to_window, args.force_run) {
        (Some(Snap::Print), _) => {
            println!("{what}");
            Ok(Err(ExitCode::SUCCESS))
        }
        (Some(Snap::Wait), _) => {
            let Some(next) = next else { anyhow::bail!("{what}") };
            println!("{what}; waiting");
            let wait = (next - now).to_std().unwrap_or_default();
            if args.now.is_some() {
                // A fixed clock jumps to the opening.
                *clock = Arc::new(FixedClock(next));
            } else {
                let stop = kalshi_alpha::session::signals::stop_on_signal();
                let until = std::time::Instant::now() + wait;
                while std::time::Instant::now() < until {
                    if stop.load(Ordering::Relaxed) {
                        return Ok(Err(ExitCode::from(OUTSIDE_WINDOW)));
                    }
                    std::thread::sleep(Duration::from_millis(200).min(until - std::time::Instant::now()));
                }
            }
            Ok(Ok(None))
        }
        (None, true) if matches!(args.broker, BrokerKind::Dry) => {
            eprintln!("{what}; FORCE-RUN (DRY)");
            Ok(Ok(Some("FORCE-RUN (DRY)".to_string())))
        }
        (None, true) => anyhow::bail!("--force-run is allowed only with the dry broker (this run asked for another)"),
        (None, false) => {
            eprintln!("{what}; nothing written (--force-run runs it with the dry broker, --snap-to-window wait|print)");
            Ok(Err(ExitCode::from(OUTSIDE_WINDOW)))
        }
    }
}

fn run_one(args: RunArgs) -> anyhow::Result<ExitCode> {
    let wants_live = matches!(args.broker, BrokerKind::Live) && !args.dry_run;
    if wants_live && args.now.is_some() {
        // Before the window check: a fake clock must not even pick the window for real money.
        return Ok(crate::cli::trading::refused(kalshi_alpha::safety::arming::ArmingRefusal::VirtualClock));
    }
    let mut clock: Arc<dyn Clock + Send + Sync> = match args.now {
        Some(t) => Arc::new(FixedClock(t)),
        None => Arc::new(SystemClock),
    };
    let banner = if args.dry_run {
        None
    } else {
        match check_window(&args, &mut clock)? {
            Ok(banner) => banner,
            Err(code) => return Ok(code),
        }
    };
    // Paper and live sessions write the ledger and state files: one writer per data directory.
    let _lock = if args.dry_run || matches!(args.broker, BrokerKind::Dry) {
        None
    } else {
        let holder = format!("playbook run {} ({:?})", args.name, args.broker).to_lowercase();
        Some(kalshi_alpha::session::dir_lock::DataDirLock::acquire(&args.dirs.out, &holder)?)
    };
    let core = load_limits(&args.dirs.configs)?;
    let paths = PolicyPaths { policies: args.dirs.policies.clone(), scripts: None };
    let audit = args.dirs.out.join("data/proc/audit/policy_reloads.jsonl");
    let reloader = Reloader::start(paths.clone(), core, audit)
        .map_err(|problems| crate::cli::rejected(&args.dirs.policies, &problems))?;
    let kill_switch = args.dirs.kill_switch();
    let armed = match crate::cli::trading::arm_before_gate(
        wants_live,
        &args.arming,
        &kill_switch,
        load_limits(&args.dirs.configs)?.pretrade.max_notional_per_session,
        args.now.is_some(),
    ) {
        Ok(armed) => armed,
        Err(code) => return Ok(code),
    };
    if armed.is_some() && !args.online {
        eprintln!("error: --broker live needs --online (live orders follow live books)");
        return Ok(ExitCode::from(2));
    }
    let mut req = PlaybookRequest {
        name: args.name,
        scripts: args.dirs.scripts,
        fixtures: args.dirs.fixtures,
        configs: args.dirs.configs,
        out_root: args.dirs.out,
        params: args.scanner.input()?,
        kill_switch,
        dry_run: args.dry_run,
        broker: args.broker,
        live: None,
        controls: RunControls {
            virtual_time: false,
            max_runtime: args.max_runtime,
            // SIGINT or SIGTERM: the current step finishes, resting orders are cancelled.
            stop: Some(kalshi_alpha::session::signals::stop_on_signal()),
        },
        banner,
    };
    let feed = if args.online {
        let config = kalshi_alpha::config::ScanConfig::load(&req.configs)?;
        Some(crate::cli::online::start_feed(&args.exchange, &[], &config)?)
    } else {
        None
    };
    if let (Some(armed), Some(live_feed)) = (armed, feed.as_ref()) {
        let base_url = &args.exchange.base_url;
        let arming =
            gate_live_session(&req, &paths.policies, base_url, armed.signer, armed.ceiling, live_feed, clock.now())?;
        if let Some(e) = &arming.heartbeat_error {
            eprintln!("cannot write the heartbeat: {e}");
        }
        for series in &arming.not_priced {
            eprintln!("not priced, will not trade: {series}");
        }
        match arming.gate {
            LiveGate::Go(setup) => req.live = Some(*setup),
            LiveGate::NoGo(lines) => {
                for line in &lines {
                    eprintln!("gate NO-GO {line}");
                }
                if let Some(feed) = feed {
                    feed.stop();
                }
                return Ok(crate::cli::trading::refused(kalshi_alpha::safety::arming::ArmingRefusal::GateNoGo));
            }
        }
    }
    let handle = reloader.handle();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let outcome = reloader.watch(
                Duration::from_millis(75),
                &stop,
                &SystemClock,
                || {},
                |attempt| {
                    tracing::warn!(target: "policy", "{attempt}");
                },
            );
            if let Err(e) = outcome {
                tracing::error!(target: "policy", "policy watch stopped: {e}");
            }
        })
    };
    let record = run_playbook(req, &paths.lib(), handle, clock, feed);
    stop.store(true, Ordering::Relaxed);
    let _ = watcher.join();
    let record = match record {
        Ok(record) => record,
        Err(e) => match e.live_refusal() {
            Some((refusal, detail)) => {
                eprintln!("{detail}");
                return Ok(crate::cli::trading::refused(refusal));
            }
            None => return Err(e.into()),
        },
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
