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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// A `flat` fee type with no per-contract amount.
    #[error("fee_type \"flat\" needs a per-contract amount (configs/fees.toml: flat_fee_per_contract)")]
    FlatWithoutAmount,
}

/// Everything needed to price one series' fees. A `flat` schedule always carries its
/// per-contract amount: there is no way to build one without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeSchedule {
    model: FeeModel,
    multiplier: FeeMultiplier,
}

/// The fee model with what it needs to price an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FeeModel {
    Quadratic,
    QuadraticWithMakerFees,
    QuadraticWithComboMakerFees,
    Flat { per_contract: Money },
}

/// The serialised shape of a schedule (reports and proposals files).
#[derive(Serialize)]
struct ScheduleView {
    fee_type: FeeType,
    multiplier: FeeMultiplier,
    flat_per_contract: Option<Money>,
}

impl Serialize for FeeSchedule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ScheduleView {
            fee_type: self.fee_type(),
            multiplier: self.multiplier,
            flat_per_contract: self.flat_per_contract(),
        }
        .serialize(s)
    }
}

/// What the exchange reports about one event's fees: the series' values and the event's
/// overrides (`event_fee_update`), as the API spells them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReportedFees<'a> {
    /// The series' `fee_type`.
    pub fee_type: &'a str,
    /// The series' `fee_multiplier`.
    pub multiplier: f64,
    /// The event's replacement fee type, if any.
    pub event_fee_type: Option<&'a str>,
    /// The event's replacement multiplier, if any.
    pub event_multiplier: Option<f64>,
}

impl FeeSchedule {
    /// A schedule from its parts; a `flat` type needs `flat_per_contract`, other types ignore it.
    pub fn new(
        fee_type: FeeType,
        multiplier: FeeMultiplier,
        flat_per_contract: Option<Money>,
    ) -> Result<FeeSchedule, FeeError> {
        let model = match fee_type {
            FeeType::Quadratic => FeeModel::Quadratic,
            FeeType::QuadraticWithMakerFees => FeeModel::QuadraticWithMakerFees,
            FeeType::QuadraticWithComboMakerFees => FeeModel::QuadraticWithComboMakerFees,
            FeeType::Flat => FeeModel::Flat { per_contract: flat_per_contract.ok_or(FeeError::FlatWithoutAmount)? },
        };
        Ok(FeeSchedule { model, multiplier })
    }

    /// A quadratic schedule that charges makers too, at multiplier `m`.
    pub fn quadratic_with_maker_fees(m: FeeMultiplier) -> FeeSchedule {
        FeeSchedule { model: FeeModel::QuadraticWithMakerFees, multiplier: m }
    }

    /// The fee model's API name.
    pub fn fee_type(&self) -> FeeType {
        match self.model {
            FeeModel::Quadratic => FeeType::Quadratic,
            FeeModel::QuadraticWithMakerFees => FeeType::QuadraticWithMakerFees,
            FeeModel::QuadraticWithComboMakerFees => FeeType::QuadraticWithComboMakerFees,
            FeeModel::Flat { .. } => FeeType::Flat,
        }
    }

    /// The multiplier on the base rate (or the flat amount).
    pub fn multiplier(&self) -> FeeMultiplier {
        self.multiplier
    }

    /// Dollars per contract of a `flat` schedule.
    pub fn flat_per_contract(&self) -> Option<Money> {
        match self.model {
            FeeModel::Flat { per_contract } => Some(per_contract),
            _ => None,
        }
    }

