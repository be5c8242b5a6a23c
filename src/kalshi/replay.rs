//! Replaying a recorded WebSocket session into fresh books. Pure: it takes the lines, one at a
//! time ([`Replayer`]), so a caller can stream a file of any size in memory bounded by the books.
//!
//! A line is either a record written by `kalshi-alpha record` (or a session's `--record`) —
//! `{"recv_ms": T, "msg": {…}}` for a server message, `{"sent_ms": T, "cmd": {…}}` for a
//! command we sent, `{"recv_ms": T, "ladders": [{"series": {…}, "events": [{…}]}]}` for the
//! series and events (with their markets) the recording follows, as the REST API gave them at
//! its start — or one raw server message (`{"type": …}`).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::kalshi::live_book::{Anomaly, BookSet, Depth, Gap};
use crate::kalshi::market_data::{Event, Series};
use crate::kalshi::ws::{Command, WsMessage};
use crate::model::Price;

/// One market after the replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarketSummary {
    /// Market ticker.
    pub market: String,
    /// Best YES bid.
    pub best_yes_bid: Option<Price>,
    /// Best YES ask.
    pub best_yes_ask: Option<Price>,
    /// YES bids.
    pub yes_depth: Depth,
    /// NO bids.
    pub no_depth: Depth,
    /// Book messages applied.
    pub messages: u64,
    /// False when a gap left the book waiting for a snapshot.
    pub valid: bool,
}

/// What a replay found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayOutcome {
    /// Server messages read.
    pub messages: usize,
    /// Per market, in ticker order.
    pub markets: Vec<MarketSummary>,
    /// Sequence gaps (reported, not fatal; the first thousand in detail).
    pub gaps: Vec<Gap>,
    /// Every gap.
    pub gap_count: u64,
    /// Messages whose contents were impossible (e.g. a delta below zero; the first thousand).
    pub anomalies: Vec<Anomaly>,
    /// Every anomaly.
    pub anomaly_count: u64,
}

/// A line that is not a record or a server message.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ReplayError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default)]
    recv_ms: Option<i64>,
    #[serde(borrow, default)]
    msg: Option<&'a RawValue>,
    #[serde(borrow, default)]
    cmd: Option<&'a RawValue>,
    #[serde(borrow, default)]
    ladders: Option<&'a RawValue>,
}

/// One followed series and its events (markets nested), as a recording's header keeps them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedLadder {
    /// The series (fees, title).
    pub series: Series,
    /// Its events, each with its markets.
    pub events: Vec<Event>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    recv_ms: i64,
    ladders: Vec<RecordedLadder>,
}

/// The header line a recording starts with.
pub fn header_line(recv_ms: i64, ladders: &[RecordedLadder]) -> Result<String, serde_json::Error> {
    #[derive(Serialize)]
    struct HeaderRef<'a> {
        recv_ms: i64,
        ladders: &'a [RecordedLadder],
    }
    serde_json::to_string(&HeaderRef { recv_ms, ladders })
}

/// The ladders of a header line (`None`: the line is not a header).
pub fn read_header(text: &str) -> Option<Result<(i64, Vec<RecordedLadder>), serde_json::Error>> {
    if !text.trim_start().starts_with("{\"recv_ms\":") || !text.contains("\"ladders\":") {
        return None;
    }
    let parsed: Result<Header, _> = serde_json::from_str(text);
    Some(parsed.map(|h| (h.recv_ms, h.ladders)))
}

/// What one line was.
// Returned by value and consumed at once, one per line: boxing the message would cost an
// allocation per message on the replay path.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// A command we sent (or a header): nothing for the books.
    NotServer,
    /// A server message, applied to the books; `None` when it was refused as undecodable.
    Server(Option<WsMessage>),
}

/// `{"recv_ms":T,"msg":M}` exactly as `record` writes it: `(T, M)` without parsing `M`.
fn split_record(text: &str) -> Option<(i64, &str)> {
    let rest = text.strip_prefix("{\"recv_ms\":")?;
    let digits = rest.find(|c: char| !c.is_ascii_digit())?;
    let ms = rest[..digits].parse().ok()?;
    let msg = rest[digits..].strip_prefix(",\"msg\":")?.strip_suffix('}')?;
    Some((ms, msg))
}

/// Feeds one line into `books`; says what it was (a decoded server message is returned).
pub fn apply_line(books: &mut BookSet, text: &str, line: usize, last_ms: &mut i64) -> Result<Applied, ReplayError> {
    let err = |message: String| ReplayError { line, message };
    // Fast path for our own recordings: the message is decoded once, not the line twice.
    if let Some((ms, msg)) = split_record(text.trim_end())
        && let Ok(message) = WsMessage::decode(msg)
    {
        *last_ms = ms;
        books.apply(&message, ms);
        return Ok(Applied::Server(Some(message)));
    }
    let parsed: Line<'_> = serde_json::from_str(text).map_err(|e| err(format!("not JSON: {e}")))?;
    let server = if parsed.kind.is_some() {
        Some(text)
    } else if let Some(cmd) = parsed.cmd {
        let command: Command = serde_json::from_str(cmd.get()).map_err(|e| err(format!("cmd: {e}")))?;
        if command.cmd == "subscribe" && command.params.use_yes_price == Some(true) {
            books.expect_yes_scale(command.id);
        }
        None
    } else if let Some(msg) = parsed.msg {
        Some(msg.get())
    } else if parsed.ladders.is_some() {
        None
    } else {
        return Err(err(
            "neither a server message nor a record (`recv_ms`+`msg`, `sent_ms`+`cmd` or `recv_ms`+`ladders`)".into(),
        ));
    };
    let Some(server) = server else { return Ok(Applied::NotServer) };
    if let Some(t) = parsed.recv_ms {
        *last_ms = t;
    }
    match WsMessage::decode(server) {
        Ok(message) => {
            books.apply(&message, *last_ms);
            Ok(Applied::Server(Some(message)))
        }
        // A message about a market that does not decode (an overflowing size, a price outside
        // [0, 1]) is refused as the live feed refuses it: counted, and the book waits for the
        // recording's next snapshot. Anything else is not a recording and names its line.
        Err(e) if names_a_market(server) => {
            books.refuse_undecodable(server, &e.to_string());
            Ok(Applied::Server(None))
        }
        Err(e) => Err(err(e.to_string())),
    }
}

