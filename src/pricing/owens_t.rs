//! Owen's T function, `T(h, a) = (1/2π) ∫₀^a exp(−h²(1+x²)/2) / (1+x²) dx`, to within a few
//! units of the last place of `f64`.
//!
//! Method: the symmetries `T(−h, a) = T(h, a)` and `T(h, −a) = −T(h, a)`, the closed forms at
//! `a = 0`, `h = 0`, `a = 1` and `a = ∞`, and for `a > 1` the reflection
//! `T(h, a) = ½[Φ(h)Q(ah) + Φ(ah)Q(h)] − T(ah, 1/a)` (`Q = 1 − Φ`, written without the
//! subtraction that loses digits for large `h`), so the integral is only ever taken over
//! `[0, a]` with `a ≤ 1`. There the integrand is positive, smooth and analytic, and it is
//! integrated by adaptive 20-point Gauss–Legendre quadrature: an interval is accepted when its
//! rule agrees with the sum over its two halves to within its share of 1e-14 of the integral
//! (the halves are then good to far better than that), else it is split (at most 12 levels). The error estimate is the difference of two rules of known order, so the result
//! carries its own accuracy check; tests compare with published values to 1e-15.

use std::f64::consts::PI;
use std::sync::OnceLock;

/// Gauss–Legendre nodes and weights on `[−1, 1]`, found once by Newton's method on the
/// Legendre polynomial (to machine precision).
fn gauss_legendre() -> &'static [(f64, f64); 20] {
    static RULE: OnceLock<[(f64, f64); 20]> = OnceLock::new();
    RULE.get_or_init(|| {
        const N: usize = 20;
        let mut rule = [(0.0, 0.0); N];
        for (i, slot) in rule.iter_mut().enumerate() {
            // Chebyshev-like first guess for the i-th root, then Newton.
            let mut x = (PI * (i as f64 + 0.75) / (N as f64 + 0.5)).cos();
            let mut derivative = 0.0;
            for _ in 0..100 {
                let (mut p0, mut p1) = (1.0, x);
                for k in 2..=N {
                    let pk = ((2 * k - 1) as f64 * x * p1 - (k - 1) as f64 * p0) / k as f64;
                    p0 = p1;
                    p1 = pk;
                }
                derivative = N as f64 * (x * p1 - p0) / (x * x - 1.0);
                let step = p1 / derivative;
                x -= step;
                if step.abs() < 1e-17 {
                    break;
                }
            }
            *slot = (x, 2.0 / ((1.0 - x * x) * derivative * derivative));
        }
        rule
    })
}

fn rule_on(f: &impl Fn(f64) -> f64, lo: f64, hi: f64) -> f64 {
    let (mid, half) = ((lo + hi) / 2.0, (hi - lo) / 2.0);
    gauss_legendre().iter().map(|(x, w)| w * f(mid + half * x)).sum::<f64>() * half
}

/// Splits `[lo, hi]` until the rule on an interval agrees with the sum over its halves to
/// `tolerance` (absolute: a share of the whole integral, so rounding noise in a tiny piece
/// never forces endless splitting), at most `MAX_DEPTH` levels.
fn adaptive(f: &impl Fn(f64) -> f64, lo: f64, hi: f64, whole: f64, tolerance: f64, depth: u32) -> f64 {
    const MAX_DEPTH: u32 = 12;
    let mid = (lo + hi) / 2.0;
    let (left, right) = (rule_on(f, lo, mid), rule_on(f, mid, hi));
    let halves = left + right;
    if depth >= MAX_DEPTH || (whole - halves).abs() <= tolerance {
        return halves;
    }
    adaptive(f, lo, mid, left, tolerance / 2.0, depth + 1) + adaptive(f, mid, hi, right, tolerance / 2.0, depth + 1)
}

use crate::pricing::normal::{cdf as normal_cdf, sf as normal_sf};

/// `T(h, a)` for `h ≥ 0`, `0 < a ≤ 1`: the integral itself.
fn integral(h: f64, a: f64) -> f64 {
    let f = |x: f64| {
        let one_plus = 1.0 + x * x;
        (-0.5 * h * h * one_plus).exp() / one_plus
    };
    let whole = rule_on(&f, 0.0, a);
    // The integrand is positive: the whole's estimate sets the scale of the error allowed.
    // Halves that agree with their parent to 1e-14 are far more accurate than that (the rule's
    // error shrinks like 2^-40 per halving); asking for less would only chase rounding noise.
    adaptive(&f, 0.0, a, whole, 1e-14 * whole, 0) / (2.0 * PI)
}

/// Owen's T function. NaN in, NaN out.
pub fn owens_t(h: f64, a: f64) -> f64 {
    if h.is_nan() || a.is_nan() {
        return f64::NAN;
    }
    if a < 0.0 {
        return -owens_t(h, -a);
    }
    let h = h.abs();
    if a == 0.0 {
        0.0
    } else if h == 0.0 {
        a.atan() / (2.0 * PI)
    } else if a.is_infinite() {
        0.5 * normal_sf(h)
    } else if a == 1.0 {
        0.5 * normal_cdf(h) * normal_sf(h)
    } else if a < 1.0 {
        integral(h, a)
    } else {
        let ah = a * h;
        0.5 * (normal_cdf(h) * normal_sf(ah) + normal_cdf(ah) * normal_sf(h)) - integral(ah, 1.0 / a)
    }
}

