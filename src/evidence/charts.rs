//! The scoreboard's history charts, pure: equity (realised P&L after fees) and drawdown over
//! time, realised P&L by day and series, fill realism per day against fill-α, the model's
//! reliability on settled orders, the EV-honesty
//! weight of each bin, and each series' CuSum path against its threshold — SVG text from the
//! ledgers' events.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::evidence::cusum::{CusumConfig, shortfalls};
use crate::evidence::honesty::EvHonesty;
use crate::ledger::{LedgerEvent, LedgerState};
use crate::model::Money;
use crate::report::svg::{BarGroup, Line, grouped_bars, lines};

/// Colours, cycled per series.
const PALETTE: [&str; 6] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

/// Realised P&L after fees over time.
type EquityPath = Vec<(DateTime<Utc>, Money)>;

/// Realised P&L after fees after each event that changed it, and the state at the end; `None`
/// when the events do not replay (the chart would be a guess).
fn equity_path(events: &[LedgerEvent]) -> Option<(EquityPath, LedgerState)> {
    let mut state = LedgerState::with_cash(Money::ZERO);
    let mut path = Vec::new();
    let mut last = Money::ZERO;
    for e in events {
        state.apply(e).ok()?;
        let total: Money = state.realised.values().map(|d| d.realised).sum();
        if total != last || path.is_empty() {
            path.push((e.ts(), total));
            last = total;
        }
    }
    Some((path, state))
}

/// The charts for one ledger (`mode`), with hours since its first event on the x axis.
fn ledger_charts(mode: &str, events: &[LedgerEvent]) -> Vec<(String, String)> {
    let Some((path, state)) = equity_path(events) else {
        return Vec::new();
    };
    let Some(start) = path.first().map(|(t, _)| *t) else { return Vec::new() };
    let hours = |t: DateTime<Utc>| (t - start).num_seconds() as f64 / 3600.0;
    let mut peak = Money::ZERO;
    let mut equity = Vec::new();
    let mut drawdown = Vec::new();
    for (t, v) in &path {
        peak = peak.max(*v);
        equity.push((hours(*t), v.as_f64()));
        drawdown.push((hours(*t), (*v - peak).as_f64()));
    }
    let mut out = vec![(
        format!("{mode}: realised P&L after fees and its drawdown from the peak"),
        lines(
            &format!("{mode}: equity and drawdown"),
            &[("realised P&L", "#1f77b4", equity), ("drawdown", "#d62728", drawdown)],
            None,
            "hours since the first event",
            "$",
        ),
    )];
    let days: Vec<String> = {
        let mut d: Vec<String> = state.realised.keys().map(|(day, _)| day.to_string()).collect();
        d.dedup();
        d
    };
    let mut by_series: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for ((day, series), pnl) in &state.realised {
        let i = days.iter().position(|d| *d == day.to_string()).unwrap_or(0);
        by_series.entry(series.as_str()).or_insert_with(|| vec![0.0; days.len()])[i] = pnl.realised.as_f64();
    }
    if !days.is_empty() {
        let groups: Vec<BarGroup<'_>> = by_series
            .into_iter()
            .enumerate()
            .map(|(i, (series, values))| (series, PALETTE[i % PALETTE.len()], values))
            .collect();
        out.push((
            format!("{mode}: realised P&L after fees by New York day and series"),
            grouped_bars(&format!("{mode}: P&L by day and series"), &days, &groups, "$"),
        ));
    }
    out
}

