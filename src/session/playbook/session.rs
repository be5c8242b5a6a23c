//! The session's host steps: scanning, gating, submitting, cancelling, reporting, waiting
//! (real or virtual time, cut by a stop or `max_runtime`), the live broker's housekeeping and
//! the heartbeat. `steps` binds them to script functions.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveTime, Timelike, Utc};
use chrono_tz::America::New_York;
use rhai::{Array, Dynamic, Map};
use serde_json::json;

use crate::brokers::{Broker, MarketUpdate};
use crate::session::heartbeat::{Heartbeat, HeartbeatFile};

use super::*;
use crate::feed::market::MarketFeed;
use crate::risk::ceilings::Verdict;
use crate::risk::gate::{Gate, GateInputs};
use crate::risk::limits::Decider;
use crate::rules::api::{BinView, runtime_error};
use crate::schedule::clock_et::et_instant;
use crate::session::{PlannedSeries, SessionBroker, Written, plan_gated, submit, write_series};

impl Session {
    pub(super) fn now(&self) -> DateTime<Utc> {
        self.clock.now() + self.offset
    }

    pub(super) fn record(
        &mut self,
        step: &str,
        args: &[&str],
        started: Instant,
        at: DateTime<Utc>,
        policy: Option<String>,
        result: serde_json::Value,
    ) {
        self.steps.push(StepRecord {
            step: step.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
            at: at.to_rfc3339(),
            duration_ms: started.elapsed().as_micros() as f64 / 1e3,
            policy,
            result,
        });
    }

