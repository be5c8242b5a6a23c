//! The simulator's loopback HTTP/1.1 server on hyper: routing onto [`Exchange`], signature
//! checks, fault injection, and WebSocket upgrades handed to [`crate::sim::ws`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::StatusCode;
use hyper::body::Incoming;
use hyper::header;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rsa::RsaPublicKey;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::pss::{Signature, VerifyingKey};
use rsa::sha2::Sha256;
use rsa::signature::Verifier;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::kalshi::error::{ApiError, ErrorBody};
use crate::kalshi::orders::{
    AmendOrder, BatchCancelOrders, BatchCreateOrders, CreateOrder, CreateOrderGroup, DecreaseOrder,
};
use crate::kalshi::signing::message;
use crate::sim::exchange::{Exchange, Owner};
use crate::sim::faults::{Dice, Faults};
use crate::sim::market::MarketData;

/// Everything the server shares between connections.
pub struct SimState {
    /// Order books, orders and the account.
    pub exchange: Mutex<Exchange>,
    /// Fixture market data (settlements change it).
    pub markets: Mutex<MarketData>,
    /// Faults to inject.
    pub faults: Faults,
    /// Their dice.
    pub dice: Mutex<Dice>,
    /// Key that must have signed `/portfolio` requests (none: unchecked).
    pub public_key: Option<PublicKey>,
    /// Requests answered (any status), for tests and logs.
    pub requests: Mutex<u64>,
    /// Reads of our orders, fills and positions answered so far (for `reads_fail`).
    pub portfolio_reads: Mutex<u64>,
    /// Book, order and fill changes, fanned out to WebSocket sessions.
    pub changes: tokio::sync::broadcast::Sender<(u64, crate::sim::exchange::Change)>,
    /// Becomes true at the first WebSocket subscription (a flow may wait for it).
    pub subscribed: tokio::sync::watch::Sender<bool>,
}

/// A key file that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("{path}: not an RSA (SPKI or PKCS#1) or Ed25519 (SPKI) public key in PEM")]
pub struct PublicKeyError {
    /// The file.
    pub path: String,
}

/// A public key the simulator verifies signatures with: either kind Kalshi issues.
#[derive(Debug, Clone)]
pub enum PublicKey {
    /// RSA: RSA-PSS/SHA-256 signatures.
    Rsa(Box<RsaPublicKey>),
    /// Ed25519 signatures.
    Ed25519(Box<ed25519_dalek::VerifyingKey>),
}

impl PublicKey {
    /// Whether `signature` (raw bytes) signs `text` under this key.
    pub fn verifies(&self, text: &[u8], signature: &[u8]) -> bool {
        match self {
            PublicKey::Rsa(key) => Signature::try_from(signature)
                .is_ok_and(|s| VerifyingKey::<Sha256>::new((**key).clone()).verify(text, &s).is_ok()),
            PublicKey::Ed25519(key) => {
                ed25519_dalek::Signature::from_slice(signature).is_ok_and(|s| key.verify_strict(text, &s).is_ok())
            }
        }
    }
}

/// Reads a public key: SPKI `BEGIN PUBLIC KEY` (RSA or Ed25519) or PKCS#1 `BEGIN RSA PUBLIC KEY`.
pub fn read_public_key(path: &Path) -> Result<PublicKey, PublicKeyError> {
    let err = || PublicKeyError { path: path.display().to_string() };
    let pem = std::fs::read_to_string(path).map_err(|_| err())?;
    RsaPublicKey::from_public_key_pem(&pem)
        .or_else(|_| RsaPublicKey::from_pkcs1_pem(&pem))
        .map(|k| PublicKey::Rsa(Box::new(k)))
        .or_else(|_| {
            use ed25519_dalek::pkcs8::DecodePublicKey as _;
            ed25519_dalek::VerifyingKey::from_public_key_pem(&pem).map(|k| PublicKey::Ed25519(Box::new(k)))
        })
        .map_err(|_| err())
}

