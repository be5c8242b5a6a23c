//! The effective limits: core ceilings tightened by the policy scripts' tables, applied to
//! proposals in a fixed order against the exposure already taken. Pure: no I/O, no clock.
//!
//! Checks, in order, each with a stable code (see [`Reason`]):
//!
//! 1. `SERIES_NOT_ALLOWED` (deny) — not in the core list, or not in the pilot list;
//! 2. `MAKER_ONLY` (deny) — a taker order while either file requires maker-only;
//! 3. `MAX_CONTRACTS_PER_ORDER` (clip) — the tighter of core and pilot;
//! 4. `MAX_LOSS_PER_STRIKE` (clip/deny) — worst-case loss after fees on the market, existing
//!    exposure included, against the tighter of core and the PAL strike rule;
//! 5. `NO_SERIES_LIMIT` (deny) / `MAX_LOSS_PER_SERIES` (clip/deny) — the PAL series budget;
//! 6. `DAILY_LOSS_CAP`, `WEEKLY_LOSS_CAP` (clip/deny) — realised plus committed loss;
//! 7. `POLICY_HOOK` / `SCRIPT_ERROR` — a policy's per-order `check` hook, which can only clip
//!    or deny; a failing hook denies (fail closed);
//! 8. `MAX_BINS_PER_EVENT` (deny) — distinct bins per event, best EV first.
//!
//! Every clip lands on the largest whole-contract size that fits.
//!
//! Over 600 lines with its tests (about 430 without): the table, the decider's fixed order and
//! the hand-checked decision tables that pin that order read best side by side.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{Count, Money, Proposal, Role, Side};
use crate::pricing::ev::max_loss;
use crate::pricing::fees::{FeeSchedule, Rounding};
use crate::risk::ceilings::{CoreCeilings, Decision, LimitSource, Reason, Verdict, resize};
use crate::risk::glob::Glob;

/// A limit and the file it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Bound<T> {
    /// The limit.
    pub value: T,
    /// Where it came from.
    pub source: LimitSource,
}

impl<T: Ord + Copy> Bound<T> {
    /// The tighter of `self` and a script's value; ties keep the core source.
    pub fn tighten(self, value: T, source: LimitSource) -> Bound<T> {
        if value < self.value { Bound { value, source } } else { self }
    }
}

/// The PAL table: worst-case loss limits per series and per strike.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PalTable {
    /// Per series: total worst-case loss and the default per-strike loss.
    pub series: BTreeMap<String, SeriesPal>,
    /// For series not listed; `None` means unlisted series may not trade.
    pub unlisted: Option<SeriesPal>,
    /// Per-strike overrides, first matching pattern wins.
    pub strikes: Vec<(Glob, Money)>,
}

/// One series' PAL limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesPal {
    /// Most worst-case loss across the series.
    pub max_loss: Money,
    /// Default most worst-case loss on one market of the series.
    pub strike_loss: Money,
}

/// The pilot table: per-order and per-period limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PilotTable {
    /// Most contracts per order.
    pub max_contracts_per_order: Count,
    /// Most distinct bins per event.
    pub max_unique_bins_per_event: u32,
    /// Only resting orders.
    pub maker_only: bool,
    /// Series that may trade.
    pub allowed_series: BTreeSet<String>,
    /// Most realised plus committed loss per day.
    pub daily_loss_cap: Money,
    /// Most realised plus committed loss per week.
    pub weekly_loss_cap: Money,
}

/// The limits every proposal passes, native and ready: built once per policy load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitTable {
    core: CoreCeilings,
    pal: Option<PalTable>,
    pilot: Option<PilotTable>,
    max_contracts: Bound<Count>,
    max_bins: Bound<u32>,
    maker_only: Option<LimitSource>,
}

