//! Kalshi Alpha: research, paper-trading and guarded live-trading of Kalshi ladder markets.
//!
//! The library holds everything; the `kalshi-alpha` binary parses arguments and wires it up.
//! See `ARCHITECTURE.md` for the code map and the invariants each module keeps. The rooms, from
//! the bottom up: the pure core (`model`, `pricing`, `rate`, `risk`, `ledger`, `paper`,
//! `safety`, `schedule`, `strategies`, `scan`), the wire (`kalshi`), the adapters from wire to
//! domain (`feed`), and the I/O shell (`brokers`, `session`, `daemon`, `research`, `doctor`).

/// Where orders go: the broker trait, dry, paper and live brokers, their journals and controls.
pub mod brokers;
/// The source of the current instant (the one place that reads the system clock).
pub mod clock;
/// The operator's TOML files a scan reads.
pub mod config;
/// The scheduler that runs named playbooks at their times, and its status page.
pub mod daemon;
/// Reading JSON and TOML files with errors that name file and field.
pub mod decode;
/// A read-only check of a deployment, one line per check.
pub mod doctor;
/// Data drivers: public sources fetched, parsed, stored; offline fixtures.
pub mod drivers;
/// Evidence: the scoreboard over ledgers, decisions and proposals.
pub mod evidence;
/// Adapters from exchange data to domain snapshots: fixture and REST ladders, the live market
/// feed.
pub mod feed;
/// Kalshi API shapes and transport (REST, WebSocket, signing, replay).
pub mod kalshi;
/// Positions, cash, fees and realised P&L from order events, fills and settlements (pure).
pub mod ledger;
/// Exact money (`Price`, `Count`, `Money`), order books, ladders and order proposals.
pub mod model;
/// The paper fill model: taker walks and maker queue positions (pure).
pub mod paper;
/// Fees, market and model PMFs, EV after fees, Kelly.
pub mod pricing;
/// Request rates: token buckets and the account's request costs (pure).
pub mod rate;
/// Markdown reports and SVG charts.
pub mod report;
/// Data sets, calibration and point-in-time backtests.
pub mod research;
/// Hard ceilings, effective limits and the decisions they make on proposals.
pub mod risk;
/// The Rhai rules engine: sandboxed host, script API, policy set, test cases, hot reload.
pub mod rules;
/// Real-money controls, pure: trading states, order journal records, pre-trade checks, VaR,
/// arming and reconciliation.
pub mod safety;
/// The pure scan: a domain snapshot of a ladder event in, proposals and decisions out.
pub mod scan;
/// The schedule of named playbooks and its calendars, in New York time (pure).
pub mod schedule;
/// Sessions: inputs, gate inputs, planning, submitting and writing; playbooks and their state files.
pub mod session;
/// The local exchange simulator (loopback HTTP) that tests and paper sessions trade against.
pub mod sim;
/// Atomic file writes and append-only audit logs.
pub mod storage;
/// Model distributions: operator views and per-series strategies.
pub mod strategies;