    /// The unrounded fee for `count` contracts at `price`, in units of 10^-22 dollars.
    fn exact(&self, role: Role, price: Price, count: Count) -> i128 {
        let m = i128::from(self.multiplier.0);
        let c = i128::from(count.centis());
        match self.model {
            FeeModel::Flat { per_contract } => {
                let per = i128::from(per_contract.units());
                // money (10^-8) × multiplier (10^-4) × count (10^-2) = 10^-14; scale to 10^-22.
                per * m * c * 100_000_000
            }
            FeeModel::Quadratic if role == Role::Maker => 0,
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

/// The fees of one order's fills under a rounding mode: `cent` rounds the order's running
/// fee up to the cent (each fill pays the increase), `centicent` charges through the
/// per-order [`FeeAccumulator`] on a cent balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderFees {
    rounding: Rounding,
    exact: i128,
    charged: Money,
    accumulator: FeeAccumulator,
}

impl OrderFees {
    /// A fresh order.
    pub fn new(rounding: Rounding) -> OrderFees {
        OrderFees { rounding, exact: 0, charged: Money::ZERO, accumulator: FeeAccumulator::new(Money::CENT) }
    }

    /// Charges one fill of a buy of `count` at `price`; returns the fee for this fill.
    pub fn charge(&mut self, schedule: &FeeSchedule, role: Role, price: Price, count: Count) -> Money {
        let fee = match self.rounding {
            Rounding::Cent => {
                self.exact += schedule.exact(role, price, count);
                ceil_exact_to(self.exact, Money::CENT) - self.charged
            }
            Rounding::Centicent => self.accumulator.fill(schedule, role, price, count, -count.times(price)).net,
        };
        self.charged += fee;
        fee
    }

    /// Fees charged so far.
    pub fn charged(&self) -> Money {
        self.charged
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
    /// The exchange's own view: cent rounding and no overrides (the simulator charges this way).
    pub fn exchange() -> FeeConfig {
        FeeConfig { rounding: Rounding::Cent, series: BTreeMap::new() }
    }

    /// The one place fees are resolved: the exchange's series values, replaced by the event's
    /// overrides, replaced by this file's override for `series`.
    pub fn resolve(&self, series: &str, reported: ReportedFees<'_>) -> Result<FeeSchedule, FeeError> {
        let fee_type = FeeType::from_api(reported.event_fee_type.unwrap_or(reported.fee_type))?;
        let multiplier = FeeMultiplier::from_f64(reported.event_multiplier.unwrap_or(reported.multiplier))?;
        let over = self.series.get(series);
        let fee_type = over.and_then(|o| o.fee_type).unwrap_or(fee_type);
        let multiplier = over.and_then(|o| o.fee_multiplier).unwrap_or(multiplier);
        FeeSchedule::new(fee_type, multiplier, over.and_then(|o| o.flat_fee_per_contract))
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
        let quad = FeeSchedule::new(FeeType::Quadratic, FeeMultiplier::ONE, None).unwrap();
        assert_eq!(quad.fee(Role::Maker, p("0.50"), c(100), Rounding::Cent), Money::ZERO);
    }

    #[test]
    fn flat_fee() {
        let s = FeeSchedule::new(FeeType::Flat, FeeMultiplier::ONE, Some("0.0025".parse().unwrap())).unwrap();
        assert_eq!(FeeSchedule::new(FeeType::Flat, FeeMultiplier::ONE, None), Err(FeeError::FlatWithoutAmount));
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
    fn order_fees_round_the_order_not_each_fill() {
        let s = FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE);
        // Three 1-lot taker fills at 0.055: exact 0.00363825 each; the order's running fee
        // rounds up to 0.01, 0.01, 0.02.
        let mut cent = OrderFees::new(Rounding::Cent);
        let fees: Vec<String> = (0..3).map(|_| cent.charge(&s, Role::Taker, p("0.055"), c(1)).to_string()).collect();
        assert_eq!(fees, ["0.01", "0.00", "0.01"]);
        assert_eq!(cent.charged(), s.fee(Role::Taker, p("0.055"), c(3), Rounding::Cent));
        let mut centicent = OrderFees::new(Rounding::Centicent);
        for _ in 0..3 {
            centicent.charge(&s, Role::Taker, p("0.055"), c(1));
        }
        assert_eq!(centicent.charged().to_string(), "0.0150");
    }

    #[test]
    fn resolves_overrides() {
        let cfg: FeeConfig = toml::from_str(
            "rounding = \"cent\"\n[series.KXINXU]\nfee_multiplier = \"0.5\"\n[series.KXFLAT]\nfee_type = \"flat\"\n",
        )
        .unwrap();
        let reported =
            |fee_type| ReportedFees { fee_type, multiplier: 1.0, event_fee_type: None, event_multiplier: None };
        let s = cfg.resolve("KXINXU", reported("quadratic")).unwrap();
        assert_eq!(s.multiplier().to_string(), "0.5");
        assert_eq!(cfg.resolve("KXFLAT", reported("quadratic")), Err(FeeError::FlatWithoutAmount));
        let event = ReportedFees {
            event_fee_type: Some("quadratic_with_maker_fees"),
            event_multiplier: Some(0.25),
            ..reported("quadratic")
        };
        let s = cfg.resolve("KXOTHER", event).unwrap();
        assert_eq!((s.fee_type(), s.multiplier().to_string()), (FeeType::QuadraticWithMakerFees, "0.25".to_string()));
        assert_eq!(FeeConfig::exchange().resolve("KXFLAT", reported("flat")), Err(FeeError::FlatWithoutAmount));
        assert!(toml::from_str::<FeeConfig>("rounding = \"cent\"\nbogus = 1\n").is_err());
    }
}
