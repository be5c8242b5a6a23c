//! The three exact money types: [`Price`], [`Count`] and [`Money`].
//!
//! * `Price` — dollars per contract, 6 decimals, within `[0, 1]`.
//! * `Count` — contracts, 2 decimals (fractional contracts exist), never negative.
//! * `Money` — signed dollars, 8 decimals, so that `Price × Count` is exact.
//!
//! They parse and print Kalshi's strings (`"0.5600"`, `"10.00"`) and the legacy integer
//! cents, and never pass through `f64`.

use std::fmt;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use super::decimal::{DecimalError, format_scaled, parse_scaled, shortest_exact_dp};

/// Decimals kept by [`Price`].
pub const PRICE_DP: u32 = 6;
/// Decimals kept by [`Count`].
pub const COUNT_DP: u32 = 2;
/// Decimals kept by [`Money`] (`PRICE_DP + COUNT_DP`).
pub const MONEY_DP: u32 = 8;

const PRICE_UNIT: i64 = 1_000_000;
const COUNT_UNIT: i64 = 100;
const MONEY_UNIT: i64 = 100_000_000;
/// Most contracts a [`Count`] may hold (10⁹): `Count × Price` and sums of many such
/// products stay far inside `i64`, so money arithmetic cannot wrap on any input.
pub const MAX_CONTRACTS: i64 = 1_000_000_000;
const MAX_COUNT_CENTIS: i64 = MAX_CONTRACTS * COUNT_UNIT;
/// Largest magnitude a [`Money`] read from text may have: ten billion dollars.
const MAX_MONEY_UNITS: i64 = 10_000_000_000 * MONEY_UNIT;

/// A value that could not be read as one of the money types.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FixedError {
    /// The text is not a decimal of the right shape.
    #[error("invalid {kind}: {source}")]
    Decimal {
        /// `price`, `count` or `money`.
        kind: &'static str,
        /// What was wrong with the text.
        #[source]
        source: DecimalError,
    },
    /// A price outside `[0, 1]`.
    #[error("invalid price: `{0}` is outside [0, 1]")]
    PriceOutOfRange(String),
    /// Legacy integer cents outside `0..=100`.
    #[error("invalid price: {0} cents is outside 0..=100")]
    CentsOutOfRange(i64),
    /// A negative legacy integer count.
    #[error("invalid count: {0} is negative")]
    NegativeCount(i64),
    /// A count above [`MAX_CONTRACTS`].
    #[error("invalid count: `{0}` is above the most contracts one figure may hold (1000000000)")]
    CountTooLarge(String),
    /// An amount of money above ten billion dollars.
    #[error("invalid money: `{0}` is above ten billion dollars")]
    MoneyTooLarge(String),
    /// A required figure is absent in both the current and the legacy field.
    #[error("missing {0}")]
    Missing(&'static str),
}

/// A price in dollars per contract, exact to 6 decimals, within `[0, 1]`.
///
/// Orders need a price strictly inside the interval; see [`Price::is_tradeable`].
///
/// ```
/// use kalshi_alpha::model::{Count, Price};
///
/// let price: Price = "0.5600".parse().unwrap();
/// assert_eq!(price.to_string(), "0.5600");
/// assert_eq!(Price::from_cents(56).unwrap(), price);
/// assert!("0.1234567".parse::<Price>().is_err());
/// let cost = "10.00".parse::<Count>().unwrap().times(price);
/// assert_eq!(cost.to_string(), "5.60");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Price(i64);

impl Price {
    /// Zero dollars.
    pub const ZERO: Price = Price(0);
    /// One dollar, the settlement value of a winning contract.
    pub const ONE: Price = Price(PRICE_UNIT);

    /// Builds a price from millionths of a dollar.
    pub fn from_micros(micros: i64) -> Result<Price, FixedError> {
        if (0..=PRICE_UNIT).contains(&micros) {
            Ok(Price(micros))
        } else {
            Err(FixedError::PriceOutOfRange(format_scaled(micros, PRICE_DP, PRICE_DP)))
        }
    }

    /// Builds a price from legacy integer cents (`56` → `0.56`).
    pub fn from_cents(cents: i64) -> Result<Price, FixedError> {
        if (0..=100).contains(&cents) { Ok(Price(cents * 10_000)) } else { Err(FixedError::CentsOutOfRange(cents)) }
    }

    /// Millionths of a dollar.
    pub fn micros(self) -> i64 {
        self.0
    }

    /// `1 − self`: the other side's price for the same contract.
    pub fn complement(self) -> Price {
        Price(PRICE_UNIT - self.0)
    }

    /// True when the price lies strictly between 0 and 1, as an order's must.
    pub fn is_tradeable(self) -> bool {
        self.0 > 0 && self.0 < PRICE_UNIT
    }

