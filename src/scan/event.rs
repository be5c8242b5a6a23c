//! The scan of one event: books → market PMF → model PMF → EV after fees → proposals →
//! effective limits. Pure: the caller hands in data, parameters and the decider.

use serde::Serialize;
use thiserror::Error;

use crate::model::{Count, Ladder, LadderError, LadderKind, Money, OrderBook, Price, Proposal, Role, Rung, Side};
use crate::pricing::distribution::{DistributionError, model_pmf};
use crate::pricing::ev::{kelly_contracts, kelly_fraction, order_ev};
use crate::pricing::fees::{FeeSchedule, Rounding};
use crate::pricing::market_pmf::{PmfFlag, market_pmf};
use crate::risk::ceilings::Decision;
use crate::risk::limits::Decider;
use crate::scan::snapshot::LadderSnapshot;
use crate::strategies::views::View;

/// Knobs of the scanner (as opposed to the hard ceilings).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScanParams {
    /// Smallest EV per contract after fees worth proposing.
    pub min_ev: Money,
    /// Contracts per proposal before ceilings.
    pub contracts: Count,
    /// Most bins proposed per event.
    pub max_bins: usize,
    /// Propose resting (post-only) orders only.
    pub maker_only: bool,
    /// Fee rounding used for screening.
    pub rounding: Rounding,
    /// Cap on the Kelly fraction (reported; sizes under [`Sizing::Kelly`]).
    pub kelly_cap: f64,
    /// How proposals are sized.
    pub sizing: Sizing,
}

/// How a proposal's size is chosen before the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sizing {
    /// `contracts` per proposal.
    #[default]
    Fixed,
    /// The capped Kelly fraction × the series' bankroll share, in whole contracts.
    Kelly,
}

impl Sizing {
    /// `fixed` or `kelly`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sizing::Fixed => "fixed",
            Sizing::Kelly => "kelly",
        }
    }
}

impl std::str::FromStr for Sizing {
    type Err = String;

    fn from_str(s: &str) -> Result<Sizing, String> {
        match s {
            "fixed" => Ok(Sizing::Fixed),
            "kelly" => Ok(Sizing::Kelly),
            other => Err(format!("unknown sizing `{other}` (fixed or kelly)")),
        }
    }
}

/// How one proposal was sized under Kelly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KellySize {
    /// Market ticker.
    pub ticker: String,
    /// Contract bought.
    pub side: Side,
    /// The capped Kelly fraction.
    pub kelly: f64,
    /// The series' bankroll share.
    pub bankroll: Money,
    /// All-in cost per contract (price and fee).
    pub cost: f64,
    /// Whole contracts asked (zero: the proposal was dropped).
    pub contracts: i64,
}

/// An event that cannot be scanned.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ScanError {
    /// The markets do not form a ladder.
    #[error("event {event}: {source}")]
    Ladder {
        /// Event ticker.
        event: String,
        /// Why.
        #[source]
        source: LadderError,
    },
    /// The view's distribution is unusable.
    #[error("event {event}: view: {source}")]
    View {
        /// Event ticker.
        event: String,
        /// Why.
        #[source]
        source: DistributionError,
    },
}

/// Everything one event's scan needs.
#[derive(Debug, Clone, Copy)]
pub struct EventInput<'a> {
    /// The event, its rungs, books and fees.
    pub snapshot: &'a LadderSnapshot,
    /// The operator's view of the outcome.
    pub view: &'a View,
    /// The series' bankroll share (`configs/sizing.toml`); read only under Kelly sizing, where
    /// none means nothing is sized above zero.
    pub bankroll: Option<Money>,
}

/// One rung as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RungRow {
    /// Market ticker.
    pub ticker: String,
    /// Strike label.
    pub label: String,
    /// Accepting orders.
    pub tradeable: bool,
    /// Best YES bid.
    pub yes_bid: Option<Price>,
    /// Best YES ask (1 − best NO bid).
    pub yes_ask: Option<Price>,
    /// Market YES probability.
    pub market_p: f64,
    /// Model YES probability.
    pub model_p: f64,
}

/// The result of scanning one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventScan {
    /// Series ticker.
    pub series: String,
    /// Event ticker.
    pub event: String,
    /// Event title.
    pub title: String,
    /// Range or threshold.
    pub kind: LadderKind,
    /// Rungs in strike order.
    pub rows: Vec<RungRow>,
    /// Market PMF over outcome bins.
    pub market_bins: Vec<f64>,
    /// Model PMF over the same bins.
    pub model_bins: Vec<f64>,
    /// Quote problems.
    pub flags: Vec<PmfFlag>,
    /// Proposals after the limits, best EV first.
    pub decisions: Vec<Decision>,
    /// How Kelly sized each candidate (empty under fixed sizing).
    pub kelly_sizes: Vec<KellySize>,
}

