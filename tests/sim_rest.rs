//! The REST client against the loopback simulator: market data, V2 order entry, account
//! reads, order groups, signatures, retries under injected faults, and exactly-once creates
//! when responses are lost. Nothing leaves 127.0.0.1.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use kalshi_alpha::kalshi::market_data::MarketsPage;
use kalshi_alpha::kalshi::open_enum::BookSide;
use kalshi_alpha::kalshi::orders::{AmendOrder, BatchCreateOrders, CreateOrder, CreateOrderGroup, DecreaseOrder};
use kalshi_alpha::kalshi::rest::{RestClient, RestConfig, RestError};
use kalshi_alpha::kalshi::signing::Signer;
use kalshi_alpha::model::{Count, Money, Price};
use kalshi_alpha::sim::faults::Faults;
use kalshi_alpha::sim::server::SimState;
use kalshi_alpha::sim::{SimConfig, run, state};

async fn start(faults: &str, public_key: Option<&Path>) -> (String, Arc<SimState>) {
    let config = SimConfig {
        fixtures: Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        public_key: public_key.map(Path::to_path_buf),
        faults: faults.parse::<Faults>().unwrap(),
        cash: "1000.00".parse().unwrap(),
        flow: None,
        flow_after_subscribe: false,
    };
    let shared = state(&config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/trade-api/v2", listener.local_addr().unwrap());
    tokio::spawn(run(listener, Arc::clone(&shared), Vec::new(), false));
    (url, shared)
}

fn client(base_url: &str, signer: Option<Signer>) -> RestClient {
    let config = RestConfig {
        base_url: base_url.to_string(),
        timeout: Duration::from_secs(5),
        max_retries: 8,
        backoff_base: Duration::from_millis(1),
        backoff_cap: Duration::from_millis(5),
        reads_per_sec: 10_000.0,
        writes_per_sec: 10_000.0,
        ..RestConfig::default()
    };
    RestClient::new(config, signer).unwrap()
}

/// A signer with a key made once per test run (the simulator without `--public-key` accepts any).
fn signer() -> Signer {
    static PEM: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let pem = PEM.get_or_init(|| {
        use rsa::pkcs8::{EncodePrivateKey, LineEnding};
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
        key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string()
    });
    Signer::from_pem("test-key", pem, Path::new("test.pem")).unwrap()
}

fn order(cid: &str, side: BookSide, price: &str, count: i64) -> CreateOrder {
    CreateOrder::limit(
        "KXHIGHNY-26NOV25-B49.5",
        cid,
        side,
        price.parse::<Price>().unwrap(),
        Count::from_whole(count).unwrap(),
    )
}

#[tokio::test]
async fn market_data_pages_and_books() {
    let (url, _) = start("", None).await;
    let c = client(&url, None);
    assert_eq!(c.series("KXHIGHNY").await.unwrap().series.fee_type, "quadratic_with_maker_fees");
    let event = c.event("KXINXU-26NOV24H1600").await.unwrap().into_event();
    assert_eq!(event.markets.len(), 10);
    let paged = c
        .get_all::<MarketsPage>("/markets", &[("series_ticker", "KXINXU".into()), ("limit", "3".into())], false)
        .await
        .unwrap();
    assert_eq!(paged.len(), 10, "four pages of at most three");
    let book = c.orderbook("KXHIGHNY-26NOV25-B49.5").await.unwrap().to_book().unwrap();
    assert_eq!(book.best_yes_bid().unwrap().price.to_string(), "0.3700");
    assert_eq!(book.best_yes_ask().unwrap().price.to_string(), "0.4100");
    let missing = c.event("KXNOPE").await.unwrap_err();
    assert_eq!(missing.api().unwrap().status, 404);
    assert_eq!(missing.api().unwrap().body.code, "not_found");
}

#[tokio::test]
async fn order_entry_and_account() {
    let (url, _) = start("", None).await;
    let c = client(&url, Some(signer()));
    // Crosses the fixture ask at 0.41 (NO bid 0.59): 5 filled, taker fee 0.07×5×0.41×0.59 → 0.09.
    let taken = c.create_order(&order("take-1", BookSide::Bid, "0.4200", 5)).await.unwrap();
    assert_eq!((taken.fill_count.to_string(), taken.remaining_count.to_string()), ("5.00".into(), "0.00".into()));
    assert_eq!(taken.average_fill_price.unwrap().to_string(), "0.4100");
    assert_eq!(c.balance().await.unwrap().cash().to_string(), "997.86");
    // Rests below the bid, then decrease, amend, cancel.
    let rest = c.create_order(&order("rest-1", BookSide::Bid, "0.3000", 10)).await.unwrap();
    assert_eq!(rest.remaining_count.to_string(), "10.00");
    let dec = c
        .decrease(&rest.order_id, &DecreaseOrder { reduce_by: Some(Count::from_whole(4).unwrap()), reduce_to: None })
        .await
        .unwrap();
    assert_eq!(dec.remaining_count.to_string(), "6.00");
    let amend = AmendOrder {
        ticker: "KXHIGHNY-26NOV25-B49.5".into(),
        side: BookSide::Bid,
        price: "0.3100".parse().unwrap(),
        count: Count::from_whole(6).unwrap(),
        client_order_id: Some("rest-1".into()),
        updated_client_order_id: Some("rest-1b".into()),
    };
    let amended = c.amend(&rest.order_id, &amend).await.unwrap();
    assert_eq!(amended.remaining_count.unwrap().to_string(), "6.00");
    let resting = c.orders(Some("resting"), None).await.unwrap();
    assert_eq!(resting.len(), 1);
    assert_eq!(resting[0].yes_price().unwrap().unwrap().to_string(), "0.3100");
    let cancelled = c.cancel_order(&amended.order_id, "KXHIGHNY-26NOV25-B49.5").await.unwrap();
    assert_eq!(cancelled.reduced_by.to_string(), "6.00");
    // Post-only that would cross is refused with the exchange's reason.
    let mut cross = order("po-1", BookSide::Bid, "0.4500", 1);
    cross.post_only = Some(true);
    let refused = c.create_order(&cross).await.unwrap_err();
    assert_eq!(refused.api().unwrap().body.details, "post only cross");
    // Batch: one good, one bad price.
    let batch = c
        .batch_create(&BatchCreateOrders {
            orders: vec![order("b-1", BookSide::Ask, "0.9000", 2), order("b-2", BookSide::Ask, "1.0000", 2)],
        })
        .await
        .unwrap();
    assert!(batch.orders[0].order_id.is_some());
    assert_eq!(batch.orders[1].error.as_ref().unwrap().code, "invalid_price");
    c.cancel_all().await.unwrap();
    assert!(c.orders(Some("resting"), None).await.unwrap().is_empty());
    let positions = c.positions().await.unwrap();
    assert_eq!(positions[0].contracts().to_string(), "5.00");
    let fills = c.fills().await.unwrap();
    assert_eq!(fills.len(), 1);
    assert_eq!(fills[0].fee_cost.unwrap().to_string(), "0.09");
}

#[tokio::test]
async fn order_group_trigger_cancels_and_blocks() {
    let (url, _) = start("", None).await;
    let c = client(&url, Some(signer()));
    let group =
        c.create_order_group(&CreateOrderGroup { contracts_limit_fp: Count::from_whole(100).unwrap() }).await.unwrap();
    let mut o = order("g-1", BookSide::Bid, "0.3000", 3);
    o.order_group_id = Some(group.order_group_id.clone());
    c.create_order(&o).await.unwrap();
    c.trigger_order_group(&group.order_group_id).await.unwrap();
    assert!(c.orders(Some("resting"), None).await.unwrap().is_empty(), "triggering cancels the group");
    o.client_order_id = "g-2".into();
    assert!(c.create_order(&o).await.is_err(), "a triggered group refuses new orders");
    c.reset_order_group(&group.order_group_id).await.unwrap();
    c.create_order(&o).await.unwrap();
    assert!(c.order_groups().await.unwrap().order_groups.iter().all(|g| !g.is_auto_cancel_enabled));
}

#[tokio::test]
async fn reads_survive_429_and_5xx() {
    let (url, shared) = start("429=0.4,5xx=0.3,seed=11", None).await;
    let c = client(&url, None);
    for _ in 0..10 {
        c.orderbook("KXCPI-25NOV-T0.2").await.unwrap();
    }
    let served = *shared.requests.lock().unwrap();
    assert!(served > 10, "faults forced retries ({served} requests for 10 reads)");
}

#[tokio::test]
async fn lost_responses_never_duplicate_an_order() {
    let (url, shared) = start("lose=0.5,5xx=0.2,seed=5", None).await;
    let c = client(&url, Some(signer()));
    for i in 0..20 {
        let created = c.create_order(&order(&format!("lost-{i}"), BookSide::Bid, "0.3000", 1)).await.unwrap();
        assert_eq!(created.remaining_count.to_string(), "1.00");
    }
    let orders = shared.exchange.lock().unwrap().orders_json(None, None);
    assert_eq!(orders.len(), 20, "exactly one order per client_order_id");
    let mut ids: Vec<String> = orders.iter().map(|o| o["client_order_id"].as_str().unwrap().to_string()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20);
}

#[tokio::test]
async fn timeouts_leave_the_outcome_unknown_and_never_duplicate() {
    // Every answer takes 150 ms; the client gives up after 60 ms.
    let (url, shared) = start("latency_ms=150,seed=3", None).await;
    let config = RestConfig {
        base_url: url,
        timeout: Duration::from_millis(60),
        max_retries: 2,
        backoff_base: Duration::from_millis(1),
        reads_per_sec: 10_000.0,
        writes_per_sec: 10_000.0,
        ..RestConfig::default()
    };
    let c = RestClient::new(config, Some(signer())).unwrap();
    let err = c.create_order(&order("slow-1", BookSide::Bid, "0.3000", 1)).await.unwrap_err();
    // Not a rejection: the caller must look the order up before sending anything new.
    assert!(err.outcome_unknown() || matches!(err, RestError::Unresolved { .. }), "{err}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let orders = shared.exchange.lock().unwrap().orders_json(None, None);
    assert!(orders.iter().filter(|o| o["client_order_id"] == "slow-1").count() <= 1, "{orders:?}");
}

#[tokio::test]
async fn signatures_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let good = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
    let other = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let public = dir.path().join("pub.pem");
    std::fs::write(&public, rsa::RsaPublicKey::from(&good).to_public_key_pem(LineEnding::LF).unwrap()).unwrap();
    let pem = |k: &rsa::RsaPrivateKey| k.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let (url, _) = start("", Some(&public)).await;
    let signed = client(&url, Some(Signer::from_pem("key-1", &pem(&good), Path::new("good.pem")).unwrap()));
    assert_eq!(signed.balance().await.unwrap().cash(), "1000.00".parse::<Money>().unwrap());
    let forged = client(&url, Some(Signer::from_pem("key-1", &pem(&other), Path::new("other.pem")).unwrap()));
    let err = forged.balance().await.unwrap_err();
    assert_eq!(err.api().unwrap().status, 401);
    assert_eq!(err.api().unwrap().body.code, "authentication_error");
    let anonymous = client(&url, None).balance().await.unwrap_err();
    assert!(matches!(anonymous, RestError::NoCredentials { .. }), "{anonymous}");
    // Public market data needs no signature.
    client(&url, None).orderbook("KXCPI-25NOV-T0.2").await.unwrap();
}

#[tokio::test]
async fn ed25519_signatures_are_checked() {
    use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
    use rsa::pkcs8::LineEnding;
    let dir = tempfile::tempdir().unwrap();
    let good = ed25519_dalek::SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    let other = ed25519_dalek::SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    let public = dir.path().join("ed_pub.pem");
    std::fs::write(&public, good.verifying_key().to_public_key_pem(LineEnding::LF).unwrap()).unwrap();
    let ed_signer = |k: &ed25519_dalek::SigningKey| {
        Signer::from_pem("key-ed", &k.to_pkcs8_pem(LineEnding::LF).unwrap(), Path::new("ed.pem")).unwrap()
    };
    assert_eq!(ed_signer(&good).key_type(), kalshi_alpha::kalshi::signing::KeyType::Ed25519);
    let (url, _) = start("", Some(&public)).await;
    assert_eq!(
        client(&url, Some(ed_signer(&good))).balance().await.unwrap().cash(),
        "1000.00".parse::<Money>().unwrap()
    );
    let err = client(&url, Some(ed_signer(&other))).balance().await.unwrap_err();
    assert_eq!(err.api().unwrap().body.code, "authentication_error");
    // An RSA key's signature does not pass for the Ed25519 key.
    let err = client(&url, Some(signer())).balance().await.unwrap_err();
    assert_eq!(err.api().unwrap().status, 401);
}

#[tokio::test]
async fn scripted_flow_fills_our_resting_order() {
    let dir = tempfile::tempdir().unwrap();
    let flow = dir.path().join("flow.jsonl");
    std::fs::write(
        &flow,
        "# the crowd sells YES into our bid\n{\"after_ms\": 300, \"ticker\": \"KXHIGHNY-26NOV25-B49.5\", \"side\": \"ask\", \"price\": \"0.4000\", \"count\": \"3.00\", \"immediate_or_cancel\": true}\n",
    )
    .unwrap();
    let config = SimConfig {
        fixtures: Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        public_key: None,
        faults: Faults::default(),
        cash: "1000.00".parse().unwrap(),
        flow: Some(flow),
        flow_after_subscribe: false,
    };
    let shared = state(&config).unwrap();
    let orders = kalshi_alpha::sim::load_flow(&config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/trade-api/v2", listener.local_addr().unwrap());
    tokio::spawn(run(listener, shared, orders, false));
    let c = client(&url, Some(signer()));
    // Our bid at 0.40 rests above the crowd's 0.37 bid, below the 0.41 ask.
    let ours = c.create_order(&order("maker-1", BookSide::Bid, "0.4000", 5)).await.unwrap();
    assert_eq!(ours.remaining_count.to_string(), "5.00");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let fills = c.fills().await.unwrap();
    assert_eq!(fills.len(), 1);
    assert!(!fills[0].is_taker, "we were the maker");
    assert_eq!(fills[0].contracts().unwrap().to_string(), "3.00");
    // Maker fee on quadratic_with_maker_fees: 0.0175 × 3 × 0.40 × 0.60 = 0.0126 → 0.02.
    assert_eq!(fills[0].fee_cost.unwrap().to_string(), "0.02");
    let resting = c.orders(Some("resting"), None).await.unwrap();
    assert_eq!(resting[0].remaining().unwrap().to_string(), "2.00");
    assert_eq!(c.balance().await.unwrap().cash().to_string(), "998.78", "1000 − 3 × 0.40 − 0.02");
}

#[tokio::test]
async fn clock_skew_stops_signing() {
    // The exchange's clock is 20 s ahead: the first (public) answer reveals it, and the
    // client refuses to sign until the clocks agree.
    let (url, _) = start("clock_ms=20000", None).await;
    let c = client(&url, Some(signer()));
    c.orderbook("KXCPI-25NOV-T0.2").await.unwrap();
    assert!((c.clock_skew_ms() + 20_000).abs() < 1_500, "skew {}", c.clock_skew_ms());
    let err = c.balance().await.unwrap_err();
    assert!(matches!(err, RestError::ClockSkew { .. }), "{err}");
}

#[tokio::test]
async fn a_client_order_id_someone_else_used_is_a_conflict_not_ours() {
    let (url, _sim) = start("", None).await;
    let c = client(&url, Some(signer()));
    c.create_order(&order("shared-id", BookSide::Bid, "0.10", 1)).await.unwrap();
    // Another session reuses the id on its very first send: the exchange answers
    // order_already_exists, and the order it holds is not this session's.
    let err = c.create_order(&order("shared-id", BookSide::Ask, "0.90", 3)).await.unwrap_err();
    assert!(matches!(err, RestError::Conflict { .. }), "{err}");
    assert!(err.to_string().contains("not ours"), "{err}");
}

async fn raw_request(url: &str, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = url.trim_start_matches("http://").split('/').next().unwrap().to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _ = stream.write_all(request.as_bytes()).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn the_http_server_decodes_queries_and_bounds_requests() {
    let (url, _) = start("", None).await;
    // Any percent-encoding decodes (here `N` as %4E), not only `%2C`.
    let page = raw_request(
        &url,
        "GET /trade-api/v2/markets?series_ticker=KXHIGH%4EY&limit=2 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("KXHIGHNY-26NOV25"), "{page}");
    // A header block larger than the server buffers is refused, not read forever.
    let huge =
        format!("GET /trade-api/v2/exchange/status HTTP/1.1\r\nhost: x\r\nx-junk: {}\r\n\r\n", "a".repeat(200_000));
    let answer = raw_request(&url, &huge).await;
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 431"), "{answer}");
    // A body over 1 MiB is answered 413.
    let body = "x".repeat((1 << 20) + 10);
    let post = format!(
        "POST /trade-api/v2/portfolio/events/orders HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    assert!(raw_request(&url, &post).await.starts_with("HTTP/1.1 413"));
}
