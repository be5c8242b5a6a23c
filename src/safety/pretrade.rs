//! The native pre-trade checks, pure: every live order passes them, in a fixed order, just
//! before it is sent; the first that fails refuses it with a stable code. They run after the
//! policy scripts decided (which can only tighten) and again see the live book of orders.
//! Cancels never come here: they are never blocked. An order that only reduces a position is
//! exempt from the size minimum and from the checks of added risk (loss limits, VaR).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Count, Money, Price, Side};
use crate::risk::ceilings::PreTradeCeilings;
use crate::safety::state::TradingState;
use crate::safety::var::{EventOutcomes, Holding, event_var, family_key};

/// Why a pre-trade check refused an order. `code()` is stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Refusal {
    /// The session is not armed for live trading.
    NotArmed,
    /// The kill switch is engaged (latched until `kill reset`).
    KillSwitch,
    /// The last reconciliation with the venue failed: what rests and what filled there is
    /// not known, so nothing new is sent until one succeeds.
    NotReconciled,
    /// The trading state does not allow this order.
    TradingState {
        /// The state.
        state: TradingState,
    },
    /// A cancel-all was sent moments ago; the venue may cancel orders placed in the minute after.
    CancelAllCooldown {
        /// Milliseconds left.
        remaining_ms: i64,
    },
    /// An order on this market has an unknown outcome; nothing new until it is reconciled.
    MarketBlocked,
    /// The series may not trade.
    SeriesNotAllowed,
    /// The price is too far from the mid of its side of the book (or there is no mid).
    PriceCollarMid {
        /// Ticks from the mid (none: no two-sided book).
        ticks: Option<i64>,
        /// The limit.
        limit: u32,
    },
    /// The price is too far above the model probability.
    PriceCollarModel {
        /// Price minus model probability.
        excess: Price,
        /// The limit.
        limit: Price,
    },
    /// Below the smallest order that adds risk.
    MinContracts {
        /// The minimum.
        limit: Count,
    },
    /// More contracts than one order may carry.
    MaxContractsPerOrder {
        /// The limit.
        limit: Count,
    },
    /// More notional than one order may carry.
    MaxNotionalPerOrder {
        /// Order notional.
        notional: Money,
        /// The limit.
        limit: Money,
    },
    /// The session's notional would pass its ceiling.
    MaxNotionalPerSession {
        /// Notional sent plus this order.
        would_be: Money,
        /// The ceiling.
        limit: Money,
    },
    /// Worst-case loss on the market would pass its limit.
    MaxLossPerStrike {
        /// Existing plus this order.
        would_be: Money,
        /// The limit.
        limit: Money,
    },
    /// Worst-case loss on the series would pass its limit.
    MaxLossPerSeries {
        /// Existing plus this order.
        would_be: Money,
        /// The limit.
        limit: Money,
    },
    /// Today's loss (realised plus committed) would pass the cap.
    DailyLossCap {
        /// Loss with this order.
        would_be: Money,
        /// The cap.
        limit: Money,
    },
    /// This week's loss would pass the cap.
    WeeklyLossCap {
        /// Loss with this order.
        would_be: Money,
        /// The cap.
        limit: Money,
    },
    /// Too many orders resting or unresolved.
    MaxOpenOrders {
        /// The limit.
        limit: u32,
    },
    /// Too many orders this second.
    OrderRate {
        /// The limit per second.
        limit: u32,
    },
    /// The same market, side and price was sent moments ago.
    DuplicateOrder {
        /// Seconds since the earlier one.
        window_secs: u32,
    },
    /// The value at risk of the event or its family would pass `max_var`.
    MaxVar {
        /// `event` or `family`.
        scope: &'static str,
        /// VaR with this order.
        would_be: Money,
        /// The limit.
        limit: Money,
    },
}