struct Request {
    method: String,
    path: String,
    query: HashMap<String, String>,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// An HTTP response about to be written.
pub struct Response {
    status: u16,
    body: Option<Value>,
}

fn ok(body: Value) -> Response {
    Response { status: 200, body: Some(body) }
}

fn err(status: u16, code: &str, message: &str) -> Response {
    Response { status, body: Some(json!({ "error": { "code": code, "message": message, "service": "exchange" } })) }
}

fn from_api(e: ApiError) -> Response {
    let ErrorBody { code, message, details } = e.body;
    Response {
        status: e.status,
        body: Some(json!({ "error": { "code": code, "message": message, "details": details } })),
    }
}

impl SimState {
    /// Sends the exchange's new changes to the WebSocket sessions. Called with the exchange
    /// still locked, so a snapshot taken under that lock and the numbered changes agree.
    pub fn publish(&self, exchange: &mut Exchange) {
        for change in exchange.drain_changes() {
            // No WebSocket session listening is fine.
            let _ = self.changes.send(change);
        }
    }
}

/// Serves until the listener fails: HTTP/1.1 through hyper (keep-alive, bounded headers and
/// bodies), with WebSocket upgrades on any path handed to [`crate::sim::ws`].
pub async fn serve(listener: TcpListener, state: Arc<SimState>) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(Arc::clone(&state), req));
            let connection = hyper::server::conn::http1::Builder::new()
                .max_buf_size(MAX_HEAD)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            if let Err(e) = connection.await {
                tracing::debug!(target: "sim", "connection ended: {e}");
            }
        });
    }
}

/// Largest request body accepted; a larger one is answered 413.
const MAX_BODY: usize = 1 << 20;
/// Largest request head (request line and headers) hyper buffers.
const MAX_HEAD: usize = 64 * 1024;

/// A response deliberately never sent (the `lose` fault): the connection closes instead.
#[derive(Debug)]
struct Lost;

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("response lost on purpose (fault)")
    }
}

impl std::error::Error for Lost {}

type HttpResponse = hyper::Response<Full<Bytes>>;

fn is_websocket_upgrade<B>(req: &hyper::Request<B>) -> bool {
    let header = |name: header::HeaderName| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    header(header::UPGRADE).eq_ignore_ascii_case("websocket")
        && header(header::CONNECTION).split(',').any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
}

async fn handle(state: Arc<SimState>, req: hyper::Request<Incoming>) -> Result<HttpResponse, Lost> {
    if is_websocket_upgrade(&req) {
        return Ok(upgrade(state, req));
    }
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => return Ok(http_response(err(413, "payload_too_large", "request body too large"), &state)),
    };
    let query =
        parts.uri.query().map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let headers = parts
        .headers
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_string(), v.to_string())))
        .collect();
    let request =
        Request { method: parts.method.to_string(), path: parts.uri.path().to_string(), query, headers, body };
    if !state.faults.latency.is_zero() {
        tokio::time::sleep(state.faults.latency).await;
    }
    *state.requests.lock().unwrap_or_else(|p| p.into_inner()) += 1;
    let (injected, lose) = {
        let mut dice = state.dice.lock().unwrap_or_else(|p| p.into_inner());
        let injected = if dice.roll(state.faults.rate_429) {
            Some(Response { status: 429, body: Some(json!({ "error": "too many requests" })) })
        } else if dice.roll(state.faults.rate_5xx) {
            Some(err(503, "service_unavailable", "service unavailable"))
        } else {
            None
        };
        let is_create = request.method == "POST" && request.path.ends_with("/portfolio/events/orders");
        let is_read = request.method == "GET"
            && ["/portfolio/orders", "/portfolio/fills", "/portfolio/positions"]
                .iter()
                .any(|p| request.path.ends_with(p));
        let injected = injected.or_else(|| {
            let mut reads = state.portfolio_reads.lock().unwrap_or_else(|p| p.into_inner());
            *reads += u64::from(is_read);
            (is_read && *reads <= state.faults.reads_fail).then(|| err(500, "internal_error", "read failed (fault)"))
        });
        let is_group = request.method == "POST" && request.path.ends_with("/portfolio/order_groups/create");
        let injected = injected.or_else(|| {
            (is_group && dice.roll(state.faults.group_fail)).then(|| err(500, "internal_error", "group failed (fault)"))
        });
        (injected, is_create && dice.roll(state.faults.lose_response))
    };
    let response = match injected {
        Some(r) => r,
        None => route(&state, &request),
    };
    if lose {
        // Applied, but the answer never leaves: the client sees a dropped connection.
        return Err(Lost);
    }
    Ok(http_response(response, &state))
}

