//! Request signing over `timestamp_ms + METHOD + path`, the path without its query string,
//! with either kind of key Kalshi issues: RSA-PSS with SHA-256 (MGF1-SHA-256, salt 32 bytes;
//! PKCS#8 or PKCS#1 PEM) or Ed25519 (PKCS#8 PEM, the web app's default since October 2026).
//! The key type is read from the PEM (its label and PKCS#8 algorithm identifier). The key never
//! appears in `Debug` output, and the key id is shown at most as its last four characters.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use ed25519_dalek::Signer as _;
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, PrivateKeyInfo, SecretDocument};
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
    /// Neither an RSA key (PKCS#8 or PKCS#1 PEM) nor an Ed25519 key (PKCS#8 PEM).
    #[error("{path}: not an RSA (PKCS#8/PKCS#1) or Ed25519 (PKCS#8) private key in PEM ({detail})")]
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

/// The algorithm of an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// RSA, signed with PSS/SHA-256.
    Rsa,
    /// Ed25519.
    Ed25519,
}

impl KeyType {
    /// `rsa-pss-sha256` or `ed25519`.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Rsa => "rsa-pss-sha256",
            KeyType::Ed25519 => "ed25519",
        }
    }
}

enum PrivateKey {
    Rsa(Box<BlindedSigningKey<Sha256>>),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

/// Signs requests with one API key.
pub struct Signer {
    key_id: String,
    key: PrivateKey,
}

/// Reads a private key of either type; `Err` holds the decoders' complaints.
fn read_private_key(pem: &str) -> Result<PrivateKey, String> {
    let rsa = |key: RsaPrivateKey| PrivateKey::Rsa(Box::new(BlindedSigningKey::<Sha256>::new(key)));
    match SecretDocument::from_pem(pem) {
        Ok(("RSA PRIVATE KEY", _)) => RsaPrivateKey::from_pkcs1_pem(pem).map(rsa).map_err(|e| format!("PKCS#1: {e}")),
        Ok((_, document)) => {
            let info: PrivateKeyInfo<'_> = document.decode_msg().map_err(|e| format!("PKCS#8: {e}"))?;
            let oid = info.algorithm.oid;
            if oid == ed25519_dalek::pkcs8::ALGORITHM_OID {
                ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
                    .map(|k| PrivateKey::Ed25519(Box::new(k)))
                    .map_err(|e| format!("Ed25519 PKCS#8: {e}"))
            } else if oid == rsa::pkcs1::ALGORITHM_OID {
                RsaPrivateKey::from_pkcs8_pem(pem).map(rsa).map_err(|e| format!("RSA PKCS#8: {e}"))
            } else {
                Err(format!("unsupported key algorithm {oid} (RSA and Ed25519 are supported)"))
            }
        }
        Err(e) => Err(format!("PEM: {e}")),
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer").field("key_id", &redact_key_id(&self.key_id)).finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer from PEM text: PKCS#8 `BEGIN PRIVATE KEY` (RSA or Ed25519, told apart by the
    /// algorithm identifier) or PKCS#1 `BEGIN RSA PRIVATE KEY`; `origin` names the key in errors.
    pub fn from_pem(key_id: &str, pem: &str, origin: &Path) -> Result<Signer, SigningError> {
        let key = read_private_key(pem).map_err(|detail| SigningError::Pem { path: origin.to_path_buf(), detail })?;
        Ok(Signer { key_id: key_id.to_string(), key })
    }

    /// The key's algorithm.
    pub fn key_type(&self) -> KeyType {
        match self.key {
            PrivateKey::Rsa(_) => KeyType::Rsa,
            PrivateKey::Ed25519(_) => KeyType::Ed25519,
        }
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
        let signature = match &self.key {
            PrivateKey::Rsa(key) => key.sign_with_rng(&mut OsRng, text.as_bytes()).to_bytes().into_vec(),
            PrivateKey::Ed25519(key) => key.sign(text.as_bytes()).to_bytes().to_vec(),
        };
        SignedHeaders {
            key: self.key_id.clone(),
            timestamp: timestamp_ms.to_string(),
            signature: base64::engine::general_purpose::STANDARD.encode(signature),
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
        assert!(err.starts_with("k.pem: not an RSA (PKCS#8/PKCS#1) or Ed25519"), "{err}");
        assert!(!err.contains("not a key"), "{err}");
    }
}
