//! EV honesty: expected against realised edge per bin — series × side × model-probability
//! bucket — over the settled fills whose orders recorded an expectation, with a weight per
//! bin that scans apply to proposal sizes (only ever smaller) and policy scripts can read.
//!
//! The rule (also in the README), with t the realised edge's t-statistic in the bin:
//! fewer than `min_samples` settled fills → weight 1 (no evidence to shrink on); t ≥ `t_full`
//! → 1; t ≤ −`t_stop` → 0 (significantly negative: size cap 0); in between the weight rises
//! linearly, (t + t_stop) / (t_full + t_stop). With no spread at all (every sample equal) the
//! weight is 1 if that edge is ≥ 0, else 0.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::evidence::settled::LedgerIndex;
use crate::evidence::stats::{mean_t, money_times};
use crate::ledger::LedgerEvent;
use crate::model::Side;
use crate::risk::limits::SizeWeights;

/// The rule's parameters (`[honesty]` in `configs/readiness.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HonestyConfig {
    /// Settled fills a bin needs before it can shrink anything.
    pub min_samples: usize,
    /// t at or above which the weight is 1.
    pub t_full: f64,
    /// −t at or below which the weight is 0.
    pub t_stop: f64,
    /// Width of a model-probability bucket (0.1: ten buckets).
    pub bucket: f64,
}

/// One bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HonestyBin {
    /// Series.
    pub series: String,
    /// Contract bought.
    pub side: Side,
    /// The bucket's lower bound (inclusive).
    pub p_from: f64,
    /// Its upper bound (exclusive, except 1).
    pub p_to: f64,
    /// Settled fills in it.
    pub n: usize,
    /// Mean expected edge, bps per $1 paid.
    pub expected_bps: f64,
    /// Mean realised edge, bps per $1 paid.
    pub realised_bps: f64,
    /// The realised edge's t-statistic.
    pub t: Option<f64>,
    /// The size weight, 0..=1.
    pub weight: f64,
    /// Which branch of the rule set it.
    pub why: String,
}

impl HonestyBin {
    /// `SERIES side p_from-p_to`.
    pub fn name(&self) -> String {
        format!("{} {} {:.2}-{:.2}", self.series, self.side.as_str(), self.p_from, self.p_to)
    }
}

/// `reports/_artifacts/ev_honesty.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvHonesty {
    /// When it was computed.
    pub generated_at: DateTime<Utc>,
    /// The rule's parameters.
    pub config: HonestyConfig,
    /// Every bin with settled fills.
    pub bins: Vec<HonestyBin>,
}

impl EvHonesty {
    /// The bin holding a `side` contract on `series` at model probability `p`.
    pub fn bin(&self, series: &str, side: Side, p: f64) -> Option<&HonestyBin> {
        let lower = bucket_of(p, self.config.bucket);
        self.bins.iter().find(|b| b.series == series && b.side == side && (b.p_from - lower).abs() < 1e-9)
    }

    /// The weight for a `side` contract on `series` at `p` (1 where there is no bin).
    pub fn weight_of(&self, series: &str, side: Side, p: f64) -> f64 {
        self.bin(series, side, p).map_or(1.0, |b| b.weight)
    }
}

impl SizeWeights for EvHonesty {
    fn weight(&self, series: &str, side: Side, model_p: f64) -> Option<(u32, String)> {
        let bin = self.bin(series, side, model_p)?;
        let bp = (bin.weight.clamp(0.0, 1.0) * 10_000.0).floor() as u32;
        Some((bp, bin.name()))
    }
}

/// The lower bound of `p`'s bucket.
fn bucket_of(p: f64, width: f64) -> f64 {
    let buckets = (1.0 / width).round().max(1.0);
    let index = (p.clamp(0.0, 1.0) * buckets).floor().min(buckets - 1.0);
    index / buckets
}