impl LimitTable {
    /// Core ceilings tightened by the (optional) script tables. Scripts can only tighten:
    /// each limit is the tighter of the two.
    pub fn new(core: CoreCeilings, pal: Option<PalTable>, pilot: Option<PilotTable>) -> LimitTable {
        let mut max_contracts = Bound { value: core.max_contracts_per_order, source: LimitSource::Core };
        let mut max_bins = Bound { value: core.max_bins_per_event, source: LimitSource::Core };
        let mut maker_only = core.maker_only.then_some(LimitSource::Core);
        if let Some(p) = &pilot {
            max_contracts = max_contracts.tighten(p.max_contracts_per_order, LimitSource::Pilot);
            max_bins = max_bins.tighten(p.max_unique_bins_per_event, LimitSource::Pilot);
            if p.maker_only && maker_only.is_none() {
                maker_only = Some(LimitSource::Pilot);
            }
        }
        LimitTable { core, pal, pilot, max_contracts, max_bins, maker_only }
    }

    /// The effective worst-case loss limit for one market.
    pub fn strike_loss(&self, series: &str, ticker: &str) -> Bound<Money> {
        let core = Bound { value: self.core.max_loss_per_strike, source: LimitSource::Core };
        let Some(pal) = &self.pal else { return core };
        let by_pattern = pal.strikes.iter().find(|(g, _)| g.matches(ticker)).map(|(_, m)| *m);
        let by_series = pal.series.get(series).or(pal.unlisted.as_ref()).map(|s| s.strike_loss);
        match by_pattern.or(by_series) {
            Some(value) => core.tighten(value, LimitSource::Pal),
            None => core,
        }
    }

    /// The series' worst-case loss budget: `None` without a PAL policy, `Some(None)` when
    /// the policy does not cover the series.
    pub fn series_loss(&self, series: &str) -> Option<Option<Money>> {
        let pal = self.pal.as_ref()?;
        Some(pal.series.get(series).or(pal.unlisted.as_ref()).map(|s| s.max_loss))
    }

    /// The daily and weekly loss caps in force: the core `[pretrade]` caps, tightened by the
    /// pilot table's.
    pub fn loss_caps(&self) -> (Bound<Money>, Bound<Money>) {
        let core = &self.core.pretrade;
        let daily = Bound { value: core.daily_loss_cap, source: LimitSource::Core };
        let weekly = Bound { value: core.weekly_loss_cap, source: LimitSource::Core };
        match &self.pilot {
            Some(p) => (
                daily.tighten(p.daily_loss_cap, LimitSource::Pilot),
                weekly.tighten(p.weekly_loss_cap, LimitSource::Pilot),
            ),
            None => (daily, weekly),
        }
    }

    fn series_denial(&self, series: &str) -> Option<Reason> {
        if !self.core.allowed_series.iter().any(|s| s == series) {
            return Some(Reason::SeriesNotAllowed { series: series.to_string(), source: LimitSource::Core });
        }
        match &self.pilot {
            Some(p) if !p.allowed_series.contains(series) => {
                Some(Reason::SeriesNotAllowed { series: series.to_string(), source: LimitSource::Pilot })
            }
            _ => None,
        }
    }
}

/// Losses already taken or committed, which the loss limits count against.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Ledger {
    /// Loss realised today.
    pub realised_today: Money,
    /// Loss realised this week.
    pub realised_week: Money,
    /// Worst-case loss of open positions and orders, per market ticker.
    pub by_ticker: BTreeMap<String, Money>,
    /// Worst-case loss of open positions and orders, per series.
    pub by_series: BTreeMap<String, Money>,
    /// Worst-case loss committed since the day started (orders approved).
    pub committed: Money,
    /// Distinct markets with orders, per event.
    pub bins: BTreeMap<String, BTreeSet<String>>,
}

