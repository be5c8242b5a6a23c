//! `kalshi-alpha preflight NAME`: would a run of this playbook be allowed now, and why — New
//! York time, its window, the kill switch, the heartbeat, and each series' gate on the
//! fixtures. Reads only; writes nothing.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Args;
use kalshi_alpha::risk::gate::GateInputs;
use kalshi_alpha::risk::limits::Ledger;
use kalshi_alpha::schedule::clock_et::show_et;
use kalshi_alpha::session::heartbeat::HeartbeatFile;
use kalshi_alpha::session::schedule_files::{declared_window, load_calendars};
use kalshi_alpha::session::{Inputs, load_policies, plan_session};
use serde::Serialize;

use crate::cli::dirs::SessionDirs;
use crate::cli::scan::ScannerArgs;

/// Arguments of `preflight`.
#[derive(Debug, Args)]
pub struct PreflightArgs {
    /// Playbook name (scripts/NAME.rhai).
    name: String,
    #[command(flatten)]
    dirs: SessionDirs,
    #[command(flatten)]
    scanner: ScannerArgs,
    /// As of this instant (RFC 3339; default now).
    #[arg(long)]
    now: Option<DateTime<Utc>>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct SeriesGate {
    series: String,
    go: bool,
    reasons: Vec<String>,
    inputs: kalshi_alpha::risk::gate::GateContext,
}

#[derive(Serialize)]
struct Preflight {
    playbook: String,
    now_et: String,
    now_utc: DateTime<Utc>,
    window: Option<String>,
    window_open: bool,
    next_window: Option<String>,
    kill_switch: bool,
    heartbeat_age_secs: Option<f64>,
    gates: Vec<SeriesGate>,
    allowed_now: bool,
    why_not: Vec<String>,
}

/// Runs `preflight`.
pub fn run(args: PreflightArgs) -> anyhow::Result<ExitCode> {
    let now = args.now.unwrap_or_else(Utc::now);
    let window = declared_window(&args.dirs.scripts, &args.name)?;
    let calendars = if window.as_ref().is_some_and(|w| w.calendar.is_some()) {
        load_calendars(&args.dirs.calendars)?
    } else {
        Default::default()
    };
    let open = window.as_ref().is_none_or(|w| w.is_open(now, &calendars));
    let next = window.as_ref().filter(|_| !open).and_then(|w| w.next_opening(now, &calendars)).map(show_et);
    let kill_switch = args.dirs.kill_switch().is_engaged();
    let heartbeat_age_secs = HeartbeatFile::under(&args.dirs.out).age_secs(now);
    let inputs = Inputs::load(&args.dirs.configs, &args.dirs.fixtures, &[], args.scanner.input()?)?.with_strategies(
        &args.dirs.configs,
        &args.dirs.out,
        &args.dirs.fixtures,
        now,
        false,
    )?;
    let policies = load_policies(&args.dirs.policies, &inputs.config)?;
    // The gate as an offline session would see it now (fixtures are age 0, no exchange
    // skew), with the heartbeat as it is on disk: none is unknown, and unknown is NO-GO.
    let gate = GateInputs { kill_switch, heartbeat_age_secs, clock_skew_ms: Some(0), ..GateInputs::default() };
    let plans = plan_session(&inputs, &policies, &gate, Ledger::default(), now)?;
    let gates: Vec<SeriesGate> = plans
        .into_iter()
        .map(|p| SeriesGate { series: p.series, go: p.gate.go, reasons: p.gate.reasons, inputs: p.gate_inputs })
        .collect();
    let mut why_not = Vec::new();
    if !open {
        why_not.push(format!("outside the window {}", window.as_ref().map(|w| w.describe()).unwrap_or_default()));
    }
    if kill_switch {
        why_not.push("kill switch engaged".to_string());
    }
    let report = Preflight {
        playbook: args.name,
        now_et: show_et(now),
        now_utc: now,
        window: window.as_ref().map(|w| w.describe()),
        window_open: open,
        next_window: next,
        kill_switch,
        heartbeat_age_secs,
        allowed_now: why_not.is_empty(),
        gates,
        why_not,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} at {} ({})", report.playbook, report.now_et, report.now_utc.format("%Y-%m-%dT%H:%M:%SZ"));
    match &report.window {
        Some(w) => println!(
            "window: {w}: {}{}",
            if open { "open" } else { "closed" },
            report.next_window.as_ref().map_or_else(String::new, |n| format!("; next opens {n}"))
        ),
        None => println!("window: none declared"),
    }
    println!("kill switch: {}", if kill_switch { "ENGAGED" } else { "off" });
    println!("heartbeat: {}", heartbeat_age_secs.map_or_else(|| "none".to_string(), |a| format!("{a:.1}s old")));
    for g in &report.gates {
        println!("{:<16} {:<6} {}", g.series, if g.go { "GO" } else { "NO-GO" }, g.reasons.join("; "));
    }
    if report.allowed_now {
        println!("a run would be allowed now");
    } else {
        println!("a run would be refused now: {}", report.why_not.join("; "));
    }
    Ok(ExitCode::SUCCESS)
}
