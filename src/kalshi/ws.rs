//! WebSocket messages (`wss://…/trade-api/ws/v2`): commands we send and every server
//! message this project reads. Unknown message types decode to [`WsMessage::Unknown`] with
//! their `sid`/`seq` kept, so sequence tracking still counts them.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::kalshi::open_enum::{BookSide, OutcomeSide};
use crate::model::{Count, FixedError, Level, Price, SignedCount};

/// A command to the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Command {
    /// Our command id (echoed in replies).
    pub id: u64,
    /// `subscribe`, `unsubscribe`, `update_subscription`, `list_subscriptions`.
    pub cmd: String,
    /// Parameters.
    pub params: CommandParams,
}

/// Command parameters (only those this project sends).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CommandParams {
    /// Channels to subscribe to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
    /// Markets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub market_tickers: Vec<String>,
    /// Subscriptions an unsubscribe or update applies to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sids: Vec<u64>,
    /// `add_markets`, `delete_markets`, `get_snapshot`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// NO levels on the YES scale (1 − NO price).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_yes_price: Option<bool>,
}

impl Command {
    /// `subscribe` to `channels` for `markets`.
    pub fn subscribe(id: u64, channels: &[&str], markets: &[String]) -> Command {
        Command {
            id,
            cmd: "subscribe".into(),
            params: CommandParams {
                channels: channels.iter().map(|c| c.to_string()).collect(),
                market_tickers: markets.to_vec(),
                ..CommandParams::default()
            },
        }
    }

    /// `update_subscription` asking for fresh snapshots of `markets` on `sid`.
    pub fn get_snapshot(id: u64, sid: u64, markets: &[String]) -> Command {
        Command {
            id,
            cmd: "update_subscription".into(),
            params: CommandParams {
                sids: vec![sid],
                market_tickers: markets.to_vec(),
                action: Some("get_snapshot".into()),
                ..CommandParams::default()
            },
        }
    }

    /// `unsubscribe` from `sids`.
    pub fn unsubscribe(id: u64, sids: &[u64]) -> Command {
        Command {
            id,
            cmd: "unsubscribe".into(),
            params: CommandParams { sids: sids.to_vec(), ..CommandParams::default() },
        }
    }
}

/// A book level as sent: `["0.0800","300.00"]` (current) or `[8, 300]` (legacy cents).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
enum WireLevel {
    Dollars(Price, Count),
    Cents(i64, i64),
}

impl WireLevel {
    fn level(&self) -> Result<Level, FixedError> {
        match self {
            WireLevel::Dollars(price, size) => Ok(Level { price: *price, size: *size }),
            WireLevel::Cents(cents, size) => {
                Ok(Level { price: Price::from_cents(*cents)?, size: Count::from_whole(*size)? })
            }
        }
    }
}

/// `orderbook_snapshot` payload.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BookSnapshot {
    /// Market ticker.
    pub market_ticker: String,
    #[serde(default)]
    yes_dollars_fp: Option<Vec<WireLevel>>,
    #[serde(default)]
    no_dollars_fp: Option<Vec<WireLevel>>,
    #[serde(default)]
    yes: Option<Vec<WireLevel>>,
    #[serde(default)]
    no: Option<Vec<WireLevel>>,
}

impl BookSnapshot {
    /// YES and NO bid levels (either may be empty; a closed market sends neither).
    pub fn levels(&self) -> Result<(Vec<Level>, Vec<Level>), FixedError> {
        let side = |current: &Option<Vec<WireLevel>>, legacy: &Option<Vec<WireLevel>>| {
            current.as_ref().or(legacy.as_ref()).map_or(Ok(Vec::new()), |ls| ls.iter().map(WireLevel::level).collect())
        };
        Ok((side(&self.yes_dollars_fp, &self.yes)?, side(&self.no_dollars_fp, &self.no)?))
    }
}

