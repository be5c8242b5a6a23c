//! One event through the scan pipeline: snapshot → market PMF → model PMF → EV → proposals →
//! core limits, on the bundled fixtures (files are read once, outside the timed loop); and the
//! paper fill model per trade message.

use std::path::Path;

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use kalshi_alpha::config::ScanConfig;
use kalshi_alpha::drivers::fixtures::load_market_fixtures;
use kalshi_alpha::feed::snapshot::from_live;
use kalshi_alpha::kalshi::live_book::BookSet;
use kalshi_alpha::kalshi::ws::WsMessage;
use kalshi_alpha::model::{Count, Level, Money, OrderBook, Price, Side};
use kalshi_alpha::paper::{FillAlpha, MakerQueue, Print};
use kalshi_alpha::risk::limits::{Decider, Ledger, LimitTable};
use kalshi_alpha::scan::{EventInput, ScanParams, scan_event};
use kalshi_alpha::session::fixture_snapshots;

/// The scanner's default knobs (as `scan` without flags).
fn scan_params(config: &ScanConfig) -> ScanParams {
    ScanParams {
        min_ev: "0.01".parse::<Money>().unwrap(),
        contracts: Count::from_whole(10).unwrap(),
        max_bins: 2,
        maker_only: true,
        rounding: config.fees.rounding,
        kelly_cap: 0.25,
        sizing: kalshi_alpha::scan::Sizing::Fixed,
    }
}

fn pipeline(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = ScanConfig::load(&root.join("configs")).expect("configs");
    let series = fixture_snapshots(&root.join("fixtures"), &[], &config).expect("fixtures");
    let params = scan_params(&config);
    let table = LimitTable::new(config.limits.clone(), None, None);
    // Events without an operator view are priced by their strategies from the fixture data
    // (outside the timed loop, as a session does once per scan).
    let empty = tempfile::tempdir().expect("temp dir");
    let strategies = kalshi_alpha::session::StrategyContext::load(
        &root.join("configs"),
        empty.path(),
        &root.join("fixtures"),
        chrono::Utc::now(),
        false,
        None,
    )
    .expect("strategies");
    for snapshot in series.iter().flat_map(|s| &s.events) {
        let view = match config.views.events.get(&snapshot.event) {
            Some(v) => v.clone(),
            None => {
                kalshi_alpha::strategies::price(&snapshot.series, &snapshot.event, &strategies.data, &strategies.params)
                    .expect("strategy")
                    .expect("a strategy for the series")
                    .view
            }
        };
        let input = EventInput { snapshot, view: &view, bankroll: None };
        c.bench_function(&format!("scan_event/{}", snapshot.event), |b| {
            b.iter(|| {
                let mut decider = Decider::new(&table, None, Ledger::default());
                scan_event(black_box(input), &params, &mut decider).unwrap()
            })
        });
    }
}

/// A live-book update to a decision for one ladder: apply one delta, snapshot the ladder's
/// live books, scan it and decide (the online hot path).
fn book_update_to_decision(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = ScanConfig::load(&root.join("configs")).expect("configs");
    let fixtures = load_market_fixtures(&root.join("fixtures"), &["KXHIGHNY".to_string()]).expect("fixtures");
    let (series, ev) = (&fixtures[0].series, &fixtures[0].events[0]);
    let mut books = BookSet::default();
    let pairs = |levels: &[Level]| {
        levels.iter().map(|l| format!("[\"{}\",\"{}\"]", l.price, l.size)).collect::<Vec<_>>().join(",")
    };
    let mut seq = 0;
    for (ticker, book) in &ev.books {
        seq += 1;
        let text = format!(
            r#"{{"type":"orderbook_snapshot","sid":1,"seq":{seq},"msg":{{"market_ticker":"{ticker}","yes_dollars_fp":[{}],"no_dollars_fp":[{}]}}}}"#,
            pairs(book.yes_bids()),
            pairs(book.no_bids())
        );
        books.apply(&WsMessage::decode(&text).unwrap(), 0);
    }
    let ticker = "KXHIGHNY-26NOV25-B49.5";
    let delta = |seq: u64, d: &str| {
        WsMessage::decode(&format!(
            r#"{{"type":"orderbook_delta","sid":1,"seq":{seq},"msg":{{"market_ticker":"{ticker}","price_dollars":"0.3400","delta_fp":"{d}","side":"yes"}}}}"#
        ))
        .unwrap()
    };
    let params = scan_params(&config);
    let table = LimitTable::new(config.limits.clone(), None, None);
    let view = &config.views.events[&ev.event.event_ticker];
    c.bench_function("book_update_to_decision/KXHIGHNY", |b| {
        // Each batch starts from the snapshot books, so the two deltas always follow in sequence.
        let (up, down) = (delta(seq + 1, "5.00"), delta(seq + 2, "-5.00"));
        b.iter_batched(
            || books.clone(),
            |mut books| {
                books.apply(&up, 1);
                books.apply(&down, 2);
                let snapshot = from_live(series, &ev.event, &books, 3, &config.fees).unwrap();
                let mut decider = Decider::new(&table, None, Ledger::default());
                scan_event(EventInput { snapshot: &snapshot, view, bankroll: None }, &params, &mut decider).unwrap()
            },
            criterion::BatchSize::SmallInput,
        )
    });
}

fn paper_fill_model(c: &mut Criterion) {
    let level = |p: &str, s: &str| Level { price: p.parse().unwrap(), size: s.parse().unwrap() };
    let book = OrderBook::from_levels(vec![level("0.40", "500")], vec![level("0.55", "300")]);
    let price: Price = "0.40".parse().unwrap();
    let print = Print { maker_side: Side::Yes, price, count: "1".parse().unwrap() };
    c.bench_function("paper/maker_queue_per_trade", |b| {
        b.iter_batched(
            || MakerQueue::join(&book, Side::Yes, price, "10".parse().unwrap(), FillAlpha::ONE),
            |mut q| {
                for _ in 0..100 {
                    black_box(q.on_trade(black_box(print)));
                }
                q
            },
            criterion::BatchSize::SmallInput,
        )
    });
}

/// Owen's T over a spread of arguments (the skew-normal CDF's cost), and the skew-normal CDF at
/// shape 12.
fn owens_t(c: &mut Criterion) {
    let args: Vec<(f64, f64)> =
        [0.0625, 0.5, 1.0, 2.33, 4.78].iter().flat_map(|h| [0.25, 0.97, 3.0, 12.0].map(|a| (*h, a))).collect();
    c.bench_function("owens_t_20_args", |b| {
        b.iter(|| args.iter().map(|(h, a)| kalshi_alpha::pricing::owens_t::owens_t(black_box(*h), *a)).sum::<f64>())
    });
}

criterion_group!(benches, pipeline, book_update_to_decision, paper_fill_model, owens_t);
criterion_main!(benches);
