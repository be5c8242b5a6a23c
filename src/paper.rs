//! The paper fill model, pure: how our simulated orders would have filled against a book we
//! only watch.
//!
//! * **Taker** orders walk the opposite side at once, level by level up to the limit price
//!   (each level fills at its own price: slippage per level).
//! * **Maker** orders rest. When one joins, the size already resting at its price is ahead of
//!   it in the queue. Trades printed at that price eat the queue first; cancels at that price
//!   (a level shrinking by more than the trades explain) remove queue ahead pro rata. Once the
//!   queue ahead is gone, trades at our price fill us; a trade printed through our price
//!   (below our bid) means the whole queue traded, so it fills us too. Fill-α scales every
//!   maker fill (1 = every contract the model allows, 0.5 = half of them).
//!
//! Prices here are those of the contract bought (a NO bid at 0.40 is a YES ask at 0.60).

use serde::{Deserialize, Serialize};

use crate::model::{Count, Level, Money, OrderBook, Price, Proposal, Role, Side};
use crate::pricing::fees::{FeeSchedule, OrderFees, Rounding};

/// `configs/paper.toml`: how the paper broker fills and keeps its books.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaperConfig {
    /// Cash the paper account starts with (before the first journal event).
    pub starting_cash: Money,
    /// Share of model-allowed maker fills that happen (`"0.6"`).
    pub fill_alpha: FillAlpha,
    /// Fee rounding charged on paper fills: `cent` (per order, up to the cent) or `centicent`
    /// (up to $0.0001 with the per-order accumulator).
    pub fee_rounding: Rounding,
    /// What resting orders do when a session ends.
    pub session_end: SessionEnd,
    /// Drawdown from peak equity (marked at mid) at which the `ledger_drawdown` monitor says
    /// `alert` (the gate then says NO-GO); half of it is `warn`.
    pub drawdown_alert: Money,
}

/// What happens to resting paper orders when a session ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionEnd {
    /// Cancel them (journalled as `session_end`).
    Cancel,
    /// Leave them resting; the next run picks them up from the journal.
    Keep,
}

/// Fill-α: the share of model-allowed maker fills that happen, in basis points (0..=10000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FillAlpha(u32);

impl FillAlpha {
    /// Every allowed contract fills.
    pub const ONE: FillAlpha = FillAlpha(10_000);

    /// As a share in [0, 1] (for reports).
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 10_000.0
    }

    /// Scales a count down to the hundredth.
    pub fn scale(self, count: Count) -> Count {
        count.share_floor(i64::from(self.0), 10_000)
    }
}

impl TryFrom<String> for FillAlpha {
    type Error = String;
    fn try_from(text: String) -> Result<FillAlpha, String> {
        let bp = crate::model::parse_fixed(&text, 4)
            .map_err(|e| format!("fill_alpha `{text}`: {e} (expected a decimal in [0, 1] with at most 4 places)"))?;
        if bp > 10_000 {
            return Err(format!("fill_alpha `{text}` is above 1"));
        }
        Ok(FillAlpha(bp as u32))
    }
}

impl From<FillAlpha> for String {
    fn from(a: FillAlpha) -> String {
        crate::model::Money::from_units(i64::from(a.0) * 10_000).to_string_dp(4)
    }
}

/// `configs/index_execution.toml`: the index ladders' execution defaults as curves over the
/// minutes left to the target (the event's settlement instant) — fill-α for resting orders and
/// the slippage expected per contract — linearly interpolated between points, flat beyond.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutionCurve {
    /// The points, any order (sorted on use).
    pub points: Vec<CurvePoint>,
}

/// One point of the execution curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurvePoint {
    /// Minutes left to the target.
    pub minutes: u32,
    /// Fill-α of maker orders placed then.
    pub fill_alpha: FillAlpha,
    /// Expected slippage per contract of orders placed then.
    pub slippage: Money,
}

impl ExecutionCurve {
    /// Fill-α and expected slippage `minutes` before the target (`None` without points).
    pub fn at(&self, minutes: f64) -> Option<(FillAlpha, Money)> {
        let mut points = self.points.clone();
        points.sort_by_key(|p| p.minutes);
        let first = points.first()?;
        let last = points.last()?;
        if minutes <= f64::from(first.minutes) {
            return Some((first.fill_alpha, first.slippage));
        }
        if minutes >= f64::from(last.minutes) {
            return Some((last.fill_alpha, last.slippage));
        }
        let pair = points.windows(2).find(|w| minutes <= f64::from(w[1].minutes))?;
        let (a, b) = (pair[0], pair[1]);
        let t = (minutes - f64::from(a.minutes)) / f64::from(b.minutes - a.minutes);
        let lerp = |x: i64, y: i64| x + ((y - x) as f64 * t).round() as i64;
        let alpha = lerp(i64::from(a.fill_alpha.0), i64::from(b.fill_alpha.0));
        let slippage = Money::from_units(lerp(a.slippage.units(), b.slippage.units()));
        Some((FillAlpha(u32::try_from(alpha.clamp(0, 10_000)).unwrap_or(0)), slippage))
    }
}