/// `orderbook_delta` payload.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BookDelta {
    /// Market ticker.
    pub market_ticker: String,
    /// Price level (on the YES scale for NO under `use_yes_price`).
    #[serde(default)]
    pub price_dollars: Option<Price>,
    /// Signed change in contracts.
    #[serde(default)]
    pub delta_fp: Option<SignedCount>,
    /// Which bids.
    pub side: OutcomeSide,
    /// Exchange time, unix ms (absent before ~2026-05).
    #[serde(default)]
    pub ts_ms: Option<i64>,
    /// Our order that caused it, if any.
    #[serde(default)]
    pub client_order_id: Option<String>,
    #[serde(default)]
    price: Option<i64>,
    #[serde(default)]
    delta: Option<i64>,
}

impl BookDelta {
    /// Price and signed size change: current fields, else legacy cents and whole contracts.
    pub fn change(&self) -> Result<(Price, SignedCount), FixedError> {
        let price = match (self.price_dollars, self.price) {
            (Some(p), _) => p,
            (None, Some(c)) => Price::from_cents(c)?,
            (None, None) => return Err(FixedError::Missing("price_dollars")),
        };
        let delta = match (self.delta_fp, self.delta) {
            (Some(d), _) => d,
            (None, Some(n)) => SignedCount::from_centis(n.saturating_mul(100))?,
            (None, None) => return Err(FixedError::Missing("delta_fp")),
        };
        Ok((price, delta))
    }
}

/// `ticker` payload (the fields this project uses).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct TickerUpdate {
    /// Market ticker.
    pub market_ticker: String,
    /// Last price.
    #[serde(default)]
    pub price_dollars: Option<Price>,
    /// Best YES bid.
    #[serde(default)]
    pub yes_bid_dollars: Option<Price>,
    /// Best YES ask.
    #[serde(default)]
    pub yes_ask_dollars: Option<Price>,
    /// Exchange time, unix ms.
    #[serde(default)]
    pub ts_ms: Option<i64>,
}

/// `trade` payload.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct TradeUpdate {
    /// Trade id.
    #[serde(default)]
    pub trade_id: String,
    /// Market ticker.
    pub market_ticker: String,
    /// YES price.
    #[serde(default)]
    pub yes_price_dollars: Option<Price>,
    /// Contracts.
    #[serde(default)]
    pub count_fp: Option<Count>,
    /// Taker's contract.
    #[serde(default)]
    pub taker_outcome_side: Option<OutcomeSide>,
    /// Exchange time, unix ms.
    #[serde(default)]
    pub ts_ms: Option<i64>,
}

impl TradeUpdate {
    /// The contract the taker bought, the YES price and the size (`None` when a field is
    /// missing or the side is one this build does not know).
    pub fn taken(&self) -> Option<(crate::model::Side, Price, Count)> {
        let side = match self.taker_outcome_side.as_ref()? {
            OutcomeSide::Yes => crate::model::Side::Yes,
            OutcomeSide::No => crate::model::Side::No,
            _ => return None,
        };
        Some((side, self.yes_price_dollars?, self.count_fp?))
    }
}

/// `fill` payload (our fills).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct FillUpdate {
    /// Trade id.
    #[serde(default)]
    pub trade_id: String,
    /// Our order.
    pub order_id: String,
    /// Our key.
    #[serde(default)]
    pub client_order_id: Option<String>,
    /// Market ticker.
    pub market_ticker: String,
    /// We took liquidity.
    #[serde(default)]
    pub is_taker: bool,
    /// YES price.
    #[serde(default)]
    pub yes_price_dollars: Option<Price>,
    /// Contracts.
    #[serde(default)]
    pub count_fp: Option<Count>,
    /// Fee.
    #[serde(default)]
    pub fee_cost: Option<crate::model::Money>,
    /// The YES-book side.
    #[serde(default)]
    pub book_side: Option<BookSide>,
    /// Position after the fill (+YES / −NO).
    #[serde(default)]
    pub post_position_fp: Option<SignedCount>,
    /// Exchange time, unix ms.
    #[serde(default)]
    pub ts_ms: Option<i64>,
}