/// Fill realism per New York day of placing: the share of asked contracts that filled, the
/// makers' share, and the configured fill-α beside them (the gap is the model's optimism).
fn fill_realism(mode: &str, events: &[LedgerEvent], alpha: f64) -> Option<(String, String)> {
    use crate::model::Role;
    // Per order: its day, role, asked and filled contracts.
    let mut orders: BTreeMap<&str, (chrono::NaiveDate, Role, i64, i64)> = BTreeMap::new();
    for e in events {
        match e {
            LedgerEvent::OrderPlaced(o) => {
                orders.insert(&o.client_order_id, (crate::ledger::et_date(o.ts), o.role, o.count.centis(), 0));
            }
            LedgerEvent::Fill(f) => {
                if let Some(o) = orders.get_mut(f.client_order_id.as_str()) {
                    o.3 += f.count.centis();
                }
            }
            _ => {}
        }
    }
    let mut days: BTreeMap<chrono::NaiveDate, [i64; 4]> = BTreeMap::new();
    for (day, role, asked, filled) in orders.values() {
        let d = days.entry(*day).or_default();
        d[0] += asked;
        d[1] += filled;
        if *role == Role::Maker {
            d[2] += asked;
            d[3] += filled;
        }
    }
    let start = *days.keys().next()?;
    let x = |d: &chrono::NaiveDate| (*d - start).num_days() as f64;
    let share = |num: i64, den: i64| if den > 0 { num as f64 / den as f64 } else { f64::NAN };
    let ratio: Vec<(f64, f64)> = days.iter().map(|(d, v)| (x(d), share(v[1], v[0]))).collect();
    let maker: Vec<(f64, f64)> = days.iter().map(|(d, v)| (x(d), share(v[3], v[2]))).collect();
    let alpha_line: Vec<(f64, f64)> = days.keys().map(|d| (x(d), alpha)).collect();
    Some((
        format!("{mode}: fill ratio and maker fill rate per day of placing, against fill-α {alpha} (the realism gap)"),
        lines(
            &format!("{mode}: fill realism over time"),
            &[("fill ratio", "#2ca02c", ratio), ("maker rate", "#9467bd", maker), ("fill-α", "#7f7f7f", alpha_line)],
            None,
            &format!("days since {start}"),
            "share",
        ),
    ))
}

/// The model's reliability on settled orders that recorded an expectation: predicted
/// probability of the contract bought against how often it paid (none without such orders).
fn reliability(ledgers: &[&[LedgerEvent]], now: DateTime<Utc>) -> Option<(String, String)> {
    let mut pairs: BTreeMap<String, (f64, bool)> = BTreeMap::new();
    for events in ledgers {
        let index = crate::evidence::settled::LedgerIndex::new(events, now);
        for fill in &index.fills {
            let Some(settled) = index.settled(fill) else { continue };
            if let Some(expected) = settled.expected {
                pairs.insert(fill.client_order_id.clone(), (expected.model_p, settled.won));
            }
        }
    }
    let pairs: Vec<(f64, bool)> = pairs.into_values().collect();
    (!pairs.is_empty()).then(|| {
        (
            format!("Reliability of the model on {} settled order(s): predicted against observed", pairs.len()),
            crate::report::svg::reliability(&crate::strategies::scoring::reliability(&pairs, 10)),
        )
    })
}

/// Every history chart the evidence supports (none for a ledger with no event).
pub fn history_charts(
    paper: &[LedgerEvent],
    live: &[LedgerEvent],
    honesty: &EvHonesty,
    cusum: CusumConfig,
    alpha: f64,
    now: DateTime<Utc>,
) -> Vec<(String, String)> {
    let mut out = ledger_charts("paper", paper);
    out.extend(ledger_charts("live", live));
    out.extend(fill_realism("paper", paper, alpha));
    out.extend(fill_realism("live", live, alpha));
    out.extend(reliability(&[paper, live], now));
    if !honesty.bins.is_empty() {
        let labels: Vec<String> = honesty.bins.iter().map(|b| b.name()).collect();
        let weights = honesty.bins.iter().map(|b| b.weight).collect();
        out.push((
            "EV honesty: the size weight of each series × side × model-p bin (1 keeps sizes, 0 stops them)".to_string(),
            grouped_bars("EV honesty per bin", &labels, &[("weight", "#2ca02c", weights)], "weight"),
        ));
    }
    let falls = shortfalls(&[paper, live], now);
    if let Some(start) = falls.values().flatten().map(|(t, _)| *t).min() {
        let paths: Vec<(String, Vec<(f64, f64)>)> = falls
            .iter()
            .map(|(series, points)| {
                let mut s = 0.0_f64;
                let path = points
                    .iter()
                    .map(|(t, shortfall)| {
                        s = (s + shortfall - cusum.k).max(0.0);
                        ((*t - start).num_seconds() as f64 / 3600.0, s)
                    })
                    .collect();
                (series.clone(), path)
            })
            .collect();
        let series: Vec<Line<'_>> = paths
            .iter()
            .enumerate()
            .map(|(i, (name, path))| (name.as_str(), PALETTE[i % PALETTE.len()], path.clone()))
            .collect();
        out.push((
            format!("CuSum of (expected − realised) per contract, allowance k {}, alarm above h {}", cusum.k, cusum.h),
            lines("CuSum path per series", &series, Some(cusum.h), "hours since the first settled fill", "S"),
        ));
    }
    out
}