impl Ledger {
    /// What a hook sees about one proposal's market, series, event and period.
    pub fn exposure(&self, p: &Proposal) -> Exposure {
        Exposure {
            series_loss: self.by_series.get(&p.series).copied().unwrap_or(Money::ZERO),
            strike_loss: self.by_ticker.get(&p.ticker).copied().unwrap_or(Money::ZERO),
            daily_loss: self.realised_today + self.committed,
            weekly_loss: self.realised_week + self.committed,
            event_bins: self.bins.get(&p.event).map_or(0, BTreeSet::len),
        }
    }

    /// Records an order's worst-case loss against its market, series, period and event.
    pub fn commit(&mut self, p: &Proposal, loss: Money) {
        *self.by_ticker.entry(p.ticker.clone()).or_insert(Money::ZERO) += loss;
        *self.by_series.entry(p.series.clone()).or_insert(Money::ZERO) += loss;
        self.committed += loss;
        self.bins.entry(p.event.clone()).or_default().insert(p.ticker.clone());
    }
}

/// The exposure around one proposal, before it is placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Exposure {
    /// Worst-case loss already on the series.
    pub series_loss: Money,
    /// Worst-case loss already on the market.
    pub strike_loss: Money,
    /// Realised plus committed loss today.
    pub daily_loss: Money,
    /// Realised plus committed loss this week.
    pub weekly_loss: Money,
    /// Distinct markets with orders in the event.
    pub event_bins: usize,
}

/// What a per-order hook decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookVerdict {
    /// No objection.
    Allow,
    /// At most this many contracts.
    Clip {
        /// The cap.
        max: Count,
        /// Why.
        reason: Reason,
    },
    /// Refused.
    Deny {
        /// Why.
        reason: Reason,
    },
}

/// A per-order check beyond the tables (a policy script's `check` function).
pub trait OrderHook {
    /// Judges one proposal, at the size the tables allowed, given the exposure around it.
    fn check(&self, proposal: &Proposal, exposure: &Exposure) -> HookVerdict;
}

/// Applies a [`LimitTable`] (and hooks) to proposals, keeping the ledger as it approves.
pub struct Decider<'a> {
    table: &'a LimitTable,
    hook: Option<&'a dyn OrderHook>,
    weights: Option<&'a dyn SizeWeights>,
    ledger: Ledger,
}

/// Size weights from evidence (EV honesty): a proposal's size is scaled by its bin's weight,
/// never up.
pub trait SizeWeights {
    /// The weight in basis points (0..=10,000) of the bin holding a `side` proposal on
    /// `series` at model probability `model_p`, and the bin's name; `None` leaves it alone.
    fn weight(&self, series: &str, side: Side, model_p: f64) -> Option<(u32, String)>;
}

