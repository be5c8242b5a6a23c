//! Data sources: Kalshi market fixtures, and the public-data drivers — pure parsers
//! (`parse`), the source registry (`source`), fetching with fallback (`fetch`), the raw and
//! parsed store (`store`), and the data strategies read (`dataset`).

pub mod dataset;
pub mod fetch;
pub mod fixtures;
pub mod parse;
pub mod source;
pub mod store;
