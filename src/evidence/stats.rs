//! The statistics the evidence reports are made of, each small enough to check by hand:
//! mean and t-statistic, drawdown and its duration, Brier score and log-loss.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::Money;

/// Mean, sample standard deviation and the t-statistic of the mean against zero.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeanT {
    /// Samples.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1); `None` below two samples.
    pub sd: Option<f64>,
    /// mean / (sd / √n); `None` below two samples or when every sample is equal.
    pub t: Option<f64>,
}

/// The mean and t-statistic of `samples`; `None` when there are none.
pub fn mean_t(samples: &[f64]) -> Option<MeanT> {
    let n = samples.len();
    if n == 0 {
        return None;
    }
    let mean = samples.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Some(MeanT { n, mean, sd: None, t: None });
    }
    let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let sd = var.sqrt();
    let t = (sd > 0.0).then(|| mean / (sd / (n as f64).sqrt()));
    Some(MeanT { n, mean, sd: Some(sd), t })
}

/// The deepest fall of a running total from its previous peak, and how long it lasted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Drawdown {
    /// Peak minus trough (zero when the total never fell).
    pub max: Money,
    /// When the peak before the deepest fall was set.
    pub peak_at: Option<DateTime<Utc>>,
    /// When the total was at its lowest below that peak.
    pub trough_at: Option<DateTime<Utc>>,
    /// From that peak until the total first got back to it, or until `end` if it never did.
    pub duration_secs: Option<i64>,
    /// Whether the total got back to that peak.
    pub recovered: bool,
}

/// The maximum drawdown of the running total of `changes` (in time order), starting from
/// zero at the first change's time; `end` closes a drawdown that has not recovered.
pub fn drawdown(changes: &[(DateTime<Utc>, Money)], end: DateTime<Utc>) -> Drawdown {
    let mut total = Money::ZERO;
    let mut peak = Money::ZERO;
    let mut peak_at = changes.first().map(|(t, _)| *t);
    let mut worst =
        Drawdown { max: Money::ZERO, peak_at: None, trough_at: None, duration_secs: None, recovered: false };
    for (at, change) in changes {
        total += *change;
        if total >= peak {
            let worst_open = worst.max > Money::ZERO && !worst.recovered && worst.peak_at == peak_at;
            if worst_open {
                worst.recovered = true;
                worst.duration_secs = peak_at.map(|p| (*at - p).num_seconds());
            }
            (peak, peak_at) = (total, Some(*at));
        } else if peak - total > worst.max {
            // A deeper fall: the same drawdown going deeper, or a new one from a later peak.
            worst =
                Drawdown { max: peak - total, peak_at, trough_at: Some(*at), duration_secs: None, recovered: false };
        }
    }
    if worst.max > Money::ZERO && !worst.recovered {
        worst.duration_secs = worst.peak_at.map(|p| (end - p).num_seconds());
    }
    worst
}

/// `per_contract × count`, exactly (units × centis / 100, rounded toward zero, saturating).
pub fn money_times(per_contract: Money, count: crate::model::Count) -> Money {
    let units = i128::from(per_contract.units()) * i128::from(count.centis()) / 100;
    Money::from_units(i64::try_from(units).unwrap_or(if units < 0 { i64::MIN } else { i64::MAX }))
}

/// Mean squared error of probabilities against outcomes (1 = it happened).
pub fn brier(scored: &[(f64, bool)]) -> Option<f64> {
    (!scored.is_empty()).then(|| {
        scored.iter().map(|(p, o)| (p - if *o { 1.0 } else { 0.0 }).powi(2)).sum::<f64>() / scored.len() as f64
    })
}

/// Probabilities are clipped this far from 0 and 1 before their logarithm is taken.
const LOG_LOSS_CLIP: f64 = 1e-6;

/// Mean negative log-likelihood of the outcomes (natural log; probabilities clipped to
/// [10⁻⁶, 1 − 10⁻⁶]).
pub fn log_loss(scored: &[(f64, bool)]) -> Option<f64> {
    (!scored.is_empty()).then(|| {
        scored
            .iter()
            .map(|(p, o)| {
                let p = p.clamp(LOG_LOSS_CLIP, 1.0 - LOG_LOSS_CLIP);
                -(if *o { p } else { 1.0 - p }).ln()
            })
            .sum::<f64>()
            / scored.len() as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::hours(h)
    }

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    #[test]
    fn t_statistic_by_hand() {
        // 1, 2, 3, 4: mean 2.5, var (2.25+0.25+0.25+2.25)/3 = 5/3, sd 1.290994, t = 2.5/(1.290994/2) = 3.872983.
        let s = mean_t(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(s.mean, 2.5);
        assert!((s.sd.unwrap() - 1.290_994_448_7).abs() < 1e-9);
        assert!((s.t.unwrap() - 3.872_983_346_2).abs() < 1e-9);
        assert_eq!(mean_t(&[5.0]).unwrap().t, None);
        assert_eq!(mean_t(&[2.0, 2.0]).unwrap().t, None, "no spread: no t");
        assert!(mean_t(&[]).is_none());
    }

    #[test]
    fn drawdown_and_its_duration_by_hand() {
        // +10 at 0h (peak 10), −4 at 1h (6), −3 at 2h (3: max fall 7), +9 at 5h (12 ≥ 10: back at 5h).
        let changes = [(at(0), m("10")), (at(1), m("-4")), (at(2), m("-3")), (at(5), m("9"))];
        let d = drawdown(&changes, at(10));
        assert_eq!(d.max, m("7"));
        assert_eq!(d.peak_at, Some(at(0)));
        assert_eq!(d.trough_at, Some(at(2)));
        assert!(d.recovered);
        assert_eq!(d.duration_secs, Some(5 * 3600));
        // Never recovered: the duration runs to the end.
        let d = drawdown(&changes[..3], at(10));
        assert!(!d.recovered);
        assert_eq!(d.duration_secs, Some(10 * 3600));
        // A loss from the start falls from zero.
        let d = drawdown(&[(at(1), m("-2")), (at(3), m("1"))], at(4));
        assert_eq!(d.max, m("2"));
        assert_eq!(d.duration_secs, Some(3 * 3600));
        // Only gains: nothing.
        let d = drawdown(&[(at(1), m("2"))], at(4));
        assert_eq!(d.max, Money::ZERO);
        assert_eq!(d.duration_secs, None);
    }

    #[test]
    fn brier_and_log_loss_by_hand() {
        // (0.8, yes) → 0.04; (0.3, no) → 0.09: Brier 0.065.
        let scored = [(0.8, true), (0.3, false)];
        assert!((brier(&scored).unwrap() - 0.065).abs() < 1e-12);
        // −(ln 0.8 + ln 0.7)/2 = (0.223144 + 0.356675)/2 = 0.289909.
        assert!((log_loss(&scored).unwrap() - 0.289_909_247_6).abs() < 1e-9);
        assert!(log_loss(&[(0.0, true)]).unwrap().is_finite());
        assert!(brier(&[]).is_none());
    }
}
