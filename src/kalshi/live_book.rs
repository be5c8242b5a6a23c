//! Live order books from the WebSocket: snapshots and deltas applied exactly, sequence
//! numbers tracked per subscription, gaps detected. Pure: time comes in as an argument.
//!
//! On a gap (`seq != last + 1`) the subscription's books are discarded (not trusted until a
//! new snapshot) and the caller is told to ask for one; a terminal error asks for a new
//! subscription. `ok` replies that carry a `seq` count like any other message.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::kalshi::open_enum::OutcomeSide;
use crate::kalshi::ws::WsMessage;
use crate::model::{Count, Level, OrderBook, Price, SignedCount, normalise};

/// Most contracts one level may hold, in hundredths (the bound of a [`Count`]).
const MAX_LEVEL_CENTIS: i64 = crate::model::MAX_CONTRACTS * 100;

/// One side's bids, ascending by price: `(price micros, size centis)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Bids(Vec<(i64, i64)>);

impl Bids {
    fn from_levels(levels: &[Level]) -> Bids {
        Bids(normalise(levels.to_vec()).iter().map(|l| (l.price.micros(), l.size.centis())).collect())
    }

    /// Adds a signed change; a level that reaches zero is removed. Returns false, changing
    /// nothing, when the change is impossible: a level taken below zero, past the most
    /// contracts a count may hold, or an arithmetic overflow (an inconsistent stream).
    fn apply(&mut self, price: i64, delta: i64) -> bool {
        match self.0.binary_search_by_key(&price, |&(p, _)| p) {
            Ok(i) => match self.0[i].1.checked_add(delta) {
                Some(0) => {
                    self.0.remove(i);
                    true
                }
                Some(size) if (1..=MAX_LEVEL_CENTIS).contains(&size) => {
                    self.0[i].1 = size;
                    true
                }
                _ => false,
            },
            Err(i) if (1..=MAX_LEVEL_CENTIS).contains(&delta) => {
                self.0.insert(i, (price, delta));
                true
            }
            Err(_) => delta == 0,
        }
    }

    fn levels(&self) -> Vec<Level> {
        self.0
            .iter()
            .map(|&(p, c)| Level {
                price: Price::from_micros(p).expect("stored prices are valid"),
                size: Count::from_centis(c).expect("stored sizes are positive"),
            })
            .collect()
    }

    fn depth(&self) -> Depth {
        Depth {
            levels: self.0.len(),
            contracts: Count::from_centis(self.0.iter().map(|l| l.1).sum()).unwrap_or(Count::ZERO),
        }
    }
}

/// Levels and contracts on one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Depth {
    /// Price levels.
    pub levels: usize,
    /// Contracts across them.
    pub contracts: Count,
}

/// One market's live book.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveBook {
    yes: Bids,
    no: Bids,
    /// A snapshot has arrived since the last gap.
    pub valid: bool,
    /// When the last message for this market arrived (unix ms, receive time).
    pub last_update_ms: Option<i64>,
    /// Messages applied.
    pub messages: u64,
}

impl LiveBook {
    /// Replaces the book with a snapshot.
    pub fn reset(&mut self, yes: &[Level], no: &[Level]) {
        self.yes = Bids::from_levels(yes);
        self.no = Bids::from_levels(no);
        self.valid = true;
    }

    /// Applies one change to the `side` bids at `price`. Under `use_yes_price` NO prices come
    /// on the YES scale and are turned back (1 − p). Returns false for an impossible change.
    pub fn apply(&mut self, side: &OutcomeSide, price: Price, delta: SignedCount, yes_scale: bool) -> bool {
        match side {
            OutcomeSide::Yes => self.yes.apply(price.micros(), delta.centis()),
            OutcomeSide::No => {
                let p = if yes_scale { price.complement() } else { price };
                self.no.apply(p.micros(), delta.centis())
            }
            OutcomeSide::Unknown(_) => false,
        }
    }

    /// The book as the pricing code reads it (YES and NO bids; implied asks).
    pub fn to_book(&self) -> OrderBook {
        OrderBook::from_levels(self.yes.levels(), self.no.levels())
    }

    /// Best YES bid.
    pub fn best_yes_bid(&self) -> Option<Price> {
        self.yes.0.last().map(|&(p, _)| Price::from_micros(p).expect("valid"))
    }

    /// Best YES ask (1 − best NO bid).
    pub fn best_yes_ask(&self) -> Option<Price> {
        self.no.0.last().map(|&(p, _)| Price::from_micros(p).expect("valid").complement())
    }

    /// YES-side depth.
    pub fn yes_depth(&self) -> Depth {
        self.yes.depth()
    }

    /// NO-side depth.
    pub fn no_depth(&self) -> Depth {
        self.no.depth()
    }