/// `user_order` payload (our orders' state changes).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UserOrderUpdate {
    /// Exchange order id.
    pub order_id: String,
    /// Market ticker.
    pub ticker: String,
    /// State.
    pub status: crate::kalshi::open_enum::OrderStatus,
    /// The YES-book side.
    #[serde(default)]
    pub book_side: Option<BookSide>,
    /// YES price.
    #[serde(default)]
    pub yes_price_dollars: Option<Price>,
    /// Filled.
    #[serde(default)]
    pub fill_count_fp: Option<Count>,
    /// Resting.
    #[serde(default)]
    pub remaining_count_fp: Option<Count>,
    /// Our key.
    #[serde(default)]
    pub client_order_id: Option<String>,
    /// Why it last changed (since 2026-10-01; e.g. `SettlementBoundsCancel`), when given.
    #[serde(default)]
    pub last_update_reason: Option<String>,
}

/// `market_lifecycle_v2` payload.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct LifecycleUpdate {
    /// Market ticker.
    pub market_ticker: String,
    /// `created`, `activated`, `deactivated`, `close_date_updated`, `determined`, `settled`, ...
    #[serde(default)]
    pub event_type: String,
    /// Result, once determined.
    #[serde(default)]
    pub result: Option<String>,
}

/// `error` reply payload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct WsError {
    /// Numeric code (10 and 25 end the subscription).
    pub code: i64,
    /// Message.
    #[serde(default)]
    pub msg: String,
}

impl WsError {
    /// The subscription is gone and must be made again.
    pub fn is_terminal(&self) -> bool {
        matches!(self.code, 10 | 25)
    }
}

/// A server message.
#[derive(Debug, Clone, PartialEq)]
pub enum WsMessage {
    /// A subscription was created.
    Subscribed {
        /// Command id.
        id: Option<u64>,
        /// New subscription id.
        sid: u64,
        /// Its channel.
        channel: String,
    },
    /// A subscription was removed.
    Unsubscribed {
        /// Subscription id.
        sid: u64,
    },
    /// A command succeeded. When it added markets to a subscription it carries that `sid`
    /// and takes a `seq` in its stream.
    Ok {
        /// Command id.
        id: Option<u64>,
        /// Subscription id, when it has one.
        sid: Option<u64>,
        /// Sequence number, when it takes one.
        seq: Option<u64>,
    },
    /// A command failed.
    Error {
        /// Command id.
        id: Option<u64>,
        /// Subscription id, when known.
        sid: Option<u64>,
        /// The error.
        error: WsError,
    },
    /// A full book.
    Snapshot {
        /// Subscription id.
        sid: u64,
        /// Sequence number.
        seq: Option<u64>,
        /// The book.
        book: BookSnapshot,
    },
    /// A change to one level.
    Delta {
        /// Subscription id.
        sid: u64,
        /// Sequence number.
        seq: Option<u64>,
        /// The change.
        delta: BookDelta,
    },
    /// Ticker update.
    Ticker {
        /// Subscription id.
        sid: u64,
        /// Payload.
        update: TickerUpdate,
    },
    /// Public trade.
    Trade {
        /// Subscription id.
        sid: u64,
        /// Sequence number.
        seq: Option<u64>,
        /// Payload.
        trade: TradeUpdate,
    },
    /// One of our fills.
    Fill {
        /// Subscription id.
        sid: u64,
        /// Payload.
        fill: FillUpdate,
    },
    /// One of our orders changed.
    UserOrder {
        /// Subscription id.
        sid: u64,
        /// Payload.
        order: UserOrderUpdate,
    },
    /// A market's lifecycle event.
    Lifecycle {
        /// Subscription id.
        sid: u64,
        /// Sequence number.
        seq: Option<u64>,
        /// Payload.
        update: LifecycleUpdate,
    },
    /// A message type this build does not read.
    Unknown {
        /// Its `type`.
        kind: String,
        /// Subscription id, if any.
        sid: Option<u64>,
        /// Sequence number, if any.
        seq: Option<u64>,
    },
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type")]
    kind: std::borrow::Cow<'a, str>,
    #[serde(default)]
    id: Option<u64>,
    #[serde(default)]
    sid: Option<u64>,
    #[serde(default)]
    seq: Option<u64>,
    #[serde(borrow, default)]
    msg: Option<&'a RawValue>,
}

