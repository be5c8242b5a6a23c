//! Real-money controls, pure: trading states, the order journal's records and their fold, the
//! pre-trade checks with value at risk, the cancel/replace queue, arming and reconciliation.
//! No I/O and no clock: `brokers::live` and the live commands feed them.

pub mod arming;
pub mod config;
pub mod orders;
pub mod pretrade;
pub mod queue;
pub mod reconcile;
pub mod state;
pub mod var;
