//! `kalshi-alpha schedule next|check`: the schedule of named playbooks, in New York time.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use kalshi_alpha::schedule::{Schedule, When};
use kalshi_alpha::session::schedule_files::{SchedulePaths, load_schedule};

/// Arguments of `schedule`.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    #[command(subcommand)]
    command: ScheduleCommand,
}

#[derive(Debug, Subcommand)]
enum ScheduleCommand {
    /// The next runs: entry, playbook, New York time with offset, UTC.
    Next(NextArgs),
    /// Validates the schedule and its calendars (FILE:LINE: message per problem).
    Check(Files),
}

#[derive(Debug, Clone, Args)]
struct Files {
    /// The schedule.
    #[arg(long, default_value = "configs/schedule.toml")]
    schedule: PathBuf,
    /// The calendars it may name.
    #[arg(long, default_value = "configs/calendars")]
    calendars: PathBuf,
    /// The playbooks it may run.
    #[arg(long, default_value = "scripts")]
    scripts: PathBuf,
}

#[derive(Debug, Args)]
struct NextArgs {
    #[command(flatten)]
    files: Files,
    /// List runs after this instant (RFC 3339; default now).
    #[arg(long)]
    from: Option<DateTime<Utc>>,
    /// How many runs.
    #[arg(long, default_value_t = 10)]
    count: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn load(files: &Files) -> anyhow::Result<Schedule> {
    let paths = SchedulePaths {
        schedule: files.schedule.clone(),
        calendars: files.calendars.clone(),
        scripts: files.scripts.clone(),
    };
    Ok(load_schedule(&paths)?)
}

/// Runs `schedule`.
pub fn run(args: ScheduleArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ScheduleCommand::Next(a) => {
            let schedule = load(&a.files)?;
            let from = a.from.unwrap_or_else(Utc::now);
            let runs = schedule.next_runs(from, a.count);
            if a.json {
                println!("{}", serde_json::to_string_pretty(&runs)?);
            } else {
                for r in &runs {
                    println!("{:<16} {:<16} {}  {}", r.entry, r.playbook, r.et, r.utc.format("%Y-%m-%dT%H:%M:%SZ"));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ScheduleCommand::Check(files) => {
            let schedule = match load(&files) {
                Ok(s) => s,
                Err(e) => {
                    println!("{e}");
                    return Ok(ExitCode::FAILURE);
                }
            };
            for e in &schedule.entries {
                let window = e.window.as_ref().map_or_else(String::new, |w| format!(", window {}", w.describe()));
                let state = if e.enabled { "" } else { " (disabled)" };
                println!(
                    "{}:{}: {} → {} ({}{}), {}{window}, max {}s, missed {}{state}",
                    files.schedule.display(),
                    e.line,
                    e.name,
                    e.playbook,
                    e.broker.as_str(),
                    if e.online { ", online" } else { "" },
                    e.when.describe(),
                    e.max_runtime.as_secs(),
                    e.missed.as_str()
                );
                let calendar = match &e.when {
                    When::Calendar { calendar, .. } => Some(calendar),
                    When::Cron { days, .. } => days.as_ref(),
                };
                if let Some(c) = calendar.and_then(|c| schedule.calendars.get(c)) {
                    println!("  calendar {} covers {} to {}", c.name, c.from, c.to);
                }
            }
            println!("ok: {} entries, {} calendars", schedule.entries.len(), schedule.calendars.len());
            Ok(ExitCode::SUCCESS)
        }
    }
}
