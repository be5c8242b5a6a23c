//! What the exchange shows of one ladder event at one moment, in domain terms: the series'
//! resolved fee schedule, the rungs with their strike rules, and each market's book with its
//! age. Adapters build it from fixtures, REST responses or live WebSocket books
//! (`feed::snapshot`); the scan reads nothing else.

use serde::Serialize;

use crate::model::{OrderBook, Strike};
use crate::pricing::fees::FeeSchedule;

/// One ladder event, ready to scan.
#[derive(Debug, Clone, PartialEq)]
pub struct LadderSnapshot {
    /// Series ticker.
    pub series: String,
    /// Event ticker.
    pub event: String,
    /// Event title.
    pub title: String,
    /// The fees that apply to this event (series, event overrides and `fees.toml` resolved).
    pub fees: FeeSchedule,
    /// The event's markets, in the order the exchange lists them.
    pub rungs: Vec<RungSnapshot>,
    /// Where it came from (a fixture file, a URL, `live`), for errors and reports.
    pub source: String,
}

/// A series and the snapshots of its events, as one session scans them.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSnapshot {
    /// Series ticker.
    pub ticker: String,
    /// Series title.
    pub title: String,
    /// The series' own fees (no event override), for reports.
    pub fees: FeeSchedule,
    /// Its events, in ticker order.
    pub events: Vec<LadderSnapshot>,
    /// Events seen but not snapshotted, with why.
    pub skipped: Vec<(String, String)>,
}

/// One market of the ladder.
#[derive(Debug, Clone, PartialEq)]
pub struct RungSnapshot {
    /// Market ticker.
    pub ticker: String,
    /// Settlement rule.
    pub strike: Strike,
    /// The market accepts orders.
    pub tradeable: bool,
    /// The market's book.
    pub book: OrderBook,
    /// How old the book was when the snapshot was taken, in milliseconds (0 for a fixture
    /// read as "now" under `--offline`).
    pub book_age_ms: i64,
}

/// How fresh a snapshot's books are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookAge {
    /// The oldest book's market.
    pub oldest_ticker: String,
    /// Its age, milliseconds.
    pub oldest_ms: i64,
}

impl LadderSnapshot {
    /// The rung of `ticker`.
    pub fn rung(&self, ticker: &str) -> Option<&RungSnapshot> {
        self.rungs.iter().find(|r| r.ticker == ticker)
    }

    /// The oldest book in the snapshot (`None` without rungs).
    pub fn oldest_book(&self) -> Option<BookAge> {
        self.rungs
            .iter()
            .max_by_key(|r| r.book_age_ms)
            .map(|r| BookAge { oldest_ticker: r.ticker.clone(), oldest_ms: r.book_age_ms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::fees::FeeMultiplier;

    #[test]
    fn oldest_book_is_the_largest_age() {
        let rung = |t: &str, age| RungSnapshot {
            ticker: t.into(),
            strike: Strike::Greater { floor: 1.0 },
            tradeable: true,
            book: OrderBook::default(),
            book_age_ms: age,
        };
        let snap = LadderSnapshot {
            series: "S".into(),
            event: "E".into(),
            title: String::new(),
            fees: FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE),
            rungs: vec![rung("A", 5), rung("B", 900), rung("C", 10)],
            source: "test".into(),
        };
        assert_eq!(snap.oldest_book(), Some(BookAge { oldest_ticker: "B".into(), oldest_ms: 900 }));
        assert!(snap.rung("C").is_some());
    }
}
