//! Token buckets, pure: the exchange's rate limits (capacity and refill per second, from
//! `GET /account/limits`) and request costs (`GET /account/endpoint_costs`), kept on our side
//! so requests wait instead of drawing 429s. Time is an argument (milliseconds).

use serde::{Deserialize, Serialize};

/// One bucket: `capacity` tokens, refilled at `refill_per_sec`.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenBucket {
    capacity: u64,
    refill_per_sec: u64,
    /// Tokens now, in thousandths (integer arithmetic, exact).
    milli_tokens: u64,
    last_ms: i64,
}

impl TokenBucket {
    /// A full bucket at `now_ms`.
    pub fn new(capacity: u64, refill_per_sec: u64, now_ms: i64) -> TokenBucket {
        TokenBucket { capacity, refill_per_sec, milli_tokens: capacity * 1000, last_ms: now_ms }
    }

    fn refill(&mut self, now_ms: i64) {
        let elapsed = u64::try_from(now_ms - self.last_ms).unwrap_or(0);
        if elapsed > 0 {
            let added = elapsed.saturating_mul(self.refill_per_sec);
            self.milli_tokens = (self.milli_tokens.saturating_add(added)).min(self.capacity * 1000);
            self.last_ms = now_ms;
        }
    }

    /// Takes `cost` tokens if they are there; otherwise returns how many ms until they are.
    pub fn take(&mut self, cost: u64, now_ms: i64) -> Result<(), u64> {
        self.refill(now_ms);
        let need = cost.min(self.capacity) * 1000;
        if self.milli_tokens >= need {
            self.milli_tokens -= need;
            Ok(())
        } else if self.refill_per_sec == 0 {
            Err(u64::MAX)
        } else {
            Err((need - self.milli_tokens).div_ceil(self.refill_per_sec))
        }
    }
}

/// The account's buckets and the cost of each endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimits {
    /// Read bucket capacity (tokens).
    pub read_capacity: u64,
    /// Read refill (tokens per second).
    pub read_refill: u64,
    /// Write bucket capacity (tokens).
    pub write_capacity: u64,
    /// Write refill (tokens per second).
    pub write_refill: u64,
    /// Cost of a request not listed.
    pub default_cost: u64,
    /// Cost of a V2 cancel (one order or a batch).
    pub cancel_cost: u64,
    /// Where the figures came from: `account` or `basic (offline)`.
    pub source: String,
}

impl RateLimits {
    /// The Basic tier's published figures (read 200/200, write 100/100, default cost 10,
    /// V2 cancel 2): what offline runs and a failed lookup use.
    pub fn basic() -> RateLimits {
        RateLimits {
            read_capacity: 200,
            read_refill: 200,
            write_capacity: 100,
            write_refill: 100,
            default_cost: 10,
            cancel_cost: 2,
            source: "basic (offline)".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_allows_ten_creates_a_second() {
        let l = RateLimits::basic();
        let mut write = TokenBucket::new(l.write_capacity, l.write_refill, 0);
        for _ in 0..10 {
            write.take(l.default_cost, 0).unwrap();
        }
        assert_eq!(write.take(l.default_cost, 0), Err(100));
        assert_eq!(write.take(l.default_cost, 99), Err(1));
        write.take(l.default_cost, 100).unwrap();
        // Cancels are cheap: fifty fit in the same second's refill.
        let mut w = TokenBucket::new(100, 100, 0);
        for _ in 0..50 {
            w.take(l.cancel_cost, 0).unwrap();
        }
    }
}
