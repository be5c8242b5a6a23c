//! Evidence through the real binary: `go_no_go.json` from every session with a top-level
//! `go`, and the scoreboard of a paper session against the simulator, checked against the
//! parquet tables read back through polars. Loopback only.

mod common;

use common::{Sim, Workspace, paper_watch_session, post, stderr, stdout};
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
    let sim = paper_watch_session(&ws);
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

/// A paper journal with one settled KXCPI fill that lost $0.45 a contract against an expected
/// +$0.10: a 0.55 shortfall, above the shipped h of 0.50 after k = 0.02.
fn losing_journal(ws: &Workspace) {
    use kalshi_alpha::ledger::{Expected, Fill, LedgerEvent, Mode, OrderPlaced};
    use kalshi_alpha::model::{Role, Side};
    let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let events = [
        LedgerEvent::OrderPlaced(OrderPlaced {
            ts: at("2026-11-20T14:00:00Z"),
            mode: Mode::Paper,
            client_order_id: "ka-paper-1".into(),
            series: "KXCPI".into(),
            event: "KXCPI-25NOV".into(),
            ticker: "KXCPI-25NOV-T0.2".into(),
            side: Side::Yes,
            role: Role::Maker,
            price: "0.45".parse().unwrap(),
            count: "10".parse().unwrap(),
            expected: Some(Expected { model_p: 0.55, market_p: 0.45, ev_per_contract: "0.10".parse().unwrap() }),
        }),
        LedgerEvent::Fill(Fill {
            ts: at("2026-11-20T14:05:00Z"),
            mode: Mode::Paper,
            client_order_id: "ka-paper-1".into(),
            series: "KXCPI".into(),
            ticker: "KXCPI-25NOV-T0.2".into(),
            side: Side::Yes,
            role: Role::Maker,
            price: "0.45".parse().unwrap(),
            count: "10".parse().unwrap(),
            fee: "0".parse().unwrap(),
        }),
        LedgerEvent::Settled { ts: at("2026-11-21T14:00:00Z"), ticker: "KXCPI-25NOV-T0.2".into(), result: Side::No },
    ];
    let lines: Vec<String> = events.iter().map(|e| serde_json::to_string(e).unwrap()).collect();
    std::fs::create_dir_all(ws.path("data/proc/ledger")).unwrap();
    ws.write("data/proc/ledger/journal.jsonl", &(lines.join("\n") + "\n"));
}

