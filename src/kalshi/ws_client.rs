//! The WebSocket client: a signed handshake, subscribe, Pong on Ping (done by the protocol
//! layer), per-subscription `seq` tracking through [`BookSet`], `get_snapshot` after a gap,
//! a fresh subscription after a terminal error, and reconnects with backoff. Everything sent
//! and received is reported to the caller (for `record`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::kalshi::live_book::{BookAction, BookSet};
use crate::kalshi::signing::Signer;
use crate::kalshi::ws::{Command, WsMessage};

/// Production WebSocket URL.
pub const PROD_WS_URL: &str = "wss://external-api-ws.kalshi.com/trade-api/ws/v2";
/// Demo WebSocket URL.
pub const DEMO_WS_URL: &str = "wss://demo-api.kalshi.co/trade-api/ws/v2";

/// What to subscribe to and how to recover.
#[derive(Debug, Clone)]
pub struct WsConfig {
    /// `wss://…/trade-api/ws/v2` (or `ws://127.0.0.1:P/trade-api/ws/v2` for the simulator).
    pub url: String,
    /// Channels (`orderbook_delta`, `ticker`, `trade`, `fill`, `user_orders`, `market_lifecycle_v2`).
    pub channels: Vec<String>,
    /// Markets.
    pub markets: Vec<String>,
    /// Ask for NO levels on the YES scale.
    pub use_yes_price: bool,
    /// Reconnects before giving up.
    pub max_reconnects: u32,
    /// First reconnect delay; doubles each time (jittered), up to 30 s.
    pub backoff_base: Duration,
}

/// Something the client did or saw.
#[derive(Debug, Clone, PartialEq)]
pub enum WsEvent {
    /// A command went out.
    Sent {
        /// The command's JSON.
        text: String,
        /// Unix ms.
        at_ms: i64,
    },
    /// A message came in.
    Received {
        /// The message's JSON.
        text: String,
        /// Unix ms.
        at_ms: i64,
    },
    /// A frame that carries no data (Ping, Pong) arrived: the connection is alive.
    Alive {
        /// Unix ms.
        at_ms: i64,
    },
    /// The connection was lost and will be made again.
    Reconnecting {
        /// Reconnect number (1-based).
        attempt: u32,
        /// Why.
        reason: String,
    },
}

/// Why the client stopped.
#[derive(Debug, thiserror::Error)]
pub enum WsClientError {
    /// The URL is not a WebSocket URL.
    #[error("invalid WebSocket URL `{0}`")]
    Url(String),
    /// Reconnects exhausted.
    #[error("gave up after {attempts} reconnects: {last}")]
    GaveUp {
        /// Reconnects tried.
        attempts: u32,
        /// The last failure.
        last: String,
    },
}

