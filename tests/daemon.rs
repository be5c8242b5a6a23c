//! The daemon through the real binary: a rehearsed stretch of schedule in virtual time
//! (overlap skipped, a failing playbook recorded while the others go on, max_runtime, missed
//! runs after downtime), the lock file, and a graceful SIGTERM in real time.

mod common;

use common::{Workspace, stderr, stdout};

const SCHEDULE: &str = r#"
[entries.slow]
playbook = "slow"
broker = "dry"
when = "*/30 10-11 * * *"
missed = "run_once"
max_runtime = "1h"

[entries.broken]
playbook = "broken"
broker = "dry"
when = "15 10 * * *"
missed = "skip"
max_runtime = "10m"

[entries.capped]
playbook = "capped"
broker = "paper"
when = "20 10 * * *"
missed = "skip"
max_runtime = "5m"
"#;

fn workspace() -> Workspace {
    let ws = Workspace::new();
    ws.write("configs/schedule.toml", SCHEDULE);
    ws.write("scripts/slow.rhai", "// 45 minutes of work.\nscan(\"KXHIGHNY\");\npause(2700.0);\nlog(\"slow done\");\n");
    ws.write("scripts/broken.rhai", "// A mistake.\nlog(\"broken starting\");\nscan(\"KXNOPE\");\n");
    ws.write("scripts/capped.rhai", "// Quotes, then overstays.\nsubmit(\"KXCPI\");\npause(600.0);\nlog(\"never\");\n");
    ws
}

fn runs(ws: &Workspace) -> Vec<(String, String, String)> {
    ws.read("data/proc/runs.jsonl")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (s("entry"), s("scheduled"), s("outcome"))
        })
        .collect()
}

fn row(entry: &str, scheduled: &str, outcome: &str) -> (String, String, String) {
    (entry.into(), scheduled.into(), outcome.into())
}

