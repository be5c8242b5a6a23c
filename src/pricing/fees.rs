//! Kalshi trading fees, exactly.
//!
//! Quadratic fees are `M × rate × C × P × (1 − P)` with `rate` 0.07 for takers and 0.0175 for
//! makers (makers pay only on series whose `fee_type` charges them); `flat` series charge a
//! configured amount per contract. Two rounding modes exist:
//!
//! * [`Rounding::Cent`] — each order's fee rounded up to the next $0.01 (the older rule, and
//!   the conservative one for screening);
//! * [`Rounding::Centicent`] — each fill's trade fee rounded up to $0.0001, with the balance
//!   kept at its target precision by a rounding fee and a per-order [`FeeAccumulator`] that
//!   rebates whole cents of accumulated rounding.
//!
//! All arithmetic is integer: the exact fee is held in units of `10^-22` dollars.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::{Count, Money, Price, Role};

/// Taker rate, in basis points of a dollar (0.07).
const TAKER_RATE_BP: i128 = 700;
/// Maker rate, in basis points of a dollar (0.0175).
const MAKER_RATE_BP: i128 = 175;
/// Exact fees are held in units of 10^-22 dollars: rate (10^-4) × multiplier (10^-4) ×
/// count (10^-2) × price (10^-6) × (1 − price) (10^-6).
const EXACT_PER_MONEY_UNIT: i128 = 100_000_000_000_000; // 10^22 / 10^8

/// A series' fee model, as `GET /series/{ticker}` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeType {
    /// Takers pay the quadratic fee; makers pay nothing.
    Quadratic,
    /// Takers and makers both pay the quadratic fee at their rates.
    QuadraticWithMakerFees,
    /// As `quadratic_with_maker_fees`, for series that also list combos; treated the same here.
    QuadraticWithComboMakerFees,
    /// A fixed amount per contract (configured per series in `configs/fees.toml`).
    Flat,
}

impl FeeType {
    /// Reads the API's name for a fee type; an unknown name is an error (fees must be known).
    pub fn from_api(name: &str) -> Result<FeeType, FeeError> {
        Ok(match name {
            "quadratic" => FeeType::Quadratic,
            "quadratic_with_maker_fees" => FeeType::QuadraticWithMakerFees,
            "quadratic_with_combo_maker_fees" => FeeType::QuadraticWithComboMakerFees,
            "flat" => FeeType::Flat,
            other => return Err(FeeError::UnknownType(other.to_string())),
        })
    }

    /// The API's name for the fee type.
    pub fn as_str(&self) -> &'static str {
        match self {
            FeeType::Quadratic => "quadratic",
            FeeType::QuadraticWithMakerFees => "quadratic_with_maker_fees",
            FeeType::QuadraticWithComboMakerFees => "quadratic_with_combo_maker_fees",
            FeeType::Flat => "flat",
        }
    }
}

/// How a fee is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rounding {
    /// Each order's fee rounded up to the next cent.
    Cent,
    /// Each fill's trade fee rounded up to the next $0.0001.
    Centicent,
}

impl Rounding {
    /// `cent` or `centicent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rounding::Cent => "cent",
            Rounding::Centicent => "centicent",
        }
    }
}

/// A non-negative fee multiplier with 4 decimals (`1`, `0.5`, `0.25`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FeeMultiplier(i64);

impl FeeMultiplier {
    /// The full rate.
    pub const ONE: FeeMultiplier = FeeMultiplier(10_000);

    /// Reads the API's JSON number (a double), rounding to 4 decimals.
    pub fn from_f64(value: f64) -> Result<FeeMultiplier, FeeError> {
        if !value.is_finite() || !(0.0..=100.0).contains(&value) {
            return Err(FeeError::Multiplier(value.to_string()));
        }
        Ok(FeeMultiplier((value * 10_000.0).round() as i64))
    }
}

impl std::str::FromStr for FeeMultiplier {
    type Err = FeeError;
    fn from_str(s: &str) -> Result<FeeMultiplier, FeeError> {
        let units = crate::model::parse_fixed(s, 4).map_err(|_| FeeError::Multiplier(s.to_string()))?;
        Ok(FeeMultiplier(units))
    }
}

impl fmt::Display for FeeMultiplier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{}.{:04}", self.0 / 10_000, self.0 % 10_000);
        f.write_str(text.trim_end_matches('0').trim_end_matches('.'))
    }
}

