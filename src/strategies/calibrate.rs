//! Fitting strategy parameters from history, pure: each function takes the observations a
//! driver kept and returns the fitted values with how many observations they rest on.

use chrono::{Datelike, NaiveDate};

use crate::drivers::parse::{claims, index, nowcast, treasury};
use crate::strategies::mean_std;

/// Weather: bias and spread of (CLI maximum − forecast high) over `(forecast, actual)` pairs.
pub fn weather(pairs: &[(f64, f64)]) -> Option<(f64, f64)> {
    let errors: Vec<f64> = pairs.iter().map(|(f, a)| a - f).collect();
    mean_std(&errors)
}

/// Index: the standard deviation of one-minute log returns inside a session (consecutive
/// minutes of one ticker on one day; the overnight gap is left out).
pub fn minute_vol(bars: &[index::IndexBar]) -> Option<(f64, usize)> {
    let mut returns = Vec::new();
    for w in bars.windows(2) {
        let same_day = w[0].start.date_naive() == w[1].start.date_naive();
        if w[0].ticker == w[1].ticker && same_day && (w[1].start - w[0].start).num_minutes() == 1 && w[0].close > 0.0 {
            returns.push((w[1].close / w[0].close).ln());
        }
    }
    let n = returns.len();
    mean_std(&returns).map(|(_, s)| (s, n))
}

/// The skew-normal shape whose skewness is `skewness` (method of moments; the skewness is held
/// inside the family's ±0.99).
pub fn skew_normal_shape(skewness: f64) -> f64 {
    let g = skewness.clamp(-0.99, 0.99).abs().powf(2.0 / 3.0);
    let k = ((4.0 - std::f64::consts::PI) / 2.0).powf(2.0 / 3.0);
    let delta = (std::f64::consts::FRAC_PI_2 * g / (g + k)).sqrt().copysign(skewness);
    delta / (1.0 - delta * delta).sqrt()
}

/// Sample skewness (none under three values or without spread).
pub fn skewness(values: &[f64]) -> Option<f64> {
    let n = values.len() as f64;
    let (mean, std) = mean_std(values)?;
    (values.len() >= 3 && std > 0.0).then(|| values.iter().map(|v| ((v - mean) / std).powi(3)).sum::<f64>() / n)
}

/// Index, one symbol at one horizon: the one-minute volatility of `symbol`'s bars, and the
/// shape matched to the skewness of its log returns over `horizon` minutes inside a day
/// (hourly ladders: 60; close ladders: each minute to the day's last bar). Returns the
/// volatility, the shape and how many horizon returns the shape rests on.
pub fn index_fit(bars: &[index::IndexBar], symbol: &str, horizon: Option<i64>) -> Option<(f64, f64, usize)> {
    let own: Vec<&index::IndexBar> = bars.iter().filter(|b| b.ticker == symbol).collect();
    let owned: Vec<index::IndexBar> = own.iter().map(|b| (*b).clone()).collect();
    let (vol, _) = minute_vol(&owned)?;
    let mut returns = Vec::new();
    for (i, b) in own.iter().enumerate() {
        let day = b.start.date_naive();
        let later = own[i + 1..].iter().take_while(|x| x.start.date_naive() == day);
        let end = match horizon {
            Some(minutes) => later.take_while(|x| (x.start - b.start).num_minutes() <= minutes).last(),
            None => later.last(),
        };
        if let Some(e) = end.filter(|e| horizon.is_none_or(|m| (e.start - b.start).num_minutes() == m))
            && b.close > 0.0
        {
            returns.push((e.close / b.close).ln());
        }
    }
    let shape = skew_normal_shape(skewness(&returns)?);
    Some((vol, shape, returns.len()))
}

/// CPI: the spread of (last nowcast before the first print − the print) per target month.
pub fn nowcast_errors(points: &[nowcast::Point], series: &str, actual_series: &str) -> Vec<f64> {
    let mut errors = Vec::new();
    let targets: std::collections::BTreeSet<NaiveDate> = points.iter().map(|p| p.target).collect();
    for target in targets {
        let Some(actual) =
            points.iter().filter(|p| p.target == target && p.series == actual_series).min_by_key(|p| p.date)
        else {
            continue;
        };
        let before = points
            .iter()
            .filter(|p| p.target == target && p.series == series && p.date <= actual.date)
            .max_by_key(|p| p.date);
        if let Some(n) = before {
            errors.push(n.value - actual.value);
        }
    }
    errors
}