/// A WebSocket connection that keeps its books current.
pub struct WsClient {
    config: WsConfig,
    signer: Option<Arc<Signer>>,
    books: Arc<Mutex<BookSet>>,
    next_id: u64,
    /// The current connection has delivered at least one message.
    delivered: bool,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl WsClient {
    /// A client; `signer` signs the handshake when given.
    pub fn new(config: WsConfig, signer: Option<Arc<Signer>>) -> WsClient {
        WsClient { config, signer, books: Arc::new(Mutex::new(BookSet::default())), next_id: 0, delivered: false }
    }

    /// The books, shared (read them while the client runs).
    pub fn books(&self) -> Arc<Mutex<BookSet>> {
        Arc::clone(&self.books)
    }

    fn command_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn subscribe_command(&mut self) -> Command {
        let id = self.command_id();
        let channels: Vec<&str> = self.config.channels.iter().map(String::as_str).collect();
        let mut cmd = Command::subscribe(id, &channels, &self.config.markets);
        if self.config.use_yes_price {
            cmd.params.use_yes_price = Some(true);
            self.books.lock().unwrap_or_else(|p| p.into_inner()).expect_yes_scale(id);
        }
        cmd
    }

    /// Runs until `stop` says so (checked after every message) or reconnects run out.
    /// `max_reconnects` and the backoff count consecutive failures: a connection that
    /// delivered messages before it dropped starts the count again, so a feed that drops now
    /// and then reconnects quickly all day long.
    pub async fn run(
        &mut self,
        mut stop: impl FnMut(&BookSet) -> bool,
        mut on_event: impl FnMut(&WsEvent),
    ) -> Result<(), WsClientError> {
        let mut failures = 0;
        loop {
            self.delivered = false;
            let reason = match self.session(&mut stop, &mut on_event).await {
                Ok(()) => return Ok(()),
                Err(reason) => reason,
            };
            if self.delivered {
                failures = 0;
            }
            failures += 1;
            if failures > self.config.max_reconnects {
                return Err(WsClientError::GaveUp { attempts: failures - 1, last: reason });
            }
            on_event(&WsEvent::Reconnecting { attempt: failures, reason });
            let policy =
                crate::kalshi::backoff::Backoff { base: self.config.backoff_base, cap: Duration::from_secs(30) };
            tokio::time::sleep(policy.delay(failures - 1)).await;
        }
    }

    /// One connection: `Ok` when stopped on purpose, `Err(reason)` when it was lost.
    async fn session(
        &mut self,
        stop: &mut impl FnMut(&BookSet) -> bool,
        on_event: &mut impl FnMut(&WsEvent),
    ) -> Result<(), String> {
        let mut request =
            self.config.url.as_str().into_client_request().map_err(|e| format!("{}: {e}", self.config.url))?;
        if let Some(signer) = &self.signer {
            let path = request.uri().path().to_string();
            for (name, value) in signer.sign(now_ms(), "GET", &path).pairs() {
                let value = value.parse().map_err(|_| "header value".to_string())?;
                request.headers_mut().insert(name, value);
            }
        }
        let (mut ws, _) = tokio_tungstenite::connect_async(request).await.map_err(|e| format!("connect: {e}"))?;
        let subscribe = self.subscribe_command();
        self.send(&mut ws, &subscribe, on_event).await?;
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            let message = tokio::select! {
                m = ws.next() => m,
                _ = tick.tick() => {
                    // Quiet streams still stop on time.
                    if stop(&self.books.lock().unwrap_or_else(|p| p.into_inner())) {
                        self.leave(&mut ws, on_event).await;
                        return Ok(());
                    }
                    continue;
                }
            };
            let Some(message) = message else { break };
            let text = match message.map_err(|e| format!("read: {e}"))? {
                Message::Text(text) => text.as_str().to_string(),
                Message::Close(_) => return Err("closed by the server".into()),
                _ => {
                    on_event(&WsEvent::Alive { at_ms: now_ms() });
                    continue;
                }
            };
            let at_ms = now_ms();
            self.delivered = true;
            on_event(&WsEvent::Received { text: text.clone(), at_ms });
            let action = match WsMessage::decode(&text) {
                Ok(decoded) => self.books.lock().unwrap_or_else(|p| p.into_inner()).apply(&decoded, at_ms),
                Err(e) => {
                    tracing::warn!(target: "kalshi", "undecodable WebSocket message refused: {e}");
                    self.books.lock().unwrap_or_else(|p| p.into_inner()).refuse_undecodable(&text, &e.to_string())
                }
            };
            let follow_up = match action {
                Some(BookAction::Resnapshot { sid, markets }) => {
                    let id = self.command_id();
                    Some(Command::get_snapshot(id, sid, &markets))
                }
                Some(BookAction::Resubscribe { .. }) => Some(self.subscribe_command()),
                None => None,
            };
            if let Some(cmd) = follow_up {
                self.send(&mut ws, &cmd, on_event).await?;
            }
            if stop(&self.books.lock().unwrap_or_else(|p| p.into_inner())) {
                self.leave(&mut ws, on_event).await;
                return Ok(());
            }
        }
        Err("connection ended".into())
    }

    /// Unsubscribes from everything, then closes (best effort: the connection is ending).
    async fn leave<S>(&mut self, ws: &mut S, on_event: &mut impl FnMut(&WsEvent))
    where
        S: SinkExt<Message> + Unpin,
        S::Error: std::fmt::Display,
    {
        let sids = self.books.lock().unwrap_or_else(|p| p.into_inner()).sids();
        if !sids.is_empty() {
            let id = self.command_id();
            let _ = self.send(ws, &Command::unsubscribe(id, &sids), on_event).await;
        }
        let _ = ws.close().await;
    }

    async fn send<S>(&mut self, ws: &mut S, cmd: &Command, on_event: &mut impl FnMut(&WsEvent)) -> Result<(), String>
    where
        S: SinkExt<Message> + Unpin,
        S::Error: std::fmt::Display,
    {
        let text = serde_json::to_string(cmd).expect("command serialises");
        on_event(&WsEvent::Sent { text: text.clone(), at_ms: now_ms() });
        ws.send(Message::Text(text.into())).await.map_err(|e| format!("send: {e}"))
    }
}

/// The WebSocket URL that goes with a REST base URL: `http(s)://host/trade-api/v2` →
/// `ws(s)://host/trade-api/ws/v2`; the production REST host maps to the production WS host.
pub fn ws_url_for(rest_base: &str) -> Result<String, WsClientError> {
    if rest_base.trim_end_matches('/') == crate::kalshi::rest::PROD_BASE_URL {
        return Ok(PROD_WS_URL.to_string());
    }
    if rest_base.trim_end_matches('/') == crate::kalshi::rest::DEMO_BASE_URL {
        return Ok(DEMO_WS_URL.to_string());
    }
    let swapped = rest_base
        .strip_prefix("https://")
        .map(|r| format!("wss://{r}"))
        .or_else(|| rest_base.strip_prefix("http://").map(|r| format!("ws://{r}")))
        .ok_or_else(|| WsClientError::Url(rest_base.to_string()))?;
    Ok(swapped.trim_end_matches('/').replace("/trade-api/v2", "/trade-api/ws/v2"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ws_urls_follow_rest_urls() {
        assert_eq!(ws_url_for("http://127.0.0.1:9/trade-api/v2").unwrap(), "ws://127.0.0.1:9/trade-api/ws/v2");
        assert_eq!(ws_url_for(crate::kalshi::rest::PROD_BASE_URL).unwrap(), PROD_WS_URL);
        assert!(ws_url_for("ftp://x").is_err());
    }
}
