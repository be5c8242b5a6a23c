//! Live books: one delta applied to a book of 16 levels per side, and replay throughput of a
//! recorded session (parse + apply, the `replay` command's code path), with apply alone for
//! comparison.

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use kalshi_alpha::kalshi::live_book::{BookSet, LiveBook};
use kalshi_alpha::kalshi::open_enum::OutcomeSide;
use kalshi_alpha::kalshi::replay::replay;
use kalshi_alpha::kalshi::ws::WsMessage;
use kalshi_alpha::model::{Count, Level, Price, SignedCount};

const MESSAGES: usize = 100_000;

fn level(cents: i64, size: i64) -> Level {
    Level { price: Price::from_cents(cents).unwrap(), size: Count::from_whole(size).unwrap() }
}

/// A recorded session: 4 snapshots, then deltas cycling over 16 levels per side.
fn session() -> Vec<String> {
    let markets =
        ["KXHIGHNY-26NOV25-B47.5", "KXHIGHNY-26NOV25-B49.5", "KXHIGHNY-26NOV25-B51.5", "KXHIGHNY-26NOV25-B53.5"];
    let mut lines = Vec::with_capacity(MESSAGES + markets.len());
    let mut seq = 0;
    for m in markets {
        seq += 1;
        let yes: Vec<String> = (20..36).map(|c| format!("[\"0.{c:02}00\",\"100.00\"]")).collect();
        let no: Vec<String> = (50..66).map(|c| format!("[\"0.{c:02}00\",\"100.00\"]")).collect();
        lines.push(format!(
            r#"{{"recv_ms":1764082800000,"msg":{{"type":"orderbook_snapshot","sid":1,"seq":{seq},"msg":{{"market_ticker":"{m}","yes_dollars_fp":[{}],"no_dollars_fp":[{}]}}}}}}"#,
            yes.join(","),
            no.join(",")
        ));
    }
    for i in 0..MESSAGES {
        seq += 1;
        let (side, base) = if i % 2 == 0 { ("yes", 20) } else { ("no", 50) };
        let cents = base + (i / 2 % 16) as i64;
        let delta = if (i / 32) % 2 == 0 { "5.00" } else { "-5.00" };
        lines.push(format!(
            r#"{{"recv_ms":{},"msg":{{"type":"orderbook_delta","sid":1,"seq":{seq},"msg":{{"market_ticker":"{}","price_dollars":"0.{cents:02}00","delta_fp":"{delta}","side":"{side}","ts_ms":1764082800000}}}}}}"#,
            1764082800000 + i,
            markets[i % markets.len()]
        ));
    }
    lines
}

fn books(c: &mut Criterion) {
    let yes: Vec<Level> = (20..36).map(|c| level(c, 100)).collect();
    let no: Vec<Level> = (50..66).map(|c| level(c, 100)).collect();
    let mut book = LiveBook::default();
    book.reset(&yes, &no);
    let price = Price::from_cents(27).unwrap();
    let (up, down) = (SignedCount::from_centis(500).unwrap(), SignedCount::from_centis(-500).unwrap());
    let mut flip = false;
    c.bench_function("live_book/apply_delta_16_levels", |b| {
        b.iter(|| {
            flip = !flip;
            black_box(book.apply(&OutcomeSide::Yes, black_box(price), if flip { up } else { down }, false))
        })
    });

    let lines = session();
    let mut group = c.benchmark_group("replay");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.sample_size(20);
    group.bench_function("parse_and_apply", |b| b.iter(|| replay(lines.iter().map(String::as_str)).unwrap()));
    let decoded: Vec<WsMessage> = lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            WsMessage::decode(&v["msg"].to_string()).unwrap()
        })
        .collect();
    group.bench_function("apply_only", |b| {
        b.iter(|| {
            let mut set = BookSet::default();
            for m in &decoded {
                set.apply(m, 0);
            }
            set
        })
    });
    group.finish();
}

criterion_group!(benches, books);
criterion_main!(benches);
