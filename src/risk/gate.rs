//! The built-in GO/NO-GO gate for a series' scan: a latched kill switch, or quotes too odd
//! to trade against, mean NO-GO. (Operator gate scripts can only add reasons to say NO-GO.)

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::pricing::market_pmf::PmfFlag;

/// A GO/NO-GO decision with its named reasons (empty when GO).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Gate {
    /// True for GO.
    pub go: bool,
    /// Why NO-GO, as `CODE: detail` strings.
    pub reasons: Vec<String>,
}

/// One session's decisions, as a line of `data/proc/gates.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct GateLine {
    /// When the session decided.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Which session (`scan`, `playbook NAME`).
    pub source: String,
    /// The policy set that decided.
    pub policy_version: String,
    /// Each series' decision.
    pub series: std::collections::BTreeMap<String, Gate>,
}

/// The gate's inputs that do not come from the scan itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GateInputs {
    /// The kill-switch file exists.
    pub kill_switch: bool,
    /// Age of the heartbeat file, seconds (`None`: missing or unreadable).
    pub heartbeat_age_secs: Option<f64>,
    /// Local minus exchange clock, ms (`None`: unknown).
    pub clock_skew_ms: Option<i64>,
    /// Monitor name → `ok`/`warn`/`alert`, from the feed and the ledger.
    pub monitors: BTreeMap<String, String>,
    /// Market data comes from the exchange (online or live), not fixtures.
    pub online: bool,
}

impl GateInputs {
    /// A session judged as fresh: heartbeat just written, no clock skew, no monitors (policy
    /// evaluation against fixtures and rehearsals, which have no exchange and write nothing).
    pub fn fresh() -> GateInputs {
        GateInputs { heartbeat_age_secs: Some(0.0), clock_skew_ms: Some(0), ..GateInputs::default() }
    }
}

impl Gate {
    /// `GO` or `NO-GO`.
    pub fn badge(&self) -> &'static str {
        if self.go { "GO" } else { "NO-GO" }
    }
}

/// What a gate script judges: monitors, freshness and safety state for one series.
/// Unknown figures are `None` (scripts see `()`), never a made-up number.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateContext {
    /// Series ticker.
    pub series: String,
    /// The kill-switch file exists.
    #[serde(default)]
    pub kill_switch: bool,
    /// Blocking quote problems found by the scan, as `CODE: detail` strings.
    #[serde(default)]
    pub book_flags: Vec<String>,
    /// Monitor name → status (`ok`, `warn`, `alert`, ...).
    #[serde(default)]
    pub monitors: BTreeMap<String, String>,
    /// Age of the newest market data, seconds.
    #[serde(default)]
    pub data_age_secs: Option<f64>,
    /// Age of the oldest input the strategies priced from, seconds (since it was fetched;
    /// unknown for a bundled fixture).
    #[serde(default)]
    pub model_data_age_secs: Option<f64>,
    /// That input's source (empty when no strategy data priced the series: views only).
    #[serde(default)]
    pub model_data_source: String,
    /// The session reads the exchange (online or live), not fixtures.
    #[serde(default)]
    pub online: bool,
    /// Age of the model calibration, hours.
    #[serde(default)]
    pub calibration_age_hours: Option<f64>,
    /// Age of the last heartbeat, seconds.
    #[serde(default)]
    pub heartbeat_age_secs: Option<f64>,
    /// Local clock minus exchange clock, milliseconds.
    #[serde(default)]
    pub clock_skew_ms: Option<i64>,
    /// Wall time in New York, `HH:MM`.
    #[serde(default)]
    pub now_et: String,
}

impl Gate {
    /// The built-in gate tightened by a script's verdict: GO only when both say GO;
    /// reasons both give appear once.
    pub fn and(mut self, other: Gate) -> Gate {
        self.go &= other.go;
        for reason in other.reasons {
            if !self.reasons.contains(&reason) {
                self.reasons.push(reason);
            }
        }
        self
    }
}

/// Decides GO/NO-GO from the kill switch and each event's quote flags.
pub fn builtin_gate<'a>(kill_switch: bool, events: impl IntoIterator<Item = (&'a str, &'a [PmfFlag])>) -> Gate {
    let mut reasons = Vec::new();
    if kill_switch {
        reasons.push("KILL_SWITCH: engaged".to_string());
    }
    for (event, flags) in events {
        for flag in flags.iter().filter(|f| f.is_blocking()) {
            let detail = serde_json::to_string(flag).unwrap_or_default();
            reasons.push(format!("MARKET_PMF: event={event} {detail}"));
        }
    }
    Gate { go: reasons.is_empty(), reasons }
}

impl GateInputs {
    /// The monitors that judge `series`: all of them except another series' own
    /// (`cusum_<OTHER>`).
    pub fn monitors_for(&self, series: &str) -> BTreeMap<String, String> {
        self.monitors
            .iter()
            .filter(|(name, _)| name.strip_prefix("cusum_").is_none_or(|owner| owner == series))
            .map(|(name, status)| (name.clone(), status.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_switch_and_blocking_flags() {
        assert!(builtin_gate(false, []).go);
        let flags = [PmfFlag::OneSided { rung: 0 }];
        assert!(builtin_gate(false, [("E", &flags[..])]).go, "one-sided books do not block");
        let blocking = [PmfFlag::SumFarFromOne { sum: 1.4 }];
        let gate = builtin_gate(true, [("E", &blocking[..])]);
        assert!(!gate.go);
        assert_eq!(gate.reasons[0], "KILL_SWITCH: engaged");
        assert!(gate.reasons[1].starts_with("MARKET_PMF: event=E"));
    }
}
