//! The directories a session reads and writes, as flags shared by `playbook run`, `daemon` and
//! `preflight`.

use std::path::PathBuf;

use clap::Args;
use kalshi_alpha::brokers::controls::KillSwitch;

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
    /// An extra kill-switch file (relative paths live under --out), watched besides the data
    /// directory's own `data/proc/state/kill_switch`; while either exists every series is NO-GO.
    #[arg(long)]
    pub kill_switch: Option<PathBuf>,
}

impl SessionDirs {
    /// The data directory's kill switch (and the extra file, when given).
    pub fn kill_switch(&self) -> KillSwitch {
        KillSwitch::for_data_dir(&self.out, self.kill_switch.as_deref())
    }
}

/// Where the research and evidence commands (`data`, `calibrate`, `backtest`, `report`) read
/// and write.
#[derive(Debug, Clone, Args)]
pub struct DataDirs {
    /// Root for data/raw, data/proc and reports/.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// Directory with the configs (data.toml, strategies.toml, paper.toml, readiness.toml).
    #[arg(long, default_value = "configs")]
    pub configs: PathBuf,
    /// Fixture root (bundled payloads under fixtures/data/<source>/).
    #[arg(long, default_value = "fixtures")]
    pub fixtures: PathBuf,
}

impl DataDirs {
    /// Where the evidence reports read and write.
    pub fn evidence(&self) -> kalshi_alpha::evidence::load::EvidencePlace {
        kalshi_alpha::evidence::load::EvidencePlace {
            out: self.out.clone(),
            configs: self.configs.clone(),
            fixtures: self.fixtures.clone(),
        }
    }
}
