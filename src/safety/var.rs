//! Value at risk of the open book, pure. For one event, the model PMF gives each outcome bin
//! a probability and every holding (position or resting order, counted as if filled) a payoff
//! in each bin; the VaR at confidence `c` is the loss at the `1 − c` quantile of that P&L
//! distribution. Events of related series at the same time (S&P 500 and Nasdaq-100 ladders of
//! one hour) are taken to move together — comonotone — so a family's VaR is the sum of its
//! events' VaRs, the largest their joint loss quantile can be.

use std::collections::BTreeMap;

use crate::model::{Count, LadderKind, Money, Price, Side};

/// One event's outcome bins: their model probabilities and, per market, the bins where YES wins.
#[derive(Debug, Clone, PartialEq)]
pub struct EventOutcomes {
    /// Model probability of each bin (sums to one).
    pub probs: Vec<f64>,
    /// Per market ticker, whether YES wins in each bin.
    pub yes_wins: BTreeMap<String, Vec<bool>>,
}

impl EventOutcomes {
    /// From a scanned ladder: `tickers` in ladder order and the model's bin masses. Range
    /// ladders have one bin per market; threshold ladders one more bin than markets, market
    /// `i` winning in every bin above its strike.
    pub fn from_ladder(kind: LadderKind, tickers: &[String], model_bins: &[f64]) -> EventOutcomes {
        let n = model_bins.len();
        let yes_wins = tickers
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let wins = (0..n)
                    .map(|bin| match kind {
                        LadderKind::Range => bin == i,
                        LadderKind::Threshold => bin > i,
                    })
                    .collect();
                (t.clone(), wins)
            })
            .collect();
        EventOutcomes { probs: model_bins.to_vec(), yes_wins }
    }
}

/// A holding in one market: bought `count` of `side` at `price` (a resting order counts as filled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    /// Market ticker.
    pub ticker: String,
    /// Contract held.
    pub side: Side,
    /// Price paid per contract.
    pub price: Price,
    /// Contracts.
    pub count: Count,
}

/// What a book holds: positions, and resting orders (each counted as if filled).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookHoldings {
    /// Positions at their average price.
    pub positions: Vec<Holding>,
    /// Resting orders' remaining contracts at their prices.
    pub resting: Vec<Holding>,
}

impl BookHoldings {
    /// Positions and resting orders together (what VaR counts).
    pub fn all(&self) -> Vec<Holding> {
        self.positions.iter().chain(&self.resting).cloned().collect()
    }
}

/// A ledger's holdings: each position at its average price (rounded down to the micro-dollar),
/// and each resting order's remaining contracts at its price.
pub fn ledger_holdings(ledger: &crate::ledger::LedgerState) -> BookHoldings {
    let positions = ledger.positions.values().filter(|p| !p.count.is_zero()).map(|p| Holding {
        ticker: p.ticker.clone(),
        side: p.side,
        price: average_price(p.cost, p.count),
        count: p.count,
    });
    let resting = ledger.open_orders.values().map(|o| Holding {
        ticker: o.order.ticker.clone(),
        side: o.order.side,
        price: o.order.price,
        count: o.remaining,
    });
    BookHoldings { positions: positions.collect(), resting: resting.collect() }
}

/// The average price paid per contract, rounded down to the micro-dollar (one dollar for no
/// contracts: nothing is held at a known price).
pub fn average_price(cost: Money, count: Count) -> Price {
    if count.is_zero() {
        return Price::ONE;
    }
    let per = cost.per_contract_floor(count);
    Price::from_micros(per.units() / 100).unwrap_or(Price::ONE)
}

/// The P&L of `holdings` in each outcome bin (holdings on markets outside the event are ignored).
pub fn pnl_by_bin(outcomes: &EventOutcomes, holdings: &[Holding]) -> Vec<Money> {
    let mut pnl = vec![Money::ZERO; outcomes.probs.len()];
    for h in holdings {
        let Some(wins) = outcomes.yes_wins.get(&h.ticker) else { continue };
        let cost = h.count.times(h.price);
        let payout = h.count.times(Price::ONE);
        for (bin, yes) in wins.iter().enumerate() {
            let won = match h.side {
                Side::Yes => *yes,
                Side::No => !*yes,
            };
            pnl[bin] += if won { payout - cost } else { -cost };
        }
    }
    pnl
}

