//! The CuSum drift alarm: per series, a one-sided cumulative sum of how far each settled
//! fill's realised P&L fell short of what the scan expected, per contract, less an allowance
//! `k`: S₀ = 0, Sₙ = max(0, Sₙ₋₁ + (expectedₙ − realisedₙ) − k). The alarm sounds when S
//! exceeds `h` and stays on until an operator acknowledges it; the sum then restarts from
//! fills settled after the acknowledgement.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::evidence::settled::LedgerIndex;
use crate::ledger::LedgerEvent;

/// The alarm's parameters, dollars per contract (`configs/readiness.toml`, `[cusum]`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CusumConfig {
    /// Shortfall per contract tolerated each fill (the allowance).
    pub k: f64,
    /// Cumulative shortfall that sounds the alarm.
    pub h: f64,
}

/// One series' sum and alarm.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeriesCusum {
    /// The current sum.
    pub value: f64,
    /// Settled fills summed (since the last acknowledgement).
    pub samples: usize,
    /// When the sum first crossed `h` (the settlement time of that fill); on until acknowledged.
    pub alarm_at: Option<DateTime<Utc>>,
    /// The last acknowledgement.
    pub acked_at: Option<DateTime<Utc>>,
    /// Why it was acknowledged.
    pub ack_reason: Option<String>,
}

impl SeriesCusum {
    /// The gate monitor's status: `alert` while the alarm is on.
    pub fn status(&self) -> &'static str {
        if self.alarm_at.is_some() { "alert" } else { "ok" }
    }
}

/// Every series' CuSum (`data/proc/state/cusum.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CusumState {
    /// When it was last computed.
    pub updated_at: Option<DateTime<Utc>>,
    /// A settlement began at this time and the sum has not been recomputed since: until it
    /// is, nobody can tell whether an alarm is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_since: Option<DateTime<Utc>>,
    /// By series.
    pub series: BTreeMap<String, SeriesCusum>,
}

/// The gate monitor name for `series`.
pub fn monitor_name(series: &str) -> String {
    format!("cusum_{series}")
}

/// Runs the sum over `shortfalls` (settlement time, expected − realised per contract), in
/// time order. Returns the sum and when it first crossed `h`.
pub fn run(shortfalls: &[(DateTime<Utc>, f64)], config: CusumConfig) -> (f64, Option<DateTime<Utc>>) {
    let mut sum = 0.0_f64;
    let mut alarm = None;
    for (at, shortfall) in shortfalls {
        sum = (sum + shortfall - config.k).max(0.0);
        if alarm.is_none() && sum > config.h {
            alarm = Some(*at);
        }
    }
    (sum, alarm)
}

/// Each series' shortfalls per contract from the ledgers' settled fills whose orders recorded
/// an expectation, in settlement order.
pub fn shortfalls(ledgers: &[&[LedgerEvent]], now: DateTime<Utc>) -> BTreeMap<String, Vec<(DateTime<Utc>, f64)>> {
    let mut out: BTreeMap<String, Vec<(DateTime<Utc>, f64)>> = BTreeMap::new();
    for events in ledgers {
        let index = LedgerIndex::new(events, now);
        for settled in index.fills.iter().filter_map(|f| index.settled(f)) {
            let (Some(expected), contracts) = (settled.expected, settled.contracts()) else { continue };
            if contracts <= 0.0 {
                continue;
            }
            let shortfall = expected.ev_per_contract.as_f64() - settled.realised.as_f64() / contracts;
            out.entry(settled.fill.series.clone()).or_default().push((settled.settled_at, shortfall));
        }
    }
    for samples in out.values_mut() {
        samples.sort_by_key(|(t, _)| *t);
    }
    out
}

/// The state after `previous` with every series recomputed from the ledgers: only fills
/// settled after a series' acknowledgement count; acknowledgements are kept.
pub fn update(
    previous: &CusumState,
    ledgers: &[&[LedgerEvent]],
    config: CusumConfig,
    now: DateTime<Utc>,
) -> CusumState {
    let mut next = CusumState { updated_at: Some(now), pending_since: None, series: BTreeMap::new() };
    let all = shortfalls(ledgers, now);
    let names = all.keys().chain(previous.series.keys()).cloned().collect::<std::collections::BTreeSet<_>>();
    for name in names {
        let before = previous.series.get(&name).cloned().unwrap_or_default();
        let since: Vec<(DateTime<Utc>, f64)> = all
            .get(&name)
            .map(|s| s.iter().filter(|(t, _)| before.acked_at.is_none_or(|a| *t > a)).copied().collect())
            .unwrap_or_default();
        let (value, alarm_at) = run(&since, config);
        next.series.insert(
            name,
            SeriesCusum {
                value,
                samples: since.len(),
                alarm_at,
                acked_at: before.acked_at,
                ack_reason: before.ack_reason,
            },
        );
    }
    next
}

