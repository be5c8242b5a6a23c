//! Core ceilings: the hard limits from `configs/limits.toml` that no script can loosen.
//!
//! Checks run in this fixed order, each with a stable code:
//!
//! 1. `SERIES_NOT_ALLOWED` — the series is not in `allowed_series` (deny);
//! 2. `MAKER_ONLY` — a taker order while `maker_only` is set (deny);
//! 3. `MAX_CONTRACTS_PER_ORDER` — size above the limit (clip);
//! 4. `MAX_LOSS_PER_STRIKE` — worst-case loss after fees above the limit (clip to the
//!    largest whole-contract size that fits, deny if none does);
//! 5. `MAX_BINS_PER_EVENT` — more distinct bins than allowed in one event, in the order the
//!    proposals arrive (best EV first) (deny the rest).

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::{Count, Money, Proposal, Role};
use crate::pricing::ev::{max_loss, order_ev};
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
}

/// Why a proposal was clipped or denied, with the figures that decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    /// The series is not allowed.
    SeriesNotAllowed {
        /// Series ticker.
        series: String,
    },
    /// Taker orders are not allowed.
    MakerOnly,
    /// Size clipped to the per-order limit.
    MaxContractsPerOrder {
        /// The limit.
        limit: Count,
        /// The size asked for.
        asked: Count,
    },
    /// Size clipped (or the order denied) so the worst-case loss fits.
    MaxLossPerStrike {
        /// The limit.
        limit: Money,
        /// Worst-case loss at the size that reached this check.
        would_be: Money,
    },
    /// The event already has as many bins as allowed.
    MaxBinsPerEvent {
        /// The limit.
        limit: u32,
    },
}

impl Reason {
    /// The stable code (`MAX_LOSS_PER_STRIKE`).
    pub fn code(&self) -> &'static str {
        match self {
            Reason::SeriesNotAllowed { .. } => "SERIES_NOT_ALLOWED",
            Reason::MakerOnly => "MAKER_ONLY",
            Reason::MaxContractsPerOrder { .. } => "MAX_CONTRACTS_PER_ORDER",
            Reason::MaxLossPerStrike { .. } => "MAX_LOSS_PER_STRIKE",
            Reason::MaxBinsPerEvent { .. } => "MAX_BINS_PER_EVENT",
        }
    }
}

impl fmt::Display for Reason {
    /// `CODE: key=value ...`, stable for reports, audit lines and tests.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())?;
        match self {
            Reason::SeriesNotAllowed { series } => write!(f, ": series={series}"),
            Reason::MakerOnly => write!(f, ": role=taker"),
            Reason::MaxContractsPerOrder { limit, asked } => write!(f, ": limit={limit} asked={asked}"),
            Reason::MaxLossPerStrike { limit, would_be } => write!(f, ": limit={limit} would_be={would_be}"),
            Reason::MaxBinsPerEvent { limit } => write!(f, ": limit={limit}"),
        }
    }
}

/// What happened to one proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

impl CoreCeilings {
    /// Applies the ceilings to one event's proposals (best first), recomputing fees, EV and
    /// worst-case loss for any clipped size.
    pub fn apply(&self, proposals: Vec<Proposal>, schedule: &FeeSchedule, rounding: Rounding) -> Vec<Decision> {
        let mut bins: BTreeSet<String> = BTreeSet::new();
        proposals
            .into_iter()
            .map(|proposal| {
                let asked = proposal.count;
                let mut reasons = Vec::new();
                let allowed = self.allowed_size(&proposal, schedule, rounding, &mut reasons);
                let allowed = if allowed.is_zero() || bins.contains(&proposal.ticker) {
                    allowed
                } else if bins.len() >= self.max_bins_per_event as usize {
                    reasons.push(Reason::MaxBinsPerEvent { limit: self.max_bins_per_event });
                    Count::ZERO
                } else {
                    allowed
                };
                if !allowed.is_zero() {
                    bins.insert(proposal.ticker.clone());
                }
                let verdict = match (allowed.is_zero(), allowed == asked) {
                    (true, _) => Verdict::Denied,
                    (false, true) => Verdict::Approved,
                    (false, false) => Verdict::Clipped,
                };
                let proposal =
                    if verdict == Verdict::Clipped { resize(&proposal, allowed, schedule, rounding) } else { proposal };
                Decision { proposal, asked, allowed, verdict, reasons }
            })
            .collect()
    }

