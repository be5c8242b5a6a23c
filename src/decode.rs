//! Reading a file and decoding it (JSON or TOML) with an error that names the file and the
//! offending field. Shared by configuration and fixture loading.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use thiserror::Error;

/// A file that could not be read or decoded.
#[derive(Debug, Error)]
pub enum FileError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The contents are malformed, or a field is missing, unknown or of the wrong shape.
    #[error("{path}: {field}: {message}")]
    Decode {
        /// File.
        path: PathBuf,
        /// Dotted path of the offending field (`.` for the whole document).
        field: String,
        /// What is wrong, with line and column where the format gives them.
        message: String,
    },
}

fn read(path: &Path) -> Result<String, FileError> {
    std::fs::read_to_string(path).map_err(|source| FileError::Read { path: path.to_path_buf(), source })
}

fn decode_error<E: std::fmt::Display>(path: &Path, err: serde_path_to_error::Error<E>) -> FileError {
    let field = err.path().to_string();
    FileError::Decode { path: path.to_path_buf(), field, message: err.into_inner().to_string().trim().to_string() }
}

/// Decodes TOML text that came from `path`.
pub fn parse_toml<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, FileError> {
    serde_path_to_error::deserialize(toml::Deserializer::new(text)).map_err(|e| decode_error(path, e))
}

/// Reads and decodes one TOML file.
pub fn read_toml<T: DeserializeOwned>(path: &Path) -> Result<T, FileError> {
    parse_toml(path, &read(path)?)
}

/// Reads and decodes one JSON file.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, FileError> {
    let text = read(path)?;
    let mut de = serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| decode_error(path, e))
}
