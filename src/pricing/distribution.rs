//! Continuous outcome distributions and the model PMF they give a ladder.
//!
//! A settlement value is published at a resolution `h` (1 °F, 0.01 index points, 0.1 pp of
//! CPI). With a resolution, the latent value `x` is rounded to the grid before the strike
//! rule is applied, so a `between 67..68` bin takes mass from 66.5 to 68.5 and the bins of a
//! range ladder partition the line exactly.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};
use thiserror::Error;

use crate::model::{Ladder, LadderKind, Strike};

use super::market_pmf::{normalise, survival_to_bins};

/// Parameters that do not describe a distribution.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DistributionError {
    /// A scale or degrees-of-freedom parameter that is not a positive finite number.
    #[error("{name} must be a positive finite number, got {value}")]
    NotPositive {
        /// Parameter name.
        name: &'static str,
        /// Value given.
        value: f64,
    },
    /// A location or shape that is not finite.
    #[error("{name} must be finite, got {value}")]
    NotFinite {
        /// Parameter name.
        name: &'static str,
        /// Value given.
        value: f64,
    },
}

/// A continuous distribution for an event's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "snake_case", deny_unknown_fields)]
pub enum Distribution {
    /// Normal with mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// Student's t with location, scale and degrees of freedom.
    StudentT {
        /// Location.
        location: f64,
        /// Scale.
        scale: f64,
        /// Degrees of freedom.
        df: f64,
    },
    /// Skew-normal with location, scale and shape (`shape = 0` is the normal).
    SkewNormal {
        /// Location.
        location: f64,
        /// Scale.
        scale: f64,
        /// Shape (positive skews right).
        shape: f64,
    },
}

impl Distribution {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), DistributionError> {
        let positive = |name, value: f64| {
            if value.is_finite() && value > 0.0 { Ok(()) } else { Err(DistributionError::NotPositive { name, value }) }
        };
        let finite = |name, value: f64| {
            if value.is_finite() { Ok(()) } else { Err(DistributionError::NotFinite { name, value }) }
        };
        match *self {
            Distribution::Normal { mean, std } => {
                finite("mean", mean)?;
                positive("std", std)
            }
            Distribution::StudentT { location, scale, df } => {
                finite("location", location)?;
                positive("scale", scale)?;
                positive("df", df)
            }
            Distribution::SkewNormal { location, scale, shape } => {
                finite("location", location)?;
                positive("scale", scale)?;
                finite("shape", shape)
            }
        }
    }

    /// Builds a CDF evaluator after checking the parameters.
    pub fn cdf_fn(&self) -> Result<Cdf, DistributionError> {
        self.validate()?;
        Ok(match *self {
            Distribution::Normal { mean, std } => Cdf::Normal { mean, std },
            Distribution::StudentT { location, scale, df } => {
                Cdf::StudentT(StudentsT::new(location, scale, df).expect("validated"))
            }
            Distribution::SkewNormal { location, scale, shape } => Cdf::SkewNormal { location, scale, shape },
        })
    }
}

/// A ready-to-evaluate cumulative distribution function.
#[derive(Debug, Clone)]
pub enum Cdf {
    /// Normal.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// Student's t.
    StudentT(StudentsT),
    /// Skew-normal.
    SkewNormal {
        /// Location.
        location: f64,
        /// Scale.
        scale: f64,
        /// Shape.
        shape: f64,
    },
}

impl Cdf {
    /// `P(X <= x)`.
    pub fn cdf(&self, x: f64) -> f64 {
        match self {
            Cdf::Normal { mean, std } => std_normal_cdf((x - mean) / std),
            Cdf::StudentT(t) => t.cdf(x),
            Cdf::SkewNormal { location, scale, shape } => {
                let z = (x - location) / scale;
                (std_normal_cdf(z) - 2.0 * crate::pricing::owens_t::owens_t(z, *shape)).clamp(0.0, 1.0)
            }
        }
    }

    /// `P(v satisfies strike)`, with `v` the latent value rounded to a grid of `resolution`
    /// when one is given.
    pub fn yes_probability(&self, strike: Strike, resolution: Option<f64>) -> f64 {
        let p = match resolution {
            None => match strike {
                Strike::Greater { floor } | Strike::GreaterOrEqual { floor } => 1.0 - self.cdf(floor),
                Strike::Less { cap } | Strike::LessOrEqual { cap } => self.cdf(cap),
                Strike::Between { floor, cap } => self.cdf(cap) - self.cdf(floor),
            },
            Some(h) => {
                let at_least = |g: f64| 1.0 - self.cdf(g - h / 2.0);
                let at_most = |g: f64| self.cdf(g + h / 2.0);
                match strike {
                    Strike::Greater { floor } => at_least(grid_above(floor, h)),
                    Strike::GreaterOrEqual { floor } => at_least(grid_at_or_above(floor, h)),
                    Strike::Less { cap } => at_most(grid_below(cap, h)),
                    Strike::LessOrEqual { cap } => at_most(grid_at_or_below(cap, h)),
                    Strike::Between { floor, cap } => {
                        at_most(grid_at_or_below(cap, h)) - self.cdf(grid_at_or_above(floor, h) - h / 2.0)
                    }
                }
            }
        };
        p.clamp(0.0, 1.0)
    }
}

/// Slack for grid arithmetic in floating point (a strike of 6844.9999 on a 0.01 grid).
const GRID_EPS: f64 = 1e-9;