    /// Age of the last message, in ms, as of `now_ms` (`None` before any message).
    pub fn age_ms(&self, now_ms: i64) -> Option<i64> {
        self.last_update_ms.map(|t| now_ms - t)
    }
}

/// A sequence gap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// Subscription.
    pub sid: u64,
    /// The seq expected.
    pub expected: u64,
    /// The seq received.
    pub got: u64,
}

/// What the connection should do after a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookAction {
    /// Ask for fresh snapshots of these markets on `sid` (after a gap).
    Resnapshot {
        /// Subscription.
        sid: u64,
        /// Its markets.
        markets: Vec<String>,
    },
    /// Subscribe again (the subscription ended with a terminal error).
    Resubscribe {
        /// The subscription that ended, if known.
        sid: Option<u64>,
    },
}

/// Something wrong inside one message (reported, not fatal).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Anomaly {
    /// Market.
    pub market: String,
    /// What.
    pub detail: String,
}

#[derive(Debug, Clone, Default)]
struct Subscription {
    last_seq: Option<u64>,
    markets: Vec<String>,
    yes_scale: bool,
}

/// Every live book of a connection, with per-subscription sequence tracking.
#[derive(Debug, Clone, Default)]
pub struct BookSet {
    books: BTreeMap<String, LiveBook>,
    subs: HashMap<u64, Subscription>,
    yes_scale_commands: Vec<u64>,
    /// Gaps seen, in order (the first [`KEPT`] of them; `gap_count` counts all).
    pub gaps: Vec<Gap>,
    /// Every gap seen.
    pub gap_count: u64,
    /// Problems inside messages (the first [`KEPT`]; `anomaly_count` counts all).
    pub anomalies: Vec<Anomaly>,
    /// Every anomaly seen.
    pub anomaly_count: u64,
}

/// How many gaps and anomalies a [`BookSet`] keeps in detail: memory stays bounded by the
/// books, however long the stream.
pub const KEPT: usize = 1_000;

impl BookSet {
    /// Remembers that command `id` subscribed with `use_yes_price`, so the subscription it
    /// creates reads NO prices on the YES scale.
    pub fn expect_yes_scale(&mut self, command_id: u64) {
        self.yes_scale_commands.push(command_id);
    }

    /// The subscriptions seen, in id order.
    pub fn sids(&self) -> Vec<u64> {
        let mut sids: Vec<u64> = self.subs.keys().copied().collect();
        sids.sort_unstable();
        sids
    }

    /// The books, by market.
    pub fn books(&self) -> &BTreeMap<String, LiveBook> {
        &self.books
    }

    /// One market's book.
    pub fn book(&self, market: &str) -> Option<&LiveBook> {
        self.books.get(market)
    }

    /// The connection was alive at `alive_ms` (any frame, pings included): every valid book
    /// is current as of then, even a quiet one.
    pub fn freshen(&mut self, alive_ms: i64) {
        for book in self.books.values_mut().filter(|b| b.valid) {
            book.last_update_ms = Some(book.last_update_ms.map_or(alive_ms, |t| t.max(alive_ms)));
        }
    }

    /// Applies one server message received at `recv_ms`.
    pub fn apply(&mut self, msg: &WsMessage, recv_ms: i64) -> Option<BookAction> {
        if let WsMessage::Subscribed { id, sid, .. } = msg {
            let yes_scale = id.is_some_and(|i| self.yes_scale_commands.contains(&i));
            self.subs.insert(*sid, Subscription { yes_scale, ..Subscription::default() });
            return None;
        }
        if let WsMessage::Error { sid, error, .. } = msg {
            return error.is_terminal().then_some(BookAction::Resubscribe { sid: *sid });
        }
        let mut action = None;
        if let Some((sid, seq)) = msg.sequence() {
            let sub = self.subs.entry(sid).or_default();
            let is_snapshot = matches!(msg, WsMessage::Snapshot { .. });
            if let Some(last) = sub.last_seq
                && seq != last + 1
                && !is_snapshot
            {
                self.gap_count += 1;
                if self.gaps.len() < KEPT {
                    self.gaps.push(Gap { sid, expected: last + 1, got: seq });
                }
                for market in &sub.markets {
                    if let Some(book) = self.books.get_mut(market) {
                        book.valid = false;
                    }
                }
                action = Some(BookAction::Resnapshot { sid, markets: sub.markets.clone() });
            }
            sub.last_seq = Some(seq);
        }
        match msg {
            WsMessage::Snapshot { sid, book, .. } => {
                let sub = self.subs.entry(*sid).or_default();
                if !sub.markets.contains(&book.market_ticker) {
                    sub.markets.push(book.market_ticker.clone());
                }
                let live = self.books.entry(book.market_ticker.clone()).or_default();
                live.messages += 1;
                live.last_update_ms = Some(recv_ms);
                match book.levels() {
                    Ok((yes, no)) => {
                        let yes_scale = sub.yes_scale;
                        // Under use_yes_price the NO levels come as 1 − p.
                        let no: Vec<Level> = if yes_scale {
                            no.into_iter().map(|l| Level { price: l.price.complement(), size: l.size }).collect()
                        } else {
                            no
                        };
                        live.reset(&yes, &no);
                    }
                    Err(e) => self.anomaly(&book.market_ticker, format!("snapshot: {e}")),
                }
            }
            WsMessage::Delta { sid, delta, .. } => {
                let yes_scale = self.subs.get(sid).is_some_and(|s| s.yes_scale);
                let live = self.books.entry(delta.market_ticker.clone()).or_default();
                live.messages += 1;
                live.last_update_ms = Some(recv_ms);
                let valid = live.valid;
                let refused = match delta.change() {
                    Ok((price, change)) if valid => (!live.apply(&delta.side, price, change, yes_scale))
                        .then(|| format!("delta {change} at {price} on {}: below zero or past the bound", delta.side)),
                    Ok(_) => None, // waiting for a snapshot after a gap
                    Err(e) => Some(format!("delta: {e}")),
                };
                if let Some(detail) = refused {
                    // Refused, never applied in part: the book waits for a fresh snapshot.
                    live.valid = false;
                    self.anomaly(&delta.market_ticker, detail);
                    action = action
                        .or(Some(BookAction::Resnapshot { sid: *sid, markets: vec![delta.market_ticker.clone()] }));
                }
            }
            _ => {}
        }
        action
    }

