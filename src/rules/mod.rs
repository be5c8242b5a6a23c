//! The Rhai rules engine: the hardened host, the typed API, the policy set (PAL, pilot,
//! gates) with its own test cases, and hot reload. Reads script files; never touches the
//! network.

pub mod api;
pub mod cases;
pub mod check;
pub mod host;
pub mod policy;
pub mod reload;
pub mod shape;
