//! Request signing: RSA-PSS with SHA-256 (MGF1-SHA-256, salt 32 bytes) over
//! `timestamp_ms + METHOD + path`, the path without its query string. Keys are read from
//! PKCS#8 or PKCS#1 PEM. The key never appears in `Debug` output, and the key id is shown at
//! most as its last four characters.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::pss::BlindedSigningKey;
use rsa::rand_core::OsRng;
use rsa::sha2::Sha256;
use rsa::signature::{RandomizedSigner, SignatureEncoding};
use thiserror::Error;

/// A key that cannot be used.
#[derive(Debug, Error)]
pub enum SigningError {
    /// The key file cannot be read.
    #[error("{path}: cannot read private key: {source}")]
    Read {
        /// Key file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Neither PKCS#8 nor PKCS#1 PEM.
    #[error("{path}: not an RSA private key in PKCS#8 or PKCS#1 PEM ({detail})")]
    Pem {
        /// Key file.
        path: PathBuf,
        /// The decoder's complaint (never the key itself).
        detail: String,
    },
}

/// The three authentication headers of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `KALSHI-ACCESS-KEY`.
    pub key: String,
    /// `KALSHI-ACCESS-TIMESTAMP` (unix ms).
    pub timestamp: String,
    /// `KALSHI-ACCESS-SIGNATURE` (standard base64).
    pub signature: String,
}

impl SignedHeaders {
    /// `(name, value)` pairs, in the order the exchange documents them.
    pub fn pairs(&self) -> [(&'static str, &str); 3] {
        [
            ("KALSHI-ACCESS-KEY", &self.key),
            ("KALSHI-ACCESS-TIMESTAMP", &self.timestamp),
            ("KALSHI-ACCESS-SIGNATURE", &self.signature),
        ]
    }
}

/// The signed message: `timestamp_ms + METHOD + path`, the query string removed.
pub fn message(timestamp_ms: i64, method: &str, path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    format!("{timestamp_ms}{}{path}", method.to_ascii_uppercase())
}

/// `…abcd`: the most of a key id logs may show.
pub fn redact_key_id(key_id: &str) -> String {
    let tail: String = key_id.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("…{tail}")
}

/// Signs requests with one API key.
pub struct Signer {
    key_id: String,
    key: BlindedSigningKey<Sha256>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer").field("key_id", &redact_key_id(&self.key_id)).finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer from PEM text (PKCS#8 `BEGIN PRIVATE KEY` or PKCS#1 `BEGIN RSA PRIVATE KEY`);
    /// `origin` names the key in errors.
    pub fn from_pem(key_id: &str, pem: &str, origin: &Path) -> Result<Signer, SigningError> {
        let key = RsaPrivateKey::from_pkcs8_pem(pem).or_else(|pkcs8| {
            RsaPrivateKey::from_pkcs1_pem(pem).map_err(|pkcs1| SigningError::Pem {
                path: origin.to_path_buf(),
                detail: format!("PKCS#8: {pkcs8}; PKCS#1: {pkcs1}"),
            })
        })?;
        Ok(Signer { key_id: key_id.to_string(), key: BlindedSigningKey::<Sha256>::new(key) })
    }

    /// A signer from a PEM file.
    pub fn from_file(key_id: &str, path: &Path) -> Result<Signer, SigningError> {
        let pem =
            std::fs::read_to_string(path).map_err(|source| SigningError::Read { path: path.to_path_buf(), source })?;
        Signer::from_pem(key_id, &pem, path)
    }

    /// The key id, redacted for logs.
    pub fn key_id_hint(&self) -> String {
        redact_key_id(&self.key_id)
    }

    /// Headers for a request (`path` is the URL path, e.g. `/trade-api/v2/portfolio/balance`;
    /// a query string is ignored).
    pub fn sign(&self, timestamp_ms: i64, method: &str, path: &str) -> SignedHeaders {
        let text = message(timestamp_ms, method, path);
        let signature = self.key.sign_with_rng(&mut OsRng, text.as_bytes());
        SignedHeaders {
            key: self.key_id.clone(),
            timestamp: timestamp_ms.to_string(),
            signature: base64::engine::general_purpose::STANDARD.encode(signature.to_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_drops_the_query_and_uppercases_the_method() {
        assert_eq!(
            message(1703123456789, "get", "/trade-api/v2/portfolio/orders?limit=5"),
            "1703123456789GET/trade-api/v2/portfolio/orders"
        );
        assert_eq!(message(1, "GET", "/trade-api/ws/v2"), "1GET/trade-api/ws/v2");
    }

    #[test]
    fn key_ids_are_redacted() {
        assert_eq!(redact_key_id("a952bcbe-ec3b-4b5b-b8f9-11dae589608c"), "…608c");
        assert_eq!(redact_key_id("ab"), "…ab");
    }

    #[test]
    fn bad_pem_names_the_file_not_the_key() {
        let err = Signer::from_pem(
            "id",
            "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
            Path::new("k.pem"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("k.pem: not an RSA private key"), "{err}");
        assert!(!err.contains("not a key"), "{err}");
    }
}