#[test]
fn rehearsal_runs_entries_in_order_with_overlap_failure_and_max_runtime() {
    let ws = workspace();
    let out = ws.run(&["daemon", "--from", "2027-03-15T13:59:00Z", "--rehearse-until", "2027-03-15T16:10:00Z"]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert_eq!(
        runs(&ws),
        [
            row("slow", "2027-03-15T14:00:00Z", "completed"),
            row("broken", "2027-03-15T14:15:00Z", "failed"),
            row("capped", "2027-03-15T14:20:00Z", "stopped"),
            row("slow", "2027-03-15T14:30:00Z", "skipped_overlap"),
            row("slow", "2027-03-15T15:00:00Z", "completed"),
            row("slow", "2027-03-15T15:30:00Z", "skipped_overlap"),
        ]
    );
    let lines: Vec<serde_json::Value> =
        ws.read("data/proc/runs.jsonl").lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(
        lines[1]["detail"].as_str().unwrap().contains("scripts/broken.rhai:3:1: scan: no fixtures for series KXNOPE")
    );
    assert_eq!(lines[2]["detail"], "max_runtime 300s reached");
    assert_eq!(lines[0]["end"], "2027-03-15T14:45:00+00:00");
    // The stopped paper run left nothing resting.
    let show: serde_json::Value = serde_json::from_str(&stdout(&ws.run(&["ledger", "show", "--json"]))).unwrap();
    assert!(show["open_orders"].as_array().unwrap().is_empty());
    let gates: serde_json::Value = serde_json::from_str(&ws.read("reports/_artifacts/go_no_go.json")).unwrap();
    assert_eq!(gates["latest"]["KXHIGHNY"]["go"], true);
    assert_eq!(gates["latest"]["KXHIGHNY"]["source"], "playbook slow");
}

#[test]
fn missed_runs_follow_each_entrys_policy_after_downtime() {
    let ws = workspace();
    let first = ws.run(&["daemon", "--from", "2027-03-15T13:59:00Z", "--rehearse-until", "2027-03-15T14:05:00Z"]);
    assert!(first.status.success(), "{}", stderr(&first));
    // Down from 10:05 to 12:10 EDT: slow missed 10:30, 11:00, 11:30 (runs once), broken and
    // capped missed one each (skipped).
    let second = ws.run(&["daemon", "--from", "2027-03-15T16:10:00Z", "--rehearse-until", "2027-03-15T16:15:00Z"]);
    assert!(second.status.success(), "{}", stderr(&second));
    let all = runs(&ws);
    assert_eq!(all[0], row("slow", "2027-03-15T14:00:00Z", "completed"));
    let after: Vec<_> = all[1..].to_vec();
    assert_eq!(
        after,
        [
            row("broken", "2027-03-15T14:15:00Z", "missed_skipped"),
            row("capped", "2027-03-15T14:20:00Z", "missed_skipped"),
            row("slow", "2027-03-15T15:30:00Z", "completed"),
        ]
    );
}

#[test]
fn a_second_daemon_on_the_same_data_directory_is_refused() {
    let ws = workspace();
    ws.write(
        "configs/schedule.toml",
        "[entries.idle]\nplaybook = \"capped\"\nbroker = \"dry\"\nwhen = \"0 0 3 * * *\"\nmissed = \"skip\"\nmax_runtime = \"1m\"\n",
    );
    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_kalshi-alpha"))
        .args(["daemon"])
        .current_dir(ws.dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lock = ws.path("data/proc/state/data_dir.lock");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !std::fs::read_to_string(&lock).is_ok_and(|t| t.contains("(daemon)")) {
        assert!(std::time::Instant::now() < deadline, "the first daemon never locked");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = ws.run(&["daemon", "--from", "2027-03-15T13:59:00Z", "--rehearse-until", "2027-03-15T14:05:00Z"]);
    assert_eq!(out.status.code(), Some(1));
    let holder = format!("in use by pid {} (daemon)", first.id());
    assert!(stderr(&out).contains(&holder), "{}", stderr(&out));
    assert!(!ws.path("data/proc/runs.jsonl").exists());
    // A paper session on the same directory is refused the same way.
    let paper = ws.run(&["scan", "--broker", "paper"]);
    assert!(stderr(&paper).contains(&holder), "{}", stderr(&paper));
    std::process::Command::new("kill").args(["-TERM", &first.id().to_string()]).status().unwrap();
    assert!(first.wait().unwrap().success());
    // The kernel released the lock with its holder; the file left behind is not a lock.
    let out = ws.run(&["daemon", "--from", "2027-03-15T13:59:00Z", "--rehearse-until", "2027-03-15T14:05:00Z"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn sigterm_stops_the_daemon_gracefully() {
    let ws = workspace();
    ws.edit("configs/paper.toml", "session_end = \"cancel\"", "session_end = \"keep\"");
    ws.write(
        "configs/schedule.toml",
        "[entries.quote]\nplaybook = \"capped\"\nbroker = \"paper\"\nwhen = \"*/2 * * * * *\"\nmissed = \"skip\"\nmax_runtime = \"1h\"\n",
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kalshi-alpha"))
        .args(["daemon"])
        .current_dir(ws.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let journal = ws.path("data/proc/ledger/journal.jsonl");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !std::fs::read_to_string(&journal).is_ok_and(|t| t.matches("order_placed").count() >= 2) {
        assert!(std::time::Instant::now() < deadline, "the scheduled run never quoted");
        assert!(child.try_wait().unwrap().is_none(), "the daemon exited early");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(ws.read("data/proc/state/data_dir.lock").contains("(daemon)"));
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("daemon stopped"));
    let stopped: Vec<serde_json::Value> = ws
        .read("data/proc/runs.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["outcome"] == "stopped")
        .collect();
    assert_eq!(stopped.len(), 1, "{}", ws.read("data/proc/runs.jsonl"));
    assert_eq!(stopped[0]["detail"], "stop requested");
    let show: serde_json::Value = serde_json::from_str(&stdout(&ws.run(&["ledger", "show", "--json"]))).unwrap();
    assert!(show["open_orders"].as_array().unwrap().is_empty(), "no resting paper orders after SIGTERM");
    assert!(!ws.read("data/proc/state/data_dir.lock").contains("(daemon)"), "released on exit");
}

#[test]
fn schedule_edits_reload_and_broken_ones_keep_the_last_good() {
    use std::io::{BufRead, BufReader};
    let ws = workspace();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kalshi-alpha"))
        .args(["daemon"])
        .current_dir(ws.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let next = |want: &str| loop {
        let line = lines.recv_timeout(std::time::Duration::from_secs(20)).expect("daemon output in time");
        if line.contains(want) {
            return line;
        }
    };
    next("daemon running");
    ws.write("configs/schedule.toml", &SCHEDULE.replace("15 10 * * *", "15 99 * * *"));
    let rejected = next("reload rejected");
    assert!(rejected.contains("configs/schedule.toml:12: entry broken"), "{rejected}");
    ws.write("configs/schedule.toml", &SCHEDULE.replace("15 10 * * *", "45 10 * * *"));
    let accepted = next("reloaded:");
    assert!(accepted.contains("3 entries, policies v"), "{accepted}");
    // One transaction: while the policy set is broken, a good schedule edit is held back too.
    let pilot = ws.read("policies/pilot.rhai");
    ws.write("policies/pilot.rhai", &pilot.replace("maker_only: true,", "maker_only: true,,"));
    assert!(next("reload rejected").contains("pilot.rhai"));
    let fourth = "\n[entries.extra]\nplaybook = \"slow\"\nbroker = \"dry\"\nwhen = \"0 12 * * *\"\nmissed = \"skip\"\nmax_runtime = \"1h\"\n";
    ws.write("configs/schedule.toml", &format!("{SCHEDULE}{fourth}"));
    let held = next("reload rejected");
    assert!(held.contains("pilot.rhai"), "{held}");
    ws.write("policies/pilot.rhai", &pilot);
    let again = next("reloaded:");
    assert!(again.contains("4 entries"), "{again}");
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(child.wait().unwrap().success());
    let audit: Vec<serde_json::Value> =
        ws.read("data/proc/audit/schedule_reloads.jsonl").lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(audit.iter().any(|a| a["accepted"] == false && a["error"].as_str().unwrap().contains(":12:")));
    assert!(audit.iter().any(|a| a["accepted"] == false && a["error"].as_str().unwrap().contains("pilot.rhai")));
    assert_eq!(audit.last().unwrap()["accepted"], true);
}

fn http_get(address: &str, path: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (head.to_string(), body.to_string())
}

#[test]
fn the_status_page_serves_json_and_html() {
    use std::io::{BufRead, BufReader};
    let ws = workspace();
    ws.write("scripts/tick.rhai", "// Quick.\nlog(\"tick\");\n");
    ws.write("configs/schedule.toml", &format!("{SCHEDULE}\n[entries.tick]\nplaybook = \"tick\"\nbroker = \"dry\"\nwhen = \"* * * * * *\"\nmissed = \"skip\"\nmax_runtime = \"1m\"\n"));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kalshi-alpha"))
        .args(["daemon", "--status-port", "0"])
        .current_dir(ws.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    let address = banner.strip_prefix("status page on http://").unwrap().split('/').next().unwrap().to_string();
    std::thread::spawn(move || for _ in lines {});
    // Wait (bounded) until a tick has run, then read both views.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        let (head, body) = http_get(&address, "/status.json");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        let status: serde_json::Value = serde_json::from_str(&body).unwrap();
        if status["last_runs"].as_array().is_some_and(|r| r.iter().any(|x| x["outcome"] == "completed")) {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "no run shown: {body}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(status["brokers"]["capped"], "paper");
    assert_eq!(status["kill_switch"], false);
    assert!(status["policy_version"].as_str().unwrap().starts_with("v1 sha256="));
    assert!(status["next_runs"].as_array().unwrap().iter().any(|r| r["entry"] == "tick"));
    let (head, page) = http_get(&address, "/");
    assert!(head.contains("text/html"), "{head}");
    assert!(page.starts_with("<!doctype html>") && page.trim_end().ends_with("</html>"));
    assert!(page.contains("<meta http-equiv=\"refresh\" content=\"5\">"));
    let next_table = page.split("<table id=\"next\">").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(next_table.contains("<td>tick</td><td>tick</td><td>dry</td>"), "{next_table}");
    let last_table = page.split("<table id=\"last\">").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(last_table.contains("class=\"completed\">completed</td>"), "{last_table}");
    assert!(http_get(&address, "/nope").0.starts_with("HTTP/1.1 404"));
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn online_entries_read_the_exchange() {
    let ws = workspace();
    ws.write(
        "scripts/live.rhai",
        "// Scan live books.\nlet r = scan(\"KXCPI\");\nlog(`live ${r[\"go\"]}`);\nreport(\"KXCPI\");\n",
    );
    ws.write(
        "configs/schedule.toml",
        "[entries.live]\nplaybook = \"live\"\nbroker = \"dry\"\nonline = true\nwhen = \"0 10 * * *\"\nmissed = \"skip\"\nmax_runtime = \"5m\"\n",
    );
    let sim = common::Sim::start(&ws, &[]);
    let out = ws.run(&[
        "daemon",
        "--base-url",
        &sim.base_url,
        "--from",
        "2027-03-15T13:59:00Z",
        "--rehearse-until",
        "2027-03-15T14:01:00Z",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(runs(&ws), [row("live", "2027-03-15T14:00:00Z", "completed")]);
    let record_path = std::fs::read_dir(ws.path("reports/sessions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let record: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(record_path).unwrap()).unwrap();
    assert_eq!(record["market_data"], sim.base_url.as_str());
    // Without an exchange the run fails and says why; the daemon goes on.
    drop(sim);
    let ws = workspace();
    ws.write("scripts/live.rhai", "// Scan live books.\nscan(\"KXCPI\");\n");
    ws.write(
        "configs/schedule.toml",
        "[entries.live]\nplaybook = \"live\"\nbroker = \"dry\"\nonline = true\nwhen = \"0 10 * * *\"\nmissed = \"skip\"\nmax_runtime = \"5m\"\n",
    );
    let out = ws.run(&[
        "daemon",
        "--base-url",
        "http://127.0.0.1:9/trade-api/v2",
        "--from",
        "2027-03-15T13:59:00Z",
        "--rehearse-until",
        "2027-03-15T14:01:00Z",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(runs(&ws)[0].2, "failed");
}

#[test]
fn the_shipped_schedule_runs_a_release_day_without_failures() {
    let ws = Workspace::new();
    // 2026-12-10: a CPI release day, a claims Thursday and a trading day. The rehearsal root
    // holds that day's ladders (fixtures/rehearsal/redate.py) beside the bundled data.
    common::copy_tree(&ws.path("fixtures/data"), &ws.path("fixtures/rehearsal/data"));
    let out = ws.run(&[
        "daemon",
        "--fixtures",
        "fixtures/rehearsal",
        "--from",
        "2026-12-10T07:00:00Z",
        "--rehearse-until",
        "2026-12-11T08:00:00Z",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let all = runs(&ws);
    let entries: Vec<&str> = all.iter().map(|(e, _, _)| e.as_str()).collect();
    for entry in [
        "today",
        "claims",
        "pre_cpi",
        "index_hourly",
        "weather_daily",
        "teny_close",
        "index_close",
        "nightly_calibrate",
    ] {
        assert!(entries.contains(&entry), "{entry} did not run: {all:?}");
    }
    assert_eq!(entries.iter().filter(|e| **e == "index_hourly").count(), 6, "09:45 to 14:45: {all:?}");
    let bad: Vec<_> = all.iter().filter(|(_, _, outcome)| outcome != "completed").collect();
    assert!(bad.is_empty(), "{bad:?}\n{}", ws.read("data/proc/runs.jsonl"));
    // Every run had markets to scan: no session logged "no … markets".
    for session in std::fs::read_dir(ws.path("reports/sessions")).unwrap().map(|e| e.unwrap().path()) {
        let text = std::fs::read_to_string(&session).unwrap();
        assert!(!(text.contains("no ") && text.contains(" markets to scan")), "{}: {text}", session.display());
    }
    // The hourly ladders rolled to the next hour, and the close pulled at T−2 s.
    let close = ws.read("reports/sessions/index_close_20261210T204500Z.json");
    assert!(close.contains("KXINXU-26DEC10H1600") && close.contains("2026-12-10T20:59:58"), "{close}");
    assert!(ws.read("reports/sessions/index_hourly_20261210T144500Z.json").contains("KXINXU-26DEC10H1000"));
    // A ladder the bundled data cannot price is NO-GO with the strategy's own reason.
    let weather = ws.read("reports/sessions/weather_daily_20261210T150000Z.json");
    assert!(
        weather.contains("NO_MODEL: KXHIGHCHI-26DEC11: the forecast has no daytime period on 2026-12-11"),
        "{weather}"
    );
}
