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

fn doctor(ws: &Workspace, base_url: &str, keys: &[(&'static str, Option<String>)]) -> (Option<i32>, serde_json::Value) {
    let out = ws.run_env(&["doctor", "--base-url", base_url, "--snapshot-timeout", "5", "--json"], &common::env(keys));
    let doc: serde_json::Value =
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    (out.status.code(), doc)
}

fn line<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("no {name}: {doc:#}"))
}

#[test]
fn doctor_checks_a_deployment_against_the_simulator_and_names_what_fails() {
    let ws = Workspace::new();
    let keys = common::live_keys(&ws, "doctor-key-0001");
    let sim = Sim::start(&ws, &["--public-key", "pub.pem"]);
    let (code, doc) = doctor(&ws, &sim.base_url, &keys);
    for name in [
        "configs",
        "policies",
        "schedule",
        "kill switch",
        "trading state",
        "credentials",
        "exchange read",
        "clock",
        "websocket",
    ] {
        assert_eq!(line(&doc, name)["level"], "ok", "{name}: {doc:#}");
    }
    let credentials = line(&doc, "credentials")["detail"].as_str().unwrap();
    assert!(credentials.contains("ed25519") && !credentials.contains("doctor-key-0001"), "{credentials}");
    assert!(line(&doc, "exchange read")["detail"].as_str().unwrap().contains("signed read: balance"), "{doc:#}");
    assert!(line(&doc, "websocket")["detail"].as_str().unwrap().contains("book(s) snapshotted"), "{doc:#}");
    // A fresh workspace has no fetched data and no calibration: warnings, so exit 1.
    assert_eq!(line(&doc, "calibration")["level"], "warn");
    assert_eq!((code, doc["worst"].as_str()), (Some(1), Some("warn")));

    // A key the exchange does not know: the signed read fails (exit 2); the local lines stay ok.
    let stranger = Workspace::new();
    let other_keys = common::live_keys(&stranger, "doctor-key-0002");
    let (code, doc) = doctor(&ws, &sim.base_url, &other_keys);
    assert_eq!(line(&doc, "exchange read")["level"], "fail", "{doc:#}");
    assert_eq!((code, line(&doc, "configs")["level"].as_str()), (Some(2), Some("ok")));

    // The exchange's clock 20 s ahead: the clock line fails.
    let skewed = Sim::start(&ws, &["--public-key", "pub.pem", "--faults", "clock_ms=20000"]);
    let (_, doc) = doctor(&ws, &skewed.base_url, &keys);
    assert_eq!(line(&doc, "clock")["level"], "fail", "{doc:#}");

    // Nothing listening: the read, the clock and the WebSocket fail; an engaged kill switch too.
    std::fs::create_dir_all(ws.path("data/proc/state")).unwrap();
    ws.write("data/proc/state/kill_switch", "");
    let dead = "http://127.0.0.1:9/trade-api/v2";
    let (code, doc) = doctor(&ws, dead, &keys);
    for name in ["exchange read", "clock", "websocket", "kill switch"] {
        assert_eq!(line(&doc, name)["level"], "fail", "{name}: {doc:#}");
    }
    assert_eq!(code, Some(2));
}
