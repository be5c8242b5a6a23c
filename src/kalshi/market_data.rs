//! Public market-data shapes: series, events with nested markets, markets and order books.
//!
//! Current-era fields (`*_dollars` strings, `*_fp` counts) are read first; the legacy
//! integer-cent fields (`yes_bid`, `volume`, an `orderbook` of `[cents, count]` pairs) are
//! read where present. Unknown fields are ignored: the exchange adds fields every month.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::kalshi::open_enum::MarketStatus;
use crate::model::{Count, FixedError, Level, OrderBook, Price, Rung, Strike};

/// `GET /series/{series_ticker}` response.
#[derive(Debug, Clone, Deserialize)]
pub struct SeriesResponse {
    /// The series.
    pub series: Series,
}

/// A series: the template its events share, including its fee model.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Series {
    /// Series ticker (`KXHIGHNY`).
    pub ticker: String,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Category.
    #[serde(default)]
    pub category: String,
    /// Fee model name (`quadratic`, `quadratic_with_maker_fees`, `flat`, ...).
    pub fee_type: String,
    /// Fee multiplier (a JSON number).
    pub fee_multiplier: f64,
    /// Where settlement values come from.
    #[serde(default)]
    pub settlement_sources: Option<Vec<SettlementSource>>,
    /// Contract terms.
    #[serde(default)]
    pub contract_url: String,
}

/// A named settlement source.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SettlementSource {
    /// Source name.
    pub name: String,
    /// Source URL.
    pub url: String,
}

/// `GET /events/{event_ticker}?with_nested_markets=true` response.
#[derive(Debug, Clone, Deserialize)]
pub struct EventResponse {
    /// The event, with its markets nested.
    pub event: Event,
    /// Deprecated top-level copy of the markets (older responses).
    #[serde(default)]
    pub markets: Vec<Market>,
}

impl EventResponse {
    /// The event with its markets, taken from the nested list or, in older responses, the
    /// top-level one.
    pub fn into_event(self) -> Event {
        let mut event = self.event;
        if event.markets.is_empty() {
            event.markets = self.markets;
        }
        event
    }
}

/// An event: one question split into markets.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Event {
    /// Event ticker.
    pub event_ticker: String,
    /// Series ticker.
    pub series_ticker: String,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Sub-title.
    #[serde(default)]
    pub sub_title: String,
    /// At most one market settles YES.
    #[serde(default)]
    pub mutually_exclusive: bool,
    /// When the event resolves (RFC 3339).
    #[serde(default)]
    pub strike_date: Option<String>,
    /// Event-level replacement for the series' fee type.
    #[serde(default)]
    pub fee_type_override: Option<String>,
    /// Event-level replacement for the series' fee multiplier.
    #[serde(default)]
    pub fee_multiplier_override: Option<f64>,
    /// Nested markets.
    #[serde(default)]
    pub markets: Vec<Market>,
}

/// A binary market. Prices are the current dollar strings, with legacy cents as fallback.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Market {
    /// Market ticker.
    pub ticker: String,
    /// Event ticker.
    #[serde(default)]
    pub event_ticker: String,
    /// Lifecycle status (`active`, `closed`, ...; older data says `open`).
    #[serde(default)]
    pub status: MarketStatus,
    /// `greater`, `less`, `between`, ...
    #[serde(default)]
    pub strike_type: Option<String>,
    /// Lower strike.
    #[serde(default)]
    pub floor_strike: Option<f64>,
    /// Upper strike.
    #[serde(default)]
    pub cap_strike: Option<f64>,
    /// YES subtitle.
    #[serde(default)]
    pub yes_sub_title: String,
    /// Best YES bid in dollars.
    #[serde(default)]
    pub yes_bid_dollars: Option<Price>,
    /// Best YES ask in dollars.
    #[serde(default)]
    pub yes_ask_dollars: Option<Price>,
    /// Last trade in dollars.
    #[serde(default)]
    pub last_price_dollars: Option<Price>,
    /// Volume in contracts.
    #[serde(default)]
    pub volume_fp: Option<Count>,
    /// Legacy: best YES bid in cents.
    #[serde(default)]
    pub yes_bid: Option<i64>,
    /// Legacy: best YES ask in cents.
    #[serde(default)]
    pub yes_ask: Option<i64>,
    /// Legacy: volume in whole contracts.
    #[serde(default)]
    pub volume: Option<i64>,
    /// Full settlement rules.
    #[serde(default)]
    pub rules_primary: String,
    /// Settlement result (`yes`, `no`, or empty before settlement).
    #[serde(default)]
    pub result: String,
    /// When the market settled (RFC 3339; settled markets only).
    #[serde(default)]
    pub settlement_ts: Option<String>,
    /// When trading closed (RFC 3339).
    #[serde(default)]
    pub close_time: Option<String>,
}

