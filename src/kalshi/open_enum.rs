//! String enums that never fail to decode: a value this build does not know becomes
//! `Unknown(text)` and prints back as it came. The exchange adds values without notice.

/// Defines a string enum with an `Unknown(String)` catch-all, `as_str`, `Display`, and
/// serde as the plain string.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this build does not know, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// The API's spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Unknown(text) => text,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)+
                    other => Self::Unknown(other.to_string()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from(text.as_ref()))
            }
        }
    };
}

pub(crate) use open_enum;

open_enum! {
    /// Which side of the single YES book an order or fill is on (V2).
    BookSide { /// Buy YES (≡ sell NO).
        Bid = "bid", /// Sell YES (≡ buy NO at 1 − price).
        Ask = "ask" }
}

open_enum! {
    /// The contract an order or fill is about.
    OutcomeSide { /// YES.
        Yes = "yes", /// NO.
        No = "no" }
}

open_enum! {
    /// V1 order action.
    Action { /// Buy.
        Buy = "buy", /// Sell.
        Sell = "sell" }
}

open_enum! {
    /// An order's state.
    OrderStatus { /// On the book.
        Resting = "resting", /// Cancelled.
        Canceled = "canceled", /// Fully filled.
        Executed = "executed", /// Accepted, not yet on the book.
        Pending = "pending" }
}

open_enum! {
    /// How long an order rests.
    TimeInForce { /// Until cancelled (or `expiration_time`).
        GoodTillCanceled = "good_till_canceled", /// Fill what crosses now, cancel the rest.
        ImmediateOrCancel = "immediate_or_cancel", /// All now or nothing.
        FillOrKill = "fill_or_kill" }
}

open_enum! {
    /// Which order gives way when two of one account would trade with each other.
    SelfTradePrevention { /// The incoming (taker) order is cancelled at the crossing price.
        TakerAtCross = "taker_at_cross", /// The resting (maker) order is cancelled.
        Maker = "maker" }
}

open_enum! {
    /// A market's lifecycle state.
    MarketStatus { /// Created, not yet open.
        Initialized = "initialized", /// Trading.
        Active = "active", /// Older spelling of active.
        Open = "open", /// Paused.
        Inactive = "inactive", /// No longer trading.
        Closed = "closed", /// Outcome known.
        Determined = "determined", /// Settled and paid.
        Finalized = "finalized", /// Older spelling of finalized.
        Settled = "settled" }
}

impl Default for MarketStatus {
    /// A response without a status: unknown, so not tradeable.
    fn default() -> MarketStatus {
        MarketStatus::Unknown(String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_survive_a_round_trip() {
        let known: BookSide = serde_json::from_str("\"bid\"").unwrap();
        assert_eq!(known, BookSide::Bid);
        let new: OrderStatus = serde_json::from_str("\"partially_paused\"").unwrap();
        assert_eq!(new, OrderStatus::Unknown("partially_paused".into()));
        assert_eq!(serde_json::to_string(&new).unwrap(), "\"partially_paused\"");
        assert_eq!(MarketStatus::from("active").to_string(), "active");
    }
}
