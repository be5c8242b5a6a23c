//! Reports: Markdown per series. Renders text; never places orders.

pub mod markdown;
