//! The WebSocket client against the simulator: books follow the exchange through deltas,
//! sequence gaps force a resnapshot, dropped connections reconnect, and in the end every
//! live book equals the exchange's. Loopback only.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use kalshi_alpha::kalshi::open_enum::{BookSide, TimeInForce};
use kalshi_alpha::kalshi::orders::CreateOrder;
use kalshi_alpha::kalshi::rest::{RestClient, RestConfig};
use kalshi_alpha::kalshi::signing::Signer;
use kalshi_alpha::kalshi::ws_client::{WsClient, WsConfig, WsEvent, ws_url_for};
use kalshi_alpha::model::Count;
use kalshi_alpha::sim::{SimConfig, run, state};

const MARKETS: [&str; 2] = ["KXHIGHNY-26NOV25-B47.5", "KXHIGHNY-26NOV25-B49.5"];

fn signer() -> Signer {
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
    Signer::from_pem("k", &key.to_pkcs8_pem(LineEnding::LF).unwrap(), Path::new("k.pem")).unwrap()
}

struct Outcome {
    gaps: usize,
    reconnects: u32,
}

async fn books_follow_the_exchange(faults: &str) -> Outcome {
    let config = SimConfig {
        fixtures: Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        public_key: None,
        faults: faults.parse().unwrap(),
        cash: "1000.00".parse().unwrap(),
        flow: None,
        flow_after_subscribe: false,
    };
    let shared = state(&config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/trade-api/v2", listener.local_addr().unwrap());
    tokio::spawn(run(listener, shared, Vec::new(), false));

    let mut client = WsClient::new(
        WsConfig {
            url: ws_url_for(&base).unwrap(),
            channels: vec!["orderbook_delta".into()],
            markets: MARKETS.iter().map(|m| m.to_string()).collect(),
            use_yes_price: false,
            max_reconnects: 50,
            backoff_base: Duration::from_millis(5),
        },
        None,
    );
    let books = client.books();
    let stop = Arc::new(AtomicBool::new(false));
    let reconnects = Arc::new(AtomicU32::new(0));
    let task = {
        let (stop, reconnects) = (Arc::clone(&stop), Arc::clone(&reconnects));
        tokio::spawn(async move {
            client
                .run(
                    move |_| stop.load(Ordering::Relaxed),
                    move |e| {
                        if matches!(e, WsEvent::Reconnecting { .. }) {
                            reconnects.fetch_add(1, Ordering::Relaxed);
                        }
                    },
                )
                .await
        })
    };
    // Wait for the first snapshots.
    for _ in 0..200 {
        if MARKETS.iter().all(|m| books.lock().unwrap().book(m).is_some_and(|b| b.valid)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let rest = RestClient::new(
        RestConfig {
            base_url: base.clone(),
            backoff_base: Duration::from_millis(1),
            reads_per_sec: 1e4,
            writes_per_sec: 1e4,
            ..RestConfig::default()
        },
        Some(signer()),
    )
    .unwrap();
    let mut placed = Vec::new();
    for i in 0..30_i64 {
        let market = MARKETS[(i % 2) as usize];
        let (side, cents) = if i % 3 == 0 { (BookSide::Ask, 45 + i % 7) } else { (BookSide::Bid, 30 + i % 6) };
        let order = CreateOrder::limit(
            market,
            &format!("ws-{i}"),
            side,
            kalshi_alpha::model::Price::from_cents(cents).unwrap(),
            Count::from_whole(1 + i % 4).unwrap(),
        );
        placed.push((rest.create_order(&order).await.unwrap(), market));
    }
    for (created, market) in placed.iter().step_by(4) {
        let _ = rest.cancel_order(&created.order_id, market).await;
    }
    // A taker that sweeps fixture and our liquidity.
    let mut sweep = CreateOrder::limit(
        MARKETS[1],
        "ws-sweep",
        BookSide::Bid,
        kalshi_alpha::model::Price::from_cents(44).unwrap(),
        Count::from_whole(30).unwrap(),
    );
    sweep.time_in_force = TimeInForce::ImmediateOrCancel;
    rest.create_order(&sweep).await.unwrap();
    sweep.client_order_id = "ws-final".into();
    sweep.time_in_force = TimeInForce::GoodTillCanceled;
    sweep.count = Count::from_whole(1).unwrap();
    sweep.price = kalshi_alpha::model::Price::from_cents(20).unwrap();
    rest.create_order(&sweep).await.unwrap();

    let mut converged = false;
    for _ in 0..400 {
        let mut all = true;
        for market in MARKETS {
            let exchange = rest.orderbook(market).await.unwrap().to_book().unwrap();
            let live = books.lock().unwrap().book(market).filter(|b| b.valid).map(|b| b.to_book());
            all &= live.as_ref() == Some(&exchange);
        }
        if all {
            converged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let gaps = books.lock().unwrap().gaps.len();
    let anomalies = books.lock().unwrap().anomalies.clone();
    assert!(converged, "live books never matched the exchange (gaps {gaps}, anomalies {anomalies:?})");
    assert!(anomalies.is_empty(), "{anomalies:?}");
    task.abort();
    Outcome { gaps, reconnects: reconnects.load(Ordering::Relaxed) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_stream() {
    let outcome = books_follow_the_exchange("").await;
    assert_eq!((outcome.gaps, outcome.reconnects), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gaps_force_a_resnapshot() {
    let outcome = books_follow_the_exchange("gap=0.15,seed=3").await;
    assert!(outcome.gaps > 0, "the fault skipped sequence numbers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_reconnect() {
    let outcome = books_follow_the_exchange("ws_drop=12,seed=4").await;
    assert!(outcome.reconnects > 0, "the fault dropped the connection");
}

/// The WebSocket handshake signed with an Ed25519 key passes the simulator's check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ed25519_signed_handshake_is_accepted() {
    use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
    use rsa::pkcs8::LineEnding;
    let dir = tempfile::tempdir().unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    let public = dir.path().join("ed_pub.pem");
    std::fs::write(&public, key.verifying_key().to_public_key_pem(LineEnding::LF).unwrap()).unwrap();
    let config = SimConfig {
        fixtures: Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        public_key: Some(public),
        faults: Default::default(),
        cash: "1000.00".parse().unwrap(),
        flow: None,
        flow_after_subscribe: false,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/trade-api/v2", listener.local_addr().unwrap());
    tokio::spawn(run(listener, state(&config).unwrap(), Vec::new(), false));
    let pem = key.to_pkcs8_pem(LineEnding::LF).unwrap();
    let mut client = WsClient::new(
        WsConfig {
            url: ws_url_for(&base).unwrap(),
            channels: vec!["orderbook_delta".into()],
            markets: vec![MARKETS[0].to_string()],
            use_yes_price: false,
            max_reconnects: 0,
            backoff_base: Duration::from_millis(5),
        },
        Some(Arc::new(Signer::from_pem("k-ed", &pem, Path::new("ed.pem")).unwrap())),
    );
    let books = client.books();
    let task = tokio::spawn(async move { client.run(|_| false, |_| {}).await });
    let mut valid = false;
    for _ in 0..300 {
        if books.lock().unwrap().book(MARKETS[0]).is_some_and(|b| b.valid) {
            valid = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    task.abort();
    assert!(valid, "no snapshot over an Ed25519-signed connection");
}
