//! `kalshi-alpha daemon`: runs the schedule's playbooks at their New York times.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;
use kalshi_alpha::clock::SystemClock;
use kalshi_alpha::config::load_limits;
use kalshi_alpha::daemon::{Daemon, DaemonConfig, Wake};
use kalshi_alpha::rules::policy::PolicyPaths;
use kalshi_alpha::rules::reload::Reloader;
use kalshi_alpha::session::dir_lock::DataDirLock;
use kalshi_alpha::session::schedule_files::SchedulePaths;
use notify::{RecursiveMode, Watcher};

use crate::cli::dirs::SessionDirs;
use crate::cli::scan::ScannerArgs;

/// Arguments of `daemon`.
#[derive(Debug, Args)]
pub struct DaemonArgs {
    /// The schedule.
    #[arg(long, default_value = "configs/schedule.toml")]
    schedule: PathBuf,
    #[command(flatten)]
    dirs: SessionDirs,
    #[command(flatten)]
    scanner: ScannerArgs,
    /// Rehearse: walk the schedule in virtual time from --from (default now) to this instant,
    /// running every due playbook on a virtual clock, then exit.
    #[arg(long)]
    rehearse_until: Option<DateTime<Utc>>,
    /// Start instant of a rehearsal (RFC 3339).
    #[arg(long, requires = "rehearse_until")]
    from: Option<DateTime<Utc>>,
    /// REST base URL for entries with `online = true` (demo, or the simulator).
    #[arg(long, default_value = kalshi_alpha::kalshi::rest::PROD_BASE_URL)]
    base_url: String,
    /// Serve the status page on 127.0.0.1:PORT (`/` HTML, `/status.json`); 0 picks a free port.
    #[arg(long)]
    status_port: Option<u16>,
}

/// Files whose edits reload the set: TOML and Rhai, not editors' temporary files.
fn is_watched(path: &std::path::Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    !name.starts_with('.') && !name.ends_with('~') && path.extension().is_some_and(|e| e == "toml" || e == "rhai")
}

/// Runs `daemon`.
pub fn run(args: DaemonArgs) -> anyhow::Result<ExitCode> {
    let _lock = DataDirLock::acquire(&args.dirs.out, "daemon")?;
    let core = load_limits(&args.dirs.configs)?;
    // Playbooks belong to the set: an edit that breaks one is refused with the rest.
    let policy_paths = PolicyPaths { policies: args.dirs.policies.clone(), scripts: Some(args.dirs.scripts.clone()) };
    let audit = args.dirs.out.join("data/proc/audit/policy_reloads.jsonl");
    let reloader = Reloader::start(policy_paths.clone(), core, audit)
        .map_err(|problems| crate::cli::rejected(&args.dirs.policies, &problems))?;
    let config = DaemonConfig {
        paths: SchedulePaths {
            schedule: args.schedule.clone(),
            calendars: args.dirs.calendars.clone(),
            scripts: args.dirs.scripts.clone(),
        },
        kill_switch: args.dirs.kill_switch(),
        configs: args.dirs.configs.clone(),
        fixtures: args.dirs.fixtures.clone(),
        out_root: args.dirs.out.clone(),
        params: args.scanner.input()?,
        rehearse_until: args.rehearse_until,
        base_url: args.base_url.clone(),
    };
    // The daemon waits on this: stops from the signal thread, edits from the watcher.
    let (wake_tx, wake_rx) = std::sync::mpsc::channel();
    let signal_tx = wake_tx.clone();
    let stop = kalshi_alpha::session::signals::stop_on_signal_then(move || {
        let _ = signal_tx.send(Wake::Stop);
    });
    let mut daemon =
        Daemon::new(config.clone(), reloader.handle(), policy_paths.lib(), Arc::clone(&stop))?.with_reloader(reloader);
    if let Some(until) = config.rehearse_until {
        let from = args.from.unwrap_or_else(Utc::now);
        let runs = daemon.rehearse(from, until)?;
        println!("rehearsed {runs} run(s) from {} to {}", from.to_rfc3339(), until.to_rfc3339());
        return Ok(ExitCode::SUCCESS);
    }

    // Policies, playbooks, the schedule and calendars wake the daemon, which reloads them as one.
    let changed_tx = wake_tx.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if event.kind.is_create() || event.kind.is_modify() || event.kind.is_remove() {
            for path in event.paths.into_iter().filter(|p| is_watched(p)) {
                let _ = changed_tx.send(Wake::Changed(path));
            }
        }
    })
    .context("cannot watch for edits")?;
    let schedule_dir =
        config.paths.schedule.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    for (dir, mode) in [
        (schedule_dir, RecursiveMode::NonRecursive),
        (config.paths.calendars.as_path(), RecursiveMode::NonRecursive),
        (args.dirs.policies.as_path(), RecursiveMode::Recursive),
        (args.dirs.scripts.as_path(), RecursiveMode::NonRecursive),
    ] {
        watcher.watch(dir, mode).with_context(|| format!("cannot watch {}", dir.display()))?;
    }
    if let Some(port) = args.status_port {
        let source = kalshi_alpha::daemon::status::StatusSource {
            board: daemon.board(),
            out_root: config.out_root.clone(),
            kill_switch: config.kill_switch.clone(),
            console: Some(kalshi_alpha::daemon::console::ConsolePaths {
                configs: args.dirs.configs.clone(),
                policies: args.dirs.policies.clone(),
                scripts: args.dirs.scripts.clone(),
                fixtures: args.dirs.fixtures.clone(),
                out_root: config.out_root.clone(),
            }),
        };
        let address = kalshi_alpha::daemon::status::serve(port, source).context("cannot serve the status page")?;
        println!("status page on http://{address}/ (and /status.json)");
    }
    println!("daemon running ({} entries); SIGINT or SIGTERM stops it", config.paths.schedule.display());
    daemon.serve(&wake_rx, &SystemClock)?;
    drop(watcher);
    println!("daemon stopped");
    Ok(ExitCode::SUCCESS)
}