/// A message that is not JSON, or whose payload does not fit its type.
#[derive(Debug, thiserror::Error)]
pub enum WsDecodeError {
    /// Not a JSON object with a `type`.
    #[error("not a server message: {0}")]
    Envelope(serde_json::Error),
    /// A `type` we know with a payload we cannot read.
    #[error("{kind}: {message}")]
    Payload {
        /// The message type.
        kind: String,
        /// Why.
        message: String,
    },
}

impl WsMessage {
    /// Decodes one server message.
    pub fn decode(text: &str) -> Result<WsMessage, WsDecodeError> {
        let env: Envelope<'_> = serde_json::from_str(text).map_err(WsDecodeError::Envelope)?;
        let kind = env.kind.as_ref();
        let payload = |what: &str| WsDecodeError::Payload { kind: kind.to_string(), message: what.to_string() };
        let body = || env.msg.map(RawValue::get).ok_or_else(|| payload("missing msg"));
        fn parse<T: serde::de::DeserializeOwned>(kind: &str, text: &str) -> Result<T, WsDecodeError> {
            serde_json::from_str(text)
                .map_err(|e| WsDecodeError::Payload { kind: kind.to_string(), message: e.to_string() })
        }
        let sid = || env.sid.ok_or_else(|| payload("missing sid"));
        Ok(match kind {
            "orderbook_delta" => WsMessage::Delta { sid: sid()?, seq: env.seq, delta: parse(kind, body()?)? },
            "orderbook_snapshot" => WsMessage::Snapshot { sid: sid()?, seq: env.seq, book: parse(kind, body()?)? },
            "subscribed" => {
                #[derive(Deserialize)]
                struct Sub {
                    channel: String,
                    sid: u64,
                }
                let sub: Sub = parse(kind, body()?)?;
                WsMessage::Subscribed { id: env.id, sid: sub.sid, channel: sub.channel }
            }
            "unsubscribed" => WsMessage::Unsubscribed { sid: sid()? },
            "ok" => WsMessage::Ok { id: env.id, sid: env.sid, seq: env.seq },
            "error" => WsMessage::Error { id: env.id, sid: env.sid, error: parse(kind, body()?)? },
            "ticker" | "ticker_v2" => WsMessage::Ticker { sid: sid()?, update: parse(kind, body()?)? },
            "trade" => WsMessage::Trade { sid: sid()?, seq: env.seq, trade: parse(kind, body()?)? },
            "fill" => WsMessage::Fill { sid: sid()?, fill: parse(kind, body()?)? },
            "user_order" => WsMessage::UserOrder { sid: sid()?, order: parse(kind, body()?)? },
            "market_lifecycle_v2" => WsMessage::Lifecycle { sid: sid()?, seq: env.seq, update: parse(kind, body()?)? },
            other => WsMessage::Unknown { kind: other.to_string(), sid: env.sid, seq: env.seq },
        })
    }

    /// The subscription and sequence number this message takes in its stream, if any.
    pub fn sequence(&self) -> Option<(u64, u64)> {
        match self {
            WsMessage::Snapshot { sid, seq, .. }
            | WsMessage::Delta { sid, seq, .. }
            | WsMessage::Trade { sid, seq, .. }
            | WsMessage::Lifecycle { sid, seq, .. } => seq.map(|s| (*sid, s)),
            WsMessage::Ok { sid, seq, .. } | WsMessage::Unknown { sid, seq, .. } => sid.zip(*seq),
            _ => None,
        }
    }
}
