//! The REST client: configurable base URL, signed requests, cursor pagination, typed errors,
//! retries with exponential backoff and jitter for idempotent requests, a client-side token
//! bucket per tier, a clock-skew check against the server's `Date` header, and optional raw
//! response archiving. Creating an order is never retried blindly: after a lost response
//! the order is looked up by its `client_order_id` first.
//!
//! Over 600 lines: one client, every endpoint sharing the same signing, retries, token
//! buckets, skew check and archive; splitting it would scatter that one request path.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;
use tokio::sync::Mutex;

use crate::kalshi::error::ApiError;
use crate::kalshi::market_data::{EventResponse, MarketsPage, OrderbookResponse, SeriesResponse};
use crate::kalshi::orders::{
    AmendOrder, AmendOrderResponse, BatchCancelOrders, BatchCancelResponse, BatchCreateOrders, BatchCreateResponse,
    CancelOrderResponse, CreateOrder, CreateOrderGroup, CreateOrderGroupResponse, CreateOrderResponse, DecreaseOrder,
    DecreaseOrderResponse, OrderGroupsPage,
};
use crate::kalshi::portfolio::{Balance, FillsPage, Order, OrdersPage, PositionsPage, SettlementsPage};
use crate::kalshi::signing::Signer;

/// Production REST base (spec 3.31's primary server).
pub const PROD_BASE_URL: &str = "https://external-api.kalshi.com/trade-api/v2";
/// Demo REST base.
pub const DEMO_BASE_URL: &str = "https://external-api.demo.kalshi.co/trade-api/v2";

/// Which rate-limit bucket a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Reads.
    Read,
    /// Order entry.
    Write,
}

/// Client settings.
#[derive(Debug, Clone)]
pub struct RestConfig {
    /// Base URL; endpoint paths are appended (`…/trade-api/v2` + `/portfolio/balance`).
    pub base_url: String,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff; doubles each retry, with jitter, up to `backoff_cap`.
    pub backoff_base: Duration,
    /// Largest backoff.
    pub backoff_cap: Duration,
    /// Read requests per second (and burst).
    pub reads_per_sec: f64,
    /// Write requests per second (and burst).
    pub writes_per_sec: f64,
    /// Largest tolerated difference between our clock and the server's before signing stops.
    pub max_clock_skew: Duration,
    /// Archive raw response bodies under `<dir>/<date>/…` when set.
    pub archive_dir: Option<PathBuf>,
}

impl Default for RestConfig {
    /// Production, Basic-tier limits (200 read / 100 write tokens per second at 10 per request).
    fn default() -> RestConfig {
        RestConfig {
            base_url: PROD_BASE_URL.to_string(),
            timeout: Duration::from_secs(10),
            max_retries: 4,
            backoff_base: Duration::from_millis(200),
            backoff_cap: Duration::from_secs(5),
            reads_per_sec: 20.0,
            writes_per_sec: 10.0,
            max_clock_skew: Duration::from_secs(5),
            archive_dir: None,
        }
    }
}

/// Why a request failed.
#[derive(Debug, Error)]
pub enum RestError {
    /// The exchange answered with an error.
    #[error("{method} {path}: {error}")]
    Api {
        /// Method.
        method: String,
        /// Endpoint path.
        path: String,
        /// The decoded error.
        error: Box<ApiError>,
    },
    /// No answer (timeout, connection refused or dropped).
    #[error("{method} {path}: {message}")]
    Transport {
        /// Method.
        method: String,
        /// Endpoint path.
        path: String,
        /// What happened.
        message: String,
        /// A timeout or a dropped connection after sending: the request may have been applied.
        outcome_unknown: bool,
    },
    /// A 2xx body that does not decode.
    #[error("{path}: cannot decode response: {message}")]
    Decode {
        /// Endpoint path.
        path: String,
        /// Why.
        message: String,
    },
    /// A signed endpoint without credentials.
    #[error("{path} needs credentials (KALSHI_API_KEY_ID and KALSHI_PRIVATE_KEY_PEM_PATH)")]
    NoCredentials {
        /// Endpoint path.
        path: String,
    },
    /// Our clock is too far from the exchange's to sign.
    #[error("local clock is {skew_ms} ms off the exchange's (limit {limit_ms} ms): refusing to sign")]
    ClockSkew {
        /// Local minus server, ms.
        skew_ms: i64,
        /// The limit.
        limit_ms: i64,
    },
    /// The base URL does not parse.
    #[error("invalid base URL `{0}`")]
    BaseUrl(String),
    /// The `client_order_id` belongs to an order this session did not create.
    #[error(
        "order {client_order_id}: the exchange holds a different order with this client_order_id; not ours, not sent"
    )]
    Conflict {
        /// Our key.
        client_order_id: String,
    },
    /// A create whose outcome stayed unknown through every lookup.
    #[error("order {client_order_id}: outcome unknown after {attempts} attempts; not sent again")]
    Unresolved {
        /// Our key.
        client_order_id: String,
        /// Attempts made.
        attempts: u32,
    },
}

