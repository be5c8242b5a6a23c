//! The directories a session reads and writes, as flags shared by `playbook run`, `daemon` and
//! `preflight`.

use std::path::PathBuf;

use clap::Args;

/// Where the playbooks, policies, configs, fixtures, calendars and outputs are.
#[derive(Debug, Clone, Args)]
pub struct SessionDirs {
    /// Playbook directory.
    #[arg(long, default_value = "scripts")]
    pub scripts: PathBuf,
    /// Policy directory (reloaded while a session runs when a file changes).
    #[arg(long, default_value = "policies")]
    pub policies: PathBuf,
    /// Directory with limits.toml, fees.toml, views.toml, paper.toml.
    #[arg(long, default_value = "configs")]
    pub configs: PathBuf,
    /// Calendars schedules and windows may name.
    #[arg(long, default_value = "configs/calendars")]
    pub calendars: PathBuf,
    /// Fixture root (holds kalshi/) for offline sessions.
    #[arg(long, default_value = "fixtures")]
    pub fixtures: PathBuf,
    /// Root for reports/ and data/.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// Kill-switch file (relative paths live under --out); while it exists every series is NO-GO.
    #[arg(long, default_value = "data/proc/state/kill_switch")]
    pub kill_switch: PathBuf,
}

impl SessionDirs {
    /// The kill-switch file, under `--out` when relative.
    pub fn kill_switch_file(&self) -> PathBuf {
        crate::cli::under(&self.out, self.kill_switch.clone())
    }
}

/// Where the research commands (`data`, `calibrate`, `backtest`) read and write.
#[derive(Debug, Clone, Args)]
pub struct DataDirs {
    /// Root for data/raw, data/proc and reports/.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// Directory with data.toml and strategies.toml.
    #[arg(long, default_value = "configs")]
    pub configs: PathBuf,
    /// Fixture root (bundled payloads under fixtures/data/<source>/).
    #[arg(long, default_value = "fixtures")]
    pub fixtures: PathBuf,
}
