//! Reading the operator's TOML files into validated structs, with errors that name the file
//! and the field.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::pricing::fees::FeeConfig;
use crate::risk::ceilings::CoreCeilings;
use crate::strategies::views::ViewsConfig;

/// A configuration file that could not be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or a field is missing, unknown or malformed.
    #[error("{path}: {field}: {message}")]
    Field {
        /// File.
        path: PathBuf,
        /// Dotted path of the offending field (`.` for the whole file).
        field: String,
        /// What is wrong, with TOML's line and column where it gives them.
        message: String,
    },
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

/// Reads and decodes one TOML file.
pub fn load_toml<T: DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    parse_toml(path, &text)
}

/// Decodes TOML text that came from `path`.
pub fn parse_toml<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(toml::Deserializer::new(text)).map_err(|err| {
        let field = err.path().to_string();
        ConfigError::Field { path: path.to_path_buf(), field, message: err.into_inner().to_string().trim().to_string() }
    })
}

/// The three files a scan needs, from one `configs/` directory.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// `limits.toml`.
    pub limits: CoreCeilings,
    /// `fees.toml`.
    pub fees: FeeConfig,
    /// `views.toml`.
    pub views: ViewsConfig,
}

impl ScanConfig {
    /// Loads and validates `limits.toml`, `fees.toml` and `views.toml` from `dir`.
    pub fn load(dir: &Path) -> Result<ScanConfig, ConfigError> {
        let limits = load_toml(&dir.join("limits.toml"))?;
        let fees = load_toml(&dir.join("fees.toml"))?;
        let views_path = dir.join("views.toml");
        let views: ViewsConfig = load_toml(&views_path)?;
        views.validate().map_err(|source| ConfigError::View { path: views_path, source })?;
        Ok(ScanConfig { limits, fees, views })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