impl Refusal {
    /// The stable code (`NOT_ARMED`, `PRICE_COLLAR_MID`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotArmed => "NOT_ARMED",
            Refusal::KillSwitch => "KILL_SWITCH",
            Refusal::NotReconciled => "NOT_RECONCILED",
            Refusal::CancelAllCooldown { .. } => "CANCEL_ALL_COOLDOWN",
            Refusal::TradingState { .. } => "TRADING_STATE",
            Refusal::MarketBlocked => "MARKET_BLOCKED",
            Refusal::SeriesNotAllowed => "SERIES_NOT_ALLOWED",
            Refusal::PriceCollarMid { .. } => "PRICE_COLLAR_MID",
            Refusal::PriceCollarModel { .. } => "PRICE_COLLAR_MODEL",
            Refusal::MinContracts { .. } => "MIN_CONTRACTS",
            Refusal::MaxContractsPerOrder { .. } => "MAX_CONTRACTS_PER_ORDER",
            Refusal::MaxNotionalPerOrder { .. } => "MAX_NOTIONAL_PER_ORDER",
            Refusal::MaxNotionalPerSession { .. } => "MAX_NOTIONAL_PER_SESSION",
            Refusal::MaxLossPerStrike { .. } => "MAX_LOSS_PER_STRIKE",
            Refusal::MaxLossPerSeries { .. } => "MAX_LOSS_PER_SERIES",
            Refusal::DailyLossCap { .. } => "DAILY_LOSS_CAP",
            Refusal::WeeklyLossCap { .. } => "WEEKLY_LOSS_CAP",
            Refusal::MaxOpenOrders { .. } => "MAX_OPEN_ORDERS",
            Refusal::OrderRate { .. } => "ORDER_RATE",
            Refusal::DuplicateOrder { .. } => "DUPLICATE_ORDER",
            Refusal::MaxVar { .. } => "MAX_VAR",
        }
    }
}

/// The order being checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate<'a> {
    /// Series ticker.
    pub series: &'a str,
    /// Event ticker.
    pub event: &'a str,
    /// Market ticker.
    pub ticker: &'a str,
    /// Contract bought.
    pub side: Side,
    /// Its price.
    pub price: Price,
    /// Contracts.
    pub count: Count,
    /// Worst-case loss of the order (premium plus fees).
    pub worst_loss: Money,
    /// Model probability of the contract bought.
    pub model_p: f64,
    /// Mid of the bought contract's book (none without bids and asks).
    pub mid: Option<Price>,
    /// It only shrinks an existing position.
    pub reduces: bool,
}

/// A recently sent order, for the rate and duplicate checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// When, unix ms.
    pub at_ms: i64,
    /// Market.
    pub ticker: String,
    /// Contract bought.
    pub side: Side,
    /// Price.
    pub price: Price,
}

/// Everything the checks read besides the order.
#[derive(Debug, Clone)]
pub struct Book<'a> {
    /// The session is armed.
    pub armed: bool,
    /// The kill switch is engaged (anything at its path).
    pub kill_switch: bool,
    /// The last reconciliation with the venue succeeded.
    pub reconciled: bool,
    /// The trading state.
    pub state: TradingState,
    /// No new orders before this instant (unix ms): the quiet time after a cancel-all.
    pub quiet_until_ms: Option<i64>,
    /// Markets blocked by unresolved orders.
    pub blocked: &'a [String],
    /// Series that may trade (core and scripts agreed).
    pub series_allowed: bool,
    /// The effective per-strike loss limit for this market.
    pub strike_limit: Money,
    /// The effective per-series loss limit.
    pub series_limit: Money,
    /// The effective daily and weekly caps (the tighter of core and scripts).
    pub loss_caps: (Money, Money),
    /// Worst-case loss already on the market, and on the series.
    pub strike_loss: Money,
    /// See `strike_loss`.
    pub series_loss: Money,
    /// Realised plus committed loss today, and this week.
    pub daily_loss: Money,
    /// See `daily_loss`.
    pub weekly_loss: Money,
    /// Notional already sent this session.
    pub session_notional: Money,
    /// The session's notional ceiling (armed with it; at most the configured one).
    pub session_ceiling: Money,
    /// Orders resting or unresolved.
    pub open_orders: usize,
    /// Orders sent lately (at least the last `duplicate_window_secs`).
    pub recent: &'a [Sent],
    /// Now, unix ms.
    pub now_ms: i64,
    /// Outcome bins of the events with holdings, by event ticker, with each event's series.
    pub outcomes: &'a BTreeMap<String, (String, EventOutcomes)>,
    /// Holdings (positions and resting orders) by event ticker.
    pub holdings: &'a BTreeMap<String, Vec<Holding>>,
}

/// The daily and weekly loss caps (the tighter of `caps` and the core `[pretrade]` ones)
/// against realised plus committed loss and an order's worst case: the same caps the decider
/// applies to dry, paper and backtest sessions.
pub fn loss_cap_refusal(
    limits: &PreTradeCeilings,
    caps: (Money, Money),
    daily_loss: Money,
    weekly_loss: Money,
    worst_loss: Money,
) -> Option<Refusal> {
    let (daily_cap, weekly_cap) = (caps.0.min(limits.daily_loss_cap), caps.1.min(limits.weekly_loss_cap));
    let daily = daily_loss + worst_loss;
    if daily > daily_cap {
        return Some(Refusal::DailyLossCap { would_be: daily, limit: daily_cap });
    }
    let weekly = weekly_loss + worst_loss;
    (weekly > weekly_cap).then_some(Refusal::WeeklyLossCap { would_be: weekly, limit: weekly_cap })
}

