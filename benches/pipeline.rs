//! One event through the scan pipeline: book → market PMF → model PMF → EV → proposals →
//! core limits, on the bundled fixtures (files are read once, outside the timed loop).

use std::path::Path;

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use kalshi_alpha::config::ScanConfig;
use kalshi_alpha::drivers::fixtures::load_market_fixtures;
use kalshi_alpha::scan::{EventInput, ScanParams, scan_event};
use kalshi_alpha::model::{Count, Money};
use kalshi_alpha::pricing::fees::{FeeMultiplier, FeeType};
use kalshi_alpha::risk::limits::{Decider, Ledger, LimitTable};

fn pipeline(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = ScanConfig::load(&root.join("configs")).expect("configs");
    let fixtures = load_market_fixtures(&root.join("fixtures"), &[]).expect("fixtures");
    let params = ScanParams {
        min_ev: "0.01".parse::<Money>().unwrap(),
        contracts: Count::from_whole(10).unwrap(),
        max_bins: 2,
        maker_only: true,
        rounding: config.fees.rounding,
        kelly_cap: 0.25,
    };
    let table = LimitTable::new(config.limits.clone(), None, None);
    for series in &fixtures {
        let fees = config
            .fees
            .resolve(
                &series.series.ticker,
                FeeType::from_api(&series.series.fee_type).unwrap(),
                FeeMultiplier::from_f64(series.series.fee_multiplier).unwrap(),
            )
            .unwrap();
        for ev in &series.events {
            let view = &config.views.events[&ev.event.event_ticker];
            let input = EventInput { event: &ev.event, books: &ev.books, fees: &fees, view };
            c.bench_function(&format!("scan_event/{}", ev.event.event_ticker), |b| {
                b.iter(|| {
                    let mut decider = Decider::new(&table, None, Ledger::default());
                    scan_event(black_box(input), &params, &mut decider).unwrap()
                })
            });
        }
    }
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
