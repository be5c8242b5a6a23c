//! The scoreboard, per series and in total, over one window ending now: decisions (GO/NO-GO
//! and why), proposals, orders and fills, fill realism against the configured α, expected
//! versus realised edge after fees, P&L, fees, hit rate, drawdown, and how well the model and
//! the market were calibrated on what settled. Paper and live are scored separately.
//!
//! Definitions (also in the README):
//! - *fill ratio*: contracts filled / contracts requested, over orders placed in the window
//!   (their fills at any time up to now); *maker fill rate* the same over maker orders; the
//!   *α gap* is the configured fill-α minus the maker fill rate.
//! - a fill is *settled* when its market's result is in the ledger; its realised P&L is the
//!   payout less the price paid and its fee; its expected P&L is the order's expected value
//!   per contract after fees × contracts. *bps* are per $1 paid: 10,000 × P&L / (price ×
//!   contracts), one sample per settled fill; the t-statistic is of the realised samples.
//! - *fee share*: fees of settled fills / their gross edge (realised P&L + fees), when the
//!   gross edge is positive.
//! - *Brier* and *log-loss* score each settled order once, with the model's and the market's
//!   probability that the contract bought pays out.
//! - *drawdown*: of the running realised P&L, settled fill by settled fill in settlement order.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::evidence::settled::LedgerIndex;
use crate::evidence::stats::{Drawdown, MeanT, brier, drawdown, log_loss, mean_t, money_times};
use crate::ledger::LedgerEvent;
use crate::model::{Count, Money, Role};
use crate::risk::gate::GateLine;

/// A window ending now: `7d`, `30d`, any whole number of days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    /// As given (`7d`).
    pub label: String,
    /// Days.
    pub days: i64,
}

impl std::str::FromStr for Window {
    type Err = String;
    fn from_str(text: &str) -> Result<Window, String> {
        let days = text
            .strip_suffix('d')
            .and_then(|d| d.parse::<i64>().ok())
            .filter(|d| (1..=3650).contains(d))
            .ok_or_else(|| format!("window `{text}` is not like 7d or 30d (1 to 3650 days)"))?;
        Ok(Window { label: format!("{days}d"), days })
    }
}

/// Proposals one session made for one series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalBatch {
    /// Series.
    pub series: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Proposals (every decision, approved or not).
    pub count: usize,
}

/// How old a series' inputs are.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Freshness {
    /// Hours since its strategy was calibrated (`None`: never, or unreadable).
    pub calibration_age_hours: Option<f64>,
    /// Hours since its oldest data source was fetched (`None`: unknown).
    pub data_age_hours: Option<f64>,
    /// What could not be dated, and why.
    pub unknown: Vec<String>,
}

/// Everything the scoreboard is computed from.
#[derive(Debug, Clone, Default)]
pub struct EvidenceData {
    /// The paper ledger's events.
    pub paper: Vec<LedgerEvent>,
    /// The live ledger's events.
    pub live: Vec<LedgerEvent>,
    /// Every session's decisions.
    pub gates: Vec<GateLine>,
    /// Proposals by session and series.
    pub proposals: Vec<ProposalBatch>,
    /// The configured maker fill-α.
    pub fill_alpha: f64,
    /// Freshness by series.
    pub freshness: BTreeMap<String, Freshness>,
    /// Series to report even without activity (the allowed series).
    pub series: Vec<String>,
}

/// Decisions about one series (or all).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Decisions {
    /// Sessions that decided it.
    pub runs: usize,
    /// GO decisions.
    pub go: usize,
    /// NO-GO decisions.
    pub no_go: usize,
    /// go / runs.
    pub go_rate: Option<f64>,
    /// The most frequent NO-GO reason codes, most frequent first (at most three).
    pub top_no_go_reasons: Vec<(String, usize)>,
    /// Proposals made.
    pub proposals: usize,
}

