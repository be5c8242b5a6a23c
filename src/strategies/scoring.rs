//! Forecast scores, pure: the ranked probability score (the CRPS of a PMF over ordered bins),
//! the Brier score of each market's YES probability, the log-loss of the bin that happened,
//! and a reliability table (predicted YES probability against observed frequency).

use serde::Serialize;

/// The ranked probability score: `Σₖ (F(k) − 1{outcome ≤ k})²` over the bin boundaries, with
/// `F` the cumulative PMF. Zero for a point mass on the outcome; lower is better.
pub fn rps(bins: &[f64], outcome: usize) -> f64 {
    let mut cumulative = 0.0;
    let mut score = 0.0;
    for (k, p) in bins.iter().enumerate().take(bins.len().saturating_sub(1)) {
        cumulative += p;
        let observed = if outcome <= k { 1.0 } else { 0.0 };
        score += (cumulative - observed).powi(2);
    }
    score
}

/// Mean of `(p − outcome)²` over markets.
pub fn brier(pairs: &[(f64, bool)]) -> f64 {
    if pairs.is_empty() {
        return f64::NAN;
    }
    pairs.iter().map(|(p, o)| (p - if *o { 1.0 } else { 0.0 }).powi(2)).sum::<f64>() / pairs.len() as f64
}

/// `−ln p(outcome)`, the probability floored at 1e-9 (a PMF that rules out what happened
/// scores about 20.7, not infinity).
pub fn log_loss(bins: &[f64], outcome: usize) -> f64 {
    -bins.get(outcome).copied().unwrap_or(0.0).max(1e-9).ln()
}

/// One row of a reliability table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReliabilityBucket {
    /// Lower edge of predicted probability.
    pub from: f64,
    /// Upper edge.
    pub to: f64,
    /// Markets in the bucket.
    pub count: usize,
    /// Mean predicted YES probability.
    pub predicted: f64,
    /// Share that settled YES.
    pub observed: f64,
}

/// `buckets` equal-width buckets of predicted probability (empty ones left out).
pub fn reliability(pairs: &[(f64, bool)], buckets: usize) -> Vec<ReliabilityBucket> {
    let n = buckets.max(1);
    (0..n)
        .filter_map(|b| {
            let (from, to) = (b as f64 / n as f64, (b + 1) as f64 / n as f64);
            let inside: Vec<&(f64, bool)> =
                pairs.iter().filter(|(p, _)| *p >= from && (*p < to || (b == n - 1 && *p <= to))).collect();
            (!inside.is_empty()).then(|| ReliabilityBucket {
                from,
                to,
                count: inside.len(),
                predicted: inside.iter().map(|(p, _)| p).sum::<f64>() / inside.len() as f64,
                observed: inside.iter().filter(|(_, o)| *o).count() as f64 / inside.len() as f64,
            })
        })
        .collect()
}

/// The outcome bin of a ladder from its markets' results in ladder order: the YES market of a
/// range ladder, or the number of YES markets of a threshold ladder (bins above each strike).
pub fn outcome_bin(range: bool, results: &[bool]) -> Option<usize> {
    if range { results.iter().position(|r| *r) } else { Some(results.iter().filter(|r| **r).count()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_by_hand() {
        // Bins 0.2 / 0.5 / 0.3, outcome the middle bin: F = 0.2, 0.7 → (0.2−0)² + (0.7−1)² = 0.13.
        assert!((rps(&[0.2, 0.5, 0.3], 1) - 0.13).abs() < 1e-12);
        assert_eq!(rps(&[0.0, 1.0, 0.0], 1), 0.0);
        assert!((log_loss(&[0.2, 0.5, 0.3], 1) - 0.5f64.ln().abs()).abs() < 1e-12);
        // Brier: (0.8−1)² and (0.3−0)² → (0.04 + 0.09) / 2.
        assert!((brier(&[(0.8, true), (0.3, false)]) - 0.065).abs() < 1e-12);
        let table = reliability(&[(0.05, false), (0.08, true), (0.95, true), (1.0, true)], 10);
        assert_eq!(table.len(), 2);
        assert_eq!((table[0].count, table[0].observed), (2, 0.5));
        assert_eq!((table[1].count, table[1].observed), (2, 1.0));
        assert_eq!(outcome_bin(true, &[false, true, false]), Some(1));
        assert_eq!(outcome_bin(false, &[true, true, false]), Some(2));
    }
}
