//! API credentials and other secrets: the key id and the private key's path, from
//! `KALSHI_API_KEY_ID` and `KALSHI_PRIVATE_KEY_PEM_PATH` in the environment, else `.env.local`,
//! else `.env` (`NAME=value` lines, parsed by `dotenvy`). Values are never logged.

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

/// The files secrets are read from, besides the environment: `.env.local`, then `.env`.
pub const DOTENV_FILES: [&str; 2] = [".env.local", ".env"];

/// Credentials that cannot be found.
#[derive(Debug, Error)]
pub enum CredentialsError {
    /// Neither the environment nor the files name them.
    #[error("no credentials: set {KEY_ID_VAR} and {KEY_PATH_VAR} (or put them in .env.local or .env in {0})")]
    Missing(PathBuf),
    /// A file exists but cannot be read or parsed.
    #[error("{path}: cannot read: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// Secrets by name: the environment first, then `.env.local`, then `.env` (files never override
/// the environment; the first non-empty value wins). The files are parsed by `dotenvy`
/// without touching the process environment. Values are never logged.
pub struct Secrets {
    files: Vec<Vec<(String, String)>>,
}

impl Secrets {
    /// Reads `.env.local` and `.env` in `dir` (a missing file is empty; one that does not
    /// parse is an error naming it).
    pub fn load(dir: &Path) -> Result<Secrets, CredentialsError> {
        let mut files = Vec::new();
        for name in DOTENV_FILES {
            let path = dir.join(name);
            let read = |e: dotenvy::Error| CredentialsError::Read { path: path.clone(), message: e.to_string() };
            match dotenvy::from_path_iter(&path) {
                Ok(iter) => files.push(iter.collect::<Result<Vec<_>, _>>().map_err(read)?),
                Err(e) if e.not_found() => files.push(Vec::new()),
                Err(e) => return Err(read(e)),
            }
        }
        Ok(Secrets { files })
    }

    /// The value of `name`: `lookup` (the environment), else the files in order.
    pub fn get(&self, lookup: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
        lookup(name).filter(|v| !v.is_empty()).or_else(|| {
            self.files.iter().find_map(|f| f.iter().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.clone()))
        })
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.files.iter().flatten().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Secrets").field("names", &names).finish()
    }
}

/// The process environment as a lookup.
pub fn environment(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Finds credentials: `lookup` (the environment) first, else `.env.local`, else `.env` in `dir`.
pub fn find(lookup: &dyn Fn(&str) -> Option<String>, dir: &Path) -> Result<Credentials, CredentialsError> {
    let secrets = Secrets::load(dir)?;
    match (secrets.get(lookup, KEY_ID_VAR), secrets.get(lookup, KEY_PATH_VAR)) {
        (Some(key_id), Some(path)) => Ok(Credentials { key_id, key_path: PathBuf::from(path) }),
        _ => Err(CredentialsError::Missing(dir.to_path_buf())),
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
/// `.env.local` or `.env` in the working directory, and the key they name loaded.
pub fn signer_from_env() -> Result<crate::kalshi::signing::Signer, SignerError> {
    let found = find(&environment, Path::new("."))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_then_env_local_then_env() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env.local"), "# creds\nexport KALSHI_API_KEY_ID=\"local-id-1234\"\n").unwrap();
        std::fs::write(
            dir.path().join(".env"),
            "KALSHI_API_KEY_ID=env-file-id\nKALSHI_PRIVATE_KEY_PEM_PATH='/k.pem'\n",
        )
        .unwrap();
        let none = |_: &str| None;
        // .env.local wins over .env; .env fills what .env.local lacks.
        let c = find(&none, dir.path()).unwrap();
        assert_eq!((c.key_id.as_str(), c.key_path.to_str().unwrap()), ("local-id-1234", "/k.pem"));
        // The environment wins over both files.
        let env = |n: &str| (n == KEY_ID_VAR).then(|| "env-id-9999".to_string());
        assert_eq!(find(&env, dir.path()).unwrap().key_id, "env-id-9999");
        assert!(!format!("{c:?}").contains("local-id"), "Debug redacts the id");
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(find(&none, empty.path()), Err(CredentialsError::Missing(_))));
        // A file that does not parse names itself.
        std::fs::write(empty.path().join(".env"), "KEY='unterminated\n").unwrap();
        let err = find(&none, empty.path()).unwrap_err().to_string();
        assert!(err.contains(".env"), "{err}");
    }
}
