//! API credentials: the key id and the private key's path, from `KALSHI_API_KEY_ID` and
//! `KALSHI_PRIVATE_KEY_PEM_PATH`, or else from a `.env.local` file of `NAME=value` lines.
//! Values are never logged.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// Environment variable holding the key id.
pub const KEY_ID_VAR: &str = "KALSHI_API_KEY_ID";
/// Environment variable holding the private key's path.
pub const KEY_PATH_VAR: &str = "KALSHI_PRIVATE_KEY_PEM_PATH";

/// Where the credentials are.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// API key id.
    pub key_id: String,
    /// PEM private key file.
    pub key_path: PathBuf,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("key_id", &crate::kalshi::signing::redact_key_id(&self.key_id))
            .field("key_path", &self.key_path)
            .finish()
    }
}

/// Credentials that cannot be found.
#[derive(Debug, Error)]
pub enum CredentialsError {
    /// Neither the environment nor the file names them.
    #[error("no credentials: set {KEY_ID_VAR} and {KEY_PATH_VAR} (or put them in {0})")]
    Missing(PathBuf),
    /// The file exists but cannot be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Finds credentials: `lookup` (the environment) first, else `dotenv`.
pub fn find(lookup: impl Fn(&str) -> Option<String>, dotenv: &Path) -> Result<Credentials, CredentialsError> {
    let from_file = match std::fs::read_to_string(dotenv) {
        Ok(text) => parse_dotenv(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(source) => return Err(CredentialsError::Read { path: dotenv.to_path_buf(), source }),
    };
    let get = |name: &str| {
        lookup(name)
            .filter(|v| !v.is_empty())
            .or_else(|| from_file.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    };
    match (get(KEY_ID_VAR), get(KEY_PATH_VAR)) {
        (Some(key_id), Some(path)) => Ok(Credentials { key_id, key_path: PathBuf::from(path) }),
        _ => Err(CredentialsError::Missing(dotenv.to_path_buf())),
    }
}

/// Why this process has no signer.
#[derive(Debug, Error)]
pub enum SignerError {
    /// No credentials were found.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// The key they name does not load.
    #[error(transparent)]
    Key(#[from] crate::kalshi::signing::SigningError),
}

/// The one way this process finds its signer: credentials from the environment, else
/// `.env.local` in the working directory, and the key they name loaded.
pub fn signer_from_env() -> Result<crate::kalshi::signing::Signer, SignerError> {
    let found = find(|name| std::env::var(name).ok(), Path::new(".env.local"))?;
    Ok(crate::kalshi::signing::Signer::from_file(&found.key_id, &found.key_path)?)
}

/// The signer when credentials exist (`None` when there are none, for public data); a key
/// that is named but does not load is still an error.
pub fn optional_signer_from_env() -> Result<Option<crate::kalshi::signing::Signer>, SignerError> {
    match signer_from_env() {
        Ok(signer) => Ok(Some(signer)),
        Err(SignerError::Credentials(CredentialsError::Missing(_))) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `NAME=value` lines; `#` comments, blank lines, `export ` prefixes and matching quotes allowed.
fn parse_dotenv(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("export ").unwrap_or(l).split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let unquoted = v
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
                .unwrap_or(v);
            (k.trim().to_string(), unquoted.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_wins_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".env.local");
        std::fs::write(
            &file,
            "# creds\nexport KALSHI_API_KEY_ID=\"file-id-1234\"\nKALSHI_PRIVATE_KEY_PEM_PATH='/k.pem'\n",
        )
        .unwrap();
        let none = |_: &str| None;
        let c = find(none, &file).unwrap();
        assert_eq!((c.key_id.as_str(), c.key_path.to_str().unwrap()), ("file-id-1234", "/k.pem"));
        let env = |n: &str| (n == KEY_ID_VAR).then(|| "env-id-9999".to_string());
        assert_eq!(find(env, &file).unwrap().key_id, "env-id-9999");
        assert!(!format!("{c:?}").contains("file-id"), "Debug redacts the id");
        assert!(matches!(find(none, &dir.path().join("missing")), Err(CredentialsError::Missing(_))));
    }
}
