//! Data sources. For now: offline Kalshi market data from fixture files.

pub mod fixtures;
pub mod parse;