/// Answers a WebSocket upgrade (signed like any request when a key is configured) and hands
/// the upgraded connection to the WebSocket channel.
fn upgrade(state: Arc<SimState>, req: hyper::Request<Incoming>) -> HttpResponse {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let verified = verify_headers(
        &state,
        "GET",
        req.uri().path(),
        &header("kalshi-access-timestamp"),
        &header("kalshi-access-signature"),
    );
    if let Err(denied) = verified {
        return http_response(denied, &state);
    }
    let Some(key) = req.headers().get(header::SEC_WEBSOCKET_KEY).map(|k| derive_accept_key(k.as_bytes())) else {
        return http_response(err(400, "bad_request", "missing Sec-WebSocket-Key"), &state);
    };
    let session_state = Arc::clone(&state);
    tokio::spawn(async move {
        match hyper::upgrade::on(req).await {
            Ok(upgraded) => {
                let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
                if let Err(e) = crate::sim::ws::serve(ws, session_state).await {
                    tracing::debug!(target: "sim", "WebSocket ended: {e}");
                }
            }
            Err(e) => tracing::debug!(target: "sim", "upgrade failed: {e}"),
        }
    });
    hyper::Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "Upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_ACCEPT, key)
        .body(Full::new(Bytes::new()))
        .expect("static headers are valid")
}

/// The simulator's clock (ours shifted by the `clock_ms` fault).
fn sim_now(state: &SimState) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::milliseconds(state.faults.clock_offset_ms)
}

fn http_response(response: Response, state: &SimState) -> HttpResponse {
    let body = response.body.map(|b| serde_json::to_vec(&b).expect("json")).unwrap_or_default();
    let date = sim_now(state).format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    hyper::Response::builder()
        .status(StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::DATE, date)
        .body(Full::new(Bytes::from(body)))
        .expect("static headers are valid")
}

fn verify(state: &SimState, req: &Request) -> Result<(), Response> {
    let header = |name: &str| req.headers.get(name).cloned().unwrap_or_default();
    verify_headers(
        state,
        &req.method,
        &req.path,
        &header("kalshi-access-timestamp"),
        &header("kalshi-access-signature"),
    )
}

