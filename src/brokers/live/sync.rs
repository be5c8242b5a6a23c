//! The live broker's reading side: the journal and ledger records, reconciliation with the
//! venue, loss caps, the kill switch from this thread, and the watchdogs.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::*;
use crate::brokers::venue::fetch_venue;
use crate::brokers::{Broker, BrokerError};
use crate::kalshi::ws::FillUpdate;
use crate::ledger::{Fill, LedgerEvent, Mode};
use crate::safety::orders::{OrderRecord, OrderStatus};
use crate::safety::reconcile::reconcile;
use crate::safety::state::{Changer, TradingState};

impl LiveBroker {
    /// Appends an order record (fsync'd), then mirrors it into the live ledger.
    pub(super) fn record(&mut self, record: OrderRecord) -> Result<(), BrokerError> {
        self.journal.append(record.clone()).map_err(|e| io_error(self.journal.path(), e))?;
        self.mirror(&record)
    }

    pub(super) fn ledger_event(&mut self, event: LedgerEvent) -> Result<(), BrokerError> {
        self.ledger.check(&event)?;
        self.ledger_journal.append(&event)?;
        Ok(self.ledger.apply(&event)?)
    }

    /// The ledger side of an order record: orders known to exist are placed, fills fill,
    /// closed orders stop counting as resting.
    pub(super) fn mirror(&mut self, record: &OrderRecord) -> Result<(), BrokerError> {
        let cid = match record {
            OrderRecord::Acked { client_order_id, .. }
            | OrderRecord::Resolved { client_order_id, .. }
            | OrderRecord::Fill { client_order_id, .. }
            | OrderRecord::Closed { client_order_id, .. }
            | OrderRecord::Amended { client_order_id, .. } => client_order_id.clone(),
            _ => return Ok(()),
        };
        let Some(order) = self.journal.table().orders.get(&cid).cloned() else { return Ok(()) };
        let exists = order.order_id.is_some() || matches!(record, OrderRecord::Fill { .. });
        if exists && !self.ledger.known_ids.contains(&cid) {
            // A fill proves the order exists: the ledger records the order first, then the fill.
            self.ledger_event(LedgerEvent::OrderPlaced(order.intent.clone()))?;
        }
        if let OrderRecord::Fill { at, count, price, fee, .. } = record {
            let fill = Fill {
                ts: *at,
                mode: Mode::Live,
                client_order_id: cid.clone(),
                series: order.intent.series.clone(),
                ticker: order.intent.ticker.clone(),
                side: order.intent.side,
                role: order.intent.role,
                price: *price,
                count: *count,
                fee: *fee,
            };
            // A fill the venue reports beyond what the ledger holds open still moves the position.
            self.ledger_event(LedgerEvent::Fill(fill.clone()))?;
            self.fills.push(fill);
        }
        let closed = matches!(order.status, OrderStatus::Closed | OrderStatus::Rejected);
        if closed && self.ledger.open_orders.contains_key(&cid) && !matches!(record, OrderRecord::Fill { .. }) {
            let ts = match record {
                OrderRecord::Closed { at, .. } | OrderRecord::Resolved { at, .. } | OrderRecord::Acked { at, .. } => {
                    *at
                }
                _ => order.intent.ts,
            };
            self.ledger_event(LedgerEvent::OrderCancelled { ts, client_order_id: cid, reason: "closed".into() })?;
        }
        Ok(())
    }

    /// Reads the venue (our orders, fills, positions), reconciles, and records what it finds.
    /// Differences (untracked exposure) move the trading state to REDUCING.
    pub fn reconcile_now(&mut self, at: DateTime<Utc>) -> Result<&SyncSummary, BrokerError> {
        let cursor = self.journal.table().last_fill_at;
        let venue = self.runtime.block_on(fetch_venue(&self.rest, cursor));
        let venue = match venue {
            Ok(v) => v,
            Err(e) => {
                // Unknown is not safe: nothing new is sent until a reconciliation succeeds.
                self.reconciled = false;
                self.audit_event(at, "reconcile_failed", None, None, serde_json::json!({ "error": e.to_string() }))?;
                return Ok(&self.sync);
            }
        };
        let settled: BTreeSet<String> = self.ledger.settled.iter().cloned().collect();
        let outcome = reconcile(self.journal.table(), &venue, &settled, at);
        self.sync.runs += 1;
        self.sync.records += outcome.records.len();
        for record in outcome.records {
            self.record(record)?;
        }
        if !outcome.differences.is_empty() && outcome.differences != self.sync.differences {
            self.audit_event(at, "reconcile_differences", None, None, serde_json::json!(&outcome.differences))?;
            self.request_state(
                TradingState::Reducing,
                Changer::Watchdog,
                "reconciliation found untracked exposure",
                at,
            )?;
        }
        self.sync.differences = outcome.differences;
        self.last_sync_ms = at.timestamp_millis();
        self.reconciled = true;
        Ok(&self.sync)
    }