impl Serialize for FeeMultiplier {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FeeMultiplier {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<FeeMultiplier, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A fee that cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FeeError {
    /// A multiplier that is negative, not finite or not a decimal with at most 4 places.
    #[error("invalid fee multiplier `{0}` (expected a non-negative decimal with at most 4 places)")]
    Multiplier(String),
    /// A fee type this project does not know how to price.
    #[error("unknown fee_type `{0}`")]
    UnknownType(String),
    /// A `flat` series with no per-contract amount configured.
    #[error("series {0} has fee_type \"flat\" but configs/fees.toml gives no flat_fee_per_contract for it")]
    FlatWithoutAmount(String),
}

/// Everything needed to price one series' fees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeeSchedule {
    /// The fee model.
    pub fee_type: FeeType,
    /// Scales the base rate (or the flat amount).
    pub multiplier: FeeMultiplier,
    /// Per-contract fee for `flat` series.
    pub flat_per_contract: Option<Money>,
}

impl FeeSchedule {
    /// A quadratic schedule that charges makers too, at multiplier `m`.
    pub fn quadratic_with_maker_fees(m: FeeMultiplier) -> FeeSchedule {
        FeeSchedule { fee_type: FeeType::QuadraticWithMakerFees, multiplier: m, flat_per_contract: None }
    }

    /// The unrounded fee for `count` contracts at `price`, in units of 10^-22 dollars.
    fn exact(&self, role: Role, price: Price, count: Count) -> i128 {
        let m = i128::from(self.multiplier.0);
        let c = i128::from(count.centis());
        match self.fee_type {
            FeeType::Flat => {
                let per = i128::from(self.flat_per_contract.unwrap_or(Money::ZERO).units());
                // money (10^-8) × multiplier (10^-4) × count (10^-2) = 10^-14; scale to 10^-22.
                per * m * c * 100_000_000
            }
            FeeType::Quadratic if role == Role::Maker => 0,
            _ => {
                let rate = match role {
                    Role::Taker => TAKER_RATE_BP,
                    Role::Maker => MAKER_RATE_BP,
                };
                let p = i128::from(price.micros());
                let q = i128::from(price.complement().micros());
                rate * m * c * p * q
            }
        }
    }

    /// The fee of one order (or one fill) rounded up in the given mode.
    ///
    /// ```
    /// use kalshi_alpha::model::Role;
    /// use kalshi_alpha::pricing::fees::{FeeMultiplier, FeeSchedule, Rounding};
    ///
    /// let series = FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE);
    /// let (price, count) = ("0.25".parse().unwrap(), "100".parse().unwrap());
    /// assert_eq!(series.fee(Role::Taker, price, count, Rounding::Cent).to_string(), "1.32");
    /// assert_eq!(series.fee(Role::Taker, price, count, Rounding::Centicent).to_string(), "1.3125");
    /// ```
    pub fn fee(&self, role: Role, price: Price, count: Count, rounding: Rounding) -> Money {
        let step = match rounding {
            Rounding::Cent => Money::CENT,
            Rounding::Centicent => Money::CENTICENT,
        };
        ceil_exact_to(self.exact(role, price, count), step)
    }

    /// The unrounded fee, truncated to 10^-8 dollars (for display beside the rounded one).
    pub fn fee_unrounded(&self, role: Role, price: Price, count: Count) -> Money {
        Money::from_units((self.exact(role, price, count) / EXACT_PER_MONEY_UNIT) as i64)
    }
}

fn ceil_exact_to(exact: i128, step: Money) -> Money {
    let step_exact = i128::from(step.units()) * EXACT_PER_MONEY_UNIT;
    let steps = (exact + step_exact - 1).div_euclid(step_exact);
    Money::from_units((steps * i128::from(step.units())) as i64)
}

/// The three fee components of one fill under centicent rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FillFee {
    /// Fee model result rounded up to $0.0001.
    pub trade_fee: Money,
    /// Charge that brings the balance back to its target precision.
    pub rounding_fee: Money,
    /// Whole cents refunded from accumulated rounding.
    pub rebate: Money,
    /// `trade_fee + rounding_fee − rebate`.
    pub net: Money,
}

/// Per-order rounding accumulator for the centicent rule: the total fee of many small fills
/// converges to what one equivalent fill would cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeAccumulator {
    precision: Money,
    carried: Money,
}