/// `GET /markets` (one page).
#[derive(Debug, Clone, Deserialize)]
pub struct MarketsPage {
    /// Markets.
    #[serde(default)]
    pub markets: Vec<Market>,
    /// Next page; empty at the end.
    #[serde(default)]
    pub cursor: String,
}

/// `GET /markets/{ticker}`.
#[derive(Debug, Clone, Deserialize)]
pub struct MarketResponse {
    /// The market.
    pub market: Market,
}

/// A market field that does not make sense.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MarketError {
    /// A strike type this project does not trade, or strikes missing for it.
    #[error("market {ticker}: field strike_type: {detail}")]
    Strike {
        /// Market ticker.
        ticker: String,
        /// What is wrong.
        detail: String,
    },
    /// A legacy price outside 0..=100 cents.
    #[error("market {ticker}: field {field}: {source}")]
    Price {
        /// Market ticker.
        ticker: String,
        /// Field name.
        field: &'static str,
        /// Why.
        #[source]
        source: FixedError,
    },
}

impl Market {
    /// True when the market accepts orders.
    pub fn is_tradeable(&self) -> bool {
        matches!(self.status, MarketStatus::Active | MarketStatus::Open)
    }

    /// When the market settled, as the venue says: `settlement_ts`, else its `close_time`
    /// (the outcome is fixed by then); `None` when neither is there or reads.
    pub fn settled_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let read = |t: &Option<String>| {
            t.as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&chrono::Utc))
        };
        read(&self.settlement_ts).or_else(|| read(&self.close_time))
    }

    /// The side that pays, once the market is determined or settled.
    pub fn settled_result(&self) -> Option<crate::model::Side> {
        let settled = matches!(self.status, MarketStatus::Determined | MarketStatus::Finalized | MarketStatus::Settled);
        match (settled, self.result.as_str()) {
            (true, "yes") => Some(crate::model::Side::Yes),
            (true, "no") => Some(crate::model::Side::No),
            _ => None,
        }
    }

    /// The settlement rule, from `strike_type` and the strikes it needs.
    pub fn strike(&self) -> Result<Strike, MarketError> {
        let err = |detail: String| MarketError::Strike { ticker: self.ticker.clone(), detail };
        let need = |v: Option<f64>, name: &str| {
            v.filter(|x| x.is_finite()).ok_or_else(|| err(format!("needs a finite {name}")))
        };
        let kind = self.strike_type.as_deref().ok_or_else(|| err("missing".into()))?;
        Ok(match kind {
            "greater" => Strike::Greater { floor: need(self.floor_strike, "floor_strike")? },
            "greater_or_equal" => Strike::GreaterOrEqual { floor: need(self.floor_strike, "floor_strike")? },
            "less" => Strike::Less { cap: need(self.cap_strike, "cap_strike")? },
            "less_or_equal" => Strike::LessOrEqual { cap: need(self.cap_strike, "cap_strike")? },
            "between" => {
                let floor = need(self.floor_strike, "floor_strike")?;
                let cap = need(self.cap_strike, "cap_strike")?;
                if floor > cap {
                    return Err(err(format!("floor_strike {floor} is above cap_strike {cap}")));
                }
                Strike::Between { floor, cap }
            }
            other => return Err(err(format!("`{other}` is not a ladder strike type"))),
        })
    }

    /// The ladder rung this market is.
    pub fn rung(&self) -> Result<Rung, MarketError> {
        Ok(Rung { ticker: self.ticker.clone(), strike: self.strike()? })
    }

    /// Best YES bid: the dollar field, else legacy cents.
    pub fn yes_bid(&self) -> Result<Option<Price>, MarketError> {
        self.price_or_cents(self.yes_bid_dollars, self.yes_bid, "yes_bid")
    }

    /// Best YES ask: the dollar field, else legacy cents.
    pub fn yes_ask(&self) -> Result<Option<Price>, MarketError> {
        self.price_or_cents(self.yes_ask_dollars, self.yes_ask, "yes_ask")
    }

    fn price_or_cents(
        &self,
        dollars: Option<Price>,
        cents: Option<i64>,
        field: &'static str,
    ) -> Result<Option<Price>, MarketError> {
        crate::kalshi::portfolio::price_or_cents(dollars, cents, field).map_err(|e| MarketError::Price {
            ticker: self.ticker.clone(),
            field: e.field,
            source: e.source,
        })
    }
}

