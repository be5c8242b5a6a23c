//! `replay` applies a recorded session (record format or raw messages) to fresh books.

mod common;

use common::{Workspace, stderr, stdout};

#[test]
fn recorded_session_ends_in_the_hand_computed_books() {
    let ws = Workspace::new();
    for file in ["KXHIGHNY-26NOV25.session.jsonl", "KXHIGHNY-26NOV25.raw.jsonl"] {
        let out = ws.run(&["replay", &format!("fixtures/kalshi/ws/{file}"), "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(doc["messages"], 18);
        let m = &doc["markets"];
        // B47.5 after the resnapshot: YES 0.25×40, 0.28×3; NO 0.68×25, 0.70×8.
        assert_eq!((m[0]["best_yes_bid"].as_str(), m[0]["best_yes_ask"].as_str()), (Some("0.2800"), Some("0.3000")));
        assert_eq!(m[0]["yes_depth"]["contracts"], "43.00");
        // B49.5: NO 0.59 was 29.50 (a fractional delta), then 0.595×4.25 arrived: ask 0.405.
        assert_eq!(m[1]["best_yes_ask"], "0.4050");
        assert_eq!(m[1]["no_depth"]["levels"], 3);
        assert_eq!(m[1]["no_depth"]["contracts"], "48.75");
        // B51.5 closed: a snapshot with neither side empties it.
        assert!(m[2]["best_yes_bid"].is_null());
        assert_eq!(doc["gaps"], serde_json::json!([{ "sid": 1, "expected": 9, "got": 10 }]));
    }
    let text = stdout(&ws.run(&["replay", "fixtures/kalshi/ws/KXHIGHNY-26NOV25.session.jsonl"]));
    assert!(text.contains("gap: sid 1 expected seq 9 got 10"), "{text}");
    assert!(text.trim_end().ends_with("18 messages, 1 gap(s)"), "{text}");
}

#[test]
fn a_broken_line_names_its_number() {
    let ws = Workspace::new();
    let mut text = ws.read("fixtures/kalshi/ws/KXHIGHNY-26NOV25.raw.jsonl");
    // A price outside [0, 1] for a market is refused and counted, as the live feed refuses it.
    let out_of_range = "{\"type\":\"orderbook_delta\",\"sid\":1,\"seq\":15,\"msg\":{\"market_ticker\":\"M\",\"price_dollars\":\"1.5\",\"delta_fp\":\"1.00\",\"side\":\"yes\"}}\n";
    ws.write("refused.jsonl", &(text.clone() + out_of_range));
    let refused = ws.run(&["replay", "refused.jsonl", "--json"]);
    assert!(refused.status.success(), "{}", stderr(&refused));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&refused)).unwrap();
    assert_eq!(doc["anomaly_count"], 1, "{doc}");
    // A delta that names no market is not a recording's line: named by number.
    text.push_str("{\"type\":\"orderbook_delta\",\"sid\":1,\"seq\":15,\"msg\":{\"price_dollars\":\"0.5000\",\"delta_fp\":\"1.00\",\"side\":\"yes\"}}\n");
    ws.write("broken.jsonl", &text);
    let out = ws.run(&["replay", "broken.jsonl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("broken.jsonl"), "{}", stderr(&out));
    assert!(stderr(&out).contains("line 19: orderbook_delta:"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "no partial output");
}