impl<'a> Decider<'a> {
    /// A decider starting from `ledger`.
    pub fn new(table: &'a LimitTable, hook: Option<&'a dyn OrderHook>, ledger: Ledger) -> Decider<'a> {
        Decider { table, hook, weights: None, ledger }
    }

    /// The same decider, scaling sizes down by `weights` first.
    pub fn with_weights(mut self, weights: Option<&'a dyn SizeWeights>) -> Decider<'a> {
        self.weights = weights;
        self
    }

    /// The exposure taken so far.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Puts back an earlier ledger (orders decided since then will not be sent).
    pub fn restore(&mut self, ledger: Ledger) {
        self.ledger = ledger;
    }

    /// Decides one event's proposals (best first), recomputing fees, EV and worst-case loss
    /// for any clipped size, and commits the approved ones to the ledger.
    pub fn decide(&mut self, proposals: Vec<Proposal>, schedule: &FeeSchedule, rounding: Rounding) -> Vec<Decision> {
        proposals.into_iter().map(|p| self.decide_one(p, schedule, rounding)).collect()
    }

    fn decide_one(&mut self, proposal: Proposal, schedule: &FeeSchedule, rounding: Rounding) -> Decision {
        let asked = proposal.count;
        let mut reasons = Vec::new();
        let mut allowed = self.table_size(&proposal, schedule, rounding, &mut reasons);
        if !allowed.is_zero() {
            allowed = self.weighted_size(&proposal, allowed, &mut reasons);
        }
        if !allowed.is_zero() {
            allowed = self.hook_size(&proposal, allowed, schedule, rounding, &mut reasons);
        }
        if !allowed.is_zero() && !self.has_bin(&proposal) {
            let max_bins = self.table.max_bins;
            if self.ledger.exposure(&proposal).event_bins >= max_bins.value as usize {
                reasons.push(Reason::MaxBinsPerEvent { limit: max_bins.value, source: max_bins.source });
                allowed = Count::ZERO;
            }
        }
        let verdict = match (allowed.is_zero(), allowed == asked) {
            (true, _) => Verdict::Denied,
            (false, true) => Verdict::Approved,
            (false, false) => Verdict::Clipped,
        };
        let proposal =
            if verdict == Verdict::Clipped { resize(&proposal, allowed, schedule, rounding) } else { proposal };
        if verdict != Verdict::Denied {
            // The loss is recomputed, not read from the proposal: the ledger trusts only the fee schedule.
            self.ledger.commit(&proposal, max_loss(schedule, rounding, proposal.role, proposal.price, allowed));
        }
        Decision { proposal, asked, allowed, verdict, reasons }
    }

    /// The EV-honesty weight of the proposal's bin × the size asked, in whole contracts,
    /// when that is below `allowed`.
    fn weighted_size(&self, p: &Proposal, allowed: Count, reasons: &mut Vec<Reason>) -> Count {
        let Some((weight_bp, bin)) = self.weights.and_then(|w| w.weight(&p.series, p.side, p.model_p)) else {
            return allowed;
        };
        if weight_bp >= 10_000 {
            return allowed;
        }
        let whole = p.count.whole() * i64::from(weight_bp) / 10_000;
        let limit = Count::from_whole(whole).unwrap_or(Count::ZERO);
        if limit >= allowed {
            return allowed;
        }
        reasons.push(Reason::EvHonesty { weight_bp, bin, limit, asked: p.count });
        limit
    }

    fn has_bin(&self, p: &Proposal) -> bool {
        self.ledger.bins.get(&p.event).is_some_and(|b| b.contains(&p.ticker))
    }

    /// Checks 1–6; returns the size that survives them.
    fn table_size(&self, p: &Proposal, schedule: &FeeSchedule, rounding: Rounding, reasons: &mut Vec<Reason>) -> Count {
        let t = self.table;
        if let Some(reason) = t.series_denial(&p.series) {
            reasons.push(reason);
            return Count::ZERO;
        }
        if let (Some(source), Role::Taker) = (t.maker_only, p.role) {
            reasons.push(Reason::MakerOnly { source });
            return Count::ZERO;
        }
        let mut size = p.count;
        if size > t.max_contracts.value {
            reasons.push(Reason::MaxContractsPerOrder {
                limit: t.max_contracts.value,
                asked: size,
                source: t.max_contracts.source,
            });
            size = t.max_contracts.value;
        }
        let loss = |c: Count| max_loss(schedule, rounding, p.role, p.price, c);
        let exposure = self.ledger.exposure(p);

        let strike = t.strike_loss(&p.series, &p.ticker);
        size = clip_to_budget(
            size,
            exposure.strike_loss,
            strike.value,
            loss,
            |would_be| Reason::MaxLossPerStrike { limit: strike.value, would_be, source: strike.source },
            reasons,
        );

        // The core `[pretrade]` series and period caps bind in every mode (dry, paper,
        // backtests, live); the PAL and pilot scripts may only tighten them.
        let core_series = Bound { value: t.core.pretrade.max_loss_per_series, source: LimitSource::Core };
        let series = match t.series_loss(&p.series) {
            None => core_series,
            Some(None) => {
                reasons.push(Reason::NoSeriesLimit { series: p.series.clone() });
                return Count::ZERO;
            }
            Some(Some(limit)) => core_series.tighten(limit, LimitSource::Pal),
        };
        size = clip_to_budget(
            size,
            exposure.series_loss,
            series.value,
            loss,
            |would_be| Reason::MaxLossPerSeries { limit: series.value, would_be, source: series.source },
            reasons,
        );
        let (daily, weekly) = t.loss_caps();
        size = clip_to_budget(
            size,
            exposure.daily_loss,
            daily.value,
            loss,
            |would_be| Reason::DailyLossCap { limit: daily.value, would_be, source: daily.source },
            reasons,
        );
        size = clip_to_budget(
            size,
            exposure.weekly_loss,
            weekly.value,
            loss,
            |would_be| Reason::WeeklyLossCap { limit: weekly.value, would_be, source: weekly.source },
            reasons,
        );
        size
    }

    /// Check 7: the hook sees the proposal at the size the tables allowed.
    fn hook_size(
        &self,
        p: &Proposal,
        size: Count,
        schedule: &FeeSchedule,
        rounding: Rounding,
        reasons: &mut Vec<Reason>,
    ) -> Count {
        let Some(hook) = self.hook else { return size };
        let sized = if size == p.count { None } else { Some(resize(p, size, schedule, rounding)) };
        match hook.check(sized.as_ref().unwrap_or(p), &self.ledger.exposure(p)) {
            HookVerdict::Allow => size,
            HookVerdict::Clip { max, reason } if max < size => {
                reasons.push(reason);
                Count::from_whole(max.whole()).unwrap_or(Count::ZERO)
            }
            HookVerdict::Clip { .. } => size,
            HookVerdict::Deny { reason } => {
                reasons.push(reason);
                Count::ZERO
            }
        }
    }
}

