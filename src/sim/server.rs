//! The simulator's loopback HTTP/1.1 server: a small hand-written request reader (the API
//! needs only `Content-Length` bodies and keep-alive), routing onto [`Exchange`], signature
//! checks, and fault injection.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use rsa::RsaPublicKey;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::pss::{Signature, VerifyingKey};
use rsa::sha2::Sha256;
use rsa::signature::Verifier;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

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
    pub public_key: Option<RsaPublicKey>,
    /// Requests answered (any status), for tests and logs.
    pub requests: Mutex<u64>,
    /// Book, order and fill changes, fanned out to WebSocket sessions.
    pub changes: tokio::sync::broadcast::Sender<crate::sim::exchange::Change>,
    /// Becomes true at the first WebSocket subscription (a flow may wait for it).
    pub subscribed: tokio::sync::watch::Sender<bool>,
}

/// A key file that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("{path}: not an RSA public key in PEM (SPKI or PKCS#1)")]
pub struct PublicKeyError {
    /// The file.
    pub path: String,
}

/// Reads an RSA public key (SPKI `BEGIN PUBLIC KEY` or PKCS#1 `BEGIN RSA PUBLIC KEY`).
pub fn read_public_key(path: &Path) -> Result<RsaPublicKey, PublicKeyError> {
    let err = || PublicKeyError { path: path.display().to_string() };
    let pem = std::fs::read_to_string(path).map_err(|_| err())?;
    RsaPublicKey::from_public_key_pem(&pem).or_else(|_| RsaPublicKey::from_pkcs1_pem(&pem)).map_err(|_| err())
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

/// Serves until the listener fails.
pub async fn serve(listener: TcpListener, state: Arc<SimState>) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            if let Err(e) = connection(stream, state).await {
                tracing::debug!(target: "sim", "connection ended: {e}");
            }
        });
    }
}

/// Largest request body accepted; a larger one closes the connection.
const MAX_BODY: usize = 1 << 20;

async fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("/").to_string());
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).await?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    if length > MAX_BODY {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("request body of {length} bytes")));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.replace("%2C", ",")))
        .collect();
    Ok(Some(Request { method, path: path.to_string(), query, headers, body }))
}

/// True when the bytes waiting on `stream` are a WebSocket upgrade request.
async fn is_websocket(stream: &TcpStream) -> std::io::Result<bool> {
    let mut head = [0u8; 2048];
    let n = stream.peek(&mut head).await?;
    let text = String::from_utf8_lossy(&head[..n]).to_ascii_lowercase();
    Ok(text.contains("upgrade: websocket"))
}

async fn connection(stream: TcpStream, state: Arc<SimState>) -> std::io::Result<()> {
    if is_websocket(&stream).await? {
        return crate::sim::ws::serve(stream, state).await.map_err(std::io::Error::other);
    }
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader).await? {
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
            (injected, is_create && dice.roll(state.faults.lose_response))
        };
        let response = match injected {
            Some(r) => r,
            None => route(&state, &request),
        };
        let changes = state.exchange.lock().unwrap_or_else(|p| p.into_inner()).drain_changes();
        for change in changes {
            // No WebSocket session listening is fine.
            let _ = state.changes.send(change);
        }
        if lose {
            // Applied, but the answer never leaves: the client sees a dropped connection.
            return Ok(());
        }
        write_response(reader.get_mut(), response, &state).await?;
    }
    Ok(())
}

/// The simulator's clock (ours shifted by the `clock_ms` fault).
fn sim_now(state: &SimState) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::milliseconds(state.faults.clock_offset_ms)
}

async fn write_response(stream: &mut TcpStream, response: Response, state: &SimState) -> std::io::Result<()> {
    let body = response.body.map(|b| serde_json::to_vec(&b).expect("json")).unwrap_or_default();
    let reason = match response.status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let date = sim_now(state).format("%a, %d %b %Y %H:%M:%S GMT");
    let head = format!(
        "HTTP/1.1 {} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\ndate: {date}\r\n\r\n",
        response.status,
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&body).await?;
    stream.flush().await
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
    let signature = Signature::try_from(bytes.as_slice()).map_err(|_| denied())?;
    let text = message(ts_ms, method, path);
    VerifyingKey::<Sha256>::new(key.clone()).verify(text.as_bytes(), &signature).map_err(|_| denied())
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
    if segments.first() == Some(&"portfolio") {
        if let Err(denied) = verify(state, req) {
            return denied;
        }
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
            if markets.settle(ticker, result) {
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
        ("GET", ["portfolio", "balance"]) => Ok(ok(exchange.balance_json())),
        ("GET", ["portfolio", "positions"]) => Ok(ok(exchange.positions_json())),
        ("GET", ["portfolio", "fills"]) => Ok(ok(json!({ "fills": exchange.fills_json(), "cursor": "" }))),
        // Markets never settle in the simulator.
        ("GET", ["portfolio", "settlements"]) => Ok(ok(json!({ "settlements": [], "cursor": "" }))),
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
