//! Arming, pure: live orders need every one of `--broker live`, `--i-understand-the-risks`,
//! credentials, no kill switch, gate GO, not under CI, and a session notional ceiling that fits
//! under the configured one. Each missing condition refuses with its own code, message and
//! process exit code (the README lists them).

use serde::Serialize;

use crate::model::Money;

/// What arming looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmingFacts {
    /// `--broker live` was given.
    pub live_broker: bool,
    /// `--i-understand-the-risks` was given.
    pub risks_acknowledged: bool,
    /// Credentials were found and the key loads.
    pub credentials: bool,
    /// The kill switch file exists.
    pub kill_switch: bool,
    /// The gate said GO for every series of the session (`None`: not evaluated yet).
    pub gate_go: Option<bool>,
    /// The `CI` environment variable is set.
    pub under_ci: bool,
    /// `--session-notional`, if given.
    pub session_ceiling: Option<Money>,
    /// `[pretrade] max_notional_per_session` in `configs/limits.toml`.
    pub configured_ceiling: Money,
    /// The session runs on a clock other than the machine's (`--now`, a rehearsal, a
    /// virtual-time daemon): windows, loss-cap days and cooldowns would be judged at a
    /// time that is not now.
    pub virtual_clock: bool,
}

/// Why live trading was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ArmingRefusal {
    /// `--i-understand-the-risks` without `--broker live`.
    NotLiveBroker,
    /// `--broker live` without `--i-understand-the-risks`.
    RisksNotAcknowledged,
    /// No usable credentials.
    NoCredentials,
    /// The kill switch is engaged.
    KillSwitch,
    /// The gate said NO-GO.
    GateNoGo,
    /// Running under CI.
    UnderCi,
    /// No session notional ceiling, or one above the configured ceiling.
    NoSessionCeiling,
    /// A live session on a virtual or fixed clock (`--now`).
    VirtualClock,
    /// No reconciliation with the venue succeeded at the session's start.
    NotReconciled,
    /// The kill-switch watcher (its thread or runtime) could not start.
    KillWatcher,
}

impl ArmingRefusal {
    /// The process exit code (10–19; 1 stays "error", 2 "usage").
    pub fn exit_code(self) -> u8 {
        match self {
            ArmingRefusal::NotLiveBroker => 10,
            ArmingRefusal::RisksNotAcknowledged => 11,
            ArmingRefusal::NoCredentials => 12,
            ArmingRefusal::KillSwitch => 13,
            ArmingRefusal::GateNoGo => 14,
            ArmingRefusal::UnderCi => 15,
            ArmingRefusal::NoSessionCeiling => 16,
            ArmingRefusal::VirtualClock => 17,
            ArmingRefusal::NotReconciled => 18,
            ArmingRefusal::KillWatcher => 19,
        }
    }

    /// What the operator reads.
    pub fn message(self) -> &'static str {
        match self {
            ArmingRefusal::NotLiveBroker => {
                "--i-understand-the-risks only applies with --broker live; nothing was sent"
            }
            ArmingRefusal::RisksNotAcknowledged => {
                "live trading needs --i-understand-the-risks (real money; see README, \"Live trading\")"
            }
            ArmingRefusal::NoCredentials => {
                "live trading needs credentials: KALSHI_API_KEY_ID and KALSHI_PRIVATE_KEY_PEM_PATH (or .env.local or .env)"
            }
            ArmingRefusal::KillSwitch => {
                "the kill switch is engaged (data/proc/state/kill_switch): `kalshi-alpha kill reset` first"
            }
            ArmingRefusal::GateNoGo => "the GO/NO-GO gate says NO-GO: see `kalshi-alpha preflight` for why",
            ArmingRefusal::UnderCi => "refusing live trading under CI (the CI environment variable is set)",
            ArmingRefusal::NoSessionCeiling => {
                "live trading needs --session-notional DOLLARS, above zero and at most [pretrade] max_notional_per_session"
            }
            ArmingRefusal::VirtualClock => {
                "live trading runs on the machine's clock only: drop --now (windows, loss-cap days and cooldowns would be judged at a time that is not now)"
            }
            ArmingRefusal::NotReconciled => {
                "the venue could not be read to reconcile the order journal before the first order (see data/proc/audit/live.jsonl); nothing was sent"
            }
            ArmingRefusal::KillWatcher => {
                "the kill-switch watcher could not start; a live session never runs unwatched"
            }
        }
    }
}

/// Whether the session may trade live. `Ok(false)`: not a live session (nothing to arm).
pub fn arm(f: &ArmingFacts) -> Result<bool, ArmingRefusal> {
    if !f.live_broker {
        return if f.risks_acknowledged { Err(ArmingRefusal::NotLiveBroker) } else { Ok(false) };
    }
    if !f.risks_acknowledged {
        return Err(ArmingRefusal::RisksNotAcknowledged);
    }
    if f.virtual_clock {
        return Err(ArmingRefusal::VirtualClock);
    }
    if f.under_ci {
        return Err(ArmingRefusal::UnderCi);
    }
    if !f.credentials {
        return Err(ArmingRefusal::NoCredentials);
    }
    if f.kill_switch {
        return Err(ArmingRefusal::KillSwitch);
    }
    match f.session_ceiling {
        Some(c) if c > Money::ZERO && c <= f.configured_ceiling => {}
        _ => return Err(ArmingRefusal::NoSessionCeiling),
    }
    if f.gate_go == Some(false) {
        return Err(ArmingRefusal::GateNoGo);
    }
    Ok(true)
}

/// Whether `CI` is set the way CI systems set it (any value but empty, `0` or `false`).
pub fn ci_value_means_ci(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> ArmingFacts {
        ArmingFacts {
            live_broker: true,
            risks_acknowledged: true,
            credentials: true,
            kill_switch: false,
            gate_go: Some(true),
            under_ci: false,
            session_ceiling: Some("20".parse().unwrap()),
            configured_ceiling: "50".parse().unwrap(),
            virtual_clock: false,
        }
    }

    #[test]
    fn each_missing_condition_has_its_own_refusal() {
        assert_eq!(arm(&all()), Ok(true));
        type Breaks = fn(&mut ArmingFacts);
        let cases: [(Breaks, ArmingRefusal); 8] = [
            (|f| f.virtual_clock = true, ArmingRefusal::VirtualClock),
            (|f| f.risks_acknowledged = false, ArmingRefusal::RisksNotAcknowledged),
            (|f| f.credentials = false, ArmingRefusal::NoCredentials),
            (|f| f.kill_switch = true, ArmingRefusal::KillSwitch),
            (|f| f.gate_go = Some(false), ArmingRefusal::GateNoGo),
            (|f| f.under_ci = true, ArmingRefusal::UnderCi),
            (|f| f.session_ceiling = None, ArmingRefusal::NoSessionCeiling),
            (|f| f.session_ceiling = Some("51".parse().unwrap()), ArmingRefusal::NoSessionCeiling),
        ];
        let mut codes = std::collections::BTreeSet::new();
        for (break_it, expected) in cases {
            let mut f = all();
            break_it(&mut f);
            assert_eq!(arm(&f), Err(expected));
            codes.insert(expected.exit_code());
        }
        let mut f = all();
        f.live_broker = false;
        assert_eq!(arm(&f), Err(ArmingRefusal::NotLiveBroker));
        f.risks_acknowledged = false;
        assert_eq!(arm(&f), Ok(false), "a paper session needs no arming");
        assert_eq!(codes.len(), 7);
        assert!(ci_value_means_ci(Some("true")) && !ci_value_means_ci(Some("")) && !ci_value_means_ci(None));
    }
}
