//! The simulated exchange's state: one price-time-priority YES book per market (bids and
//! asks), resting liquidity seeded from fixture books, our orders, fills, positions, cash and
//! order groups. Pure: the server hands in requests and times.
//!
//! Over 600 lines: one matching engine whose books, orders, fills, positions, cash and order
//! groups change together under the server's one lock; its JSON views sit beside the state.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use crate::kalshi::error::{ApiError, ErrorBody};
use crate::kalshi::open_enum::{Action, BookSide, OrderStatus, OutcomeSide, TimeInForce};
use crate::kalshi::orders::{
    AmendOrder, AmendOrderResponse, CancelOrderResponse, CreateOrder, CreateOrderResponse, DecreaseOrder,
    DecreaseOrderResponse,
};
use crate::kalshi::portfolio::{Balance, Fill, MarketPosition, Order, PositionsPage};
use crate::model::{Count, Level, Money, Price, Role, SignedCount};
use crate::pricing::fees::{FeeSchedule, Rounding};

/// Who placed an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The account the API speaks for.
    Us,
    /// Everyone else (fixture liquidity, scripted flow).
    Crowd,
}

/// An order the exchange knows.
#[derive(Debug, Clone)]
struct SimOrder {
    order_id: String,
    client_order_id: String,
    ticker: String,
    owner: Owner,
    side: BookSide,
    price: Price,
    initial: Count,
    filled: Count,
    remaining: Count,
    status: &'static str,
    created_ms: i64,
    seq: u64,
    group: Option<String>,
    /// Fees charged when this order took liquidity.
    taker_fees: Money,
    /// Fees charged when this order's resting contracts were taken.
    maker_fees: Money,
    /// Premium paid as taker / as maker.
    taker_cost: Money,
    maker_cost: Money,
}

/// One of our fills.
#[derive(Debug, Clone)]
struct SimFill {
    trade_id: String,
    order_id: String,
    ticker: String,
    side: BookSide,
    price: Price,
    count: Count,
    taker: bool,
    fee: Money,
    ts_ms: i64,
}

/// An order group.
#[derive(Debug, Clone)]
struct Group {
    limit: Count,
    triggered: bool,
}

/// A change the WebSocket streams: a book level moved, or one of our orders or fills.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// YES (`bid`) or NO (`ask` at 1 − p) level changed by `delta` contracts (hundredths).
    Level {
        /// Market.
        ticker: String,
        /// `yes` for bids, `no` for asks.
        side: &'static str,
        /// Price on that side's own scale.
        price: Price,
        /// Signed change, hundredths of a contract.
        delta_centis: i64,
    },
    /// One of our orders changed (the V1 order object).
    Order(Value),
    /// One of our fills.
    Fill(Value),
    /// A trade printed (anyone's), as the public `trade` channel shows it.
    Trade(crate::kalshi::ws::TradeUpdate),
}

/// The exchange.
#[derive(Debug)]
pub struct Exchange {
    books: BTreeMap<String, Vec<SimOrder>>,
    orders: HashMap<String, SimOrder>,
    by_client: HashMap<String, String>,
    fees: HashMap<String, FeeSchedule>,
    fills: Vec<SimFill>,
    positions: BTreeMap<String, i64>,
    cash: Money,
    settlements: Vec<Value>,
    groups: BTreeMap<String, Group>,
    next_id: u64,
    /// Changes since the last drain, for the WebSocket.
    changes: Vec<Change>,
    published: u64,
}

fn api(status: u16, code: &str, message: &str, details: &str) -> ApiError {
    ApiError { status, body: ErrorBody { code: code.into(), message: message.into(), details: details.into() } }
}

impl Exchange {
    /// An exchange with `cash` in our account.
    pub fn new(cash: Money) -> Exchange {
        Exchange {
            books: BTreeMap::new(),
            orders: HashMap::new(),
            by_client: HashMap::new(),
            fees: HashMap::new(),
            fills: Vec::new(),
            positions: BTreeMap::new(),
            cash,
            settlements: Vec::new(),
            groups: BTreeMap::new(),
            next_id: 1,
            changes: Vec::new(),
            published: 0,
        }
    }

