//! Core ceilings: the hard limits from `configs/limits.toml` that no script can loosen, and
//! the vocabulary of decisions ([`Reason`], [`Verdict`], [`Decision`]) every limit speaks.
//! [`crate::risk::limits`] applies them, tightened by the policy scripts.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::{Count, Money, Price, Proposal};
use crate::pricing::ev::order_ev;
use crate::pricing::fees::{FeeSchedule, Rounding};

/// `configs/limits.toml`. Every field is required: risk limits have no silent defaults.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CoreCeilings {
    /// Most contracts one order may carry.
    pub max_contracts_per_order: Count,
    /// Most that may be lost on one market (premium plus fees) if it settles against us.
    pub max_loss_per_strike: Money,
    /// Most distinct bins (markets) with orders in one event.
    pub max_bins_per_event: u32,
    /// Only resting (post-only) orders.
    pub maker_only: bool,
    /// Series that may trade at all.
    pub allowed_series: Vec<String>,
    /// The live pre-trade checks' ceilings (`[pretrade]`).
    pub pretrade: PreTradeCeilings,
}

/// `[pretrade]` in `configs/limits.toml`: the ceilings of the native checks every live order
/// passes just before it is sent. Every field is required.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PreTradeCeilings {
    /// Most ticks ($0.01) an order's price may sit from the mid of its side's book.
    pub collar_ticks_from_mid: u32,
    /// Most an order's price may exceed the model probability of what it buys.
    pub collar_from_model: Price,
    /// Smallest order that adds risk (risk-reducing orders are exempt).
    pub min_contracts: Count,
    /// Most notional (contracts × price) in one order.
    pub max_notional_per_order: Money,
    /// Most notional sent in one session; arming needs a session ceiling at or below it.
    pub max_notional_per_session: Money,
    /// Most worst-case loss on one series.
    pub max_loss_per_series: Money,
    /// Most realised plus committed loss per New York day.
    pub daily_loss_cap: Money,
    /// Most realised plus committed loss per week (from Monday, New York).
    pub weekly_loss_cap: Money,
    /// Most orders resting (or unresolved) at once.
    pub max_open_orders: u32,
    /// Most new orders in any one second.
    pub max_orders_per_second: u32,
    /// An order on the same market, side and price as one sent this many seconds ago is a duplicate.
    pub duplicate_window_secs: u32,
    /// Confidence of the value-at-risk check (e.g. `0.95`).
    pub var_confidence: Price,
    /// Most value at risk per event and per family of related events.
    pub max_var: Money,
    /// Series whose events of the same time move together (e.g. the S&P 500 and Nasdaq-100
    /// hourly ladders): their VaR adds up.
    pub var_families: Vec<Vec<String>>,
}

/// A `[pretrade]` table for unit tests of code that loads whole `limits.toml` files.
#[cfg(test)]
pub(crate) const TEST_PRETRADE: &str = r#"
[pretrade]
collar_ticks_from_mid = 10
collar_from_model = "0.10"
min_contracts = "1"
max_notional_per_order = "10.00"
max_notional_per_session = "50.00"
max_loss_per_series = "25.00"
daily_loss_cap = "25.00"
weekly_loss_cap = "75.00"
max_open_orders = 3
max_orders_per_second = 2
duplicate_window_secs = 5
var_confidence = "0.95"
max_var = "6.00"
var_families = [["KXINXU", "KXNASDAQ100U"]]
"#;

/// Where a limit came from: the core ceilings or one of the policy scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum LimitSource {
    /// `configs/limits.toml`.
    #[serde(rename = "limits.toml")]
    Core,
    /// `policies/pal.rhai`.
    #[serde(rename = "pal.rhai")]
    Pal,
    /// `policies/pilot.rhai`.
    #[serde(rename = "pilot.rhai")]
    Pilot,
}

impl LimitSource {
    /// The file name, as reports print it.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitSource::Core => "limits.toml",
            LimitSource::Pal => "pal.rhai",
            LimitSource::Pilot => "pilot.rhai",
        }
    }
}

