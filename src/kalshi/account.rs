//! `GET /account/limits` (the account's token buckets) and `GET /account/endpoint_costs`
//! (endpoints whose token cost differs from the default), and the rate limits they add up to.

use serde::{Deserialize, Serialize};

use crate::rate::RateLimits;

/// One token bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct BucketLimit {
    /// Tokens the bucket holds.
    pub bucket_capacity: u64,
    /// Tokens added per second.
    pub refill_rate: u64,
}

/// `GET /account/limits`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct AccountLimits {
    /// `basic`, `advanced`, `expert`, …
    pub usage_tier: String,
    /// Read bucket.
    pub read: BucketLimit,
    /// Write bucket.
    pub write: BucketLimit,
}

/// One endpoint with a non-default cost.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct EndpointCost {
    /// HTTP method.
    pub method: String,
    /// Route, with `:param` placeholders.
    pub path: String,
    /// Tokens.
    pub cost: u64,
}

/// `GET /account/endpoint_costs`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct EndpointCosts {
    /// Cost of endpoints not listed.
    pub default_cost: u64,
    /// The exceptions.
    #[serde(default)]
    pub endpoint_costs: Vec<EndpointCost>,
}

impl EndpointCosts {
    /// The cost of `method path` (`path` with `:param` placeholders, prefix optional).
    pub fn cost_of(&self, method: &str, path: &str) -> u64 {
        let bare = |p: &str| p.trim_start_matches("/trade-api/v2").trim_end_matches('/').to_string();
        let wanted = bare(path);
        self.endpoint_costs
            .iter()
            .find(|c| c.method.eq_ignore_ascii_case(method) && bare(&c.path) == wanted)
            .map_or(self.default_cost, |c| c.cost)
    }
}

/// The buckets and the costs this project's requests draw: creates at their listed cost, V2
/// cancels at theirs.
pub fn rate_limits(limits: &AccountLimits, costs: &EndpointCosts) -> RateLimits {
    RateLimits {
        read_capacity: limits.read.bucket_capacity,
        read_refill: limits.read.refill_rate,
        write_capacity: limits.write.bucket_capacity,
        write_refill: limits.write.refill_rate,
        default_cost: costs.cost_of("POST", "/portfolio/events/orders"),
        cancel_cost: costs.cost_of("DELETE", "/portfolio/events/orders/:order_id"),
        source: format!("account ({})", limits.usage_tier),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_shapes_give_the_basic_figures() {
        let limits: AccountLimits = serde_json::from_str(
            r#"{"usage_tier":"basic","read":{"bucket_capacity":200,"refill_rate":200},"write":{"bucket_capacity":100,"refill_rate":100},"grants":[]}"#,
        )
        .unwrap();
        let costs: EndpointCosts = serde_json::from_str(
            r#"{"default_cost":10,"endpoint_costs":[{"method":"DELETE","path":"/trade-api/v2/portfolio/events/orders/:order_id","cost":2},{"method":"POST","path":"/portfolio/orders","cost":20}]}"#,
        )
        .unwrap();
        let r = rate_limits(&limits, &costs);
        assert_eq!((r.write_capacity, r.write_refill, r.default_cost, r.cancel_cost), (100, 100, 10, 2));
        assert_eq!(costs.cost_of("POST", "/portfolio/orders"), 20);
    }
}
