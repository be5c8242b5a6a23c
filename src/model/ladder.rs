//! Ladders: an event's markets arranged as range bins or as a threshold (survival) curve.

use serde::Serialize;
use thiserror::Error;

/// Which contract of a binary market an order buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The YES contract.
    Yes,
    /// The NO contract.
    No,
}

impl Side {
    /// `yes` or `no`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Yes => "yes",
            Side::No => "no",
        }
    }

    /// The price of this side's contract when YES trades at `yes`.
    pub fn price_of(self, yes: crate::model::Price) -> crate::model::Price {
        match self {
            Side::Yes => yes,
            Side::No => yes.complement(),
        }
    }

    /// The probability of this side's contract when YES has probability `yes` (its own
    /// inverse: a side's probability back to YES's).
    pub fn prob_of(self, yes: f64) -> f64 {
        match self {
            Side::Yes => yes,
            Side::No => 1.0 - yes,
        }
    }
}

/// When a market settles YES, in terms of the event's outcome value `v`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "strike_type", rename_all = "snake_case")]
pub enum Strike {
    /// YES iff `v > floor`.
    Greater {
        /// The strike.
        floor: f64,
    },
    /// YES iff `v >= floor`.
    GreaterOrEqual {
        /// The strike.
        floor: f64,
    },
    /// YES iff `v < cap`.
    Less {
        /// The strike.
        cap: f64,
    },
    /// YES iff `v <= cap`.
    LessOrEqual {
        /// The strike.
        cap: f64,
    },
    /// YES iff `floor <= v <= cap` (inclusive at both ends).
    Between {
        /// Lowest value that settles YES.
        floor: f64,
        /// Highest value that settles YES.
        cap: f64,
    },
}

impl Strike {
    /// True for the upper-tail kinds (`greater`, `greater_or_equal`).
    pub fn is_upper_tail(self) -> bool {
        matches!(self, Strike::Greater { .. } | Strike::GreaterOrEqual { .. })
    }

    /// Orders strikes along the outcome line: lower tails first, then by lowest settling
    /// value, an exclusive lower bound (`> x`) after an inclusive one (`>= x`, `x..`).
    pub fn sort_key(self) -> (f64, bool) {
        match self {
            Strike::Less { cap } | Strike::LessOrEqual { cap } => (cap - 1e12, false),
            Strike::Greater { floor } => (floor, true),
            Strike::GreaterOrEqual { floor } | Strike::Between { floor, .. } => (floor, false),
        }
    }

    /// A short human label: `< 63`, `67–68`, `> 6844.9999`.
    pub fn label(self) -> String {
        match self {
            Strike::Greater { floor } => format!("> {floor}"),
            Strike::GreaterOrEqual { floor } => format!(">= {floor}"),
            Strike::Less { cap } => format!("< {cap}"),
            Strike::LessOrEqual { cap } => format!("<= {cap}"),
            Strike::Between { floor, cap } => format!("{floor}–{cap}"),
        }
    }
}

/// How an event's markets relate to each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LadderKind {
    /// Mutually exclusive bins that partition the outcome line (tails plus `between` bins).
    Range,
    /// Upper-tail markets on one underlying at increasing strikes: a survival curve.
    Threshold,
}

/// One rung of a ladder: a market ticker and its strike.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rung {
    /// Market ticker.
    pub ticker: String,
    /// Settlement rule.
    pub strike: Strike,
}

/// An event's markets, sorted along the outcome line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ladder {
    /// Range bins or threshold curve.
    pub kind: LadderKind,
    /// Rungs in ascending strike order.
    pub rungs: Vec<Rung>,
}

/// Why an event's markets do not form a ladder this project trades.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LadderError {
    /// No markets at all.
    #[error("event has no markets")]
    Empty,
    /// Two rungs at the same strike.
    #[error("markets {0} and {1} have the same strike")]
    DuplicateStrike(String, String),
    /// Range bins that overlap.
    #[error("range bins {0} and {1} overlap")]
    Overlap(String, String),
    /// A mixture of strike kinds that is neither a range ladder nor a threshold ladder.
    #[error("markets mix strike types in a way that is neither a range nor a threshold ladder ({0})")]
    Mixed(String),
}

