//! The market-implied distribution over a ladder, read from order-book mids.
//!
//! Range ladders: each bin's YES mid, normalised to sum to one. Threshold ladders: the mids
//! are a survival curve `S(k) = P(v > k)`; a pool-adjacent-violators projection makes it
//! non-increasing before bin masses are taken as differences.

use serde::Serialize;

use crate::model::{LadderKind, OrderBook};

/// How far the raw sum of a range ladder's mids may stray from 1 before it is flagged.
pub const SUM_TOLERANCE: f64 = 0.15;

/// Something odd about the quotes behind a market PMF.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "flag", rename_all = "snake_case")]
pub enum PmfFlag {
    /// A rung has no quotes at all; its mid was taken as 0 (range) or interpolated by PAV.
    EmptyBook {
        /// Index of the rung.
        rung: usize,
    },
    /// A rung's book has only one side.
    OneSided {
        /// Index of the rung.
        rung: usize,
    },
    /// A rung's best YES bid is at or above its YES ask.
    Crossed {
        /// Index of the rung.
        rung: usize,
    },
    /// Range ladder mids sum far from one.
    SumFarFromOne {
        /// The raw sum.
        sum: f64,
    },
    /// Threshold mids rise with the strike somewhere (projected away).
    NonMonotone {
        /// Number of adjacent pairs that rise.
        violations: usize,
    },
    /// Differences of the raw survival curve were negative (before projection).
    NegativeMass {
        /// Number of negative bin masses.
        bins: usize,
    },
}

impl PmfFlag {
    /// True for flags that make the market PMF unfit to trade against.
    pub fn is_blocking(&self) -> bool {
        matches!(self, PmfFlag::SumFarFromOne { .. } | PmfFlag::Crossed { .. })
    }
}

/// The market's view of one ladder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarketPmf {
    /// Each rung's YES probability as the market prices it (normalised bin mass for range
    /// ladders, projected survival for threshold ladders).
    pub yes_prob: Vec<f64>,
    /// Probability mass per outcome bin; for threshold ladders one more bin than rungs
    /// (below the first strike first).
    pub bins: Vec<f64>,
    /// What was odd about the quotes.
    pub flags: Vec<PmfFlag>,
}

/// Reads the market-implied PMF of a ladder from one book per rung (same order as the rungs).
pub fn market_pmf(kind: LadderKind, books: &[&OrderBook]) -> MarketPmf {
    let mut flags = Vec::new();
    let mids: Vec<Option<f64>> = books
        .iter()
        .enumerate()
        .map(|(i, book)| {
            if book.is_crossed() {
                flags.push(PmfFlag::Crossed { rung: i });
            }
            match book.yes_mid() {
                None => {
                    flags.push(PmfFlag::EmptyBook { rung: i });
                    None
                }
                Some(mid) => {
                    if !book.is_two_sided() {
                        flags.push(PmfFlag::OneSided { rung: i });
                    }
                    Some(mid.as_probability())
                }
            }
        })
        .collect();
    match kind {
        LadderKind::Range => range_pmf(&mids, flags),
        LadderKind::Threshold => threshold_pmf(&mids, flags),
    }
}

fn range_pmf(mids: &[Option<f64>], mut flags: Vec<PmfFlag>) -> MarketPmf {
    let raw: Vec<f64> = mids.iter().map(|m| m.unwrap_or(0.0)).collect();
    let sum: f64 = raw.iter().sum();
    if (sum - 1.0).abs() > SUM_TOLERANCE {
        flags.push(PmfFlag::SumFarFromOne { sum });
    }
    let bins = normalise(&raw);
    MarketPmf { yes_prob: bins.clone(), bins, flags }
}

fn threshold_pmf(mids: &[Option<f64>], mut flags: Vec<PmfFlag>) -> MarketPmf {
    let known: Vec<(usize, f64)> = mids.iter().enumerate().filter_map(|(i, m)| m.map(|v| (i, v))).collect();
    let violations = known.windows(2).filter(|w| w[1].1 > w[0].1).count();
    if violations > 0 {
        flags.push(PmfFlag::NonMonotone { violations });
        let negative =
            survival_to_bins(&known.iter().map(|&(_, v)| v).collect::<Vec<_>>()).iter().filter(|&&m| m < 0.0).count();
        flags.push(PmfFlag::NegativeMass { bins: negative });
    }
    let projected = pav_non_increasing(&known.iter().map(|&(_, v)| v).collect::<Vec<_>>());
    let survival = fill_missing(mids.len(), &known.iter().map(|&(i, _)| i).zip(projected).collect::<Vec<_>>());
    let bins = survival_to_bins(&survival);
    MarketPmf { yes_prob: survival, bins, flags }
}

/// Survival values at ascending strikes → bin masses (below the first strike, between
/// strikes, above the last).
pub fn survival_to_bins(survival: &[f64]) -> Vec<f64> {
    let mut bins = Vec::with_capacity(survival.len() + 1);
    let mut previous = 1.0;
    for &s in survival {
        bins.push(previous - s);
        previous = s;
    }
    bins.push(previous);
    bins
}