/// Runs every check in order; the first failure refuses the order.
pub fn check(c: &Candidate<'_>, book: &Book<'_>, limits: &PreTradeCeilings) -> Result<(), Refusal> {
    if !book.armed {
        return Err(Refusal::NotArmed);
    }
    if book.kill_switch {
        return Err(Refusal::KillSwitch);
    }
    if !book.reconciled {
        return Err(Refusal::NotReconciled);
    }
    if !book.state.allows_order(c.reduces) {
        return Err(Refusal::TradingState { state: book.state });
    }
    if let Some(until) = book.quiet_until_ms.filter(|u| *u > book.now_ms) {
        return Err(Refusal::CancelAllCooldown { remaining_ms: until - book.now_ms });
    }
    if book.blocked.iter().any(|t| t == c.ticker) {
        return Err(Refusal::MarketBlocked);
    }
    if !book.series_allowed {
        return Err(Refusal::SeriesNotAllowed);
    }
    let ticks = c.mid.map(|mid| (c.price.micros() - mid.micros()).abs() / 10_000);
    if ticks.is_none_or(|t| t > i64::from(limits.collar_ticks_from_mid)) {
        return Err(Refusal::PriceCollarMid { ticks, limit: limits.collar_ticks_from_mid });
    }
    let excess_micros = c.price.micros() - Price::from_probability(c.model_p).micros();
    if excess_micros > limits.collar_from_model.micros() {
        let excess = Price::from_micros(excess_micros.min(1_000_000)).unwrap_or(Price::ONE);
        return Err(Refusal::PriceCollarModel { excess, limit: limits.collar_from_model });
    }
    if !c.reduces && c.count < limits.min_contracts {
        return Err(Refusal::MinContracts { limit: limits.min_contracts });
    }
    // The per-order contract limit is checked by the decider against the tightened table too;
    // here it is the session ceiling's own guard for orders built outside a scan.
    let notional = c.count.times(c.price);
    if notional > limits.max_notional_per_order {
        return Err(Refusal::MaxNotionalPerOrder { notional, limit: limits.max_notional_per_order });
    }
    let session_limit = book.session_ceiling.min(limits.max_notional_per_session);
    let would_be = book.session_notional + notional;
    if would_be > session_limit {
        return Err(Refusal::MaxNotionalPerSession { would_be, limit: session_limit });
    }
    if !c.reduces {
        let strike = book.strike_loss + c.worst_loss;
        if strike > book.strike_limit {
            return Err(Refusal::MaxLossPerStrike { would_be: strike, limit: book.strike_limit });
        }
        let series_limit = book.series_limit.min(limits.max_loss_per_series);
        let series = book.series_loss + c.worst_loss;
        if series > series_limit {
            return Err(Refusal::MaxLossPerSeries { would_be: series, limit: series_limit });
        }
        if let Some(refusal) = loss_cap_refusal(limits, book.loss_caps, book.daily_loss, book.weekly_loss, c.worst_loss)
        {
            return Err(refusal);
        }
    }
    if book.open_orders >= limits.max_open_orders as usize {
        return Err(Refusal::MaxOpenOrders { limit: limits.max_open_orders });
    }
    let last_second = book.recent.iter().filter(|s| book.now_ms - s.at_ms < 1000).count();
    if last_second >= limits.max_orders_per_second as usize {
        return Err(Refusal::OrderRate { limit: limits.max_orders_per_second });
    }
    let window_ms = i64::from(limits.duplicate_window_secs) * 1000;
    let duplicate = book
        .recent
        .iter()
        .any(|s| book.now_ms - s.at_ms < window_ms && s.ticker == c.ticker && s.side == c.side && s.price == c.price);
    if duplicate {
        return Err(Refusal::DuplicateOrder { window_secs: limits.duplicate_window_secs });
    }
    if !c.reduces {
        check_var(c, book, limits)?;
    }
    Ok(())
}

