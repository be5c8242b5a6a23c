//! The operator's TOML files a scan reads, loaded and validated together.

use std::path::{Path, PathBuf};

use crate::decode::{FileError, read_toml};

use thiserror::Error;

use crate::paper::PaperConfig;
use crate::pricing::fees::FeeConfig;
use crate::risk::ceilings::CoreCeilings;
use crate::strategies::views::ViewsConfig;

/// A configuration file that could not be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read or decoded.
    #[error(transparent)]
    File(#[from] FileError),
    /// A view that decodes but makes no sense (the message names the field).
    #[error("{path}: {source}")]
    View {
        /// File.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: crate::strategies::views::ViewError,
    },
}

/// The files a scan needs, from one `configs/` directory.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// `limits.toml`.
    pub limits: CoreCeilings,
    /// `fees.toml`.
    pub fees: FeeConfig,
    /// `views.toml`.
    pub views: ViewsConfig,
    /// `paper.toml`.
    pub paper: PaperConfig,
    /// `index_execution.toml`: fill-α and slippage of the index ladders by minutes to target.
    pub index_execution: crate::paper::ExecutionCurve,
    /// `sizing.toml`: how proposals are sized, and each series' bankroll share for Kelly.
    pub sizing: SizingConfig,
}

/// `configs/sizing.toml`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizingConfig {
    /// The sizing sessions use unless `--sizing` says otherwise.
    pub mode: crate::scan::Sizing,
    /// Each series' bankroll share in dollars (Kelly stakes its fraction of it); a series
    /// without one is sized to nothing under Kelly.
    pub bankroll: std::collections::BTreeMap<String, crate::model::Money>,
}

/// Loads `limits.toml` alone (the core ceilings policy commands check scripts against).
pub fn load_limits(dir: &Path) -> Result<CoreCeilings, ConfigError> {
    Ok(read_toml(&dir.join("limits.toml"))?)
}

impl ScanConfig {
    /// Loads and validates `limits.toml`, `fees.toml`, `views.toml`, `paper.toml`,
    /// `index_execution.toml` and `sizing.toml` from `dir`.
    pub fn load(dir: &Path) -> Result<ScanConfig, ConfigError> {
        let limits = read_toml(&dir.join("limits.toml"))?;
        let fees = read_toml(&dir.join("fees.toml"))?;
        let views_path = dir.join("views.toml");
        let views: ViewsConfig = read_toml(&views_path)?;
        views.validate().map_err(|source| ConfigError::View { path: views_path, source })?;
        let paper = read_toml(&dir.join("paper.toml"))?;
        let index_execution = read_toml(&dir.join("index_execution.toml"))?;
        let sizing = read_toml(&dir.join("sizing.toml"))?;
        Ok(ScanConfig { limits, fees, views, paper, index_execution, sizing })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::parse_toml;

    #[test]
    fn names_file_and_field() {
        let err = parse_toml::<CoreCeilings>(
            Path::new("configs/limits.toml"),
            "max_contracts_per_order = \"ten\"\nmax_loss_per_strike = \"1\"\nmax_bins_per_event = 1\nmaker_only = true\nallowed_series = []\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("configs/limits.toml: max_contracts_per_order: "), "{err}");
        assert!(err.contains("invalid count"), "{err}");
    }

    #[test]
    fn missing_field_names_it() {
        let err = parse_toml::<CoreCeilings>(Path::new("l.toml"), "maker_only = true\n").unwrap_err().to_string();
        assert!(err.contains("missing field `max_contracts_per_order`") || err.contains("missing field"), "{err}");
    }
}