/// `GET /markets/{ticker}/orderbook` response in either era.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderbookResponse {
    /// Current shape: `{"orderbook_fp":{"yes_dollars":[["0.4200","13.00"]],"no_dollars":[...]}}`.
    #[serde(default)]
    pub orderbook_fp: Option<OrderbookFp>,
    /// Legacy shape: `{"orderbook":{"yes":[[42,13]],"no":[...]}}` (a side may be null).
    #[serde(default)]
    pub orderbook: Option<LegacyOrderbook>,
}

/// Current-era book: dollar-string prices and fixed-point counts, bids only, ascending.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrderbookFp {
    /// YES bids.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub yes_dollars: Vec<(Price, Count)>,
    /// NO bids.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub no_dollars: Vec<(Price, Count)>,
}

/// Legacy book: integer cents and integer counts.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LegacyOrderbook {
    /// YES bids.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub yes: Vec<(i64, i64)>,
    /// NO bids.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub no: Vec<(i64, i64)>,
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

impl OrderbookResponse {
    /// The book as exact levels; an absent book is empty.
    pub fn to_book(&self) -> Result<OrderBook, FixedError> {
        if let Some(fp) = &self.orderbook_fp {
            let levels = |side: &[(Price, Count)]| side.iter().map(|&(price, size)| Level { price, size }).collect();
            return Ok(OrderBook::from_levels(levels(&fp.yes_dollars), levels(&fp.no_dollars)));
        }
        let Some(legacy) = &self.orderbook else { return Ok(OrderBook::default()) };
        let levels = |side: &[(i64, i64)]| -> Result<Vec<Level>, FixedError> {
            side.iter()
                .map(|&(cents, count)| Ok(Level { price: Price::from_cents(cents)?, size: Count::from_whole(count)? }))
                .collect()
        };
        Ok(OrderBook::from_levels(levels(&legacy.yes)?, levels(&legacy.no)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_orderbook() {
        let r: OrderbookResponse = serde_json::from_str(
            r#"{"orderbook_fp":{"yes_dollars":[["0.4000","5.00"],["0.4200","13.00"]],"no_dollars":null},"extra":1}"#,
        )
        .unwrap();
        let book = r.to_book().unwrap();
        assert_eq!(book.best_yes_bid().unwrap().price.to_string(), "0.4200");
        assert!(book.no_bids().is_empty());
    }

    #[test]
    fn legacy_orderbook() {
        let r: OrderbookResponse = serde_json::from_str(r#"{"orderbook":{"yes":[[42,13]],"no":[[55,7]]}}"#).unwrap();
        let book = r.to_book().unwrap();
        assert_eq!(book.best_yes_ask().unwrap().price.to_string(), "0.4500");
        let bad: OrderbookResponse = serde_json::from_str(r#"{"orderbook":{"yes":[[142,13]]}}"#).unwrap();
        assert!(bad.to_book().is_err());
    }

    #[test]
    fn market_strikes_and_legacy_prices() {
        let m: Market = serde_json::from_str(
            r#"{"ticker":"X-B67.5","strike_type":"between","floor_strike":67,"cap_strike":68,"yes_bid":30,"status":"active"}"#,
        )
        .unwrap();
        assert_eq!(m.strike().unwrap(), Strike::Between { floor: 67.0, cap: 68.0 });
        assert_eq!(m.yes_bid().unwrap().unwrap().to_string(), "0.3000");
        let bad: Market = serde_json::from_str(r#"{"ticker":"Y","strike_type":"functional"}"#).unwrap();
        assert!(bad.strike().unwrap_err().to_string().contains("field strike_type"));
    }
}
