//! `policy whatif` over a week of recorded sessions: one recording per shipped ladder
//! (KXHIGHNY, KXINXU, KXCPI) per day for seven days, each a header with the ladder, a snapshot
//! per market and 30 000 messages (deltas, one trade in ten) — 630 000 messages — replayed
//! through the scan, both policy sets (the shipped one against a copy) and the paper fill
//! model, including reading the files and writing the report.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use kalshi_alpha::model::{Count, Money};
use kalshi_alpha::session::ScanParamsInput;
use kalshi_alpha::session::whatif::{Selection, WhatIfRequest, whatif};

const DAYS: i64 = 7;
const MESSAGES: usize = 30_000;
const EVENTS: [&str; 3] = ["KXHIGHNY-26NOV25", "KXINXU-26NOV24H1600", "KXCPI-25NOV"];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A fixture book's YES and NO bids as dollar strings (current `orderbook_fp`, or legacy cents).
/// Price and size strings of one side's bids.
type Levels = Vec<(String, String)>;

fn book_levels(fixture: &serde_json::Value) -> (Levels, Levels) {
    let side = |key: &str, legacy: &str| -> Levels {
        if let Some(levels) = fixture["orderbook_fp"][key].as_array() {
            return levels.iter().map(|l| (l[0].as_str().unwrap().into(), l[1].as_str().unwrap().into())).collect();
        }
        let levels = fixture["orderbook"][legacy].as_array().cloned().unwrap_or_default();
        levels
            .iter()
            .map(|l| (format!("0.{:02}00", l[0].as_i64().unwrap()), format!("{}.00", l[1].as_i64().unwrap())))
            .collect()
    };
    (side("yes_dollars", "yes"), side("no_dollars", "no"))
}

/// One day's recording of `event`'s ladder, starting at `start_ms`.
fn recording(event: &str, start_ms: i64) -> String {
    let kalshi = repo().join("fixtures/kalshi");
    let response = read_json(&kalshi.join(format!("events/{event}.json")));
    let mut ev = response["event"].clone();
    if ev["markets"].as_array().is_none_or(|m| m.is_empty()) {
        ev["markets"] = response["markets"].clone();
    }
    let series =
        read_json(&kalshi.join(format!("series/{}.json", ev["series_ticker"].as_str().unwrap())))["series"].clone();
    let tickers: Vec<String> =
        ev["markets"].as_array().unwrap().iter().map(|m| m["ticker"].as_str().unwrap().to_string()).collect();
    let mut lines =
        vec![serde_json::json!({"recv_ms": start_ms, "ladders": [{"series": series, "events": [ev]}]}).to_string()];
    let mut levels = Vec::new();
    for (i, t) in tickers.iter().enumerate() {
        let (yes, no) = book_levels(&read_json(&kalshi.join(format!("orderbooks/{t}.json"))));
        let snapshot = serde_json::json!({"type": "orderbook_snapshot", "sid": 1, "seq": i + 1,
            "msg": {"market_ticker": t, "yes_dollars_fp": yes, "no_dollars_fp": no}});
        lines.push(format!("{{\"recv_ms\":{},\"msg\":{snapshot}}}", start_ms + 10 + i as i64));
        for (side, list) in [("yes", &yes), ("no", &no)] {
            for (price, _) in list {
                levels.push((t.clone(), side, price.clone()));
            }
        }
    }
    let mut seq = tickers.len();
    let mut trade = 0;
    for i in 0..MESSAGES {
        let at = start_ms + 1_000 + 100 * i as i64;
        let (t, side, price) = &levels[i % levels.len()];
        if i % 10 == 9 {
            trade += 1;
            let taker = if *side == "yes" { "no" } else { "yes" };
            let msg = format!(
                r#"{{"type":"trade","sid":2,"seq":{trade},"msg":{{"trade_id":"b-{trade}","market_ticker":"{t}","yes_price_dollars":"{price}","count_fp":"1.00","taker_outcome_side":"{taker}","ts_ms":{at}}}}}"#
            );
            lines.push(format!("{{\"recv_ms\":{at},\"msg\":{msg}}}"));
            continue;
        }
        seq += 1;
        // Each level grows, then shrinks back: never below zero.
        let delta = if (i / levels.len()) % 2 == 0 { "5.00" } else { "-5.00" };
        let msg = format!(
            r#"{{"type":"orderbook_delta","sid":1,"seq":{seq},"msg":{{"market_ticker":"{t}","price_dollars":"{price}","delta_fp":"{delta}","side":"{side}","ts_ms":{at}}}}}"#
        );
        lines.push(format!("{{\"recv_ms\":{at},\"msg\":{msg}}}"));
    }
    lines.join("\n") + "\n"
}

fn week(dir: &Path) -> Vec<PathBuf> {
    let start = Utc.with_ymd_and_hms(2026, 11, 23, 14, 0, 0).unwrap().timestamp_millis();
    let mut files = Vec::new();
    for day in 0..DAYS {
        for event in EVENTS {
            let path = dir.join(format!("{event}_day{day}.jsonl"));
            std::fs::write(&path, recording(event, start + day * 86_400_000)).unwrap();
            files.push(path);
        }
    }
    files
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn whatif_week(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let files = week(dir.path());
    copy_dir(&repo().join("policies"), &dir.path().join("in_use"));
    let request = WhatIfRequest {
        selection: Selection::Files(files),
        policies: repo().join("policies"),
        against: dir.path().join("in_use"),
        configs: repo().join("configs"),
        fixtures: repo().join("fixtures"),
        out_root: dir.path().to_path_buf(),
        scan: ScanParamsInput {
            min_ev: Money::CENT,
            contracts: Count::from_whole(10).unwrap(),
            max_bins: 2,
            maker_only: true,
            kelly_cap: 0.25,
            sizing: None,
        },
        now: Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap(),
    };
    let report = whatif(&request).unwrap();
    let decided: usize = report.sessions.iter().map(|s| s.decided.len()).sum();
    assert_eq!(decided, 21, "every recording decides its event");
    let messages: usize = report.sessions.iter().map(|s| s.messages).sum();
    eprintln!("{messages} messages in {} recordings", report.sessions.len());
    let mut group = c.benchmark_group("whatif");
    group.sample_size(10);
    group.bench_function("week_21_recordings_630k_messages", |b| b.iter(|| whatif(&request).unwrap().differ));
    group.finish();
}

criterion_group!(benches, whatif_week);
criterion_main!(benches);
