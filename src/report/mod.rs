//! Reports: Markdown per series. Renders text; never places orders.

pub mod backtest;
pub mod markdown;
pub mod svg;
