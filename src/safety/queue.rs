//! The cancel/replace queue, pure: bounded, first-in first-out per market, markets served in
//! turn, each request sent only when the write bucket holds its cost. A request that does not
//! fit is handed back as dropped, for the caller to audit (`queue_drop`) — never lost silently.
//! Cancels jump ahead of creates in their market: reducing risk never waits behind adding it.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use crate::model::{Count, Price};
use crate::rate::{RateLimits, TokenBucket};

/// One request waiting to go out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum QueuedRequest {
    /// Cancel an order.
    Cancel {
        /// Our id.
        client_order_id: String,
        /// Market.
        ticker: String,
    },
    /// Shrink a resting order at the same price (keeps its place in the queue).
    Decrease {
        /// Our id.
        client_order_id: String,
        /// Market.
        ticker: String,
        /// Contracts to leave resting.
        remaining: Count,
    },
    /// Send a new order (the second half of cancel-then-create, or a plain create).
    Create {
        /// Our id.
        client_order_id: String,
        /// Market.
        ticker: String,
        /// Price.
        price: Price,
        /// Contracts.
        count: Count,
    },
}

impl QueuedRequest {
    /// The market it is about.
    pub fn ticker(&self) -> &str {
        match self {
            QueuedRequest::Cancel { ticker, .. }
            | QueuedRequest::Decrease { ticker, .. }
            | QueuedRequest::Create { ticker, .. } => ticker,
        }
    }

    /// Our order id it is about.
    pub fn client_order_id(&self) -> &str {
        match self {
            QueuedRequest::Cancel { client_order_id, .. }
            | QueuedRequest::Decrease { client_order_id, .. }
            | QueuedRequest::Create { client_order_id, .. } => client_order_id,
        }
    }

    fn is_cancel(&self) -> bool {
        matches!(self, QueuedRequest::Cancel { .. })
    }

    /// Its cost in write tokens.
    pub fn cost(&self, limits: &RateLimits) -> u64 {
        if self.is_cancel() { limits.cancel_cost } else { limits.default_cost }
    }
}

/// Bounded FIFO-per-market queue with a write token bucket.
#[derive(Debug, Clone)]
pub struct RequestQueue {
    capacity: usize,
    len: usize,
    markets: BTreeMap<String, VecDeque<QueuedRequest>>,
    turn: VecDeque<String>,
    bucket: TokenBucket,
    limits: RateLimits,
    evicted: Vec<QueuedRequest>,
}

impl RequestQueue {
    /// An empty queue holding at most `capacity` requests, throttled by `limits`.
    pub fn new(capacity: usize, limits: RateLimits, now_ms: i64) -> RequestQueue {
        RequestQueue {
            capacity,
            len: 0,
            markets: BTreeMap::new(),
            turn: VecDeque::new(),
            bucket: TokenBucket::new(limits.write_capacity, limits.write_refill, now_ms),
            limits,
            evicted: Vec::new(),
        }
    }

    /// Requests waiting.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Nothing waiting.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Queues a request; a full queue hands it back (the caller audits the drop). Cancels go
    /// ahead of their market's creates and are never dropped: when full, the newest create
    /// anywhere is dropped to make room.
    pub fn push(&mut self, request: QueuedRequest) -> Result<(), QueuedRequest> {
        if self.len >= self.capacity {
            if !request.is_cancel() {
                return Err(request);
            }
            if self.evict_newest_create().is_none() {
                return Err(request);
            }
        }
        let ticker = request.ticker().to_string();
        let queue = self.markets.entry(ticker.clone()).or_default();
        if queue.is_empty() {
            self.turn.push_back(ticker);
        }
        if request.is_cancel() {
            let at = queue.iter().position(|r| !r.is_cancel()).unwrap_or(queue.len());
            queue.insert(at, request);
        } else {
            queue.push_back(request);
        }
        self.len += 1;
        Ok(())
    }

    /// Evicts the newest create to make room for a cancel; the caller audits it via
    /// [`RequestQueue::take_evicted`].
    fn evict_newest_create(&mut self) -> Option<()> {
        let ticker = self.turn.iter().rev().find(|t| self.markets[*t].iter().any(|r| !r.is_cancel()))?.clone();
        let queue = self.markets.get_mut(&ticker)?;
        let at = queue.iter().rposition(|r| !r.is_cancel())?;
        let evicted = queue.remove(at)?;
        self.len -= 1;
        if queue.is_empty() {
            self.markets.remove(&ticker);
            self.turn.retain(|t| *t != ticker);
        }
        self.evicted.push(evicted);
        Some(())
    }