impl RestError {
    /// The exchange's error, if that is what this is.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            RestError::Api { error, .. } => Some(error.as_ref()),
            _ => None,
        }
    }

    fn retryable(&self) -> bool {
        match self {
            RestError::Api { error, .. } => error.is_retryable(),
            RestError::Transport { .. } => true,
            _ => false,
        }
    }

    /// The request may have been applied although no success came back.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            RestError::Transport { outcome_unknown, .. } => *outcome_unknown,
            RestError::Api { error, .. } => matches!(error.status, 500 | 502 | 503 | 504),
            _ => false,
        }
    }
}

/// A token bucket: `rate` tokens per second, at most `rate` stored.
#[derive(Debug)]
struct Bucket {
    rate: f64,
    state: Mutex<(f64, Instant)>,
}

impl Bucket {
    fn new(rate: f64) -> Bucket {
        Bucket { rate: rate.max(0.001), state: Mutex::new((rate.max(1.0), Instant::now())) }
    }

    /// Waits until one token is available and takes it.
    async fn take(&self) {
        loop {
            let wait = {
                let mut state = self.state.lock().await;
                let now = Instant::now();
                let (tokens, last) = *state;
                let tokens = (tokens + now.duration_since(last).as_secs_f64() * self.rate).min(self.rate.max(1.0));
                if tokens >= 1.0 {
                    *state = (tokens - 1.0, now);
                    return;
                }
                *state = (tokens, now);
                Duration::from_secs_f64((1.0 - tokens) / self.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// A page of a cursor-paginated list.
pub trait Page: DeserializeOwned {
    /// The listed item.
    type Item;
    /// Items and the next cursor (empty at the end).
    fn into_parts(self) -> (Vec<Self::Item>, String);
}

macro_rules! page {
    ($page:ty, $item:ty, $field:ident) => {
        impl Page for $page {
            type Item = $item;
            fn into_parts(self) -> (Vec<$item>, String) {
                (self.$field, self.cursor)
            }
        }
    };
}

page!(MarketsPage, crate::kalshi::market_data::Market, markets);
page!(OrdersPage, Order, orders);
page!(FillsPage, crate::kalshi::portfolio::Fill, fills);
page!(PositionsPage, crate::kalshi::portfolio::MarketPosition, market_positions);
page!(SettlementsPage, crate::kalshi::portfolio::Settlement, settlements);

/// The REST client. Cheap to clone.
#[derive(Clone)]
pub struct RestClient {
    http: reqwest::Client,
    config: Arc<RestConfig>,
    base: reqwest::Url,
    signer: Option<Arc<Signer>>,
    read: Arc<Bucket>,
    write: Arc<Bucket>,
    skew_ms: Arc<AtomicI64>,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient").field("base", &self.config.base_url).field("signer", &self.signer).finish()
    }
}

impl RestClient {
    /// A client for `config`, signing with `signer` when given.
    pub fn new(config: RestConfig, signer: Option<Signer>) -> Result<RestClient, RestError> {
        let base = reqwest::Url::parse(config.base_url.trim_end_matches('/'))
            .map_err(|_| RestError::BaseUrl(config.base_url.clone()))?;
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("kalshi-alpha/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RestError::BaseUrl(format!("{}: {e}", config.base_url)))?;
        Ok(RestClient {
            http,
            read: Arc::new(Bucket::new(config.reads_per_sec)),
            write: Arc::new(Bucket::new(config.writes_per_sec)),
            config: Arc::new(config),
            base,
            signer: signer.map(Arc::new),
            skew_ms: Arc::new(AtomicI64::new(0)),
        })
    }

    /// Local clock minus the exchange's, from the last response's `Date` header (ms,
    /// one-second resolution).
    pub fn clock_skew_ms(&self) -> i64 {
        self.skew_ms.load(Ordering::Relaxed)
    }

    fn url(&self, path: &str) -> reqwest::Url {
        let mut url = self.base.clone();
        let joined = format!("{}{}", url.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        url
    }

    /// One attempt. Returns the body of a 2xx response.
    async fn attempt(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&[u8]>,
        signed: bool,
    ) -> Result<Vec<u8>, RestError> {
        let url = self.url(path);
        let mut request = self.http.request(method.clone(), url.clone()).query(query);
        if signed {
            let signer = self.signer.as_ref().ok_or_else(|| RestError::NoCredentials { path: path.to_string() })?;
            let skew = self.clock_skew_ms();
            let limit = i64::try_from(self.config.max_clock_skew.as_millis()).unwrap_or(i64::MAX);
            if skew.abs() > limit {
                return Err(RestError::ClockSkew { skew_ms: skew, limit_ms: limit });
            }
            let headers = signer.sign(chrono::Utc::now().timestamp_millis(), method.as_str(), url.path());
            for (name, value) in headers.pairs() {
                request = request.header(name, value);
            }
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_vec());
        }
        let transport = |e: reqwest::Error| RestError::Transport {
            method: method.to_string(),
            path: path.to_string(),
            outcome_unknown: e.is_timeout() || e.is_body() || e.is_decode() || (e.is_request() && !e.is_connect()),
            message: e.to_string(),
        };
        let response = request.send().await.map_err(transport)?;
        self.note_server_date(&response);
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(transport)?.to_vec();
        self.archive(path, &bytes);
        if (200..300).contains(&status) {
            Ok(bytes)
        } else {
            Err(RestError::Api {
                method: method.to_string(),
                path: path.to_string(),
                error: Box::new(ApiError::from_body(status, &bytes)),
            })
        }
    }

    fn note_server_date(&self, response: &reqwest::Response) {
        let server = response
            .headers()
            .get("date")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok());
        if let Some(server) = server {
            let skew = chrono::Utc::now().timestamp_millis() - server.timestamp_millis();
            // The header has whole seconds: ignore differences inside one second.
            self.skew_ms.store(if skew.abs() < 1000 { 0 } else { skew }, Ordering::Relaxed);
        }
    }

    fn archive(&self, path: &str, bytes: &[u8]) {
        let Some(dir) = &self.config.archive_dir else { return };
        let now = chrono::Utc::now();
        let name = format!("{}_{}.json", path.trim_start_matches('/').replace('/', "_"), now.format("%H%M%S%.3f"));
        let file = dir.join(now.format("%Y-%m-%d").to_string()).join(name);
        if let Err(e) = crate::storage::write_atomic(&file, bytes) {
            tracing::warn!(target: "kalshi", "cannot archive {}: {e}", file.display());
        }
    }

    async fn backoff(&self, attempt: u32) {
        let policy = crate::kalshi::backoff::Backoff { base: self.config.backoff_base, cap: self.config.backoff_cap };
        tokio::time::sleep(policy.delay(attempt)).await;
    }

    /// Sends with rate limiting; idempotent requests are retried on 429, 5xx and transport errors.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&[u8]>,
        tier: Tier,
        signed: bool,
    ) -> Result<Vec<u8>, RestError> {
        let idempotent = matches!(method, Method::GET | Method::DELETE | Method::PUT);
        let mut attempt = 0;
        loop {
            match tier {
                Tier::Read => self.read.take().await,
                Tier::Write => self.write.take().await,
            }
            match self.attempt(&method, path, query, body, signed).await {
                Err(e) if idempotent && e.retryable() && attempt < self.config.max_retries => {
                    tracing::debug!(target: "kalshi", "retrying after: {e}");
                    self.backoff(attempt).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    fn decode<T: DeserializeOwned>(path: &str, bytes: &[u8]) -> Result<T, RestError> {
        serde_json::from_slice(bytes).map_err(|e| RestError::Decode { path: path.to_string(), message: e.to_string() })
    }

    /// A GET, decoded.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        signed: bool,
    ) -> Result<T, RestError> {
        let bytes = self.send(Method::GET, path, query, None, Tier::Read, signed).await?;
        Self::decode(path, &bytes)
    }

    /// Every item of a cursor-paginated list.
    pub async fn get_all<P: Page>(
        &self,
        path: &str,
        query: &[(&str, String)],
        signed: bool,
    ) -> Result<Vec<P::Item>, RestError> {
        let mut items = Vec::new();
        let mut cursor = String::new();
        let mut seen = std::collections::HashSet::new();
        loop {
            let mut q: Vec<(&str, String)> = query.to_vec();
            if !q.iter().any(|(k, _)| *k == "limit") {
                q.push(("limit", "200".to_string()));
            }
            if !cursor.is_empty() {
                q.push(("cursor", cursor.clone()));
            }
            let page: P = self.get(path, &q, signed).await?;
            let (mut batch, next) = page.into_parts();
            items.append(&mut batch);
            if next.is_empty() || !seen.insert(next.clone()) {
                return Ok(items);
            }
            cursor = next;
        }
    }

    async fn write<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, RestError> {
        let bytes = body.map(|b| serde_json::to_vec(b).expect("request serialises"));
        let response = self.send(method, path, &[], bytes.as_deref(), Tier::Write, true).await?;
        if response.is_empty() {
            return Self::decode(path, b"null");
        }
        Self::decode(path, &response)
    }

    /// `GET /series/{ticker}`.
    pub async fn series(&self, ticker: &str) -> Result<SeriesResponse, RestError> {
        self.get(&format!("/series/{ticker}"), &[], false).await
    }

    /// `GET /events/{ticker}?with_nested_markets=true`.
    pub async fn event(&self, ticker: &str) -> Result<EventResponse, RestError> {
        self.get(&format!("/events/{ticker}"), &[("with_nested_markets", "true".into())], false).await
    }

    /// Every market of a series (optionally only one status).
    pub async fn markets(
        &self,
        series: &str,
        status: Option<&str>,
    ) -> Result<Vec<crate::kalshi::market_data::Market>, RestError> {
        let mut q = vec![("series_ticker", series.to_string())];
        q.extend(status.map(|s| ("status", s.to_string())));
        self.get_all::<MarketsPage>("/markets", &q, false).await
    }

    /// `GET /markets/{ticker}`.
    pub async fn market(&self, ticker: &str) -> Result<crate::kalshi::market_data::MarketResponse, RestError> {
        self.get(&format!("/markets/{ticker}"), &[], false).await
    }

    /// `GET /markets/{ticker}/orderbook`.
    pub async fn orderbook(&self, ticker: &str) -> Result<OrderbookResponse, RestError> {
        self.get(&format!("/markets/{ticker}/orderbook"), &[], false).await
    }

    /// `GET /portfolio/balance`.
    pub async fn balance(&self) -> Result<Balance, RestError> {
        self.get("/portfolio/balance", &[], true).await
    }

    /// Every market position.
    pub async fn positions(&self) -> Result<Vec<crate::kalshi::portfolio::MarketPosition>, RestError> {
        self.get_all::<PositionsPage>("/portfolio/positions", &[], true).await
    }

    /// Orders (optionally one status and one market).
    pub async fn orders(&self, status: Option<&str>, ticker: Option<&str>) -> Result<Vec<Order>, RestError> {
        let mut q: Vec<(&str, String)> = Vec::new();
        q.extend(status.map(|s| ("status", s.to_string())));
        q.extend(ticker.map(|t| ("ticker", t.to_string())));
        self.get_all::<OrdersPage>("/portfolio/orders", &q, true).await
    }

    /// Fills.
    pub async fn fills(&self) -> Result<Vec<crate::kalshi::portfolio::Fill>, RestError> {
        self.get_all::<FillsPage>("/portfolio/fills", &[], true).await
    }

    /// Fills at or after `min_ts` (unix seconds): what a reconciliation has not seen yet.
    pub async fn fills_since(&self, min_ts: i64) -> Result<Vec<crate::kalshi::portfolio::Fill>, RestError> {
        self.get_all::<FillsPage>("/portfolio/fills", &[("min_ts", min_ts.to_string())], true).await
    }

    /// Settlements.
    pub async fn settlements(&self) -> Result<Vec<crate::kalshi::portfolio::Settlement>, RestError> {
        self.get_all::<SettlementsPage>("/portfolio/settlements", &[], true).await
    }

    /// Our order on `ticker` with this `client_order_id`, if the exchange has it.
    pub async fn find_order(&self, ticker: &str, client_order_id: &str) -> Result<Option<Order>, RestError> {
        Ok(self.orders(None, Some(ticker)).await?.into_iter().find(|o| o.client_order_id == client_order_id))
    }

    /// Creates an order, exactly once. A timeout, dropped connection or 5xx leaves the outcome
    /// unknown: the order is looked up by `client_order_id` before anything is sent again;
    /// `order_already_exists` means the first send went through, so it is looked up too.
    pub async fn create_order(&self, order: &CreateOrder) -> Result<CreateOrderResponse, RestError> {
        let path = "/portfolio/events/orders";
        let body = serde_json::to_vec(order).expect("order serialises");
        for attempt in 0..=self.config.max_retries {
            self.write.take().await;
            let error = match self.attempt(&Method::POST, path, &[], Some(&body), true).await {
                Ok(bytes) => return Self::decode(path, &bytes),
                Err(e) => e,
            };
            let duplicate = error.api().is_some_and(ApiError::is_duplicate_order);
            if duplicate && attempt == 0 {
                // Nothing of ours was sent with this id before: someone else's order has it.
                return Err(RestError::Conflict { client_order_id: order.client_order_id.clone() });
            }
            if duplicate || error.outcome_unknown() {
                tracing::warn!(target: "kalshi", "create {}: {error}; looking it up", order.client_order_id);
                if let Some(found) = self.find_order(&order.ticker, &order.client_order_id).await? {
                    if !is_same_order(&found, order) {
                        return Err(RestError::Conflict { client_order_id: order.client_order_id.clone() });
                    }
                    return created_from(found);
                }
                if duplicate {
                    return Err(RestError::Unresolved {
                        client_order_id: order.client_order_id.clone(),
                        attempts: attempt + 1,
                    });
                }
            } else if error.api().is_none_or(|e| e.status != 429) {
                return Err(error);
            }
            self.backoff(attempt).await;
        }
        Err(RestError::Unresolved {
            client_order_id: order.client_order_id.clone(),
            attempts: self.config.max_retries + 1,
        })
    }

    /// `DELETE /portfolio/events/orders/{id}`.
    pub async fn cancel_order(&self, order_id: &str, market_ticker: &str) -> Result<CancelOrderResponse, RestError> {
        let path = format!("/portfolio/events/orders/{order_id}");
        let bytes = self
            .send(Method::DELETE, &path, &[("market_ticker", market_ticker.to_string())], None, Tier::Write, true)
            .await?;
        Self::decode(&path, &bytes)
    }

    /// `DELETE /portfolio/events/orders`: every resting order. Always allowed.
    pub async fn cancel_all(&self) -> Result<(), RestError> {
        self.send(Method::DELETE, "/portfolio/events/orders", &[], None, Tier::Write, true).await.map(|_| ())
    }

    /// `POST /portfolio/events/orders/batched`.
    pub async fn batch_create(&self, orders: &BatchCreateOrders) -> Result<BatchCreateResponse, RestError> {
        self.write(Method::POST, "/portfolio/events/orders/batched", Some(orders)).await
    }

    /// `DELETE /portfolio/events/orders/batched`.
    pub async fn batch_cancel(&self, orders: &BatchCancelOrders) -> Result<BatchCancelResponse, RestError> {
        self.write(Method::DELETE, "/portfolio/events/orders/batched", Some(orders)).await
    }

    /// `POST /portfolio/events/orders/{id}/amend`.
    pub async fn amend(&self, order_id: &str, amend: &AmendOrder) -> Result<AmendOrderResponse, RestError> {
        self.write(Method::POST, &format!("/portfolio/events/orders/{order_id}/amend"), Some(amend)).await
    }

    /// `POST /portfolio/events/orders/{id}/decrease`.
    pub async fn decrease(&self, order_id: &str, decrease: &DecreaseOrder) -> Result<DecreaseOrderResponse, RestError> {
        self.write(Method::POST, &format!("/portfolio/events/orders/{order_id}/decrease"), Some(decrease)).await
    }

    /// `GET /account/limits`: the account's token buckets.
    pub async fn account_limits(&self) -> Result<crate::kalshi::account::AccountLimits, RestError> {
        self.get("/account/limits", &[], true).await
    }

    /// `GET /account/endpoint_costs`: endpoints whose token cost is not the default.
    pub async fn endpoint_costs(&self) -> Result<crate::kalshi::account::EndpointCosts, RestError> {
        self.get("/account/endpoint_costs", &[], true).await
    }

    /// A client with the same configuration and key but its own connections, for another
    /// thread's runtime (connections belong to the runtime that opened them).
    pub fn fresh(&self) -> Result<RestClient, RestError> {
        let mut client = RestClient::new((*self.config).clone(), None)?;
        client.signer.clone_from(&self.signer);
        Ok(client)
    }

    /// `POST /portfolio/order_groups/create`.
    pub async fn create_order_group(&self, group: &CreateOrderGroup) -> Result<CreateOrderGroupResponse, RestError> {
        self.write(Method::POST, "/portfolio/order_groups/create", Some(group)).await
    }

    /// `PUT /portfolio/order_groups/{id}/trigger`: cancels the group's orders (a venue-side kill switch).
    pub async fn trigger_order_group(&self, id: &str) -> Result<(), RestError> {
        self.send(Method::PUT, &format!("/portfolio/order_groups/{id}/trigger"), &[], None, Tier::Write, true)
            .await
            .map(|_| ())
    }

    /// `PUT /portfolio/order_groups/{id}/reset`.
    pub async fn reset_order_group(&self, id: &str) -> Result<(), RestError> {
        self.send(Method::PUT, &format!("/portfolio/order_groups/{id}/reset"), &[], None, Tier::Write, true)
            .await
            .map(|_| ())
    }

    /// `GET /portfolio/order_groups`.
    pub async fn order_groups(&self) -> Result<OrderGroupsPage, RestError> {
        self.get("/portfolio/order_groups", &[], true).await
    }
}

/// The create response an order found by lookup stands for.
/// True when an order found by `client_order_id` is the one we sent (market, side, price and
/// size, as far as the exchange reports them); anything else is a conflict, never "ours".
fn is_same_order(found: &Order, sent: &CreateOrder) -> bool {
    found.ticker == sent.ticker
        && found.book_side.as_ref().is_none_or(|s| *s == sent.side)
        && found.yes_price_dollars.is_none_or(|p| p == sent.price)
        && found.initial_count_fp.is_none_or(|c| c == sent.count)
}

fn created_from(order: Order) -> Result<CreateOrderResponse, RestError> {
    let legacy = |e: crate::kalshi::portfolio::LegacyFieldError| RestError::Decode {
        path: "/portfolio/orders".into(),
        message: e.to_string(),
    };
    Ok(CreateOrderResponse {
        fill_count: order.filled().map_err(legacy)?,
        remaining_count: order.remaining().map_err(legacy)?,
        client_order_id: Some(order.client_order_id),
        order_id: order.order_id,
        average_fill_price: None,
        average_fee_paid: None,
        ts_ms: 0,
    })
}
