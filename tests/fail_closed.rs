//! Controls that cannot tell decide "not safe", through the binary against the simulator:
//! every form of kill switch (a non-UTF-8 file, a directory, an empty file, a dangling
//! symlink, a default `kill engage` while the session watches a custom path) empties the
//! venue within a second; a fake clock never trades live; a venue that cannot be read refuses
//! the session; unreadable venue fills are differences; a missing heartbeat is NO-GO; a
//! corrupt equity file is NO-GO and named; a second writer on a data directory is refused
//! with its holder named. Loopback only; children run without `CI` set.

mod common;

use std::time::{Duration, Instant};

use common::{Sim, Workspace, env, live_args, live_keys, stderr, stdout, write_fast_flow};

fn keys(ws: &Workspace) -> Vec<(&'static str, Option<String>)> {
    live_keys(ws, "fail-closed-key")
}

/// Our orders resting at the venue, as `orders --json` reads them.
fn resting_at_venue(ws: &Workspace, base_url: &str, vars: &[(&'static str, Option<String>)]) -> usize {
    let out = ws.run_env(&["orders", "--json", "--base-url", base_url], &env(vars));
    let view: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_default();
    view["orders"].as_array().map_or(0, |o| o.iter().filter(|o| o["venue_status"] == "resting").count())
}

/// Starts a live session that quotes and waits, waits for its two acknowledgements, makes
/// the kill switch with `engage`, and returns how long the venue took to empty.
fn venue_empties_after(engage: impl FnOnce(&Workspace), extra: &[&str]) -> Duration {
    let ws = Workspace::new();
    ws.write(
        "scripts/quote_and_wait.rhai",
        "// Quote, then wait.\nscan(\"KXHIGHNY\");\nsubmit(\"KXHIGHNY\");\npause(4.0);\n",
    );
    let vars = keys(&ws);
    let sim = Sim::start(&ws, &["--public-key", "pub.pem"]);
    let mut args = live_args("quote_and_wait", &sim.base_url);
    args.extend_from_slice(extra);
    let child = ws.spawn_env(&args, &env(&vars));
    let started = Instant::now();
    while !ws.path("data/proc/live/orders.jsonl").exists()
        || ws.read("data/proc/live/orders.jsonl").matches("\"acked\"").count() < 2
    {
        assert!(started.elapsed() < Duration::from_secs(20), "no orders acknowledged");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(resting_at_venue(&ws, &sim.base_url, &vars), 2);
    let engaged = Instant::now();
    engage(&ws);
    while resting_at_venue(&ws, &sim.base_url, &vars) > 0 {
        assert!(engaged.elapsed() < Duration::from_secs(5), "orders still resting 5 s after the kill switch");
        std::thread::sleep(Duration::from_millis(10));
    }
    let took = engaged.elapsed();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let state: serde_json::Value = serde_json::from_str(&stdout(&ws.run(&["state", "show", "--json"]))).unwrap();
    assert_eq!(state["state"], "halted");
    took
}

#[test]
fn every_form_of_kill_switch_empties_the_venue_within_a_second() {
    const PATH: &str = "data/proc/state/kill_switch";
    type Engage = fn(&Workspace);
    let forms: [(&str, Engage); 4] = [
        ("non-UTF-8 file", |ws| std::fs::write(ws.path(PATH), [0xff, 0xfe, 0x00, 0x80]).unwrap()),
        ("directory", |ws| std::fs::create_dir(ws.path(PATH)).unwrap()),
        ("empty file", |ws| ws.write(PATH, "")),
        ("dangling symlink", |ws| std::os::unix::fs::symlink(ws.path("no/such/target"), ws.path(PATH)).unwrap()),
    ];
    for (form, engage) in forms {
        let took = venue_empties_after(engage, &[]);
        eprintln!("kill switch as a {form}: venue empty after {} ms", took.as_millis());
        assert!(took < Duration::from_secs(1), "{form}: {took:?}");
    }
}

#[test]
fn a_session_watching_a_custom_path_still_sees_a_default_kill_engage() {
    let took = venue_empties_after(
        |ws| {
            let out = ws.run(&["kill", "engage", "--reason", "test: default path"]);
            assert!(out.status.success(), "{}", stderr(&out));
        },
        &["--kill-switch", "elsewhere/kill_switch"],
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
}

#[test]
fn a_fake_clock_never_trades_live_and_an_unreadable_venue_refuses_the_session() {
    let ws = Workspace::new();
    let vars = keys(&ws);
    let sim = Sim::start(&ws, &["--public-key", "pub.pem"]);
    let mut args = live_args("paper_watch", &sim.base_url);
    args.extend_from_slice(&["--now", "2026-11-24T15:00:00Z"]);
    let out = ws.run_env(&args, &env(&vars));
    assert_eq!(out.status.code(), Some(17), "{}", stderr(&out));
    assert!(stderr(&out).contains("VIRTUAL_CLOCK"), "{}", stderr(&out));
    assert!(!ws.path("data/proc/live/orders.jsonl").exists(), "nothing journalled, nothing sent");
    assert_eq!(resting_at_venue(&ws, &sim.base_url, &vars), 0);

    // The venue answers everything but our orders, fills and positions.
    let blind = Sim::start(&ws, &["--public-key", "pub.pem", "--faults", "reads_fail=100000"]);
    let out = ws.run_env(&live_args("paper_watch", &blind.base_url), &env(&vars));
    assert_eq!(out.status.code(), Some(18), "{}", stderr(&out));
    assert!(stderr(&out).contains("NOT_RECONCILED"), "{}", stderr(&out));
    let journal = std::fs::read_to_string(ws.path("data/proc/live/orders.jsonl")).unwrap_or_default();
    assert!(!journal.contains("\"intent\""), "no order left before a reconciliation: {journal}");
    let audit = ws.read("data/proc/audit/live.jsonl");
    assert!(audit.matches("reconcile_failed").count() >= 4, "{audit}");
}

#[test]
fn unreadable_venue_fills_are_differences_never_dropped() {
    let ws = Workspace::new();
    write_fast_flow(&ws);
    ws.write("scripts/watch.rhai", "// Quote, then watch.\nscan(\"KXHIGHNY\");\nsubmit(\"KXHIGHNY\");\npause(2.5);\n");
    let vars = keys(&ws);
    let sim = Sim::start(
        &ws,
        &[
            "--public-key",
            "pub.pem",
            "--flow",
            "fixtures/sim/fast_flow.jsonl",
            "--flow-after-subscribe",
            "--faults",
            "bad_fills=1",
        ],
    );
    let out = ws.run_env(&live_args("watch", &sim.base_url), &env(&vars));
    assert!(out.status.success(), "{}", stderr(&out));
    let audit = ws.read("data/proc/audit/live.jsonl");
    assert!(audit.contains("\"reconcile_differences\"") && audit.contains("\"unreadable\""), "{audit}");
    let state: serde_json::Value = serde_json::from_str(&stdout(&ws.run(&["state", "show", "--json"]))).unwrap();
    assert_eq!(state["state"], "reducing", "untracked exposure tightens the state");
    let orders = ws.run_env(&["orders", "--json", "--base-url", &sim.base_url], &env(&vars));
    assert_eq!(orders.status.code(), Some(3), "{}", stdout(&orders));
    let view: serde_json::Value = serde_json::from_str(&stdout(&orders)).unwrap();
    let kinds: Vec<&str> = view["differences"].as_array().unwrap().iter().filter_map(|d| d["kind"].as_str()).collect();
    assert!(kinds.contains(&"unreadable"), "{view}");
}

#[test]
fn a_missing_heartbeat_and_a_corrupt_equity_file_are_no_go() {
    let ws = Workspace::new();
    let now = "2026-11-24T15:00:00Z";
    let preflight = |ws: &Workspace| -> serde_json::Value {
        let out = ws.run(&["preflight", "paper_watch", "--now", now, "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_str(&stdout(&out)).unwrap()
    };
    let reasons = |p: &serde_json::Value| -> String { p["gates"].to_string() };
    // No heartbeat at all: unknown, so NO-GO.
    let p = preflight(&ws);
    assert!(reasons(&p).contains("HEARTBEAT_STALE: age=unknown"), "{p}");
    // A session writes one; then it is fresh.
    assert!(ws.run(&["scan", "--now", now]).status.success());
    assert!(!reasons(&preflight(&ws)).contains("HEARTBEAT_STALE"));
    // Deleted: NO-GO again, never age 0.
    std::fs::remove_file(ws.path("data/proc/state/heartbeat.json")).unwrap();
    assert!(reasons(&preflight(&ws)).contains("HEARTBEAT_STALE: age=unknown"));

    // A corrupt equity file: the drawdown is unknown (NO-GO, file named) and the file is kept.
    ws.write("data/proc/state/equity.json", "{ not json");
    let out = ws.run(&["scan", "--broker", "paper", "--now", now, "--json"]);
    assert!(!out.status.success(), "the session ends in an error naming the file");
    assert!(stderr(&out).contains("equity.json"), "{}", stderr(&out));
    let proposals = std::fs::read_dir(ws.path("data/proc/proposals/KXHIGHNY")).unwrap().next().unwrap().unwrap();
    let p: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(proposals.path()).unwrap()).unwrap();
    assert_eq!(p["gate"]["go"], false);
    let gate = p["gate"]["reasons"].to_string();
    assert!(gate.contains("ledger_drawdown=unknown") && gate.contains("equity.json"), "{gate}");
    assert_eq!(ws.read("data/proc/state/equity.json"), "{ not json", "never silently reset");
}

#[test]
fn a_second_writer_on_a_data_directory_is_refused_with_the_holder_named() {
    let ws = Workspace::new();
    ws.write("scripts/hold.rhai", "// Hold the directory.\npause(3.0);\n");
    let holder = ws.spawn_env(&["playbook", "run", "hold", "--broker", "paper"], &[]);
    let lock = ws.path("data/proc/state/data_dir.lock");
    let started = Instant::now();
    while !std::fs::read_to_string(&lock).is_ok_and(|t| t.contains("playbook run hold")) {
        assert!(started.elapsed() < Duration::from_secs(10), "the holder never locked");
        std::thread::sleep(Duration::from_millis(20));
    }
    for args in [&["scan", "--broker", "paper"][..], &["playbook", "run", "paper_watch", "--broker", "paper"][..]] {
        let out = ws.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).contains("in use by pid") && stderr(&out).contains("playbook run hold"),
            "{}",
            stderr(&out)
        );
    }
    // Dry runs write no ledger and need no lock.
    assert!(ws.run(&["scan"]).status.success());
    let out = holder.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(ws.run(&["scan", "--broker", "paper"]).status.success(), "free once the holder ended");
}