/// VaR of the order's event, then of its family, with the order added as if filled.
fn check_var(c: &Candidate<'_>, book: &Book<'_>, limits: &PreTradeCeilings) -> Result<(), Refusal> {
    let confidence = limits.var_confidence.as_probability();
    let added = Holding { ticker: c.ticker.to_string(), side: c.side, price: c.price, count: c.count };
    let var_of = |event: &str, with_order: bool| -> Money {
        let Some((_, outcomes)) = book.outcomes.get(event) else { return Money::ZERO };
        let mut holdings = book.holdings.get(event).cloned().unwrap_or_default();
        if with_order {
            holdings.push(added.clone());
        }
        event_var(outcomes, &holdings, confidence)
    };
    if !book.outcomes.contains_key(c.event) {
        // No model for the event: the order's own worst case is its VaR.
        if c.worst_loss > limits.max_var {
            return Err(Refusal::MaxVar { scope: "event", would_be: c.worst_loss, limit: limits.max_var });
        }
        return Ok(());
    }
    let event = var_of(c.event, true);
    if event > limits.max_var {
        return Err(Refusal::MaxVar { scope: "event", would_be: event, limit: limits.max_var });
    }
    if let Some(key) = family_key(&limits.var_families, c.series, c.event) {
        let family: Money = book
            .outcomes
            .iter()
            .filter(|(e, (s, _))| {
                e.as_str() != c.event && family_key(&limits.var_families, s, e).as_ref() == Some(&key)
            })
            .map(|(e, _)| var_of(e, false))
            .sum::<Money>()
            + event;
        if family > limits.max_var {
            return Err(Refusal::MaxVar { scope: "family", would_be: family, limit: limits.max_var });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LadderKind;

    fn limits() -> PreTradeCeilings {
        let table: toml::Table = toml::from_str(crate::risk::ceilings::TEST_PRETRADE).unwrap();
        table["pretrade"].clone().try_into().unwrap()
    }

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    fn candidate<'a>(series: &'a str, event: &'a str, ticker: &'a str) -> Candidate<'a> {
        Candidate {
            series,
            event,
            ticker,
            side: Side::Yes,
            price: Price::from_cents(40).unwrap(),
            count: Count::from_whole(10).unwrap(),
            worst_loss: m("4.20"),
            model_p: 0.45,
            mid: Some(Price::from_cents(41).unwrap()),
            reduces: false,
        }
    }

    struct World {
        outcomes: BTreeMap<String, (String, EventOutcomes)>,
        holdings: BTreeMap<String, Vec<Holding>>,
        recent: Vec<Sent>,
    }

    fn book(w: &World) -> Book<'_> {
        Book {
            armed: true,
            kill_switch: false,
            reconciled: true,
            state: TradingState::Active,
            quiet_until_ms: None,
            blocked: &[],
            series_allowed: true,
            strike_limit: m("5.00"),
            series_limit: m("25.00"),
            loss_caps: (m("100"), m("100")),
            strike_loss: Money::ZERO,
            series_loss: Money::ZERO,
            daily_loss: Money::ZERO,
            weekly_loss: Money::ZERO,
            session_notional: Money::ZERO,
            session_ceiling: m("50"),
            open_orders: 0,
            recent: &w.recent,
            now_ms: 10_000,
            outcomes: &w.outcomes,
            holdings: &w.holdings,
        }
    }

    fn world() -> World {
        let tickers = vec!["A".to_string(), "B".to_string()];
        let mut outcomes = BTreeMap::new();
        for (series, event) in [("KXINXU", "KXINXU-26NOV24H1600"), ("KXNASDAQ100U", "KXNASDAQ100U-26NOV24H1600")] {
            outcomes.insert(
                event.to_string(),
                (series.to_string(), EventOutcomes::from_ladder(LadderKind::Threshold, &tickers, &[0.3, 0.4, 0.3])),
            );
        }
        World { outcomes, holdings: BTreeMap::new(), recent: Vec::new() }
    }

    #[test]
    fn checks_run_in_order_with_stable_codes() {
        let w = world();
        let c = candidate("KXINXU", "KXINXU-26NOV24H1600", "A");
        assert_eq!(check(&c, &book(&w), &limits()), Ok(()));
        let code = |b: Book<'_>, c: &Candidate<'_>| check(c, &b, &limits()).unwrap_err().code();
        assert_eq!(code(Book { armed: false, state: TradingState::Halted, ..book(&w) }, &c), "NOT_ARMED");
        assert_eq!(code(Book { kill_switch: true, state: TradingState::Halted, ..book(&w) }, &c), "KILL_SWITCH");
        assert_eq!(code(Book { reconciled: false, state: TradingState::Halted, ..book(&w) }, &c), "NOT_RECONCILED");
        assert_eq!(code(Book { state: TradingState::Reducing, ..book(&w) }, &c), "TRADING_STATE");
        assert_eq!(code(Book { quiet_until_ms: Some(70_000), ..book(&w) }, &c), "CANCEL_ALL_COOLDOWN");
        let blocked = ["A".to_string()];
        assert_eq!(code(Book { blocked: &blocked, ..book(&w) }, &c), "MARKET_BLOCKED");
        assert_eq!(code(book(&w), &Candidate { mid: None, ..c.clone() }), "PRICE_COLLAR_MID");
        assert_eq!(
            code(book(&w), &Candidate { mid: Some(Price::from_cents(52).unwrap()), ..c.clone() }),
            "PRICE_COLLAR_MID"
        );
        assert_eq!(code(book(&w), &Candidate { model_p: 0.25, ..c.clone() }), "PRICE_COLLAR_MODEL");
        assert_eq!(code(book(&w), &Candidate { count: Count::from_centis(50).unwrap(), ..c.clone() }), "MIN_CONTRACTS");
        assert_eq!(
            code(book(&w), &Candidate { count: Count::from_whole(30).unwrap(), ..c.clone() }),
            "MAX_NOTIONAL_PER_ORDER"
        );
        assert_eq!(code(Book { session_notional: m("47"), ..book(&w) }, &c), "MAX_NOTIONAL_PER_SESSION");
        assert_eq!(code(Book { session_ceiling: m("3"), ..book(&w) }, &c), "MAX_NOTIONAL_PER_SESSION");
        assert_eq!(code(Book { strike_loss: m("1"), ..book(&w) }, &c), "MAX_LOSS_PER_STRIKE");
        assert_eq!(code(Book { series_loss: m("21"), ..book(&w) }, &c), "MAX_LOSS_PER_SERIES");
        assert_eq!(code(Book { daily_loss: m("21"), ..book(&w) }, &c), "DAILY_LOSS_CAP");
        assert_eq!(code(Book { weekly_loss: m("71"), ..book(&w) }, &c), "WEEKLY_LOSS_CAP");
        assert_eq!(code(Book { open_orders: 3, ..book(&w) }, &c), "MAX_OPEN_ORDERS");
        // A reducing order passes the loss checks and the size minimum even when they bind.
        let reducing = Candidate { reduces: true, count: Count::from_centis(50).unwrap(), ..c.clone() };
        assert_eq!(
            check(&reducing, &Book { state: TradingState::Reducing, daily_loss: m("99"), ..book(&w) }, &limits()),
            Ok(())
        );
    }

    #[test]
    fn rate_and_duplicates() {
        let mut w = world();
        let sent = |at_ms, ticker: &str, cents| Sent {
            at_ms,
            ticker: ticker.into(),
            side: Side::Yes,
            price: Price::from_cents(cents).unwrap(),
        };
        w.recent = vec![sent(9_500, "B", 30), sent(9_900, "B", 31)];
        let c = candidate("KXINXU", "KXINXU-26NOV24H1600", "A");
        assert_eq!(check(&c, &book(&w), &limits()).unwrap_err().code(), "ORDER_RATE");
        w.recent = vec![sent(6_000, "A", 40)];
        assert_eq!(check(&c, &book(&w), &limits()).unwrap_err().code(), "DUPLICATE_ORDER");
        w.recent = vec![sent(4_000, "A", 40)];
        assert_eq!(check(&c, &book(&w), &limits()), Ok(()));
    }

    #[test]
    fn var_per_event_and_across_the_family() {
        let mut w = world();
        // 10 YES of A at 0.40 loses $4 in the 30% bin below A: at 95% that is the VaR.
        let c = candidate("KXINXU", "KXINXU-26NOV24H1600", "A");
        assert_eq!(check(&c, &book(&w), &limits()), Ok(()));
        // The Nasdaq-100 ladder of the same hour already holds the same bet: 4 + 4 > 6.
        w.holdings.insert(
            "KXNASDAQ100U-26NOV24H1600".into(),
            vec![Holding {
                ticker: "A".into(),
                side: Side::Yes,
                price: Price::from_cents(40).unwrap(),
                count: Count::from_whole(10).unwrap(),
            }],
        );
        let refused = check(&c, &book(&w), &limits()).unwrap_err();
        assert_eq!(refused, Refusal::MaxVar { scope: "family", would_be: m("8"), limit: m("6") });
        // More of the same bet on the same event: 16 × 0.40 = 6.40 lost in the bin below A.
        w.holdings.clear();
        w.holdings.insert(
            "KXINXU-26NOV24H1600".into(),
            vec![Holding {
                ticker: "A".into(),
                side: Side::Yes,
                price: Price::from_cents(40).unwrap(),
                count: Count::from_whole(6).unwrap(),
            }],
        );
        assert_eq!(
            check(&c, &book(&w), &limits()).unwrap_err(),
            Refusal::MaxVar { scope: "event", would_be: m("6.4"), limit: m("6") }
        );
    }
}
