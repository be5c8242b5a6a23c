//! A static order book snapshot: YES bids and NO bids, as Kalshi publishes them.
//!
//! Kalshi lists only bids. A YES ask is `1 − best NO bid` and a NO ask is `1 − best YES bid`.

use serde::Serialize;

use super::fixed::{Count, Price};

/// One price level: a price and the contracts resting there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Level {
    /// Price of the level.
    pub price: Price,
    /// Contracts resting at that price.
    pub size: Count,
}

/// The best price on one side and the size resting there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Top {
    /// Best price.
    pub price: Price,
    /// Size at the best price.
    pub size: Count,
}

/// Bids on both sides of one binary market, each sorted ascending by price (best last).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderBook {
    yes_bids: Vec<Level>,
    no_bids: Vec<Level>,
}

impl OrderBook {
    /// Builds a book from bid levels in any order; empty levels are dropped and equal prices
    /// are merged.
    pub fn from_levels(yes_bids: Vec<Level>, no_bids: Vec<Level>) -> OrderBook {
        OrderBook { yes_bids: normalise(yes_bids), no_bids: normalise(no_bids) }
    }

    /// YES bids, ascending by price.
    pub fn yes_bids(&self) -> &[Level] {
        &self.yes_bids
    }

    /// NO bids, ascending by price.
    pub fn no_bids(&self) -> &[Level] {
        &self.no_bids
    }

    /// Best YES bid.
    pub fn best_yes_bid(&self) -> Option<Top> {
        self.yes_bids.last().map(|l| Top { price: l.price, size: l.size })
    }

    /// Best NO bid.
    pub fn best_no_bid(&self) -> Option<Top> {
        self.no_bids.last().map(|l| Top { price: l.price, size: l.size })
    }

    /// Best YES ask, implied by the best NO bid.
    pub fn best_yes_ask(&self) -> Option<Top> {
        self.best_no_bid().map(|t| Top { price: t.price.complement(), size: t.size })
    }

    /// Best NO ask, implied by the best YES bid.
    pub fn best_no_ask(&self) -> Option<Top> {
        self.best_yes_bid().map(|t| Top { price: t.price.complement(), size: t.size })
    }

    /// YES mid price; a missing bid counts as 0 and a missing ask as 1. `None` for an empty book.
    pub fn yes_mid(&self) -> Option<Price> {
        if self.yes_bids.is_empty() && self.no_bids.is_empty() {
            return None;
        }
        let bid = self.best_yes_bid().map_or(Price::ZERO, |t| t.price);
        let ask = self.best_yes_ask().map_or(Price::ONE, |t| t.price);
        Some(bid.midpoint(ask))
    }

    /// True when both a YES bid and a NO bid rest.
    pub fn is_two_sided(&self) -> bool {
        !self.yes_bids.is_empty() && !self.no_bids.is_empty()
    }

    /// True when the best YES bid is at or above the implied YES ask (a crossed book).
    pub fn is_crossed(&self) -> bool {
        match (self.best_yes_bid(), self.best_yes_ask()) {
            (Some(bid), Some(ask)) => bid.price >= ask.price,
            _ => false,
        }
    }
}

/// Bid levels ascending by price, empty levels dropped and equal prices merged.
pub fn normalise(mut levels: Vec<Level>) -> Vec<Level> {
    levels.retain(|l| !l.size.is_zero());
    levels.sort_by_key(|l| l.price);
    let mut merged: Vec<Level> = Vec::with_capacity(levels.len());
    for level in levels {
        match merged.last_mut() {
            Some(last) if last.price == level.price => last.size = last.size + level.size,
            _ => merged.push(level),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(p: &str, s: &str) -> Level {
        Level { price: p.parse().unwrap(), size: s.parse().unwrap() }
    }

    #[test]
    fn implied_asks_and_mid() {
        let book = OrderBook::from_levels(
            vec![lvl("0.4200", "13.00"), lvl("0.4000", "5.00")],
            vec![lvl("0.5500", "7.00"), lvl("0.5000", "0.00")],
        );
        assert_eq!(book.best_yes_bid().unwrap().price.to_string(), "0.4200");
        assert_eq!(book.best_yes_ask().unwrap().price.to_string(), "0.4500");
        assert_eq!(book.best_no_ask().unwrap().price.to_string(), "0.5800");
        assert_eq!(book.yes_mid().unwrap().to_string(), "0.4350");
        assert_eq!(book.no_bids().len(), 1, "zero-size level dropped");
        assert!(!book.is_crossed());
    }

    #[test]
    fn one_sided_and_empty() {
        let book = OrderBook::from_levels(vec![lvl("0.1000", "1.00")], vec![]);
        assert_eq!(book.yes_mid().unwrap().to_string(), "0.5500");
        assert!(!book.is_two_sided());
        assert_eq!(OrderBook::default().yes_mid(), None);
    }

    #[test]
    fn merges_equal_prices() {
        let book = OrderBook::from_levels(vec![lvl("0.30", "1.00"), lvl("0.30", "2.50")], vec![]);
        assert_eq!(book.yes_bids(), &[lvl("0.30", "3.50")]);
    }
}
