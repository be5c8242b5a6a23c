//! Expected value after fees, worst-case loss and Kelly sizing for buying one side of a
//! binary contract.

use crate::model::{Count, Money, Price, Role, Side};

use super::fees::{FeeSchedule, Rounding};

/// The fair price of the contract on `side`, given the model's YES probability rounded to
/// the micro-dollar. The NO fair price is the exact complement of the YES one.
pub fn fair_price(side: Side, yes_prob: f64) -> Price {
    let yes = Price::from_probability(yes_prob);
    match side {
        Side::Yes => yes,
        Side::No => yes.complement(),
    }
}

/// Expected value per contract before fees of buying `side` at `price`: fair − price.
pub fn gross_edge(side: Side, yes_prob: f64, price: Price) -> Money {
    fair_price(side, yes_prob).to_money() - price.to_money()
}

/// Figures for one candidate order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderEv {
    /// Fee of the whole order.
    pub fee: Money,
    /// Expected value of the whole order after the fee.
    pub ev_order: Money,
    /// `ev_order / count`, rounded down.
    pub ev_per_contract: Money,
    /// Everything paid if the contract settles against us: `count × price + fee`.
    pub max_loss: Money,
}

/// Expected value after fees of buying `count` contracts of `side` at `price`.
pub fn order_ev(
    schedule: &FeeSchedule,
    rounding: Rounding,
    role: Role,
    side: Side,
    yes_prob: f64,
    price: Price,
    count: Count,
) -> OrderEv {
    let fee = schedule.fee(role, price, count, rounding);
    let gross = count.times(fair_price(side, yes_prob)) - count.times(price);
    let ev_order = gross - fee;
    OrderEv { fee, ev_order, ev_per_contract: ev_order.per_contract_floor(count), max_loss: count.times(price) + fee }
}

/// Worst-case loss of buying `count` at `price`: the premium plus the fee.
pub fn max_loss(schedule: &FeeSchedule, rounding: Rounding, role: Role, price: Price, count: Count) -> Money {
    count.times(price) + schedule.fee(role, price, count, rounding)
}

/// Kelly fraction of bankroll for buying a contract that pays 1 with probability `win_prob`
/// at an all-in cost of `cost` per contract, clamped to `[0, cap]`.
pub fn kelly_fraction(win_prob: f64, cost: f64, cap: f64) -> f64 {
    if !(0.0..1.0).contains(&cost) || !win_prob.is_finite() {
        return 0.0;
    }
    ((win_prob - cost) / (1.0 - cost)).clamp(0.0, cap.max(0.0))
}

/// Whole contracts a Kelly stake buys: `fraction` of `bankroll`, at an all-in `cost` per
/// contract, rounded down (stake and cost in micro-dollars, so 0.2 × 50.00 at 0.50 is exactly
/// 20, not 19 through a float's last digit).
pub fn kelly_contracts(fraction: f64, bankroll: Money, cost: f64) -> i64 {
    if !fraction.is_finite() || fraction <= 0.0 || !(cost > 0.0 && cost < 1.0) || bankroll.units() <= 0 {
        return 0;
    }
    let stake_micros = (fraction * (bankroll.units() / 100) as f64 + 1e-6).floor() as i64;
    let cost_micros = (cost * 1e6).round() as i64;
    stake_micros / cost_micros.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::fees::FeeMultiplier;

    #[test]
    fn kelly_contracts_round_down_exactly() {
        let m = |s: &str| s.parse::<Money>().unwrap();
        assert_eq!(kelly_contracts(0.2, m("50.00"), 0.5), 20);
        assert_eq!(kelly_contracts(0.25, m("100.00"), 0.27), 92, "25.00 / 0.27 = 92.6");
        assert_eq!(kelly_contracts(0.0, m("100.00"), 0.27), 0);
        assert_eq!(kelly_contracts(0.1, Money::ZERO, 0.27), 0, "no bankroll share: nothing");
    }

    #[test]
    fn ev_after_fees_by_hand() {
        // Model 0.40, buy YES at 0.30 as taker, 10 contracts:
        // gross 10 × 0.10 = 1.00; fee ceil(0.07 × 10 × 0.3 × 0.7) = ceil(0.147) = 0.15.
        let s = FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE);
        let c = Count::from_whole(10).unwrap();
        let ev = order_ev(&s, Rounding::Cent, Role::Taker, Side::Yes, 0.40, "0.30".parse().unwrap(), c);
        assert_eq!(ev.fee.to_string(), "0.15");
        assert_eq!(ev.ev_order.to_string(), "0.85");
        assert_eq!(ev.ev_per_contract.to_string(), "0.0850");
        assert_eq!(ev.max_loss.to_string(), "3.15");
    }

    #[test]
    fn no_side_uses_complement() {
        assert_eq!(gross_edge(Side::No, 0.40, "0.55".parse().unwrap()).to_string(), "0.05");
        assert_eq!(gross_edge(Side::Yes, 0.40, "0.45".parse().unwrap()).to_string(), "-0.05");
    }

    #[test]
    fn kelly() {
        assert!((kelly_fraction(0.6, 0.5, 1.0) - 0.2).abs() < 1e-12);
        assert_eq!(kelly_fraction(0.6, 0.5, 0.1), 0.1);
        assert_eq!(kelly_fraction(0.4, 0.5, 1.0), 0.0);
        assert_eq!(kelly_fraction(0.4, 1.0, 1.0), 0.0);
    }
}
