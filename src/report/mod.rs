//! Reports: Markdown per series. Renders text; never places orders.

pub mod backtest;
pub mod depth;
pub mod html;
/// The index ladders' per-window CSV and Markdown.
pub mod index_window;
pub mod markdown;
pub mod svg;
