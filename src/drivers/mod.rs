//! Data sources: Kalshi market fixtures, and the public-data drivers — pure parsers
//! (`parse`), the source registry (`source`), fetching with fallback (`fetch`), and the raw
//! and parsed store (`store`). `research::dataset` assembles what strategies read.

pub mod city;
pub mod fetch;
pub mod fixtures;
pub mod parse;
pub mod source;
pub mod store;
