//! Evidence through the real binary: `go_no_go.json` from every session with a top-level
//! `go`, and the scoreboard of a paper session against the simulator, checked against the
//! parquet tables read back through polars. Loopback only.

mod common;

use common::{Sim, Workspace, post, stderr, stdout, write_fast_flow};
use kalshi_alpha::brokers::ledger_tables::read_table;

fn sum_i64(table: &polars::prelude::DataFrame, column: &str) -> i64 {
    table.column(column).unwrap().i64().unwrap().iter().map(|v| v.unwrap()).sum()
}

#[test]
fn every_scan_writes_go_no_go_with_a_top_level_go() {
    let ws = Workspace::new();
    let out = ws.run(&["scan", "--offline", "--series", "KXCPI"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let file: serde_json::Value = serde_json::from_str(&ws.read("reports/_artifacts/go_no_go.json")).unwrap();
    assert_eq!(file["go"], true);
    assert_eq!(file["source"], "scan");
    assert_eq!(file["series"]["KXCPI"]["go"], true);
    assert!(file["policy_version"].as_str().unwrap().len() >= 64);

    // With the kill switch engaged the same scan is NO-GO, and says why.
    assert!(ws.run(&["kill", "engage", "--reason", "drill"]).status.success());
    let out = ws.run(&["scan", "--offline", "--series", "KXHIGHNY"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let file: serde_json::Value = serde_json::from_str(&ws.read("reports/_artifacts/go_no_go.json")).unwrap();
    assert_eq!(file["go"], false);
    let reasons = file["series"]["KXHIGHNY"]["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r.as_str().unwrap().starts_with("KILL_SWITCH")), "{reasons:?}");
    // The earlier series keeps its latest decision; this session's file holds only its own.
    assert_eq!(file["latest"]["KXCPI"]["go"], true);
    assert!(file["series"].get("KXCPI").is_none());
    // Both sessions are in the decision log.
    assert_eq!(ws.read("data/proc/gates.jsonl").lines().count(), 2);
}

#[test]
fn the_scoreboard_of_a_paper_session_matches_the_parquet_tables() {
    let ws = Workspace::new();
    write_fast_flow(&ws);
    ws.write(
        "scripts/watch.rhai",
        "// Quote, then watch.\nscan(\"KXHIGHNY\");\nsubmit(\"KXHIGHNY\");\npause(2.0);\nreport(\"KXHIGHNY\");\n",
    );
    let sim = Sim::start(&ws, &["--flow", "fixtures/sim/fast_flow.jsonl", "--flow-after-subscribe"]);
    let out = ws.run(&["playbook", "run", "watch", "--online", "--base-url", &sim.base_url, "--broker", "paper"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let file: serde_json::Value = serde_json::from_str(&ws.read("reports/_artifacts/go_no_go.json")).unwrap();
    assert_eq!(file["source"], "playbook watch");
    assert_eq!(file["go"], true);
    // B47.5 settles YES (our YES wins), B49.5 settles YES (our NO loses).
    for ticker in ["KXHIGHNY-26NOV25-B47.5", "KXHIGHNY-26NOV25-B49.5"] {
        let answer = post(&sim.base_url, &format!("/sim/markets/{ticker}/settle"), r#"{"result":"yes"}"#);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    assert!(ws.run(&["ledger", "settle", "--online", "--base-url", &sim.base_url]).status.success());

    let out = ws.run(&["report", "scoreboard", "--window", "7d", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let boards: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let board = &boards[0];
    assert_eq!(board["window"]["label"], "7d");
    let paper = &board["paper"]["total"];
    let orders = read_table(&ws.path("data/proc/ledger/orders.parquet")).unwrap();
    let fills = read_table(&ws.path("data/proc/ledger/fills.parquet")).unwrap();
    assert_eq!(paper["orders"].as_u64().unwrap() as usize, orders.height());
    assert_eq!(paper["fills"].as_u64().unwrap() as usize, fills.height());
    let centis = |text: &serde_json::Value| (text.as_str().unwrap().parse::<f64>().unwrap() * 100.0).round() as i64;
    assert_eq!(centis(&paper["requested"]), sum_i64(&orders, "count_centis"));
    assert_eq!(centis(&paper["filled"]), sum_i64(&orders, "filled_centis"));
    let fee_units = sum_i64(&fills, "fee_units");
    assert_eq!(paper["fees"], kalshi_alpha::model::Money::from_units(fee_units).to_string());
    // Realised after fees equals the ledger's: +7.30 − 4.72 − 0.08.
    let show: serde_json::Value = serde_json::from_str(&stdout(&ws.run(&["ledger", "show", "--json"]))).unwrap();
    assert_eq!(paper["realised_pnl"], show["realised_total"]);
    assert_eq!(paper["realised_pnl"], "2.50");
    assert_eq!(paper["settled_fills"], 2);
    assert_eq!(paper["hit_rate"], 0.5);
    // Every order recorded its expectation, so both settled orders are scored.
    assert_eq!(paper["scored_orders"], 2);
    assert!(paper["brier_model"].as_f64().is_some());
    assert_eq!(board["live"]["total"]["orders"], 0);
    assert_eq!(board["decisions_by_series"]["KXHIGHNY"]["go"], 1);
    // The Markdown page and the JSON artifact are written.
    assert!(ws.read("reports/scoreboard_7d.md").contains("| **total** |"));
    assert!(ws.path("reports/_artifacts/scoreboard_7d.json").exists());
}

#[test]
fn an_unreadable_decision_log_is_an_error_naming_it() {
    let ws = Workspace::new();
    std::fs::create_dir_all(ws.path("data/proc")).unwrap();
    ws.write("data/proc/gates.jsonl", "{\"at\": \"not a time\"}\n");
    let out = ws.run(&["report", "scoreboard"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("gates.jsonl") && err.contains("line 1"), "{err}");
    assert!(!ws.path("reports/scoreboard_7d.md").exists(), "no partial output");
}