    pub(super) fn scan(&mut self, series: &str, event: Option<&str>) -> StepResult<Map> {
        self.check_stop()?;
        let (started, at) = (Instant::now(), self.now());
        self.pump(at)?;
        let live;
        let all: &[crate::scan::SeriesSnapshot] = match &self.feed {
            Some(feed) => {
                live = feed
                    .snapshots(&self.inputs.config.fees)
                    .map_err(|e| runtime_error(format!("scan {series}: {e}")))?;
                self.feed_gate = feed.gate_inputs();
                &live
            }
            None => &self.inputs.series,
        };
        let marks = crate::session::marks(all);
        let mut snapshot = all.iter().find(|s| s.ticker == series).cloned().ok_or_else(|| {
            let source = if self.feed.is_some() { "open markets followed" } else { "fixtures" };
            runtime_error(format!("scan: no {source} for series {series}"))
        })?;
        if let Some(event) = event {
            snapshot.events.retain(|e| e.event == event);
            if snapshot.events.is_empty() {
                return Err(runtime_error(format!("scan: no event {event} in series {series}")));
            }
        }
        if let SessionBroker::Paper(paper) = &mut self.broker {
            for e in &snapshot.events {
                paper.observe(e);
            }
        }
        let active = self.policies.load_full();
        let policy = format!("v{} sha256={}", active.version, active.set.digest());
        let start = match &self.broker {
            SessionBroker::Dry(_) => self.ledger.clone(),
            SessionBroker::Paper(_) | SessionBroker::Live(_) => self.broker.exposure(at, self.inputs.params.rounding),
        };
        self.beat(at);
        let mut decider =
            Decider::new(active.set.table(), active.set.hook(), start).with_weights(self.inputs.weights());
        // A rehearsal writes no heartbeat; its virtual session is alive by construction.
        let heartbeat_age_secs =
            if self.req.dry_run { Some(0.0) } else { HeartbeatFile::under(&self.req.out_root).age_secs(at) };
        let mut gate =
            GateInputs { kill_switch: self.req.kill_switch.is_engaged(), heartbeat_age_secs, ..self.feed_gate.clone() };
        let alert = self.inputs.config.paper.drawdown_alert;
        if let Some(status) = crate::session::drawdown_monitor(&self.req.out_root, &self.broker, &marks, alert) {
            gate.monitors.insert("ledger_drawdown".into(), status);
        }
        gate.monitors.extend(crate::evidence::monitors::cusum_monitors(&self.req.out_root));
        self.marks.extend(marks);
        let plan = plan_gated(&snapshot, &self.inputs, &active.set, &mut decider, &gate, at)
            .map_err(|e| runtime_error(format!("scan {series}: {e}")))?;
        let result = scan_map(&plan);
        let decisions = plan.scans.iter().flat_map(|s| &s.decisions);
        let summary = json!({
            "gate": &plan.gate,
            "events": plan.scans.len(),
            "decisions": decisions.map(|d| json!({
                "ticker": d.proposal.ticker, "side": d.proposal.side, "asked": d.asked, "allowed": d.allowed,
                "verdict": d.verdict, "reasons": d.reasons.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        self.gates.insert(series.to_string(), plan.gate.clone());
        self.plans.insert(series.to_string(), plan);
        let args: Vec<&str> = std::iter::once(series).chain(event).collect();
        self.record("scan", &args, started, at, Some(policy), summary);
        Ok(result)
    }

    pub(super) fn plan(&mut self, step: &str, series: &str) -> StepResult<&PlannedSeries> {
        if !self.plans.contains_key(series) {
            self.scan(series, None)?;
        }
        self.plans.get(series).ok_or_else(|| runtime_error(format!("{step}: series {series} was not scanned")))
    }

    pub(super) fn gate(&mut self, series: &str) -> StepResult<Map> {
        let (started, at) = (Instant::now(), self.now());
        let gate = self.plan("gate", series)?.gate.clone();
        self.record("gate", &[series], started, at, None, json!(&gate));
        Ok(gate_map(&gate))
    }

    pub(super) fn submit(&mut self, series: &str) -> StepResult<i64> {
        self.check_stop()?;
        let (started, at) = (Instant::now(), self.now());
        self.pump(at)?;
        let plan = self.plan("submit", series)?.clone();
        let sent = submit(&plan, &mut self.broker, at).map_err(|e| runtime_error(format!("submit {series}: {e}")))?;
        if plan.gate.go && matches!(self.broker, SessionBroker::Dry(_)) {
            // A paper ledger counts its own orders; the dry broker's are counted here.
            for d in plan.scans.iter().flat_map(|s| &s.decisions).filter(|d| d.verdict != Verdict::Denied) {
                self.ledger.commit(&d.proposal, d.proposal.max_loss);
            }
        }
        self.orders += sent.orders;
        let total = self.sent.entry(series.to_string()).or_default();
        total.orders += sent.orders;
        total.requested = total.requested + sent.requested;
        total.filled = total.filled + sent.filled;
        total.refused.extend(sent.refused.iter().cloned());
        let result = json!({ "gate": plan.gate.badge(), "orders": sent.orders, "filled": sent.filled,
                             "refused": sent.refused, "broker": self.broker.mode() });
        self.record("submit", &[series], started, at, None, result);
        self.beat(at);
        Ok(i64::try_from(sent.orders).unwrap_or(i64::MAX))
    }

    /// Feeds the trades the live feed received since the last step to the broker (paper
    /// maker fills happen here).
    pub(super) fn pump(&mut self, at: DateTime<Utc>) -> StepResult<()> {
        self.live_tick(at)?;
        let Some(feed) = &self.feed else { return Ok(()) };
        for t in feed.drain_trades() {
            let Some((taker_side, yes_price, count)) = t.taken() else { continue };
            let update = MarketUpdate::Trade { ticker: &t.market_ticker, yes_price, count, taker_side };
            self.broker.broker().on_market(update, at).map_err(|e| runtime_error(format!("paper fills: {e}")))?;
        }
        // Then the books as they stand: a level that shrank by more than its trades lost
        // cancels, part of them ahead of our resting orders.
        if let SessionBroker::Paper(paper) = &mut self.broker
            && paper.open_orders() > 0
        {
            let live =
                feed.snapshots(&self.inputs.config.fees).map_err(|e| runtime_error(format!("live books: {e}")))?;
            for event in live.iter().flat_map(|s| &s.events) {
                paper.observe(event);
            }
        }
        Ok(())
    }

    pub(super) fn trading_state(&self) -> StepResult<String> {
        let store = crate::brokers::controls::StateStore::under(&self.req.out_root);
        let record = store.load(self.now()).map_err(|e| runtime_error(format!("trading_state: {e}")))?;
        Ok(record.state.as_str().to_string())
    }

    pub(super) fn tighten_trading_state(&mut self, state: &str, reason: &str) -> StepResult<String> {
        let (started, at) = (Instant::now(), self.now());
        let wanted: crate::safety::state::TradingState =
            state.parse().map_err(|e: String| runtime_error(format!("tighten_trading_state: {e}")))?;
        let store = crate::brokers::controls::StateStore::under(&self.req.out_root);
        let after = if self.req.dry_run {
            let now = store.load(at).map_err(|e| runtime_error(format!("tighten_trading_state: {e}")))?;
            now.state.toward_halted(wanted)
        } else {
            store
                .request(wanted, crate::safety::state::Changer::Script, reason, at)
                .map_err(|e| runtime_error(format!("tighten_trading_state: {e}")))?
                .state
        };
        self.record("tighten_trading_state", &[state, reason], started, at, None, json!({ "state": after.as_str() }));
        Ok(after.as_str().to_string())
    }

    /// The live broker's housekeeping: reconcile when due, loss caps, and the watchdogs (feed
    /// silent or heartbeat stale while orders rest → cancel them).
    pub(super) fn live_tick(&mut self, at: DateTime<Utc>) -> StepResult<()> {
        let feed_silent = self.feed.as_ref().map(|f| f.silent_secs(at.timestamp_millis()));
        let reconnects = self.feed.as_ref().map_or(0, MarketFeed::reconnects);
        let heartbeat = HeartbeatFile::under(&self.req.out_root).age_secs(at);
        let pushed = self.feed.as_ref().map(MarketFeed::drain_fills).unwrap_or_default();
        let Some(live) = self.broker.live() else { return Ok(()) };
        // Fills pushed by the exchange first; the reconciliation below is the backstop.
        live.on_pushed_fills(&pushed, at).map_err(|e| runtime_error(format!("live fills: {e}")))?;
        live.feed_reconnected(reconnects, at).map_err(|e| runtime_error(format!("live: {e}")))?;
        live.tick(at).map_err(|e| runtime_error(format!("live: {e}")))?;
        live.watchdog(feed_silent, heartbeat, at).map_err(|e| runtime_error(format!("live watchdog: {e}")))?;
        Ok(())
    }

    /// Writes the heartbeat (best effort: a failed write shows as a stale heartbeat).
    pub(super) fn beat(&mut self, at: DateTime<Utc>) {
        if self.req.dry_run {
            return;
        }
        let digest = self.policies.load().set.digest().to_string();
        let source = self.feed.as_ref().map_or("offline", |f| f.source()).to_string();
        let beat = Heartbeat::new(at, &source, self.broker.mode(), self.broker.open_orders(), &digest);
        if let Err(e) = HeartbeatFile::under(&self.req.out_root).write(&beat) {
            tracing::warn!(target: "playbook", "cannot write heartbeat: {e}");
        }
    }

    pub(super) fn cancel_all(&mut self, reason: &str) -> StepResult<i64> {
        let (started, at) = (Instant::now(), self.now());
        let cancelled =
            self.broker.broker().cancel_all(reason, at).map_err(|e| runtime_error(format!("cancel_all: {e}")))?;
        self.record("cancel_all", &[reason], started, at, None, json!({ "cancelled": cancelled }));
        Ok(i64::try_from(cancelled).unwrap_or(i64::MAX))
    }

    pub(super) fn cancel_series(&mut self, series: &str, reason: &str) -> StepResult<i64> {
        let (started, at) = (Instant::now(), self.now());
        let cancelled = self
            .broker
            .broker()
            .cancel_series(series, reason, at)
            .map_err(|e| runtime_error(format!("cancel {series}: {e}")))?;
        self.record("cancel", &[series, reason], started, at, None, json!({ "cancelled": cancelled }));
        self.beat(at);
        Ok(i64::try_from(cancelled).unwrap_or(i64::MAX))
    }

    pub(super) fn report(&mut self, series: &str) -> StepResult<String> {
        let (started, at) = (Instant::now(), self.now());
        self.pump(at)?;
        let plan = self.plan("report", series)?.clone();
        let active = self.policies.load_full();
        let path = if self.req.dry_run {
            "(dry run: no report written)".to_string()
        } else {
            let sent = self.sent.get(series).cloned().unwrap_or_default();
            // The books as they stand now: the fills' later mids.
            let later = match &self.feed {
                Some(feed) => Some(crate::session::write::marks(
                    &feed.snapshots(&self.inputs.config.fees).map_err(|e| runtime_error(format!("live books: {e}")))?,
                )),
                None => None,
            };
            let written = Written {
                broker: &self.broker,
                sent: &sent,
                now: at,
                stamp: &self.stamp,
                policy: active.set.digest(),
                banner: self.req.banner.as_deref(),
                later_marks: later.as_ref(),
            };
            let outcome = write_series(&self.req.out_root, &plan, &self.inputs, &written)
                .map_err(|e| runtime_error(format!("report {series}: {e}")))?;
            outcome.report.display().to_string()
        };
        self.record("report", &[series], started, at, None, json!({ "report": path }));
        Ok(path)
    }

    pub(super) fn log(&mut self, message: &str) {
        let at = self.now();
        tracing::info!(target: "playbook", "{message}");
        println!("[{}] {message}", at.with_timezone(&New_York).format("%H:%M:%S %Z"));
        self.record("log", &[message], Instant::now(), at, None, serde_json::Value::Null);
    }

    /// True when the session can scan `series` (fixtures offline, followed series online),
    /// or, given an event, that event of it.
    pub(super) fn has_markets(&self, series: &str, event: Option<&str>) -> bool {
        let found = |all: &[crate::scan::SeriesSnapshot]| {
            all.iter()
                .filter(|s| s.ticker == series)
                .any(|s| event.is_none_or(|e| s.events.iter().any(|x| x.event == e)))
        };
        match &self.feed {
            Some(feed) => feed.snapshots(&self.inputs.config.fees).is_ok_and(|all| found(&all)),
            None => found(&self.inputs.series),
        }
    }

    /// True when today (New York) is a day of `calendar`; an unknown calendar is an error.
    pub(super) fn is_day(&self, calendar: &str) -> StepResult<bool> {
        let c =
            self.calendars.get(calendar).ok_or_else(|| runtime_error(format!("is_day: no calendar `{calendar}`")))?;
        Ok(c.days.contains(&self.now().with_timezone(&New_York).date_naive()))
    }

    /// The days of `calendar` in the current Monday-to-Sunday week (New York), `YYYY-MM-DD`.
    pub(super) fn days_this_week(&self, calendar: &str) -> StepResult<Array> {
        let c = self
            .calendars
            .get(calendar)
            .ok_or_else(|| runtime_error(format!("days_this_week: no calendar `{calendar}`")))?;
        let monday = crate::ledger::week_start(self.now().with_timezone(&New_York).date_naive());
        let sunday = monday + chrono::Days::new(6);
        Ok(c.days.range(monday..=sunday).map(|d| Dynamic::from(d.to_string())).collect())
    }

    /// The ticker of `series`' event for the next top of the hour (New York): `KXINXU` at
    /// 15:10 → `KXINXU-26NOV24H1600`.
    pub(super) fn hourly_event(&self, series: &str) -> String {
        let local = self.now().with_timezone(&New_York);
        let next = local.date_naive().and_hms_opt(local.hour(), 0, 0).unwrap_or(local.naive_local())
            + chrono::Duration::hours(1);
        format!("{series}-{}H{}", next.format("%y%b%d").to_string().to_uppercase(), next.format("%H%M"))
    }

    pub(super) fn info(&self) -> Map {
        let active = self.policies.load();
        let mut m = Map::new();
        m.insert("playbook".into(), self.req.name.clone().into());
        m.insert("dry_run".into(), self.req.dry_run.into());
        m.insert("broker".into(), self.broker.mode().into());
        m.insert("orders".into(), Dynamic::from(i64::try_from(self.orders).unwrap_or(i64::MAX)));
        m.insert("policy_version".into(), Dynamic::from(i64::try_from(active.version).unwrap_or(i64::MAX)));
        m.insert("policy_sha256".into(), active.set.digest().to_string().into());
        m
    }

    pub(super) fn now_et(&self) -> String {
        self.now().with_timezone(&New_York).format("%H:%M").to_string()
    }

    /// Why the run must stop now, if it must: a stop request, or the session clock past
    /// start + `max_runtime`.
    pub(super) fn must_stop(&self) -> Option<String> {
        if self.req.controls.stop.as_ref().is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed)) {
            return Some("stop requested".to_string());
        }
        let limit = self.req.controls.max_runtime?;
        let elapsed = (self.now() - self.started_at).to_std().unwrap_or(Duration::ZERO);
        (elapsed >= limit).then(|| format!("max_runtime {}s reached", limit.as_secs()))
    }

    /// Fails the step (and so the run) when the run must stop, remembering why.
    pub(super) fn check_stop(&mut self) -> StepResult<()> {
        match self.must_stop() {
            Some(why) => {
                self.stopped.get_or_insert(why.clone());
                Err(runtime_error(format!("run stopped: {why}")))
            }
            None => Ok(()),
        }
    }

    /// Waits until `target` on the session clock: virtual runs jump (never past the run's
    /// end), real ones sleep in short slices so a stop or `max_runtime` cuts the wait.
    /// Returns whether it slept for real.
    pub(super) fn sleep_until(shared: &Shared, target: DateTime<Utc>) -> StepResult<bool> {
        let (virtual_time, limit, started_at) = {
            let s = lock(shared);
            (s.req.dry_run || s.req.controls.virtual_time, s.req.controls.max_runtime, s.started_at)
        };
        if virtual_time {
            let mut s = lock(shared);
            let end = limit.and_then(|l| chrono::Duration::from_std(l).ok()).map(|l| started_at + l);
            let until = end.map_or(target, |e| target.min(e));
            if until > s.now() {
                let step = until - s.now();
                s.offset += step;
            }
            s.check_stop()?;
            return Ok(false);
        }
        // Real time is measured on the machine's monotonic clock, so a session started at a
        // fixed instant (`--now`) still waits for real and then stands at `target`.
        let wait = {
            let s = lock(shared);
            (target - s.now()).to_std().unwrap_or(Duration::ZERO)
        };
        let began = Instant::now();
        loop {
            lock(shared).check_stop()?;
            let elapsed = began.elapsed();
            if elapsed >= wait {
                break;
            }
            // The live broker keeps reconciling and watching while the script waits.
            {
                let mut s = lock(shared);
                let now = s.now();
                s.live_tick(now)?;
            }
            // The session lock is not held while sleeping.
            std::thread::sleep((wait - elapsed).min(Duration::from_millis(200)));
        }
        let mut s = lock(shared);
        if s.now() < target {
            let behind = target - s.now();
            s.offset += behind;
        }
        Ok(true)
    }

    /// Sleeps (or, in virtual time, advances the session clock) until `when`.
    pub(super) fn wait_until(shared: &Shared, when: &str) -> StepResult<bool> {
        let (started, now) = {
            let s = lock(shared);
            (Instant::now(), s.now())
        };
        let target = wait_target(now, when).map_err(runtime_error)?;
        let waited = target > now;
        let slept = if waited { Session::sleep_until(shared, target)? } else { false };
        let result = json!({ "until": target.to_rfc3339(), "waited": waited, "slept": slept });
        lock(shared).record("wait_until", &[when], started, now, None, result);
        Ok(waited)
    }
}

impl Session {
    /// Waits `seconds` (in virtual time the session clock jumps instead); the feed keeps
    /// running meanwhile.
    pub(super) fn pause(shared: &Shared, seconds: f64) -> StepResult<()> {
        if !seconds.is_finite() || !(0.0..=86_400.0).contains(&seconds) {
            return Err(runtime_error(format!("pause({seconds}): expected 0 to 86400 seconds")));
        }
        let (started, now) = {
            let s = lock(shared);
            (Instant::now(), s.now())
        };
        let wait = chrono::Duration::from_std(Duration::from_secs_f64(seconds)).unwrap_or_default();
        Session::sleep_until(shared, now + wait)?;
        let mut s = lock(shared);
        let end = s.now();
        // The tape printed meanwhile: resting paper orders fill now, stamped at the end of the wait.
        s.pump(end)?;
        s.beat(end);
        s.record("pause", &[&seconds.to_string()], started, now, None, json!({ "seconds": seconds }));
        Ok(())
    }
}

/// The instant `when` names: `HH:MM` (today in New York, as of `now`), `YYYY-MM-DD HH:MM`
/// (New York wall time) or RFC 3339. New York times follow the schedule's DST rules.
pub(super) fn wait_target(now: DateTime<Utc>, when: &str) -> Result<DateTime<Utc>, String> {
    let bad = || {
        format!(
            "wait_until(\"{when}\"): expected a 24-hour time like \"15:55\", a New York date-time like \"2027-03-14 08:30\", or RFC 3339"
        )
    };
    let time_of_day = NaiveTime::parse_from_str(when, "%H:%M").or_else(|_| NaiveTime::parse_from_str(when, "%H:%M:%S"));
    if let Ok(time) = time_of_day {
        return Ok(et_instant(now.with_timezone(&New_York).date_naive().and_time(time)));
    }
    if let Ok(local) = chrono::NaiveDateTime::parse_from_str(when, "%Y-%m-%d %H:%M") {
        return Ok(et_instant(local));
    }
    DateTime::parse_from_rfc3339(when).map(|t| t.with_timezone(&Utc)).map_err(|_| bad())
}

pub(super) fn gate_map(gate: &Gate) -> Map {
    let mut m = Map::new();
    m.insert("go".into(), gate.go.into());
    m.insert("reasons".into(), gate.reasons.iter().map(|r| Dynamic::from(r.clone())).collect::<Array>().into());
    m
}

pub(super) fn scan_map(plan: &PlannedSeries) -> Map {
    let mut m = gate_map(&plan.gate);
    m.insert("series".into(), plan.series.clone().into());
    let unknown = || Dynamic::UNIT;
    let g = &plan.gate_inputs;
    m.insert("data_age_secs".into(), g.data_age_secs.map_or_else(unknown, Dynamic::from));
    m.insert("clock_skew_ms".into(), g.clock_skew_ms.map_or_else(unknown, Dynamic::from));
    let decisions = plan.scans.iter().flat_map(|s| &s.decisions);
    let approved = decisions.clone().filter(|d| d.verdict != Verdict::Denied).count();
    m.insert("approved".into(), Dynamic::from(i64::try_from(approved).unwrap_or(i64::MAX)));
    m.insert("denied".into(), Dynamic::from(i64::try_from(decisions.count() - approved).unwrap_or(i64::MAX)));
    let events: Array = plan
        .scans
        .iter()
        .map(|scan| {
            let mut e = Map::new();
            e.insert("event".into(), scan.event.clone().into());
            e.insert("title".into(), scan.title.clone().into());
            let bins: Array = scan.rows.iter().map(|r| Dynamic::from(BinView(Arc::new(r.clone())))).collect();
            e.insert("bins".into(), bins.into());
            let decisions: Array = scan
                .decisions
                .iter()
                .map(|d| {
                    let mut x = Map::new();
                    x.insert("ticker".into(), d.proposal.ticker.clone().into());
                    x.insert("label".into(), d.proposal.label.clone().into());
                    x.insert("side".into(), d.proposal.side.as_str().into());
                    x.insert("price".into(), Dynamic::from(d.proposal.price));
                    x.insert("asked".into(), Dynamic::from(d.asked));
                    x.insert("allowed".into(), Dynamic::from(d.allowed));
                    x.insert("verdict".into(), format!("{:?}", d.verdict).to_lowercase().into());
                    x.insert("ev".into(), Dynamic::from(d.proposal.ev_order));
                    let reasons: Array = d.reasons.iter().map(|r| Dynamic::from(r.to_string())).collect();
                    x.insert("reasons".into(), reasons.into());
                    Dynamic::from_map(x)
                })
                .collect();
            e.insert("decisions".into(), decisions.into());
            Dynamic::from_map(e)
        })
        .collect();
    m.insert("events".into(), events.into());
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn et_times_follow_new_york_offsets() {
        let now: DateTime<Utc> = "2026-11-24T15:00:00Z".parse().unwrap(); // 10:00 EST
        assert_eq!(wait_target(now, "15:55").unwrap().to_rfc3339(), "2026-11-24T20:55:00+00:00");
        let summer: DateTime<Utc> = "2026-07-01T15:00:00Z".parse().unwrap(); // 11:00 EDT
        assert_eq!(wait_target(summer, "08:30").unwrap().to_rfc3339(), "2026-07-01T12:30:00+00:00");
        assert!(wait_target(now, "25:00").unwrap_err().contains("24-hour"));
        // Another day, in New York wall time (across the spring-forward gap) or RFC 3339.
        assert_eq!(wait_target(now, "2027-03-14 02:30").unwrap().to_rfc3339(), "2027-03-14T07:00:00+00:00");
        assert_eq!(wait_target(now, "2027-03-15T12:30:00Z").unwrap().to_rfc3339(), "2027-03-15T12:30:00+00:00");
    }
}
