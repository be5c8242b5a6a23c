//! Live trading against the simulator, through the binary: an armed session with an Ed25519
//! key (orders journaled before they are sent, fills in the live ledger, `orders` matching the
//! venue), the arming matrix (each missing condition refuses with its own exit code and sends
//! nothing), and the kill switch (engaged from another process: cancel-all at the venue, the
//! session halted, latency audited). Loopback only. The child processes run without `CI` set
//! (arming refuses under CI; one case checks exactly that).

mod common;

use std::time::{Duration, Instant};

use common::{Sim, Workspace, env, live_args, live_keys, post, stderr, stdout, write_fast_flow};

fn keys(ws: &Workspace) -> Vec<(&'static str, Option<String>)> {
    live_keys(ws, "live-test-key")
}

fn jsonl(ws: &Workspace, rel: &str) -> Vec<serde_json::Value> {
    ws.read(rel).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{rel}: {e}: {l}"))).collect()
}

#[test]
fn an_armed_session_trades_journals_and_matches_the_venue() {
    let ws = Workspace::new();
    write_fast_flow(&ws);
    ws.write(
        "scripts/watch.rhai",
        "// Quote, then watch.\nscan(\"KXHIGHNY\");\nsubmit(\"KXHIGHNY\");\npause(2.5);\nreport(\"KXHIGHNY\");\n",
    );
    let vars = keys(&ws);
    let sim = Sim::start(
        &ws,
        &["--public-key", "pub.pem", "--flow", "fixtures/sim/fast_flow.jsonl", "--flow-after-subscribe"],
    );
    let out = ws.run_env(&live_args("watch", &sim.base_url), &env(&vars));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("(live broker)"), "{}", stdout(&out));

    // Every create was preceded by its intent; each order was acknowledged once.
    let records = jsonl(&ws, "data/proc/live/orders.jsonl");
    assert_eq!(records[0]["kind"], "session");
    assert!(records[0]["order_group_id"].as_str().unwrap().starts_with("group-"));
    let intents: Vec<&serde_json::Value> = records.iter().filter(|r| r["kind"] == "intent").collect();
    assert_eq!(intents.len(), 2);
    for intent in &intents {
        let cid = intent["client_order_id"].as_str().unwrap();
        assert!(cid.starts_with("ka-live-"), "{cid}");
        let first = |kind: &str| records.iter().position(|r| r["kind"] == kind && r["client_order_id"] == cid);
        assert!(first("intent").unwrap() < first("acked").unwrap());
        assert_eq!(records.iter().filter(|r| r["kind"] == "acked" && r["client_order_id"] == cid).count(), 1);
    }
    // The tape filled both maker orders: the live ledger has the same positions and fees a
    // paper session gets from the same flow.
    let show = ws.run(&["ledger", "show", "--live", "--json"]);
    assert!(show.status.success(), "{}", stderr(&show));
    let show: serde_json::Value = serde_json::from_str(&stdout(&show)).unwrap();
    let positions: Vec<(String, String, String)> = show["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["ticker"].as_str().unwrap().into(),
                p["side"].as_str().unwrap().into(),
                p["count"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        positions,
        [
            ("KXHIGHNY-26NOV25-B47.5".into(), "yes".into(), "10.00".into()),
            ("KXHIGHNY-26NOV25-B49.5".into(), "no".into(), "8.00".into()),
        ]
    );
    assert_eq!(show["fees_paid"], "0.08");
    // Fills came on the account's `fill` channel as they happened (keyed by the trade id; the
    // REST backstop keys its own `fill-<trade>`): each trade is journaled once across both
    // paths, and the trades are exactly those the venue's REST fills list.
    let fills: Vec<&serde_json::Value> = records.iter().filter(|r| r["kind"] == "fill").collect();
    let journaled: std::collections::BTreeSet<String> =
        fills.iter().map(|f| f["trade_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(journaled.len(), fills.len(), "each trade once: {fills:?}");
    assert!(fills.iter().any(|f| f["fill_id"] == f["trade_id"]), "pushed on the WebSocket: {fills:?}");
    let rest = ws.run_env(&["portfolio", "fills", "--json", "--base-url", &sim.base_url], &env(&vars));
    assert!(rest.status.success(), "{}", stderr(&rest));
    let rest: serde_json::Value = serde_json::from_str(&stdout(&rest)).unwrap();
    let venue: std::collections::BTreeSet<String> =
        rest.as_array().unwrap().iter().map(|f| f["trade_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(journaled, venue, "the WebSocket and REST fills are the same trades");
    let ledger = jsonl(&ws, "data/proc/ledger/live_journal.jsonl");
    assert!(ledger.iter().filter(|e| e["kind"] == "fill").all(|e| e["mode"] == "live"));

    // `orders` shows the journal beside the venue: nothing differs.
    let orders = ws.run_env(&["orders", "--json", "--base-url", &sim.base_url], &env(&vars));
    assert!(orders.status.success(), "{}{}", stdout(&orders), stderr(&orders));
    let view: serde_json::Value = serde_json::from_str(&stdout(&orders)).unwrap();
    assert_eq!(view["differences"].as_array().unwrap().len(), 0);
    assert_eq!(view["orders"].as_array().unwrap().len(), 2);
    assert!(view["orders"].as_array().unwrap().iter().all(|o| o["differs"] == false && o["filled"] != "0.00"));
    // The venue settles the YES market: it pays the 10 YES out and lists the settlement.
    let answer = post(&sim.base_url, "/sim/markets/KXHIGHNY-26NOV25-B47.5/settle", r#"{"result":"yes"}"#);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let out = ws.run_env(&["portfolio", "settlements", "--json", "--base-url", &sim.base_url], &env(&vars));
    assert!(out.status.success(), "{}", stderr(&out));
    let settlements: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let listed = settlements.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{settlements}");
    assert_eq!(listed[0]["ticker"], "KXHIGHNY-26NOV25-B47.5");
    assert_eq!(listed[0]["yes_count_fp"], "10.00");
    assert!(listed[0]["settled_time"].as_str().unwrap().starts_with("20"), "{settlements}");
    // No secret reached a log or audit file.
    for file in ["data/proc/live/orders.jsonl", "data/proc/ledger/live_journal.jsonl"] {
        assert!(!ws.read(file).contains("PRIVATE KEY") && !ws.read(file).contains("live-test-key"));
    }
}

#[test]
fn every_missing_arming_condition_refuses_with_its_own_exit_code() {
    let ws = Workspace::new();
    let vars = keys(&ws);
    let sim = Sim::start(&ws, &["--public-key", "pub.pem"]);
    let base = sim.base_url.clone();
    let with = |extra: &[(&'static str, Option<String>)]| {
        let mut v = vars.clone();
        for (k, val) in extra {
            v.retain(|(name, _)| name != k);
            v.push((*k, val.clone()));
        }
        v
    };
    let full = live_args("paper_watch", &base);
    let without = |flag: &str, takes_value: bool| {
        let mut args = full.clone();
        let at = args.iter().position(|a| *a == flag).unwrap();
        args.remove(at);
        if takes_value {
            args.remove(at);
        }
        args
    };
    let mut high = full.clone();
    let last = high.len() - 1;
    high[last] = "51";
    let mut paper_ack = full.clone();
    let at = paper_ack.iter().position(|a| *a == "live").unwrap();
    paper_ack[at] = "paper";
    type Case<'a> = (&'a str, Vec<&'a str>, Vec<(&'static str, Option<String>)>, i32);
    let cases: Vec<Case> = vec![
        ("risk acknowledgement", without("--i-understand-the-risks", false), vars.clone(), 11),
        ("credentials", full.clone(), with(&[("KALSHI_API_KEY_ID", None), ("KALSHI_PRIVATE_KEY_PEM_PATH", None)]), 12),
        ("CI", full.clone(), with(&[("CI", Some("true".into()))]), 15),
        ("session ceiling", without("--session-notional", true), vars.clone(), 16),
        ("ceiling above limits.toml", high, vars.clone(), 16),
        ("live broker", paper_ack, vars.clone(), 10),
    ];
    for (what, args, vars, code) in cases {
        let out = ws.run_env(&args, &env(&vars));
        assert_eq!(out.status.code(), Some(code), "{what}: {}", stderr(&out));
        assert!(stderr(&out).contains("live trading refused"), "{what}: {}", stderr(&out));
    }
    // The kill switch.
    std::fs::create_dir_all(ws.path("data/proc/state")).unwrap();
    ws.write("data/proc/state/kill_switch", "");
    let out = ws.run_env(&full, &env(&vars));
    assert_eq!(out.status.code(), Some(13), "{}", stderr(&out));
    std::fs::remove_file(ws.path("data/proc/state/kill_switch")).unwrap();
    // Gate NO-GO: the exchange's clock runs 3 s ahead (the gate allows 1.5 s).
    let skewed = Sim::start(&ws, &["--public-key", "pub.pem", "--faults", "clock_ms=3000"]);
    let out = ws.run_env(&live_args("paper_watch", &skewed.base_url), &env(&vars));
    assert_eq!(out.status.code(), Some(14), "{}", stderr(&out));
    assert!(stderr(&out).contains("CLOCK_SKEW"), "{}", stderr(&out));
    // Nothing was ever sent.
    assert!(!ws.path("data/proc/live/orders.jsonl").exists());
    // With everything in place the same command trades.
    let out = ws.run_env(&full, &env(&vars));
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn the_kill_switch_cancels_everything_at_the_venue_and_latches() {
    let ws = Workspace::new();
    ws.write(
        "scripts/quote_and_wait.rhai",
        "// Quote, then wait.\nscan(\"KXHIGHNY\");\nsubmit(\"KXHIGHNY\");\nlog(\"quoted\");\npause(6.0);\nsubmit(\"KXHIGHNY\");\n",
    );
    let vars = keys(&ws);
    let sim = Sim::start(&ws, &["--public-key", "pub.pem"]);
    let child = ws.spawn_env(&live_args("quote_and_wait", &sim.base_url), &env(&vars));
    // Wait for the two acknowledgements.
    let started = Instant::now();
    while !ws.path("data/proc/live/orders.jsonl").exists()
        || ws.read("data/proc/live/orders.jsonl").matches("\"acked\"").count() < 2
    {
        assert!(started.elapsed() < Duration::from_secs(20), "no orders acknowledged");
        std::thread::sleep(Duration::from_millis(50));
    }
    let engage = ws.run(&["kill", "engage", "--reason", "test: operator"]);
    assert!(engage.status.success(), "{}", stderr(&engage));
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // The watcher sent cancel-all and audited how long it took.
    let audit = jsonl(&ws, "data/proc/audit/live.jsonl");
    let fired = audit.iter().find(|a| a["event"] == "kill_cancel_all").expect("kill_cancel_all audited");
    assert_eq!(fired["cancel_all"], "sent");
    let latency = fired["engage_to_cancel_all_ms"].as_i64().unwrap();
    eprintln!("kill switch engage → cancel-all sent: {latency} ms");
    assert!(latency >= 0);
    assert!(fired["order_group"].as_str().unwrap().ends_with("triggered"));
    // Nothing rests at the venue; the second submit was refused, not sent.
    let orders = ws.run_env(&["orders", "--json", "--base-url", &sim.base_url], &env(&vars));
    let view: serde_json::Value = serde_json::from_str(&stdout(&orders)).unwrap();
    assert!(view["orders"].as_array().unwrap().iter().all(|o| o["venue_status"] == "closed"), "{view}");
    assert!(audit.iter().any(|a| a["event"] == "pretrade_refused" && a["detail"]["code"] == "KILL_SWITCH"));
    let state: serde_json::Value = serde_json::from_str(&stdout(&ws.run(&["state", "show", "--json"]))).unwrap();
    assert_eq!(state["state"], "halted");
    // Latched: a new session is refused until reset; after reset the state stays HALTED
    // until an operator sets it.
    let again = ws.run_env(&live_args("paper_watch", &sim.base_url), &env(&vars));
    assert_eq!(again.status.code(), Some(13));
    assert!(ws.run(&["kill", "reset", "--reason", "checked"]).status.success());
    let state: serde_json::Value = serde_json::from_str(&stdout(&ws.run(&["state", "show", "--json"]))).unwrap();
    assert_eq!(state["state"], "halted");
    assert!(ws.run(&["state", "set", "active", "--reason", "resume"]).status.success());
    let trail = jsonl(&ws, "data/proc/audit/trading_state.jsonl");
    assert_eq!(trail.last().unwrap()["state"], "active");
    assert_eq!(trail.last().unwrap()["by"], "operator");
}

#[test]
fn a_silent_feed_makes_the_watchdog_cancel_resting_orders() {
    let ws = Workspace::new();
    ws.edit("configs/live.toml", "feed_down_cancel_secs = 25", "feed_down_cancel_secs = 1");
    ws.write(
        "scripts/quote_and_wait.rhai",
        "// Quote, then wait.\nscan(\"KXHIGHNY\");\nsubmit(\"KXHIGHNY\");\npause(3.0);\n",
    );
    let vars = keys(&ws);
    // The WebSocket goes silent (no data, no pings) 1.5 s after it opens.
    let sim = Sim::start(&ws, &["--public-key", "pub.pem", "--faults", "ws_stall_ms=1500"]);
    let out = ws.run_env(&live_args("quote_and_wait", &sim.base_url), &env(&vars));
    assert!(out.status.success(), "{}", stderr(&out));
    let audit = jsonl(&ws, "data/proc/audit/live.jsonl");
    let fired = audit.iter().find(|a| a["event"] == "watchdog_cancel").expect("watchdog_cancel audited");
    assert!(fired["detail"]["reason"].as_str().unwrap().starts_with("watchdog: feed down"), "{fired}");
    let records = jsonl(&ws, "data/proc/live/orders.jsonl");
    let cancels: Vec<&serde_json::Value> = records.iter().filter(|r| r["kind"] == "cancel_requested").collect();
    assert_eq!(cancels.len(), 2, "both resting orders cancelled: {records:?}");
    assert!(cancels.iter().all(|c| c["reason"].as_str().unwrap().starts_with("watchdog")));
    let orders = ws.run_env(&["orders", "--json", "--base-url", &sim.base_url], &env(&vars));
    let view: serde_json::Value = serde_json::from_str(&stdout(&orders)).unwrap();
    assert!(view["orders"].as_array().unwrap().iter().all(|o| o["venue_status"] == "closed"), "{view}");
}

#[test]
fn a_feed_reconnect_triggers_a_reconciliation() {
    let ws = Workspace::new();
    write_fast_flow(&ws);
    ws.write("scripts/watch.rhai", "// Quote, then watch.\nscan(\"KXHIGHNY\");\nsubmit(\"KXHIGHNY\");\npause(2.5);\n");
    // Delete the policy test cases: they exercise series this drill does not follow.
    std::fs::remove_dir_all(ws.path("policies/tests")).unwrap();
    let shipped = "[\"KXCPI\", \"KXHIGHNY\", \"KXINXU\", \"KXJOBLESSCLAIMS\", \"KXTNOTED\", \"KXAAAGASM\", \"KXINX\", \"KXNASDAQ100\", \"KXNASDAQ100U\", \"KXHIGHCHI\", \"KXHIGHLAX\"]";
    // Follow the NYC ladder only, so the connection drops on the tape, not among the snapshots.
    ws.edit("configs/limits.toml", shipped, "[\"KXHIGHNY\"]");
    ws.edit("policies/pilot.rhai", shipped, "[\"KXHIGHNY\"]");
    let vars = keys(&ws);
    // Each WebSocket connection is closed after 15 messages; the tape makes more than that.
    let sim = Sim::start(
        &ws,
        &[
            "--public-key",
            "pub.pem",
            "--faults",
            "ws_drop=15",
            "--flow",
            "fixtures/sim/fast_flow.jsonl",
            "--flow-after-subscribe",
        ],
    );
    let out = ws.run_env(&live_args("watch", &sim.base_url), &env(&vars));
    assert!(out.status.success(), "{}", stderr(&out));
    let audit = jsonl(&ws, "data/proc/audit/live.jsonl");
    assert!(audit.iter().any(|a| a["event"] == "feed_reconnected"), "{audit:?}");
    let orders = ws.run_env(&["orders", "--json", "--base-url", &sim.base_url], &env(&vars));
    assert!(orders.status.success(), "{}", stdout(&orders));
}

#[test]
fn index_close_pulls_every_resting_order_at_t_minus_2s_and_sends_nothing_after() {
    let ws = Workspace::new();
    std::fs::remove_dir_all(ws.path("policies/tests")).unwrap();
    // The four 16:00 ladders quote from operator views (the index data would have to be
    // fetched online); the index data source points at a closed loopback port.
    let view = |event: &str, mean: f64, std: f64| {
        format!(
            "\n[events.{event}]\nresolution = 0.01\nmodel = {{ distribution = \"normal\", mean = {mean}, std = {std} }}\nnote = \"drill\"\n"
        )
    };
    let mut views = ws.read("configs/views.toml");
    views.push_str(&view("KXINX-26NOV24H1600", 6830.0, 12.0));
    views.push_str(&view("KXINXU-26NOV24H1600", 6830.0, 12.0));
    views.push_str(&view("KXNASDAQ100-26NOV24H1600", 25090.0, 50.0));
    views.push_str(&view("KXNASDAQ100U-26NOV24H1600", 25090.0, 50.0));
    ws.write("configs/views.toml", &views);
    ws.edit("configs/data.toml", "massive = \"https://api.massive.com\"", "massive = \"http://127.0.0.1:9\"");
    ws.edit("configs/data.toml", "retries = 3", "retries = 0");
    // Orders left resting at the end would stay out: only the pull can take them in.
    ws.edit("configs/paper.toml", "session_end = \"cancel\"", "session_end = \"keep\"");
    let sim = Sim::start(&ws, &[]);
    // The shipped playbook ten seconds before the close (15:59:50 ET), paper broker on the
    // simulator's books: quote, wait for 15:59:58, pull everything.
    let out = ws.run(&[
        "playbook",
        "run",
        "index_close",
        "--online",
        "--base-url",
        &sim.base_url,
        "--broker",
        "paper",
        "--now",
        "2026-11-24T20:59:50Z",
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let session: serde_json::Value =
        serde_json::from_str(&ws.read("reports/sessions/index_close_20261124T205950Z.json")).unwrap();
    let steps = session["steps"].as_array().unwrap();
    let submitted: u64 =
        steps.iter().filter(|s| s["step"] == "submit").map(|s| s["result"]["orders"].as_u64().unwrap_or(0)).sum();
    assert!(submitted > 0, "orders rested before the pull: {steps:#?}");
    let pull = steps.iter().position(|s| s["step"] == "cancel_all").expect("the T−2 s pull ran");
    assert!(steps[pull]["at"].as_str().unwrap().starts_with("2026-11-24T20:59:58"), "{}", steps[pull]);
    assert_eq!(steps[pull]["result"]["cancelled"].as_u64(), Some(submitted), "{}", steps[pull]);
    assert!(steps[pull + 1..].iter().all(|s| s["step"] != "submit"), "nothing placed after the pull");
    let paper = ws.run(&["orders", "--broker", "paper", "--json"]);
    let paper: serde_json::Value = serde_json::from_str(&stdout(&paper)).unwrap();
    assert!(paper["orders"].as_array().unwrap().is_empty(), "nothing rests after T−2 s: {paper:#}");
}

#[test]
fn a_pull_cancels_every_order_resting_at_the_venue() {
    let ws = Workspace::new();
    std::fs::remove_dir_all(ws.path("policies/tests")).unwrap();
    // Live runs on the machine's clock: the drill pulls two seconds from now, as index_close
    // does two seconds before the close.
    let pull_at = (chrono::Utc::now() + chrono::Duration::seconds(3)).to_rfc3339();
    ws.write(
        "scripts/pull.rhai",
        &format!("// Quote, then pull.\nscan(\"KXHIGHNY\");\nsubmit(\"KXHIGHNY\");\nwait_until(\"{pull_at}\");\ncancel_all(\"drill: T-2s\");\n"),
    );
    let vars = keys(&ws);
    let sim = Sim::start(&ws, &["--public-key", "pub.pem"]);
    let out = ws.run_env(&live_args("pull", &sim.base_url), &env(&vars));
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let records = jsonl(&ws, "data/proc/live/orders.jsonl");
    let acked = records.iter().filter(|r| r["kind"] == "acked").count();
    assert_eq!(acked, 2, "two orders rested at the venue: {records:?}");
    let resting = ws.run_env(&["portfolio", "orders", "--json", "--base-url", &sim.base_url], &env(&vars));
    assert!(resting.status.success(), "{}", stderr(&resting));
    let resting: serde_json::Value = serde_json::from_str(&stdout(&resting)).unwrap();
    let still: Vec<&serde_json::Value> =
        resting.as_array().unwrap().iter().filter(|o| o["status"] == "resting").collect();
    assert!(still.is_empty(), "nothing rests at the venue after the pull: {still:?}");
}
