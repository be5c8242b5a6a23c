//! The live broker's sending side: the pre-trade chain, the cancel/replace queue and the V2
//! requests, with the kill switch and trading state re-read before each create leaves.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::*;
use crate::brokers::{BrokerError, OrderContext, OrderIntent};
use crate::kalshi::open_enum::{BookSide, SelfTradePrevention, TimeInForce};
use crate::kalshi::orders::{CreateOrder, DecreaseOrder};
use crate::kalshi::rest::RestError;
use crate::model::{Count, Money, Price, Role, Side};
use crate::safety::orders::{OrderRecord, OrderStatus};
use crate::safety::pretrade::{self, Candidate, Refusal, Sent};
use crate::safety::queue::QueuedRequest;
use crate::safety::var::Holding;

impl LiveBroker {
    pub(super) fn mid_of(ctx: &OrderContext<'_>) -> Option<Price> {
        let (bid, ask) = match ctx.proposal.side {
            Side::Yes => (ctx.book.best_yes_bid(), ctx.book.best_yes_ask()),
            Side::No => (ctx.book.best_no_bid(), ctx.book.best_no_ask()),
        };
        Some(bid?.price.midpoint(ask?.price))
    }

    /// Whether buying `side` of `ticker` only closes part of an opposite position.
    pub(super) fn reduces(&self, ticker: &str, side: Side, count: Count) -> bool {
        self.ledger.positions.get(ticker).is_some_and(|p| p.side != side && count <= p.count)
    }

    /// The book's holdings ([`Broker::holdings`]) grouped by the event of their market.
    pub(super) fn holdings_by_event(&self) -> BTreeMap<String, Vec<Holding>> {
        let event_of: BTreeMap<&str, &str> =
            self.journal.table().orders.values().map(|o| (o.intent.ticker.as_str(), o.intent.event.as_str())).collect();
        let mut out: BTreeMap<String, Vec<Holding>> = BTreeMap::new();
        for h in Broker::holdings(self).all() {
            if let Some(event) = event_of.get(h.ticker.as_str()) {
                out.entry(event.to_string()).or_default().push(h);
            }
        }
        out
    }

    pub(super) fn refuse(&self, intent: &OrderIntent, refusal: &Refusal, at: DateTime<Utc>) -> BrokerError {
        let detail = serde_json::to_value(refusal).unwrap_or_default();
        if let Err(e) =
            self.audit_event(at, "pretrade_refused", Some(&intent.client_order_id), Some(&intent.ticker), detail)
        {
            return e;
        }
        BrokerError::Refused {
            client_order_id: intent.client_order_id.clone(),
            code: refusal.code(),
            detail: serde_json::to_string(refusal).unwrap_or_default(),
        }
    }