impl Ladder {
    /// Arranges rungs into a ladder: all upper tails → threshold; otherwise a mutually
    /// exclusive range ladder of at most one lower tail, `between` bins and at most one upper tail.
    pub fn build(mut rungs: Vec<Rung>) -> Result<Ladder, LadderError> {
        if rungs.is_empty() {
            return Err(LadderError::Empty);
        }
        rungs.sort_by(|a, b| {
            let (ka, kb) = (a.strike.sort_key(), b.strike.sort_key());
            ka.0.total_cmp(&kb.0).then(ka.1.cmp(&kb.1))
        });
        for pair in rungs.windows(2) {
            if pair[0].strike.sort_key() == pair[1].strike.sort_key() {
                return Err(LadderError::DuplicateStrike(pair[0].ticker.clone(), pair[1].ticker.clone()));
            }
        }
        if rungs.iter().all(|r| r.strike.is_upper_tail()) && rungs.len() > 1 {
            return Ok(Ladder { kind: LadderKind::Threshold, rungs });
        }
        let upper = rungs.iter().filter(|r| r.strike.is_upper_tail()).count();
        let lower =
            rungs.iter().filter(|r| matches!(r.strike, Strike::Less { .. } | Strike::LessOrEqual { .. })).count();
        let last_is_upper = rungs.last().is_some_and(|r| r.strike.is_upper_tail());
        if upper > 1 || lower > 1 || (upper == 1 && !last_is_upper) {
            let kinds: Vec<String> = rungs.iter().map(|r| format!("{}: {}", r.ticker, r.strike.label())).collect();
            return Err(LadderError::Mixed(kinds.join(", ")));
        }
        for pair in rungs.windows(2) {
            if overlaps(pair[0].strike, pair[1].strike) {
                return Err(LadderError::Overlap(pair[0].ticker.clone(), pair[1].ticker.clone()));
            }
        }
        Ok(Ladder { kind: LadderKind::Range, rungs })
    }
}

/// An edge of a bin on the outcome line: its value and whether the value itself is in the bin.
type Edge = (f64, bool);

fn lower_edge(strike: Strike) -> Edge {
    match strike {
        Strike::Greater { floor } => (floor, false),
        Strike::GreaterOrEqual { floor } | Strike::Between { floor, .. } => (floor, true),
        Strike::Less { .. } | Strike::LessOrEqual { .. } => (f64::NEG_INFINITY, false),
    }
}

fn upper_edge(strike: Strike) -> Edge {
    match strike {
        Strike::Less { cap } => (cap, false),
        Strike::LessOrEqual { cap } | Strike::Between { cap, .. } => (cap, true),
        Strike::Greater { .. } | Strike::GreaterOrEqual { .. } => (f64::INFINITY, false),
    }
}

fn overlaps(below: Strike, above: Strike) -> bool {
    let (hi, hi_inclusive) = upper_edge(below);
    let (lo, lo_inclusive) = lower_edge(above);
    hi > lo || (hi == lo && hi_inclusive && lo_inclusive)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rung(t: &str, strike: Strike) -> Rung {
        Rung { ticker: t.into(), strike }
    }

    #[test]
    fn range_ladder_sorted() {
        let ladder = Ladder::build(vec![
            rung("T70", Strike::Greater { floor: 70.0 }),
            rung("B69.5", Strike::Between { floor: 69.0, cap: 70.0 }),
            rung("B63.5", Strike::Between { floor: 63.0, cap: 64.0 }),
            rung("T63", Strike::Less { cap: 63.0 }),
        ])
        .unwrap();
        assert_eq!(ladder.kind, LadderKind::Range);
        let order: Vec<_> = ladder.rungs.iter().map(|r| r.ticker.as_str()).collect();
        assert_eq!(order, ["T63", "B63.5", "B69.5", "T70"]);
    }

    #[test]
    fn threshold_ladder() {
        let ladder =
            Ladder::build(vec![rung("b", Strike::Greater { floor: 2.0 }), rung("a", Strike::Greater { floor: 1.0 })])
                .unwrap();
        assert_eq!(ladder.kind, LadderKind::Threshold);
        assert_eq!(ladder.rungs[0].ticker, "a");
    }

    #[test]
    fn rejects_bad_shapes() {
        assert_eq!(Ladder::build(vec![]), Err(LadderError::Empty));
        let overlap = Ladder::build(vec![
            rung("x", Strike::Between { floor: 1.0, cap: 3.0 }),
            rung("y", Strike::Between { floor: 2.0, cap: 4.0 }),
        ]);
        assert!(matches!(overlap, Err(LadderError::Overlap(..))));
        let mixed = Ladder::build(vec![
            rung("x", Strike::Between { floor: 1.0, cap: 3.0 }),
            rung("y", Strike::Greater { floor: 0.0 }),
        ]);
        assert!(matches!(mixed, Err(LadderError::Mixed(..))));
        let dup =
            Ladder::build(vec![rung("x", Strike::Greater { floor: 1.0 }), rung("y", Strike::Greater { floor: 1.0 })]);
        assert!(matches!(dup, Err(LadderError::DuplicateStrike(..))));
    }
}
