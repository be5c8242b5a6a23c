//! Mispricings and kinks of one scanned ladder, pure: where the model and the market disagree
//! most, and where the market's own curve is inconsistent — each kind named, read from the
//! rungs' raw quotes (before the market PMF repairs anything).

use serde::Serialize;

use crate::model::{LadderKind, Price};
use crate::scan::RungRow;

/// Smallest |model − market| reported as a mispricing.
pub const MISPRICING_GAP: f64 = 0.05;
/// Most mispricings reported per event (largest gaps first).
pub const MISPRICINGS_SHOWN: usize = 3;
/// How far a range ladder's mids may sum from one before it is a kink.
pub const SUM_TOLERANCE: f64 = 0.05;
/// How far a bin's mid may stand above both neighbours (outside the ladder's peak).
pub const ENVELOPE_TOLERANCE: f64 = 0.02;

/// One finding, by kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Kink {
    /// Model and market disagree on a rung by at least [`MISPRICING_GAP`].
    Mispricing {
        /// Market ticker.
        ticker: String,
        /// Market YES probability.
        market_p: f64,
        /// Model YES probability.
        model_p: f64,
        /// model − market.
        gap: f64,
    },
    /// A threshold ladder's YES mid rises from one strike to a higher one (the survival curve
    /// must fall).
    NonMonotoneSurvival {
        /// The lower strike's ticker.
        lower: String,
        /// The higher strike's ticker.
        higher: String,
        /// Mid at the lower strike.
        lower_mid: Price,
        /// Mid at the higher strike.
        higher_mid: Price,
    },
    /// A range ladder's mids sum far from one.
    RangeSumOff {
        /// Sum of the mids over bins that have both sides.
        sum: f64,
        /// Bins counted.
        bins: usize,
    },
    /// A range bin priced above both neighbours while it is not the ladder's peak: a second
    /// hump the curve's shape does not allow.
    EnvelopeBreak {
        /// Market ticker.
        ticker: String,
        /// Its mid.
        mid: Price,
        /// The lower neighbour's mid.
        left: Price,
        /// The upper neighbour's mid.
        right: Price,
    },
    /// The best YES bid is at or above the YES ask.
    CrossedBook {
        /// Market ticker.
        ticker: String,
        /// Best YES bid.
        bid: Price,
        /// Best YES ask.
        ask: Price,
    },
    /// Only one side of the book is quoted.
    OneSidedBook {
        /// Market ticker.
        ticker: String,
        /// `bid` or `ask`: the side that is missing.
        missing: &'static str,
    },
    /// Nothing is quoted.
    EmptyBook {
        /// Market ticker.
        ticker: String,
    },
}

impl Kink {
    /// The kind's name (`mispricing`, `non_monotone_survival`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Kink::Mispricing { .. } => "mispricing",
            Kink::NonMonotoneSurvival { .. } => "non_monotone_survival",
            Kink::RangeSumOff { .. } => "range_sum_off",
            Kink::EnvelopeBreak { .. } => "envelope_break",
            Kink::CrossedBook { .. } => "crossed_book",
            Kink::OneSidedBook { .. } => "one_sided_book",
            Kink::EmptyBook { .. } => "empty_book",
        }
    }

    /// One line for a report.
    pub fn describe(&self) -> String {
        match self {
            Kink::Mispricing { ticker, market_p, model_p, gap } => format!(
                "{ticker}: model {:.1}% vs market {:.1}% ({:+.1} pts)",
                model_p * 100.0,
                market_p * 100.0,
                gap * 100.0
            ),
            Kink::NonMonotoneSurvival { lower, higher, lower_mid, higher_mid } => {
                format!("{higher} mid {higher_mid} is above the lower strike {lower} mid {lower_mid}")
            }
            Kink::RangeSumOff { sum, bins } => format!("the {bins} quoted bins' mids sum to {sum:.3}, not 1"),
            Kink::EnvelopeBreak { ticker, mid, left, right } => {
                format!("{ticker} mid {mid} stands above both neighbours ({left}, {right}) away from the peak")
            }
            Kink::CrossedBook { ticker, bid, ask } => format!("{ticker}: YES bid {bid} ≥ YES ask {ask}"),
            Kink::OneSidedBook { ticker, missing } => format!("{ticker}: no {missing}"),
            Kink::EmptyBook { ticker } => format!("{ticker}: nothing quoted"),
        }
    }
}

