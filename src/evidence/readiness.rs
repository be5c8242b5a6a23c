//! Pilot readiness: per series READY or NOT READY against the criteria in
//! `configs/readiness.toml`, each with its value, its threshold and pass/fail. A criterion
//! whose value cannot be known fails (and says so).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::evidence::cusum::{CusumConfig, CusumState};
use crate::evidence::scoreboard::{Score, Scoreboard};

/// `configs/readiness.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReadinessConfig {
    /// The window the criteria are measured over, in days (paper ledger).
    pub window_days: i64,
    /// Settled fills at least.
    pub min_fills: usize,
    /// Realised edge after fees at least, bps per $1 paid.
    pub min_realised_bps: f64,
    /// t-statistic of the realised edge at least.
    pub min_t: f64,
    /// |configured α − maker fill rate| at most.
    pub max_alpha_gap: f64,
    /// Days from the series' first paper fill to now, at least.
    pub min_history_days: i64,
    /// Calibration age at most, hours.
    pub max_calibration_age_hours: f64,
    /// Data age at most, hours.
    pub max_data_age_hours: f64,
    /// The drift alarm's parameters.
    pub cusum: CusumConfig,
    /// EV honesty's weight rule.
    pub honesty: crate::evidence::honesty::HonestyConfig,
}

/// One criterion's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Criterion {
    /// Its name.
    pub name: String,
    /// What was measured (`unknown: …` when it could not be).
    pub value: String,
    /// What it must be.
    pub threshold: String,
    /// Passed?
    pub pass: bool,
}

/// One series' readiness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesReadiness {
    /// Every criterion passed.
    pub ready: bool,
    /// Each criterion.
    pub criteria: Vec<Criterion>,
}

/// How current the evidence behind the verdicts is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadinessFreshness {
    /// Minutes since the last ledger event (`None`: no ledger).
    pub ledger_age_minutes: Option<f64>,
    /// Minutes since the monitors (CuSum) were computed.
    pub monitors_age_minutes: Option<f64>,
}

/// `reports/_artifacts/pilot_ready.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Readiness {
    /// When it was computed.
    pub generated_at: DateTime<Utc>,
    /// The window, days.
    pub window_days: i64,
    /// By series.
    pub series: BTreeMap<String, SeriesReadiness>,
    /// How current the evidence is.
    pub freshness: ReadinessFreshness,
}

/// What readiness needs besides the scoreboard.
#[derive(Debug, Clone, Default)]
pub struct ReadinessFacts {
    /// Each series' first paper fill.
    pub first_fill: BTreeMap<String, DateTime<Utc>>,
    /// The CuSum state (`None`: unreadable).
    pub cusum: Option<CusumState>,
    /// Kill-switch engagements in the window (`None`: the audit could not be read).
    pub kill_engagements: Option<usize>,
    /// The last ledger event.
    pub last_ledger_event: Option<DateTime<Utc>>,
}

fn criterion(name: &str, value: String, threshold: String, pass: bool) -> Criterion {
    Criterion { name: name.to_string(), value, threshold, pass }
}

/// Compared unrounded; shown with `dp` decimals.
fn at_least(name: &str, value: Option<f64>, min: f64, dp: usize, missing: &str) -> Criterion {
    match value {
        Some(v) => criterion(name, format!("{v:.dp$}"), format!(">= {min}"), v >= min),
        None => criterion(name, format!("unknown: {missing}"), format!(">= {min}"), false),
    }
}

fn at_most(name: &str, value: Option<f64>, max: f64, missing: &str) -> Criterion {
    match value {
        Some(v) => criterion(name, format!("{v:.3}"), format!("<= {max}"), v <= max),
        None => criterion(name, format!("unknown: {missing}"), format!("<= {max}"), false),
    }
}