/// Why a proposal was clipped or denied, with the figures that decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    /// The series is not allowed.
    SeriesNotAllowed {
        /// Series ticker.
        series: String,
        /// Which file disallows it.
        source: LimitSource,
    },
    /// Taker orders are not allowed.
    MakerOnly {
        /// Which file requires maker-only.
        source: LimitSource,
    },
    /// Size clipped to the per-order limit.
    MaxContractsPerOrder {
        /// The limit.
        limit: Count,
        /// The size asked for.
        asked: Count,
        /// Which file set the limit.
        source: LimitSource,
    },
    /// Size clipped (or the order denied) so the worst-case loss on the market fits.
    MaxLossPerStrike {
        /// The limit.
        limit: Money,
        /// Worst-case loss on the market (existing exposure plus this order) at the size that reached this check.
        would_be: Money,
        /// Which file set the limit.
        source: LimitSource,
    },
    /// Size clipped (or the order denied) so the worst-case loss on the series fits.
    MaxLossPerSeries {
        /// The limit.
        limit: Money,
        /// Worst-case loss on the series at the size that reached this check.
        would_be: Money,
        /// Which file set the limit.
        source: LimitSource,
    },
    /// The PAL policy names no loss limit for this series (and no `unlisted` entry): risk limits
    /// have no silent defaults.
    NoSeriesLimit {
        /// Series ticker.
        series: String,
    },
    /// Size clipped (or the order denied) so today's worst-case loss fits the daily cap.
    DailyLossCap {
        /// The cap.
        limit: Money,
        /// Realised plus committed loss today at the size that reached this check.
        would_be: Money,
        /// The file the cap came from.
        source: LimitSource,
    },
    /// Size clipped (or the order denied) so this week's worst-case loss fits the weekly cap.
    WeeklyLossCap {
        /// The cap.
        limit: Money,
        /// Realised plus committed loss this week at the size that reached this check.
        would_be: Money,
        /// The file the cap came from.
        source: LimitSource,
    },
    /// A policy's per-order `check` hook clipped or denied the order.
    PolicyHook {
        /// The policy file.
        source: LimitSource,
        /// The hook's reason.
        message: String,
    },
    /// A policy script failed; the order is denied (fail closed).
    ScriptError {
        /// `FILE:LINE:COL: message`.
        error: String,
    },
    /// The event already has as many bins as allowed.
    MaxBinsPerEvent {
        /// The limit.
        limit: u32,
        /// Which file set the limit.
        source: LimitSource,
    },
    /// Size scaled down by the EV-honesty weight of the proposal's bin
    /// (`reports/_artifacts/ev_honesty.json`).
    EvHonesty {
        /// The bin's weight, in basis points of the size asked.
        weight_bp: u32,
        /// The bin (`SERIES side p_from-p_to`).
        bin: String,
        /// The size the weight allows.
        limit: Count,
        /// The size asked for.
        asked: Count,
    },
}

impl Reason {
    /// The stable code (`MAX_LOSS_PER_STRIKE`).
    pub fn code(&self) -> &'static str {
        match self {
            Reason::SeriesNotAllowed { .. } => "SERIES_NOT_ALLOWED",
            Reason::MakerOnly { .. } => "MAKER_ONLY",
            Reason::MaxContractsPerOrder { .. } => "MAX_CONTRACTS_PER_ORDER",
            Reason::MaxLossPerStrike { .. } => "MAX_LOSS_PER_STRIKE",
            Reason::MaxLossPerSeries { .. } => "MAX_LOSS_PER_SERIES",
            Reason::NoSeriesLimit { .. } => "NO_SERIES_LIMIT",
            Reason::DailyLossCap { .. } => "DAILY_LOSS_CAP",
            Reason::WeeklyLossCap { .. } => "WEEKLY_LOSS_CAP",
            Reason::PolicyHook { .. } => "POLICY_HOOK",
            Reason::ScriptError { .. } => "SCRIPT_ERROR",
            Reason::MaxBinsPerEvent { .. } => "MAX_BINS_PER_EVENT",
            Reason::EvHonesty { .. } => "EV_HONESTY",
        }
    }
}