    /// Lists a market with its fee schedule and seeds its book: each YES bid level becomes a
    /// crowd bid, each NO bid level at `n` a crowd ask at `1 − n`.
    pub fn list_market(
        &mut self,
        ticker: &str,
        fees: FeeSchedule,
        yes_bids: &[(Price, Count)],
        no_bids: &[(Price, Count)],
    ) {
        self.fees.insert(ticker.to_string(), fees);
        self.books.entry(ticker.to_string()).or_default();
        let seed = yes_bids
            .iter()
            .map(|&(p, c)| (BookSide::Bid, p, c))
            .chain(no_bids.iter().map(|&(p, c)| (BookSide::Ask, p.complement(), c)));
        for (side, price, count) in seed {
            let id = self.id("crowd");
            let order = SimOrder {
                order_id: id.clone(),
                client_order_id: String::new(),
                ticker: ticker.to_string(),
                owner: Owner::Crowd,
                side,
                price,
                initial: count,
                filled: Count::ZERO,
                remaining: count,
                status: "resting",
                created_ms: 0,
                seq: self.next_id,
                group: None,
                taker_fees: Money::ZERO,
                maker_fees: Money::ZERO,
                taker_cost: Money::ZERO,
                maker_cost: Money::ZERO,
            };
            self.rest(order);
        }
        self.changes.clear();
    }

