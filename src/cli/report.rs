//! `kalshi-alpha report scoreboard|readiness|bundle`: evidence reports over the ledgers and decisions.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};

use crate::cli::dirs::DataDirs;
use kalshi_alpha::evidence::bundle::write_bundle;
use kalshi_alpha::evidence::monitors::refresh_readiness;
use kalshi_alpha::evidence::report_scoreboards;
use kalshi_alpha::evidence::scoreboard::Window;

/// Arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    command: ReportCommand,
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Per series and in total, paper and live apart: decisions, proposals, fills, fill
    /// realism vs α, expected vs realised edge (bps, t), P&L, fees, hit rate, drawdown, Brier
    /// and log-loss, freshness. Writes reports/scoreboard_<window>.md and
    /// reports/_artifacts/scoreboard_<window>.json.
    Scoreboard(ScoreboardArgs),
    /// Pilot readiness per series against configs/readiness.toml: READY or NOT READY, each
    /// criterion with its value and pass/fail. Writes reports/pilot_readiness.md and
    /// reports/_artifacts/pilot_ready.json (which arming a live session reads).
    Readiness(ReadinessArgs),
    /// One folder (and a .tar.gz) for a series' pilot decision: last session records and scan
    /// report, scoreboards, readiness, EV honesty, CuSum, heartbeat, feed health, and
    /// README_pilot.md — a checklist ending in a final GO/NO-GO with its rationale.
    Bundle(BundleArgs),
}

#[derive(Debug, Args)]
struct BundleArgs {
    /// The series.
    series: String,
    #[command(flatten)]
    place: DataDirs,
    /// Where the bundle folder and archive go (default reports/bundles/).
    #[arg(long = "bundle-dir")]
    bundle_dir: Option<PathBuf>,
    /// Judge at this instant (RFC 3339; default now).
    #[arg(long)]
    now: Option<DateTime<Utc>>,
}

#[derive(Debug, Args)]
struct ReadinessArgs {
    #[command(flatten)]
    place: DataDirs,
    /// Judge at this instant (RFC 3339; default now).
    #[arg(long)]
    now: Option<DateTime<Utc>>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ScoreboardArgs {
    /// Windows ending now, in days (repeatable): 7d, 30d.
    #[arg(long = "window", default_values = ["7d", "30d"])]
    windows: Vec<Window>,
    #[command(flatten)]
    place: DataDirs,
    /// The window's end (RFC 3339; default now).
    #[arg(long)]
    now: Option<DateTime<Utc>>,
    /// Print the scoreboards as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `report`.
pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ReportCommand::Scoreboard(a) => run_scoreboard(a),
        ReportCommand::Readiness(a) => run_readiness(a),
        ReportCommand::Bundle(a) => run_bundle(a),
    }
}

fn run_scoreboard(args: ScoreboardArgs) -> anyhow::Result<ExitCode> {
    let now = args.now.unwrap_or_else(Utc::now);
    let written = report_scoreboards(&args.place.evidence(), &args.windows, now)?;
    if args.json {
        let boards: Vec<_> = written.iter().map(|(b, _)| b).collect();
        println!("{}", serde_json::to_string_pretty(&boards)?);
        return Ok(ExitCode::SUCCESS);
    }
    for (board, md) in &written {
        let paper = &board.paper.total;
        println!(
            "{:>4}: {} run(s), GO rate {}; paper {} order(s), {} fill(s) ({} settled), realised {}; live {} order(s); {}",
            board.window.label,
            board.decisions.runs,
            board.decisions.go_rate.map_or_else(|| "-".to_string(), |r| format!("{:.0}%", 100.0 * r)),
            paper.orders,
            paper.fills,
            paper.settled_fills,
            paper.realised_pnl,
            board.live.total.orders,
            md.display()
        );
    }
    println!("EV honesty: reports/_artifacts/ev_honesty.json");
    Ok(ExitCode::SUCCESS)
}

fn run_readiness(args: ReadinessArgs) -> anyhow::Result<ExitCode> {
    let now = args.now.unwrap_or_else(Utc::now);
    let readiness = refresh_readiness(&args.place.evidence(), now)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&readiness)?);
        return Ok(ExitCode::SUCCESS);
    }
    for (series, s) in &readiness.series {
        let failed: Vec<&str> = s.criteria.iter().filter(|c| !c.pass).map(|c| c.name.as_str()).collect();
        if s.ready {
            println!("{series:<16} READY");
        } else {
            println!("{series:<16} NOT READY ({})", failed.join(", "));
        }
    }
    println!("reports/pilot_readiness.md, reports/_artifacts/pilot_ready.json");
    Ok(ExitCode::SUCCESS)
}

fn run_bundle(args: BundleArgs) -> anyhow::Result<ExitCode> {
    let now = args.now.unwrap_or_else(Utc::now);
    let bundle = write_bundle(&args.place.evidence(), &args.series, args.bundle_dir.as_deref(), now)?;
    for (what, pass, detail) in &bundle.checks {
        println!("[{}] {what}: {detail}", if *pass { "x" } else { " " });
    }
    println!("final: {}", if bundle.go { "GO" } else { "NO-GO" });
    println!("{}\n{}", bundle.dir.display(), bundle.archive.display());
    Ok(ExitCode::SUCCESS)
}
