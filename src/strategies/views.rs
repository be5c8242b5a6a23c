//! Operator views: an operator's own distribution for an event (`configs/views.toml`).
//!
//! ```toml
//! [events.KXHIGHNY-26NOV25]
//! resolution = 1.0          # settlement values are whole degrees
//! model = { distribution = "normal", mean = 52.5, std = 2.1 }
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::pricing::distribution::{Distribution, DistributionError};

/// `configs/views.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewsConfig {
    /// Views keyed by event ticker.
    #[serde(default)]
    pub events: BTreeMap<String, View>,
}

/// One event's view.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct View {
    /// The outcome distribution.
    pub model: Distribution,
    /// Grid the settlement value is published on (1 °F, 0.01 points); omit for continuous.
    #[serde(default)]
    pub resolution: Option<f64>,
    /// Free text for the report (where the view came from).
    #[serde(default)]
    pub note: Option<String>,
}

/// A view whose parameters make no sense.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ViewError {
    /// Bad distribution parameters.
    #[error("events.{event}.model: {source}")]
    Model {
        /// Event ticker.
        event: String,
        /// What is wrong.
        #[source]
        source: DistributionError,
    },
    /// A resolution that is not positive.
    #[error("events.{event}.resolution: must be a positive finite number, got {value}")]
    Resolution {
        /// Event ticker.
        event: String,
        /// Value given.
        value: f64,
    },
}

impl ViewsConfig {
    /// Checks every view's parameters.
    pub fn validate(&self) -> Result<(), ViewError> {
        for (event, view) in &self.events {
            view.model.validate().map_err(|source| ViewError::Model { event: event.clone(), source })?;
            if let Some(value) = view.resolution.filter(|r| !(r.is_finite() && *r > 0.0)) {
                return Err(ViewError::Resolution { event: event.clone(), value });
            }
        }
        Ok(())
    }
}
