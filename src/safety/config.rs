//! `configs/live.toml`: how the live broker runs — queue capacity, the session order group's
//! contracts limit, watchdog bounds, reconciliation cadence, kill-switch polling, and the
//! quiet time after a cancel-all. Every field is required.

use serde::Deserialize;

use crate::model::Count;

/// The live broker's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveConfig {
    /// Most requests waiting in the cancel/replace queue (at least 1: a queue that holds
    /// nothing would drop cancels).
    pub queue_capacity: std::num::NonZeroUsize,
    /// Contracts limit of the session's order group (rolling 15 s, enforced by the venue).
    pub order_group_contracts: Count,
    /// Cancel resting orders when the market-data or user feed has been down this long.
    pub feed_down_cancel_secs: u64,
    /// Cancel resting orders when the heartbeat is older than this.
    pub heartbeat_stale_cancel_secs: u64,
    /// Reconcile fills and orders with the venue at most this often while a session runs.
    pub sync_interval_ms: u64,
    /// How often the kill-switch watcher looks at the file.
    pub kill_poll_ms: u64,
    /// No new orders for this long after a cancel-all (the venue may cancel orders placed
    /// in the minute after one).
    pub cancel_all_quiet_secs: u64,
}