/// One fill the model allows: contracts at a price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ModelFill {
    /// Price of the contract bought.
    pub price: Price,
    /// Contracts.
    pub count: Count,
}

/// The asks for buying `side`: the other side's bids turned around, best (cheapest) first.
fn asks(book: &OrderBook, side: Side) -> Vec<Level> {
    let bids = match side {
        Side::Yes => book.no_bids(),
        Side::No => book.yes_bids(),
    };
    bids.iter().rev().map(|l| Level { price: l.price.complement(), size: l.size }).collect()
}

/// The bids resting on `side` (where a maker buying `side` joins).
fn bids(book: &OrderBook, side: Side) -> &[Level] {
    match side {
        Side::Yes => book.yes_bids(),
        Side::No => book.no_bids(),
    }
}

/// Walks the asks for `side` up to `limit`, filling at most `count`; each level at its price.
pub fn taker_walk(book: &OrderBook, side: Side, limit: Price, count: Count) -> Vec<ModelFill> {
    let mut left = count;
    let mut fills = Vec::new();
    for level in asks(book, side) {
        if left.is_zero() || level.price > limit {
            break;
        }
        let take = if level.size < left { level.size } else { left };
        fills.push(ModelFill { price: level.price, count: take });
        left = left.saturating_sub(take);
    }
    fills
}

/// True when a resting buy of `side` at `price` would cross the book (post-only refuses it).
pub fn would_cross(book: &OrderBook, side: Side, price: Price) -> bool {
    asks(book, side).first().is_some_and(|best| best.price <= price)
}

/// A resting maker order's place in its queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MakerQueue {
    /// Contract bought.
    pub side: Side,
    /// Our bid.
    pub price: Price,
    /// Contracts not yet filled.
    pub remaining: Count,
    /// Estimated contracts ahead of us.
    pub ahead: Count,
    /// The level's size when last seen (ours not included).
    pub level: Count,
    /// Traded contracts at our price whose level decrease has not been seen yet.
    pub traded_unseen: Count,
    /// Fill-α.
    pub alpha: FillAlpha,
}

/// A trade print, in terms of the contract a maker on `maker_side` bought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Print {
    /// The side whose resting bids the taker hit.
    pub maker_side: Side,
    /// Price paid by that side's maker.
    pub price: Price,
    /// Contracts.
    pub count: Count,
}

impl Print {
    /// A public trade in maker terms: a taker buying YES at `yes_price` hit NO bids at
    /// 1 − `yes_price`; one buying NO hit YES bids at `yes_price`.
    pub fn of_trade(taker_side: Side, yes_price: Price, count: Count) -> Print {
        match taker_side {
            Side::Yes => Print { maker_side: Side::No, price: yes_price.complement(), count },
            Side::No => Print { maker_side: Side::Yes, price: yes_price, count },
        }
    }
}

impl MakerQueue {
    /// Joins the queue at `price` on `side` behind everything resting there now.
    pub fn join(book: &OrderBook, side: Side, price: Price, count: Count, alpha: FillAlpha) -> MakerQueue {
        let level = bids(book, side).iter().find(|l| l.price == price).map_or(Count::ZERO, |l| l.size);
        MakerQueue { side, price, remaining: count, ahead: level, level, traded_unseen: Count::ZERO, alpha }
    }

    /// A trade printed; returns what fills us (if anything).
    pub fn on_trade(&mut self, print: Print) -> Option<ModelFill> {
        if print.maker_side != self.side || print.price > self.price || self.remaining.is_zero() {
            return None;
        }
        let through = print.price < self.price;
        let reaches_us = if through {
            // The whole queue at our price traded before the price moved past it.
            self.ahead = Count::ZERO;
            print.count
        } else {
            self.traded_unseen = self.traded_unseen + print.count;
            let eaten = if print.count < self.ahead { print.count } else { self.ahead };
            self.ahead = self.ahead.saturating_sub(eaten);
            print.count.saturating_sub(eaten)
        };
        let allowed = self.alpha.scale(reaches_us);
        let count = if allowed < self.remaining { allowed } else { self.remaining };
        if count.is_zero() {
            return None;
        }
        self.remaining = self.remaining.saturating_sub(count);
        Some(ModelFill { price: self.price, count })
    }