impl FeeAccumulator {
    /// An accumulator for a balance kept to `precision` ($0.01 for most members, $0.0001 for
    /// direct members).
    pub fn new(precision: Money) -> FeeAccumulator {
        FeeAccumulator { precision, carried: Money::ZERO }
    }

    /// Rounding overpaid so far and not yet rebated.
    pub fn carried(&self) -> Money {
        self.carried
    }

    /// Charges one fill. `revenue` is the fill's signed cash flow before fees (negative for a
    /// buyer: `−price × count`).
    pub fn fill(&mut self, schedule: &FeeSchedule, role: Role, price: Price, count: Count, revenue: Money) -> FillFee {
        let trade_fee = schedule.fee(role, price, count, Rounding::Centicent);
        let balance_change = revenue - trade_fee;
        let rounding_fee = balance_change - balance_change.floor_to(self.precision);
        self.carried += rounding_fee;
        let rebate = self.carried.floor_to(Money::CENT);
        self.carried -= rebate;
        FillFee { trade_fee, rounding_fee, rebate, net: trade_fee + rounding_fee - rebate }
    }
}

/// `configs/fees.toml`: the screening rounding mode and per-series overrides.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeConfig {
    /// Rounding used for EV screening and reports (`cent` is the conservative choice).
    pub rounding: Rounding,
    /// Per-series overrides; they win over the exchange's series and event values.
    #[serde(default)]
    pub series: BTreeMap<String, SeriesFeeOverride>,
}

/// One series' fee override.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesFeeOverride {
    /// Replaces the exchange's `fee_type`.
    pub fee_type: Option<FeeType>,
    /// Replaces the exchange's `fee_multiplier`.
    pub fee_multiplier: Option<FeeMultiplier>,
    /// Dollars per contract for `flat` series.
    pub flat_fee_per_contract: Option<Money>,
}

impl FeeConfig {
    /// The schedule for `series`, starting from what the exchange reports (series values,
    /// already replaced by any event override) and applying this file's override.
    pub fn resolve(&self, series: &str, fee_type: FeeType, multiplier: FeeMultiplier) -> Result<FeeSchedule, FeeError> {
        let over = self.series.get(series);
        let fee_type = over.and_then(|o| o.fee_type.clone()).unwrap_or(fee_type);
        let multiplier = over.and_then(|o| o.fee_multiplier).unwrap_or(multiplier);
        let flat_per_contract = over.and_then(|o| o.flat_fee_per_contract);
        if fee_type == FeeType::Flat && flat_per_contract.is_none() {
            return Err(FeeError::FlatWithoutAmount(series.to_string()));
        }
        Ok(FeeSchedule { fee_type, multiplier, flat_per_contract })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }
    fn c(n: i64) -> Count {
        Count::from_whole(n).unwrap()
    }

    /// Kalshi's published fee table (cent rounding): price, taker ×1, taker ×100, maker ×1, maker ×100.
    const TABLE: &[(&str, &str, &str, &str, &str)] = &[
        ("0.05", "0.01", "0.34", "0.01", "0.09"),
        ("0.10", "0.01", "0.63", "0.01", "0.16"),
        ("0.15", "0.01", "0.90", "0.01", "0.23"),
        ("0.20", "0.02", "1.12", "0.01", "0.28"),
        ("0.25", "0.02", "1.32", "0.01", "0.33"),
        ("0.30", "0.02", "1.47", "0.01", "0.37"),
        ("0.35", "0.02", "1.60", "0.01", "0.40"),
        ("0.40", "0.02", "1.68", "0.01", "0.42"),
        ("0.45", "0.02", "1.74", "0.01", "0.44"),
        ("0.50", "0.02", "1.75", "0.01", "0.44"),
        ("0.55", "0.02", "1.74", "0.01", "0.44"),
        ("0.60", "0.02", "1.68", "0.01", "0.42"),
        ("0.65", "0.02", "1.60", "0.01", "0.40"),
        ("0.70", "0.02", "1.47", "0.01", "0.37"),
        ("0.75", "0.02", "1.32", "0.01", "0.33"),
        ("0.80", "0.02", "1.12", "0.01", "0.28"),
        ("0.85", "0.01", "0.90", "0.01", "0.23"),
        ("0.90", "0.01", "0.63", "0.01", "0.16"),
        ("0.95", "0.01", "0.34", "0.01", "0.09"),
    ];