/// The rung's raw mid (both sides quoted and not crossed).
fn mid(row: &RungRow) -> Option<Price> {
    match (row.yes_bid, row.yes_ask) {
        (Some(b), Some(a)) if b < a => Some(b.midpoint(a)),
        _ => None,
    }
}

/// Every finding of one ladder: book problems, the curve's kinks, then the largest
/// model–market gaps. `rows` are in strike order.
pub fn find(kind: LadderKind, rows: &[RungRow]) -> Vec<Kink> {
    let mut out = Vec::new();
    for r in rows {
        match (r.yes_bid, r.yes_ask) {
            (Some(bid), Some(ask)) if bid >= ask => out.push(Kink::CrossedBook { ticker: r.ticker.clone(), bid, ask }),
            (Some(_), None) => out.push(Kink::OneSidedBook { ticker: r.ticker.clone(), missing: "ask" }),
            (None, Some(_)) => out.push(Kink::OneSidedBook { ticker: r.ticker.clone(), missing: "bid" }),
            (None, None) => out.push(Kink::EmptyBook { ticker: r.ticker.clone() }),
            _ => {}
        }
    }
    let mids: Vec<Option<Price>> = rows.iter().map(mid).collect();
    match kind {
        LadderKind::Threshold => {
            let quoted: Vec<(usize, Price)> = mids.iter().enumerate().filter_map(|(i, m)| Some((i, (*m)?))).collect();
            for pair in quoted.windows(2) {
                let ((i, lo), (j, hi)) = (pair[0], pair[1]);
                if hi > lo {
                    out.push(Kink::NonMonotoneSurvival {
                        lower: rows[i].ticker.clone(),
                        higher: rows[j].ticker.clone(),
                        lower_mid: lo,
                        higher_mid: hi,
                    });
                }
            }
        }
        LadderKind::Range => {
            // Summed exactly (micro-dollars), then read as a probability.
            let quoted: Vec<i64> = mids.iter().flatten().map(|m| m.micros()).collect();
            let sum = quoted.iter().sum::<i64>() as f64 / 1_000_000.0;
            if quoted.len() == rows.len() && (sum - 1.0).abs() > SUM_TOLERANCE {
                out.push(Kink::RangeSumOff { sum, bins: quoted.len() });
            }
            let peak = mids.iter().enumerate().filter_map(|(i, m)| Some((i, (*m)?))).max_by_key(|(_, m)| *m);
            for i in 1..rows.len().saturating_sub(1) {
                let (Some(m), Some(left), Some(right)) = (mids[i], mids[i - 1], mids[i + 1]) else { continue };
                let above = |n: Price| m.as_probability() - n.as_probability() > ENVELOPE_TOLERANCE;
                if Some(i) != peak.map(|(p, _)| p) && above(left) && above(right) {
                    out.push(Kink::EnvelopeBreak { ticker: rows[i].ticker.clone(), mid: m, left, right });
                }
            }
        }
    }
    let mut gaps: Vec<&RungRow> = rows
        .iter()
        .filter(|r| (r.model_p - r.market_p).abs() >= MISPRICING_GAP && r.yes_bid.or(r.yes_ask).is_some())
        .collect();
    gaps.sort_by(|a, b| (b.model_p - b.market_p).abs().total_cmp(&(a.model_p - a.market_p).abs()));
    out.extend(gaps.into_iter().take(MISPRICINGS_SHOWN).map(|r| Kink::Mispricing {
        ticker: r.ticker.clone(),
        market_p: r.market_p,
        model_p: r.model_p,
        gap: r.model_p - r.market_p,
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(cents: i64) -> Option<Price> {
        Some(Price::from_cents(cents).unwrap())
    }

    fn row(ticker: &str, bid: Option<Price>, ask: Option<Price>, market_p: f64, model_p: f64) -> RungRow {
        RungRow {
            ticker: ticker.into(),
            label: ticker.into(),
            tradeable: true,
            yes_bid: bid,
            yes_ask: ask,
            market_p,
            model_p,
        }
    }

    fn names(kinks: &[Kink]) -> Vec<&'static str> {
        kinks.iter().map(Kink::name).collect()
    }

    #[test]
    fn a_clean_ladder_has_no_finding() {
        let rows =
            [row("a", c(18), c(22), 0.2, 0.2), row("b", c(48), c(52), 0.5, 0.52), row("c", c(28), c(32), 0.3, 0.28)];
        assert!(find(LadderKind::Range, &rows).is_empty());
    }

    #[test]
    fn each_kind_on_a_hand_made_ladder() {
        // Threshold: survival mids 70, 50, 55 → the 55 rises above the 50.
        let rows =
            [row("t1", c(68), c(72), 0.7, 0.7), row("t2", c(48), c(52), 0.5, 0.5), row("t3", c(53), c(57), 0.52, 0.5)];
        let k = find(LadderKind::Threshold, &rows);
        assert_eq!(
            k,
            [Kink::NonMonotoneSurvival {
                lower: "t2".into(),
                higher: "t3".into(),
                lower_mid: Price::from_cents(50).unwrap(),
                higher_mid: Price::from_cents(55).unwrap()
            }]
        );
        // Range: mids 10, 40, 10, 30, 10 (sum 1): the peak is 40; the 30 stands above both
        // of its neighbours, a second hump.
        let rows = [
            row("r1", c(8), c(12), 0.1, 0.1),
            row("r2", c(38), c(42), 0.4, 0.4),
            row("r3", c(8), c(12), 0.1, 0.1),
            row("r4", c(28), c(32), 0.3, 0.3),
            row("r5", c(8), c(12), 0.1, 0.1),
        ];
        let k = find(LadderKind::Range, &rows);
        assert_eq!(names(&k), ["envelope_break"], "{k:?}");
        assert_eq!(k[0].describe(), "r4 mid 0.3000 stands above both neighbours (0.1000, 0.1000) away from the peak");
        let rows =
            [row("r1", c(28), c(32), 0.3, 0.3), row("r2", c(48), c(52), 0.5, 0.5), row("r3", c(38), c(42), 0.4, 0.4)];
        assert_eq!(find(LadderKind::Range, &rows), [Kink::RangeSumOff { sum: 1.2, bins: 3 }]);
        // Books: crossed, one-sided each way, empty.
        let rows = [
            row("x", c(40), c(38), 0.39, 0.39),
            row("y", c(20), None, 0.2, 0.2),
            row("z", None, c(30), 0.3, 0.3),
            row("w", None, None, 0.1, 0.1),
        ];
        assert_eq!(
            names(&find(LadderKind::Range, &rows)),
            ["crossed_book", "one_sided_book", "one_sided_book", "empty_book"]
        );
        // Mispricings: the largest gaps first, at most three, only at or above 5 points.
        let rows = [
            row("m1", c(18), c(22), 0.2, 0.3),
            row("m2", c(38), c(42), 0.4, 0.2),
            row("m3", c(28), c(32), 0.3, 0.33),
            row("m4", c(8), c(12), 0.1, 0.17),
        ];
        let k = find(LadderKind::Range, &rows);
        assert_eq!(names(&k), ["mispricing", "mispricing", "mispricing"]);
        let order: Vec<String> = k.iter().map(|x| x.describe()).collect();
        assert_eq!(order[0], "m2: model 20.0% vs market 40.0% (-20.0 pts)");
        assert!(order[1].starts_with("m1:") && order[2].starts_with("m4:"), "{order:?}");
    }
}