/// The weight the rule gives `n` samples with realised-edge t-statistic `t` and mean `mean`.
pub fn weight_rule(n: usize, t: Option<f64>, mean: f64, config: &HonestyConfig) -> (f64, String) {
    if n < config.min_samples {
        return (1.0, format!("{n} < {} settled fills: no evidence to shrink on", config.min_samples));
    }
    match t {
        None if mean >= 0.0 => (1.0, "no spread, edge ≥ 0".into()),
        None => (0.0, "no spread, edge < 0: cap 0".into()),
        Some(t) if t >= config.t_full => (1.0, format!("t = {t:.2} ≥ {}", config.t_full)),
        Some(t) if t <= -config.t_stop => {
            (0.0, format!("t = {t:.2} ≤ −{}: significantly negative, cap 0", config.t_stop))
        }
        Some(t) => ((t + config.t_stop) / (config.t_full + config.t_stop), format!("t = {t:.2}: linear")),
    }
}

/// The bins of the ledgers' settled fills.
pub fn ev_honesty(ledgers: &[&[LedgerEvent]], config: HonestyConfig, now: DateTime<Utc>) -> EvHonesty {
    type Key = (String, Side, u64);
    let mut samples: BTreeMap<Key, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for events in ledgers {
        let index = LedgerIndex::new(events, now);
        for settled in index.fills.iter().filter_map(|f| index.settled(f)) {
            let Some(expected) = settled.expected else { continue };
            let expected_value = money_times(expected.ev_per_contract, settled.fill.count);
            let (Some(expected_bps), Some(realised_bps)) = (settled.bps(expected_value), settled.bps(settled.realised))
            else {
                continue;
            };
            let lower = bucket_of(expected.model_p, config.bucket);
            let key = (settled.fill.series.clone(), settled.fill.side, (lower * 1e6).round() as u64);
            let entry = samples.entry(key).or_default();
            entry.0.push(expected_bps);
            entry.1.push(realised_bps);
        }
    }
    let bins = samples
        .into_iter()
        .map(|((series, side, lower), (expected, realised))| {
            let p_from = lower as f64 / 1e6;
            let stats = mean_t(&realised).expect("a bin has at least one sample");
            let (weight, why) = weight_rule(stats.n, stats.t, stats.mean, &config);
            HonestyBin {
                series,
                side,
                p_from,
                p_to: (p_from + config.bucket).min(1.0),
                n: stats.n,
                expected_bps: expected.iter().sum::<f64>() / expected.len() as f64,
                realised_bps: stats.mean,
                t: stats.t,
                weight,
                why,
            }
        })
        .collect();
    EvHonesty { generated_at: now, config, bins }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: HonestyConfig = HonestyConfig { min_samples: 4, t_full: 2.0, t_stop: 2.0, bucket: 0.1 };

    #[test]
    fn the_weight_rule_by_hand() {
        assert_eq!(weight_rule(3, Some(-10.0), -50.0, &CONFIG).0, 1.0, "too few samples never shrink");
        assert_eq!(weight_rule(4, Some(2.0), 10.0, &CONFIG).0, 1.0);
        assert_eq!(weight_rule(4, Some(-2.0), -10.0, &CONFIG).0, 0.0);
        // t = 0: halfway; t = 1: (1 + 2) / 4.
        assert_eq!(weight_rule(4, Some(0.0), 0.0, &CONFIG).0, 0.5);
        assert_eq!(weight_rule(4, Some(1.0), 5.0, &CONFIG).0, 0.75);
        assert_eq!(weight_rule(4, None, -1.0, &CONFIG).0, 0.0);
        assert_eq!(weight_rule(4, None, 0.0, &CONFIG).0, 1.0);
    }

    #[test]
    fn buckets_cover_zero_to_one() {
        assert_eq!(bucket_of(0.0, 0.1), 0.0);
        assert_eq!(bucket_of(0.55, 0.1), 0.5);
        assert_eq!(bucket_of(0.999, 0.1), 0.9);
        assert_eq!(bucket_of(1.0, 0.1), 0.9);
    }
}
