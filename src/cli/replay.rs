//! `kalshi-alpha replay FILE`: a recorded WebSocket session applied to fresh books.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use kalshi_alpha::kalshi::replay::replay;

/// Arguments of `replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A `record` JSONL file, or one raw server message per line.
    file: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn opt(p: Option<impl std::fmt::Display>) -> String {
    p.map_or_else(|| "—".to_string(), |x| x.to_string())
}

/// Runs `replay`.
pub fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.file).with_context(|| format!("{}: cannot read", args.file.display()))?;
    let outcome = replay(text.lines()).with_context(|| args.file.display().to_string())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<32} {:>8} {:>8} {:>16} {:>16} {:>6}", "market", "yes bid", "yes ask", "yes depth", "no depth", "msgs");
    for m in &outcome.markets {
        println!(
            "{:<32} {:>8} {:>8} {:>16} {:>16} {:>6}{}",
            m.market,
            opt(m.best_yes_bid),
            opt(m.best_yes_ask),
            format!("{} lv / {}", m.yes_depth.levels, m.yes_depth.contracts),
            format!("{} lv / {}", m.no_depth.levels, m.no_depth.contracts),
            m.messages,
            if m.valid { "" } else { "  (stale: waiting for a snapshot)" }
        );
    }
    for g in &outcome.gaps {
        println!("gap: sid {} expected seq {} got {}", g.sid, g.expected, g.got);
    }
    for a in &outcome.anomalies {
        println!("anomaly: {}: {}", a.market, a.detail);
    }
    println!("{} messages, {} gap(s)", outcome.messages, outcome.gaps.len());
    Ok(ExitCode::SUCCESS)
}
