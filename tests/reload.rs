//! Hot reload through the real binary: `policy watch` picks up a good edit saved by
//! rename-over (as editors do), refuses a broken one while keeping the last good version,
//! and audits both attempts with the file's SHA-256.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use common::Workspace;
use kalshi_alpha::rules::policy::sha256_hex;

struct Watch {
    child: Child,
    lines: Receiver<String>,
}

impl Watch {
    fn start(ws: &Workspace) -> Watch {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kalshi-alpha"))
            .args(["policy", "watch"])
            .current_dir(ws.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start policy watch");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watch { child, lines }
    }

    fn next_line(&self) -> String {
        self.lines.recv_timeout(Duration::from_secs(20)).expect("policy watch printed a line in time")
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Saves like an editor: write a temporary file beside the target, then rename it over.
fn save_by_rename(ws: &Workspace, rel: &str, text: &str) {
    let tmp = ws.path(&format!("{rel}.tmp~"));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, ws.path(rel)).unwrap();
}

#[test]
fn good_edit_is_accepted_broken_edit_keeps_last_good() {
    let ws = Workspace::new();
    let watch = Watch::start(&ws);
    let banner = watch.next_line();
    assert!(banner.starts_with("watching policies and scripts (v1 sha256="), "{banner}");

    let good = ws.read("policies/pilot.rhai").replace("weekly_loss_cap: \"60.00\"", "weekly_loss_cap: \"50.00\"");
    save_by_rename(&ws, "policies/pilot.rhai", &good);
    let accepted = watch.next_line();
    let sha = sha256_hex(good.as_bytes());
    assert!(accepted.starts_with(&format!("accepted policies/pilot.rhai v2 sha256={sha} in ")), "{accepted}");
    assert!(accepted.ends_with(" ms"), "{accepted}");

    let broken = good.replace("maker_only: true,", "maker_only: true,,");
    save_by_rename(&ws, "policies/pilot.rhai", &broken);
    let rejected = watch.next_line();
    assert!(rejected.starts_with("rejected policies/pilot.rhai:11:"), "{rejected}");
    assert!(rejected.ends_with("(keeping v2)"), "{rejected}");

    // A valid script whose own test cases now fail is refused as well.
    let failing = good.replace("max_contracts_per_order: 20", "max_contracts_per_order: 10");
    save_by_rename(&ws, "policies/pilot.rhai", &failing);
    let refused = watch.next_line();
    assert!(refused.starts_with("rejected policies/tests/"), "{refused}");
    assert!(refused.contains("failed: expected"), "{refused}");
    assert!(refused.ends_with("(keeping v2)"), "{refused}");

    let audit = ws.read("data/proc/audit/policy_reloads.jsonl");
    let lines: Vec<serde_json::Value> = audit.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "{audit}");
    assert_eq!(lines[0]["file"], "policies/pilot.rhai");
    assert_eq!(lines[0]["accepted"], true);
    assert_eq!(lines[0]["version"], 2);
    assert_eq!(lines[0]["sha256"], sha.as_str());
    assert!(lines[0]["error"].is_null());
    assert_eq!(lines[1]["accepted"], false);
    assert_eq!(lines[1]["version"], 2, "the version kept");
    assert_eq!(lines[1]["sha256"], sha256_hex(broken.as_bytes()).as_str());
    assert!(lines[1]["error"].as_str().unwrap().starts_with("policies/pilot.rhai:11:"));
    assert!(lines.iter().all(|l| l["time"].as_str().is_some_and(|t| t.contains('T'))));
}

#[test]
fn watching_works_without_playbooks() {
    let ws = Workspace::new();
    std::fs::remove_dir_all(ws.path("scripts")).unwrap();
    let watch = Watch::start(&ws);
    assert!(watch.next_line().starts_with("watching policies and scripts (v1 sha256="));
    let text = ws.read("policies/gates.rhai");
    save_by_rename(&ws, "policies/gates.rhai", &format!("{text}\n// reviewed\n"));
    assert!(watch.next_line().starts_with("accepted policies/gates.rhai v2 "));
}

#[test]
fn a_zero_count_case_saved_while_watching_is_rejected_and_the_watcher_lives() {
    let ws = Workspace::new();
    let watch = Watch::start(&ws);
    assert!(watch.next_line().starts_with("watching policies and scripts (v1 sha256="));
    let good = ws.read("policies/tests/pal.toml");
    save_by_rename(&ws, "policies/tests/pal.toml", &good.replacen("count = \"20\"", "count = \"0\"", 1));
    let first = watch.next_line();
    assert!(first.starts_with("rejected policies/tests/pal.toml: order[0].count"), "{first}");
    // The error spans lines (the TOML excerpt); the report ends with the version kept.
    let mut report = vec![first];
    while !report.last().unwrap().ends_with("(keeping v1)") {
        report.push(watch.next_line());
    }
    assert!(report.join("\n").contains("count must be positive"), "{report:?}");
    // Still watching: the fixed file is accepted as the next version.
    save_by_rename(&ws, "policies/tests/pal.toml", &format!("{good}\n# reviewed\n"));
    let accepted = watch.next_line();
    assert!(accepted.starts_with("accepted policies/tests/pal.toml v2 "), "{accepted}");
}