    /// A message that does not decode (a price outside [0, 1], a size past the bound, a
    /// malformed field): refused and counted; when it names a subscription and a market, that
    /// market's book waits for a fresh snapshot, and its `seq` still counts (no false gap).
    pub fn refuse_undecodable(&mut self, text: &str, error: &str) -> Option<BookAction> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        let market = value["msg"]["market_ticker"].as_str().unwrap_or("").to_string();
        self.anomaly(&market, format!("undecodable message: {error}"));
        let sid = value["sid"].as_u64()?;
        if let (Some(seq), Some(sub)) = (value["seq"].as_u64(), self.subs.get_mut(&sid)) {
            sub.last_seq = Some(seq);
        }
        let book = self.books.get_mut(&market)?;
        book.valid = false;
        Some(BookAction::Resnapshot { sid, markets: vec![market] })
    }

    fn anomaly(&mut self, market: &str, detail: String) {
        self.anomaly_count += 1;
        if self.anomalies.len() < KEPT {
            self.anomalies.push(Anomaly { market: market.to_string(), detail });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kalshi::ws::WsMessage;

    fn msg(text: &str) -> WsMessage {
        WsMessage::decode(text).unwrap()
    }

    #[test]
    fn gap_discards_the_book_until_a_snapshot() {
        let mut books = BookSet::default();
        let snap = r#"{"type":"orderbook_snapshot","sid":7,"seq":1,"msg":{"market_ticker":"M","yes_dollars_fp":[["0.4000","10.00"]],"no_dollars_fp":[["0.5500","5.00"]]}}"#;
        assert_eq!(books.apply(&msg(snap), 1), None);
        let d2 = r#"{"type":"orderbook_delta","sid":7,"seq":2,"msg":{"market_ticker":"M","price_dollars":"0.4100","delta_fp":"2.50","side":"yes"}}"#;
        assert_eq!(books.apply(&msg(d2), 2), None);
        assert_eq!(books.book("M").unwrap().best_yes_bid().unwrap().to_string(), "0.4100");
        let d4 = r#"{"type":"orderbook_delta","sid":7,"seq":4,"msg":{"market_ticker":"M","price_dollars":"0.4200","delta_fp":"1.00","side":"yes"}}"#;
        assert_eq!(books.apply(&msg(d4), 3), Some(BookAction::Resnapshot { sid: 7, markets: vec!["M".into()] }));
        assert_eq!(books.gaps, [Gap { sid: 7, expected: 3, got: 4 }]);
        let book = books.book("M").unwrap();
        assert!(!book.valid);
        assert_eq!(book.best_yes_bid().unwrap().to_string(), "0.4100", "the gapped delta is not applied");
        let resnap = snap.replace("\"seq\":1", "\"seq\":5");
        assert_eq!(books.apply(&msg(&resnap), 4), None);
        assert!(books.book("M").unwrap().valid);
        assert_eq!(books.book("M").unwrap().age_ms(10), Some(6));
    }

    #[test]
    fn ok_replies_take_a_seq_and_terminal_errors_resubscribe() {
        let mut books = BookSet::default();
        books.apply(&msg(r#"{"type":"orderbook_snapshot","sid":1,"seq":1,"msg":{"market_ticker":"M"}}"#), 0);
        assert_eq!(books.apply(&msg(r#"{"type":"ok","id":3,"sid":1,"seq":2,"msg":{}}"#), 0), None);
        let d = r#"{"type":"orderbook_delta","sid":1,"seq":3,"msg":{"market_ticker":"M","price_dollars":"0.1000","delta_fp":"1.00","side":"no"}}"#;
        assert_eq!(books.apply(&msg(d), 0), None, "no gap: the ok took seq 2");
        let terminal = r#"{"type":"error","id":9,"sid":1,"msg":{"code":25,"msg":"subscription ended"}}"#;
        assert_eq!(books.apply(&msg(terminal), 0), Some(BookAction::Resubscribe { sid: Some(1) }));
    }

    #[test]
    fn yes_scale_no_levels_are_turned_back() {
        let mut books = BookSet::default();
        books.expect_yes_scale(1);
        books.apply(&msg(r#"{"type":"subscribed","id":1,"msg":{"channel":"orderbook_delta","sid":4}}"#), 0);
        // NO bid at 0.30 sent as 0.70 on the YES scale: YES ask = 1 − 0.30 = 0.70.
        books.apply(&msg(r#"{"type":"orderbook_snapshot","sid":4,"seq":1,"msg":{"market_ticker":"M","no_dollars_fp":[["0.7000","3.00"]]}}"#), 0);
        assert_eq!(books.book("M").unwrap().best_yes_ask().unwrap().to_string(), "0.7000");
        books.apply(&msg(r#"{"type":"orderbook_delta","sid":4,"seq":2,"msg":{"market_ticker":"M","price_dollars":"0.6500","delta_fp":"1.00","side":"no"}}"#), 0);
        assert_eq!(books.book("M").unwrap().best_yes_ask().unwrap().to_string(), "0.6500", "NO bid 0.35");
    }

    #[test]
    fn legacy_cent_messages_apply() {
        let mut books = BookSet::default();
        books.apply(&msg(r#"{"type":"orderbook_snapshot","sid":1,"seq":1,"msg":{"market_ticker":"M","yes":[[40,10]],"no":[[55,5]]}}"#), 0);
        books.apply(&msg(r#"{"type":"orderbook_delta","sid":1,"seq":2,"msg":{"market_ticker":"M","price":40,"delta":-4,"side":"yes"}}"#), 0);
        assert_eq!(books.book("M").unwrap().yes_depth().contracts.to_string(), "6.00");
        assert_eq!(books.book("M").unwrap().best_yes_ask().unwrap().to_string(), "0.4500");
    }

    #[test]
    fn impossible_deltas_are_refused_whole_and_resnapshotted() {
        let mut books = BookSet::default();
        let snap = r#"{"type":"orderbook_snapshot","sid":2,"seq":1,"msg":{"market_ticker":"M","yes_dollars_fp":[["0.4000","10.00"]]}}"#;
        books.apply(&msg(snap), 0);
        // Past the bound: refused at decode (a SignedCount holds at most 10^9 contracts).
        let huge = r#"{"type":"orderbook_delta","sid":2,"seq":2,"msg":{"market_ticker":"M","price_dollars":"0.4000","delta_fp":"92233720368547758.07","side":"yes"}}"#;
        assert!(WsMessage::decode(huge).is_err());
        assert_eq!(
            books.refuse_undecodable(huge, "too large"),
            Some(BookAction::Resnapshot { sid: 2, markets: vec!["M".into()] })
        );
        assert!(!books.book("M").unwrap().valid);
        books.apply(&msg(&snap.replace("\"seq\":1", "\"seq\":3")), 1);
        // Up to the bound, then one more: refused, the level unchanged, a resnapshot asked.
        let big = r#"{"type":"orderbook_delta","sid":2,"seq":4,"msg":{"market_ticker":"M","price_dollars":"0.4000","delta_fp":"999999995.00","side":"yes"}}"#;
        assert_eq!(books.apply(&msg(big), 2), Some(BookAction::Resnapshot { sid: 2, markets: vec!["M".into()] }));
        assert!(!books.book("M").unwrap().valid);
        books.apply(&msg(&snap.replace("\"seq\":1", "\"seq\":5")), 3);
        let below = r#"{"type":"orderbook_delta","sid":2,"seq":6,"msg":{"market_ticker":"M","price_dollars":"0.4000","delta_fp":"-11.00","side":"yes"}}"#;
        assert!(matches!(books.apply(&msg(below), 4), Some(BookAction::Resnapshot { .. })));
        assert_eq!(books.book("M").unwrap().yes_depth().contracts.to_string(), "10.00", "nothing applied in part");
        // A price outside [0, 1] does not decode either.
        let price = below.replace("\"0.4000\"", "\"1.5000\"").replace("\"seq\":6", "\"seq\":7");
        assert!(WsMessage::decode(&price).is_err());
        assert_eq!(books.anomaly_count, 3);
    }
}
