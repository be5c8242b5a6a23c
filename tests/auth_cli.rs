//! `auth headers` signs exactly `timestamp + METHOD + path-without-query` with RSA-PSS
//! (SHA-256, salt 32), from PKCS#1 and PKCS#8 keys; verified with the public key.

mod common;

use base64::Engine as _;
use common::{Workspace, stderr, stdout};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::pss::{Signature, VerifyingKey};
use rsa::sha2::Sha256;
use rsa::signature::Verifier;
use rsa::{RsaPrivateKey, RsaPublicKey};

fn key() -> RsaPrivateKey {
    RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap()
}

fn headers(ws: &Workspace, key_file: &str, path: &str) -> Vec<(String, String)> {
    let out = ws.run(&[
        "auth",
        "headers",
        "--method",
        "get",
        "--path",
        path,
        "--key-file",
        key_file,
        "--key-id",
        "a952bcbe-ec3b-4b5b-b8f9-11dae589608c",
        "--timestamp-ms",
        "1703123456789",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| {
            let (k, v) = l.split_once(": ").unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn verify(public: &RsaPublicKey, message: &str, signature_b64: &str) {
    let bytes = base64::engine::general_purpose::STANDARD.decode(signature_b64).unwrap();
    let signature = Signature::try_from(bytes.as_slice()).unwrap();
    VerifyingKey::<Sha256>::new(public.clone()).verify(message.as_bytes(), &signature).expect("signature verifies");
}

#[test]
fn signs_the_documented_message_with_both_pem_kinds() {
    let ws = Workspace::new();
    let private = key();
    let public = RsaPublicKey::from(&private);
    ws.write("pkcs1.pem", &private.to_pkcs1_pem(LineEnding::LF).unwrap());
    ws.write("pkcs8.pem", &private.to_pkcs8_pem(LineEnding::LF).unwrap());
    for file in ["pkcs1.pem", "pkcs8.pem"] {
        let h = headers(&ws, file, "/trade-api/v2/portfolio/orders?limit=5&status=resting");
        let names: Vec<&str> = h.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["KALSHI-ACCESS-KEY", "KALSHI-ACCESS-TIMESTAMP", "KALSHI-ACCESS-SIGNATURE"]);
        assert_eq!(h[0].1, "…608c", "the key id is redacted unless --reveal-key-id");
        assert_eq!(h[1].1, "1703123456789");
        verify(&public, "1703123456789GET/trade-api/v2/portfolio/orders", &h[2].1);
    }
    // Randomised: two signatures of the same message differ, and both verify.
    let a = headers(&ws, "pkcs8.pem", "/trade-api/v2/portfolio/balance");
    let b = headers(&ws, "pkcs8.pem", "/trade-api/v2/portfolio/balance");
    assert_ne!(a[2].1, b[2].1);
    verify(&public, "1703123456789GET/trade-api/v2/portfolio/balance", &b[2].1);
}

#[test]
fn bad_key_is_a_clear_error_without_the_key() {
    let ws = Workspace::new();
    ws.write("bad.pem", "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0\n-----END RSA PRIVATE KEY-----\n");
    let out = ws.run(&[
        "auth",
        "headers",
        "--path",
        "/trade-api/v2/portfolio/balance",
        "--key-file",
        "bad.pem",
        "--key-id",
        "k",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("bad.pem: not an RSA (PKCS#8/PKCS#1) or Ed25519"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("c2VjcmV0"));
    let missing = ws.run(&["auth", "headers", "--path", "/trade-api/v2/portfolio/balance"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("no credentials: set KALSHI_API_KEY_ID"), "{}", stderr(&missing));
}

#[test]
fn signs_with_an_ed25519_key_detected_from_the_pem() {
    use ed25519_dalek::Verifier as _;
    use ed25519_dalek::pkcs8::EncodePrivateKey as _;
    let ws = Workspace::new();
    let private = ed25519_dalek::SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    ws.write("ed.pem", &private.to_pkcs8_pem(LineEnding::LF).unwrap());
    let h = headers(&ws, "ed.pem", "/trade-api/v2/portfolio/orders?limit=5");
    let bytes = base64::engine::general_purpose::STANDARD.decode(&h[2].1).unwrap();
    let signature = ed25519_dalek::Signature::from_slice(&bytes).unwrap();
    let message = "1703123456789GET/trade-api/v2/portfolio/orders";
    private.verifying_key().verify(message.as_bytes(), &signature).expect("Ed25519 signature verifies");
    // Ed25519 is deterministic: the same message signs the same way.
    assert_eq!(headers(&ws, "ed.pem", "/trade-api/v2/portfolio/orders")[2].1, h[2].1);
}

#[test]
fn the_key_id_is_shown_whole_only_when_asked() {
    let ws = Workspace::new();
    ws.write("pkcs8.pem", &key().to_pkcs8_pem(LineEnding::LF).unwrap());
    let args = ["auth", "headers", "--path", "/trade-api/v2/portfolio/balance", "--key-file", "pkcs8.pem"];
    let id = "a952bcbe-ec3b-4b5b-b8f9-11dae589608c";
    let shown = ws.run(&[&args[..], &["--key-id", id]].concat());
    assert!(!stdout(&shown).contains(id) && stdout(&shown).contains("KALSHI-ACCESS-KEY: …608c"), "{}", stdout(&shown));
    let revealed = ws.run(&[&args[..], &["--key-id", id, "--reveal-key-id"]].concat());
    assert!(stdout(&revealed).contains(&format!("KALSHI-ACCESS-KEY: {id}")), "{}", stdout(&revealed));
}
