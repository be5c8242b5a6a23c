//! Trading states, pure: ACTIVE (anything the limits allow), REDUCING (only orders that shrink
//! a position, and cancels), HALTED (only cancels). Operators may set any state; gates, loss
//! caps, the kill switch and scripts may only move it toward HALTED.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How much trading is allowed, from most to least.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TradingState {
    /// New orders as the limits allow.
    Active,
    /// Only orders that reduce a position; cancels.
    Reducing,
    /// Only cancels.
    Halted,
}

impl TradingState {
    /// `active`, `reducing` or `halted`.
    pub fn as_str(self) -> &'static str {
        match self {
            TradingState::Active => "active",
            TradingState::Reducing => "reducing",
            TradingState::Halted => "halted",
        }
    }

    /// Whether a new order may be sent; `reduces` says whether it only shrinks a position.
    /// Cancels are never asked: they are always allowed.
    pub fn allows_order(self, reduces: bool) -> bool {
        match self {
            TradingState::Active => true,
            TradingState::Reducing => reduces,
            TradingState::Halted => false,
        }
    }

    /// The state after a non-operator asks for `wanted`: never looser than now.
    pub fn toward_halted(self, wanted: TradingState) -> TradingState {
        self.max(wanted)
    }
}

impl std::str::FromStr for TradingState {
    type Err = String;

    fn from_str(text: &str) -> Result<TradingState, String> {
        match text.to_ascii_lowercase().as_str() {
            "active" => Ok(TradingState::Active),
            "reducing" => Ok(TradingState::Reducing),
            "halted" => Ok(TradingState::Halted),
            other => Err(format!("unknown trading state `{other}` (active, reducing, halted)")),
        }
    }
}

/// Who changed the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Changer {
    /// A person, through `state set` or `kill reset`.
    Operator,
    /// The GO/NO-GO gate.
    Gate,
    /// A daily or weekly loss cap.
    LossCap,
    /// The kill switch.
    KillSwitch,
    /// A playbook script.
    Script,
    /// A watchdog (feed down, stale heartbeat).
    Watchdog,
}

/// The persisted state and how it came to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateRecord {
    /// The state.
    pub state: TradingState,
    /// Why.
    pub reason: String,
    /// Who set it.
    pub by: Changer,
    /// When.
    pub at: DateTime<Utc>,
}

impl StateRecord {
    /// The state of a fresh install: ACTIVE, set by nobody in particular.
    pub fn initial(at: DateTime<Utc>) -> StateRecord {
        StateRecord { state: TradingState::Active, reason: "initial".into(), by: Changer::Operator, at }
    }

    /// The record after `by` asks for `wanted`: operators set it outright, everyone else only
    /// tightens. `None` when nothing changes.
    pub fn change(&self, wanted: TradingState, by: Changer, reason: &str, at: DateTime<Utc>) -> Option<StateRecord> {
        let state = if by == Changer::Operator { wanted } else { self.state.toward_halted(wanted) };
        (state != self.state).then(|| StateRecord { state, reason: reason.to_string(), by, at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_operators_loosen() {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let halted = StateRecord::initial(at).change(TradingState::Halted, Changer::Gate, "NO-GO", at).unwrap();
        assert_eq!(halted.state, TradingState::Halted);
        assert_eq!(halted.change(TradingState::Active, Changer::Script, "go", at), None);
        assert_eq!(halted.change(TradingState::Reducing, Changer::LossCap, "cap", at), None);
        let back = halted.change(TradingState::Reducing, Changer::Operator, "ok", at).unwrap();
        assert_eq!(back.state, TradingState::Reducing);
        assert!(TradingState::Reducing.allows_order(true));
        assert!(!TradingState::Reducing.allows_order(false));
        assert!(!TradingState::Halted.allows_order(true));
        assert_eq!("HALTED".parse::<TradingState>().unwrap(), TradingState::Halted);
    }
}
