//! Backtest books and fills, pure. Nothing fills by assumption: each approved order goes
//! through the paper fill model (`paper`) against what was recorded.
//!
//! * **The book at the decision time** is the last hourly candle of the market ending at or
//!   before the cutoff: its YES bid and ask closes. Candles carry no depth, so each quoted
//!   level's depth is that candle's traded volume (what demonstrably changed hands there in
//!   the hour before); a candle without trades quotes prices with no takeable depth.
//! * **Takers** walk that depth at once up to their limit (`paper::taker_walk`); what is not
//!   there is not filled.
//! * **Makers** are post-only: one that would cross the quote is refused. Otherwise it joins
//!   the queue behind the level's depth (nothing ahead when it improves the price) and is
//!   filled only by the recorded public trades after the cutoff and before the market closes,
//!   through `paper::MakerQueue` with fill-α. A market without recorded trades fills no maker.

use chrono::{DateTime, Utc};

use crate::drivers::parse::kalshi_history::{CandleRow, PublicTrade};
use crate::model::{Count, Level, OrderBook, Proposal, Side};
use crate::paper::{Print, SimOrder, SimTerms};
use crate::pricing::fees::FeeSchedule;

/// A market's book at the decision time.
#[derive(Debug, Clone, PartialEq)]
pub struct CandleBook {
    /// The quoted prices (what the scan sees; depth is not part of a quote).
    pub quotes: OrderBook,
    /// The same prices with the depth a fill may take.
    pub depth: OrderBook,
    /// When the candle ended.
    pub at: DateTime<Utc>,
}

/// The book of `ticker` from the last candle ending at or before `cutoff` (none: no candle).
pub fn book_at(candles: &[CandleRow], ticker: &str, cutoff: DateTime<Utc>) -> Option<CandleBook> {
    let last = candles.iter().filter(|c| c.ticker == ticker && c.end <= cutoff).max_by_key(|c| c.end)?;
    let levels = |size: Count| {
        let yes = last.bid_close.map(|p| vec![Level { price: p, size }]).unwrap_or_default();
        let no = last.ask_close.map(|p| vec![Level { price: p.complement(), size }]).unwrap_or_default();
        OrderBook::from_levels(yes, no)
    };
    let nominal = Count::from_whole(1).unwrap_or(Count::ZERO);
    Some(CandleBook { quotes: levels(nominal), depth: levels(last.volume.unwrap_or(Count::ZERO)), at: last.end })
}

/// Fills `order` against `book` and, for a maker, the market's recorded `trades` after the
/// cutoff (in time order; trades of other markets are ignored).
pub fn fill(
    order: &Proposal,
    book: &CandleBook,
    trades: &[PublicTrade],
    schedule: &FeeSchedule,
    terms: SimTerms,
) -> SimOrder {
    let mut sim = SimOrder::place(order, &book.quotes, &book.depth, schedule, terms);
    for t in trades.iter().filter(|t| t.ticker == order.ticker) {
        if sim.resting().is_zero() {
            break;
        }
        let taker = match t.taker_side.as_str() {
            "yes" => Side::Yes,
            "no" => Side::No,
            _ => continue,
        };
        sim.on_trade(Print::of_trade(taker, t.yes_price, t.count));
    }
    sim
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Money, Price, Role};
    use crate::paper::FillAlpha;
    use crate::pricing::fees::{FeeMultiplier, Rounding};

    fn c(s: &str) -> Count {
        s.parse().unwrap()
    }
    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }
    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn candle(end: &str, bid: &str, ask: &str, volume: &str) -> CandleRow {
        CandleRow {
            ticker: "M".into(),
            end: t(end),
            bid_close: Some(p(bid)),
            ask_close: Some(p(ask)),
            price_close: None,
            volume: Some(c(volume)),
        }
    }

    fn order(role: Role, side: Side, price: &str, count: &str) -> Proposal {
        Proposal {
            series: "S".into(),
            event: "S-E".into(),
            ticker: "M".into(),
            label: String::new(),
            side,
            role,
            price: p(price),
            count: c(count),
            model_p: 0.5,
            market_p: 0.5,
            ev_per_contract: Money::ZERO,
            ev_order: Money::ZERO,
            fee: Money::ZERO,
            max_loss: Money::ZERO,
            kelly: 0.0,
        }
    }

    fn trade(at: &str, taker: &str, yes_price: &str, count: &str) -> PublicTrade {
        PublicTrade {
            trade_id: at.into(),
            ticker: "M".into(),
            count: c(count),
            yes_price: p(yes_price),
            taker_side: taker.into(),
            time: t(at),
        }
    }

    #[test]
    fn the_book_is_the_last_candle_before_the_cutoff_with_its_volume_as_depth() {
        let candles = vec![
            candle("2026-11-24T11:00:00Z", "0.40", "0.45", "7"),
            candle("2026-11-24T12:00:00Z", "0.41", "0.44", "0"),
            candle("2026-11-24T13:00:00Z", "0.90", "0.95", "99"),
        ];
        let book = book_at(&candles, "M", t("2026-11-24T12:30:00Z")).unwrap();
        assert_eq!(book.at, t("2026-11-24T12:00:00Z"));
        assert_eq!(book.quotes.best_yes_bid().unwrap().price, p("0.41"));
        assert!(book.depth.yes_bids().is_empty(), "no trades in that hour: no depth");
        assert!(book_at(&candles, "M", t("2026-11-24T10:59:00Z")).is_none());
    }

    #[test]
    fn takers_take_only_the_depth_and_makers_fill_only_from_later_trades() {
        let fees = FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE);
        let terms = SimTerms { rounding: Rounding::Centicent, alpha: FillAlpha::ONE };
        let book =
            book_at(&[candle("2026-11-24T12:00:00Z", "0.40", "0.45", "6")], "M", t("2026-11-24T12:00:00Z")).unwrap();
        // A taker for 10 YES at 0.46: 6 at the 0.45 ask, the rest is not there.
        let got = fill(&order(Role::Taker, Side::Yes, "0.46", "10"), &book, &[], &fees, terms);
        assert_eq!((got.filled, got.cost), (c("6"), "2.70".parse().unwrap()));
        // Charged as the paper broker charges: the per-order accumulator on a cent balance.
        let mut charged = crate::pricing::fees::OrderFees::new(Rounding::Centicent);
        assert_eq!(got.fees(), charged.charge(&fees, Role::Taker, p("0.45"), c("6")));
        assert_eq!(got.settled_pnl(true), "6".parse::<Money>().unwrap() - got.cost - got.fees());
        // A maker joining the 0.40 bid behind 6: a 4-lot at 0.40 does not reach it, a print
        // through 0.40 fills the rest.
        let maker = order(Role::Maker, Side::Yes, "0.40", "5");
        let trades =
            [trade("2026-11-24T13:00:00Z", "no", "0.40", "4"), trade("2026-11-24T14:00:00Z", "no", "0.39", "9")];
        let got = fill(&maker, &book, &trades[..1], &fees, terms);
        assert!(got.filled.is_zero());
        let got = fill(&maker, &book, &trades, &fees, terms);
        assert_eq!(got.filled, c("5"));
        // Without recorded trades, no maker fills; a crossing maker is refused.
        assert!(fill(&maker, &book, &[], &fees, terms).filled.is_zero());
        assert!(fill(&order(Role::Maker, Side::Yes, "0.45", "5"), &book, &trades, &fees, terms).refused);
    }
}