/// Clips `size` so `already + loss(size) <= limit`, recording a reason when it must.
fn clip_to_budget(
    size: Count,
    already: Money,
    limit: Money,
    loss: impl Fn(Count) -> Money,
    reason: impl FnOnce(Money) -> Reason,
    reasons: &mut Vec<Reason>,
) -> Count {
    if size.is_zero() {
        return size;
    }
    let would_be = already + loss(size);
    if would_be <= limit {
        return size;
    }
    reasons.push(reason(would_be));
    largest_whole_size(size, |c| already + loss(c) <= limit)
}

/// The largest whole-contract count `<= upper` for which `fits` holds (`fits` must be
/// monotone: true up to some size, false after), zero when none does.
fn largest_whole_size(upper: Count, fits: impl Fn(Count) -> bool) -> Count {
    let whole = |n: i64| Count::from_whole(n).expect("non-negative");
    let (mut lo, mut hi) = (0_i64, upper.whole());
    while lo < hi {
        let mid = lo + (hi - lo + 1) / 2;
        if fits(whole(mid)) { lo = mid } else { hi = mid - 1 }
    }
    whole(lo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Price, Side};
    use crate::pricing::fees::FeeMultiplier;

    fn core() -> CoreCeilings {
        toml::from_str(
            (r#"
            max_contracts_per_order = "10"
            max_loss_per_strike = "2.00"
            max_bins_per_event = 2
            maker_only = true
            allowed_series = ["KXA", "KXB"]
            "#
            .to_string()
                + crate::risk::ceilings::TEST_PRETRADE)
                .as_str(),
        )
        .unwrap()
    }

    fn proposal(ticker: &str, role: Role, count: i64, price: &str) -> Proposal {
        Proposal {
            series: "KXA".into(),
            event: "KXA-1".into(),
            ticker: ticker.into(),
            label: String::new(),
            side: Side::Yes,
            role,
            price: price.parse::<Price>().unwrap(),
            count: Count::from_whole(count).unwrap(),
            model_p: 0.5,
            market_p: 0.4,
            ev_per_contract: Money::ZERO,
            ev_order: Money::ZERO,
            fee: Money::ZERO,
            max_loss: Money::ZERO,
            kelly: 0.0,
        }
    }

    fn money(s: &str) -> Money {
        s.parse().unwrap()
    }

    fn summary(decisions: &[Decision]) -> Vec<String> {
        decisions
            .iter()
            .map(|d| {
                let reasons = d.reasons.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; ");
                format!("{} {:?} {} {}", d.proposal.ticker, d.verdict, d.allowed, reasons).trim_end().to_string()
            })
            .collect()
    }

    fn decide(table: &LimitTable, hook: Option<&dyn OrderHook>, proposals: Vec<Proposal>) -> Vec<String> {
        let s = FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE);
        summary(&Decider::new(table, hook, Ledger::default()).decide(proposals, &s, Rounding::Cent))
    }

    #[test]
    fn core_only_clips_and_denies_in_order() {
        let table = LimitTable::new(core(), None, None);
        let out = decide(
            &table,
            None,
            vec![
                proposal("a", Role::Maker, 20, "0.10"), // 10 after contracts; loss 1.00 + 0.02 fits
                proposal("b", Role::Taker, 1, "0.10"),  // taker denied
                proposal("c", Role::Maker, 10, "0.30"), // loss 3.00+0.04 > 2 → 6 contracts (1.80 + 0.03)
                proposal("d", Role::Maker, 1, "0.10"),  // third bin denied
            ],
        );
        assert_eq!(
            out,
            [
                "a Clipped 10.00 MAX_CONTRACTS_PER_ORDER: limit=10.00 asked=20.00 [limits.toml]",
                "b Denied 0.00 MAKER_ONLY: role=taker [limits.toml]",
                "c Clipped 6.00 MAX_LOSS_PER_STRIKE: limit=2.00 would_be=3.04 [limits.toml]",
                "d Denied 0.00 MAX_BINS_PER_EVENT: limit=2 [limits.toml]",
            ]
        );
    }

    fn pal() -> PalTable {
        PalTable {
            series: [("KXA".to_string(), SeriesPal { max_loss: money("2.00"), strike_loss: money("1.50") })].into(),
            unlisted: None,
            strikes: vec![(Glob::new("*-T9*").unwrap(), money("0.50"))],
        }
    }

    fn pilot() -> PilotTable {
        PilotTable {
            max_contracts_per_order: Count::from_whole(8).unwrap(),
            max_unique_bins_per_event: 5,
            maker_only: true,
            allowed_series: ["KXA".to_string()].into(),
            daily_loss_cap: money("100"),
            weekly_loss_cap: money("100"),
        }
    }

    #[test]
    fn scripts_tighten_and_name_their_file() {
        let table = LimitTable::new(core(), Some(pal()), Some(pilot()));
        let mut other = proposal("x", Role::Maker, 1, "0.10");
        other.series = "KXB".into();
        let out = decide(
            &table,
            None,
            vec![
                proposal("KXA-1-B1", Role::Maker, 20, "0.10"), // pilot 8; loss 0.80+0.02 fits 1.50
                proposal("KXA-1-T9", Role::Maker, 10, "0.10"), // pattern 0.50 → 4 (0.40 + 0.01)
                proposal("KXA-1-B2", Role::Maker, 10, "0.10"), // series 2.00 - 1.23 used: 8 → 7, then bins
                other,                                         // core allows KXB, pilot does not
            ],
        );
        assert_eq!(
            out,
            [
                "KXA-1-B1 Clipped 8.00 MAX_CONTRACTS_PER_ORDER: limit=8.00 asked=20.00 [pilot.rhai]",
                "KXA-1-T9 Clipped 4.00 MAX_CONTRACTS_PER_ORDER: limit=8.00 asked=10.00 [pilot.rhai]; MAX_LOSS_PER_STRIKE: limit=0.50 would_be=0.82 [pal.rhai]",
                "KXA-1-B2 Denied 0.00 MAX_CONTRACTS_PER_ORDER: limit=8.00 asked=10.00 [pilot.rhai]; MAX_LOSS_PER_SERIES: limit=2.00 would_be=2.05 [pal.rhai]; MAX_BINS_PER_EVENT: limit=2 [limits.toml]",
                "x Denied 0.00 SERIES_NOT_ALLOWED: series=KXB [pilot.rhai]",
            ]
        );
    }

    #[test]
    fn loss_caps_count_committed_orders() {
        let mut pilot = pilot();
        pilot.daily_loss_cap = money("1.00");
        let table = LimitTable::new(core(), None, Some(pilot));
        let out =
            decide(&table, None, vec![proposal("a", Role::Maker, 5, "0.10"), proposal("b", Role::Maker, 5, "0.10")]);
        assert_eq!(out[0], "a Approved 5.00");
        assert_eq!(out[1], "b Clipped 4.00 DAILY_LOSS_CAP: limit=1.00 would_be=1.02 [pilot.rhai]");
    }

    #[test]
    fn unlisted_series_without_a_limit_is_denied() {
        let mut pal = pal();
        pal.series.clear();
        let table = LimitTable::new(core(), Some(pal), None);
        let out = decide(&table, None, vec![proposal("a", Role::Maker, 1, "0.10")]);
        assert_eq!(out, ["a Denied 0.00 NO_SERIES_LIMIT: series=KXA [pal.rhai]"]);
    }

    struct Halve;
    impl OrderHook for Halve {
        fn check(&self, p: &Proposal, _: &Exposure) -> HookVerdict {
            if p.ticker == "deny" {
                return HookVerdict::Deny { reason: Reason::ScriptError { error: "pal.rhai:1:1: boom".into() } };
            }
            let max = Count::from_whole(p.count.whole() / 2).unwrap();
            HookVerdict::Clip { max, reason: Reason::PolicyHook { source: LimitSource::Pal, message: "halved".into() } }
        }
    }

    #[test]
    fn hooks_clip_or_deny_but_never_loosen() {
        let table = LimitTable::new(core(), None, None);
        let out = decide(
            &table,
            Some(&Halve),
            vec![proposal("a", Role::Maker, 20, "0.10"), proposal("deny", Role::Maker, 1, "0.10")],
        );
        assert_eq!(
            out,
            [
                "a Clipped 5.00 MAX_CONTRACTS_PER_ORDER: limit=10.00 asked=20.00 [limits.toml]; POLICY_HOOK: halved [pal.rhai]",
                "deny Denied 0.00 SCRIPT_ERROR: pal.rhai:1:1: boom",
            ]
        );
    }

    #[test]
    fn core_pretrade_caps_bind_without_any_script_as_they_do_live() {
        // TEST_PRETRADE: max_loss_per_series 25, daily cap 25, weekly 75.
        let table = LimitTable::new(core(), None, None);
        let ledger = Ledger { realised_today: money("24.50"), realised_week: money("24.50"), ..Ledger::default() };
        let s = FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE);
        let decisions = Decider::new(&table, None, ledger.clone()).decide(
            vec![proposal("a", Role::Maker, 10, "0.10")],
            &s,
            Rounding::Cent,
        );
        assert_eq!(summary(&decisions), ["a Clipped 4.00 DAILY_LOSS_CAP: limit=25.00 would_be=25.52 [limits.toml]"]);
        // The live pre-trade check refuses the unclipped order at the same cap.
        let c = core();
        let refusal = crate::safety::pretrade::loss_cap_refusal(
            &c.pretrade,
            (c.pretrade.daily_loss_cap, c.pretrade.weekly_loss_cap),
            ledger.realised_today,
            ledger.realised_week,
            max_loss(&s, Rounding::Cent, Role::Maker, "0.10".parse().unwrap(), Count::from_whole(10).unwrap()),
        );
        assert_eq!(refusal.map(|r| r.code()), Some("DAILY_LOSS_CAP"));
    }
}