/// Claims: the spread of weekly SA changes, and the damping (AR(1) coefficient of the
/// changes, clamped to 0–1), and the mean change in holiday weeks beyond the trend.
pub fn claims(weeks: &[claims::NationalWeek]) -> Option<(f64, f64, f64, usize)> {
    let sa: Vec<(NaiveDate, f64)> = weeks.iter().filter_map(|w| Some((w.week_ended, w.initial_sa? as f64))).collect();
    let changes: Vec<(NaiveDate, f64)> = sa.windows(2).map(|w| (w[1].0, w[1].1 - w[0].1)).collect();
    let (_, std) = mean_std(&changes.iter().map(|c| c.1).collect::<Vec<_>>())?;
    let (num, den) = changes.windows(2).fold((0.0, 0.0), |(n, d), w| (n + w[1].1 * w[0].1, d + w[0].1 * w[0].1));
    let damping = if den > 0.0 { (num / den).clamp(0.0, 1.0) } else { 0.0 };
    let holiday: Vec<f64> =
        changes.iter().filter(|(d, _)| crate::strategies::claims::week_has_holiday(*d)).map(|c| c.1).collect();
    let holiday_effect = if holiday.is_empty() { 0.0 } else { holiday.iter().sum::<f64>() / holiday.len() as f64 };
    Some((std, damping, holiday_effect, changes.len()))
}

/// Ten-year: the spread of one business day's change.
pub fn teny(yields: &[treasury::Yield]) -> Option<(f64, usize)> {
    let v: Vec<f64> = yields.iter().filter_map(|y| y.ten_year.as_deref()?.parse().ok()).collect();
    let changes: Vec<f64> = v.windows(2).map(|w| w[1] - w[0]).collect();
    mean_std(&changes).map(|(_, s)| (s, changes.len()))
}

/// Gasoline: the spread of daily changes implied by weekly changes (÷ √7).
pub fn gasoline(weekly_prices: &[f64]) -> Option<(f64, usize)> {
    let changes: Vec<f64> = weekly_prices.windows(2).map(|w| w[1] - w[0]).collect();
    mean_std(&changes).map(|(_, s)| (s / 7f64.sqrt(), changes.len()))
}

/// The days covered by dated observations.
pub fn window(dates: impl Iterator<Item = NaiveDate>) -> Option<(NaiveDate, NaiveDate)> {
    let dates: Vec<NaiveDate> = dates.collect();
    Some((*dates.iter().min()?, *dates.iter().max()?))
}

/// Year-month label.
pub fn month_label(d: NaiveDate) -> String {
    format!("{}-{:02}", d.year(), d.month())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_matches_the_skewness() {
        assert_eq!(skew_normal_shape(0.0), 0.0);
        // The skew-normal with shape 3 has skewness ≈ 0.6670.
        assert!((skew_normal_shape(0.6670) - 3.0).abs() < 0.01, "{}", skew_normal_shape(0.6670));
        assert!(skew_normal_shape(-0.6670) < -2.99);
        assert_eq!(skewness(&[1.0, 2.0, 3.0]), Some(0.0));
        assert_eq!(skewness(&[1.0, 1.0, 1.0]), None);
    }

    #[test]
    fn fits_by_hand() {
        let (bias, std) = weather(&[(50.0, 51.0), (60.0, 59.0), (40.0, 43.0)]).unwrap();
        assert!((bias - 1.0).abs() < 1e-12 && (std - 2.0).abs() < 1e-12, "{bias} {std}");
        let (s, n) = gasoline(&[3.0, 3.07, 3.0, 3.07]).unwrap();
        assert_eq!(n, 3);
        assert!((s - (0.07 * (4.0f64 / 3.0).sqrt()) / 7f64.sqrt()).abs() < 1e-9, "{s}");
    }
}