/// Trading results of one series (or all) in one mode.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Score {
    /// Orders placed in the window.
    pub orders: usize,
    /// Contracts they asked for.
    pub requested: Count,
    /// Contracts of theirs filled (up to now).
    pub filled: Count,
    /// filled / requested.
    pub fill_ratio: Option<f64>,
    /// Maker fill rate.
    pub maker_fill_rate: Option<f64>,
    /// Configured α − maker fill rate.
    pub alpha_gap: Option<f64>,
    /// Fills in the window.
    pub fills: usize,
    /// Of them, settled.
    pub settled_fills: usize,
    /// Expected P&L after fees of the settled fills.
    pub expected_pnl: Money,
    /// Realised P&L after fees of the settled fills.
    pub realised_pnl: Money,
    /// Fees of every fill in the window.
    pub fees: Money,
    /// Expected edge, bps per $1 paid (mean over settled fills).
    pub expected_bps: Option<f64>,
    /// Realised edge, bps per $1 paid, with its t-statistic.
    pub realised_bps: Option<MeanT>,
    /// Fees of settled fills / their gross edge.
    pub fee_share_of_gross: Option<f64>,
    /// Settled fills that paid out / settled fills.
    pub hit_rate: Option<f64>,
    /// Drawdown of the running realised P&L.
    pub drawdown: Drawdown,
    /// Orders scored for calibration.
    pub scored_orders: usize,
    /// Brier score of the model.
    pub brier_model: Option<f64>,
    /// Brier score of the market.
    pub brier_market: Option<f64>,
    /// Log-loss of the model.
    pub log_loss_model: Option<f64>,
    /// Log-loss of the market.
    pub log_loss_market: Option<f64>,
}

/// One mode's scores.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Board {
    /// Every series together.
    pub total: Score,
    /// By series.
    pub series: BTreeMap<String, Score>,
}

/// The scoreboard for one window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scoreboard {
    /// The window.
    pub window: Window,
    /// Its start.
    pub from: DateTime<Utc>,
    /// Its end (when the board was made).
    pub to: DateTime<Utc>,
    /// The configured maker fill-α.
    pub fill_alpha: f64,
    /// Decisions, all series together.
    pub decisions: Decisions,
    /// Decisions by series.
    pub decisions_by_series: BTreeMap<String, Decisions>,
    /// Paper results.
    pub paper: Board,
    /// Live results.
    pub live: Board,
    /// Freshness by series.
    pub freshness: BTreeMap<String, Freshness>,
}

/// Builds the scoreboard of `data` for `window`, ending at `now`.
pub fn scoreboard(data: &EvidenceData, window: &Window, now: DateTime<Utc>) -> Scoreboard {
    let from = now - Duration::days(window.days);
    let in_window = |t: DateTime<Utc>| t > from && t <= now;
    let mut names: Vec<String> = data.series.clone();
    names.extend(data.gates.iter().filter(|g| in_window(g.at)).flat_map(|g| g.series.keys().cloned()));
    names.extend(data.proposals.iter().filter(|p| in_window(p.at)).map(|p| p.series.clone()));
    for events in [&data.paper, &data.live] {
        names.extend(events.iter().filter_map(|e| match e {
            LedgerEvent::OrderPlaced(o) if in_window(o.ts) => Some(o.series.clone()),
            _ => None,
        }));
    }
    names.sort();
    names.dedup();
    let decisions_by_series =
        names.iter().map(|s| (s.clone(), decisions(data, Some(s), &in_window))).collect::<BTreeMap<_, _>>();
    let board = |events: &[LedgerEvent]| {
        let ledger = LedgerView::new(events, now);
        Board {
            total: ledger.score(None, &in_window, data.fill_alpha, now),
            series: names
                .iter()
                .map(|s| (s.clone(), ledger.score(Some(s), &in_window, data.fill_alpha, now)))
                .collect(),
        }
    };
    Scoreboard {
        window: window.clone(),
        from,
        to: now,
        fill_alpha: data.fill_alpha,
        decisions: decisions(data, None, &in_window),
        decisions_by_series,
        paper: board(&data.paper),
        live: board(&data.live),
        freshness: data.freshness.clone(),
    }
}