/// Scans one event.
pub fn scan_event(
    input: EventInput<'_>,
    params: &ScanParams,
    decider: &mut Decider<'_>,
) -> Result<EventScan, ScanError> {
    let snap = input.snapshot;
    let rungs = snap.rungs.iter().map(|r| Rung { ticker: r.ticker.clone(), strike: r.strike }).collect();
    let ladder = Ladder::build(rungs).map_err(|source| ScanError::Ladder { event: snap.event.clone(), source })?;
    let by_ticker = |ticker: &str| snap.rung(ticker).expect("the ladder is built from the snapshot's rungs");
    let books: Vec<&OrderBook> = ladder.rungs.iter().map(|r| &by_ticker(&r.ticker).book).collect();
    let market = market_pmf(ladder.kind, &books);
    let cdf = input.view.model.cdf_fn().map_err(|source| ScanError::View { event: snap.event.clone(), source })?;
    let model = model_pmf(&ladder, &cdf, input.view.resolution);

    let mut rows = Vec::with_capacity(ladder.rungs.len());
    let mut candidates = Vec::new();
    for (i, rung) in ladder.rungs.iter().enumerate() {
        let tradeable = by_ticker(&rung.ticker).tradeable;
        let book = books[i];
        rows.push(RungRow {
            ticker: rung.ticker.clone(),
            label: rung.strike.label(),
            tradeable,
            yes_bid: book.best_yes_bid().map(|t| t.price),
            yes_ask: book.best_yes_ask().map(|t| t.price),
            market_p: market.yes_prob[i],
            model_p: model.yes_prob[i],
        });
        if tradeable {
            let context = RungContext { series: &snap.series, event: &snap.event, row: rows.last().expect("pushed") };
            candidates.extend(best_candidate(&context, book, &snap.fees, params));
        }
    }
    candidates.sort_by(|a, b| b.ev_per_contract.cmp(&a.ev_per_contract).then_with(|| a.ticker.cmp(&b.ticker)));
    candidates.truncate(params.max_bins);
    let mut kelly_sizes = Vec::new();
    if params.sizing == Sizing::Kelly {
        candidates =
            kelly_sized(candidates, input.bankroll.unwrap_or(Money::ZERO), &snap.fees, params, &mut kelly_sizes);
    }
    let decisions = decider.decide(candidates, &snap.fees, params.rounding);

    Ok(EventScan {
        series: snap.series.clone(),
        event: snap.event.clone(),
        title: snap.title.clone(),
        kind: ladder.kind,
        rows,
        market_bins: market.bins,
        model_bins: model.bins,
        flags: market.flags,
        decisions,
        kelly_sizes,
    })
}

/// Resizes each candidate to its Kelly size (the capped fraction × `bankroll`, in whole
/// contracts at its all-in cost), with EV and fees at that size; a candidate sized to zero
/// is dropped. Every sizing is recorded in `sizes`.
fn kelly_sized(
    candidates: Vec<Proposal>,
    bankroll: Money,
    fees: &FeeSchedule,
    params: &ScanParams,
    sizes: &mut Vec<KellySize>,
) -> Vec<Proposal> {
    let mut out = Vec::new();
    for p in candidates {
        let cost = p.price.as_probability() + p.fee.as_f64() * 100.0 / p.count.centis().max(1) as f64;
        let contracts = kelly_contracts(p.kelly, bankroll, cost);
        sizes.push(KellySize { ticker: p.ticker.clone(), side: p.side, kelly: p.kelly, bankroll, cost, contracts });
        let Ok(count) = Count::from_whole(contracts) else { continue };
        if count.is_zero() {
            continue;
        }
        let ev = order_ev(fees, params.rounding, p.role, p.side, p.side.prob_of(p.model_p), p.price, count);
        out.push(Proposal { count, ev_order: ev.ev_order, fee: ev.fee, max_loss: ev.max_loss, ..p });
    }
    out
}

struct RungContext<'a> {
    series: &'a str,
    event: &'a str,
    row: &'a RungRow,
}

/// The best order on one rung, if any clears `min_ev`: buy YES or NO, resting at the best
/// bid of that side (maker) or, when allowed, crossing at the implied ask (taker).
fn best_candidate(
    ctx: &RungContext<'_>,
    book: &OrderBook,
    fees: &FeeSchedule,
    params: &ScanParams,
) -> Option<Proposal> {
    let mut options: Vec<(Side, Role, Price)> = Vec::with_capacity(4);
    if let Some(t) = book.best_yes_bid() {
        options.push((Side::Yes, Role::Maker, t.price));
    }
    if let Some(t) = book.best_no_bid() {
        options.push((Side::No, Role::Maker, t.price));
    }
    if !params.maker_only {
        if let Some(t) = book.best_yes_ask() {
            options.push((Side::Yes, Role::Taker, t.price));
        }
        if let Some(t) = book.best_no_ask() {
            options.push((Side::No, Role::Taker, t.price));
        }
    }
    options
        .into_iter()
        .filter(|(_, _, price)| price.is_tradeable())
        .map(|(side, role, price)| proposal(ctx, side, role, price, fees, params))
        .filter(|p| p.ev_per_contract >= params.min_ev)
        .max_by(|a, b| a.ev_per_contract.cmp(&b.ev_per_contract))
}

fn proposal(
    ctx: &RungContext<'_>,
    side: Side,
    role: Role,
    price: Price,
    fees: &FeeSchedule,
    params: &ScanParams,
) -> Proposal {
    let ev = order_ev(fees, params.rounding, role, side, ctx.row.model_p, price, params.contracts);
    let (model_p, market_p) = match side {
        Side::Yes => (ctx.row.model_p, ctx.row.market_p),
        Side::No => (1.0 - ctx.row.model_p, 1.0 - ctx.row.market_p),
    };
    let fee_per_contract = ev.fee.as_f64() * 100.0 / params.contracts.centis().max(1) as f64;
    Proposal {
        series: ctx.series.to_string(),
        event: ctx.event.to_string(),
        ticker: ctx.row.ticker.clone(),
        label: ctx.row.label.clone(),
        side,
        role,
        price,
        count: params.contracts,
        model_p,
        market_p,
        ev_per_contract: ev.ev_per_contract,
        ev_order: ev.ev_order,
        fee: ev.fee,
        max_loss: ev.max_loss,
        kelly: kelly_fraction(model_p, price.as_probability() + fee_per_contract, params.kelly_cap),
    }
}