fn grid_above(x: f64, h: f64) -> f64 {
    ((x / h + GRID_EPS).floor() + 1.0) * h
}
fn grid_at_or_above(x: f64, h: f64) -> f64 {
    (x / h - GRID_EPS).ceil() * h
}
fn grid_below(x: f64, h: f64) -> f64 {
    ((x / h - GRID_EPS).ceil() - 1.0) * h
}
fn grid_at_or_below(x: f64, h: f64) -> f64 {
    (x / h + GRID_EPS).floor() * h
}

/// The model's view of a ladder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelPmf {
    /// Each rung's YES probability under the model.
    pub yes_prob: Vec<f64>,
    /// Probability mass per outcome bin (as in [`super::market_pmf::MarketPmf::bins`]).
    pub bins: Vec<f64>,
}

/// Evaluates a distribution over a ladder, respecting each rung's strike semantics.
pub fn model_pmf(ladder: &Ladder, cdf: &Cdf, resolution: Option<f64>) -> ModelPmf {
    let yes_prob: Vec<f64> = ladder.rungs.iter().map(|r| cdf.yes_probability(r.strike, resolution)).collect();
    let bins = match ladder.kind {
        LadderKind::Range => normalise(&yes_prob),
        LadderKind::Threshold => survival_to_bins(&yes_prob).into_iter().map(|m| m.max(0.0)).collect(),
    };
    ModelPmf { yes_prob, bins }
}

fn std_normal_cdf(z: f64) -> f64 {
    crate::pricing::normal::cdf(z)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Rung;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() < tol
    }

    #[test]
    #[allow(clippy::excessive_precision)] // reference values as computed
    fn skew_normal_with_a_large_shape_is_exact() {
        // Shape 12 (the fixture ladders' case the 64-step Simpson rule missed by ~1e-6):
        // Φ(z) − 2T(z, 12), reference values from 40-digit quadrature.
        let sn = Distribution::SkewNormal { location: 0.0, scale: 1.0, shape: 12.0 }.cdf_fn().unwrap();
        let reference = [
            (-0.5, 9.114_325_942_868_239e-12),
            (-0.1, 0.003_694_390_700_881_423_5),
            (0.1, 0.083_350_065_254_939_39),
            (0.7, 0.516_072_695_553_853_9),
            (1.5, 0.866_385_597_462_283_9),
            (2.5, 0.987_580_669_348_447_7),
        ];
        for (z, expected) in reference {
            assert!(close(sn.cdf(z), expected, 1e-14), "F({z}) = {:e}, want {expected:e}", sn.cdf(z));
        }
    }

    #[test]
    fn skew_normal_with_zero_shape_is_normal() {
        let sn = Distribution::SkewNormal { location: 1.0, scale: 2.0, shape: 0.0 }.cdf_fn().unwrap();
        let n = Distribution::Normal { mean: 1.0, std: 2.0 }.cdf_fn().unwrap();
        for x in [-3.0, 0.0, 1.0, 2.5, 7.0] {
            assert!(close(sn.cdf(x), n.cdf(x), 1e-12), "{x}");
        }
        let right = Distribution::SkewNormal { location: 0.0, scale: 1.0, shape: 4.0 }.cdf_fn().unwrap();
        assert!(right.cdf(0.0) < 0.5 && right.cdf(0.0) > 0.0);
    }

    #[test]
    fn rejects_bad_parameters() {
        assert!(Distribution::Normal { mean: 0.0, std: 0.0 }.cdf_fn().is_err());
        assert!(Distribution::StudentT { location: 0.0, scale: 1.0, df: -1.0 }.cdf_fn().is_err());
        assert!(Distribution::SkewNormal { location: f64::NAN, scale: 1.0, shape: 0.0 }.cdf_fn().is_err());
    }

    #[test]
    fn grid_respects_strike_semantics() {
        let n = Distribution::Normal { mean: 67.5, std: 2.1 }.cdf_fn().unwrap();
        // Temperatures are whole degrees: `< 63` is v <= 62 → x < 62.5.
        assert!(close(n.yes_probability(Strike::Less { cap: 63.0 }, Some(1.0)), n.cdf(62.5), 1e-15));
        // `> 70` is v >= 71 → x >= 70.5.
        assert!(close(n.yes_probability(Strike::Greater { floor: 70.0 }, Some(1.0)), 1.0 - n.cdf(70.5), 1e-15));
        // `67–68` → 66.5 <= x < 68.5.
        let b = n.yes_probability(Strike::Between { floor: 67.0, cap: 68.0 }, Some(1.0));
        assert!(close(b, n.cdf(68.5) - n.cdf(66.5), 1e-15));
        // Index strike 6844.9999 on a 0.01 grid: v >= 6845.00 → x >= 6844.995.
        let idx = Distribution::Normal { mean: 6845.0, std: 10.0 }.cdf_fn().unwrap();
        let p = idx.yes_probability(Strike::Greater { floor: 6844.9999 }, Some(0.01));
        assert!(close(p, 1.0 - idx.cdf(6844.995), 1e-12));
    }

    #[test]
    fn range_ladder_partitions_with_resolution() {
        let rung = |t: &str, strike| Rung { ticker: t.into(), strike };
        let ladder = Ladder::build(vec![
            rung("a", Strike::Less { cap: 63.0 }),
            rung("b", Strike::Between { floor: 63.0, cap: 64.0 }),
            rung("c", Strike::Between { floor: 65.0, cap: 66.0 }),
            rung("d", Strike::Greater { floor: 66.0 }),
        ])
        .unwrap();
        let n = Distribution::Normal { mean: 64.0, std: 2.0 }.cdf_fn().unwrap();
        let pmf = model_pmf(&ladder, &n, Some(1.0));
        let raw: f64 = pmf.yes_prob.iter().sum();
        assert!(close(raw, 1.0, 1e-12), "bins partition the line: {raw}");
    }
}
