//! Research: the data set strategies read (aged, point in time), calibration from the
//! payloads kept, and point-in-time backtests of settled events.

/// Point-in-time scoring of settled events.
pub mod backtest;
/// Fitting strategy parameters from every payload kept.
pub mod calibration;
/// The inputs strategies read, each aged and checked against `max_age_hours`.
pub mod dataset;
/// When each series' backtest decides (`configs/backtest.toml`).
pub mod decision;
/// Backtest books from candles and fills through the paper fill model.
pub mod fills;
/// Every payload kept, merged, and what was public before a cutoff.
pub mod history;
