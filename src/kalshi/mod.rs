//! Kalshi API types: current dollar-string / `_fp` shapes, legacy integer fields read where
//! present, unknown fields ignored and unknown enum values kept as `Unknown(..)`.

pub mod account;
pub mod backoff;
pub mod credentials;
pub mod error;
pub mod exchange;
pub mod live_book;
pub mod market_data;
pub mod open_enum;
pub mod orders;
pub mod portfolio;
pub mod replay;
pub mod rest;
pub mod runtime;
pub mod signing;
pub mod ws;
pub mod ws_client;