/// Checks a request's signature headers against the configured public key (none: accept).
pub fn verify_headers(state: &SimState, method: &str, path: &str, ts: &str, signature: &str) -> Result<(), Response> {
    let Some(key) = &state.public_key else { return Ok(()) };
    let denied = || err(401, "authentication_error", "INCORRECT_API_KEY_SIGNATURE");
    let ts_ms: i64 = ts.parse().map_err(|_| denied())?;
    if (sim_now(state).timestamp_millis() - ts_ms).abs() > 30_000 {
        return Err(err(401, "header_timestamp_expired", "timestamp too far from server time"));
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(signature).map_err(|_| denied())?;
    let text = message(ts_ms, method, path);
    if key.verifies(text.as_bytes(), &bytes) { Ok(()) } else { Err(denied()) }
}

fn decode<T: serde::de::DeserializeOwned>(req: &Request) -> Result<T, Response> {
    serde_json::from_slice(&req.body).map_err(|e| Response {
        status: 400,
        body: Some(json!({ "code": "bad_request", "message": "bad request", "details": e.to_string() })),
    })
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn route(state: &SimState, req: &Request) -> Response {
    let Some(path) = req.path.strip_prefix("/trade-api/v2") else { return err(404, "not_found", "unknown path") };
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if matches!(segments.first(), Some(&"portfolio") | Some(&"account"))
        && let Err(denied) = verify(state, req)
    {
        return denied;
    }
    let query = |k: &str| req.query.get(k).map(String::as_str);
    let mut exchange = state.exchange.lock().unwrap_or_else(|p| p.into_inner());
    let mut markets = state.markets.lock().unwrap_or_else(|p| p.into_inner());
    let result: Result<Response, Response> = (|| match (req.method.as_str(), segments.as_slice()) {
        // Simulator admin: settle a market (`{"result":"yes"|"no"}`); it then reads as finalized.
        ("POST", ["sim", "markets", ticker, "settle"]) => {
            let body: Value = decode(req)?;
            let result = body["result"].as_str().filter(|r| *r == "yes" || *r == "no");
            let result = result.ok_or_else(|| err(400, "bad_request", "body must be {\"result\": \"yes\"|\"no\"}"))?;
            let at = sim_now(state);
            if markets.settle(ticker, result, at) {
                let event = markets.market(ticker).and_then(|m| m["event_ticker"].as_str().map(str::to_string));
                exchange.settle(ticker, &event.unwrap_or_default(), result == "yes", at);
                Ok(ok(json!({ "ticker": ticker, "result": result, "status": "finalized" })))
            } else {
                Err(err(404, "not_found", "market not found"))
            }
        }
        ("GET", ["exchange", "status"]) => Ok(ok(json!({ "exchange_active": true, "trading_active": true }))),
        ("GET", ["series", ticker]) => {
            markets.series(ticker).map(ok).ok_or_else(|| err(404, "not_found", "series not found"))
        }
        ("GET", ["events", ticker]) => {
            markets.event(ticker).map(ok).ok_or_else(|| err(404, "not_found", "event not found"))
        }
        ("GET", ["markets"]) => Ok(ok(markets.markets_page(
            query("series_ticker"),
            query("event_ticker"),
            query("status"),
            query("limit"),
            query("cursor"),
        ))),
        ("GET", ["markets", ticker]) => markets
            .market(ticker)
            .map(|m| ok(json!({ "market": m })))
            .ok_or_else(|| err(404, "not_found", "market not found")),
        ("GET", ["markets", ticker, "orderbook"]) => {
            if !exchange.has_market(ticker) {
                return Err(err(404, "not_found", "market not found"));
            }
            let (yes, no) = exchange.levels(ticker);
            let pairs = |levels: Vec<crate::model::Level>| {
                levels.into_iter().map(|l| json!([l.price.to_string(), l.size.to_string()])).collect::<Vec<_>>()
            };
            Ok(ok(json!({ "orderbook_fp": { "yes_dollars": pairs(yes), "no_dollars": pairs(no) } })))
        }
        // The Basic tier's buckets and the documented non-default costs.
        ("GET", ["account", "limits"]) => Ok(ok(json!({
            "usage_tier": "basic",
            "read": { "bucket_capacity": 200, "refill_rate": 200 },
            "write": { "bucket_capacity": 100, "refill_rate": 100 },
            "grants": [],
        }))),
        ("GET", ["account", "endpoint_costs"]) => Ok(ok(json!({
            "default_cost": 10,
            "endpoint_costs": [
                { "method": "DELETE", "path": "/trade-api/v2/portfolio/events/orders/:order_id", "cost": 2 },
                { "method": "DELETE", "path": "/trade-api/v2/portfolio/events/orders/batched", "cost": 2 },
                { "method": "GET", "path": "/trade-api/v2/portfolio/orders/:order_id", "cost": 2 },
            ],
        }))),
        ("GET", ["portfolio", "balance"]) => Ok(ok(exchange.balance_json())),
        ("GET", ["portfolio", "positions"]) => Ok(ok(exchange.positions_json())),
        ("GET", ["portfolio", "fills"]) => {
            let mut fills = exchange.fills_json();
            if let Some(min_ts) = query("min_ts").and_then(|t| t.parse::<i64>().ok()) {
                fills.retain(|f| f["ts_ms"].as_i64().is_none_or(|ms| ms >= min_ts * 1000));
            }
            if state.faults.dup_fills > 0.0 {
                let mut dice = state.dice.lock().unwrap_or_else(|p| p.into_inner());
                let repeated: Vec<Value> =
                    fills.iter().filter(|_| dice.roll(state.faults.dup_fills)).cloned().collect();
                fills.extend(repeated);
                fills.reverse();
            }
            if state.faults.bad_fills > 0.0 {
                let mut dice = state.dice.lock().unwrap_or_else(|p| p.into_inner());
                for fill in fills.iter_mut().filter(|_| dice.roll(state.faults.bad_fills)) {
                    // Neither era's count nor price: a record nobody can account for.
                    for field in ["count_fp", "count", "yes_price_dollars", "yes_price"] {
                        fill[field] = Value::Null;
                    }
                }
            }
            Ok(ok(json!({ "fills": fills, "cursor": "" })))
        }
        ("GET", ["portfolio", "settlements"]) => Ok(ok(exchange.settlements_json())),
        ("GET", ["portfolio", "orders"]) => {
            let all = exchange.orders_json(query("status"), query("ticker"));
            Ok(ok(paginate("orders", all, query("limit"), query("cursor"))))
        }
        ("GET", ["portfolio", "orders", id]) => exchange
            .order_json(id)
            .map(|o| ok(json!({ "order": o })))
            .ok_or_else(|| err(404, "not_found", "order not found")),
        ("POST", ["portfolio", "events", "orders"]) => {
            let order: CreateOrder = decode(req)?;
            let created = exchange.create(&order, Owner::Us, now_ms()).map_err(from_api)?;
            Ok(Response { status: 201, body: Some(serde_json::to_value(created).expect("json")) })
        }
        ("DELETE", ["portfolio", "events", "orders"]) => {
            exchange.cancel_all(now_ms());
            Ok(Response { status: 204, body: None })
        }
        ("POST", ["portfolio", "events", "orders", "batched"]) => {
            let batch: BatchCreateOrders = decode(req)?;
            let results: Vec<Value> = batch
                .orders
                .iter()
                .map(|o| match exchange.create(o, Owner::Us, now_ms()) {
                    Ok(r) => serde_json::to_value(r).expect("json"),
                    Err(e) => json!({ "client_order_id": o.client_order_id, "error": e.body }),
                })
                .collect();
            Ok(Response { status: 201, body: Some(json!({ "orders": results })) })
        }
        ("DELETE", ["portfolio", "events", "orders", "batched"]) => {
            let batch: BatchCancelOrders = decode(req)?;
            let results: Vec<Value> = batch
                .orders
                .iter()
                .map(|o| match exchange.cancel(&o.order_id, now_ms()) {
                    Ok(r) => serde_json::to_value(r).expect("json"),
                    Err(e) => json!({ "order_id": o.order_id, "error": e.body }),
                })
                .collect();
            Ok(ok(json!({ "orders": results })))
        }
        ("DELETE", ["portfolio", "events", "orders", id]) => {
            exchange.cancel(id, now_ms()).map(|r| ok(serde_json::to_value(r).expect("json"))).map_err(from_api)
        }
        ("POST", ["portfolio", "events", "orders", id, "amend"]) => {
            let amend: AmendOrder = decode(req)?;
            exchange.amend(id, &amend, now_ms()).map(|r| ok(serde_json::to_value(r).expect("json"))).map_err(from_api)
        }
        ("POST", ["portfolio", "events", "orders", id, "decrease"]) => {
            let decrease: DecreaseOrder = decode(req)?;
            exchange
                .decrease(id, &decrease, now_ms())
                .map(|r| ok(serde_json::to_value(r).expect("json")))
                .map_err(from_api)
        }
        ("POST", ["portfolio", "order_groups", "create"]) => {
            let group: CreateOrderGroup = decode(req)?;
            Ok(Response {
                status: 201,
                body: Some(
                    json!({ "order_group_id": exchange.create_group(group.contracts_limit_fp), "subaccount": 0 }),
                ),
            })
        }
        ("GET", ["portfolio", "order_groups"]) => Ok(ok(exchange.groups_json())),
        ("PUT", ["portfolio", "order_groups", id, "trigger"]) => {
            if exchange.trigger_group(id) {
                Ok(ok(json!({})))
            } else {
                Err(err(404, "not_found", "order group not found"))
            }
        }
        ("PUT", ["portfolio", "order_groups", id, "reset"]) => {
            if exchange.reset_group(id) {
                Ok(ok(json!({})))
            } else {
                Err(err(404, "not_found", "order group not found"))
            }
        }
        _ => Err(err(404, "not_found", "unknown endpoint")),
    })();
    state.publish(&mut exchange);
    result.unwrap_or_else(|e| e)
}

/// One page of `items` under `key`, `limit` at a time, the cursor being the next offset.
pub fn paginate(key: &str, items: Vec<Value>, limit: Option<&str>, cursor: Option<&str>) -> Value {
    let limit: usize = limit.and_then(|l| l.parse().ok()).unwrap_or(100).clamp(1, 1000);
    let start: usize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
    let end = (start + limit).min(items.len());
    let next = if end < items.len() { end.to_string() } else { String::new() };
    json!({ key: items.get(start..end).unwrap_or_default(), "cursor": next })
}
