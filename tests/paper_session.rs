//! Paper sessions through the real binary: the ledger journal and parquet tables, losses and
//! exposure carried across runs, settlement P&L, online scans against the simulator, and a
//! stalled feed turning the gate NO-GO. Loopback only.

mod common;

use common::{Sim, Workspace, paper_watch_session, post, stderr, stdout};
use kalshi_alpha::brokers::ledger_tables::read_table;

const NOW: &str = "2026-11-24T15:00:00Z";

fn journal(ws: &Workspace) -> Vec<serde_json::Value> {
    ws.read("data/proc/ledger/journal.jsonl").lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn proposals(ws: &Workspace, series: &str, stamp: &str) -> serde_json::Value {
    serde_json::from_str(&ws.read(&format!("data/proc/proposals/{series}/proposals_{stamp}.json"))).unwrap()
}

fn reasons(p: &serde_json::Value) -> Vec<String> {
    p["events"][0]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["reasons"].as_array().unwrap().iter().map(|r| r.to_string()))
        .collect()
}

#[test]
fn paper_session_journals_orders_and_writes_parquet_tables() {
    let ws = Workspace::new();
    let out = ws.run(&["scan", "--offline", "--broker", "paper", "--now", NOW]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("journal: "), "{}", stdout(&out));
    let events = journal(&ws);
    let placed = events.iter().filter(|e| e["kind"] == "order_placed").count();
    let cancelled = events.iter().filter(|e| e["kind"] == "order_cancelled").count();
    // Two maker orders per ladder for the first three, then what the 25.00 daily cap leaves.
    assert_eq!(placed, 10, "the orders the limits approved");
    assert_eq!(cancelled, 10, "session_end = cancel in configs/paper.toml");
    let ids: std::collections::BTreeSet<&str> =
        events.iter().filter_map(|e| e["client_order_id"].as_str()).filter(|i| i.starts_with("ka-paper-")).collect();
    assert_eq!(ids.len(), 10);

    let orders = read_table(&ws.path("data/proc/ledger/orders.parquet")).unwrap();
    assert_eq!(orders.height(), 10);
    let status = orders.column("status").unwrap().str().unwrap();
    assert!(status.iter().all(|s| s == Some("cancelled")));
    let micros = orders.column("price_micros").unwrap().i64().unwrap();
    let text = orders.column("price").unwrap().str().unwrap();
    for (m, t) in micros.iter().zip(text.iter()) {
        assert_eq!(t.unwrap().parse::<kalshi_alpha::model::Price>().unwrap().micros(), m.unwrap());
    }
    assert_eq!(read_table(&ws.path("data/proc/ledger/fills.parquet")).unwrap().height(), 0);

    let report = ws.read("reports/KXHIGHNY/scan_20261124T150000Z.md");
    for section in [
        "## Gate inputs",
        "| data_age_secs | 0.000 |",
        "| heartbeat_age_secs | 0.000 |",
        "## Paper",
        "Fills vs requested: 0.00 of",
    ] {
        assert!(report.contains(section), "report lacks {section}:\n{report}");
    }
    let beat: serde_json::Value = serde_json::from_str(&ws.read("data/proc/state/heartbeat.json")).unwrap();
    assert_eq!(beat["broker"], "paper");
    assert_eq!(beat["et"], "2026-11-24T10:00:00-05:00");
}

