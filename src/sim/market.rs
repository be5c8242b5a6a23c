//! Market data the simulator serves, read from fixture files in the exchange's shapes, and
//! the exchange seeded with the fixture books as resting liquidity.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::decode::read_json;
use crate::drivers::fixtures::{FixtureError, load_market_fixtures};
use crate::feed::snapshot::{SnapshotError, event_fees};
use crate::model::{Money, Price};
use crate::pricing::fees::FeeConfig;
use crate::sim::exchange::Exchange;

/// Series, events and markets as JSON, keyed by ticker.
#[derive(Debug, Default)]
pub struct MarketData {
    series: BTreeMap<String, Value>,
    events: BTreeMap<String, Value>,
    markets: Vec<Value>,
}

/// Fixtures the simulator cannot use.
#[derive(Debug, thiserror::Error)]
pub enum SimFixtureError {
    /// A fixture file.
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    /// A series whose fees cannot be priced.
    #[error("series {series}: {message}")]
    Fees {
        /// Series.
        series: String,
        /// Why.
        message: String,
    },
}

impl MarketData {
    /// Loads `root/kalshi/…` and seeds `Exchange` with every book, our account holding `cash`.
    pub fn load(root: &Path, cash: Money) -> Result<(MarketData, Exchange), SimFixtureError> {
        let fixtures = load_market_fixtures(root, &[])?;
        let mut data = MarketData::default();
        let mut exchange = Exchange::new(cash);
        for series in &fixtures {
            let ticker = &series.series.ticker;
            let fees_err = |e: SnapshotError| SimFixtureError::Fees { series: ticker.clone(), message: e.to_string() };
            let series_json: Value = read_json(&root.join("kalshi/series").join(format!("{ticker}.json")))
                .map_err(|e| SimFixtureError::Fixture(FixtureError::File(e)))?;
            data.series.insert(ticker.clone(), series_json);
            for event in &series.events {
                let raw: Value = read_json(&event.path).map_err(|e| SimFixtureError::Fixture(FixtureError::File(e)))?;
                let mut markets: Vec<Value> = raw["event"]["markets"]
                    .as_array()
                    .or_else(|| raw["markets"].as_array())
                    .cloned()
                    .unwrap_or_default();
                for m in &mut markets {
                    m["event_ticker"] = json!(event.event.event_ticker);
                    m["series_ticker"] = json!(ticker);
                }
                let mut nested = raw["event"].clone();
                nested["markets"] = json!(markets);
                data.events.insert(event.event.event_ticker.clone(), json!({ "event": nested }));
                data.markets.extend(markets);
                // The exchange charges what it reports: series values and event overrides.
                let fees = event_fees(&series.series, &event.event, &FeeConfig::exchange()).map_err(fees_err)?;
                for (market, book) in &event.books {
                    let levels =
                        |ls: &[crate::model::Level]| ls.iter().map(|l| (l.price, l.size)).collect::<Vec<(Price, _)>>();
                    exchange.list_market(market, fees, &levels(book.yes_bids()), &levels(book.no_bids()));
                }
            }
        }
        Ok((data, exchange))
    }

    /// `GET /series/{t}` body.
    pub fn series(&self, ticker: &str) -> Option<Value> {
        self.series.get(ticker).cloned()
    }

    /// `GET /events/{t}` body (markets nested).
    pub fn event(&self, ticker: &str) -> Option<Value> {
        self.events.get(ticker).cloned()
    }

    /// Settles a market at `at`: status `finalized`, `result` and `settlement_ts`, in the
    /// market list and its event.
    /// False for an unknown market.
    pub fn settle(&mut self, ticker: &str, result: &str, at: chrono::DateTime<chrono::Utc>) -> bool {
        let mark = |m: &mut Value| {
            m["status"] = json!("finalized");
            m["result"] = json!(result);
            m["settlement_ts"] = json!(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        };
        let Some(market) = self.markets.iter_mut().find(|m| m["ticker"] == ticker) else { return false };
        mark(market);
        for event in self.events.values_mut() {
            if let Some(ms) = event["event"]["markets"].as_array_mut() {
                ms.iter_mut().filter(|m| m["ticker"] == ticker).for_each(mark);
            }
        }
        true
    }

    /// One market.
    pub fn market(&self, ticker: &str) -> Option<Value> {
        self.markets.iter().find(|m| m["ticker"] == ticker).cloned()
    }

    /// `GET /markets` page.
    pub fn markets_page(
        &self,
        series: Option<&str>,
        event: Option<&str>,
        status: Option<&str>,
        limit: Option<&str>,
        cursor: Option<&str>,
    ) -> Value {
        let wanted = |m: &&Value| {
            series.is_none_or(|s| m["series_ticker"] == s)
                && event.is_none_or(|e| m["event_ticker"] == e)
                && status.is_none_or(|s| m["status"] == s || (s == "open" && m["status"] == "active"))
        };
        let items: Vec<Value> = self.markets.iter().filter(wanted).cloned().collect();
        crate::sim::server::paginate("markets", items, limit, cursor)
    }
}
