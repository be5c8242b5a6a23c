//! `sim`, `markets`, `book` and `portfolio` through the real binary, on loopback only.

mod common;

use std::process::Command;

use common::{Sim, Workspace, stderr, stdout};

#[test]
fn markets_and_book_online_match_offline() {
    let ws = Workspace::new();
    let sim = Sim::start(&ws, &[]);
    let online =
        ws.run(&["markets", "--series", "KXHIGHNY", "--status", "open", "--base-url", &sim.base_url, "--json"]);
    assert!(online.status.success(), "{}", stderr(&online));
    let offline = ws.run(&["markets", "--series", "KXHIGHNY", "--offline", "--json"]);
    let (a, b): (serde_json::Value, serde_json::Value) =
        (serde_json::from_str(&stdout(&online)).unwrap(), serde_json::from_str(&stdout(&offline)).unwrap());
    assert_eq!(a[0]["bins"].as_array().unwrap().len(), 6);
    assert_eq!(a[0]["bins"][0]["label"], "< 45", "strike order");
    assert_eq!(a, b, "the simulator serves the fixtures' markets");
    let book = stdout(&ws.run(&["book", "KXCPI-25NOV-T0.2", "--base-url", &sim.base_url]));
    assert!(book.contains("best YES bid 0.6000  ask 0.6400  mid 0.6200"), "{book}");
}

#[test]
fn portfolio_reads_with_credentials_from_dotenv() {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let ws = Workspace::new();
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
    ws.write("key.pem", &key.to_pkcs8_pem(LineEnding::LF).unwrap());
    ws.write("pub.pem", &rsa::RsaPublicKey::from(&key).to_public_key_pem(LineEnding::LF).unwrap());
    ws.write(".env.local", "KALSHI_API_KEY_ID=test-key-0001\nKALSHI_PRIVATE_KEY_PEM_PATH=key.pem\n");
    let sim = Sim::start(&ws, &["--public-key", "pub.pem", "--cash", "250.00"]);
    let run = |what: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_kalshi-alpha"))
            .args(["portfolio", what, "--base-url", &sim.base_url])
            .current_dir(ws.dir.path())
            .env_remove("KALSHI_API_KEY_ID")
            .env_remove("KALSHI_PRIVATE_KEY_PEM_PATH")
            .output()
            .unwrap();
        assert!(out.status.success(), "{what}: {}", stderr(&out));
        stdout(&out)
    };
    assert_eq!(run("balance").trim(), "cash 250.00");
    assert_eq!(run("orders").trim(), "");
    assert_eq!(run("settlements").trim(), "");
    let err = ws.run(&["portfolio", "balance", "--base-url", &sim.base_url, "--json"]);
    assert!(err.status.success(), "{}", stderr(&err));
    assert!(!stderr(&err).contains("test-key-0001"), "the key id is never printed");
}

#[test]
fn record_then_replay_reproduces_the_books() {
    let ws = Workspace::new();
    let sim = Sim::start(&ws, &[]);
    let rec = ws.run(&[
        "record",
        "--series",
        "KXCPI",
        "--out",
        "rec",
        "--base-url",
        &sim.base_url,
        "--channels",
        "orderbook_delta",
        "--max-messages",
        "7",
        "--duration-s",
        "10",
    ]);
    assert!(rec.status.success(), "{}", stderr(&rec));
    assert!(stdout(&rec).starts_with("recorded 7 messages to rec/KXCPI_"), "{}", stdout(&rec));
    let file = std::fs::read_dir(ws.path("rec")).unwrap().next().unwrap().unwrap().path();
    let text = std::fs::read_to_string(&file).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.starts_with("{\"recv_ms\":") && header.contains("\"ladders\":[{\"series\":{\"ticker\":\"KXCPI\""),
        "{header}"
    );
    assert!(header.contains("\"event_ticker\":\"KXCPI-25NOV\""), "the header keeps the events with their markets");
    assert!(text.lines().nth(1).unwrap().starts_with("{\"sent_ms\":"), "the subscribe command is recorded");
    assert!(text.lines().last().unwrap().contains("\"cmd\":\"unsubscribe\""), "leaving unsubscribes first");
    let replayed = ws.run(&["replay", file.to_str().unwrap(), "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&replayed)).unwrap();
    let t02 = doc["markets"].as_array().unwrap().iter().find(|m| m["market"] == "KXCPI-25NOV-T0.2").unwrap();
    let book: serde_json::Value =
        serde_json::from_str(&stdout(&ws.run(&["book", "KXCPI-25NOV-T0.2", "--base-url", &sim.base_url, "--json"])))
            .unwrap();
    assert_eq!(t02["best_yes_bid"], book["best_yes_bid"]);
    assert_eq!(t02["best_yes_ask"], book["best_yes_ask"]);
}