/// The verdicts for every series on `board` (which must cover `config.window_days`).
pub fn readiness(
    board: &Scoreboard,
    facts: &ReadinessFacts,
    config: &ReadinessConfig,
    now: DateTime<Utc>,
) -> Readiness {
    let empty = Score::default();
    let mut series = BTreeMap::new();
    for name in board.paper.series.keys() {
        let s = board.paper.series.get(name).unwrap_or(&empty);
        let fresh = board.freshness.get(name).cloned().unwrap_or_default();
        let bps = s.realised_bps.map(|m| m.mean);
        let t = s.realised_bps.and_then(|m| m.t);
        let history = facts.first_fill.get(name).map(|first| (now - *first).num_days());
        let cusum = match &facts.cusum {
            None => criterion("no open CuSum alarm", "unknown: cusum.json unreadable".into(), "no alarm".into(), false),
            Some(state) => match state.series.get(name).and_then(|c| c.alarm_at) {
                Some(at) => criterion(
                    "no open CuSum alarm",
                    format!("alarm since {}", at.to_rfc3339()),
                    "no alarm".into(),
                    false,
                ),
                None => criterion("no open CuSum alarm", "none".into(), "no alarm".into(), true),
            },
        };
        let kills = match facts.kill_engagements {
            Some(n) => criterion("no kill-switch engagement", n.to_string(), "0".into(), n == 0),
            None => criterion("no kill-switch engagement", "unknown: audit unreadable".into(), "0".into(), false),
        };
        let criteria = vec![
            at_least("settled fills", Some(s.settled_fills as f64), config.min_fills as f64, 0, ""),
            at_least("realised edge (bps)", bps, config.min_realised_bps, 1, "no settled fills"),
            at_least("t-statistic", t, config.min_t, 2, "fewer than two settled fills, or no spread"),
            at_most("α gap", s.alpha_gap.map(f64::abs), config.max_alpha_gap, "no maker orders"),
            at_least("history (days)", history.map(|d| d as f64), config.min_history_days as f64, 0, "no paper fills"),
            at_most(
                "calibration age (h)",
                fresh.calibration_age_hours,
                config.max_calibration_age_hours,
                "not calibrated",
            ),
            at_most("data age (h)", fresh.data_age_hours, config.max_data_age_hours, "a source has no fetch time"),
            cusum,
            kills,
        ];
        series.insert(name.clone(), SeriesReadiness { ready: criteria.iter().all(|c| c.pass), criteria });
    }
    let minutes = |t: Option<DateTime<Utc>>| t.map(|t| (now - t).num_seconds() as f64 / 60.0);
    Readiness {
        generated_at: now,
        window_days: config.window_days,
        series,
        freshness: ReadinessFreshness {
            ledger_age_minutes: minutes(facts.last_ledger_event),
            monitors_age_minutes: minutes(facts.cusum.as_ref().and_then(|c| c.updated_at)),
        },
    }
}

