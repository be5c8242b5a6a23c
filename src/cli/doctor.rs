//! `kalshi-alpha doctor`: a read-only check of this deployment, one line per check.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::Args;
use kalshi_alpha::clock::{Clock, SystemClock};
use kalshi_alpha::doctor::{DoctorRequest, Level, doctor, worst};
use kalshi_alpha::kalshi::credentials;
use kalshi_alpha::kalshi::rest::PROD_BASE_URL;

/// Arguments of `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The exchange's REST base URL (the WebSocket URL follows from it).
    #[arg(long, default_value = PROD_BASE_URL)]
    base_url: String,
    /// Directory with limits.toml, fees.toml, views.toml, paper.toml, data.toml, schedule.toml.
    #[arg(long, default_value = "configs")]
    configs: PathBuf,
    /// Policy directory.
    #[arg(long, default_value = "policies")]
    policies: PathBuf,
    /// Playbook directory.
    #[arg(long, default_value = "scripts")]
    scripts: PathBuf,
    /// Fixture root.
    #[arg(long, default_value = "fixtures")]
    fixtures: PathBuf,
    /// Root for data/.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// Longest wait for the WebSocket's snapshots, in seconds.
    #[arg(long, default_value_t = 10)]
    snapshot_timeout: u64,
    /// As of this instant (RFC 3339; default now): data and calibration ages, next runs.
    #[arg(long)]
    now: Option<DateTime<Utc>>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `doctor`: exit 0 when every check is ok, 1 when the worst is a warning, 2 on a failure.
pub fn run(args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let request = DoctorRequest {
        configs: args.configs,
        policies: args.policies,
        scripts: args.scripts,
        fixtures: args.fixtures,
        out_root: args.out,
        base_url: args.base_url,
        snapshot_timeout: Duration::from_secs(args.snapshot_timeout),
        now: args.now.unwrap_or_else(|| SystemClock.now()),
    };
    let load = || credentials::optional_signer_from_env().map_err(|e| e.to_string());
    let checks = doctor(&request, &load);
    let worst = worst(&checks);
    if args.json {
        let out = serde_json::json!({ "worst": worst, "checks": checks });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let width = checks.iter().map(|c| c.name.chars().count()).max().unwrap_or(0);
        for c in &checks {
            println!("{:<4}  {:<width$}  {}", c.level.as_str(), c.name, c.detail);
        }
        println!("worst: {}", worst.as_str());
    }
    Ok(ExitCode::from(match worst {
        Level::Ok => 0,
        Level::Warn => 1,
        Level::Fail => 2,
    }))
}
