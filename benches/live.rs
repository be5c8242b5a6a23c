//! The live lane's costs: the pre-trade chain per order (native checks with VaR over a
//! 10-bin event, then the shipped policy set's decision with its `check` hook), one order
//! journal append with fsync, and kill switch engage → cancel-all acknowledged by an
//! in-process simulator (the watcher polls every 20 ms, as shipped).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::{Criterion, black_box, criterion_group, criterion_main};
use kalshi_alpha::brokers::controls::{CancelAllMark, KillSwitch, StateStore};
use kalshi_alpha::brokers::kill_watch::{KillWatch, WatchSetup};
use kalshi_alpha::brokers::order_journal::OrderJournal;
use kalshi_alpha::config::load_limits;
use kalshi_alpha::kalshi::rest::{RestClient, RestConfig};
use kalshi_alpha::model::{Count, LadderKind, Money, Price, Proposal, Role, Side};
use kalshi_alpha::pricing::fees::{FeeMultiplier, FeeSchedule, Rounding};
use kalshi_alpha::risk::ceilings::resize;
use kalshi_alpha::risk::limits::{Decider, Ledger};
use kalshi_alpha::rules::policy::{PolicyPaths, PolicySet};
use kalshi_alpha::safety::orders::{Intent, OrderRecord};
use kalshi_alpha::safety::pretrade::{Book, Candidate, check};
use kalshi_alpha::safety::state::{Changer, TradingState};
use kalshi_alpha::safety::var::{EventOutcomes, Holding};

fn proposal(fees: &FeeSchedule) -> Proposal {
    let base = Proposal {
        series: "KXHIGHNY".into(),
        event: "KXHIGHNY-26NOV25".into(),
        ticker: "KXHIGHNY-26NOV25-B49.5".into(),
        label: "49–50".into(),
        side: Side::No,
        role: Role::Maker,
        price: "0.59".parse().unwrap(),
        count: Count::from_whole(5).unwrap(),
        model_p: 0.62,
        market_p: 0.614,
        ev_per_contract: Money::ZERO,
        ev_order: Money::ZERO,
        fee: Money::ZERO,
        max_loss: Money::ZERO,
        kelly: 0.0,
    };
    resize(&base, base.count, fees, Rounding::Cent)
}

fn pretrade_chain(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let core = load_limits(&root.join("configs")).expect("limits");
    let paths = PolicyPaths { policies: root.join("policies"), scripts: None };
    let set = PolicySet::compile(&paths, &core).expect("shipped policies");
    let fees = FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE);
    let p = proposal(&fees);
    let tickers: Vec<String> = (0..10).map(|i| format!("KXHIGHNY-26NOV25-B{}.5", 41 + 2 * i)).collect();
    let probs = [0.02, 0.05, 0.1, 0.15, 0.2, 0.18, 0.14, 0.09, 0.05, 0.02];
    let mut outcomes = BTreeMap::new();
    outcomes
        .insert(p.event.clone(), (p.series.clone(), EventOutcomes::from_ladder(LadderKind::Range, &tickers, &probs)));
    let mut holdings = BTreeMap::new();
    holdings.insert(
        p.event.clone(),
        (0..3)
            .map(|i| Holding {
                ticker: tickers[i * 3].clone(),
                side: Side::Yes,
                price: Price::from_cents(20).unwrap(),
                count: Count::from_whole(3).unwrap(),
            })
            .collect::<Vec<_>>(),
    );
    let book = Book {
        armed: true,
        kill_switch: false,
        reconciled: true,
        state: TradingState::Active,
        quiet_until_ms: None,
        blocked: &[],
        series_allowed: true,
        strike_limit: core.max_loss_per_strike,
        series_limit: core.pretrade.max_loss_per_series,
        loss_caps: (core.pretrade.daily_loss_cap, core.pretrade.weekly_loss_cap),
        strike_loss: Money::ZERO,
        series_loss: "1.80".parse().unwrap(),
        daily_loss: Money::ZERO,
        weekly_loss: Money::ZERO,
        session_notional: "5".parse().unwrap(),
        session_ceiling: "20".parse().unwrap(),
        open_orders: 3,
        recent: &[],
        now_ms: 1_000_000,
        outcomes: &outcomes,
        holdings: &holdings,
    };
    let candidate = Candidate {
        series: &p.series,
        event: &p.event,
        ticker: &p.ticker,
        side: p.side,
        price: p.price,
        count: p.count,
        worst_loss: p.max_loss,
        model_p: p.model_p,
        mid: Some(Price::from_cents(60).unwrap()),
        reduces: false,
    };
    assert_eq!(check(&candidate, &book, &core.pretrade), Ok(()));
    let mut group = c.benchmark_group("pretrade");
    group.bench_function("native_checks_with_var", |b| b.iter(|| check(black_box(&candidate), &book, &core.pretrade)));
    group.bench_function("native_checks_then_shipped_policies", |b| {
        b.iter(|| {
            check(black_box(&candidate), &book, &core.pretrade).unwrap();
            let mut decider = Decider::new(set.table(), set.hook(), Ledger::default());
            decider.decide(vec![p.clone()], &fees, Rounding::Cent)[0].allowed
        })
    });
    group.finish();
}

