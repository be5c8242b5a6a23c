//! `policy check|eval|test|defs` and `playbook list|run` through the real binary.

mod common;

use common::{Workspace, stderr, stdout};

const NOW: &str = "2026-11-24T15:00:00Z";

#[test]
fn shipped_set_checks_clean() {
    let ws = Workspace::new();
    let out = ws.run(&["policy", "check"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let text = stdout(&out);
    // pal, pilot, gates, lib/freshness, 3 case files, 12 playbooks
    assert!(text.starts_with("ok: 19 files, policy set sha256="), "{text}");
    let one =
        ws.run(&["policy", "check", "policies/pal.rhai", "scripts/cpi_release.rhai", "policies/tests/gates.toml"]);
    assert!(one.status.success(), "{}", stdout(&one));
    assert_eq!(stdout(&one).lines().count(), 3);
}

#[test]
fn check_names_each_bad_file() {
    let ws = Workspace::new();
    ws.write("scripts/broken.rhai", "log(\"unterminated);\n");
    ws.write("candidate_pilot.rhai", "fn pilot() { #{ max_contracts_per_order: 5 } }\n");
    std::fs::rename(ws.path("candidate_pilot.rhai"), ws.path("pilot.rhai")).unwrap();
    let out = ws.run(&["policy", "check", "scripts/broken.rhai", "pilot.rhai", "policies/gates.rhai"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("scripts/broken.rhai:1:"), "{text}");
    assert!(lines[1].starts_with("pilot.rhai:1:1: pilot().max_unique_bins_per_event: missing"), "{text}");
    // The whole-set check sees the broken playbook too.
    assert!(stdout(&ws.run(&["policy", "check"])).starts_with("scripts/broken.rhai:1:"));
}

#[test]
fn eval_prints_every_decision_and_the_gate() {
    let ws = Workspace::new();
    let out = ws.run(&["policy", "eval", "--fixtures", "fixtures", "--now", NOW]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("event"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("KXCPI") && l.contains("GATE") && l.contains("GO")), "{text}");
    let row = text.lines().find(|l| l.contains("KXINXU-26NOV24H1600-T6849.9999")).unwrap();
    for cell in ["no", "10.00", "6.00", "clipped", "MAX_LOSS_PER_STRIKE: limit=4.00 would_be=6.30 [pal.rhai]"] {
        assert!(row.contains(cell), "{row}");
    }
    assert!(!ws.path("reports").exists() && !ws.path("data").exists(), "eval writes nothing");
}

#[test]
fn eval_against_shows_only_flips() {
    let ws = Workspace::new();
    std::process::Command::new("cp")
        .args(["-r", "policies", "policies_old"])
        .current_dir(ws.dir.path())
        .status()
        .unwrap();
    let same = ws.run(&["policy", "eval", "--fixtures", "fixtures", "--against", "policies_old", "--now", NOW]);
    assert!(same.status.success(), "{}", stderr(&same));
    assert_eq!(stdout(&same).trim(), "0 decision(s) differ between policies_old (old) and policies (new)");

    // Tighten: HIGHNY strikes to 2.00 (the 49–50 NO at 0.59 drops from 8 to 3 contracts,
    // the 47–48 YES at 0.27 from 10 to 7), and its case files accordingly.
    ws.edit(
        "policies/pal.rhai",
        "KXHIGHNY: #{ max_loss: \"12.00\", strike_loss: \"5.00\" }",
        "KXHIGHNY: #{ max_loss: \"12.00\", strike_loss: \"2.00\" }",
    );
    let out =
        ws.run(&["policy", "eval", "--fixtures", "fixtures", "--against", "policies_old", "--now", NOW, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    // KXHIGHNY's two orders shrink; the daily cap they free lets later ladders send more.
    let flips: Vec<&serde_json::Value> = doc["differences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["new"]["event"].as_str().is_some_and(|e| e.starts_with("KXHIGHNY")))
        .collect();
    assert_eq!(flips.len(), 2, "{doc:#}");
    let b49 = flips.iter().find(|d| d["new"]["bin"].as_str().unwrap().contains("B49.5")).unwrap();
    assert_eq!(b49["old"]["allowed"], "8.00");
    assert_eq!(b49["new"]["allowed"], "3.00");
    assert_eq!(b49["new"]["decision"], "clipped");
    let b47 = flips.iter().find(|d| d["new"]["bin"].as_str().unwrap().contains("B47.5")).unwrap();
    assert_eq!((b47["old"]["decision"].as_str(), b47["new"]["decision"].as_str()), (Some("approved"), Some("clipped")));
    assert_eq!(b47["new"]["allowed"], "7.00");
    assert_ne!(doc["old_sha256"], doc["new_sha256"]);

    let text =
        stdout(&ws.run(&["policy", "eval", "--fixtures", "fixtures", "--against", "policies_old", "--now", NOW]));
    assert!(text.contains("8.00 → 3.00"), "{text}");
    assert!(text.contains("approved → clipped"), "{text}");
    let count = doc["differ"].as_u64().unwrap();
    assert!(
        text.trim_end().ends_with(&format!("{count} decision(s) differ between policies_old (old) and policies (new)")),
        "{text}"
    );
}

#[test]
fn test_command_reports_each_case() {
    let ws = Workspace::new();
    let out = ws.run(&["policy", "test"]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).trim_end().ends_with("18 passed, 0 failed"), "{}", stdout(&out));
    ws.edit("policies/tests/pilot.toml", "allowed = \"20\"", "allowed = \"21\"");
    let out = ws.run(&["policy", "test"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("FAIL policies/tests/pilot.toml: size above the pilot's 20"), "{text}");
    assert!(text.contains("expected Clipped 21.00 [\"MAX_CONTRACTS_PER_ORDER\"], got Clipped 20.00"), "{text}");
    assert!(text.trim_end().ends_with("17 passed, 1 failed"), "{text}");
}

#[test]
fn defs_describe_the_api() {
    let ws = Workspace::new();
    let out = ws.run(&["policy", "defs", "--out", "defs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let policy = ws.read("defs/policies/__static__.d.rhai");
    assert!(policy.contains("fn money(text: string) -> Money;"), "{policy}");
    assert!(policy.contains("fn get max_loss(_: Order) -> Money;"), "{policy}");
    assert!(!policy.contains("fn scan("), "policies get no host steps");
    let scripts = ws.read("defs/scripts/__static__.d.rhai");
    assert!(scripts.contains("fn wait_until(hh_mm: string) -> bool;"), "{scripts}");
    assert!(scripts.contains("fn cancel_all(reason: string) -> int;"), "{scripts}");
}

#[test]
fn playbooks_list_and_rehearse() {
    let ws = Workspace::new();
    let list = stdout(&ws.run(&["playbook", "list"]));
    let names: Vec<&str> = list.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(
        names,
        [
            "claims",
            "cpi_release",
            "daily_scan",
            "index_close",
            "index_hourly",
            "nightly_calibrate",
            "paper_watch",
            "pre_cpi",
            "teny_close",
            "today",
            "weather_daily",
            "week"
        ]
    );

    let out = ws.run(&["playbook", "run", "cpi_release", "--dry-run", "--now", "2026-11-24T12:00:00Z"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("[08:20:00 EST] KXCPI-25NOV-T0.2 no 8.00 @ 0.3600: clipped"), "{text}");
    assert!(text.contains("session completed: 11 steps, 2 order(s) (rehearsal broker)"), "{text}");
    assert!(!ws.path("data").exists(), "a rehearsal sends and audits nothing");
    assert!(!ws.path("reports/KXCPI").exists(), "a rehearsal writes no report");
    let record: serde_json::Value =
        serde_json::from_str(&ws.read("reports/sessions/cpi_release_20261124T120000Z.json")).unwrap();
    assert_eq!(record["dry_run"], true);
    assert_eq!(record["outcome"], "completed");
    assert_eq!(record["finished"], "2026-11-24T13:29:00+00:00", "waits advance the virtual clock");
    let steps: Vec<&str> = record["steps"].as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(
        steps,
        ["log", "wait_until", "scan", "gate", "log", "log", "submit", "report", "wait_until", "cancel_all", "log"]
    );
    assert!(record["steps"][2]["policy"].as_str().unwrap().starts_with("v1 sha256="));
    assert_eq!(record["gates"]["KXCPI"]["go"], true);
    assert_eq!(record["steps"][9]["result"]["cancelled"], 2);
}

#[test]
fn playbook_run_submits_reports_and_fails_loudly() {
    let ws = Workspace::new();
    let out = ws.run(&["playbook", "run", "daily_scan", "--now", NOW]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("6 order(s) (dry broker)"), "{}", stdout(&out));
    assert_eq!(ws.read("data/proc/audit/dry_orders_2026-11-24.jsonl").lines().count(), 6);
    assert!(ws.read("reports/KXHIGHNY/scan_20261124T150000Z.md").contains("sha256 `"));

    ws.write("scripts/typo.rhai", "// A playbook with a mistake.\nlog(\"start\");\nscan(\"KXNOPE\");\n");
    let out = ws.run(&["playbook", "run", "typo", "--dry-run", "--now", NOW]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("scripts/typo.rhai:3:1: scan: no fixtures for series KXNOPE"), "{}", stderr(&out));
    let record: serde_json::Value =
        serde_json::from_str(&ws.read("reports/sessions/typo_20261124T150000Z.json")).unwrap();
    assert_eq!(record["outcome"], "failed");
    assert_eq!(record["steps"].as_array().unwrap().len(), 1, "the step before the error is recorded");

    let missing = ws.run(&["playbook", "run", "nope"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("scripts/nope.rhai"), "{}", stderr(&missing));
}

#[test]
fn a_zero_count_case_is_an_error_not_a_panic() {
    let ws = Workspace::new();
    ws.edit("policies/tests/pal.toml", "count = \"20\"", "count = \"0\"");
    let out = ws.run(&["policy", "test"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("pal.toml: order[0].count") && text.contains("count must be positive"), "{text}");
}

const RECORDING: &str = "fixtures/kalshi/ws/KXHIGHNY-26NOV25.whatif.jsonl";

/// Every file under the workspace, relative, except the what-if reports.
fn files_besides_reports(ws: &Workspace) -> Vec<String> {
    fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(ws.dir.path(), ws.dir.path(), &mut out);
    out.retain(|f| !f.starts_with("reports/whatif/"));
    out.sort();
    out
}

fn whatif(ws: &Workspace, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["policy", "whatif", "--against", "in_use", "--json", "--now", "2026-11-28T12:00:00Z"];
    args.extend_from_slice(extra);
    let out = ws.run(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn whatif_of_an_unchanged_policy_set_shows_no_difference_and_writes_only_its_report() {
    let ws = Workspace::new();
    common::copy_tree(&ws.path("policies"), &ws.path("in_use"));
    let before = files_besides_reports(&ws);
    let r = whatif(&ws, &["--sessions", RECORDING]);
    assert_eq!(r["differ"], 0, "{r:#}");
    let s = &r["series"]["KXHIGHNY"];
    assert_eq!(s["old"], s["new"]);
    assert!(s["differences"].as_array().unwrap().is_empty());
    // Two maker orders, filled by the recorded trades after the queue ahead drained (fill-α 0.6):
    // YES 0.27 × 10: 15 reach it → 9; NO 0.59 × 8: a print through it → 12 × 0.6 = 7.2.
    assert_eq!((s["old"]["orders"].as_u64(), s["old"]["filled"].as_str()), (Some(2), Some("16.20")), "{s:#}");
    assert_eq!(s["old"]["peak_exposure"], "7.42", "10 × 0.27 + 8 × 0.59 resting at once");
    assert_eq!(r["sessions"][0]["decided"][0][0], "KXHIGHNY-26NOV25");
    // Nothing but the report was written.
    assert_eq!(files_besides_reports(&ws), before);
    let report = r["report"].as_str().unwrap();
    assert!(ws.read(report).contains("0 decision(s) differ"), "{}", ws.read(report));

    // --days picks recordings by their own first instant.
    common::copy_tree(&ws.path("fixtures/kalshi/ws"), &ws.path("data/raw/ws"));
    std::fs::remove_file(ws.path("data/raw/ws/KXHIGHNY-26NOV25.raw.jsonl")).unwrap();
    let week = whatif(&ws, &["--days", "7"]);
    // The bundled session.jsonl was recorded in 2025: outside the week.
    let files: Vec<&str> = week["sessions"].as_array().unwrap().iter().map(|s| s["file"].as_str().unwrap()).collect();
    assert!(files.contains(&"data/raw/ws/KXHIGHNY-26NOV25.whatif.jsonl"), "{week:#}");
    assert!(files.contains(&"data/raw/ws/KXTNOTED-26NOV25.session.jsonl"), "{week:#}");
    assert!(!files.iter().any(|f| f.contains("KXHIGHNY-26NOV25.session") || f.contains("25DEC")), "{week:#}");
    let none = ws.run(&["policy", "whatif", "--against", "in_use", "--days", "1", "--now", "2026-11-28T12:00:00Z"]);
    assert_eq!(none.status.code(), Some(1));
    assert!(stderr(&none).contains("no recorded session to replay"), "{}", stderr(&none));
}

#[test]
fn whatif_of_a_tightened_cap_shows_exactly_the_clipped_orders() {
    let ws = Workspace::new();
    common::copy_tree(&ws.path("policies"), &ws.path("in_use"));
    ws.edit(
        "policies/pal.rhai",
        "KXHIGHNY: #{ max_loss: \"12.00\", strike_loss: \"5.00\" }",
        "KXHIGHNY: #{ max_loss: \"12.00\", strike_loss: \"2.00\" }",
    );
    let r = whatif(&ws, &["--sessions", RECORDING]);
    let s = &r["series"]["KXHIGHNY"];
    let diffs = s["differences"].as_array().unwrap();
    // The two orders whose worst case is past $2.00: NO 0.59 (8 → 3) and YES 0.27 (10 → 7).
    let clipped: Vec<(String, String, String)> = diffs
        .iter()
        .map(|d| {
            assert_eq!(d["new"]["decision"], "clipped", "{d:#}");
            assert!(d["new"]["reason"].as_str().unwrap().starts_with("MAX_LOSS_PER_STRIKE: limit=2.00"), "{d:#}");
            let allowed = |side: &str| d[side]["allowed"].as_str().unwrap().to_string();
            (d["new"]["bin"].as_str().unwrap().to_string(), allowed("old"), allowed("new"))
        })
        .collect();
    assert_eq!(
        clipped,
        vec![
            ("49–50 (KXHIGHNY-26NOV25-B49.5)".to_string(), "8.00".to_string(), "3.00".to_string()),
            ("47–48 (KXHIGHNY-26NOV25-B47.5)".to_string(), "10.00".to_string(), "7.00".to_string()),
        ]
    );
    assert_eq!(r["differ"], 2);
    // The same orders go out, smaller: 18 → 10 contracts, all 10 filled by the same trades.
    assert_eq!((s["old"]["orders"].as_u64(), s["new"]["orders"].as_u64()), (Some(2), Some(2)));
    assert_eq!((s["old"]["contracts"].as_str(), s["new"]["contracts"].as_str()), (Some("18.00"), Some("10.00")));
    assert_eq!(s["new"]["filled"], "10.00");
    assert_eq!(s["new"]["peak_exposure"], "3.66", "7 × 0.27 + 3 × 0.59");
}

#[test]
fn whatif_names_a_broken_recording_line_and_writes_nothing() {
    let ws = Workspace::new();
    common::copy_tree(&ws.path("policies"), &ws.path("in_use"));
    let mut text = ws.read(RECORDING);
    text.push_str("{\"recv_ms\": 1795619000000, \"oops\": 1}\n");
    ws.write("broken.jsonl", &text);
    let out = ws.run(&["policy", "whatif", "--against", "in_use", "--sessions", "broken.jsonl"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("broken.jsonl") && err.contains("line 139"), "{err}");
    assert!(!ws.path("reports/whatif").exists(), "no report from a failed what-if");
    // A recording whose ladder never has every book says why its event was not decided.
    let r = whatif(&ws, &["--sessions", "fixtures/kalshi/ws/KXHIGHNY-26NOV25.session.jsonl"]);
    assert_eq!(r["sessions"][0]["undecided"][0][1], "never had every book: 3 of 6 market(s) booked", "{r:#}");
}

#[test]
fn a_playbook_fetches_and_calibrates_before_it_scans() {
    let ws = Workspace::new();
    ws.write(
        "scripts/fed.rhai",
        r#"// Keep the inputs fed, then quote.
let f = fetch(["nws_forecast", "nws_cli", "kalshi_settled"]);
log(`forecast from ${f["nws_forecast"]["origin"]}, ${f["nws_forecast"]["rows"]} rows`);
let c = calibrate("KXHIGHNY");
log(`weather calibrated on ${c["observations"]} day(s)`);
let r = scan("KXHIGHNY");
report("KXHIGHNY");
"#,
    );
    let out = ws.run(&["playbook", "run", "fed", "--now", NOW]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    // Offline: the cache is empty, so the bundled fixture; the fit reads every payload kept.
    assert!(text.contains("forecast from fixture"), "{text}");
    assert!(text.contains("weather calibrated on 4 day(s)"), "{text}");
    assert!(ws.read("data/proc/calibration/weather_nyc.toml").contains("observations = 4"));
    let record: serde_json::Value =
        serde_json::from_str(&ws.read("reports/sessions/fed_20261124T150000Z.json")).unwrap();
    let steps = record["steps"].as_array().unwrap();
    assert_eq!(steps[0]["step"], "fetch");
    assert_eq!(steps[0]["result"]["nws_forecast"]["origin"], "fixture", "{:#}", steps[0]);
    assert!(steps[0]["result"]["nws_forecast"]["fallback_reason"].as_str().unwrap().contains("offline"));
    assert_eq!(steps[2]["step"], "calibrate");
    assert_eq!(steps[2]["result"]["observations"], 4, "{:#}", steps[2]);
    assert_eq!(steps[4]["step"], "scan");
    // A rehearsal fetches and fits nothing; an unknown source is a script error naming it.
    let ws2 = Workspace::new();
    ws2.write("scripts/fed.rhai", &ws.read("scripts/fed.rhai"));
    assert!(ws2.run(&["playbook", "run", "fed", "--dry-run", "--now", NOW]).status.success());
    assert!(!ws2.path("data/proc/calibration/weather_nyc.toml").exists());
    ws2.write("scripts/typo.rhai", "fetch([\"nws_forecastt\"]);\n");
    let out = ws2.run(&["playbook", "run", "typo", "--now", NOW]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nws_forecastt"), "{}", stderr(&out));
}

#[test]
fn index_close_quotes_both_indices_close_and_16h_ladders_and_pulls_at_t_minus_2s() {
    let ws = Workspace::new();
    let out = ws.run(&["playbook", "run", "index_close", "--dry-run", "--now", "2026-11-24T20:45:00Z"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let record: serde_json::Value =
        serde_json::from_str(&ws.read("reports/sessions/index_close_20261124T204500Z.json")).unwrap();
    let steps = record["steps"].as_array().unwrap();
    let scans: Vec<String> = steps
        .iter()
        .filter(|s| s["step"] == "scan")
        .map(|s| s["args"].as_array().unwrap().last().unwrap().to_string())
        .collect();
    assert_eq!(
        scans,
        ["\"KXINX\"", "\"KXNASDAQ100\"", "\"KXINXU-26NOV24H1600\"", "\"KXNASDAQ100U-26NOV24H1600\""],
        "the close ranges and the 16:00 hourly ladders (the U roll lands on 16:00)"
    );
    // The last step cancels everything at 15:59:58 New York, and nothing is sent after it.
    let last = steps.last().unwrap();
    assert_eq!((last["step"].as_str(), last["at"].as_str()), (Some("cancel_all"), Some("2026-11-24T20:59:58+00:00")));
    let cancel_at = steps.iter().position(|s| s["step"] == "cancel_all").unwrap();
    assert!(steps[cancel_at..].iter().all(|s| s["step"] != "submit"));
}
