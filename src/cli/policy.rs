//! `kalshi-alpha policy …`: check, dry-run, test, watch and describe the policy set.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use kalshi_alpha::clock::{Clock, FixedClock, SystemClock};
use kalshi_alpha::config::load_limits;
use kalshi_alpha::risk::gate::GateInputs;
use kalshi_alpha::risk::limits::Ledger;
use kalshi_alpha::rules::cases::{load_checked, run_all};
use kalshi_alpha::rules::check::check_files;
use kalshi_alpha::rules::host::ScriptError;
use kalshi_alpha::rules::policy::{PolicyPaths, PolicySet, policy_host};
use kalshi_alpha::rules::reload::{Active, Reloader};
use kalshi_alpha::session::playbook::{PlaybookRequest, definitions_host};
use kalshi_alpha::session::policy_eval::{diff, render_diff, render_rows, rows};
use kalshi_alpha::session::{Inputs, plan_session};

use crate::cli::scan::ScannerArgs;

/// Arguments of `policy`.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Validate policy files (default: the whole set, its test cases and the playbooks).
    /// Prints each problem as PATH:LINE:COL: message; exit 1 when any file is invalid.
    Check(CheckArgs),
    /// Dry-run the policy set on the proposals the scan makes from fixtures; places nothing.
    Eval(EvalArgs),
    /// Run the set's test cases (policies/tests/*.toml); exit 1 on any failure.
    Test(TestArgs),
    /// Stay in the foreground, reloading the set when a file changes; one line per attempt.
    Watch(WatchArgs),
    /// Write Rhai definition files for the script API (for editor autocompletion).
    Defs(DefsArgs),
    /// Replay recorded sessions through the set in use (--against) and the edited set; show
    /// per series the decisions that differ and the difference in orders, fills, fees, P&L
    /// and peak exposure. Writes only the report (reports/whatif/).
    Whatif(crate::cli::whatif::WhatIfArgs),
}

/// Where the set and its ceilings live.
#[derive(Debug, Clone, Args)]
struct SetArgs {
    /// Policy directory (pal.rhai, pilot.rhai, gates.rhai, lib/, tests/).
    #[arg(long, default_value = "policies")]
    policies: PathBuf,
    /// Playbook directory.
    #[arg(long, default_value = "scripts")]
    scripts: PathBuf,
    /// Directory with limits.toml (the core ceilings scripts may only tighten).
    #[arg(long, default_value = "configs")]
    configs: PathBuf,
}

