//! `kalshi-alpha data fetch|show|parse|list`: the data drivers from the command line.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use clap::{Args, Subcommand};
use kalshi_alpha::drivers::fetch::Fetcher;
use kalshi_alpha::drivers::parse::{Cell, Table};
use kalshi_alpha::drivers::source::{DataConfig, FetchParams, Source};
use kalshi_alpha::drivers::store::DataStore;
use serde::Serialize;

use crate::cli::dirs::DataDirs;

/// `data`.
#[derive(Debug, Args)]
pub struct DataArgs {
    #[command(subcommand)]
    what: DataCommand,
}

#[derive(Debug, Subcommand)]
enum DataCommand {
    /// Fetch sources (network, else the newest cached file, else the bundled fixture) and
    /// write their tables to data/proc/<source>/.
    Fetch {
        /// Sources (`data list` names them).
        #[arg(required = true)]
        sources: Vec<Source>,
        /// No network: cache, then fixture.
        #[arg(long)]
        offline: bool,
        /// Kalshi series (kalshi_settled, kalshi_candles).
        #[arg(long)]
        series: Option<String>,
        /// Kalshi market (kalshi_trades, kalshi_candles).
        #[arg(long)]
        ticker: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        dirs: DataDirs,
    },
    /// The latest parsed values of a source with their as-of and fetched-at times.
    Show {
        /// The source.
        source: Source,
        /// Rows to print (newest last).
        #[arg(long, default_value_t = 10)]
        rows: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        dirs: DataDirs,
    },
    /// Parse a saved payload with the same parser a fetch uses; writes nothing.
    Parse {
        /// The source.
        source: Source,
        /// The payload.
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The sources.
    List,
}

/// Runs `data`.
pub fn run(args: DataArgs) -> anyhow::Result<ExitCode> {
    match args.what {
        DataCommand::Fetch { sources, offline, series, ticker, json, dirs } => {
            fetch(&sources, offline, series, ticker, json, &dirs)
        }
        DataCommand::Show { source, rows, json, dirs } => show(source, rows, json, &dirs),
        DataCommand::Parse { source, file, json } => parse(source, &file, json),
        DataCommand::List => {
            for s in Source::ALL {
                println!("{:<16} .{}", s.name(), s.extension());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn fetch(
    sources: &[Source],
    offline: bool,
    series: Option<String>,
    ticker: Option<String>,
    json: bool,
    dirs: &DataDirs,
) -> anyhow::Result<ExitCode> {
    let config: DataConfig = kalshi_alpha::decode::read_toml(&dirs.configs.join("data.toml"))?;
    let store = DataStore::new(&dirs.out, &dirs.fixtures);
    let progress = !json && std::io::stderr().is_terminal();
    let fetcher = Fetcher::new(
        config,
        store,
        FetchParams { series, ticker, keys: kalshi_alpha::drivers::fetch::api_keys(std::path::Path::new("."))? },
        progress,
    );
    let now = Utc::now();
    let today = now.with_timezone(&chrono_tz::America::New_York).date_naive();
    let mut failed = false;
    let mut reports = Vec::new();
    for source in sources {
        match fetcher.fetch(*source, offline, now, today) {
            Ok(report) => {
                if !json {
                    let from = match &report.fallback_reason {
                        Some(why) => format!("{} (fallback: {why})", report.origin.as_str()),
                        None => report.origin.as_str().to_string(),
                    };
                    println!(
                        "{:<16} {} rows, as of {}, from {from}",
                        report.source,
                        report.rows,
                        report.as_of.map_or("-".into(), |d| d.to_string())
                    );
                }
                reports.push(serde_json::to_value(&report)?);
            }
            Err(e) => {
                failed = true;
                // A bad payload's bytes stay under data/raw for inspection; its table is not written.
                eprintln!("error: {e}");
                reports.push(serde_json::json!({ "source": source.name(), "error": e.to_string() }));
            }
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

#[derive(Serialize)]
struct Shown<'a> {
    source: &'a str,
    as_of: Option<chrono::NaiveDate>,
    fetched_at: Option<chrono::DateTime<Utc>>,
    age_secs: Option<f64>,
    origin: &'a str,
    raw: String,
    rows: usize,
    columns: Vec<&'static str>,
    latest: Vec<Vec<Cell>>,
}

fn show(source: Source, rows: usize, json: bool, dirs: &DataDirs) -> anyhow::Result<ExitCode> {
    let store = DataStore::new(&dirs.out, &dirs.fixtures);
    let meta = store.meta(source)?.with_context(|| {
        format!("{source}: no table yet (`data fetch {source}` or `data fetch {source} --offline`)")
    })?;
    // The raw file is the record; the same parser reads it back for display.
    let bytes = std::fs::read(&meta.raw).with_context(|| format!("{}: raw file of the table", meta.raw.display()))?;
    let table = source.parse(&bytes, &meta.raw.display().to_string())?;
    let latest: Vec<Vec<Cell>> = table.rows.iter().rev().take(rows).rev().cloned().collect();
    let shown = Shown {
        source: source.name(),
        as_of: meta.as_of,
        fetched_at: meta.fetched_at,
        age_secs: meta.age_secs(Utc::now()),
        origin: meta.origin.as_str(),
        raw: meta.raw.display().to_string(),
        rows: meta.rows,
        columns: table.columns.clone(),
        latest,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&shown)?);
    } else {
        println!(
            "{source}: {} rows, as of {}, fetched {} from {} ({})",
            shown.rows,
            shown.as_of.map_or("-".into(), |d| d.to_string()),
            match (shown.fetched_at, shown.age_secs) {
                (Some(at), Some(age)) => format!("{} ({age:.0} s ago)", at.to_rfc3339()),
                _ => "at an unknown time (age unknown)".to_string(),
            },
            shown.origin,
            shown.raw
        );
        print_rows(&Table { columns: table.columns, rows: shown.latest, as_of: None });
    }
    Ok(ExitCode::SUCCESS)
}

fn parse(source: Source, file: &std::path::Path, json: bool) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("{}: cannot read", file.display()))?;
    let table = source.parse(&bytes, &file.display().to_string())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&table)?);
    } else {
        println!("{source}: {} rows, as of {}", table.rows.len(), table.as_of.map_or("-".into(), |d| d.to_string()));
        print_rows(&table);
    }
    Ok(ExitCode::SUCCESS)
}

fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Missing => "—".into(),
        Cell::Text(t) | Cell::Decimal(t) => t.clone(),
        Cell::Int(i) => i.to_string(),
        Cell::Float(f) => format!("{f}"),
        Cell::Date(d) => d.to_string(),
        Cell::Time(t) => t.to_rfc3339(),
        Cell::Bool(b) => b.to_string(),
    }
}

fn print_rows(table: &Table) {
    println!("  {}", table.columns.join("  "));
    for row in &table.rows {
        println!("  {}", row.iter().map(cell_text).collect::<Vec<_>>().join("  "));
    }
}
