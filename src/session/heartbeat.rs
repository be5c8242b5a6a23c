//! The heartbeat file (`data/proc/state/heartbeat.json`): written during sessions with the
//! New York time, mode, broker, outstanding orders and policy version; the gate reads its age.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::America::New_York;
use serde::{Deserialize, Serialize};

/// One beat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// When, UTC (RFC 3339).
    pub ts: DateTime<Utc>,
    /// The same instant in New York, with its offset.
    pub et: String,
    /// `offline` or the exchange's base URL.
    pub mode: String,
    /// `dry`, `paper`, …
    pub broker: String,
    /// Orders resting at the broker.
    pub outstanding_orders: usize,
    /// SHA-256 of the policy set in force.
    pub policy_version: String,
}

impl Heartbeat {
    /// A beat at `now`.
    pub fn new(now: DateTime<Utc>, mode: &str, broker: &str, outstanding_orders: usize, policy: &str) -> Heartbeat {
        Heartbeat {
            ts: now,
            et: now.with_timezone(&New_York).to_rfc3339(),
            mode: mode.to_string(),
            broker: broker.to_string(),
            outstanding_orders,
            policy_version: policy.to_string(),
        }
    }
}

/// The heartbeat file of an output root.
#[derive(Debug, Clone)]
pub struct HeartbeatFile(PathBuf);

impl HeartbeatFile {
    /// `out_root/data/proc/state/heartbeat.json`.
    pub fn under(out_root: &Path) -> HeartbeatFile {
        HeartbeatFile(out_root.join("data/proc/state/heartbeat.json"))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes a beat atomically.
    pub fn write(&self, beat: &Heartbeat) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(beat).map_err(std::io::Error::other)?;
        crate::storage::write_replace(&self.0, &json)
    }

    /// The last beat, if the file is there and reads.
    pub fn read(&self) -> Option<Heartbeat> {
        serde_json::from_slice(&std::fs::read(&self.0).ok()?).ok()
    }

    /// Seconds since the last beat as of `now` (`None`: no readable beat — the gate treats
    /// that as stale).
    pub fn age_secs(&self, now: DateTime<Utc>) -> Option<f64> {
        self.read().map(|b| (now - b.ts).num_milliseconds().max(0) as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_comes_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = HeartbeatFile::under(dir.path());
        let t0: DateTime<Utc> = "2026-11-24T15:00:00Z".parse().unwrap();
        assert_eq!(file.age_secs(t0), None, "no file: unknown");
        file.write(&Heartbeat::new(t0, "offline", "paper", 2, "abc")).unwrap();
        assert_eq!(file.age_secs(t0 + chrono::Duration::milliseconds(2500)), Some(2.5));
        assert_eq!(file.read().unwrap().et, "2026-11-24T10:00:00-05:00");
    }
}
