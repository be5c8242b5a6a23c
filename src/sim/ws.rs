//! The simulator's WebSocket (`/trade-api/ws/v2`): subscribe / unsubscribe /
//! update_subscription, `orderbook_snapshot` + `orderbook_delta` with a `seq` per
//! subscription, `fill` and `user_order` for our account, Ping every few seconds, and the
//! faults `ws_drop` (close after N messages) and `gap` (skip a seq now and then).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::kalshi::ws::Command;
use crate::sim::exchange::Change;
use crate::sim::server::SimState;

struct Subscription {
    channel: String,
    markets: Vec<String>,
    seq: u64,
    /// Per market, the last exchange change its latest snapshot already holds.
    fresh_after: BTreeMap<String, u64>,
}

struct Session {
    subs: BTreeMap<u64, Subscription>,
    next_sid: u64,
    sent: u64,
}

/// Serves one WebSocket connection (already upgraded and authenticated by the HTTP server).
pub async fn serve<S>(
    mut ws: WebSocketStream<S>,
    state: Arc<SimState>,
) -> Result<(), tokio_tungstenite::tungstenite::Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut changes = state.changes.subscribe();
    let mut session = Session { subs: BTreeMap::new(), next_sid: 1, sent: 0 };
    let mut ping = tokio::time::interval(Duration::from_secs(10));
    ping.tick().await;
    let opened = std::time::Instant::now();
    let stalled = |state: &SimState| {
        state.faults.ws_stall_ms > 0 && opened.elapsed() >= Duration::from_millis(state.faults.ws_stall_ms)
    };
    loop {
        let outgoing: Vec<Value> = tokio::select! {
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(text))) => match serde_json::from_str::<Command>(text.as_str()) {
                    Ok(cmd) => command(&state, &mut session, cmd),
                    Err(e) => vec![json!({ "type": "error", "msg": { "code": 2, "msg": format!("bad command: {e}") } })],
                },
                Some(Ok(Message::Close(_))) | None => return Ok(()),
                Some(Ok(_)) => Vec::new(),
                Some(Err(e)) => return Err(e),
            },
            change = changes.recv() => match change {
                Ok((id, change)) => push(&state, &mut session, id, &change),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => Vec::new(),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
            },
            _ = ping.tick() => {
                if !stalled(&state) {
                    ws.send(Message::Ping(Vec::new().into())).await?;
                }
                Vec::new()
            }
        };
        if stalled(&state) {
            // Fault: the feed goes quiet without closing.
            continue;
        }
        for message in outgoing {
            if state.faults.ws_drop_after > 0 && session.sent >= state.faults.ws_drop_after {
                // Fault: the connection drops without a close frame.
                return Ok(());
            }
            ws.send(Message::Text(message.to_string().into())).await?;
            session.sent += 1;
        }
    }
}

fn next_seq(state: &SimState, sub: &mut Subscription) -> u64 {
    let skip = state.dice.lock().unwrap_or_else(|p| p.into_inner()).roll(state.faults.ws_gap);
    sub.seq += if skip { 2 } else { 1 };
    sub.seq
}

fn snapshot(state: &SimState, sid: u64, sub: &mut Subscription, market: &str) -> Value {
    let ((yes, no), published) = {
        let exchange = state.exchange.lock().unwrap_or_else(|p| p.into_inner());
        (exchange.levels(market), exchange.published())
    };
    // Changes up to `published` are in this snapshot; their deltas, still queued, are not sent.
    sub.fresh_after.insert(market.to_string(), published);
    let pairs = |levels: Vec<crate::model::Level>| {
        levels.into_iter().map(|l| json!([l.price.to_string(), l.size.to_string()])).collect::<Vec<_>>()
    };
    let seq = next_seq(state, sub);
    json!({ "type": "orderbook_snapshot", "sid": sid, "seq": seq,
            "msg": { "market_ticker": market, "yes_dollars_fp": pairs(yes), "no_dollars_fp": pairs(no) } })
}

fn command(state: &SimState, session: &mut Session, cmd: Command) -> Vec<Value> {
    let mut out = Vec::new();
    match cmd.cmd.as_str() {
        "subscribe" => {
            state.subscribed.send_replace(true);
            for channel in &cmd.params.channels {
                let sid = session.next_sid;
                session.next_sid += 1;
                let mut sub = Subscription {
                    channel: channel.clone(),
                    markets: cmd.params.market_tickers.clone(),
                    seq: 0,
                    fresh_after: BTreeMap::new(),
                };
                out.push(json!({ "type": "subscribed", "id": cmd.id, "msg": { "channel": channel, "sid": sid } }));
                if channel == "orderbook_delta" {
                    for market in sub.markets.clone() {
                        out.push(snapshot(state, sid, &mut sub, &market));
                    }
                }
                session.subs.insert(sid, sub);
            }
        }
        "unsubscribe" => {
            for sid in &cmd.params.sids {
                if session.subs.remove(sid).is_some() {
                    out.push(json!({ "type": "unsubscribed", "id": cmd.id, "sid": sid }));
                }
            }
        }
        "update_subscription" => {
            let sid = cmd.params.sids.first().copied().unwrap_or(0);
            let Some(sub) = session.subs.get_mut(&sid) else {
                return vec![
                    json!({ "type": "error", "id": cmd.id, "msg": { "code": 10, "msg": "subscription not found" } }),
                ];
            };
            let markets = cmd.params.market_tickers.clone();
            if cmd.params.action.as_deref() == Some("add_markets") {
                sub.markets.extend(markets.iter().filter(|m| !sub.markets.contains(m)).cloned().collect::<Vec<_>>());
            }
            let seq = next_seq(state, sub);
            out.push(
                json!({ "type": "ok", "id": cmd.id, "sid": sid, "seq": seq, "msg": { "market_tickers": sub.markets } }),
            );
            if sub.channel == "orderbook_delta" {
                let wanted = if markets.is_empty() { sub.markets.clone() } else { markets };
                for market in wanted {
                    out.push(snapshot(state, sid, sub, &market));
                }
            }
        }
        other => out.push(
            json!({ "type": "error", "id": cmd.id, "msg": { "code": 5, "msg": format!("unknown command {other}") } }),
        ),
    }
    out
}

fn push(state: &SimState, session: &mut Session, id: u64, change: &Change) -> Vec<Value> {
    let mut out = Vec::new();
    for (sid, sub) in session.subs.iter_mut() {
        match (sub.channel.as_str(), change) {
            ("orderbook_delta", Change::Level { ticker, side, price, delta_centis })
                if sub.markets.contains(ticker) && sub.fresh_after.get(ticker).is_none_or(|f| id > *f) =>
            {
                let delta = crate::model::SignedCount::saturating_from_centis(*delta_centis);
                let seq = next_seq(state, sub);
                out.push(json!({ "type": "orderbook_delta", "sid": sid, "seq": seq,
                    "msg": { "market_ticker": ticker, "price_dollars": price.to_string(), "delta_fp": delta.to_string(),
                             "side": side, "ts_ms": chrono::Utc::now().timestamp_millis() } }));
            }
            ("trade", Change::Trade(trade)) if sub.markets.is_empty() || sub.markets.contains(&trade.market_ticker) => {
                let seq = next_seq(state, sub);
                out.push(json!({ "type": "trade", "sid": sid, "seq": seq, "msg": trade }));
            }
            ("fill", Change::Fill(fill)) => out.push(json!({ "type": "fill", "sid": sid, "msg": fill })),
            ("user_orders", Change::Order(order)) => {
                out.push(json!({ "type": "user_order", "sid": sid, "msg": order }))
            }
            _ => {}
        }
    }
    out
}
