//! Orders the scanner proposes and the ceilings and brokers act on.

use serde::{Deserialize, Serialize};

use super::fixed::{Count, Money, Price};
use super::ladder::Side;

/// Who an order's fill is charged as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The order takes resting liquidity.
    Taker,
    /// The order rests (post-only) and is taken.
    Maker,
}

impl Role {
    /// `taker` or `maker`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Taker => "taker",
            Role::Maker => "maker",
        }
    }
}

/// A buy order the scanner would like to send, with the figures that justify it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    /// Series ticker.
    pub series: String,
    /// Event ticker.
    pub event: String,
    /// Market ticker (one rung of the ladder).
    pub ticker: String,
    /// Human label of the rung's strike.
    pub label: String,
    /// Contract bought.
    pub side: Side,
    /// Resting (maker, post-only) or crossing (taker).
    pub role: Role,
    /// Limit price of the contract bought, strictly inside (0, 1).
    pub price: Price,
    /// Contracts.
    pub count: Count,
    /// Model probability that the bought contract pays out.
    pub model_p: f64,
    /// Market-implied probability of the same.
    pub market_p: f64,
    /// Expected value per contract after fees (at this order's size).
    pub ev_per_contract: Money,
    /// Expected value of the whole order after fees.
    pub ev_order: Money,
    /// Fee of the whole order (screening rounding mode).
    pub fee: Money,
    /// Worst-case loss: everything paid, fee included, if the contract settles against us.
    pub max_loss: Money,
    /// Kelly fraction of bankroll for this bet, capped.
    pub kelly: f64,
}

/// Where a session's orders go: the one broker vocabulary of the command line, the schedule
/// and sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BrokerKind {
    /// Records intents to an audit log; nothing fills.
    Dry,
    /// Fills against the books seen, with a persisted ledger.
    Paper,
    /// Real orders at the exchange (armed sessions only).
    Live,
}

impl BrokerKind {
    /// `dry`, `paper` or `live`.
    pub fn as_str(self) -> &'static str {
        match self {
            BrokerKind::Dry => "dry",
            BrokerKind::Paper => "paper",
            BrokerKind::Live => "live",
        }
    }
}

impl std::str::FromStr for BrokerKind {
    type Err = String;

    fn from_str(text: &str) -> Result<BrokerKind, String> {
        match text {
            "dry" => Ok(BrokerKind::Dry),
            "paper" => Ok(BrokerKind::Paper),
            "live" => Ok(BrokerKind::Live),
            other => Err(format!("`{other}` is not a broker (dry, paper or live)")),
        }
    }
}

impl std::fmt::Display for BrokerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