/// Scales non-negative weights to sum to one (uniform when they sum to zero).
pub fn normalise(weights: &[f64]) -> Vec<f64> {
    let clean: Vec<f64> = weights.iter().map(|w| if w.is_finite() { w.max(0.0) } else { 0.0 }).collect();
    let sum: f64 = clean.iter().sum();
    if sum <= 0.0 {
        let n = clean.len().max(1) as f64;
        return vec![1.0 / n; clean.len()];
    }
    clean.iter().map(|w| w / sum).collect()
}

/// The closest non-increasing sequence in least squares (pool adjacent violators), clamped
/// to `[0, 1]`.
pub fn pav_non_increasing(values: &[f64]) -> Vec<f64> {
    // Blocks of (mean, weight); merge while a later block's mean exceeds an earlier one's.
    let mut blocks: Vec<(f64, usize)> = Vec::with_capacity(values.len());
    for &v in values {
        blocks.push((v.clamp(0.0, 1.0), 1));
        while blocks.len() > 1 {
            let (m2, w2) = blocks[blocks.len() - 1];
            let (m1, w1) = blocks[blocks.len() - 2];
            if m2 <= m1 {
                break;
            }
            blocks.truncate(blocks.len() - 2);
            blocks.push(((m1 * w1 as f64 + m2 * w2 as f64) / (w1 + w2) as f64, w1 + w2));
        }
    }
    blocks.into_iter().flat_map(|(m, w)| std::iter::repeat_n(m, w)).collect()
}

/// Places known survival values at their indices and fills gaps from the neighbours (the
/// previous known value, or 1 before the first).
fn fill_missing(len: usize, known: &[(usize, f64)]) -> Vec<f64> {
    let mut out = vec![f64::NAN; len];
    for &(i, v) in known {
        out[i] = v;
    }
    let mut last = 1.0;
    for v in &mut out {
        if v.is_nan() {
            *v = last;
        } else {
            last = *v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Level;

    fn book(yes_bid: &str, no_bid: &str) -> OrderBook {
        let lvl = |p: &str| vec![Level { price: p.parse().unwrap(), size: "10".parse().unwrap() }];
        OrderBook::from_levels(lvl(yes_bid), lvl(no_bid))
    }

    #[test]
    fn range_normalises_mids() {
        // mids 0.30 and 0.60 → 1/3, 2/3
        let books = [book("0.28", "0.68"), book("0.58", "0.38")];
        let pmf = market_pmf(LadderKind::Range, &books.iter().collect::<Vec<_>>());
        assert!((pmf.bins[0] - 0.3 / 0.9).abs() < 1e-12);
        assert!((pmf.bins.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(pmf.flags.is_empty());
    }

    #[test]
    fn range_flags_bad_sum() {
        let books = [book("0.28", "0.68"), book("0.28", "0.68")];
        let pmf = market_pmf(LadderKind::Range, &books.iter().collect::<Vec<_>>());
        assert!(pmf.flags.iter().any(|f| matches!(f, PmfFlag::SumFarFromOne { .. })));
    }

    #[test]
    fn pav_pools_violators() {
        assert_eq!(pav_non_increasing(&[0.9, 0.5, 0.7, 0.2]), vec![0.9, 0.6, 0.6, 0.2]);
        assert_eq!(pav_non_increasing(&[0.1, 0.3, 0.5]), vec![0.3, 0.3, 0.3]);
        assert_eq!(pav_non_increasing(&[]), Vec::<f64>::new());
    }

    #[test]
    fn threshold_projects_and_flags() {
        // mids 0.80, 0.40, 0.50, 0.10 → 0.80, 0.45, 0.45, 0.10
        let books = [book("0.79", "0.19"), book("0.39", "0.59"), book("0.49", "0.49"), book("0.09", "0.89")];
        let pmf = market_pmf(LadderKind::Threshold, &books.iter().collect::<Vec<_>>());
        let expect = [0.80, 0.45, 0.45, 0.10];
        for (a, b) in pmf.yes_prob.iter().zip(expect) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
        assert_eq!(pmf.bins.len(), 5);
        assert!(pmf.flags.contains(&PmfFlag::NonMonotone { violations: 1 }));
        assert!(pmf.flags.contains(&PmfFlag::NegativeMass { bins: 1 }));
        assert!(pmf.bins.iter().all(|&m| m >= -1e-12));
    }

    #[test]
    fn missing_threshold_quote_takes_neighbour() {
        let books = [book("0.79", "0.19"), OrderBook::default(), book("0.09", "0.89")];
        let pmf = market_pmf(LadderKind::Threshold, &books.iter().collect::<Vec<_>>());
        assert!((pmf.yes_prob[1] - 0.8).abs() < 1e-9);
        assert!(pmf.flags.contains(&PmfFlag::EmptyBook { rung: 1 }));
    }
}