#[cfg(test)]
#[allow(clippy::excessive_precision)] // reference values as published
mod tests {
    use super::*;

    /// Published values of `T(h, a)`: the first seven are the test cases of Patefield and
    /// Tandy (2000, J. Stat. Software 5(5)), the rest from the same literature's tables, each
    /// given to at least 16 significant digits.
    const PUBLISHED: [(f64, f64, f64); 38] = [
        (0.0625, 0.25, 0.038_911_930_234_701_366_9),
        (6.5, 0.4375, 2.000_577_304_850_831_54e-11),
        (7.0, 0.96875, 6.399_062_719_389_853_08e-13),
        (4.78125, 0.0625, 1.063_297_480_468_746_38e-7),
        (2.0, 0.5, 0.008_625_077_985_521_507_13),
        (1.0, 0.999_997_5, 0.066_741_808_978_228_592_8),
        (0.0625, 0.999_999_125, 0.124_689_485_526_219_2),
        (1.0, 0.5, 0.043_064_691_120_785_37),
        (1.0, 1.0, 0.066_741_882_165_700_97),
        (1.0, 2.0, 0.078_468_186_993_084_1),
        (1.0, 3.0, 0.079_299_504_748_872_6),
        (0.5, 0.5, 0.064_488_602_847_503_75),
        (0.5, 1.0, 0.106_671_062_961_448_5),
        (0.5, 2.0, 0.141_580_603_653_978_4),
        (0.5, 3.0, 0.151_084_043_076_018_4),
        (0.25, 0.5, 0.071_346_633_822_717_78),
        (0.25, 1.0, 0.120_128_530_635_088_3),
        (0.25, 2.0, 0.166_612_841_093_929_3),
        (0.25, 3.0, 0.184_750_184_792_985_9),
        (0.125, 0.5, 0.073_172_733_275_003_86),
        (0.125, 1.0, 0.123_763_054_495_374_6),
        (0.125, 2.0, 0.173_743_888_758_310_6),
        (0.125, 3.0, 0.195_119_030_709_281_1),
        (0.007_812_5, 0.5, 0.073_789_380_353_655_45),
        (0.007_812_5, 1.0, 0.124_995_143_075_405_2),
        (0.007_812_5, 2.0, 0.176_198_477_473_810_8),
        (0.007_812_5, 3.0, 0.198_777_238_644_282_4),
        (0.007_812_5, 10.0, 0.234_088_696_480_267_1),
        (0.007_812_5, 100.0, 0.247_946_082_923_149_2),
        (0.0625, 0.999_999_999_999_999, 0.124_689_554_885_074_367_7),
        (0.5, 0.999_999_999_999_999, 0.106_671_062_961_448_454_3),
        (0.9, 0.999_999_999_999_999, 0.075_090_997_802_047_301_5),
        (2.5, 0.999_999_999_999_999, 0.003_085_552_691_158_994_21),
        (7.33, 0.999_999_999_999_999, 5.753_818_297_113_918_75e-14),
        (0.6, 0.999_999_999_999_999, 0.099_519_172_577_218_872_5),
        (1.6, 0.999_999_999_999_999, 0.025_898_164_664_392_368_0),
        (2.33, 0.999_999_999_999_999, 0.004_902_502_326_816_867_51),
        (2.33, 0.999_99, 0.004_902_498_834_908_945_06),
    ];

    #[test]
    fn matches_published_values_to_1e_15() {
        let mut worst: f64 = 0.0;
        for (h, a, expected) in PUBLISHED {
            let got = owens_t(h, a);
            let error = (got - expected).abs();
            worst = worst.max(error);
            assert!(error < 1e-15, "T({h}, {a}) = {got:e}, published {expected:e} (error {error:e})");
            // Relative accuracy holds for the tiny ones too.
            assert!(error <= 1e-12 * expected.abs().max(1e-300) || error < 1e-17, "T({h}, {a}) relative");
        }
        assert!(worst < 1e-15, "{worst:e}");
    }

    #[test]
    fn symmetries_and_closed_forms() {
        assert_eq!(owens_t(-0.3, 0.7), owens_t(0.3, 0.7));
        assert_eq!(owens_t(0.3, -0.7), -owens_t(0.3, 0.7));
        assert_eq!(owens_t(5.0, 0.0), 0.0);
        assert!((owens_t(0.0, 5.0) - 0.218_583_520_905_499_408_1).abs() < 1e-16);
        assert!((owens_t(5.0, 1.0) - 1.433_257_448_550_351_254_3e-7).abs() < 1e-20);
        assert!((owens_t(0.0625, f64::INFINITY) - 0.5 * normal_sf(0.0625)).abs() < 1e-17);
        assert!(owens_t(f64::NAN, 1.0).is_nan());
        // Continuity across the reflection at a = 1.
        let (below, above) = (owens_t(0.8, 1.0 - 1e-9), owens_t(0.8, 1.0 + 1e-9));
        assert!((below - above).abs() < 1e-9);
    }
}
