//! The built-in GO/NO-GO gate for a series' scan: a latched kill switch, or quotes too odd
//! to trade against, mean NO-GO. (Operator gate scripts can only add reasons to say NO-GO.)

use serde::Serialize;

use crate::pricing::market_pmf::PmfFlag;

/// A GO/NO-GO decision with its named reasons (empty when GO).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gate {
    /// True for GO.
    pub go: bool,
    /// Why NO-GO, as `CODE: detail` strings.
    pub reasons: Vec<String>,
}

impl Gate {
    /// `GO` or `NO-GO`.
    pub fn badge(&self) -> &'static str {
        if self.go { "GO" } else { "NO-GO" }
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