#[test]
fn a_cusum_alarm_makes_its_series_no_go_until_acknowledged() {
    let ws = Workspace::new();
    losing_journal(&ws);
    let shown = ws.run(&["monitors", "show", "--json"]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    let state: serde_json::Value = serde_json::from_str(&stdout(&shown)).unwrap();
    assert_eq!(state["series"]["KXCPI"]["alarm_at"], "2026-11-21T14:00:00Z");
    assert!(ws.path("data/proc/state/cusum.json").exists());

    let scan = |series: &str| {
        let out = ws.run(&["scan", "--offline", "--series", series, "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        v["series"][0]["gate"].clone()
    };
    let cpi = scan("KXCPI");
    assert_eq!(cpi["go"], false);
    assert!(cpi["reasons"].as_array().unwrap().iter().any(|r| r == "MONITOR: cusum_KXCPI=alert"), "{cpi}");
    // Another series does not see KXCPI's alarm.
    assert_eq!(scan("KXHIGHNY")["go"], true);

    let ack = ws.run(&["monitors", "ack", "KXCPI", "--reason", "model refitted after the release"]);
    assert!(ack.status.success(), "{}", stderr(&ack));
    assert_eq!(scan("KXCPI")["go"], true);
    let audit = ws.read("data/proc/audit/monitors.jsonl");
    assert!(audit.contains("cusum_acknowledged") && audit.contains("model refitted"), "{audit}");
    // The acknowledgement survives a recomputation: the old fill no longer counts.
    let state: serde_json::Value = serde_json::from_str(&stdout(&ws.run(&["monitors", "show", "--json"]))).unwrap();
    assert_eq!(state["series"]["KXCPI"]["samples"], 0);
    assert!(state["series"]["KXCPI"]["alarm_at"].is_null());
}

#[test]
fn an_unreadable_cusum_state_is_no_go_for_every_series() {
    let ws = Workspace::new();
    std::fs::create_dir_all(ws.path("data/proc/state")).unwrap();
    ws.write("data/proc/state/cusum.json", "{ not json");
    let out = ws.run(&["scan", "--offline", "--series", "KXHIGHNY", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let gate = &v["series"][0]["gate"];
    assert_eq!(gate["go"], false);
    assert!(gate["reasons"].as_array().unwrap().iter().any(|r| r == "MONITOR: cusum=unknown"), "{gate}");
}

#[test]
fn a_settlement_without_a_recomputed_cusum_is_no_go_until_recomputed() {
    let ws = Workspace::new();
    std::fs::create_dir_all(ws.path("data/proc/state")).unwrap();
    // What `ledger settle` leaves when it booked results but could not recompute the sum.
    ws.write(
        "data/proc/state/cusum.json",
        r#"{"updated_at": null, "pending_since": "2026-11-21T14:00:00Z", "series": {}}"#,
    );
    let gate = |ws: &Workspace| {
        let out = ws.run(&["scan", "--offline", "--series", "KXHIGHNY", "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        v["series"][0]["gate"].clone()
    };
    let pending = gate(&ws);
    assert_eq!(pending["go"], false);
    assert!(pending["reasons"].as_array().unwrap().iter().any(|r| r == "MONITOR: cusum=unknown"), "{pending}");
    assert!(ws.run(&["monitors", "show"]).status.success());
    assert_eq!(gate(&ws)["go"], true);
}

#[test]
fn readiness_is_not_ready_without_evidence_and_says_why() {
    let ws = Workspace::new();
    losing_journal(&ws);
    let out = ws.run(&["report", "readiness", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let cpi = &r["series"]["KXCPI"];
    assert_eq!(cpi["ready"], false);
    let failed: Vec<&str> = cpi["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["pass"] == false)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(failed.contains(&"settled fills") && failed.contains(&"no open CuSum alarm"), "{failed:?}");
    assert!(r["freshness"]["ledger_age_minutes"].as_f64().unwrap() > 0.0);
    assert!(r["freshness"]["monitors_age_minutes"].as_f64().is_some());
    assert!(ws.read("reports/pilot_readiness.md").contains("## KXCPI: NOT READY"));
    assert!(ws.path("reports/_artifacts/pilot_ready.json").exists());
}

#[test]
fn arming_refuses_a_series_that_is_not_ready_unless_overridden_and_recorded() {
    let ws = Workspace::new();
    let vars = common::live_keys(&ws, "readiness-key");
    let sim = Sim::start(&ws, &["--public-key", "pub.pem"]);
    let mut args = common::live_args("paper_watch", &sim.base_url);
    let at = args.iter().position(|a| *a == "--override-readiness").unwrap();
    args.drain(at..at + 2);
    // No readiness computed at all: NOT READY, refused before anything is sent.
    let out = ws.run_env(&args, &common::env(&vars));
    assert_eq!(out.status.code(), Some(14), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("KXHIGHNY: NOT_READY") && err.contains("pilot_ready.json"), "{err}");
    // Computed, and still NOT READY (no fills): the failing criteria are named.
    assert!(ws.run(&["report", "readiness"]).status.success());
    let out = ws.run_env(&args, &common::env(&vars));
    assert_eq!(out.status.code(), Some(14), "{}", stderr(&out));
    assert!(stderr(&out).contains("settled fills = 0"), "{}", stderr(&out));
    assert!(!ws.path("data/proc/audit/readiness_overrides.jsonl").exists());
    // The override trades, and is recorded with what it overrode.
    let out = ws.run_env(&common::live_args("paper_watch", &sim.base_url), &common::env(&vars));
    assert!(out.status.success(), "{}", stderr(&out));
    let audit = ws.read("data/proc/audit/readiness_overrides.jsonl");
    assert!(audit.contains("simulator drill") && audit.contains("KXHIGHNY"), "{audit}");
}

#[test]
fn ev_honesty_is_written_with_the_scoreboard_and_only_ever_shrinks_sizes() {
    let ws = Workspace::new();
    losing_journal(&ws);
    assert!(ws.run(&["report", "scoreboard", "--window", "30d"]).status.success());
    let table: serde_json::Value = serde_json::from_str(&ws.read("reports/_artifacts/ev_honesty.json")).unwrap();
    let bin = &table["bins"][0];
    assert_eq!(
        (bin["series"].as_str(), bin["side"].as_str(), bin["p_from"].as_f64()),
        (Some("KXCPI"), Some("yes"), Some(0.5))
    );
    // One settled fill is below min_samples: no evidence to shrink on.
    assert_eq!(bin["n"], 1);
    assert_eq!(bin["weight"], 1.0);

    // A table that halves KXCPI NO at 0.4–0.5 (the offline scan's proposal: NO at model 0.43, 10 asked).
    let mut table = table.clone();
    table["bins"] = serde_json::json!([{
        "series": "KXCPI", "side": "no", "p_from": 0.4, "p_to": 0.5, "n": 40,
        "expected_bps": 900.0, "realised_bps": 0.0, "t": 0.0, "weight": 0.5, "why": "t = 0.00: linear"
    }]);
    ws.write("reports/_artifacts/ev_honesty.json", &serde_json::to_string(&table).unwrap());
    // Policy scripts read the same weight.
    let gates = ws.read("policies/gates.rhai").replace(
        "    for name in ctx.monitors.keys() {",
        "    if ev_honesty(ctx.series, \"no\", 0.43) < 0.6 { reasons.push(\"EV_HONESTY_LOW: weight below 0.6\"); }\n    for name in ctx.monitors.keys() {",
    );
    ws.write("policies/gates.rhai", &gates);
    let out = ws.run(&["scan", "--offline", "--series", "KXCPI", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let reasons = v["series"][0]["gate"]["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r == "EV_HONESTY_LOW: weight below 0.6"), "{reasons:?}");
    let stamp_dir = std::fs::read_dir(ws.path("data/proc/proposals/KXCPI")).unwrap().next().unwrap().unwrap().path();
    let proposals: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(stamp_dir).unwrap()).unwrap();
    let decisions = proposals["events"][0]["decisions"].as_array().unwrap();
    let no = decisions.iter().find(|d| d["proposal"]["side"] == "no").unwrap();
    assert_eq!(no["allowed"], "5.00", "{no}");
    assert!(no["reasons"].as_array().unwrap().iter().any(|r| r["code"] == "EV_HONESTY"), "{no}");
    // Bins without evidence are untouched.
    let yes = decisions.iter().find(|d| d["proposal"]["side"] == "yes");
    if let Some(yes) = yes {
        assert!(!yes["reasons"].as_array().unwrap().iter().any(|r| r["code"] == "EV_HONESTY"), "{yes}");
    }
}

#[test]
fn an_unreadable_ev_honesty_table_refuses_the_session() {
    let ws = Workspace::new();
    std::fs::create_dir_all(ws.path("reports/_artifacts")).unwrap();
    ws.write("reports/_artifacts/ev_honesty.json", "{ broken");
    let out = ws.run(&["scan", "--offline", "--series", "KXCPI"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("ev_honesty.json"), "{}", stderr(&out));
    assert!(!ws.path("reports/KXCPI").exists(), "no partial output");
}

#[test]
fn the_pilot_bundle_holds_the_evidence_and_ends_in_a_verdict() {
    let ws = Workspace::new();
    losing_journal(&ws);
    assert!(ws.run(&["scan", "--offline", "--series", "KXCPI"]).status.success());
    let out = ws.run(&["report", "bundle", "KXCPI"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out);
    assert!(printed.contains("final: NO-GO"), "{printed}");
    let dir =
        std::fs::read_dir(ws.path("reports/bundles")).unwrap().map(|e| e.unwrap().path()).find(|p| p.is_dir()).unwrap();
    for file in [
        "README_pilot.md",
        "scoreboard_7d.md",
        "scoreboard_30d.json",
        "pilot_ready.json",
        "ev_honesty.json",
        "cusum.json",
        "go_no_go.json",
        "heartbeat.json",
        "last_scan_report.md",
        "last_proposals.json",
    ] {
        assert!(dir.join(file).exists(), "{file} missing from {}", dir.display());
    }
    let readme = std::fs::read_to_string(dir.join("README_pilot.md")).unwrap();
    // The losing fill keeps the CuSum alarm open and readiness NOT READY: both named in the verdict.
    assert!(readme.contains("- [ ] no open CuSum alarm: alarm since 2026-11-21T14:00:00+00:00"), "{readme}");
    assert!(readme.contains("- [x] kill switch off"), "{readme}");
    assert!(readme.contains("## Final: NO-GO") && readme.contains("pilot readiness"), "{readme}");
    // The archive is a gzip'd tar holding the same files.
    let archive = dir.with_extension("tar.gz");
    let listing = std::process::Command::new("tar").arg("tzf").arg(&archive).output().unwrap();
    assert!(listing.status.success(), "{}", String::from_utf8_lossy(&listing.stderr));
    let names = String::from_utf8_lossy(&listing.stdout).to_string();
    assert!(names.contains("/README_pilot.md") && names.contains("/cusum.json"), "{names}");
}