    /// Markets listed.
    pub fn has_market(&self, ticker: &str) -> bool {
        self.books.contains_key(ticker)
    }

    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{:08}", self.next_id)
    }

    /// Changes since the last call, each numbered (1, 2, … across calls): a book snapshot
    /// taken under the same lock reflects every change up to [`Exchange::published`].
    pub fn drain_changes(&mut self) -> Vec<(u64, Change)> {
        std::mem::take(&mut self.changes)
            .into_iter()
            .map(|c| {
                self.published += 1;
                (self.published, c)
            })
            .collect()
    }

    /// The number of the last change drained.
    pub fn published(&self) -> u64 {
        self.published
    }

    /// The aggregated book: YES bids and NO bids, ascending.
    pub fn levels(&self, ticker: &str) -> (Vec<Level>, Vec<Level>) {
        let mut yes: BTreeMap<Price, i64> = BTreeMap::new();
        let mut no: BTreeMap<Price, i64> = BTreeMap::new();
        for o in self.books.get(ticker).into_iter().flatten() {
            match o.side {
                BookSide::Bid => *yes.entry(o.price).or_default() += o.remaining.centis(),
                _ => *no.entry(o.price.complement()).or_default() += o.remaining.centis(),
            }
        }
        let out = |m: BTreeMap<Price, i64>| {
            m.into_iter().map(|(price, c)| Level { price, size: Count::from_centis(c).expect("positive") }).collect()
        };
        (out(yes), out(no))
    }

    fn level_change(&mut self, o: &SimOrder, delta_centis: i64) {
        let (side, price) = match o.side {
            BookSide::Bid => ("yes", o.price),
            _ => ("no", o.price.complement()),
        };
        self.changes.push(Change::Level { ticker: o.ticker.clone(), side, price, delta_centis });
    }

    fn rest(&mut self, order: SimOrder) {
        self.level_change(&order, order.remaining.centis());
        let book = self.books.entry(order.ticker.clone()).or_default();
        book.push(order);
    }

    /// Places an order for `owner` at `now_ms`.
    pub fn create(&mut self, req: &CreateOrder, owner: Owner, now_ms: i64) -> Result<CreateOrderResponse, ApiError> {
        if owner == Owner::Us && !req.client_order_id.is_empty() && self.by_client.contains_key(&req.client_order_id) {
            return Err(api(409, "order_already_exists", "order already exists", &req.client_order_id));
        }
        if !self.books.contains_key(&req.ticker) {
            return Err(api(404, "not_found", "market not found", &req.ticker));
        }
        if !req.price.is_tradeable() {
            return Err(api(400, "invalid_price", "invalid price", &req.price.to_string()));
        }
        if req.count.is_zero() {
            return Err(api(400, "invalid_order", "invalid order", "count must be positive"));
        }
        if let Some(g) = req.order_group_id.as_ref().and_then(|g| self.groups.get(g))
            && g.triggered
        {
            return Err(api(400, "invalid_order", "invalid order", "order group is triggered"));
        }
        let side = req.side.clone();
        if matches!(side, BookSide::Unknown(_)) {
            return Err(api(400, "invalid_order", "invalid order", "side must be bid or ask"));
        }
        let crosses = |o: &SimOrder| match side {
            BookSide::Bid => o.side == BookSide::Ask && o.price <= req.price,
            _ => o.side == BookSide::Bid && o.price >= req.price,
        };
        let available: i64 = self.books[&req.ticker].iter().filter(|o| crosses(o)).map(|o| o.remaining.centis()).sum();
        if req.post_only == Some(true) && available > 0 {
            return Err(api(400, "invalid_order", "invalid order", "post only cross"));
        }
        if req.time_in_force == TimeInForce::FillOrKill && available < req.count.centis() {
            return Err(api(409, "fill_or_kill_insufficient_resting_volume", "fill or kill not filled", ""));
        }
        let order_id = self.id(if owner == Owner::Us { "ord" } else { "crowd" });
        let mut order = SimOrder {
            order_id: order_id.clone(),
            client_order_id: req.client_order_id.clone(),
            ticker: req.ticker.clone(),
            owner,
            side,
            price: req.price,
            initial: req.count,
            filled: Count::ZERO,
            remaining: req.count,
            status: "resting",
            created_ms: now_ms,
            seq: self.next_id,
            group: req.order_group_id.clone(),
            taker_fees: Money::ZERO,
            maker_fees: Money::ZERO,
            taker_cost: Money::ZERO,
            maker_cost: Money::ZERO,
        };
        let (mut cost, mut fee_total) = (Money::ZERO, Money::ZERO);
        while !order.remaining.is_zero() {
            let Some(i) = self.best_match(&order) else { break };
            let (price, size) = {
                let book = self.books.get_mut(&req.ticker).expect("listed");
                let maker = &mut book[i];
                let size = maker.remaining.min(order.remaining);
                (maker.price, size)
            };
            let maker = self.trade(&req.ticker, i, size);
            let taker_side = if order.side == BookSide::Bid { OutcomeSide::Yes } else { OutcomeSide::No };
            let trade_id = self.id("print");
            self.changes.push(Change::Trade(crate::kalshi::ws::TradeUpdate {
                trade_id,
                market_ticker: req.ticker.clone(),
                yes_price_dollars: Some(price),
                count_fp: Some(size),
                taker_outcome_side: Some(taker_side),
                ts_ms: Some(now_ms),
            }));
            order.remaining = Count::from_centis(order.remaining.centis() - size.centis()).expect("non-negative");
            order.filled = order.filled + size;
            cost += if order.side == BookSide::Bid { size.times(price) } else { size.times(price.complement()) };
            fee_total += self.fill(&order, &maker, price, size, now_ms);
        }
        order.taker_fees = fee_total;
        order.taker_cost = cost;
        let response = CreateOrderResponse {
            order_id: order_id.clone(),
            client_order_id: Some(order.client_order_id.clone()),
            fill_count: order.filled,
            remaining_count: Count::ZERO,
            average_fill_price: None,
            average_fee_paid: None,
            ts_ms: now_ms,
        };
        let filled = order.filled;
        let average = (!filled.is_zero()).then(|| cost.per_contract_floor(filled));
        let keep_resting = !order.remaining.is_zero() && req.time_in_force == TimeInForce::GoodTillCanceled;
        if !keep_resting {
            order.status = if order.remaining.is_zero() { "executed" } else { "canceled" };
        }
        let remaining = if keep_resting { order.remaining } else { Count::ZERO };
        if owner == Owner::Us {
            self.by_client.insert(order.client_order_id.clone(), order_id.clone());
            self.orders.insert(order_id.clone(), order.clone());
            self.changes.push(Change::Order(order_json(&order)));
        }
        if keep_resting {
            self.rest(order);
        }
        Ok(CreateOrderResponse {
            remaining_count: remaining,
            average_fill_price: average
                .map(|m| Price::from_micros(m.units() / 100).unwrap_or(Price::from_cents(0).expect("0"))),
            average_fee_paid: (!filled.is_zero()).then(|| fee_total.per_contract_floor(filled)),
            ..response
        })
    }

    /// Index of the best resting order `incoming` would trade with (price, then time).
    fn best_match(&self, incoming: &SimOrder) -> Option<usize> {
        let book = &self.books[&incoming.ticker];
        book.iter()
            .enumerate()
            .filter(|(_, o)| match incoming.side {
                BookSide::Bid => o.side == BookSide::Ask && o.price <= incoming.price,
                _ => o.side == BookSide::Bid && o.price >= incoming.price,
            })
            .min_by_key(|(_, o)| {
                let price_rank = if incoming.side == BookSide::Bid { o.price.micros() } else { -o.price.micros() };
                (price_rank, o.seq)
            })
            .map(|(i, _)| i)
    }

    /// Takes `size` from resting order `i`; returns it as it was after the trade.
    fn trade(&mut self, ticker: &str, i: usize, size: Count) -> SimOrder {
        let book = self.books.get_mut(ticker).expect("listed");
        let maker = &mut book[i];
        maker.remaining = Count::from_centis(maker.remaining.centis() - size.centis()).expect("non-negative");
        maker.filled = maker.filled + size;
        if maker.remaining.is_zero() {
            maker.status = "executed";
        }
        let snapshot = maker.clone();
        if snapshot.remaining.is_zero() {
            book.remove(i);
        }
        self.level_change(&snapshot, -size.centis());
        if snapshot.owner == Owner::Us
            && let Some(o) = self.orders.get_mut(&snapshot.order_id)
        {
            *o = snapshot.clone();
        }
        snapshot
    }

    /// Books a trade between `taker` (incoming) and `maker` for whichever is ours; returns the
    /// taker's fee when the taker is ours.
    fn fill(&mut self, taker: &SimOrder, maker: &SimOrder, price: Price, size: Count, now_ms: i64) -> Money {
        let trade_id = self.id("trade");
        let mut taker_fee = Money::ZERO;
        for (order, is_taker) in [(taker, true), (maker, false)] {
            if order.owner != Owner::Us {
                continue;
            }
            let schedule = self.fees.get(&order.ticker).cloned().expect("listed");
            let role = if is_taker { Role::Taker } else { Role::Maker };
            let fee = schedule.fee(role, price, size, Rounding::Cent);
            let outlay = if order.side == BookSide::Bid { size.times(price) } else { size.times(price.complement()) };
            self.cash -= outlay + fee;
            let signed = if order.side == BookSide::Bid { size.centis() } else { -size.centis() };
            let before = self.positions.get(&order.ticker).copied().unwrap_or(0);
            let after = before + signed;
            // A YES and a NO contract held together pay $1: the exchange nets them at once.
            if before.signum() * signed.signum() < 0 {
                let netted = before.abs().min(signed.abs());
                self.cash += Count::from_centis(netted).expect("positive").times(Price::from_cents(100).expect("1.00"));
            }
            self.positions.insert(order.ticker.clone(), after);
            let f = SimFill {
                trade_id: trade_id.clone(),
                order_id: order.order_id.clone(),
                ticker: order.ticker.clone(),
                side: order.side.clone(),
                price,
                count: size,
                taker: is_taker,
                fee,
                ts_ms: now_ms,
            };
            self.changes.push(Change::Fill(fill_json(&f, &order.client_order_id, after)));
            self.fills.push(f);
            if !is_taker {
                if let Some(o) = self.orders.get_mut(&order.order_id) {
                    o.maker_fees += fee;
                    o.maker_cost += outlay;
                }
                let updated = self.orders.get(&order.order_id).cloned();
                if let Some(o) = updated {
                    self.changes.push(Change::Order(order_json(&o)));
                }
            } else {
                taker_fee = fee;
            }
            self.check_group(order.group.as_deref());
        }
        taker_fee
    }

    fn check_group(&mut self, group: Option<&str>) {
        let Some(id) = group else { return };
        let filled: i64 =
            self.orders.values().filter(|o| o.group.as_deref() == Some(id)).map(|o| o.filled.centis()).sum();
        let hit = self.groups.get(id).is_some_and(|g| !g.triggered && filled >= g.limit.centis());
        if hit {
            self.trigger_group(id);
        }
    }

    fn remove_resting(&mut self, order_id: &str) -> Option<SimOrder> {
        for book in self.books.values_mut() {
            if let Some(i) = book.iter().position(|o| o.order_id == order_id) {
                return Some(book.remove(i));
            }
        }
        None
    }

    /// Cancels one of our orders.
    pub fn cancel(&mut self, order_id: &str, now_ms: i64) -> Result<CancelOrderResponse, ApiError> {
        let order = self.orders.get(order_id).filter(|o| o.status == "resting").cloned();
        let Some(mut order) = order else { return Err(api(404, "not_found", "order not found", order_id)) };
        self.remove_resting(order_id);
        self.level_change(&order, -order.remaining.centis());
        let reduced = order.remaining;
        order.remaining = Count::ZERO;
        order.status = "canceled";
        self.changes.push(Change::Order(order_json(&order)));
        self.orders.insert(order_id.to_string(), order.clone());
        Ok(CancelOrderResponse {
            order_id: order.order_id,
            client_order_id: Some(order.client_order_id),
            reduced_by: reduced,
            ts_ms: now_ms,
        })
    }

    /// Cancels every resting order of ours; returns how many.
    pub fn cancel_all(&mut self, now_ms: i64) -> usize {
        let ids: Vec<String> =
            self.orders.values().filter(|o| o.status == "resting").map(|o| o.order_id.clone()).collect();
        ids.iter().filter(|id| self.cancel(id, now_ms).is_ok()).count()
    }

    /// Reduces a resting order.
    pub fn decrease(
        &mut self,
        order_id: &str,
        req: &DecreaseOrder,
        now_ms: i64,
    ) -> Result<DecreaseOrderResponse, ApiError> {
        let order = self.orders.get(order_id).filter(|o| o.status == "resting").cloned();
        let Some(order) = order else { return Err(api(404, "not_found", "order not found", order_id)) };
        let target = match (req.reduce_by, req.reduce_to) {
            (Some(by), None) => order.remaining.centis() - by.centis(),
            (None, Some(to)) => to.centis(),
            _ => return Err(api(400, "invalid_parameters", "exactly one of reduce_by or reduce_to", "")),
        };
        if target < 0 || target > order.remaining.centis() {
            return Err(api(400, "invalid_parameters", "decrease out of range", ""));
        }
        if target == 0 {
            self.cancel(order_id, now_ms)?;
        } else {
            let delta = target - order.remaining.centis();
            for book in self.books.values_mut() {
                if let Some(o) = book.iter_mut().find(|o| o.order_id == order_id) {
                    o.remaining = Count::from_centis(target).expect("positive");
                }
            }
            let mut updated = order.clone();
            updated.remaining = Count::from_centis(target).expect("positive");
            self.level_change(&updated, delta);
            self.changes.push(Change::Order(order_json(&updated)));
            self.orders.insert(order_id.to_string(), updated);
        }
        Ok(DecreaseOrderResponse {
            order_id: order_id.to_string(),
            client_order_id: Some(order.client_order_id),
            remaining_count: Count::from_centis(target).expect("non-negative"),
            ts_ms: now_ms,
        })
    }

    /// Amends price and size: the order loses its place and is re-entered (it may cross).
    pub fn amend(&mut self, order_id: &str, req: &AmendOrder, now_ms: i64) -> Result<AmendOrderResponse, ApiError> {
        let order = self.orders.get(order_id).filter(|o| o.status == "resting").cloned();
        let Some(order) = order else { return Err(api(404, "not_found", "order not found", order_id)) };
        if req.side != order.side || req.ticker != order.ticker {
            return Err(api(400, "invalid_order", "amend cannot change market or side", ""));
        }
        if req.count < order.filled {
            return Err(api(400, "invalid_order", "count below the filled amount", ""));
        }
        self.cancel(order_id, now_ms)?;
        self.by_client.remove(&order.client_order_id);
        let new_cid = req.updated_client_order_id.clone().unwrap_or(order.client_order_id.clone());
        let remaining = Count::from_centis(req.count.centis() - order.filled.centis()).expect("checked");
        if remaining.is_zero() {
            return Ok(AmendOrderResponse {
                order_id: order_id.into(),
                client_order_id: Some(new_cid),
                remaining_count: Some(Count::ZERO),
                fill_count: Some(order.filled),
                ts_ms: now_ms,
            });
        }
        let mut create = CreateOrder::limit(&order.ticker, &new_cid, order.side.clone(), req.price, remaining);
        create.order_group_id = order.group.clone();
        let created = self.create(&create, Owner::Us, now_ms)?;
        Ok(AmendOrderResponse {
            order_id: created.order_id,
            client_order_id: Some(new_cid),
            remaining_count: Some(created.remaining_count),
            fill_count: Some(order.filled + created.fill_count),
            ts_ms: now_ms,
        })
    }

    /// Creates an order group.
    pub fn create_group(&mut self, limit: Count) -> String {
        let id = self.id("group");
        self.groups.insert(id.clone(), Group { limit, triggered: false });
        id
    }

    /// Triggers a group: cancels its resting orders and refuses new ones until reset.
    pub fn trigger_group(&mut self, id: &str) -> bool {
        let Some(g) = self.groups.get_mut(id) else { return false };
        g.triggered = true;
        let ids: Vec<String> = self
            .orders
            .values()
            .filter(|o| o.group.as_deref() == Some(id) && o.status == "resting")
            .map(|o| o.order_id.clone())
            .collect();
        for order_id in ids {
            let _ = self.cancel(&order_id, 0);
        }
        true
    }

    /// Resets a triggered group.
    pub fn reset_group(&mut self, id: &str) -> bool {
        self.groups.get_mut(id).map(|g| g.triggered = false).is_some()
    }

    /// `GET /portfolio/order_groups` body.
    pub fn groups_json(&self) -> Value {
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(|(id, g)| json!({"id": id, "contracts_limit_fp": g.limit, "is_auto_cancel_enabled": g.triggered}))
            .collect();
        json!({ "order_groups": groups })
    }

    /// Our orders as V1 objects, optionally filtered, oldest first.
    pub fn orders_json(&self, status: Option<&str>, ticker: Option<&str>) -> Vec<Value> {
        let mut orders: Vec<&SimOrder> = self
            .orders
            .values()
            .filter(|o| status.is_none_or(|s| o.status == s) && ticker.is_none_or(|t| o.ticker == t))
            .collect();
        orders.sort_by_key(|o| o.seq);
        orders.into_iter().map(order_json).collect()
    }

    /// One of our orders.
    pub fn order_json(&self, order_id: &str) -> Option<Value> {
        self.orders.get(order_id).map(order_json)
    }

    /// Our fills, oldest first.
    pub fn fills_json(&self) -> Vec<Value> {
        self.fills
            .iter()
            .map(|f| {
                let cid = self.orders.get(&f.order_id).map(|o| o.client_order_id.clone()).unwrap_or_default();
                fill_json(f, &cid, self.positions.get(&f.ticker).copied().unwrap_or(0))
            })
            .collect()
    }

    /// Our positions.
    pub fn positions_json(&self) -> Value {
        let market_positions = self
            .positions
            .iter()
            .map(|(t, c)| MarketPosition {
                ticker: t.clone(),
                position_fp: Some(SignedCount::saturating_from_centis(*c)),
                market_exposure_dollars: None,
                realized_pnl_dollars: None,
                fees_paid_dollars: None,
                total_traded_dollars: None,
                position: None,
                market_exposure: None,
                realized_pnl: None,
                fees_paid: None,
            })
            .collect();
        let page = PositionsPage { market_positions, event_positions: Vec::new(), cursor: String::new() };
        serde_json::to_value(page).expect("positions serialise")
    }

    /// Settles our position in `ticker` (of `event`) at `at`: each winning contract pays
    /// $1 into cash, the position is closed, and the settlement is listed by
    /// `GET /portfolio/settlements`. Nothing is listed when we held nothing.
    pub fn settle(&mut self, ticker: &str, event: &str, yes_wins: bool, at: chrono::DateTime<chrono::Utc>) {
        let Some(centis) = self.positions.remove(ticker).filter(|c| *c != 0) else { return };
        let held = Count::from_centis(centis.abs()).unwrap_or(Count::ZERO);
        let won = (centis > 0) == yes_wins;
        let revenue = if won { held.times(Price::ONE) } else { Money::ZERO };
        self.cash += revenue;
        let (yes, no) = if centis > 0 { (held, Count::ZERO) } else { (Count::ZERO, held) };
        self.settlements.push(serde_json::json!({
            "ticker": ticker,
            "event_ticker": event,
            "market_result": if yes_wins { "yes" } else { "no" },
            "yes_count_fp": yes.to_string(),
            "no_count_fp": no.to_string(),
            "revenue": revenue.units() / 1_000_000,
            "value_dollars": revenue.to_string(),
            "settled_time": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }));
    }

    /// The settlements made, newest first.
    pub fn settlements_json(&self) -> Value {
        let list: Vec<&Value> = self.settlements.iter().rev().collect();
        serde_json::json!({ "settlements": list, "cursor": "" })
    }

    /// Our cash.
    pub fn balance_json(&self) -> Value {
        let balance = Balance {
            balance: Some(self.cash.units() / 1_000_000),
            balance_dollars: Some(self.cash),
            portfolio_value: Some(0),
            updated_ts: Some(0),
        };
        serde_json::to_value(balance).expect("balance serialises")
    }
}