/// The readiness page as Markdown.
pub fn readiness_markdown(r: &Readiness) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "# Pilot readiness\n\n{} (UTC), paper ledger over the last {} days.\n",
        r.generated_at.format("%Y-%m-%d %H:%M"),
        r.window_days
    );
    for (name, s) in &r.series {
        let _ = writeln!(out, "\n## {name}: {}\n", if s.ready { "READY" } else { "NOT READY" });
        out.push_str("| criterion | value | threshold | |\n|---|---|---|---|\n");
        for c in &s.criteria {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                c.name,
                c.value,
                c.threshold,
                if c.pass { "pass" } else { "FAIL" }
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::cusum::SeriesCusum;
    use crate::evidence::scoreboard::{EvidenceData, Freshness, Window, scoreboard};
    use crate::ledger::{Expected, Fill, LedgerEvent, Mode, OrderPlaced};
    use crate::model::{Role, Side};

    fn t(h: i64) -> DateTime<Utc> {
        "2026-11-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + chrono::Duration::hours(h)
    }

    /// Four maker orders of 10 at 0.50 that fill in full and settle: three win, one loses.
    /// Realised per fill: +5.00 (×3) and −5.00: bps +10,000 ×3 and −10,000: mean 5,000,
    /// sd 10,000, t = 5,000 / (10,000 / 2) = 1.0. Maker fill rate 1.0.
    fn ledger() -> Vec<LedgerEvent> {
        let mut events = Vec::new();
        for (i, won) in [true, true, true, false].into_iter().enumerate() {
            let id = format!("o{i}");
            let ticker = format!("A-{i}");
            let h = i as i64;
            events.push(LedgerEvent::OrderPlaced(OrderPlaced {
                ts: t(h),
                mode: Mode::Paper,
                client_order_id: id.clone(),
                series: "A".into(),
                event: "A-E".into(),
                ticker: ticker.clone(),
                side: Side::Yes,
                role: Role::Maker,
                price: "0.50".parse().unwrap(),
                count: "10".parse().unwrap(),
                expected: Some(Expected { model_p: 0.6, market_p: 0.5, ev_per_contract: "0.05".parse().unwrap() }),
            }));
            events.push(LedgerEvent::Fill(Fill {
                ts: t(h),
                mode: Mode::Paper,
                client_order_id: id,
                series: "A".into(),
                ticker: ticker.clone(),
                side: Side::Yes,
                role: Role::Maker,
                price: "0.50".parse().unwrap(),
                count: "10".parse().unwrap(),
                fee: "0".parse().unwrap(),
            }));
            let result = if won { Side::Yes } else { Side::No };
            events.push(LedgerEvent::Settled { ts: t(h + 1), ticker, result });
        }
        events
    }

    /// Thresholds exactly at the ledger's figures.
    fn config() -> ReadinessConfig {
        ReadinessConfig {
            window_days: 30,
            min_fills: 4,
            min_realised_bps: 5_000.0,
            min_t: 1.0,
            max_alpha_gap: 0.0,
            min_history_days: 14,
            max_calibration_age_hours: 24.0,
            max_data_age_hours: 24.0,
            cusum: CusumConfig { k: 0.02, h: 0.5 },
            honesty: crate::evidence::honesty::HonestyConfig { min_samples: 30, t_full: 2.0, t_stop: 2.0, bucket: 0.1 },
        }
    }

    fn judge(config: &ReadinessConfig, now: DateTime<Utc>) -> SeriesReadiness {
        let data = EvidenceData {
            paper: ledger(),
            fill_alpha: 1.0,
            series: vec!["A".into()],
            freshness: [(
                "A".to_string(),
                Freshness { calibration_age_hours: Some(24.0), data_age_hours: Some(24.0), unknown: vec![] },
            )]
            .into(),
            ..EvidenceData::default()
        };
        let board = scoreboard(&data, &Window { label: "30d".into(), days: 30 }, now);
        let facts = ReadinessFacts {
            first_fill: [("A".to_string(), t(0))].into(),
            cusum: Some(CusumState::default()),
            kill_engagements: Some(0),
            last_ledger_event: Some(t(4)),
        };
        readiness(&board, &facts, config, now).series["A"].clone()
    }

    #[test]
    fn ready_exactly_at_every_threshold_and_not_a_step_short() {
        let now = t(14 * 24);
        let at_thresholds = judge(&config(), now);
        assert!(at_thresholds.ready, "{:#?}", at_thresholds.criteria);
        let short = |tweak: &dyn Fn(&mut ReadinessConfig)| {
            let mut c = config();
            tweak(&mut c);
            judge(&c, now)
        };
        let failed =
            |r: &SeriesReadiness| r.criteria.iter().filter(|c| !c.pass).map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(failed(&short(&|c| c.min_fills = 5)), ["settled fills"]);
        assert_eq!(failed(&short(&|c| c.min_realised_bps = 5_000.1)), ["realised edge (bps)"]);
        assert_eq!(failed(&short(&|c| c.min_t = 1.01)), ["t-statistic"]);
        assert_eq!(failed(&short(&|c| c.max_calibration_age_hours = 23.9)), ["calibration age (h)"]);
        assert_eq!(failed(&short(&|c| c.max_data_age_hours = 23.9)), ["data age (h)"]);
        // One hour short of 14 days of history.
        assert_eq!(failed(&judge(&config(), t(14 * 24 - 1))), ["history (days)"]);
    }

    #[test]
    fn an_open_alarm_or_unknown_evidence_is_not_ready() {
        let now = t(14 * 24);
        let data =
            EvidenceData { paper: ledger(), fill_alpha: 1.0, series: vec!["A".into()], ..EvidenceData::default() };
        let board = scoreboard(&data, &Window { label: "30d".into(), days: 30 }, now);
        let mut alarm = CusumState::default();
        alarm.series.insert("A".into(), SeriesCusum { alarm_at: Some(t(3)), ..SeriesCusum::default() });
        let facts = ReadinessFacts { cusum: Some(alarm), kill_engagements: None, ..ReadinessFacts::default() };
        let r = readiness(&board, &facts, &config(), now);
        let failed: Vec<&str> = r.series["A"].criteria.iter().filter(|c| !c.pass).map(|c| c.name.as_str()).collect();
        assert!(failed.contains(&"no open CuSum alarm"));
        assert!(failed.contains(&"no kill-switch engagement"));
        assert!(failed.contains(&"calibration age (h)"), "unknown freshness fails");
        assert!(!r.series["A"].ready);
    }
}