    #[test]
    fn matches_published_cent_table() {
        let s = FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE);
        for &(price, t1, t100, m1, m100) in TABLE {
            let fee = |role, n| s.fee(role, p(price), c(n), Rounding::Cent).to_string();
            assert_eq!(fee(Role::Taker, 1), t1, "taker x1 at {price}");
            assert_eq!(fee(Role::Taker, 100), t100, "taker x100 at {price}");
            assert_eq!(fee(Role::Maker, 1), m1, "maker x1 at {price}");
            assert_eq!(fee(Role::Maker, 100), m100, "maker x100 at {price}");
        }
    }

    #[test]
    fn centicent_and_multiplier() {
        let s = FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE);
        assert_eq!(s.fee(Role::Taker, p("0.25"), c(100), Rounding::Centicent).to_string(), "1.3125");
        assert_eq!(s.fee(Role::Taker, p("0.50"), c(1), Rounding::Centicent).to_string(), "0.0175");
        assert_eq!(s.fee(Role::Maker, p("0.50"), c(1), Rounding::Centicent).to_string(), "0.0044");
        let half = FeeSchedule::quadratic_with_maker_fees("0.5".parse().unwrap());
        assert_eq!(half.fee(Role::Taker, p("0.50"), c(100), Rounding::Cent).to_string(), "0.88");
        let quad =
            FeeSchedule { fee_type: FeeType::Quadratic, multiplier: FeeMultiplier::ONE, flat_per_contract: None };
        assert_eq!(quad.fee(Role::Maker, p("0.50"), c(100), Rounding::Cent), Money::ZERO);
    }

    #[test]
    fn flat_fee() {
        let s = FeeSchedule {
            fee_type: FeeType::Flat,
            multiplier: FeeMultiplier::ONE,
            flat_per_contract: Some("0.0025".parse().unwrap()),
        };
        assert_eq!(s.fee(Role::Maker, p("0.50"), c(3), Rounding::Cent).to_string(), "0.01");
        assert_eq!(s.fee(Role::Maker, p("0.50"), c(3), Rounding::Centicent).to_string(), "0.0075");
    }

    #[test]
    fn accumulator_makes_small_fills_cost_one_fill() {
        // Buy 3 at $0.055 as three 1-lot taker fills versus one 3-lot fill, cent balances.
        let s = FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE);
        let price = p("0.055");
        let mut acc = FeeAccumulator::new(Money::CENT);
        let mut total = Money::ZERO;
        for _ in 0..3 {
            let f = acc.fill(&s, Role::Taker, price, c(1), -c(1).times(price));
            assert_eq!(f.trade_fee.to_string(), "0.0037");
            assert_eq!(f.rounding_fee.to_string(), "0.0013");
            total += f.net;
        }
        let mut one = FeeAccumulator::new(Money::CENT);
        let single = one.fill(&s, Role::Taker, price, c(3), -c(3).times(price));
        assert_eq!(single.trade_fee.to_string(), "0.0110");
        assert_eq!(total.to_string(), "0.0150");
        assert_eq!(single.net.to_string(), "0.0150");
    }

    #[test]
    fn accumulator_rebates_whole_cents() {
        let s = FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE);
        let price = p("0.055");
        let mut acc = FeeAccumulator::new(Money::CENT);
        let mut rebates = Money::ZERO;
        for _ in 0..10 {
            rebates += acc.fill(&s, Role::Maker, price, c(1), -c(1).times(price)).rebate;
        }
        assert!(rebates > Money::ZERO);
        assert!(acc.carried() < Money::CENT);
    }

    #[test]
    fn resolves_overrides() {
        let cfg: FeeConfig = toml::from_str(
            "rounding = \"cent\"\n[series.KXINXU]\nfee_multiplier = \"0.5\"\n[series.KXFLAT]\nfee_type = \"flat\"\n",
        )
        .unwrap();
        let s = cfg.resolve("KXINXU", FeeType::Quadratic, FeeMultiplier::ONE).unwrap();
        assert_eq!(s.multiplier.to_string(), "0.5");
        assert_eq!(
            cfg.resolve("KXFLAT", FeeType::Quadratic, FeeMultiplier::ONE),
            Err(FeeError::FlatWithoutAmount("KXFLAT".into()))
        );
        assert!(toml::from_str::<FeeConfig>("rounding = \"cent\"\nbogus = 1\n").is_err());
    }
}
