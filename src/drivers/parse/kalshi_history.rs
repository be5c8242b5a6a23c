//! Kalshi market history for calibration and backtests: public trades
//! (`GET /markets/trades` → `trades[]`), candlesticks
//! (`GET /series/{s}/markets/{t}/candlesticks` → `candlesticks[]`), and settled markets
//! (`GET /markets?status=settled` → `markets[]` with `result`, `expiration_value`).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{Cell, DataError, Table, decode_json};
use crate::model::{Count, Price};

#[derive(Deserialize)]
struct TradesPage {
    trades: Vec<Trade>,
    #[serde(default)]
    cursor: String,
}

#[derive(Deserialize)]
struct Trade {
    trade_id: String,
    ticker: String,
    #[serde(default)]
    count_fp: Option<Count>,
    #[serde(default)]
    count: Option<i64>,
    #[serde(default)]
    yes_price_dollars: Option<Price>,
    #[serde(default)]
    yes_price: Option<i64>,
    #[serde(default)]
    taker_side: Option<String>,
    #[serde(default)]
    taker_outcome_side: Option<String>,
    created_time: String,
}

/// One public trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicTrade {
    /// Trade id.
    pub trade_id: String,
    /// Market.
    pub ticker: String,
    /// Contracts.
    pub count: Count,
    /// YES price.
    pub yes_price: Price,
    /// `yes` or `no`: the contract the taker bought.
    pub taker_side: String,
    /// When.
    pub time: DateTime<Utc>,
}

/// Trades and the next page's cursor (empty when done).
pub fn trades(bytes: &[u8], file: &str) -> Result<(Vec<PublicTrade>, String), DataError> {
    const SOURCE: &str = "kalshi_trades";
    let page: TradesPage = decode_json(SOURCE, file, bytes)?;
    let mut out = Vec::new();
    for (i, t) in page.trades.iter().enumerate() {
        let at = |f: &str| Some(format!("trades[{i}].{f}"));
        let count = match (t.count_fp, t.count) {
            (Some(c), _) => c,
            (None, Some(c)) => {
                Count::from_whole(c).map_err(|e| DataError::new(SOURCE, file, at("count"), e.to_string()))?
            }
            (None, None) => return Err(DataError::new(SOURCE, file, at("count_fp"), "missing")),
        };
        let yes_price = match (t.yes_price_dollars, t.yes_price) {
            (Some(p), _) => p,
            (None, Some(c)) => {
                Price::from_cents(c).map_err(|e| DataError::new(SOURCE, file, at("yes_price"), e.to_string()))?
            }
            (None, None) => return Err(DataError::new(SOURCE, file, at("yes_price_dollars"), "missing")),
        };
        let time = DateTime::parse_from_rfc3339(&t.created_time)
            .map_err(|_| {
                DataError::new(SOURCE, file, at("created_time"), format!("`{}` is not RFC 3339", t.created_time))
            })?
            .with_timezone(&Utc);
        let taker_side = t.taker_outcome_side.clone().or_else(|| t.taker_side.clone()).unwrap_or_default();
        out.push(PublicTrade {
            trade_id: t.trade_id.clone(),
            ticker: t.ticker.clone(),
            count,
            yes_price,
            taker_side,
            time,
        });
    }
    Ok((out, page.cursor))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum CandlePage {
    /// `GET /series/{s}/markets/{t}/candlesticks`.
    Market {
        #[serde(default)]
        ticker: Option<String>,
        candlesticks: Vec<Candle>,
    },
    /// `GET /series/{s}/events/{e}/candlesticks`: one list per market.
    Event { market_tickers: Vec<String>, market_candlesticks: Vec<Vec<Candle>> },
}

#[derive(Deserialize)]
struct Candle {
    end_period_ts: i64,
    #[serde(default)]
    yes_bid: Option<Ohlc>,
    #[serde(default)]
    yes_ask: Option<Ohlc>,
    #[serde(default)]
    price: Option<Ohlc>,
    #[serde(default)]
    volume_fp: Option<Count>,
}

#[derive(Deserialize)]
struct Ohlc {
    #[serde(default, alias = "close")]
    close_dollars: Option<serde_json::Value>,
}

/// One candle: closes of the YES bid, ask and last price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandleRow {
    /// Market (when the response names it).
    pub ticker: String,
    /// End of the period.
    pub end: DateTime<Utc>,
    /// YES bid close.
    pub bid_close: Option<Price>,
    /// YES ask close.
    pub ask_close: Option<Price>,
    /// Last trade price close (none without trades).
    pub price_close: Option<Price>,
    /// Contracts traded.
    pub volume: Option<Count>,
}