    /// The level at our price now holds `size` (from a book update). A decrease that trades do
    /// not explain is cancels; the part of it ahead of us leaves pro rata.
    pub fn on_level(&mut self, size: Count) {
        if size >= self.level {
            self.level = size;
            return;
        }
        let decrease = self.level.saturating_sub(size);
        let by_trades = if decrease < self.traded_unseen { decrease } else { self.traded_unseen };
        self.traded_unseen = self.traded_unseen.saturating_sub(by_trades);
        let cancels = decrease.saturating_sub(by_trades);
        // The level before these cancels, less what trades already took from it.
        let before = self.level.saturating_sub(by_trades);
        if !cancels.is_zero() && !before.is_zero() {
            let ahead_share = cancels.share_floor(self.ahead.centis(), before.centis());
            self.ahead = self.ahead.saturating_sub(ahead_share);
        }
        if self.ahead > size {
            self.ahead = size;
        }
        self.level = size;
    }

    /// The book changed: reads our level from it.
    pub fn on_book(&mut self, book: &OrderBook) {
        let size = bids(book, self.side).iter().find(|l| l.price == self.price).map_or(Count::ZERO, |l| l.size);
        self.on_level(size);
    }
}

/// An order the fill model fills in memory, for backtests and what-ifs (the paper broker
/// journals its own): a taker walks the book at once, immediate-or-cancel; a maker is
/// post-only (refused when it would cross) and rests in its queue until trades fill it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimOrder {
    /// Contract bought.
    pub side: Side,
    /// Taker or maker.
    pub role: Role,
    /// Limit price.
    pub price: Price,
    /// Contracts asked for.
    pub requested: Count,
    /// Contracts filled.
    pub filled: Count,
    /// Paid for them, fees excluded.
    pub cost: Money,
    /// Refused as post-only (it would have crossed).
    pub refused: bool,
    fees: OrderFees,
    schedule: FeeSchedule,
    queue: Option<MakerQueue>,
}

/// How simulated orders are charged and scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimTerms {
    /// Fee rounding on fills.
    pub rounding: Rounding,
    /// Fill-α of maker fills.
    pub alpha: FillAlpha,
}

impl SimOrder {
    /// Places `order` (its role, side, price and size): `quotes` decide whether a maker would
    /// cross, `depth` is what a taker can take and what a maker queues behind (the same book
    /// when its depth is known).
    pub fn place(
        order: &Proposal,
        quotes: &OrderBook,
        depth: &OrderBook,
        schedule: &FeeSchedule,
        terms: SimTerms,
    ) -> SimOrder {
        let (role, side, price, count) = (order.role, order.side, order.price, order.count);
        let mut order = SimOrder {
            side,
            role,
            price,
            requested: count,
            filled: Count::ZERO,
            cost: Money::ZERO,
            refused: false,
            fees: OrderFees::new(terms.rounding),
            schedule: *schedule,
            queue: None,
        };
        match role {
            Role::Taker => {
                for f in taker_walk(depth, side, price, count) {
                    order.book_fill(f);
                }
            }
            Role::Maker if would_cross(quotes, side, price) => order.refused = true,
            Role::Maker => order.queue = Some(MakerQueue::join(depth, side, price, count, terms.alpha)),
        }
        order
    }

    fn book_fill(&mut self, fill: ModelFill) {
        self.fees.charge(&self.schedule, self.role, fill.price, fill.count);
        self.filled = self.filled + fill.count;
        self.cost += fill.count.times(fill.price);
    }

    /// A trade printed in this order's market; returns what filled us.
    pub fn on_trade(&mut self, print: Print) -> Count {
        let Some(fill) = self.queue.as_mut().and_then(|q| q.on_trade(print)) else { return Count::ZERO };
        self.book_fill(fill);
        fill.count
    }

    /// This order's market's book changed (cancels ahead of a resting maker).
    pub fn on_book(&mut self, book: &OrderBook) {
        if let Some(q) = self.queue.as_mut() {
            q.on_book(book);
        }
    }

    /// Contracts still resting.
    pub fn resting(&self) -> Count {
        self.queue.as_ref().map_or(Count::ZERO, |q| q.remaining)
    }

    /// Fees charged on the fills.
    pub fn fees(&self) -> Money {
        self.fees.charged()
    }

    /// Realised P&L when the contract settles: payout of what filled, less cost and fees.
    pub fn settled_pnl(&self, won: bool) -> Money {
        let payout = if won { self.filled.times(Price::ONE) } else { Money::ZERO };
        payout - self.cost - self.fees()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Count {
        s.parse().unwrap()
    }
    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }
    fn lvl(price: &str, size: &str) -> Level {
        Level { price: p(price), size: c(size) }
    }

