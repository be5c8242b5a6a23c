//! Property tests for the pricing math and money arithmetic.

use kalshi_alpha::model::{Count, Ladder, LadderKind, Level, Money, OrderBook, Price, Role, Rung, Side, Strike};
use kalshi_alpha::pricing::distribution::{Distribution, model_pmf};
use kalshi_alpha::pricing::ev::{gross_edge, order_ev};
use kalshi_alpha::pricing::fees::{FeeMultiplier, FeeSchedule, Rounding};
use kalshi_alpha::pricing::market_pmf::{market_pmf, pav_non_increasing};
use proptest::prelude::*;

fn price() -> impl Strategy<Value = Price> {
    (0_i64..=1_000_000).prop_map(|m| Price::from_micros(m).unwrap())
}

fn count() -> impl Strategy<Value = Count> {
    (0_i64..=1_000_000).prop_map(|c| Count::from_centis(c).unwrap())
}

fn distribution() -> impl Strategy<Value = Distribution> {
    prop_oneof![
        (-50.0..50.0_f64, 0.1..20.0_f64).prop_map(|(mean, std)| Distribution::Normal { mean, std }),
        (-50.0..50.0_f64, 0.1..20.0_f64, 1.0..30.0_f64).prop_map(|(location, scale, df)| Distribution::StudentT {
            location,
            scale,
            df
        }),
        (-50.0..50.0_f64, 0.1..20.0_f64, -8.0..8.0_f64).prop_map(|(location, scale, shape)| Distribution::SkewNormal {
            location,
            scale,
            shape
        }),
    ]
}

fn range_ladder(start: i32, width: u8, bins: u8) -> Ladder {
    let (start, width) = (f64::from(start), f64::from(width));
    let mut rungs = vec![Rung { ticker: "lo".into(), strike: Strike::Less { cap: start } }];
    for i in 0..bins {
        let floor = start + f64::from(i) * width;
        rungs.push(Rung { ticker: format!("b{i}"), strike: Strike::Between { floor, cap: floor + width - 1.0 } });
    }
    rungs.push(Rung { ticker: "hi".into(), strike: Strike::Greater { floor: start + f64::from(bins) * width - 1.0 } });
    Ladder::build(rungs).unwrap()
}

fn book(yes: Option<Price>, no: Option<Price>) -> OrderBook {
    let side =
        |p: Option<Price>| p.into_iter().map(|price| Level { price, size: Count::from_whole(5).unwrap() }).collect();
    OrderBook::from_levels(side(yes), side(no))
}

proptest! {
    #[test]
    fn fees_are_symmetric_and_non_negative(p in price(), c in count(), m in 0_i64..=20_000, maker in any::<bool>(), centi in any::<bool>()) {
        let schedule = FeeSchedule::quadratic_with_maker_fees(format!("{}.{:04}", m / 10_000, m % 10_000).parse::<FeeMultiplier>().unwrap());
        let role = if maker { Role::Maker } else { Role::Taker };
        let rounding = if centi { Rounding::Centicent } else { Rounding::Cent };
        let fee = schedule.fee(role, p, c, rounding);
        prop_assert!(fee >= Money::ZERO);
        prop_assert_eq!(fee, schedule.fee(role, p.complement(), c, rounding));
        prop_assert!(schedule.fee(Role::Maker, p, c, rounding) <= schedule.fee(Role::Taker, p, c, rounding));
        prop_assert!(schedule.fee(role, p, c, Rounding::Centicent) <= schedule.fee(role, p, c, Rounding::Cent));
    }

    #[test]
    fn money_round_trips(a in -1_000_000_000_000_i64..1_000_000_000_000, b in -1_000_000_000_000_i64..1_000_000_000_000) {
        let (x, y) = (Money::from_units(a), Money::from_units(b));
        prop_assert_eq!((x + y) - y, x);
        prop_assert_eq!(x.to_string().parse::<Money>().unwrap(), x);
    }

    #[test]
    fn price_and_count_round_trip(p in price(), c in count()) {
        prop_assert_eq!(p.to_string().parse::<Price>().unwrap(), p);
        prop_assert_eq!(c.to_string().parse::<Count>().unwrap(), c);
        prop_assert_eq!(p.complement().complement(), p);
    }

    #[test]
    fn gross_ev_is_antisymmetric(q in 0.0..=1.0_f64, p in price()) {
        // Buying YES at p and buying NO at 1 − p are opposite bets.
        prop_assert_eq!(gross_edge(Side::Yes, q, p), -gross_edge(Side::No, q, p.complement()));
    }

    #[test]
    fn ev_after_fees_never_exceeds_gross(q in 0.0..=1.0_f64, p in price(), n in 1_i64..500) {
        let c = Count::from_whole(n).unwrap();
        let schedule = FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE);
        let ev = order_ev(&schedule, Rounding::Cent, Role::Taker, Side::Yes, q, p, c);
        prop_assert!(ev.ev_order <= c.times(Price::from_probability(q)) - c.times(p));
        prop_assert_eq!(ev.max_loss, c.times(p) + ev.fee);
    }

    #[test]
    fn pav_output_is_monotone(values in prop::collection::vec(-0.5..1.5_f64, 0..40)) {
        let out = pav_non_increasing(&values);
        prop_assert_eq!(out.len(), values.len());
        for w in out.windows(2) {
            prop_assert!(w[1] <= w[0] + 1e-12, "{:?}", out);
        }
        prop_assert!(out.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn model_pmf_is_a_distribution(d in distribution(), start in -40_i32..40, width in 1_u8..5, bins in 1_u8..10, res in any::<bool>()) {
        let ladder = range_ladder(start, width, bins);
        let cdf = d.cdf_fn().unwrap();
        let pmf = model_pmf(&ladder, &cdf, if res { Some(1.0) } else { None });
        prop_assert!(pmf.bins.iter().all(|&m| m >= 0.0));
        prop_assert!((pmf.bins.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn market_pmf_is_a_distribution(
        quotes in prop::collection::vec((prop::option::of(1_i64..99), prop::option::of(1_i64..99)), 2..15),
        threshold in any::<bool>(),
    ) {
        let books: Vec<OrderBook> = quotes
            .iter()
            .map(|&(y, n)| book(y.map(|c| Price::from_cents(c).unwrap()), n.map(|c| Price::from_cents(c).unwrap())))
            .collect();
        let kind = if threshold { LadderKind::Threshold } else { LadderKind::Range };
        let pmf = market_pmf(kind, &books.iter().collect::<Vec<_>>());
        prop_assert!(pmf.bins.iter().all(|&m| m >= -1e-12), "{:?}", pmf.bins);
        prop_assert!((pmf.bins.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        if threshold {
            for w in pmf.yes_prob.windows(2) {
                prop_assert!(w[1] <= w[0] + 1e-12);
            }
        }
    }
}