    /// The price as a probability, for model math only.
    pub fn as_probability(self) -> f64 {
        self.0 as f64 / PRICE_UNIT as f64
    }

    /// The nearest price to a probability in `[0, 1]` (clamped), for display and screening.
    pub fn from_probability(p: f64) -> Price {
        let clamped = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        Price((clamped * PRICE_UNIT as f64).round() as i64)
    }

    /// The midpoint of two prices, rounded down to the micro-dollar.
    pub fn midpoint(self, other: Price) -> Price {
        Price((self.0 + other.0) / 2)
    }

    /// This price as money (the cost of one contract).
    pub fn to_money(self) -> Money {
        Money(self.0 * (MONEY_UNIT / PRICE_UNIT))
    }

    /// Prints with exactly `dp` decimals (`dp <= 6`, and no digit may be lost).
    pub fn to_string_dp(self, dp: u32) -> String {
        format_scaled(self.0, PRICE_DP, dp)
    }
}

impl std::str::FromStr for Price {
    type Err = FixedError;
    fn from_str(s: &str) -> Result<Price, FixedError> {
        let micros =
            parse_scaled(s, PRICE_DP, false).map_err(|source| FixedError::Decimal { kind: "price", source })?;
        if micros > PRICE_UNIT {
            return Err(FixedError::PriceOutOfRange(s.trim().to_string()));
        }
        Ok(Price(micros))
    }
}

impl fmt::Display for Price {
    /// Kalshi's form: 4 decimals (`0.5600`), 6 when sub-centicent digits are present.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dp = shortest_exact_dp(self.0, PRICE_DP, &[4, 6]);
        f.write_str(&format_scaled(self.0, PRICE_DP, dp))
    }
}

/// A number of contracts, exact to 2 decimals, never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Count(i64);

impl Count {
    /// No contracts.
    pub const ZERO: Count = Count(0);

    /// Builds a count from hundredths of a contract.
    pub fn from_centis(centis: i64) -> Result<Count, FixedError> {
        if centis < 0 {
            return Err(FixedError::NegativeCount(centis));
        }
        if centis > MAX_COUNT_CENTIS {
            return Err(FixedError::CountTooLarge(format_scaled(centis, COUNT_DP, COUNT_DP)));
        }
        Ok(Count(centis))
    }

    /// Builds a count of whole contracts (legacy integer counts).
    pub fn from_whole(contracts: i64) -> Result<Count, FixedError> {
        if contracts < 0 {
            return Err(FixedError::NegativeCount(contracts));
        }
        if contracts > MAX_CONTRACTS {
            return Err(FixedError::CountTooLarge(contracts.to_string()));
        }
        Ok(Count(contracts * COUNT_UNIT))
    }

    /// Hundredths of a contract.
    pub fn centis(self) -> i64 {
        self.0
    }

    /// Whole contracts, rounding down.
    pub fn whole(self) -> i64 {
        self.0 / COUNT_UNIT
    }

    /// True for zero contracts.
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The cost of this many contracts at `price`, exactly.
    pub fn times(self, price: Price) -> Money {
        Money(self.0 * price.0)
    }

    /// `self − other`, or zero when `other` is larger.
    pub fn saturating_sub(self, other: Count) -> Count {
        Count((self.0 - other.0).max(0))
    }

    /// `self × num / den`, rounded down to the hundredth (`den > 0`): a share of a count.
    pub fn share_floor(self, num: i64, den: i64) -> Count {
        assert!(den > 0, "share of a count with a non-positive denominator");
        let v = i128::from(self.0) * i128::from(num.max(0)) / i128::from(den);
        Count(i64::try_from(v).unwrap_or(i64::MAX).min(MAX_COUNT_CENTIS))
    }
}

impl Add for Count {
    type Output = Count;
    /// Saturates at [`MAX_CONTRACTS`]: a count never leaves its range.
    fn add(self, rhs: Count) -> Count {
        Count((self.0 + rhs.0).min(MAX_COUNT_CENTIS))
    }
}

impl std::str::FromStr for Count {
    type Err = FixedError;
    fn from_str(s: &str) -> Result<Count, FixedError> {
        let centis =
            parse_scaled(s, COUNT_DP, false).map_err(|source| FixedError::Decimal { kind: "count", source })?;
        if centis > MAX_COUNT_CENTIS {
            return Err(FixedError::CountTooLarge(s.trim().to_string()));
        }
        Ok(Count(centis))
    }
}

impl fmt::Display for Count {
    /// Kalshi's `_fp` form: always 2 decimals (`10.00`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_scaled(self.0, COUNT_DP, COUNT_DP))
    }
}