fn decisions(data: &EvidenceData, series: Option<&str>, in_window: &dyn Fn(DateTime<Utc>) -> bool) -> Decisions {
    let mut d = Decisions::default();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for line in data.gates.iter().filter(|g| in_window(g.at)) {
        for (name, gate) in &line.series {
            if series.is_some_and(|s| s != name) {
                continue;
            }
            d.runs += 1;
            if gate.go {
                d.go += 1;
            } else {
                d.no_go += 1;
                for reason in &gate.reasons {
                    let code = reason.split(':').next().unwrap_or(reason).trim().to_string();
                    *reasons.entry(code).or_default() += 1;
                }
            }
        }
    }
    d.go_rate = (d.runs > 0).then(|| d.go as f64 / d.runs as f64);
    let mut top: Vec<(String, usize)> = reasons.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(3);
    d.top_no_go_reasons = top;
    d.proposals = data
        .proposals
        .iter()
        .filter(|p| in_window(p.at) && series.is_none_or(|s| s == p.series))
        .map(|p| p.count)
        .sum();
    d
}

/// A ledger indexed, with each order's filled contracts.
struct LedgerView<'a> {
    index: LedgerIndex<'a>,
    filled_by_order: BTreeMap<&'a str, Count>,
}

impl<'a> LedgerView<'a> {
    fn new(events: &'a [LedgerEvent], now: DateTime<Utc>) -> LedgerView<'a> {
        let index = LedgerIndex::new(events, now);
        let mut filled_by_order: BTreeMap<&str, Count> = BTreeMap::new();
        for f in &index.fills {
            let total = filled_by_order.entry(f.client_order_id.as_str()).or_insert(Count::ZERO);
            *total = *total + f.count;
        }
        LedgerView { index, filled_by_order }
    }

    fn score(
        &self,
        series: Option<&str>,
        in_window: &dyn Fn(DateTime<Utc>) -> bool,
        alpha: f64,
        now: DateTime<Utc>,
    ) -> Score {
        let mine = |s: &str| series.is_none_or(|want| want == s);
        let mut score = Score::default();
        let (mut maker_requested, mut maker_filled) = (Count::ZERO, Count::ZERO);
        for o in self.index.orders.values().filter(|o| mine(&o.series) && in_window(o.ts)) {
            let filled = self.filled_by_order.get(o.client_order_id.as_str()).copied().unwrap_or(Count::ZERO);
            score.orders += 1;
            score.requested = score.requested + o.count;
            score.filled = score.filled + filled;
            if o.role == Role::Maker {
                maker_requested = maker_requested + o.count;
                maker_filled = maker_filled + filled;
            }
        }
        score.fill_ratio = ratio(score.filled, score.requested);
        score.maker_fill_rate = ratio(maker_filled, maker_requested);
        score.alpha_gap = score.maker_fill_rate.map(|rate| alpha - rate);

        let mut realised_bps = Vec::new();
        let mut expected_bps = Vec::new();
        let mut changes = Vec::new();
        let (mut settled_fees, mut hits) = (Money::ZERO, 0usize);
        let mut scored: BTreeMap<&str, (f64, f64, bool)> = BTreeMap::new();
        for f in self.index.fills.iter().filter(|f| mine(&f.series) && in_window(f.ts)) {
            score.fills += 1;
            score.fees += f.fee;
            let Some(settled) = self.index.settled(f) else { continue };
            score.settled_fills += 1;
            score.realised_pnl += settled.realised;
            settled_fees += f.fee;
            hits += usize::from(settled.won);
            changes.push((settled.settled_at, settled.realised));
            realised_bps.extend(settled.bps(settled.realised));
            if let Some(expected) = settled.expected {
                let value = money_times(expected.ev_per_contract, f.count);
                score.expected_pnl += value;
                expected_bps.extend(settled.bps(value));
                scored.insert(f.client_order_id.as_str(), (expected.model_p, expected.market_p, settled.won));
            }
        }
        score.expected_bps = mean_t(&expected_bps).map(|m| m.mean);
        score.realised_bps = mean_t(&realised_bps);
        let gross = score.realised_pnl + settled_fees;
        score.fee_share_of_gross = (gross > Money::ZERO).then(|| settled_fees.as_f64() / gross.as_f64());
        score.hit_rate = (score.settled_fills > 0).then(|| hits as f64 / score.settled_fills as f64);
        changes.sort_by_key(|(t, _)| *t);
        score.drawdown = drawdown(&changes, now);
        let model: Vec<(f64, bool)> = scored.values().map(|(m, _, won)| (*m, *won)).collect();
        let market: Vec<(f64, bool)> = scored.values().map(|(_, k, won)| (*k, *won)).collect();
        score.scored_orders = scored.len();
        score.brier_model = brier(&model);
        score.brier_market = brier(&market);
        score.log_loss_model = log_loss(&model);
        score.log_loss_market = log_loss(&market);
        score
    }
}

fn ratio(part: Count, whole: Count) -> Option<f64> {
    (!whole.is_zero()).then(|| part.centis() as f64 / whole.centis() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Expected, Fill, Mode, OrderPlaced};
    use crate::model::Side;
    use crate::risk::gate::Gate;

    fn t(h: i64) -> DateTime<Utc> {
        "2026-12-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::hours(h)
    }

    /// An order of the series named by the ticker's first part.
    fn order(id: &str, ticker: &str, role: Role, price: &str, count: &str, ev: &str, at: i64) -> LedgerEvent {
        let series = ticker.split('-').next().unwrap();
        LedgerEvent::OrderPlaced(OrderPlaced {
            ts: t(at),
            mode: Mode::Paper,
            client_order_id: id.into(),
            series: series.into(),
            event: format!("{series}-E"),
            ticker: ticker.into(),
            side: Side::Yes,
            role,
            price: price.parse().unwrap(),
            count: count.parse().unwrap(),
            expected: Some(Expected { model_p: 0.6, market_p: 0.5, ev_per_contract: ev.parse().unwrap() }),
        })
    }

    fn fill(id: &str, series: &str, ticker: &str, price: &str, count: &str, fee: &str, at: i64) -> LedgerEvent {
        LedgerEvent::Fill(Fill {
            ts: t(at),
            mode: Mode::Paper,
            client_order_id: id.into(),
            series: series.into(),
            ticker: ticker.into(),
            side: Side::Yes,
            role: Role::Maker,
            price: price.parse().unwrap(),
            count: count.parse().unwrap(),
            fee: fee.parse().unwrap(),
        })
    }

    fn settled(ticker: &str, result: Side, at: i64) -> LedgerEvent {
        LedgerEvent::Settled { ts: t(at), ticker: ticker.into(), result }
    }

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    /// Two orders on A (one maker that half fills and wins, one taker that fills and loses),
    /// one maker on B that never fills; a decision log with one NO-GO.
    fn data() -> EvidenceData {
        EvidenceData {
            paper: vec![
                order("a1", "A-1", Role::Maker, "0.40", "10", "0.05", 1),
                fill("a1", "A", "A-1", "0.40", "5", "0.02", 2),
                order("a2", "A-2", Role::Taker, "0.50", "4", "0.02", 3),
                fill("a2", "A", "A-2", "0.50", "4", "0.04", 3),
                order("b1", "B-1", Role::Maker, "0.30", "10", "0.03", 4),
                settled("A-1", Side::Yes, 10),
                settled("A-2", Side::No, 11),
            ],
            gates: vec![
                GateLine {
                    at: t(1),
                    source: "scan".into(),
                    policy_version: "v1".into(),
                    series: [
                        ("A".to_string(), Gate { go: true, reasons: vec![] }),
                        ("B".to_string(), Gate { go: false, reasons: vec!["KILL_SWITCH: engaged".into()] }),
                    ]
                    .into(),
                },
                GateLine {
                    at: t(2),
                    source: "scan".into(),
                    policy_version: "v1".into(),
                    series: [("A".to_string(), Gate { go: true, reasons: vec![] })].into(),
                },
            ],
            proposals: vec![ProposalBatch { series: "A".into(), at: t(1), count: 3 }],
            fill_alpha: 0.6,
            series: vec!["A".into(), "B".into(), "C".into()],
            ..EvidenceData::default()
        }
    }

    #[test]
    fn every_aggregate_by_hand() {
        let board = scoreboard(&data(), &"7d".parse().unwrap(), t(12));
        let a = &board.paper.series["A"];
        assert_eq!((a.orders, a.fills, a.settled_fills), (2, 2, 2));
        // Filled 5 + 4 of 10 + 4 requested.
        assert_eq!(a.fill_ratio, Some(9.0 / 14.0));
        // Maker: 5 of 10; α gap 0.6 − 0.5.
        assert_eq!(a.maker_fill_rate, Some(0.5));
        assert!((a.alpha_gap.unwrap() - 0.1).abs() < 1e-12);
        // a1: paid 2.00, won 5.00, fee 0.02 → +2.98; a2: paid 2.00, lost, fee 0.04 → −2.04.
        assert_eq!(a.realised_pnl, m("0.94"));
        assert_eq!(a.fees, m("0.06"));
        // Expected: 0.05 × 5 + 0.02 × 4 = 0.33.
        assert_eq!(a.expected_pnl, m("0.33"));
        // bps per $1 paid: +14,900 and −10,200: mean 2,350.
        let bps = a.realised_bps.unwrap();
        assert!((bps.mean - 2_350.0).abs() < 1e-9);
        // Expected bps: 0.25/2 → 1,250 and 0.08/2 → 400: mean 825.
        assert!((a.expected_bps.unwrap() - 825.0).abs() < 1e-9);
        // Fee share: 0.06 / (0.94 + 0.06).
        assert!((a.fee_share_of_gross.unwrap() - 0.06).abs() < 1e-12);
        assert_eq!(a.hit_rate, Some(0.5));
        // Running P&L +2.98 at 10h, then 0.94 at 11h: a 2.04 drawdown from 10h, open until 12h.
        assert_eq!(a.drawdown.max, m("2.04"));
        assert_eq!(a.drawdown.duration_secs, Some(2 * 3600));
        // Brier of the model (0.6) on won + lost: (0.16 + 0.36)/2; market (0.5): 0.25.
        assert!((a.brier_model.unwrap() - 0.26).abs() < 1e-12);
        assert!((a.brier_market.unwrap() - 0.25).abs() < 1e-12);
        // B: one maker order, nothing filled.
        let b = &board.paper.series["B"];
        assert_eq!((b.orders, b.fill_ratio, b.maker_fill_rate), (1, Some(0.0), Some(0.0)));
        assert_eq!(b.realised_bps, None);
        // C: allowed, no activity at all.
        assert_eq!(board.paper.series["C"], Score::default());
        // Totals: three orders; live has nothing.
        assert_eq!(board.paper.total.orders, 3);
        assert_eq!(board.paper.total.realised_pnl, m("0.94"));
        assert_eq!(board.live.total, Score::default());
        // Decisions: A GO twice, B NO-GO once for the kill switch.
        assert_eq!(board.decisions.runs, 3);
        assert_eq!(board.decisions_by_series["A"].go_rate, Some(1.0));
        assert_eq!(board.decisions_by_series["B"].top_no_go_reasons, vec![("KILL_SWITCH".to_string(), 1)]);
        assert_eq!(board.decisions_by_series["A"].proposals, 3);
    }

    #[test]
    fn the_window_leaves_older_activity_out() {
        // A 1-day window ending 30 h after the start sees only what happened after 6 h.
        let board = scoreboard(&data(), &"1d".parse().unwrap(), t(30));
        assert_eq!(board.paper.series["A"].orders, 0);
        assert_eq!(board.paper.series["B"].orders, 0);
        assert_eq!(board.decisions.runs, 0);
        assert!("0d".parse::<Window>().is_err());
        assert!("week".parse::<Window>().is_err());
    }
}
