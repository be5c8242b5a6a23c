//! The fault campaign: for each seed, a randomized live session against an in-process
//! simulator that answers with 429s, 503s, added latency and lost create responses, while a
//! seeded crowd trades against our resting orders. Creates, replaces (cancel-then-create),
//! decreases, series cancels and reconciliations are drawn from the seed; about one seed in
//! four engages the kill switch part-way; the fills list repeats fills and comes out of order. Every run must end with 0 duplicate orders, 0
//! untracked exposure (the venue's orders, fills and positions equal the journal after
//! reconciliation) and, where the kill switch was engaged, 0 resting orders.
//!
//! Seeds also draw a venue that cannot be read at first (the first reconciliation retries;
//! one seed in eight never gets through and must be refused with nothing sent), order-group
//! creation failures (the session must then send nothing), a small cancel/replace queue
//! (creates dropped, cancels never), and every order whose create response was lost counts
//! against the session notional until it is resolved.
//!
//! CI runs `SEEDS_IN_CI` seeds; `cargo test --release --test fault_campaign -- --ignored`
//! runs 1,000. WebSocket drops and sequence gaps are not part of it: the live broker reads
//! orders and fills over REST; the feed's handling of both is tested in `sim_ws`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use kalshi_alpha::brokers::controls::KillSwitch;
use kalshi_alpha::brokers::live::{LiveBroker, LiveSetup};
use kalshi_alpha::brokers::venue::venue_state;
use kalshi_alpha::brokers::{Broker, BrokerError, OrderContext, OrderIntent, new_client_order_id};
use kalshi_alpha::kalshi::open_enum::BookSide;
use kalshi_alpha::kalshi::portfolio::{Fill, MarketPosition, Order};
use kalshi_alpha::kalshi::rest::{RestClient, RestConfig};
use kalshi_alpha::model::{Count, Money, OrderBook, Price, Proposal, Role, Side};
use kalshi_alpha::pricing::fees::{FeeMultiplier, FeeSchedule, Rounding};
use kalshi_alpha::safety::config::LiveConfig;
use kalshi_alpha::safety::reconcile::reconcile;
use kalshi_alpha::safety::state::Changer;
use kalshi_alpha::sim::flow::FlowOrder;
use kalshi_alpha::sim::server::SimState;
use kalshi_alpha::sim::{SimConfig, run, state};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const MARKETS: [&str; 2] = ["KXHIGHNY-26NOV25-B47.5", "KXHIGHNY-26NOV25-B49.5"];
const SEEDS_IN_CI: u64 = 6;

/// What one seed's session ended with.
#[derive(Debug, Default)]
struct Outcome {
    intents: usize,
    venue_orders: usize,
    duplicates: usize,
    untracked: usize,
    unresolved: usize,
    resting_after_kill: Option<usize>,
    fills: usize,
    lost_or_unknown: usize,
    refused_at_open: bool,
    queue_drops: usize,
}

/// A simulator on its own thread and runtime.
struct SimThread {
    base_url: String,
    state: Arc<SimState>,
    _runtime: tokio::runtime::Runtime,
}

fn start_sim(faults: &str, flow: Vec<FlowOrder>) -> SimThread {
    let config = SimConfig {
        fixtures: Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        public_key: None,
        faults: faults.parse().unwrap(),
        cash: "10000.00".parse().unwrap(),
        flow: None,
        flow_after_subscribe: false,
    };
    let shared = state(&config).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base_url = format!("http://{}/trade-api/v2", listener.local_addr().unwrap());
    runtime.spawn(run(listener, Arc::clone(&shared), flow, false));
    SimThread { base_url, state: shared, _runtime: runtime }
}

