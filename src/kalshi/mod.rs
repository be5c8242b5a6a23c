//! Kalshi API types. Decoding only here; clients and signing come with the connectivity work.

pub mod market_data;