/// A signed number of contracts, exact to 2 decimals: a position (+YES / −NO) or a book delta.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SignedCount(i64);

impl SignedCount {
    /// Zero.
    pub const ZERO: SignedCount = SignedCount(0);

    /// Hundredths of a contract.
    pub fn centis(self) -> i64 {
        self.0
    }

    /// Builds from hundredths of a contract, clamped to the bound (for sums of bounded counts
    /// computed here, never for exchange input, which goes through [`SignedCount::from_centis`]).
    pub fn saturating_from_centis(centis: i64) -> SignedCount {
        SignedCount(centis.clamp(-MAX_COUNT_CENTIS, MAX_COUNT_CENTIS))
    }

    /// Builds from hundredths of a contract; bounded like [`Count`] (at most
    /// [`MAX_CONTRACTS`] either way), so sums of them cannot wrap.
    pub fn from_centis(centis: i64) -> Result<SignedCount, FixedError> {
        if centis.unsigned_abs() > MAX_COUNT_CENTIS.unsigned_abs() {
            return Err(FixedError::CountTooLarge(format_scaled(centis, COUNT_DP, COUNT_DP)));
        }
        Ok(SignedCount(centis))
    }
}

impl std::str::FromStr for SignedCount {
    type Err = FixedError;
    fn from_str(s: &str) -> Result<SignedCount, FixedError> {
        let centis =
            parse_scaled(s, COUNT_DP, true).map_err(|source| FixedError::Decimal { kind: "signed count", source })?;
        SignedCount::from_centis(centis).map_err(|_| FixedError::CountTooLarge(s.to_string()))
    }
}

impl fmt::Display for SignedCount {
    /// 2 decimals, with a sign when negative (`-5.00`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_scaled(self.0, COUNT_DP, COUNT_DP))
    }
}

/// Signed dollars, exact to 8 decimals (so `Price × Count` never rounds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    /// Zero dollars.
    pub const ZERO: Money = Money(0);
    /// One cent.
    pub const CENT: Money = Money(MONEY_UNIT / 100);
    /// One centicent ($0.0001).
    pub const CENTICENT: Money = Money(MONEY_UNIT / 10_000);

    /// Builds money from units of `10^-8` dollars.
    pub fn from_units(units: i64) -> Money {
        Money(units)
    }

    /// Units of `10^-8` dollars.
    pub fn units(self) -> i64 {
        self.0
    }

    /// True when below zero.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Dollars as `f64`, for ratios in reports and Kelly math only.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / MONEY_UNIT as f64
    }

    /// Rounds up (towards +∞) to a multiple of `step`.
    pub fn ceil_to(self, step: Money) -> Money {
        Money(self.0.div_euclid(step.0) * step.0 + if self.0.rem_euclid(step.0) == 0 { 0 } else { step.0 })
    }

    /// Rounds down (towards −∞) to a multiple of `step`.
    pub fn floor_to(self, step: Money) -> Money {
        Money(self.0.div_euclid(step.0) * step.0)
    }

    /// Divides by a non-zero count, rounding towards −∞ (a conservative per-contract figure
    /// for gains).
    pub fn per_contract_floor(self, count: Count) -> Money {
        assert!(!count.is_zero(), "per-contract figure of zero contracts");
        Money((self.0 * COUNT_UNIT).div_euclid(count.0))
    }

    /// Prints with exactly `dp` decimals (`dp <= 8`, and no digit may be lost).
    pub fn to_string_dp(self, dp: u32) -> String {
        format_scaled(self.0, MONEY_DP, dp)
    }

    /// `self × num / den` rounded towards −∞ (`den > 0`): a proportional share of an amount.
    pub fn share_floor(self, num: i64, den: i64) -> Money {
        assert!(den > 0, "share of money with a non-positive denominator");
        let v = (i128::from(self.0) * i128::from(num)).div_euclid(i128::from(den));
        Money(i64::try_from(v).expect("a share of an amount is no larger than the amount when num <= den"))
    }
}

impl std::str::FromStr for Money {
    type Err = FixedError;
    fn from_str(s: &str) -> Result<Money, FixedError> {
        let units = parse_scaled(s, MONEY_DP, true).map_err(|source| FixedError::Decimal { kind: "money", source })?;
        if units.abs() > MAX_MONEY_UNITS {
            return Err(FixedError::MoneyTooLarge(s.trim().to_string()));
        }
        Ok(Money(units))
    }
}