fn setup(dir: &Path, base_url: &str) -> LiveSetup {
    let configs = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    let mut core = kalshi_alpha::config::load_limits(&configs).unwrap();
    // The campaign exercises execution under faults, not the limits: wide ceilings.
    core.max_loss_per_strike = "1000".parse().unwrap();
    core.max_contracts_per_order = Count::from_whole(100).unwrap();
    let p = &mut core.pretrade;
    p.collar_ticks_from_mid = 100;
    p.collar_from_model = Price::ONE;
    p.max_notional_per_order = "1000".parse().unwrap();
    p.max_notional_per_session = "100000".parse().unwrap();
    p.max_loss_per_series = "100000".parse().unwrap();
    p.daily_loss_cap = "100000".parse().unwrap();
    p.weekly_loss_cap = "100000".parse().unwrap();
    p.max_open_orders = 1000;
    p.max_orders_per_second = 1000;
    p.duplicate_window_secs = 0;
    p.max_var = "100000".parse().unwrap();
    let mut config: LiveConfig = kalshi_alpha::decode::read_toml(&configs.join("live.toml")).unwrap();
    config.sync_interval_ms = 50;
    config.cancel_all_quiet_secs = 0;
    config.order_group_contracts = Count::from_whole(100_000).unwrap();
    let rest = RestClient::new(
        RestConfig {
            base_url: base_url.to_string(),
            backoff_base: Duration::from_millis(1),
            backoff_cap: Duration::from_millis(8),
            timeout: Duration::from_secs(2),
            reads_per_sec: 10_000.0,
            writes_per_sec: 10_000.0,
            ..RestConfig::default()
        },
        Some(signer()),
    )
    .unwrap();
    LiveSetup {
        rest,
        out_root: dir.to_path_buf(),
        kill_switch: KillSwitch::for_data_dir(dir, None),
        core,
        config,
        session_ceiling: "100000".parse().unwrap(),
        armed: true,
        rounding: Rounding::Centicent,
    }
}

fn signer() -> kalshi_alpha::kalshi::signing::Signer {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    let pem = key.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF).unwrap();
    kalshi_alpha::kalshi::signing::Signer::from_pem("campaign", &pem, Path::new("campaign.pem")).unwrap()
}

/// The crowd: marketable IOC orders of 1–3 contracts on both markets, spread over the
/// session; each takes the best prices first — ours when we quote at the touch.
fn crowd(rng: &mut StdRng) -> Vec<FlowOrder> {
    (0..30)
        .map(|i| {
            let buy = rng.random_bool(0.5);
            FlowOrder {
                after_ms: 150 + i * 30,
                ticker: MARKETS[rng.random_range(0..2)].to_string(),
                side: if buy { BookSide::Bid } else { BookSide::Ask },
                price: Price::from_cents(if buy { rng.random_range(80..=99) } else { rng.random_range(1..=20) })
                    .unwrap(),
                count: Count::from_whole(rng.random_range(1..=3)).unwrap(),
                immediate_or_cancel: true,
            }
        })
        .collect()
}

/// A maker price for `side` at or just inside the touch of the simulator's book.
fn maker_price(rng: &mut StdRng, book: &OrderBook, side: Side) -> Price {
    let (bid, ask) = match side {
        Side::Yes => (book.best_yes_bid(), book.best_yes_ask()),
        Side::No => (book.best_no_bid(), book.best_no_ask()),
    };
    let bid = bid.map_or(20, |t| t.price.micros() / 10_000);
    let ask = ask.map_or(80, |t| t.price.micros() / 10_000);
    Price::from_cents(rng.random_range((bid - 1).max(1)..=(ask - 1).max(bid)).clamp(1, 99)).unwrap()
}

fn book(sim: &SimThread, ticker: &str) -> OrderBook {
    let (yes, no) = sim.state.exchange.lock().unwrap().levels(ticker);
    OrderBook::from_levels(yes, no)
}

fn proposal(ticker: &str, side: Side, price: Price, count: Count) -> Proposal {
    Proposal {
        series: "KXHIGHNY".into(),
        event: "KXHIGHNY-26NOV25".into(),
        ticker: ticker.into(),
        label: ticker.into(),
        side,
        role: Role::Maker,
        price,
        count,
        model_p: price.as_probability(),
        market_p: price.as_probability(),
        ev_per_contract: Money::ZERO,
        ev_order: Money::ZERO,
        fee: Money::ZERO,
        max_loss: count.times(price),
        kelly: 0.0,
    }
}

/// The venue's ground truth, read under the simulator's lock (no faults on this path).
fn truth(sim: &SimThread) -> kalshi_alpha::safety::reconcile::VenueState {
    let exchange = sim.state.exchange.lock().unwrap();
    let orders: Vec<Order> =
        exchange.orders_json(None, None).into_iter().map(|o| serde_json::from_value(o).unwrap()).collect();
    let fills: Vec<Fill> = exchange.fills_json().into_iter().map(|f| serde_json::from_value(f).unwrap()).collect();
    let positions: Vec<MarketPosition> =
        serde_json::from_value(exchange.positions_json()["market_positions"].clone()).unwrap();
    venue_state(orders, fills, positions)
}

