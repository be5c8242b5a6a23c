//! Trading windows: a run outside its playbook's window is refused and writes nothing,
//! `--force-run` works only with the dry broker and stamps FORCE-RUN (DRY) everywhere,
//! `--snap-to-window print` says when it opens, `preflight` reports without writing, and the
//! daemon records a refused run.

mod common;

use common::{Workspace, stderr, stdout};

/// 2026-12-09 08:00 EST: not a CPI release day (the next is 2026-12-10).
const OFF_DAY: &str = "2026-12-09T13:00:00Z";

#[test]
fn outside_the_window_nothing_runs_unless_forced_with_dry() {
    let ws = Workspace::new();
    // cpi_release's window, without its waits.
    ws.write(
        "scripts/cpi_quick.rhai",
        "// CPI, at once.\n// window: 08:00-08:29 on cpi_release\nscan(\"KXCPI\");\nsubmit(\"KXCPI\");\nreport(\"KXCPI\");\n",
    );
    let refused = ws.run(&["playbook", "run", "cpi_quick", "--now", OFF_DAY]);
    assert_eq!(refused.status.code(), Some(3));
    assert!(stderr(&refused).contains("outside its window 08:00–08:29 ET on cpi_release days"), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("next opens 2026-12-10 08:00:00 EST (-05:00)"));
    assert!(!ws.path("reports").exists() && !ws.path("data").exists(), "nothing written");

    let paper = ws.run(&["playbook", "run", "cpi_quick", "--now", OFF_DAY, "--force-run", "--broker", "paper"]);
    assert_eq!(paper.status.code(), Some(1));
    assert!(stderr(&paper).contains("only with the dry broker"), "{}", stderr(&paper));
    assert!(!ws.path("reports").exists());

    let forced = ws.run(&["playbook", "run", "cpi_quick", "--now", OFF_DAY, "--force-run"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    let record_path = std::fs::read_dir(ws.path("reports/sessions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let record: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(record_path).unwrap()).unwrap();
    assert_eq!(record["banner"], "FORCE-RUN (DRY)");
    let report = std::fs::read_dir(ws.path("reports/KXCPI"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "md"))
        .unwrap();
    assert!(std::fs::read_to_string(&report).unwrap().starts_with("> **FORCE-RUN (DRY)**"));
    // The HTML beside it carries the banner too.
    let page = std::fs::read_to_string(report.with_extension("html")).unwrap();
    assert!(page.contains("<strong>FORCE-RUN (DRY)</strong>"), "{page}");
    let proposals = std::fs::read_dir(ws.path("data/proc/proposals/KXCPI")).unwrap().next().unwrap().unwrap().path();
    let proposals: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(proposals).unwrap()).unwrap();
    assert_eq!(proposals["banner"], "FORCE-RUN (DRY)");
}

#[test]
fn snap_print_and_preflight_write_nothing() {
    let ws = Workspace::new();
    let out = ws.run(&["playbook", "run", "cpi_release", "--now", OFF_DAY, "--snap-to-window", "print"]);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("next opens 2026-12-10 08:00:00 EST (-05:00) (2026-12-10T13:00:00Z)"),
        "{}",
        stdout(&out)
    );
    let pre = ws.run(&["preflight", "cpi_release", "--now", OFF_DAY, "--json"]);
    assert!(pre.status.success(), "{}", stderr(&pre));
    let p: serde_json::Value = serde_json::from_str(&stdout(&pre)).unwrap();
    assert_eq!(p["window_open"], false);
    assert_eq!(p["allowed_now"], false);
    assert_eq!(p["gates"].as_array().unwrap().len(), 11, "one gate per shipped ladder");
    assert!(p["gates"][0]["inputs"]["data_age_secs"].is_number());
    let open = ws.run(&["preflight", "cpi_release", "--now", "2026-12-10T13:10:00Z", "--json"]);
    let p: serde_json::Value = serde_json::from_str(&stdout(&open)).unwrap();
    assert_eq!((p["window_open"].as_bool(), p["allowed_now"].as_bool()), (Some(true), Some(true)));
    assert!(!ws.path("reports").exists() && !ws.path("data").exists(), "nothing written");
}

#[test]
fn the_daemon_refuses_a_run_outside_its_window() {
    let ws = Workspace::new();
    ws.write(
        "configs/schedule.toml",
        "[entries.cpi]\nplaybook = \"cpi_release\"\nbroker = \"dry\"\nwhen = \"0 8 * * *\"\nmissed = \"skip\"\nmax_runtime = \"40m\"\n",
    );
    let out = ws.run(&["daemon", "--from", "2026-12-09T12:00:00Z", "--rehearse-until", "2026-12-10T14:00:00Z"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let runs: Vec<serde_json::Value> =
        ws.read("data/proc/runs.jsonl").lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["outcome"], "refused");
    assert!(runs[0]["detail"].as_str().unwrap().contains("outside the playbook's window"));
    assert_eq!(runs[1]["scheduled"], "2026-12-10T13:00:00Z");
    assert_eq!(runs[1]["outcome"], "completed");
}

#[test]
fn a_run_started_at_a_fixed_instant_still_waits_and_ends() {
    let ws = Workspace::new();
    ws.write(
        "scripts/short.rhai",
        "// A short wait.\npause(0.3);\nwait_until(\"2026-12-09 08:00\");\nlog(\"done\");\n",
    );
    let out = ws.run(&["playbook", "run", "short", "--now", "2026-12-09T12:59:59Z"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("done"));
    let record_path = std::fs::read_dir(ws.path("reports/sessions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let record: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(record_path).unwrap()).unwrap();
    assert_eq!(record["finished"], "2026-12-09T13:00:00+00:00");
}
