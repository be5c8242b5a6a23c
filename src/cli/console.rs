//! `kalshi-alpha console`: the operator console on 127.0.0.1 without running the schedule —
//! the daemon's page (`/`, `/status.json`, `/reports/…`), read-only.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::cli::dirs::SessionDirs;

/// Arguments of `console`.
#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8787)]
    port: u16,
    #[command(flatten)]
    dirs: SessionDirs,
}

/// Serves the console until interrupted.
pub fn run(args: ConsoleArgs) -> anyhow::Result<ExitCode> {
    let d = &args.dirs;
    let source = kalshi_alpha::daemon::status::StatusSource {
        board: Default::default(),
        out_root: d.out.clone(),
        kill_switch: d.kill_switch(),
        console: Some(kalshi_alpha::daemon::console::ConsolePaths {
            configs: d.configs.clone(),
            policies: d.policies.clone(),
            scripts: d.scripts.clone(),
            fixtures: d.fixtures.clone(),
            out_root: d.out.clone(),
        }),
    };
    let address = kalshi_alpha::daemon::status::serve(args.port, source).context("cannot serve the console")?;
    println!("console on http://{address}/ (and /status.json); read-only; Ctrl-C stops it");
    loop {
        std::thread::park();
    }
}