fn session(seed: u64) -> Outcome {
    let mut rng = StdRng::seed_from_u64(seed);
    // One seed in eight: the venue never answers the first reconciliation's reads.
    let reads_fail = if seed % 8 == 3 { 100_000 } else { rng.random_range(0..3) };
    let group_fail = u8::from(seed % 6 == 4);
    let faults = format!(
        "429={:.2},5xx={:.2},latency_ms={},lose={:.2},dup_fills={:.2},reads_fail={reads_fail},group_fail={group_fail},seed={}",
        rng.random_range(0.0..0.2),
        rng.random_range(0.0..0.15),
        rng.random_range(0..4),
        rng.random_range(0.0..0.3),
        rng.random_range(0.0..0.5),
        seed + 1
    );
    let sim = start_sim(&faults, crowd(&mut rng));
    let sim_started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let fees = FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE);
    let mut live = setup(dir.path(), &sim.base_url);
    if seed % 3 == 2 {
        live.config.queue_capacity = std::num::NonZeroUsize::new(rng.random_range(1..=2)).unwrap();
    }
    let mut outcome = Outcome::default();
    let mut broker = match LiveBroker::open(live, Utc::now()) {
        Ok(broker) => broker,
        Err(BrokerError::LiveRefused { refusal, .. }) => {
            assert_eq!(refusal, kalshi_alpha::safety::arming::ArmingRefusal::NotReconciled, "seed {seed}");
            assert!(reads_fail > 10, "seed {seed}: refused although the venue answered");
            assert!(sim.state.exchange.lock().unwrap().orders_json(None, None).is_empty(), "seed {seed}: sent");
            outcome.refused_at_open = true;
            return outcome;
        }
        Err(e) => panic!("seed {seed}: open: {e}"),
    };
    assert!(reads_fail <= 10, "seed {seed}: a session opened without one reconciliation");
    // One seed in four engages the kill switch part-way.
    let kill_at = (seed % 4 == 1).then(|| rng.random_range(5..18));
    for step in 0..20 {
        std::thread::sleep(Duration::from_millis(25));
        if Some(step) == kill_at {
            let kill = KillSwitch::for_data_dir(dir.path(), None);
            kill.engage("campaign", Changer::Operator, Utc::now()).unwrap();
            std::thread::sleep(Duration::from_millis(150));
        }
        let ticker = MARKETS[rng.random_range(0..2)];
        let now = Utc::now();
        match rng.random_range(0..10) {
            0..=5 => {
                let side = if rng.random_bool(0.5) { Side::Yes } else { Side::No };
                let b = book(&sim, ticker);
                let price = maker_price(&mut rng, &b, side);
                let count = Count::from_whole(rng.random_range(1..=6)).unwrap();
                let p = proposal(ticker, side, price, count);
                let intent = OrderIntent::from_proposal(&p, new_client_order_id("live"));
                match broker.place(&intent, &OrderContext { proposal: &p, fees: &fees, book: &b }, now) {
                    Ok(_) | Err(BrokerError::Refused { .. }) => {}
                    Err(e) => panic!("seed {seed}: place: {e}"),
                }
            }
            6 => {
                broker.cancel_series("KXHIGHNY", "campaign", now).unwrap();
            }
            7 => {
                // Same market, side and price as a resting order, smaller: a decrease.
                let resting = broker
                    .journal()
                    .table()
                    .orders
                    .values()
                    .find(|o| o.status == kalshi_alpha::safety::orders::OrderStatus::Resting && o.remaining.whole() > 1)
                    .cloned();
                if let Some(o) = resting {
                    let smaller = Count::from_whole(o.remaining.whole() - 1).unwrap();
                    let p = proposal(&o.intent.ticker, o.intent.side, o.price, smaller);
                    let intent = OrderIntent::from_proposal(&p, new_client_order_id("live"));
                    let b = book(&sim, &o.intent.ticker);
                    let _ = broker.place(&intent, &OrderContext { proposal: &p, fees: &fees, book: &b }, now);
                }
            }
            _ => {
                std::thread::sleep(Duration::from_millis(60));
                broker.tick(Utc::now()).unwrap();
            }
        }
    }
    // Let the crowd finish (its last order is 1,020 ms after the simulator started), then
    // reconcile until a reconciliation gets through the faults and finds nothing new: one that
    // read the venue's orders just before a crowd order filled ours leaves the journal one
    // reconciliation behind (the fill recorded, the order's close not yet).
    std::thread::sleep(
        Duration::from_millis(1_300).saturating_sub(sim_started.elapsed()).max(Duration::from_millis(200)),
    );
    for _ in 0..50 {
        let (runs, records) = (broker.sync_summary().runs, broker.sync_summary().records);
        broker.reconcile_now(Utc::now()).unwrap();
        let after = broker.sync_summary();
        if after.runs > runs && after.records == records && broker.journal().table().unresolved().count() == 0 {
            break;
        }
    }
    let table = broker.journal().table().clone();
    let venue = truth(&sim);
    let ours: Vec<_> = venue.orders.iter().filter(|o| o.client_order_id.starts_with("ka-live-")).collect();
    let mut per_cid: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &ours {
        *per_cid.entry(o.client_order_id.as_str()).or_default() += 1;
    }
    outcome.intents = table.orders.len();
    outcome.venue_orders = ours.len();
    outcome.duplicates = per_cid.values().filter(|n| **n > 1).count()
        + ours.iter().filter(|o| !table.orders.contains_key(&o.client_order_id)).count();
    let check = reconcile(&table, &venue, &Default::default(), Utc::now());
    outcome.untracked = check.differences.len() + check.records.len();
    outcome.unresolved = table.unresolved().count();
    outcome.fills = table.fill_count;
    outcome.lost_or_unknown = std::fs::read_to_string(dir.path().join("data/proc/live/orders.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"kind\":\"unknown\""))
        .count();
    if kill_at.is_some() {
        outcome.resting_after_kill = Some(venue.orders.iter().filter(|o| o.resting).count());
    }
    // Every order of this session that exists at the venue — lost create responses included —
    // counted against the session notional.
    let at_venue: Money = ours
        .iter()
        .filter_map(|o| table.orders.get(&o.client_order_id))
        .fold(Money::ZERO, |total, o| total + o.intent.count.times(o.intent.price));
    assert!(
        at_venue <= broker.session_notional(),
        "seed {seed}: {at_venue} at the venue, notional {}",
        broker.session_notional()
    );
    if group_fail == 1 {
        assert!(ours.is_empty(), "seed {seed}: orders sent without an order group");
    }
    let audit = std::fs::read_to_string(dir.path().join("data/proc/audit/live.jsonl")).unwrap_or_default();
    outcome.queue_drops = audit.lines().filter(|l| l.contains("\"queue_drop\"")).count();
    assert_eq!(outcome.duplicates, 0, "seed {seed} ({faults}): duplicate orders: {outcome:?}");
    assert_eq!(outcome.untracked, 0, "seed {seed} ({faults}): untracked exposure: {check:?}");
    assert_eq!(outcome.unresolved, 0, "seed {seed} ({faults}): unresolved orders: {outcome:?}");
    assert!(
        outcome.resting_after_kill.is_none_or(|n| n == 0),
        "seed {seed}: orders rest after the kill switch: {outcome:?}"
    );
    // The audit log and journals parse line by line.
    for file in ["data/proc/live/orders.jsonl", "data/proc/audit/live.jsonl", "data/proc/ledger/live_journal.jsonl"] {
        if let Ok(text) = std::fs::read_to_string(dir.path().join(file)) {
            for line in text.lines() {
                serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("{file}: {e}"));
            }
        }
    }
    broker.finish(Utc::now()).unwrap();
    outcome
}

