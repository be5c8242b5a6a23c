//! `kalshi-alpha replay FILE`: a recorded WebSocket session applied to fresh books.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use std::io::BufRead;

use kalshi_alpha::kalshi::replay::Replayer;

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
    // Streamed a line at a time: memory is bounded by the books, not the file.
    let name = args.file.display().to_string();
    let file = std::fs::File::open(&args.file).with_context(|| format!("{name}: cannot read"))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut replayer = Replayer::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).with_context(|| format!("{name}: cannot read"))? == 0 {
            break;
        }
        replayer.feed(line.trim_end_matches(['\n', '\r'])).with_context(|| name.clone())?;
    }
    let outcome = replayer.finish();
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
    if outcome.gap_count as usize > outcome.gaps.len() || outcome.anomaly_count as usize > outcome.anomalies.len() {
        println!("(the first {} gaps and anomalies are listed)", kalshi_alpha::kalshi::live_book::KEPT);
    }
    println!("{} messages, {} gap(s)", outcome.messages, outcome.gap_count);
    Ok(ExitCode::SUCCESS)
}
