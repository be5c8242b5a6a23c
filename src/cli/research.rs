//! `calibrate SERIES` and `backtest SERIES`: the research commands.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{NaiveDate, Utc};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use kalshi_alpha::drivers::store::DataStore;

/// Where data, configs and fixtures are.
#[derive(Debug, Args)]
pub struct ResearchDirs {
    /// Root for data/ and reports/.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// Directory with strategies.toml and data.toml.
    #[arg(long, default_value = "configs")]
    configs: PathBuf,
    /// Fixture root (bundled payloads under fixtures/data/).
    #[arg(long, default_value = "fixtures")]
    fixtures: PathBuf,
}

/// `calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Series (its strategy is fitted: KXHIGHNY → weather, KXINXU → index, …).
    series: String,
    /// First day of history to fit on.
    #[arg(long)]
    from: Option<NaiveDate>,
    /// Last day of history to fit on.
    #[arg(long)]
    to: Option<NaiveDate>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    dirs: ResearchDirs,
}

/// A progress bar on stderr, hidden when stderr is not a terminal or output is JSON.
pub fn progress(json: bool, what: &str) -> ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix} {pos} {msg}") {
        bar.set_style(style);
    }
    bar.set_prefix(what.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Runs `calibrate`.
pub fn calibrate(args: CalibrateArgs) -> anyhow::Result<ExitCode> {
    let store = DataStore::new(&args.dirs.out, &args.dirs.fixtures);
    let bar = progress(args.json, "calibrating");
    let outcome = kalshi_alpha::exec::calibration::calibrate(
        &args.series,
        args.from,
        args.to,
        &args.dirs.configs,
        &store,
        &args.dirs.out,
        Utc::now(),
        &bar,
    );
    bar.finish_and_clear();
    let (calibration, path) = outcome?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "calibration": calibration, "path": path }))?);
    } else {
        println!(
            "{}: {} observation(s) from {} to {}, written to {}",
            calibration.strategy,
            calibration.observations,
            calibration.from,
            calibration.to,
            path.display()
        );
        for (k, v) in &calibration.params {
            println!("  {k} = {v}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