    /// Takes every queued create out (cancels and decreases stay), oldest first: the kill
    /// switch or a halt leaves nothing that adds risk waiting to go out.
    pub fn purge_creates(&mut self) -> Vec<QueuedRequest> {
        let mut purged = Vec::new();
        for queue in self.markets.values_mut() {
            let (creates, rest): (VecDeque<_>, VecDeque<_>) =
                std::mem::take(queue).into_iter().partition(|r| matches!(r, QueuedRequest::Create { .. }));
            *queue = rest;
            purged.extend(creates);
        }
        self.len -= purged.len();
        self.markets.retain(|_, q| !q.is_empty());
        let markets = &self.markets;
        self.turn.retain(|t| markets.contains_key(t));
        purged
    }

    /// Requests evicted by cancels since the last call (to audit as dropped).
    pub fn take_evicted(&mut self) -> Vec<QueuedRequest> {
        std::mem::take(&mut self.evicted)
    }

    /// The next request whose cost the bucket holds now, markets in turn; otherwise how many
    /// ms until the head request's cost is there (`None` when empty).
    pub fn next(&mut self, now_ms: i64) -> Result<QueuedRequest, Option<u64>> {
        let ticker = self.turn.front().cloned().ok_or(None)?;
        let queue = self.markets.get_mut(&ticker).ok_or(None)?;
        let cost = queue.front().map(|r| r.cost(&self.limits)).ok_or(None)?;
        self.bucket.take(cost, now_ms).map_err(Some)?;
        let request = queue.pop_front().ok_or(None)?;
        self.len -= 1;
        self.turn.pop_front();
        if queue.is_empty() {
            self.markets.remove(&ticker);
        } else {
            self.turn.push_back(ticker);
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(id: &str, ticker: &str) -> QueuedRequest {
        QueuedRequest::Create {
            client_order_id: id.into(),
            ticker: ticker.into(),
            price: Price::from_cents(40).unwrap(),
            count: Count::from_whole(1).unwrap(),
        }
    }

    fn cancel(id: &str, ticker: &str) -> QueuedRequest {
        QueuedRequest::Cancel { client_order_id: id.into(), ticker: ticker.into() }
    }

    #[test]
    fn fifo_per_market_cancels_first_bounded_and_throttled() {
        let mut q = RequestQueue::new(3, RateLimits::basic(), 0);
        q.push(create("a1", "A")).unwrap();
        q.push(create("a2", "A")).unwrap();
        q.push(create("b1", "B")).unwrap();
        assert_eq!(q.push(create("b2", "B")), Err(create("b2", "B")), "full: creates are handed back");
        // A cancel still gets in: the newest create goes instead (and is reported).
        q.push(cancel("a0", "A")).unwrap();
        assert_eq!(q.take_evicted(), [create("b1", "B")]);
        let order: Vec<String> =
            std::iter::from_fn(|| q.next(0).ok()).map(|r| r.client_order_id().to_string()).collect();
        assert_eq!(order, ["a0", "a1", "a2"]);
        assert!(q.is_empty());
        // Basic: 100 write tokens, creates cost 10: the eleventh create in one instant waits 100 ms.
        let mut q = RequestQueue::new(100, RateLimits::basic(), 0);
        for i in 0..11 {
            q.push(create(&format!("c{i}"), if i % 2 == 0 { "A" } else { "B" })).unwrap();
        }
        let sent = std::iter::from_fn(|| q.next(0).ok()).count();
        assert_eq!(sent, 10);
        assert_eq!(q.next(0), Err(Some(100)));
        assert!(q.next(100).is_ok());
    }

    #[test]
    fn purging_takes_every_create_and_keeps_cancels() {
        let mut q = RequestQueue::new(10, RateLimits::basic(), 0);
        q.push(create("c1", "A")).unwrap();
        q.push(QueuedRequest::Cancel { client_order_id: "x".into(), ticker: "A".into() }).unwrap();
        q.push(create("c2", "B")).unwrap();
        let purged: Vec<String> = q.purge_creates().iter().map(|r| r.client_order_id().to_string()).collect();
        assert_eq!(purged.len(), 2);
        assert!(purged.contains(&"c1".to_string()) && purged.contains(&"c2".to_string()));
        assert_eq!(q.len(), 1);
        assert!(matches!(q.next(0), Ok(QueuedRequest::Cancel { .. })));
        assert!(q.is_empty());
    }
}