/// The loss not exceeded with probability `confidence` (zero when the book cannot lose there).
pub fn value_at_risk(probs: &[f64], pnl: &[Money], confidence: f64) -> Money {
    let mut outcomes: Vec<(Money, f64)> = pnl.iter().copied().zip(probs.iter().copied()).collect();
    outcomes.sort_by_key(|o| o.0);
    let tail = (1.0 - confidence).max(0.0);
    let mut cumulative = 0.0;
    for (value, p) in &outcomes {
        cumulative += p.max(0.0);
        if cumulative > tail + 1e-12 {
            return if value.is_negative() { -*value } else { Money::ZERO };
        }
    }
    outcomes.last().map_or(Money::ZERO, |(v, _)| if v.is_negative() { -*v } else { Money::ZERO })
}

/// The VaR of one event's holdings.
pub fn event_var(outcomes: &EventOutcomes, holdings: &[Holding], confidence: f64) -> Money {
    value_at_risk(&outcomes.probs, &pnl_by_bin(outcomes, holdings), confidence)
}

/// The family an event belongs to: its series' family index and the event's date/time part
/// (`KXINXU-26NOV24H1600` → `26NOV24H1600`), or `None` when its series is in no family.
pub fn family_key(families: &[Vec<String>], series: &str, event: &str) -> Option<(usize, String)> {
    let index = families.iter().position(|f| f.iter().any(|s| s == series))?;
    let when = event.split_once('-').map_or(event, |(_, rest)| rest);
    Some((index, when.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    #[test]
    fn range_ladder_var_by_hand() {
        // Three bins with model 0.1 / 0.6 / 0.3; we hold 10 YES of the middle bin at 0.50.
        let tickers = vec!["A".to_string(), "B".to_string(), "C".to_string()];
        let o = EventOutcomes::from_ladder(LadderKind::Range, &tickers, &[0.1, 0.6, 0.3]);
        let h = [Holding {
            ticker: "B".into(),
            side: Side::Yes,
            price: Price::from_cents(50).unwrap(),
            count: Count::from_whole(10).unwrap(),
        }];
        assert_eq!(pnl_by_bin(&o, &h), [m("-5"), m("5"), m("-5")]);
        // 40% of the mass loses $5: at 95% (and at 61%) the VaR is $5; at 50% it is nothing.
        assert_eq!(event_var(&o, &h, 0.95), m("5"));
        assert_eq!(event_var(&o, &h, 0.61), m("5"));
        assert_eq!(event_var(&o, &h, 0.50), Money::ZERO);
        // Buying NO of the same bin hedges it: the book pays 10 × (1 − 0.5 − 0.6) = −1 everywhere.
        let mut hedged = h.to_vec();
        hedged.push(Holding {
            ticker: "B".into(),
            side: Side::No,
            price: Price::from_cents(60).unwrap(),
            count: Count::from_whole(10).unwrap(),
        });
        assert_eq!(event_var(&o, &hedged, 0.95), m("1"));
    }

    #[test]
    fn threshold_markets_win_above_their_strike() {
        let tickers = vec!["T1".to_string(), "T2".to_string()];
        let o = EventOutcomes::from_ladder(LadderKind::Threshold, &tickers, &[0.2, 0.5, 0.3]);
        assert_eq!(o.yes_wins["T1"], [false, true, true]);
        assert_eq!(o.yes_wins["T2"], [false, false, true]);
        assert_eq!(
            family_key(&[vec!["KXINXU".into(), "KXNASDAQ100U".into()]], "KXNASDAQ100U", "KXNASDAQ100U-26NOV24H1600"),
            Some((0, "26NOV24H1600".into()))
        );
        assert_eq!(family_key(&[], "KXCPI", "KXCPI-25NOV"), None);
    }
}