/// Acknowledges `series`' alarm at `now`: the sum restarts from fills settled after it.
pub fn acknowledge(state: &mut CusumState, series: &str, reason: &str, now: DateTime<Utc>) {
    let entry = state.series.entry(series.to_string()).or_default();
    *entry = SeriesCusum { acked_at: Some(now), ack_reason: Some(reason.to_string()), ..SeriesCusum::default() };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::hours(h)
    }

    const CONFIG: CusumConfig = CusumConfig { k: 0.05, h: 0.3 };

    #[test]
    fn crosses_at_the_known_step() {
        // Binary-exact figures: k = 0.25, h = 1. Sums 0.5, 1.0 (not above h), 1.25: the alarm
        // is at the third fill.
        let config = CusumConfig { k: 0.25, h: 1.0 };
        let (sum, alarm) = run(&[(at(1), 0.75), (at(2), 0.75), (at(3), 0.5)], config);
        assert_eq!(sum, 1.25);
        assert_eq!(alarm, Some(at(3)));
        // Doing better than expected pulls the sum to zero, never below.
        let (sum, alarm) = run(&[(at(1), 0.75), (at(2), -1.0), (at(3), 0.75)], config);
        assert_eq!(sum, 0.5);
        assert_eq!(alarm, None);
    }

    #[test]
    fn shortfalls_come_from_settled_fills_with_expectations() {
        use crate::ledger::{Expected, Fill, Mode, OrderPlaced};
        use crate::model::{Role, Side};
        let order = OrderPlaced {
            ts: at(0),
            mode: Mode::Paper,
            client_order_id: "a1".into(),
            series: "A".into(),
            event: "A-E".into(),
            ticker: "A-1".into(),
            side: Side::Yes,
            role: Role::Maker,
            price: "0.40".parse().unwrap(),
            count: "10".parse().unwrap(),
            expected: Some(Expected { model_p: 0.6, market_p: 0.4, ev_per_contract: "0.10".parse().unwrap() }),
        };
        let fill = Fill {
            ts: at(1),
            mode: Mode::Paper,
            client_order_id: "a1".into(),
            series: "A".into(),
            ticker: "A-1".into(),
            side: Side::Yes,
            role: Role::Maker,
            price: "0.40".parse().unwrap(),
            count: "10".parse().unwrap(),
            fee: "0.20".parse().unwrap(),
        };
        let events = vec![
            LedgerEvent::OrderPlaced(order),
            LedgerEvent::Fill(fill),
            LedgerEvent::Settled { ts: at(5), ticker: "A-1".into(), result: Side::No },
        ];
        // Lost: −0.40 − 0.02 fee per contract against +0.10 expected: a 0.52 shortfall.
        let all = shortfalls(&[&events], at(6));
        assert_eq!(all["A"].len(), 1);
        assert!((all["A"][0].1 - 0.52).abs() < 1e-12);
        let state = update(&CusumState::default(), &[&events], CONFIG, at(6));
        assert_eq!(state.series["A"].alarm_at, Some(at(5)));
        assert_eq!(state.series["A"].status(), "alert");
        // Acknowledged after the settlement: nothing counts any more.
        let mut acked = state.clone();
        acknowledge(&mut acked, "A", "checked", at(6));
        let state = update(&acked, &[&events], CONFIG, at(7));
        assert_eq!(state.series["A"].samples, 0);
        assert_eq!(state.series["A"].status(), "ok");
    }

    #[test]
    fn an_acknowledged_alarm_restarts_from_later_fills() {
        let mut state = CusumState::default();
        state.series.insert("A".into(), SeriesCusum { alarm_at: Some(at(3)), ..SeriesCusum::default() });
        acknowledge(&mut state, "A", "model refitted", at(4));
        assert_eq!(state.series["A"].status(), "ok");
        assert_eq!(state.series["A"].acked_at, Some(at(4)));
        assert_eq!(state.series["A"].ack_reason.as_deref(), Some("model refitted"));
        assert_eq!(monitor_name("A"), "cusum_A");
    }
}
