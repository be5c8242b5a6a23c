//! Execution: the scanner, brokers, clocks and the sessions that tie them together.

pub mod broker;
pub mod clock;
pub mod offline;
pub mod playbook;
pub mod policy_eval;
pub mod scan;
