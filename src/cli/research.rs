//! `calibrate SERIES` and `backtest SERIES`: the research commands.

use std::io::IsTerminal;
use std::process::ExitCode;

use chrono::{NaiveDate, Utc};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use kalshi_alpha::drivers::store::DataStore;

use crate::cli::dirs::DataDirs;

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
    dirs: DataDirs,
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
    let outcome = kalshi_alpha::research::calibration::calibrate(
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

/// `backtest`.
#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// Series (its strategy is scored against its settled events).
    series: String,
    /// First event day.
    #[arg(long)]
    from: NaiveDate,
    /// Last event day.
    #[arg(long)]
    to: NaiveDate,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    dirs: DataDirs,
    #[command(flatten)]
    scanner: crate::cli::scan::ScannerArgs,
}

/// Runs `backtest`.
pub fn backtest(args: BacktestArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.from <= args.to, "--from {} is after --to {}", args.from, args.to);
    let store = DataStore::new(&args.dirs.out, &args.dirs.fixtures);
    let config = kalshi_alpha::config::ScanConfig::load(&args.dirs.configs)?;
    let input = args.scanner.input()?;
    let scan = kalshi_alpha::scan::ScanParams {
        min_ev: input.min_ev,
        contracts: input.contracts,
        max_bins: input.max_bins,
        maker_only: input.maker_only,
        rounding: config.fees.rounding,
        kelly_cap: input.kelly_cap,
        sizing: input.sizing.unwrap_or(config.sizing.mode),
    };
    let bar = progress(args.json, "backtesting");
    let request = kalshi_alpha::research::backtest::BacktestRequest {
        series: &args.series,
        from: args.from,
        to: args.to,
        configs: &args.dirs.configs,
        fixtures: &args.dirs.fixtures,
        store: &store,
        out_root: &args.dirs.out,
        scan,
    };
    let outcome = kalshi_alpha::research::backtest::backtest(&request, &bar);
    bar.finish_and_clear();
    let report = outcome?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} from {} to {}: {} event(s) scored, {} skipped",
            report.series,
            report.from,
            report.to,
            report.events.len(),
            report.skipped.len()
        );
        println!(
            "  model:  CRPS {:.4}  Brier {:.4}  log-loss {:.4}",
            report.model.crps, report.model.brier, report.model.log_loss
        );
        println!(
            "  market: CRPS {:.4}  Brier {:.4}  log-loss {:.4}",
            report.market.crps, report.market.brier, report.market.log_loss
        );
        let f = &report.fills;
        println!(
            "  orders {} ({} maker, {} taker), filled {} of {} contract(s) through the paper fill model, realised P&L after fees {}",
            f.orders, f.makers, f.takers, f.filled, f.requested, report.pnl_after_fees
        );
        println!("report {}", report.report.display());
    }
    Ok(ExitCode::SUCCESS)
}