    #[test]
    fn taker_walks_levels_with_slippage() {
        // NO bids at 0.55 (40) and 0.52 (30): YES asks 0.45 × 40, 0.48 × 30.
        let book = OrderBook::from_levels(vec![lvl("0.40", "10")], vec![lvl("0.52", "30"), lvl("0.55", "40")]);
        let fills = taker_walk(&book, Side::Yes, p("0.50"), c("55"));
        assert_eq!(
            fills,
            vec![ModelFill { price: p("0.45"), count: c("40") }, ModelFill { price: p("0.48"), count: c("15") }]
        );
        assert!(taker_walk(&book, Side::Yes, p("0.44"), c("5")).is_empty(), "limit below the best ask");
        assert_eq!(taker_walk(&book, Side::No, p("0.60"), c("3")), vec![ModelFill { price: p("0.60"), count: c("3") }]);
        assert!(would_cross(&book, Side::Yes, p("0.45")));
        assert!(!would_cross(&book, Side::Yes, p("0.40")));
    }

    #[test]
    fn maker_queue_drained_by_trades_then_fills() {
        let book = OrderBook::from_levels(vec![lvl("0.40", "30")], vec![lvl("0.55", "10")]);
        let mut q = MakerQueue::join(&book, Side::Yes, p("0.40"), c("10"), FillAlpha::ONE);
        assert_eq!(q.ahead, c("30"));
        let at_us = |n| Print { maker_side: Side::Yes, price: p("0.40"), count: c(n) };
        assert_eq!(q.on_trade(at_us("20")), None);
        assert_eq!(q.ahead, c("10"));
        // 15 trade: 10 clear the queue, 5 reach us.
        assert_eq!(q.on_trade(at_us("15")), Some(ModelFill { price: p("0.40"), count: c("5") }));
        assert_eq!(q.remaining, c("5"));
        // A print on the other side or above our bid does nothing.
        assert_eq!(q.on_trade(Print { maker_side: Side::No, price: p("0.40"), count: c("9") }), None);
        assert_eq!(q.on_trade(Print { maker_side: Side::Yes, price: p("0.41"), count: c("9") }), None);
        // Through our price: the rest fills.
        let through = Print { maker_side: Side::Yes, price: p("0.39"), count: c("50") };
        assert_eq!(q.on_trade(through), Some(ModelFill { price: p("0.40"), count: c("5") }));
        assert!(q.remaining.is_zero());
    }

    #[test]
    fn cancels_ahead_leave_pro_rata_and_trades_are_not_cancels() {
        let book = OrderBook::from_levels(vec![lvl("0.40", "40")], vec![]);
        let mut q = MakerQueue::join(&book, Side::Yes, p("0.40"), c("10"), FillAlpha::ONE);
        // 20 more join behind us: level 60, ahead still 40.
        q.on_level(c("60"));
        assert_eq!(q.ahead, c("40"));
        // 30 cancel: 40/60 of them were ahead → ahead 20.
        q.on_level(c("30"));
        assert_eq!(q.ahead, c("20"));
        // A 10-lot trade, then the level shrinks by the same 10: not a cancel.
        assert_eq!(q.on_trade(Print { maker_side: Side::Yes, price: p("0.40"), count: c("10") }), None);
        q.on_level(c("20"));
        assert_eq!(q.ahead, c("10"));
    }

    #[test]
    fn the_execution_curve_interpolates_between_points_and_is_flat_beyond() {
        let curve: ExecutionCurve = toml::from_str(
            "[[points]]\nminutes = 2\nfill_alpha = \"0.2\"\nslippage = \"0.02\"\n[[points]]\nminutes = 60\nfill_alpha = \"0.6\"\nslippage = \"0.004\"\n",
        )
        .unwrap();
        let (a, s) = curve.at(31.0).unwrap();
        // Halfway from 2 to 60 minutes: α 0.4, slippage 0.012.
        assert_eq!((String::from(a), s.to_string()), ("0.4000".to_string(), "0.0120".to_string()));
        assert_eq!(curve.at(0.5).unwrap().0, FillAlpha(2_000));
        assert_eq!(curve.at(600.0).unwrap().0, FillAlpha(6_000));
        assert!(ExecutionCurve { points: vec![] }.at(5.0).is_none());
    }

    #[test]
    fn fill_alpha_scales_maker_fills() {
        let book = OrderBook::from_levels(vec![], vec![]);
        let alpha = FillAlpha::try_from("0.5".to_string()).unwrap();
        let mut q = MakerQueue::join(&book, Side::No, p("0.30"), c("10"), alpha);
        let fill = q.on_trade(Print { maker_side: Side::No, price: p("0.30"), count: c("7") }).unwrap();
        assert_eq!(fill.count, c("3.50"));
        assert!(FillAlpha::try_from("1.5".to_string()).is_err());
        assert_eq!(String::from(alpha), "0.5000");
    }
}