impl fmt::Display for Reason {
    /// `CODE: key=value ... [source]`, stable for reports, audit lines and tests.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.code())?;
        match self {
            Reason::SeriesNotAllowed { series, source } => write!(f, "series={series} [{}]", source.as_str()),
            Reason::MakerOnly { source } => write!(f, "role=taker [{}]", source.as_str()),
            Reason::MaxContractsPerOrder { limit, asked, source } => {
                write!(f, "limit={limit} asked={asked} [{}]", source.as_str())
            }
            Reason::MaxLossPerStrike { limit, would_be, source }
            | Reason::MaxLossPerSeries { limit, would_be, source } => {
                write!(f, "limit={limit} would_be={would_be} [{}]", source.as_str())
            }
            Reason::NoSeriesLimit { series } => write!(f, "series={series} [pal.rhai]"),
            Reason::DailyLossCap { limit, would_be, source } | Reason::WeeklyLossCap { limit, would_be, source } => {
                write!(f, "limit={limit} would_be={would_be} [{}]", source.as_str())
            }
            Reason::PolicyHook { source, message } => write!(f, "{message} [{}]", source.as_str()),
            Reason::ScriptError { error } => write!(f, "{error}"),
            Reason::MaxBinsPerEvent { limit, source } => write!(f, "limit={limit} [{}]", source.as_str()),
            Reason::EvHonesty { weight_bp, bin, limit, asked } => write!(
                f,
                "weight={}.{:04} bin={bin} limit={limit} asked={asked} [ev_honesty.json]",
                weight_bp / 10_000,
                weight_bp % 10_000
            ),
        }
    }
}

/// What happened to one proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Passed unchanged.
    Approved,
    /// Passed at a smaller size.
    Clipped,
    /// Refused.
    Denied,
}

/// A proposal after the ceilings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The proposal at its allowed size (figures recomputed); for a denial, as asked.
    pub proposal: Proposal,
    /// Size the scanner asked for.
    pub asked: Count,
    /// Size allowed (zero when denied).
    pub allowed: Count,
    /// Approved, clipped or denied.
    pub verdict: Verdict,
    /// Every check that clipped or denied, in check order.
    pub reasons: Vec<Reason>,
}

/// The same proposal at another size, with fee, EV and worst-case loss recomputed.
pub fn resize(p: &Proposal, count: Count, schedule: &FeeSchedule, rounding: Rounding) -> Proposal {
    let yes_prob = match p.side {
        crate::model::Side::Yes => p.model_p,
        crate::model::Side::No => 1.0 - p.model_p,
    };
    let ev = order_ev(schedule, rounding, p.role, p.side, yes_prob, p.price, count);
    Proposal {
        count,
        fee: ev.fee,
        ev_order: ev.ev_order,
        ev_per_contract: ev.ev_per_contract,
        max_loss: ev.max_loss,
        ..p.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_ceiling_is_an_error() {
        let err = toml::from_str::<CoreCeilings>("max_contracts_per_order = \"10\"").unwrap_err();
        assert!(err.to_string().contains("missing field"), "{err}");
    }

    #[test]
    fn reasons_print_code_figures_and_source() {
        let r = Reason::MaxLossPerStrike {
            limit: "2.00".parse().unwrap(),
            would_be: "3.04".parse().unwrap(),
            source: LimitSource::Pal,
        };
        assert_eq!(r.to_string(), "MAX_LOSS_PER_STRIKE: limit=2.00 would_be=3.04 [pal.rhai]");
        assert_eq!(serde_json::to_value(&r).unwrap()["code"], "MAX_LOSS_PER_STRIKE");
        assert_eq!(serde_json::to_value(&r).unwrap()["source"], "pal.rhai");
    }
}