/// True when a server message's JSON names a market (`msg.market_ticker`).
fn names_a_market(server: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(server)
        .is_ok_and(|v| v["msg"]["market_ticker"].as_str().is_some_and(|t| !t.is_empty()))
}

/// A replay in progress: feed it lines, then `finish`.
#[derive(Debug, Default)]
pub struct Replayer {
    books: BookSet,
    messages: usize,
    last_ms: i64,
    line: usize,
}

impl Replayer {
    /// Fresh books.
    pub fn new() -> Replayer {
        Replayer::default()
    }

    /// Feeds the next line (blank lines are skipped but counted for line numbers).
    pub fn feed(&mut self, text: &str) -> Result<(), ReplayError> {
        self.line += 1;
        if text.trim().is_empty() {
            return Ok(());
        }
        if let Applied::Server(_) = apply_line(&mut self.books, text, self.line, &mut self.last_ms)? {
            self.messages += 1;
        }
        Ok(())
    }

    /// The books as they stand.
    pub fn finish(self) -> ReplayOutcome {
        let markets = self
            .books
            .books()
            .iter()
            .map(|(market, book)| MarketSummary {
                market: market.clone(),
                best_yes_bid: book.best_yes_bid(),
                best_yes_ask: book.best_yes_ask(),
                yes_depth: book.yes_depth(),
                no_depth: book.no_depth(),
                messages: book.messages,
                valid: book.valid,
            })
            .collect();
        let books = self.books;
        ReplayOutcome {
            messages: self.messages,
            markets,
            gap_count: books.gap_count,
            gaps: books.gaps,
            anomaly_count: books.anomaly_count,
            anomalies: books.anomalies,
        }
    }
}

/// Replays `lines` into fresh books.
pub fn replay<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<ReplayOutcome, ReplayError> {
    let mut replayer = Replayer::new();
    for text in lines {
        replayer.feed(text)?;
    }
    Ok(replayer.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_lines_split_without_parsing_and_others_fall_back() {
        let line = r#"{"recv_ms":1764082800123,"msg":{"type":"ok","id":1}}"#;
        assert_eq!(split_record(line), Some((1764082800123, r#"{"type":"ok","id":1}"#)));
        assert_eq!(split_record(r#"{"type":"ok","id":1}"#), None);
        assert_eq!(split_record(r#"{"recv_ms":12,"cmd":{}}"#), None);
        // Both shapes replay to the same books; a bad message names its line.
        let snap = r#"{"type":"orderbook_snapshot","sid":1,"seq":1,"msg":{"market_ticker":"M","yes_dollars_fp":[["0.40","5.00"]]}}"#;
        let recorded = format!(r#"{{"recv_ms":5,"msg":{snap}}}"#);
        let a = replay([snap]).unwrap();
        let b = replay([recorded.as_str()]).unwrap();
        assert_eq!(a.markets, b.markets);
        let bad = replay([recorded.as_str(), r#"{"recv_ms":6,"msg":{"type":"orderbook_delta","sid":1}}"#]).unwrap_err();
        assert_eq!(bad.line, 2);
    }

    #[test]
    fn overflowing_and_out_of_range_messages_are_refused_without_a_panic() {
        let snap = |seq: u64| {
            format!(
                r#"{{"type":"orderbook_snapshot","sid":1,"seq":{seq},"msg":{{"market_ticker":"M","yes_dollars_fp":[["0.40","5.00"]]}}}}"#
            )
        };
        let delta = |seq: u64, price: &str, size: &str| {
            format!(
                r#"{{"type":"orderbook_delta","sid":1,"seq":{seq},"msg":{{"market_ticker":"M","price_dollars":"{price}","delta_fp":"{size}","side":"yes"}}}}"#
            )
        };
        let lines = [
            snap(1),
            delta(2, "0.40", "92233720368547758.07"), // past i64 centis: refused at decode
            snap(3),
            delta(4, "0.40", "999999999.00"), // past the level bound once added
            snap(5),
            delta(6, "0.40", "-6.00"), // below zero
            snap(7),
            delta(8, "1.5000", "1.00"), // a price outside [0, 1]
        ];
        let out = replay(lines.iter().map(String::as_str)).unwrap();
        assert_eq!(out.anomaly_count, 4, "{:?}", out.anomalies);
        assert_eq!(out.gap_count, 0, "a refused message still counts its seq");
        let m = &out.markets[0];
        assert!(!m.valid, "the book waits for a snapshot");
        assert_eq!(m.yes_depth.contracts.to_string(), "5.00", "nothing applied in part");
    }
}
