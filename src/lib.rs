//! Kalshi Alpha: research, paper-trading and guarded live-trading of Kalshi ladder markets.
//!
//! The library holds everything; the `kalshi-alpha` binary parses arguments and wires it up.
//! See `ARCHITECTURE.md` for the code map and the invariants each module keeps.

/// The source of the current instant (the one place that reads the system clock).
pub mod clock;
/// The operator's TOML files a scan reads.
pub mod config;
/// Reading JSON and TOML files with errors that name file and field.
pub mod decode;
/// Data drivers: offline fixtures in the real sources' formats.
pub mod drivers;
/// Sessions that sequence I/O around the scan: brokers, ledger, playbooks, policy evaluation.
pub mod exec;
/// Kalshi API shapes (current dollar-string era, legacy cents accepted).
pub mod kalshi;
/// Positions, cash, fees and realised P&L from order events, fills and settlements (pure).
pub mod ledger;
/// The live lane's pure parts: trading states, order journal records, pre-trade checks, VaR,
/// throttles, arming and reconciliation.
pub mod live;
/// Exact money (`Price`, `Count`, `Money`), order books, ladders and order proposals.
pub mod model;
/// The paper fill model: taker walks and maker queue positions (pure).
pub mod paper;
/// Fees, market and model PMFs, EV after fees, Kelly.
pub mod pricing;
/// Markdown reports.
pub mod report;
/// Hard ceilings, effective limits and the decisions they make on proposals.
pub mod risk;
/// The Rhai rules engine: sandboxed host, script API, policy set, test cases, hot reload.
pub mod rules;
/// The pure scan: a domain snapshot of a ladder event in, proposals and decisions out.
pub mod scan;
/// The schedule of named playbooks and its calendars, in New York time (pure).
pub mod schedule;
/// The local exchange simulator (loopback HTTP) that tests and paper sessions trade against.
pub mod sim;
/// Atomic file writes and append-only audit logs.
pub mod storage;
/// Model distributions: operator views now, per-series strategies later.
pub mod strategies;
