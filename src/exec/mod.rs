//! Execution: sequences I/O around the pure scan — brokers, sessions, playbooks, policy evaluation.

pub mod backtest;
pub mod broker;
pub mod calibration;
pub mod controls;
pub mod daemon;
pub mod dataset;
pub mod dir_lock;
pub mod equity;
pub mod heartbeat;
pub mod journal;
pub mod kill_watch;
pub mod ledger_tables;
pub mod live_broker;
pub mod online;
pub mod order_journal;
pub mod paper_broker;
pub mod playbook;
pub mod policy_eval;
pub mod schedule_files;
pub mod session;
pub mod signals;
pub mod status;
pub mod venue;