impl fmt::Display for Money {
    /// The fewest of 2, 4, 6 or 8 decimals that print the amount exactly (`1.32`, `1.3125`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dp = shortest_exact_dp(self.0, MONEY_DP, &[2, 4, 6, 8]);
        f.write_str(&format_scaled(self.0, MONEY_DP, dp))
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

macro_rules! string_serde {
    ($ty:ty, $expecting:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$ty, D::Error> {
                struct Visitor;
                impl serde::de::Visitor<'_> for Visitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$ty, E> {
                        v.parse().map_err(E::custom)
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }
    };
}

string_serde!(Price, "a dollar price string such as \"0.5600\"");
string_serde!(Count, "a contract count string such as \"10.00\"");
string_serde!(Money, "a dollar amount string such as \"1.32\"");
string_serde!(SignedCount, "a signed contract count string such as \"-5.00\"");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_counts_and_amounts_are_refused_not_wrapped() {
        assert!(matches!("1000000000.01".parse::<Count>(), Err(FixedError::CountTooLarge(_))));
        assert!("99999999999999999.00".parse::<Count>().is_err());
        assert!(matches!(Count::from_whole(i64::MAX / 10), Err(FixedError::CountTooLarge(_))));
        assert!(matches!(Count::from_centis(i64::MAX), Err(FixedError::CountTooLarge(_))));
        assert!(matches!("-1000000000.01".parse::<SignedCount>(), Err(FixedError::CountTooLarge(_))));
        assert!("99999999999999999.00".parse::<SignedCount>().is_err());
        assert!(SignedCount::from_centis(i64::MIN).is_err() && SignedCount::from_centis(-100).is_ok());
        assert!(matches!("-20000000000.00".parse::<Money>(), Err(FixedError::MoneyTooLarge(_))));
        let most = Count::from_whole(MAX_CONTRACTS).unwrap();
        assert_eq!(most + most, most, "addition saturates at the bound");
        assert_eq!(most.times(Price::ONE).to_string(), "1000000000.00");
    }

    #[test]
    fn price_round_trips_kalshi_strings() {
        for (text, micros, printed) in [
            ("0.5600", 560_000, "0.5600"),
            ("0.000100", 100, "0.0001"),
            ("0.123456", 123_456, "0.123456"),
            ("1", 1_000_000, "1.0000"),
            ("0", 0, "0.0000"),
        ] {
            let p: Price = text.parse().unwrap();
            assert_eq!(p.micros(), micros, "{text}");
            assert_eq!(p.to_string(), printed, "{text}");
        }
        assert_eq!("0.000100".parse::<Price>().unwrap().to_string_dp(6), "0.000100");
    }

    #[test]
    fn price_rejects_bad_input() {
        for bad in ["abc", "1.2.3", "0.1234567", "-0.1", "1.01", ""] {
            assert!(bad.parse::<Price>().is_err(), "{bad:?}");
        }
        let err = "0.1234567".parse::<Price>().unwrap_err().to_string();
        assert!(err.contains("more than 6 decimal places"), "{err}");
    }

    #[test]
    fn legacy_cents() {
        assert_eq!(Price::from_cents(56).unwrap().to_string(), "0.5600");
        assert!(Price::from_cents(101).is_err());
        assert!(Price::from_cents(-1).is_err());
        assert_eq!(Count::from_whole(13).unwrap().to_string(), "13.00");
        assert!(Count::from_whole(-2).is_err());
    }

    #[test]
    fn count_parses_and_rejects() {
        assert_eq!("10.00".parse::<Count>().unwrap().centis(), 1000);
        assert_eq!("2.5".parse::<Count>().unwrap().to_string(), "2.50");
        for bad in ["-1", "1.234", "x", "1.2.3"] {
            assert!(bad.parse::<Count>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn money_is_exact() {
        let cost = "100".parse::<Count>().unwrap().times("0.25".parse().unwrap());
        assert_eq!(cost.to_string(), "25.00");
        let odd = "0.01".parse::<Count>().unwrap().times("0.123456".parse().unwrap());
        assert_eq!(odd.to_string(), "0.00123456");
        let m: Money = "-3.25".parse().unwrap();
        assert_eq!((m + Money::CENT).to_string(), "-3.24");
        assert_eq!("1.3125".parse::<Money>().unwrap().ceil_to(Money::CENT).to_string(), "1.32");
        assert_eq!("-0.0587".parse::<Money>().unwrap().floor_to(Money::CENT).to_string(), "-0.06");
        assert_eq!("-0.0587".parse::<Money>().unwrap().ceil_to(Money::CENT).to_string(), "-0.05");
    }

    #[test]
    fn serde_uses_strings() {
        let p: Price = serde_json::from_str("\"0.4200\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"0.4200\"");
        assert!(serde_json::from_str::<Price>("0.42").is_err());
        assert!(serde_json::from_str::<Count>("\"-1\"").is_err());
    }
}
