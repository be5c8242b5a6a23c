//! `kalshi-alpha monitors show|ack`: the CuSum drift alarms and their acknowledgement.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, Subcommand};
use kalshi_alpha::evidence::monitors::{acknowledge, refresh_cusum};

/// Arguments of `monitors`.
#[derive(Debug, Args)]
pub struct MonitorsArgs {
    #[command(subcommand)]
    command: MonitorsCommand,
    /// Root holding data/.
    #[arg(long, default_value = ".", global = true)]
    out: PathBuf,
    /// Directory with readiness.toml (the CuSum's k and h) and paper.toml.
    #[arg(long, default_value = "configs", global = true)]
    configs: PathBuf,
}

#[derive(Debug, Subcommand)]
enum MonitorsCommand {
    /// Recompute each series' CuSum from the ledgers and show it.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Acknowledge a series' CuSum alarm (audited); its sum restarts from later fills and
    /// the series may be GO again.
    Ack {
        /// The series.
        series: String,
        /// Why (audited).
        #[arg(long)]
        reason: String,
    },
}

/// Runs `monitors`.
pub fn run(args: MonitorsArgs) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    match args.command {
        MonitorsCommand::Show { json } => {
            let state = refresh_cusum(&args.out, &args.configs, now)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&state)?);
            } else if state.series.is_empty() {
                println!("no settled fills with expectations yet: no CuSum");
            } else {
                for (series, c) in &state.series {
                    println!(
                        "cusum_{series:<16} {:<5} sum {:.3} over {} fill(s){}",
                        c.status(),
                        c.value,
                        c.samples,
                        c.alarm_at.map_or_else(String::new, |a| format!(", alarm since {}", a.to_rfc3339()))
                    );
                }
            }
        }
        MonitorsCommand::Ack { series, reason } => {
            anyhow::ensure!(!reason.trim().is_empty(), "--reason must say why");
            acknowledge(&args.out, &args.configs, &series, &reason, now)?;
            println!("cusum_{series} acknowledged: {reason} (audited in data/proc/audit/monitors.jsonl)");
        }
    }
    Ok(ExitCode::SUCCESS)
}