    /// Fills pushed on the `fill` WebSocket channel, recorded as they happen; returns how many
    /// were new. Each is keyed by its trade id, the id the REST fills list also carries, so a
    /// later reconciliation skips it (and a fill REST already recorded is skipped here). A
    /// fill of an order the journal does not know is left to the reconciliation, which
    /// reports it as untracked exposure.
    pub fn on_pushed_fills(&mut self, fills: &[FillUpdate], at: DateTime<Utc>) -> Result<usize, BrokerError> {
        let mut added = 0;
        for f in fills {
            let table = self.journal.table();
            if f.trade_id.is_empty() || table.fills_seen.contains(&f.trade_id) {
                continue;
            }
            let cid = match f.client_order_id.as_ref().filter(|c| table.orders.contains_key(*c)) {
                Some(cid) => cid.clone(),
                None => match table.orders.iter().find(|(_, o)| o.order_id.as_deref() == Some(f.order_id.as_str())) {
                    Some((cid, _)) => cid.clone(),
                    None => continue,
                },
            };
            let (Some(yes_price), Some(count)) = (f.yes_price_dollars, f.count_fp) else { continue };
            let price = table.orders[&cid].intent.side.price_of(yes_price);
            let when = f.ts_ms.and_then(DateTime::<Utc>::from_timestamp_millis).unwrap_or(at);
            self.record(OrderRecord::Fill {
                at: when,
                client_order_id: cid,
                fill_id: f.trade_id.clone(),
                trade_id: Some(f.trade_id.clone()),
                count,
                price,
                fee: f.fee_cost.unwrap_or(crate::model::Money::ZERO),
            })?;
            added += 1;
        }
        self.sync.pushed_fills += added;
        Ok(added)
    }

    /// The feed reconnected (`count` so far): whatever happened while it was away is read
    /// from the venue before anything new is sent.
    pub fn feed_reconnected(&mut self, count: u32, at: DateTime<Utc>) -> Result<(), BrokerError> {
        if count > self.seen_reconnects {
            self.seen_reconnects = count;
            self.audit_event(at, "feed_reconnected", None, None, serde_json::json!({ "reconnects": count }))?;
            self.reconcile_now(at)?;
        }
        Ok(())
    }

    /// Reconciles if the last one is older than `sync_interval_ms`; then applies the loss caps.
    pub fn tick(&mut self, at: DateTime<Utc>) -> Result<(), BrokerError> {
        let interval = i64::try_from(self.config.sync_interval_ms).unwrap_or(i64::MAX);
        if at.timestamp_millis().saturating_sub(self.last_sync_ms) >= interval {
            self.reconcile_now(at)?;
        }
        self.check_loss_caps(at)
    }

    /// Daily and weekly realised losses at the core caps engage the kill switch.
    pub(super) fn check_loss_caps(&mut self, at: DateTime<Utc>) -> Result<(), BrokerError> {
        let day = crate::ledger::et_date(at);
        let (today, week) = (-self.ledger.realised_on(day), -self.ledger.realised_week_of(day));
        let p = &self.setup_core.pretrade;
        let hit = if today >= p.daily_loss_cap {
            Some(format!("daily loss {today} reached the cap {}", p.daily_loss_cap))
        } else if week >= p.weekly_loss_cap {
            Some(format!("weekly loss {week} reached the cap {}", p.weekly_loss_cap))
        } else {
            None
        };
        if let Some(reason) = hit
            && self.kill.engaged().is_none()
        {
            self.kill.engage(&reason, Changer::LossCap, at).map_err(|e| io_error(&e.path, e.message))?;
            self.engage_now(&reason, at)?;
        }
        Ok(())
    }

    /// Kill-switch actions from this thread (the watcher does the same on its own): cancel
    /// everything, trigger the order group, HALTED, audit, and journal it.
    pub(super) fn engage_now(&mut self, reason: &str, at: DateTime<Utc>) -> Result<(), BrokerError> {
        self.purge_creates("kill_switch", reason, at)?;
        let cancel = self.runtime.block_on(crate::brokers::kill_watch::cancel_all_until_sent(&self.rest));
        self.cancel_mark.record(at.timestamp_millis()).map_err(|e| io_error(&e.path, e.message))?;
        if let Some(group) = &self.group {
            let _ = self.runtime.block_on(self.rest.trigger_order_group(group));
        }
        self.request_state(TradingState::Halted, Changer::KillSwitch, reason, at)?;
        self.audit_event(at, "kill_cancel_all", None, None, serde_json::json!({
            "reason": reason, "by": "session", "cancel_all": cancel.as_ref().map_or_else(|e| e.to_string(), |()| "sent".into()),
        }))?;
        self.record(OrderRecord::KillSwitch { at, reason: reason.to_string() })?;
        self.reconcile_now(at)?;
        Ok(())
    }

    /// The watchdogs: when a feed has been down, or the heartbeat stale, past its bound while
    /// orders rest, every resting order is cancelled. Returns how many were.
    pub fn watchdog(
        &mut self,
        feed_down_secs: Option<f64>,
        heartbeat_age_secs: Option<f64>,
        at: DateTime<Utc>,
    ) -> Result<usize, BrokerError> {
        if self.open_orders() == 0 {
            return Ok(0);
        }
        let feed = feed_down_secs.filter(|s| *s >= self.config.feed_down_cancel_secs as f64);
        let beat = heartbeat_age_secs.filter(|s| *s >= self.config.heartbeat_stale_cancel_secs as f64);
        let reason = match (feed, beat) {
            (Some(s), _) => format!("watchdog: feed down {s:.1}s"),
            (None, Some(s)) => format!("watchdog: heartbeat {s:.1}s old"),
            (None, None) => return Ok(0),
        };
        self.audit_event(at, "watchdog_cancel", None, None, serde_json::json!({ "reason": reason }))?;
        self.cancel_where(|_| true, &reason, at)
    }
}