fn journal_append(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = OrderJournal::open(dir.path().join("orders.jsonl")).unwrap();
    let mut n = 0u64;
    c.bench_function("order_journal_append_fsync", |b| {
        b.iter(|| {
            n += 1;
            journal
                .append(OrderRecord::Intent(Intent {
                    ts: DateTime::<Utc>::UNIX_EPOCH,
                    mode: kalshi_alpha::ledger::Mode::Live,
                    client_order_id: format!("ka-live-bench-{n}"),
                    series: "KXHIGHNY".into(),
                    event: "KXHIGHNY-26NOV25".into(),
                    ticker: "KXHIGHNY-26NOV25-B49.5".into(),
                    side: Side::No,
                    role: Role::Maker,
                    price: Price::from_cents(59).unwrap(),
                    count: Count::from_whole(5).unwrap(),
                    expected: None,
                }))
                .unwrap()
        })
    });
}

fn kill_switch(c: &mut Criterion) {
    let config = kalshi_alpha::sim::SimConfig {
        fixtures: Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        public_key: None,
        faults: Default::default(),
        cash: "1000.00".parse().unwrap(),
        flow: None,
        flow_after_subscribe: false,
    };
    let shared = kalshi_alpha::sim::state(&config).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base_url = format!("http://{}/trade-api/v2", listener.local_addr().unwrap());
    runtime.spawn(kalshi_alpha::sim::run(listener, Arc::clone(&shared), Vec::new(), false));
    let dir = tempfile::tempdir().unwrap();
    let kill = KillSwitch::for_data_dir(dir.path(), None);
    let mark = CancelAllMark::under(dir.path());
    let key = ed25519_dalek::SigningKey::from_bytes(&[5u8; 32]);
    let pem = ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_pem(&key, rsa::pkcs8::LineEnding::LF).unwrap();
    let signer = kalshi_alpha::kalshi::signing::Signer::from_pem("bench", &pem, Path::new("bench.pem")).unwrap();
    // The watcher's client has a bucket of its own (nothing else draws from it); here it must
    // not throttle one cancel-all per iteration either.
    let config = RestConfig { base_url, writes_per_sec: 10_000.0, ..RestConfig::default() };
    let rest = RestClient::new(config, Some(signer)).unwrap();
    let watch = KillWatch::start(WatchSetup {
        kill: kill.clone(),
        state: StateStore::under(dir.path()),
        mark: mark.clone(),
        rest,
        group: None,
        poll: Duration::from_millis(20),
        audit: dir.path().join("live.jsonl"),
    })
    .expect("the watcher starts");
    let mut group = c.benchmark_group("kill_switch");
    group.sample_size(20);
    group.bench_function("engage_to_cancel_all_acknowledged", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let before = mark.last_ms().ok().flatten();
                let started = Instant::now();
                kill.engage("bench", Changer::Operator, Utc::now()).unwrap();
                while mark.last_ms().ok().flatten() == before {
                    assert!(started.elapsed() < Duration::from_secs(2), "no cancel-all");
                    std::thread::sleep(Duration::from_micros(200));
                }
                total += started.elapsed();
                kill.reset("bench", Utc::now()).unwrap();
                // Let the watcher see the reset before the next engage.
                std::thread::sleep(Duration::from_millis(45));
            }
            total
        })
    });
    group.finish();
    watch.stop();
}

criterion_group!(benches, pretrade_chain, journal_append, kill_switch);
criterion_main!(benches);