fn outcome(side: &BookSide) -> OutcomeSide {
    if *side == BookSide::Bid { OutcomeSide::Yes } else { OutcomeSide::No }
}

fn order_json(o: &SimOrder) -> Value {
    let order = Order {
        order_id: o.order_id.clone(),
        user_id: "sim-user".into(),
        client_order_id: o.client_order_id.clone(),
        ticker: o.ticker.clone(),
        side: Some(outcome(&o.side)),
        action: Some(Action::Buy),
        outcome_side: Some(outcome(&o.side)),
        book_side: Some(o.side.clone()),
        order_type: "limit".into(),
        status: OrderStatus::from(o.status),
        yes_price_dollars: Some(o.price),
        no_price_dollars: Some(o.price.complement()),
        fill_count_fp: Some(o.filled),
        remaining_count_fp: Some(o.remaining),
        initial_count_fp: Some(o.initial),
        taker_fill_cost_dollars: Some(o.taker_cost),
        maker_fill_cost_dollars: Some(o.maker_cost),
        taker_fees_dollars: Some(o.taker_fees),
        maker_fees_dollars: Some(o.maker_fees),
        expiration_time: None,
        created_time: chrono::DateTime::from_timestamp_millis(o.created_ms).map(|t| t.to_rfc3339()),
        self_trade_prevention_type: None,
        order_group_id: o.group.clone(),
        yes_price: None,
        fill_count: None,
        remaining_count: None,
        initial_count: None,
    };
    serde_json::to_value(order).expect("order serialises")
}

fn fill_json(f: &SimFill, client_order_id: &str, position_after: i64) -> Value {
    let fill = Fill {
        fill_id: format!("fill-{}", f.trade_id),
        trade_id: f.trade_id.clone(),
        order_id: f.order_id.clone(),
        client_order_id: client_order_id.to_string(),
        ticker: f.ticker.clone(),
        market_ticker: f.ticker.clone(),
        side: Some(outcome(&f.side)),
        action: Some(Action::Buy),
        outcome_side: Some(outcome(&f.side)),
        book_side: Some(f.side.clone()),
        count_fp: Some(f.count),
        yes_price_dollars: Some(f.price),
        no_price_dollars: Some(f.price.complement()),
        is_taker: f.taker,
        fee_cost: Some(f.fee),
        created_time: chrono::DateTime::from_timestamp_millis(f.ts_ms).map(|t| t.to_rfc3339()),
        ts_ms: Some(f.ts_ms),
        post_position_fp: Some(SignedCount::saturating_from_centis(position_after)),
        count: None,
        yes_price: None,
    };
    serde_json::to_value(fill).expect("fill serialises")
}
