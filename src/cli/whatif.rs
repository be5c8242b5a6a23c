//! `kalshi-alpha policy whatif`: recorded sessions under the policy set in use and an edited
//! one, side by side.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Args;
use kalshi_alpha::clock::{Clock, SystemClock};
use kalshi_alpha::session::whatif::{Selection, WhatIfRequest, whatif};

use crate::cli::scan::ScannerArgs;

/// Arguments of `policy whatif`.
#[derive(Debug, Args)]
pub struct WhatIfArgs {
    /// The policy set in use (the baseline the edited set is compared with).
    #[arg(long, value_name = "DIR")]
    against: PathBuf,
    /// The edited policy set.
    #[arg(long, default_value = "policies")]
    policies: PathBuf,
    /// Recordings to replay (from `record` or a session's `--record`).
    #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with = "days")]
    sessions: Vec<PathBuf>,
    /// Replay every recording in --recordings that started in the last N days (default 7).
    #[arg(long, value_name = "N")]
    days: Option<u32>,
    /// Where the recordings are, for --days.
    #[arg(long, default_value = "data/raw/ws")]
    recordings: PathBuf,
    /// Directory with limits.toml, fees.toml, views.toml, paper.toml.
    #[arg(long, default_value = "configs")]
    configs: PathBuf,
    /// Fixture root: the ladders of recordings without a header line, bundled data.
    #[arg(long, default_value = "fixtures")]
    fixtures: PathBuf,
    /// Root for data/ (strategy inputs, settlements) and reports/whatif/.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    #[command(flatten)]
    scanner: ScannerArgs,
    /// Now (RFC 3339): the end of the --days window and the report's name.
    #[arg(long)]
    now: Option<DateTime<Utc>>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `policy whatif`.
pub fn run(args: WhatIfArgs) -> anyhow::Result<ExitCode> {
    let selection = if args.sessions.is_empty() {
        Selection::Days { dir: args.recordings.clone(), days: args.days.unwrap_or(7) }
    } else {
        Selection::Files(args.sessions.clone())
    };
    let request = WhatIfRequest {
        selection,
        policies: args.policies.clone(),
        against: args.against.clone(),
        configs: args.configs.clone(),
        fixtures: args.fixtures.clone(),
        out_root: args.out.clone(),
        scan: args.scanner.input()?,
        now: args.now.unwrap_or_else(|| SystemClock.now()),
    };
    let report = whatif(&request)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} recording(s), {} decision(s) differ between {} (in use) and {} (edited)",
        report.sessions.len(),
        report.differ,
        args.against.display(),
        args.policies.display()
    );
    for (series, s) in &report.series {
        let (o, n) = (&s.old, &s.new);
        if s.unchanged() {
            println!("  {series}: no difference ({} order(s), {} filled)", o.orders, o.filled);
            continue;
        }
        println!(
            "  {series}: {} decision(s) differ; orders {} → {}, contracts {} → {}, filled {} → {}, fees {} → {}, realised {} → {}, marked {} → {}, peak exposure {} → {}",
            s.differences.len(),
            o.orders,
            n.orders,
            o.contracts,
            n.contracts,
            o.filled,
            n.filled,
            o.fees,
            n.fees,
            o.realised,
            n.realised,
            o.marked,
            n.marked,
            o.peak_exposure,
            n.peak_exposure
        );
    }
    for s in &report.sessions {
        for (event, why) in &s.undecided {
            println!("  {}: {event} not decided: {why}", s.file);
        }
    }
    println!("report {}", report.report);
    Ok(ExitCode::SUCCESS)
}
