//! Exact money types, order books and ladders. Pure: no I/O, no clock.

pub mod book;
mod decimal;
mod fixed;
pub mod ladder;
pub mod order;

pub use book::{Level, OrderBook, Top, normalise};
pub use decimal::DecimalError;
pub use fixed::{COUNT_DP, Count, FixedError, MAX_CONTRACTS, MONEY_DP, Money, PRICE_DP, Price, SignedCount};
pub use ladder::{Ladder, LadderError, LadderKind, Rung, Side, Strike};
pub use order::{BrokerKind, Proposal, Role};

/// Parses a non-negative decimal with at most `dp` places into units of `10^-dp`.
pub fn parse_fixed(text: &str, dp: u32) -> Result<i64, DecimalError> {
    decimal::parse_scaled(text, dp, false)
}