#[test]
fn resting_orders_kept_across_runs_count_against_the_next_runs_limits() {
    let ws = Workspace::new();
    ws.edit("configs/paper.toml", "session_end = \"cancel\"", "session_end = \"keep\"");
    let first = ws.run(&["scan", "--broker", "paper", "--now", NOW]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(reasons(&proposals(&ws, "KXHIGHNY", "20261124T150000Z")).iter().all(|r| !r.contains("DAILY_LOSS_CAP")));
    // The second run sees the first run's resting orders as committed worst-case loss.
    let second = ws.run(&["scan", "--broker", "paper", "--now", "2026-11-24T15:05:00Z"]);
    assert!(second.status.success(), "{}", stderr(&second));
    let all: Vec<String> =
        ["KXCPI", "KXHIGHNY", "KXINXU"].iter().flat_map(|s| reasons(&proposals(&ws, s, "20261124T150500Z"))).collect();
    assert!(all.iter().any(|r| r.contains("DAILY_LOSS_CAP") || r.contains("MAX_LOSS_PER_STRIKE")), "{all:?}");
    let show: serde_json::Value = serde_json::from_str(&stdout(&ws.run(&["ledger", "show", "--json"]))).unwrap();
    assert!(show["open_orders"].as_array().unwrap().len() >= 6);
}

#[test]
fn settlement_realises_exact_pnl_and_losses_bind_the_daily_cap() {
    let ws = Workspace::new();
    // One filled paper order of 30 YES at 0.30 with a 0.15 fee, on a market the fixture then settles NO.
    let ticker = "KXHIGHNY-26NOV25-B49.5";
    let lines = [
        format!(
            r#"{{"kind":"order_placed","ts":"2026-11-24T14:00:00Z","mode":"paper","client_order_id":"ka-paper-t1","series":"KXHIGHNY","event":"KXHIGHNY-26NOV25","ticker":"{ticker}","side":"yes","role":"taker","price":"0.3000","count":"30.00"}}"#
        ),
        format!(
            r#"{{"kind":"fill","ts":"2026-11-24T14:00:00Z","mode":"paper","client_order_id":"ka-paper-t1","series":"KXHIGHNY","ticker":"{ticker}","side":"yes","role":"taker","price":"0.3000","count":"30.00","fee":"0.15"}}"#
        ),
    ];
    std::fs::create_dir_all(ws.path("data/proc/ledger")).unwrap();
    ws.write("data/proc/ledger/journal.jsonl", &(lines.join("\n") + "\n"));
    // The market's fixture now reads as settled NO.
    let path = "fixtures/kalshi/events/KXHIGHNY-26NOV25.json";
    let mut event: serde_json::Value = serde_json::from_str(&ws.read(path)).unwrap();
    for m in event["event"]["markets"].as_array_mut().unwrap().iter_mut().filter(|m| m["ticker"] == ticker) {
        m["status"] = "finalized".into();
        m["result"] = "no".into();
        m["settlement_ts"] = "2026-11-24T14:30:00Z".into();
    }
    ws.write(path, &event.to_string());
    let settled = ws.run(&["ledger", "settle", "--offline", "--now", "2026-11-24T14:30:00Z"]);
    assert!(settled.status.success(), "{}", stderr(&settled));
    assert!(stdout(&settled).contains(&format!("settled {ticker}: no")));
    let show: serde_json::Value = serde_json::from_str(&stdout(&ws.run(&["ledger", "show", "--json"]))).unwrap();
    // 1000 − 9.00 premium − 0.15 fee; the 30 YES pay nothing.
    assert_eq!(show["cash"], "990.85");
    assert_eq!(show["realised_total"], "-9.15");
    assert_eq!(show["positions"].as_array().unwrap().len(), 0);
    assert_eq!(read_table(&ws.path("data/proc/ledger/positions.parquet")).unwrap().height(), 0);
    // The next paper run the same New York day starts 9.15 down against the 25.00 daily cap.
    let run = ws.run(&["scan", "--broker", "paper", "--now", NOW]);
    assert!(run.status.success(), "{}", stderr(&run));
    let all: Vec<String> =
        ["KXCPI", "KXHIGHNY", "KXINXU"].iter().flat_map(|s| reasons(&proposals(&ws, s, "20261124T150000Z"))).collect();
    assert!(all.iter().any(|r| r.contains("DAILY_LOSS_CAP")), "{all:?}");
    // A dry run of the same scan has no ledger and no such denial.
    let dry = Workspace::new();
    assert!(dry.run(&["scan", "--now", NOW]).status.success());
    let none: Vec<String> =
        ["KXCPI", "KXHIGHNY", "KXINXU"].iter().flat_map(|s| reasons(&proposals(&dry, s, "20261124T150000Z"))).collect();
    assert!(none.iter().all(|r| !r.contains("DAILY_LOSS_CAP")), "{none:?}");
}

#[test]
fn online_scan_against_the_simulator_matches_the_offline_scan() {
    let ws = Workspace::new();
    let sim = Sim::start(&ws, &[]);
    let offline = ws.run(&["scan", "--offline", "--now", NOW, "--out", "off"]);
    assert!(offline.status.success(), "{}", stderr(&offline));
    // Bundled fixtures never price an online session (they have no fetch time): the online
    // root gets the same payloads as data fetched ten minutes before the scan, kept in the
    // cache and installed from it.
    let sources = [
        "bls",
        "nowcast",
        "aaa",
        "eia",
        "nws_forecast",
        "nws_cli",
        "index_aggs",
        "index_snapshot",
        "treasury",
        "claims",
    ];
    for source in sources {
        let mut files: Vec<_> = std::fs::read_dir(ws.path(&format!("fixtures/data/{source}")))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let newest = files.last().unwrap();
        let ext = newest.extension().unwrap().to_str().unwrap();
        let cached = ws.path(&format!("on/data/raw/{source}/2026-11-24/145000.000.{ext}"));
        std::fs::create_dir_all(cached.parent().unwrap()).unwrap();
        std::fs::copy(newest, &cached).unwrap();
    }
    let fetch = ws.run(&[&["data", "fetch"][..], &sources[..], &["--offline", "--out", "on"]].concat());
    assert!(fetch.status.success(), "{}{}", stdout(&fetch), stderr(&fetch));
    let online = ws.run(&[
        "scan",
        "--online",
        "--base-url",
        &sim.base_url,
        "--now",
        NOW,
        "--out",
        "on",
        "--record",
        "on/data/raw/ws/scan.jsonl",
    ]);
    assert!(online.status.success(), "{}", stderr(&online));
    // The session kept its own recording: the what-if replays it, every ladder decided.
    let whatif = ws.run(&[
        "policy",
        "whatif",
        "--against",
        "policies",
        "--sessions",
        "on/data/raw/ws/scan.jsonl",
        "--out",
        "on",
        "--now",
        NOW,
        "--json",
    ]);
    assert!(whatif.status.success(), "{}", stderr(&whatif));
    let r: serde_json::Value = serde_json::from_str(&stdout(&whatif)).unwrap();
    let decided: Vec<&str> =
        r["sessions"][0]["decided"].as_array().unwrap().iter().map(|d| d[0].as_str().unwrap()).collect();
    assert_eq!(decided.len(), 11, "every shipped ladder: {r:#}");
    assert_eq!(r["differ"], 0);
    for series in ["KXCPI", "KXHIGHNY", "KXINXU"] {
        let read = |root: &str| -> serde_json::Value {
            serde_json::from_str(
                &ws.read(&format!("{root}/data/proc/proposals/{series}/proposals_20261124T150000Z.json")),
            )
            .unwrap()
        };
        let (a, b) = (read("off"), read("on"));
        assert_eq!(a["events"], b["events"], "{series}: same proposals and decisions");
        assert_eq!(b["gate"]["go"], true, "{series}: {}", b["gate"]);
    }
}

#[test]
fn online_scan_names_markets_whose_snapshot_never_arrives() {
    let ws = Workspace::new();
    // Every connection drops after its first message (the subscribe reply): no snapshot arrives.
    let sim = Sim::start(&ws, &["--faults", "ws_drop=1"]);
    let out =
        ws.run(&["scan", "--online", "--base-url", &sim.base_url, "--series", "KXCPI", "--snapshot-timeout", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("no order book snapshot within") && err.contains("KXCPI-25NOV-T0.0"), "{err}");
    assert!(!ws.path("reports").exists(), "nothing written");
}

#[test]
fn a_stalled_feed_makes_the_gate_say_data_stale() {
    let ws = Workspace::new();
    ws.edit(
        "policies/gates.rhai",
        "freshness::stale(ctx.data_age_secs, 900.0)",
        "freshness::stale(ctx.data_age_secs, 1.0)",
    );
    ws.edit("policies/gates.rhai", "max=900s", "max=1s");
    ws.edit("policies/tests/gates.toml", "data_age_secs = 12.0", "data_age_secs = 0.5");
    ws.write(
        "scripts/stale.rhai",
        "// Scan, let the feed stall, scan again.\nlet a = scan(\"KXHIGHNY\");\nlog(`first ${a[\"go\"]}`);\npause(2.5);\nlet b = scan(\"KXHIGHNY\");\nlog(`second ${b[\"go\"]}`);\n",
    );
    let sim = Sim::start(&ws, &["--faults", "ws_stall_ms=600"]);
    let out = ws.run(&["playbook", "run", "stale", "--online", "--base-url", &sim.base_url, "--broker", "paper"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("first true"), "{text}");
    assert!(text.contains("second false"), "{text}");
    let record_name = std::fs::read_dir(ws.path("reports/sessions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let record: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(record_name).unwrap()).unwrap();
    let reasons = record["gates"]["KXHIGHNY"]["reasons"].to_string();
    assert!(reasons.contains("DATA_STALE"), "{reasons}");
    assert!(!record["market_data"].as_str().unwrap().is_empty());
}

#[test]
fn maker_orders_fill_when_the_tape_trades_through_their_queue() {
    let ws = Workspace::new();
    let sim = paper_watch_session(&ws);
    let show: serde_json::Value = serde_json::from_str(&stdout(&ws.run(&["ledger", "show", "--json"]))).unwrap();
    let positions: Vec<(String, String, String, String)> = show["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap().to_string();
            (s("ticker"), s("side"), s("count"), s("cost"))
        })
        .collect();
    assert_eq!(
        positions,
        [
            ("KXHIGHNY-26NOV25-B47.5".into(), "yes".into(), "10.00".into(), "2.70".into()),
            ("KXHIGHNY-26NOV25-B49.5".into(), "no".into(), "8.00".into(), "4.72".into()),
        ]
    );
    // Maker fees under the centicent rule with the per-order accumulator: 0.04 + 0.04.
    assert_eq!(show["fees_paid"], "0.08");
    assert_eq!(show["cash"], "992.50");
    // The parquet tables say the same as the journal replay.
    let table = read_table(&ws.path("data/proc/ledger/positions.parquet")).unwrap();
    let units: Vec<i64> = table.column("cost_units").unwrap().i64().unwrap().iter().map(|v| v.unwrap()).collect();
    assert_eq!(units, [270_000_000, 472_000_000]);
    let fills = read_table(&ws.path("data/proc/ledger/fills.parquet")).unwrap();
    assert_eq!(fills.height(), 2);
    let report = std::fs::read_dir(ws.path("reports/KXHIGHNY"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "md"))
        .unwrap();
    assert!(std::fs::read_to_string(report).unwrap().contains("Fills vs requested: 18.00 of 18.00 contracts (100.0%)"));

    // Both markets settle YES on the simulator; `ledger settle --online` reads the results.
    for ticker in ["KXHIGHNY-26NOV25-B47.5", "KXHIGHNY-26NOV25-B49.5"] {
        let answer = post(&sim.base_url, &format!("/sim/markets/{ticker}/settle"), r#"{"result":"yes"}"#);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    let settled = ws.run(&["ledger", "settle", "--online", "--base-url", &sim.base_url]);
    assert!(settled.status.success(), "{}", stderr(&settled));
    let show: serde_json::Value = serde_json::from_str(&stdout(&ws.run(&["ledger", "show", "--json"]))).unwrap();
    // YES 10 @ 0.27 pays 10.00 (+7.30); NO 8 @ 0.59 pays nothing (−4.72); fees 0.08.
    assert_eq!(show["realised_total"], "2.50");
    assert_eq!(show["cash"], "1002.50");
    assert!(show["positions"].as_array().unwrap().is_empty());
}

#[test]
fn a_playbook_cancels_one_series_and_keeps_the_rest_for_the_next_run() {
    let ws = Workspace::new();
    ws.edit("configs/paper.toml", "session_end = \"cancel\"", "session_end = \"keep\"");
    ws.write(
        "scripts/partial.rhai",
        "// Quote two series, pull one.\nsubmit(\"KXHIGHNY\");\nsubmit(\"KXCPI\");\nlet n = cancel(\"KXHIGHNY\", \"pulled\");\nlog(`cancelled ${n}`);\n",
    );
    let out = ws.run(&["playbook", "run", "partial", "--broker", "paper", "--now", NOW]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("cancelled 2"), "{}", stdout(&out));
    let show: serde_json::Value = serde_json::from_str(&stdout(&ws.run(&["ledger", "show", "--json"]))).unwrap();
    let open: Vec<&str> =
        show["open_orders"].as_array().unwrap().iter().map(|o| o["order"]["series"].as_str().unwrap()).collect();
    assert_eq!(open, ["KXCPI", "KXCPI"], "KXCPI's orders rest on for the next run");
    let cancels = journal(&ws).into_iter().filter(|e| e["reason"] == "pulled").count();
    assert_eq!(cancels, 2);
}

const WAITING: &str =
    "// Quote, then wait a long time.\nsubmit(\"KXHIGHNY\");\nlog(\"quoted\");\npause(30.0);\nlog(\"never\");\n";

fn stopped_record(ws: &Workspace, name: &str) -> serde_json::Value {
    let path = std::fs::read_dir(ws.path("reports/sessions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name().unwrap().to_string_lossy().starts_with(name) && p.extension().is_some_and(|x| x == "json")
        })
        .expect("a session record");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn max_runtime_stops_the_run_and_cancels_what_rests() {
    let ws = Workspace::new();
    ws.edit("configs/paper.toml", "session_end = \"cancel\"", "session_end = \"keep\"");
    ws.write("scripts/waiting.rhai", WAITING);
    let out = ws.run(&["playbook", "run", "waiting", "--broker", "paper", "--max-runtime", "1s"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let record = stopped_record(&ws, "waiting");
    assert_eq!(record["stopped"], "max_runtime 1s reached");
    assert_eq!(record["outcome"], "failed");
    assert!(!stdout(&out).contains("never"));
    let cancelled =
        journal(&ws).iter().filter(|e| e["reason"] == "cancel_all: run stopped: max_runtime 1s reached").count();
    assert_eq!(cancelled, 2, "kept-orders setting or not, a stopped run leaves nothing resting");
}

#[test]
fn sigterm_finishes_the_step_cancels_and_writes_the_record() {
    let ws = Workspace::new();
    ws.edit("configs/paper.toml", "session_end = \"cancel\"", "session_end = \"keep\"");
    ws.write("scripts/waiting.rhai", WAITING);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_kalshi-alpha"))
        .args(["playbook", "run", "waiting", "--broker", "paper"])
        .current_dir(ws.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (bounded) for the orders to be placed, then ask it to stop.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !ws.path("data/proc/ledger/journal.jsonl").exists()
        || journal(&ws).iter().filter(|e| e["kind"] == "order_placed").count() < 2
    {
        assert!(std::time::Instant::now() < deadline, "orders never placed");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let status = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let record = stopped_record(&ws, "waiting");
    assert_eq!(record["stopped"], "stop requested");
    let cancels = journal(&ws).iter().filter(|e| e["kind"] == "order_cancelled").count();
    assert_eq!(cancels, 2);
    let show: serde_json::Value = serde_json::from_str(&stdout(&ws.run(&["ledger", "show", "--json"]))).unwrap();
    assert!(show["open_orders"].as_array().unwrap().is_empty());
}
