//! The evidence reports' cost: the scoreboard over a 30-day paper ledger of 10,000 settled
//! fills across six series, with a decision log of 2,000 sessions, computed in process from
//! data already read (`--bench evidence`).

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, black_box, criterion_group, criterion_main};
use kalshi_alpha::evidence::scoreboard::{EvidenceData, Window, scoreboard};
use kalshi_alpha::ledger::{Expected, Fill, LedgerEvent, Mode, OrderPlaced};
use kalshi_alpha::model::{Role, Side};
use kalshi_alpha::risk::gate::{Gate, GateLine};

const SERIES: [&str; 6] = ["KXCPI", "KXHIGHNY", "KXINX", "KXINXU", "KXNASDAQ100", "KXNASDAQ100U"];

fn ledger(fills: usize, start: DateTime<Utc>) -> Vec<LedgerEvent> {
    let mut events = Vec::with_capacity(fills * 3);
    for i in 0..fills {
        let series = SERIES[i % SERIES.len()];
        let at = start + Duration::minutes((i * 4) as i64);
        let ticker = format!("{series}-E{}-T{}", i / 60, i % 10);
        let id = format!("ka-paper-{i}");
        let price = format!("0.{:02}", 20 + i % 60);
        events.push(LedgerEvent::OrderPlaced(OrderPlaced {
            ts: at,
            mode: Mode::Paper,
            client_order_id: id.clone(),
            series: series.into(),
            event: format!("{series}-E{}", i / 60),
            ticker: ticker.clone(),
            side: if i % 2 == 0 { Side::Yes } else { Side::No },
            role: if i % 3 == 0 { Role::Taker } else { Role::Maker },
            price: price.parse().unwrap(),
            count: "10".parse().unwrap(),
            expected: Some(Expected { model_p: 0.55, market_p: 0.5, ev_per_contract: "0.03".parse().unwrap() }),
        }));
        events.push(LedgerEvent::Fill(Fill {
            ts: at,
            mode: Mode::Paper,
            client_order_id: id,
            series: series.into(),
            ticker: ticker.clone(),
            side: if i % 2 == 0 { Side::Yes } else { Side::No },
            role: Role::Maker,
            price: price.parse().unwrap(),
            count: "10".parse().unwrap(),
            fee: "0.02".parse().unwrap(),
        }));
        if i % 10 == 9 || i + 1 == fills {
            for k in 0..10 {
                let t = format!("{series}-E{}-T{k}", i / 60);
                let result = if (i + k) % 3 == 0 { Side::Yes } else { Side::No };
                events.push(LedgerEvent::Settled { ts: at + Duration::hours(1), ticker: t, result });
            }
        }
    }
    events
}

fn bench(c: &mut Criterion) {
    let now: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
    let start = now - Duration::days(29);
    let gates = (0..2_000)
        .map(|i| GateLine {
            at: start + Duration::minutes(i * 20),
            source: "scan".into(),
            policy_version: "v1".into(),
            series: SERIES
                .iter()
                .map(|s| (s.to_string(), Gate { go: i % 7 != 0, reasons: vec!["DATA_STALE: age=1000s".into()] }))
                .collect(),
        })
        .collect();
    let data = EvidenceData {
        paper: ledger(10_000, start),
        gates,
        fill_alpha: 0.6,
        series: SERIES.iter().map(|s| s.to_string()).collect(),
        ..EvidenceData::default()
    };
    let window: Window = "30d".parse().unwrap();
    c.bench_function("scoreboard_30d_10k_fills", |b| b.iter(|| black_box(scoreboard(&data, &window, now))));
}

criterion_group!(benches, bench);
criterion_main!(benches);
