//! Adapters from exchange data to domain snapshots: fixture and REST ladders and the fee
//! resolver (`snapshot`, pure), and the live market feed that keeps books subscribed across a
//! session (`market`). `kalshi` knows the wire; `scan` knows the domain; this room joins them.

/// The online market feed: REST ladders, WebSocket books and trades, monitors.
pub mod market;
/// Wire ladders and books into `scan::LadderSnapshot`s, fees resolved in one place (pure).
pub mod snapshot;
