//! `schedule next|check` through the real binary: hand-checked runs across both 2027 DST
//! transitions and a holiday week, and problems named by file and line.

mod common;

use common::{Workspace, stdout};

const SCHEDULE: &str = r#"
[entries.claims]
playbook = "daily_scan"
broker = "dry"
calendar = "jobless_claims"
at = "08:30"
missed = "skip"
max_runtime = "10m"

[entries.open]
playbook = "daily_scan"
broker = "paper"
when = "0 10 * * MON-FRI"
days = "exchange"
missed = "run_once"
max_runtime = "1h"

[entries.late]
playbook = "index_hourly"
broker = "dry"
when = "30 1 * * SUN"
missed = "skip"
max_runtime = "5m"
"#;

fn runs(ws: &Workspace, from: &str, count: &str) -> Vec<(String, String, String)> {
    let out = ws.run(&["schedule", "next", "--from", from, "--count", count, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let runs: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    runs.iter()
        .map(|r| {
            (r["entry"].as_str().unwrap().into(), r["et"].as_str().unwrap().into(), r["utc"].as_str().unwrap().into())
        })
        .collect()
}

fn row(entry: &str, et: &str, utc: &str) -> (String, String, String) {
    (entry.into(), et.into(), utc.into())
}

#[test]
fn runs_across_spring_forward() {
    let ws = Workspace::new();
    ws.write("configs/schedule.toml", SCHEDULE);
    assert_eq!(
        runs(&ws, "2027-03-10T00:00:00Z", "6"),
        [
            row("open", "2027-03-10 10:00:00 EST (-05:00)", "2027-03-10T15:00:00Z"),
            row("claims", "2027-03-11 08:30:00 EST (-05:00)", "2027-03-11T13:30:00Z"),
            row("open", "2027-03-11 10:00:00 EST (-05:00)", "2027-03-11T15:00:00Z"),
            row("open", "2027-03-12 10:00:00 EST (-05:00)", "2027-03-12T15:00:00Z"),
            row("late", "2027-03-14 01:30:00 EST (-05:00)", "2027-03-14T06:30:00Z"),
            row("open", "2027-03-15 10:00:00 EDT (-04:00)", "2027-03-15T14:00:00Z"),
        ]
    );
}

#[test]
fn runs_across_fall_back() {
    let ws = Workspace::new();
    ws.write("configs/schedule.toml", SCHEDULE);
    assert_eq!(
        runs(&ws, "2027-11-04T00:00:00Z", "6"),
        [
            row("claims", "2027-11-04 08:30:00 EDT (-04:00)", "2027-11-04T12:30:00Z"),
            row("open", "2027-11-04 10:00:00 EDT (-04:00)", "2027-11-04T14:00:00Z"),
            row("open", "2027-11-05 10:00:00 EDT (-04:00)", "2027-11-05T14:00:00Z"),
            // 01:30 happens twice on 2027-11-07; it runs once, at the first (EDT).
            row("late", "2027-11-07 01:30:00 EDT (-04:00)", "2027-11-07T05:30:00Z"),
            row("open", "2027-11-08 10:00:00 EST (-05:00)", "2027-11-08T15:00:00Z"),
            row("open", "2027-11-09 10:00:00 EST (-05:00)", "2027-11-09T15:00:00Z"),
        ]
    );
}

#[test]
fn runs_in_a_holiday_week() {
    let ws = Workspace::new();
    ws.write("configs/schedule.toml", SCHEDULE);
    assert_eq!(
        runs(&ws, "2027-11-22T00:00:00Z", "7"),
        [
            row("open", "2027-11-22 10:00:00 EST (-05:00)", "2027-11-22T15:00:00Z"),
            row("open", "2027-11-23 10:00:00 EST (-05:00)", "2027-11-23T15:00:00Z"),
            // Thanksgiving Thursday: claims come out on Wednesday, the exchange is shut.
            row("claims", "2027-11-24 08:30:00 EST (-05:00)", "2027-11-24T13:30:00Z"),
            row("open", "2027-11-24 10:00:00 EST (-05:00)", "2027-11-24T15:00:00Z"),
            row("open", "2027-11-26 10:00:00 EST (-05:00)", "2027-11-26T15:00:00Z"),
            row("late", "2027-11-28 01:30:00 EST (-05:00)", "2027-11-28T06:30:00Z"),
            row("open", "2027-11-29 10:00:00 EST (-05:00)", "2027-11-29T15:00:00Z"),
        ]
    );
}

#[test]
fn check_names_file_and_line() {
    let ws = Workspace::new();
    let ok = ws.run(&["schedule", "check"]);
    assert!(ok.status.success(), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("ok: 9 entries, 3 calendars"), "{}", stdout(&ok));

    ws.write("configs/schedule.toml", &SCHEDULE.replace("0 10 * * MON-FRI", "0 25 * * MON-FRI"));
    let bad = ws.run(&["schedule", "check"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stdout(&bad).starts_with("configs/schedule.toml:13: entry open: `0 25 * * MON-FRI`"), "{}", stdout(&bad));

    ws.write("configs/schedule.toml", SCHEDULE);
    ws.edit("configs/calendars/exchange.toml", "\"2027-11-25\", # Thanksgiving", "\"2027-11-27\", # Thanksgiving");
    let bad = ws.run(&["schedule", "check"]);
    assert_eq!(bad.status.code(), Some(1));
    let text = stdout(&bad);
    assert!(
        text.starts_with("configs/calendars/exchange.toml:") && text.contains("holiday 2027-11-27 is a Sat"),
        "{text}"
    );
}