impl SetArgs {
    fn paths(&self, with_scripts: bool) -> PolicyPaths {
        PolicyPaths { policies: self.policies.clone(), scripts: with_scripts.then(|| self.scripts.clone()) }
    }
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Files to check, each as its kind (pal.rhai, pilot.rhai, gates.rhai, lib/*.rhai,
    /// tests/*.toml, playbooks); none means the whole set.
    paths: Vec<PathBuf>,
    #[command(flatten)]
    set: SetArgs,
}

#[derive(Debug, Args)]
struct EvalArgs {
    /// Fixture root (holds kalshi/).
    #[arg(long)]
    fixtures: PathBuf,
    /// The policy set to evaluate.
    #[arg(long, default_value = "policies")]
    policies: PathBuf,
    /// Compare with this (older) policy set and print only the decisions that differ.
    #[arg(long)]
    against: Option<PathBuf>,
    /// Directory with limits.toml, fees.toml, views.toml.
    #[arg(long, default_value = "configs")]
    configs: PathBuf,
    /// Only this series (repeatable).
    #[arg(long = "series")]
    series: Vec<String>,
    #[command(flatten)]
    scanner: ScannerArgs,
    /// Evaluate as of this instant (RFC 3339); gates see its New York time.
    #[arg(long)]
    now: Option<DateTime<Utc>>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct TestArgs {
    #[command(flatten)]
    set: SetArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct WatchArgs {
    #[command(flatten)]
    set: SetArgs,
    /// Root for data/proc/audit/policy_reloads.jsonl.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// Quiet period after the last change before reloading, in milliseconds.
    #[arg(long, default_value_t = 75)]
    debounce_ms: u64,
}

#[derive(Debug, Args)]
struct DefsArgs {
    /// Output directory (gets policies/ and scripts/ definition sets).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    set: SetArgs,
    #[command(flatten)]
    scanner: ScannerArgs,
}

/// Runs `policy`.
pub fn run(args: PolicyArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        PolicyCommand::Check(a) => check(a),
        PolicyCommand::Eval(a) => eval(a),
        PolicyCommand::Test(a) => test(a),
        PolicyCommand::Watch(a) => watch(a),
        PolicyCommand::Defs(a) => defs(a),
        PolicyCommand::Whatif(a) => crate::cli::whatif::run(a),
    }
}

fn print_problems(problems: &[ScriptError]) -> ExitCode {
    for p in problems {
        println!("{p}");
    }
    ExitCode::FAILURE
}

fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let core = load_limits(&args.set.configs)?;
    if args.paths.is_empty() {
        let paths = args.set.paths(true);
        return Ok(match load_checked(&paths, &core) {
            Ok(set) => {
                println!("ok: {} files, policy set sha256={}", set.files().len(), set.digest());
                ExitCode::SUCCESS
            }
            Err(problems) => print_problems(&problems),
        });
    }
    let problems = check_files(&args.set.paths(false), &core, &args.paths);
    if problems.is_empty() {
        for p in &args.paths {
            println!("ok: {}", p.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    Ok(print_problems(&problems))
}

fn load_set(policies: &Path, core: &kalshi_alpha::risk::ceilings::CoreCeilings) -> anyhow::Result<PolicySet> {
    let paths = PolicyPaths { policies: policies.to_path_buf(), scripts: None };
    load_checked(&paths, core).map_err(|problems| crate::cli::rejected(policies, &problems))
}

fn eval(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let now = args.now.unwrap_or_else(|| SystemClock.now());
    let inputs = Inputs::load(&args.configs, &args.fixtures, &args.series, args.scanner.input()?)?.with_strategies(
        &args.configs,
        std::path::Path::new("."),
        &args.fixtures,
        now,
        false,
    )?;
    let new_set = load_set(&args.policies, &inputs.config.limits)?;
    let fresh = GateInputs::fresh();
    let new_rows = rows(&plan_session(&inputs, &new_set, &fresh, Ledger::default(), now)?);
    let Some(against) = &args.against else {
        if args.json {
            let out = serde_json::json!({ "policy_sha256": new_set.digest(), "decisions": new_rows });
            println!("{}", serde_json::to_string_pretty(&out)?);
        } else {
            print!("{}", render_rows(&new_rows));
            println!("policy set {} sha256={}", args.policies.display(), new_set.digest());
        }
        return Ok(ExitCode::SUCCESS);
    };
    let old_set = load_set(against, &inputs.config.limits)?;
    let old_rows = rows(&plan_session(&inputs, &old_set, &fresh, Ledger::default(), now)?);
    let diffs = diff(&old_rows, &new_rows);
    if args.json {
        let out = serde_json::json!({
            "old_sha256": old_set.digest(),
            "new_sha256": new_set.digest(),
            "differ": diffs.len(),
            "differences": diffs,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        if !diffs.is_empty() {
            print!("{}", render_diff(&diffs));
        }
        println!(
            "{} decision(s) differ between {} (old) and {} (new)",
            diffs.len(),
            against.display(),
            args.policies.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn test(args: TestArgs) -> anyhow::Result<ExitCode> {
    let core = load_limits(&args.set.configs)?;
    let paths = args.set.paths(false);
    let set = match PolicySet::compile(&paths, &core) {
        Ok(set) => set,
        Err(problems) => return Ok(print_problems(&problems)),
    };
    let outcomes = match run_all(&set, &paths.tests()) {
        Ok(o) => o,
        Err(problem) => return Ok(print_problems(&[problem])),
    };
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcomes)?);
    } else {
        for o in &outcomes {
            let mark = if o.passed { "PASS" } else { "FAIL" };
            println!("{mark} {}: {} — {}", o.file.display(), o.name, o.detail);
        }
        println!("{} passed, {failed} failed", outcomes.len() - failed);
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn watch(args: WatchArgs) -> anyhow::Result<ExitCode> {
    let core = load_limits(&args.set.configs)?;
    let paths = args.set.paths(true);
    let audit = args.out.join("data/proc/audit/policy_reloads.jsonl");
    let reloader = match Reloader::start(paths, core, audit.clone()) {
        Ok(r) => r,
        Err(problems) => {
            eprintln!("the policy set must be valid to start watching:");
            return Ok(print_problems(&problems));
        }
    };
    let stop = AtomicBool::new(false);
    let ready = || {
        let active = reloader.active();
        println!(
            "watching {} and {} (v{} sha256={}); audit {}",
            args.set.policies.display(),
            args.set.scripts.display(),
            active.version,
            active.set.digest(),
            audit.display()
        );
    };
    reloader
        .watch(Duration::from_millis(args.debounce_ms), &stop, &SystemClock, ready, |attempt| println!("{attempt}"))
        .context("watching stopped")?;
    Ok(ExitCode::SUCCESS)
}

fn defs(args: DefsArgs) -> anyhow::Result<ExitCode> {
    let core = load_limits(&args.set.configs)?;
    let paths = args.set.paths(false);
    let policy_dir = args.out.join("policies");
    let script_dir = args.out.join("scripts");
    for dir in [&policy_dir, &script_dir] {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    policy_host(&paths)
        .engine()
        .definitions()
        .with_headers(true)
        .include_standard_packages(false)
        .write_to_dir(&policy_dir)
        .with_context(|| format!("cannot write {}", policy_dir.display()))?;
    let set = load_set(&paths.policies, &core)?;
    let active = Arc::new(arc_swap::ArcSwap::from_pointee(Active { version: 1, set }));
    let params = args.scanner.input()?;
    let req = PlaybookRequest {
        name: String::new(),
        scripts: args.set.scripts.clone(),
        fixtures: PathBuf::new(),
        configs: args.set.configs.clone(),
        out_root: args.out.clone(),
        params,
        kill_switch: kalshi_alpha::brokers::controls::KillSwitch::for_data_dir(&args.out, None),
        dry_run: true,
        broker: kalshi_alpha::model::BrokerKind::Dry,
        live: None,
        controls: Default::default(),
        banner: None,
    };
    let inputs = Inputs::configs_only(&args.set.configs, params)?;
    let clock: Arc<dyn Clock + Send + Sync> = Arc::new(FixedClock(SystemClock.now()));
    definitions_host(&paths.lib(), req, inputs, active, clock)
        .engine()
        .definitions()
        .with_headers(true)
        .include_standard_packages(false)
        .write_to_dir(&script_dir)
        .with_context(|| format!("cannot write {}", script_dir.display()))?;
    println!("wrote {} and {}", policy_dir.display(), script_dir.display());
    Ok(ExitCode::SUCCESS)
}