    /// Checks 1–4 for one proposal; returns the size that survives them.
    fn allowed_size(
        &self,
        p: &Proposal,
        schedule: &FeeSchedule,
        rounding: Rounding,
        reasons: &mut Vec<Reason>,
    ) -> Count {
        if !self.allowed_series.iter().any(|s| s == &p.series) {
            reasons.push(Reason::SeriesNotAllowed { series: p.series.clone() });
            return Count::ZERO;
        }
        if self.maker_only && p.role == Role::Taker {
            reasons.push(Reason::MakerOnly);
            return Count::ZERO;
        }
        let mut size = p.count;
        if size > self.max_contracts_per_order {
            reasons.push(Reason::MaxContractsPerOrder { limit: self.max_contracts_per_order, asked: size });
            size = self.max_contracts_per_order;
        }
        let loss = |c: Count| max_loss(schedule, rounding, p.role, p.price, c);
        let would_be = loss(size);
        if would_be > self.max_loss_per_strike {
            reasons.push(Reason::MaxLossPerStrike { limit: self.max_loss_per_strike, would_be });
            size = largest_whole_size(size, |c| loss(c) <= self.max_loss_per_strike);
        }
        size
    }
}

/// The largest whole-contract count `<= upper` for which `fits` holds (`fits` must be
/// monotone: true up to some size, false after), zero when none does.
fn largest_whole_size(upper: Count, fits: impl Fn(Count) -> bool) -> Count {
    let whole = |n: i64| Count::from_whole(n).expect("non-negative");
    let (mut lo, mut hi) = (0_i64, upper.whole());
    while lo < hi {
        let mid = lo + (hi - lo + 1) / 2;
        if fits(whole(mid)) { lo = mid } else { hi = mid - 1 }
    }
    whole(lo)
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
    use crate::model::{Price, Side};
    use crate::pricing::fees::FeeMultiplier;

    fn ceilings() -> CoreCeilings {
        toml::from_str(
            r#"
            max_contracts_per_order = "10"
            max_loss_per_strike = "2.00"
            max_bins_per_event = 2
            maker_only = true
            allowed_series = ["KXA"]
            "#,
        )
        .unwrap()
    }

    fn proposal(ticker: &str, role: Role, count: i64, price: &str) -> Proposal {
        Proposal {
            series: "KXA".into(),
            event: "KXA-1".into(),
            ticker: ticker.into(),
            label: String::new(),
            side: Side::Yes,
            role,
            price: price.parse::<Price>().unwrap(),
            count: Count::from_whole(count).unwrap(),
            model_p: 0.5,
            market_p: 0.4,
            ev_per_contract: Money::ZERO,
            ev_order: Money::ZERO,
            fee: Money::ZERO,
            max_loss: Money::ZERO,
            kelly: 0.0,
        }
    }

    #[test]
    fn missing_ceiling_is_an_error() {
        let err = toml::from_str::<CoreCeilings>("max_contracts_per_order = \"10\"").unwrap_err();
        assert!(err.to_string().contains("missing field"), "{err}");
    }

    #[test]
    fn clips_and_denies_in_order() {
        let s = FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE);
        let decisions = ceilings().apply(
            vec![
                proposal("a", Role::Maker, 20, "0.10"), // 10 after contracts; loss 1.00 + 0.02 fits
                proposal("b", Role::Taker, 1, "0.10"),  // taker denied
                proposal("c", Role::Maker, 10, "0.30"), // loss 3.00+0.04 > 2 → 6 contracts (1.80 + 0.03)
                proposal("d", Role::Maker, 1, "0.10"),  // third bin denied
            ],
            &s,
            Rounding::Cent,
        );
        let summary: Vec<String> = decisions
            .iter()
            .map(|d| {
                format!(
                    "{} {:?} {} {}",
                    d.proposal.ticker,
                    d.verdict,
                    d.allowed,
                    d.reasons.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; ")
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                "a Clipped 10.00 MAX_CONTRACTS_PER_ORDER: limit=10.00 asked=20.00",
                "b Denied 0.00 MAKER_ONLY: role=taker",
                "c Clipped 6.00 MAX_LOSS_PER_STRIKE: limit=2.00 would_be=3.04",
                "d Denied 0.00 MAX_BINS_PER_EVENT: limit=2",
            ]
        );
        assert_eq!(decisions[2].proposal.max_loss.to_string(), "1.83");
    }

    #[test]
    fn disallowed_series() {
        let s = FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE);
        let mut p = proposal("a", Role::Maker, 1, "0.10");
        p.series = "KXB".into();
        let d = &ceilings().apply(vec![p], &s, Rounding::Cent)[0];
        assert_eq!(d.reasons[0].to_string(), "SERIES_NOT_ALLOWED: series=KXB");
    }
}