/// Runs the seeds on `workers` threads (the sessions mostly wait on the network and the crowd).
fn campaign(seeds: std::ops::Range<u64>, workers: u64) {
    let mut totals = Outcome::default();
    let (mut kills, n) = (0, seeds.end - seeds.start);
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let seeds = seeds.clone();
                scope.spawn(move || seeds.filter(|s| s % workers == w).map(session).collect::<Vec<_>>())
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a seed failed")).collect()
    });
    let (mut refused, mut drops) = (0, 0);
    for o in outcomes {
        refused += usize::from(o.refused_at_open);
        drops += o.queue_drops;
        totals.intents += o.intents;
        totals.venue_orders += o.venue_orders;
        totals.fills += o.fills;
        totals.lost_or_unknown += o.lost_or_unknown;
        kills += usize::from(o.resting_after_kill.is_some());
    }
    eprintln!(
        "fault campaign: {n} seeds, {} intents, {} orders at the venue, {} fills, {} unknown outcomes resolved, {kills} kill switches, {refused} sessions refused unreconciled, {drops} queue drops; 0 duplicates, 0 untracked, 0 resting after kill",
        totals.intents, totals.venue_orders, totals.fills, totals.lost_or_unknown
    );
}

#[test]
fn fault_campaign_slice() {
    // Seed 3 is one whose venue never answers the first reconciliation.
    campaign(0..SEEDS_IN_CI, 2);
}

#[test]
#[ignore = "1,000 seeds: cargo test --release --test fault_campaign -- --ignored"]
fn fault_campaign_full() {
    campaign(0..1000, 6);
}