fn price_value(v: &Option<Ohlc>) -> Option<Price> {
    match v.as_ref()?.close_dollars.as_ref()? {
        serde_json::Value::String(s) => s.parse().ok(),
        serde_json::Value::Number(n) => n.as_i64().and_then(|c| Price::from_cents(c).ok()),
        _ => None,
    }
}

/// Candles of one market or of every market of an event, oldest first.
pub fn candlesticks(bytes: &[u8], file: &str) -> Result<Vec<CandleRow>, DataError> {
    const SOURCE: &str = "kalshi_candles";
    let page: CandlePage = decode_json(SOURCE, file, bytes)?;
    let lists: Vec<(String, Vec<Candle>)> = match page {
        CandlePage::Market { ticker, candlesticks } => vec![(ticker.unwrap_or_default(), candlesticks)],
        CandlePage::Event { market_tickers, market_candlesticks } => {
            if market_tickers.len() != market_candlesticks.len() {
                return Err(DataError::new(
                    SOURCE,
                    file,
                    Some("market_candlesticks".into()),
                    "not one list per market ticker",
                ));
            }
            market_tickers.into_iter().zip(market_candlesticks).collect()
        }
    };
    let mut out = Vec::new();
    for (m, (ticker, candles)) in lists.iter().enumerate() {
        for (i, c) in candles.iter().enumerate() {
            let end = DateTime::<Utc>::from_timestamp(c.end_period_ts, 0).ok_or_else(|| {
                DataError::new(SOURCE, file, Some(format!("market {m} candlesticks[{i}].end_period_ts")), "not a time")
            })?;
            out.push(CandleRow {
                ticker: ticker.clone(),
                end,
                bid_close: price_value(&c.yes_bid),
                ask_close: price_value(&c.yes_ask),
                price_close: price_value(&c.price),
                volume: c.volume_fp,
            });
        }
    }
    out.sort_by(|a, b| (a.end, &a.ticker).cmp(&(b.end, &b.ticker)));
    Ok(out)
}

/// A settled market's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    /// Market.
    pub ticker: String,
    /// Event.
    pub event: String,
    /// `yes` or `no`.
    pub result: String,
    /// The settlement value as published (e.g. `"49"` °F, `"0.3"` %).
    pub expiration_value: Option<String>,
    /// The strike rule (`between`, `greater`, `less`, …), when given.
    pub strike_type: Option<String>,
    /// Lower strike.
    pub floor_strike: Option<f64>,
    /// Upper strike.
    pub cap_strike: Option<f64>,
}

#[derive(Deserialize)]
struct MarketsPage {
    markets: Vec<SettledMarket>,
}

#[derive(Deserialize)]
struct SettledMarket {
    ticker: String,
    event_ticker: String,
    #[serde(default)]
    result: Option<String>,
    #[serde(default)]
    expiration_value: Option<String>,
    #[serde(default)]
    strike_type: Option<String>,
    #[serde(default)]
    floor_strike: Option<f64>,
    #[serde(default)]
    cap_strike: Option<f64>,
}

/// Settled markets (those without a `yes`/`no` result are left out).
pub fn settled(bytes: &[u8], file: &str) -> Result<Vec<Settled>, DataError> {
    const SOURCE: &str = "kalshi_settled";
    let page: MarketsPage = decode_json(SOURCE, file, bytes)?;
    Ok(page
        .markets
        .into_iter()
        .filter(|m| matches!(m.result.as_deref(), Some("yes" | "no")))
        .map(|m| Settled {
            ticker: m.ticker,
            event: m.event_ticker,
            result: m.result.unwrap_or_default(),
            expiration_value: m.expiration_value.filter(|v| !v.is_empty()),
            strike_type: m.strike_type,
            floor_strike: m.floor_strike,
            cap_strike: m.cap_strike,
        })
        .collect())
}