    /// The pre-trade chain for one order.
    pub(super) fn pretrade(
        &self,
        intent: &OrderIntent,
        ctx: &OrderContext<'_>,
        at: DateTime<Utc>,
    ) -> Result<bool, Refusal> {
        let p = ctx.proposal;
        let now_ms = at.timestamp_millis();
        let exposure = self.ledger.exposure(at, |o| crate::brokers::resting_fee_bound(o, self.rounding));
        let blocked: Vec<String> = self.journal.table().blocked_markets().into_iter().map(str::to_string).collect();
        let quiet_ms = i64::try_from(self.config.cancel_all_quiet_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        let quiet_until_ms = self.last_cancel_all_ms(now_ms).map(|t| t.saturating_add(quiet_ms));
        let reduces = self.reduces(&intent.ticker, intent.side, intent.count);
        let holdings = self.holdings_by_event();
        let core = &self.setup_core;
        let book = pretrade::Book {
            armed: self.armed,
            kill_switch: self.kill.is_engaged(),
            reconciled: self.reconciled,
            state: self.trading_state(at),
            quiet_until_ms,
            blocked: &blocked,
            series_allowed: core.allowed_series.contains(&p.series),
            strike_limit: core.max_loss_per_strike,
            series_limit: core.pretrade.max_loss_per_series,
            loss_caps: (core.pretrade.daily_loss_cap, core.pretrade.weekly_loss_cap),
            strike_loss: exposure.by_ticker.get(&p.ticker).copied().unwrap_or(Money::ZERO),
            series_loss: exposure.by_series.get(&p.series).copied().unwrap_or(Money::ZERO),
            daily_loss: exposure.realised_today + exposure.committed,
            weekly_loss: exposure.realised_week + exposure.committed,
            session_notional: self.session_notional(),
            session_ceiling: self.session_ceiling,
            open_orders: self.journal.table().open().count(),
            recent: &self.recent,
            now_ms,
            outcomes: &self.outcomes,
            holdings: &holdings,
        };
        let candidate = Candidate {
            series: &p.series,
            event: &p.event,
            ticker: &p.ticker,
            side: intent.side,
            price: intent.price,
            count: intent.count,
            worst_loss: p.max_loss,
            model_p: p.model_p,
            mid: Self::mid_of(ctx),
            reduces,
        };
        pretrade::check(&candidate, &book, &core.pretrade).map(|()| reduces)
    }

    /// When the last cancel-all went out (by the watcher or this session). A mark that cannot
    /// be read counts as a cancel-all just now: the quiet time applies until it reads again.
    pub(super) fn last_cancel_all_ms(&self, now_ms: i64) -> Option<i64> {
        self.cancel_mark.last_ms().unwrap_or(Some(now_ms))
    }

    /// Queues a request; one the full queue hands back is audited as `queue_drop`. Returns
    /// whether it was queued.
    pub(super) fn enqueue(&mut self, request: QueuedRequest, at: DateTime<Utc>) -> Result<bool, BrokerError> {
        match self.queue.push(request) {
            Ok(()) => Ok(true),
            Err(dropped) => {
                let detail = serde_json::json!(&dropped);
                self.audit_event(at, "queue_drop", Some(dropped.client_order_id()), Some(dropped.ticker()), detail)?;
                Ok(false)
            }
        }
    }

    /// Sends queued requests in order, waiting for the token bucket; drops are audited.
    pub(super) fn drain(&mut self, at: DateTime<Utc>) -> Result<(), BrokerError> {
        for dropped in self.queue.take_evicted() {
            self.audit_event(
                at,
                "queue_drop",
                Some(dropped.client_order_id()),
                Some(dropped.ticker()),
                serde_json::json!(&dropped),
            )?;
        }
        loop {
            let now_ms = chrono::Utc::now().timestamp_millis().max(at.timestamp_millis());
            match self.queue.next(now_ms) {
                Ok(request) => self.send(request, at)?,
                Err(None) => return Ok(()),
                Err(Some(wait_ms)) => {
                    let wait = Duration::from_millis(wait_ms.min(5_000));
                    self.runtime.block_on(async move { tokio::time::sleep(wait).await });
                }
            }
        }
    }

    pub(super) fn send(&mut self, request: QueuedRequest, at: DateTime<Utc>) -> Result<(), BrokerError> {
        match request {
            QueuedRequest::Create { client_order_id, .. } => self.send_create(&client_order_id, at),
            QueuedRequest::Cancel { client_order_id, .. } => self.send_cancel(&client_order_id, at),
            QueuedRequest::Decrease { client_order_id, remaining, .. } => {
                self.send_decrease(&client_order_id, remaining, at)
            }
        }
    }

    /// Why a create may not leave now, checked immediately before it is sent: the kill switch
    /// (anything at its path) or a trading state that no longer allows it.
    pub(super) fn create_blocked(
        &self,
        order: &crate::safety::orders::LiveOrder,
        at: DateTime<Utc>,
    ) -> Option<(&'static str, String)> {
        if let Some(record) = self.kill.engaged() {
            return Some(("kill_switch", format!("kill switch engaged: {}", record.reason)));
        }
        let state = self.trading_state(at);
        let reduces = self.reduces(&order.intent.ticker, order.intent.side, order.intent.count);
        (!state.allows_order(reduces))
            .then(|| ("trading_state", format!("trading state {} does not allow it", state.as_str())))
    }

    /// Takes every create still queued out of the queue and records it as rejected (never
    /// sent): engaging the kill switch or halting empties the queue of new risk.
    pub(super) fn purge_creates(&mut self, code: &str, why: &str, at: DateTime<Utc>) -> Result<usize, BrokerError> {
        let purged = self.queue.purge_creates();
        for request in &purged {
            self.record(OrderRecord::Rejected {
                at,
                client_order_id: request.client_order_id().to_string(),
                code: code.to_string(),
                message: why.to_string(),
            })?;
        }
        if !purged.is_empty() {
            let ids: Vec<&str> = purged.iter().map(QueuedRequest::client_order_id).collect();
            self.audit_event(at, "queue_purged", None, None, serde_json::json!({ "reason": why, "creates": ids }))?;
        }
        Ok(purged.len())
    }

    pub(super) fn send_create(&mut self, cid: &str, at: DateTime<Utc>) -> Result<(), BrokerError> {
        let Some(order) = self.journal.table().orders.get(cid).cloned() else { return Ok(()) };
        if let Some((code, why)) = self.create_blocked(&order, at) {
            self.record(OrderRecord::Rejected {
                at,
                client_order_id: cid.into(),
                code: code.into(),
                message: why.clone(),
            })?;
            self.audit_event(
                at,
                "create_blocked",
                Some(cid),
                Some(&order.intent.ticker),
                serde_json::json!({ "reason": why }),
            )?;
            self.purge_creates(code, &why, at)?;
            return Ok(());
        }
        self.session_orders.insert(cid.to_string());
        let i = &order.intent;
        let (side, price) = match i.side {
            Side::Yes => (BookSide::Bid, i.price),
            Side::No => (BookSide::Ask, i.price.complement()),
        };
        let maker = i.role == Role::Maker;
        let mut create = CreateOrder::limit(&i.ticker, cid, side, price, i.count);
        create.time_in_force = if maker { TimeInForce::GoodTillCanceled } else { TimeInForce::ImmediateOrCancel };
        create.self_trade_prevention_type =
            if maker { SelfTradePrevention::Maker } else { SelfTradePrevention::TakerAtCross };
        create.post_only = maker.then_some(true);
        create.order_group_id.clone_from(&self.group);
        create.cancel_order_on_pause = Some(true);
        let response = self.runtime.block_on(self.rest.create_order(&create));
        let now = at.max(chrono::Utc::now());
        match response {
            Ok(r) if r.order_id.is_empty() => {
                self.record(OrderRecord::Unknown {
                    at: now,
                    client_order_id: cid.into(),
                    error: "create response without order_id".into(),
                })?;
                self.reconcile_now(now)?;
            }
            Ok(r) => {
                self.recent.push(Sent {
                    at_ms: at.timestamp_millis(),
                    ticker: i.ticker.clone(),
                    side: i.side,
                    price: i.price,
                });
                self.record(OrderRecord::Acked {
                    at: now,
                    client_order_id: cid.into(),
                    order_id: r.order_id,
                    filled: r.fill_count,
                    remaining: r.remaining_count,
                })?;
                if !r.fill_count.is_zero() {
                    // Immediate fills: their prices and fees come from the fills list.
                    self.reconcile_now(now)?;
                }
            }
            Err(e) if definitely_not_placed(&e) => {
                let (code, message) = match e.api() {
                    Some(api) => (api.body.code.clone(), api.body.message.clone()),
                    None => (rest_error_code(&e).to_string(), e.to_string()),
                };
                self.record(OrderRecord::Rejected { at: now, client_order_id: cid.into(), code, message })?;
            }
            Err(e) => {
                self.record(OrderRecord::Unknown { at: now, client_order_id: cid.into(), error: e.to_string() })?;
                self.reconcile_now(now)?;
            }
        }
        Ok(())
    }

    /// A cancel or decrease that failed: audited, then the venue is read again.
    pub(super) fn request_failed(
        &mut self,
        event: &str,
        cid: &str,
        ticker: &str,
        error: &RestError,
        now: DateTime<Utc>,
    ) -> Result<(), BrokerError> {
        self.audit_event(now, event, Some(cid), Some(ticker), serde_json::json!({ "error": error.to_string() }))?;
        self.reconcile_now(now).map(|_| ())
    }

    pub(super) fn send_cancel(&mut self, cid: &str, at: DateTime<Utc>) -> Result<(), BrokerError> {
        let Some(order) = self.journal.table().orders.get(cid).cloned() else { return Ok(()) };
        let Some(order_id) = order.order_id.clone() else { return Ok(()) };
        let result = self.runtime.block_on(self.rest.cancel_order(&order_id, &order.intent.ticker));
        let now = at.max(chrono::Utc::now());
        match result {
            Ok(_) => {
                self.record(OrderRecord::Closed { at: now, client_order_id: cid.into(), reason: "cancelled".into() })
            }
            Err(e) if e.api().is_some_and(|a| a.status == 404) => self.record(OrderRecord::Closed {
                at: now,
                client_order_id: cid.into(),
                reason: "not resting at the venue".into(),
            }),
            // Not known to be gone: the next reconciliation settles it.
            Err(e) => self.request_failed("cancel_failed", cid, &order.intent.ticker, &e, now),
        }
    }

    pub(super) fn send_decrease(&mut self, cid: &str, remaining: Count, at: DateTime<Utc>) -> Result<(), BrokerError> {
        let Some(order) = self.journal.table().orders.get(cid).cloned() else { return Ok(()) };
        let Some(order_id) = order.order_id.clone() else { return Ok(()) };
        let request = DecreaseOrder { reduce_to: Some(remaining), reduce_by: None };
        let result = self.runtime.block_on(self.rest.decrease(&order_id, &request));
        let now = at.max(chrono::Utc::now());
        match result {
            Ok(_) => self.record(OrderRecord::Amended {
                at: now,
                client_order_id: cid.into(),
                price: order.price,
                remaining,
            }),
            Err(e) => self.request_failed("decrease_failed", cid, &order.intent.ticker, &e, now),
        }
    }

    /// Cancels our resting orders that `pick` selects, through the queue. Never blocked.
    pub(super) fn cancel_where(
        &mut self,
        pick: impl Fn(&crate::safety::orders::LiveOrder) -> bool,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<usize, BrokerError> {
        let targets: Vec<(String, String)> = self
            .journal
            .table()
            .orders
            .values()
            .filter(|o| o.status == OrderStatus::Resting && !o.cancel_requested && pick(o))
            .map(|o| (o.intent.client_order_id.clone(), o.intent.ticker.clone()))
            .collect();
        for (cid, ticker) in &targets {
            if self.queue.len() >= self.config.queue_capacity.get() {
                // Send what waits first: a cancel is never dropped for want of room.
                self.drain(at)?;
            }
            self.record(OrderRecord::CancelRequested { at, client_order_id: cid.clone(), reason: reason.to_string() })?;
            self.enqueue(QueuedRequest::Cancel { client_order_id: cid.clone(), ticker: ticker.clone() }, at)?;
        }
        self.drain(at)?;
        Ok(targets.len())
    }
}

/// An error after which the order is known not to exist at the venue.
fn definitely_not_placed(e: &RestError) -> bool {
    match e {
        RestError::Api { error, .. } => {
            (400..500).contains(&error.status) && error.status != 408 && error.status != 429
        }
        RestError::Conflict { .. }
        | RestError::ClockSkew { .. }
        | RestError::NoCredentials { .. }
        | RestError::BaseUrl(_) => true,
        _ => false,
    }
}

fn rest_error_code(e: &RestError) -> &'static str {
    match e {
        RestError::Conflict { .. } => "client_order_id_conflict",
        RestError::ClockSkew { .. } => "clock_skew",
        RestError::NoCredentials { .. } => "no_credentials",
        _ => "error",
    }
}
