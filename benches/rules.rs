//! Per-proposal decisions: native core limits only (the baseline), the shipped PAL + pilot
//! tables (the declarative path), and the same with the shipped PAL `check` hook running in
//! Rhai. Scripts are compiled and tables evaluated once, outside the timed loop.

use std::path::Path;

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use kalshi_alpha::config::load_limits;
use kalshi_alpha::model::{Count, Money, Proposal, Role, Side};
use kalshi_alpha::pricing::fees::{FeeMultiplier, FeeSchedule, Rounding};
use kalshi_alpha::risk::ceilings::resize;
use kalshi_alpha::risk::limits::{Decider, Ledger, LimitTable, OrderHook};
use kalshi_alpha::rules::policy::{PolicyPaths, PolicySet};

fn proposal(fees: &FeeSchedule) -> Proposal {
    let base = Proposal {
        series: "KXHIGHNY".into(),
        event: "KXHIGHNY-26NOV25".into(),
        ticker: "KXHIGHNY-26NOV25-B49.5".into(),
        label: "49–50".into(),
        side: Side::No,
        role: Role::Maker,
        price: "0.59".parse().unwrap(),
        count: Count::from_whole(10).unwrap(),
        model_p: 0.676,
        market_p: 0.614,
        ev_per_contract: Money::ZERO,
        ev_order: Money::ZERO,
        fee: Money::ZERO,
        max_loss: Money::ZERO,
        kelly: 0.0,
    };
    resize(&base, base.count, fees, Rounding::Cent)
}

fn decide(table: &LimitTable, hook: Option<&dyn OrderHook>, p: &Proposal, fees: &FeeSchedule) -> Count {
    let mut decider = Decider::new(table, hook, Ledger::default());
    decider.decide(vec![p.clone()], fees, Rounding::Cent)[0].allowed
}

fn decisions(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let core = load_limits(&root.join("configs")).expect("limits");
    let paths = PolicyPaths { policies: root.join("policies"), scripts: None };
    let set = PolicySet::compile(&paths, &core).expect("shipped policies");
    let fees = FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE);
    let p = proposal(&fees);
    let native = LimitTable::new(core, None, None);

    let mut group = c.benchmark_group("decision");
    group.bench_function("native_core_limits", |b| b.iter(|| decide(&native, None, black_box(&p), &fees)));
    group.bench_function("declarative_pal_pilot", |b| b.iter(|| decide(set.table(), None, black_box(&p), &fees)));
    group.bench_function("with_check_hook", |b| b.iter(|| decide(set.table(), set.hook(), black_box(&p), &fees)));
    group.finish();
}

criterion_group!(benches, decisions);
criterion_main!(benches);