/// Trades as a table.
pub fn parse_trades(bytes: &[u8], file: &str) -> Result<Table, DataError> {
    let (trades, _) = trades(bytes, file)?;
    Ok(Table {
        columns: vec!["trade_id", "ticker", "count", "yes_price", "taker_side", "time"],
        as_of: trades.iter().map(|t| t.time.date_naive()).max(),
        rows: trades
            .into_iter()
            .map(|t| {
                vec![
                    Cell::Text(t.trade_id),
                    Cell::Text(t.ticker),
                    Cell::Decimal(t.count.to_string()),
                    Cell::Decimal(t.yes_price.to_string()),
                    Cell::Text(t.taker_side),
                    Cell::Time(t.time),
                ]
            })
            .collect(),
    })
}

/// Candles as a table.
pub fn parse_candles(bytes: &[u8], file: &str) -> Result<Table, DataError> {
    let candles = candlesticks(bytes, file)?;
    let p = |v: Option<Price>| v.map_or(Cell::Missing, |p| Cell::Decimal(p.to_string()));
    Ok(Table {
        columns: vec!["ticker", "end", "bid_close", "ask_close", "price_close", "volume"],
        as_of: candles.iter().map(|c| c.end.date_naive()).max(),
        rows: candles
            .into_iter()
            .map(|c| {
                vec![
                    Cell::Text(c.ticker),
                    Cell::Time(c.end),
                    p(c.bid_close),
                    p(c.ask_close),
                    p(c.price_close),
                    c.volume.map_or(Cell::Missing, |v| Cell::Decimal(v.to_string())),
                ]
            })
            .collect(),
    })
}

/// Settled markets as a table.
pub fn parse_settled(bytes: &[u8], file: &str) -> Result<Table, DataError> {
    let markets = settled(bytes, file)?;
    Ok(Table {
        columns: vec!["ticker", "event", "result", "expiration_value"],
        as_of: None,
        rows: markets
            .into_iter()
            .map(|m| {
                vec![
                    Cell::Text(m.ticker),
                    Cell::Text(m.event),
                    Cell::Text(m.result),
                    m.expiration_value.map_or(Cell::Missing, Cell::Text),
                ]
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trades_current_and_legacy() {
        let json = r#"{"trades":[{"trade_id":"t1","ticker":"KXHIGHNY-25NOV25-B49.5","count_fp":"3.00","yes_price_dollars":"0.4100","no_price_dollars":"0.5900","taker_outcome_side":"yes","created_time":"2025-11-25T15:01:02Z"},{"trade_id":"t0","ticker":"KXHIGHNY-25NOV25-B49.5","count":2,"yes_price":40,"taker_side":"no","created_time":"2025-11-25T14:59:00Z"}],"cursor":"abc"}"#;
        let (ts, cursor) = trades(json.as_bytes(), "trades.json").unwrap();
        assert_eq!((ts.len(), cursor.as_str()), (2, "abc"));
        assert_eq!(ts[1].yes_price, Price::from_cents(40).unwrap());
        assert_eq!(ts[0].taker_side, "yes");
    }

    #[test]
    fn candles_and_settled() {
        let json = r#"{"ticker":"KXHIGHNY-25NOV25-B49.5","candlesticks":[{"end_period_ts":1764086400,"yes_bid":{"open_dollars":"0.38","close_dollars":"0.4000"},"yes_ask":{"close_dollars":"0.4200"},"price":{"close_dollars":null},"volume_fp":"0.00","open_interest_fp":"120.00"}]}"#;
        let c = candlesticks(json.as_bytes(), "c.json").unwrap();
        assert_eq!((c[0].bid_close, c[0].price_close), (Some(Price::from_cents(40).unwrap()), None));
        let markets = r#"{"markets":[{"ticker":"KXHIGHNY-25NOV25-B49.5","event_ticker":"KXHIGHNY-25NOV25","status":"finalized","result":"yes","expiration_value":"49"},{"ticker":"KXHIGHNY-25NOV25-B51.5","event_ticker":"KXHIGHNY-25NOV25","result":""}],"cursor":""}"#;
        let s = settled(markets.as_bytes(), "m.json").unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].expiration_value.as_deref(), Some("49"));
    }
}
