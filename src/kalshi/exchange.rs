//! Exchange status and trading schedule.

use serde::{Deserialize, Serialize};

/// `GET /exchange/status`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ExchangeStatus {
    /// The exchange is up.
    pub exchange_active: bool,
    /// Orders are accepted.
    pub trading_active: bool,
    /// When trading is expected back, if paused.
    #[serde(default)]
    pub exchange_estimated_resume_time: Option<String>,
}

/// `GET /exchange/schedule`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ScheduleResponse {
    /// The schedule.
    pub schedule: Schedule,
}

/// Weekly hours and maintenance.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Schedule {
    /// Standard hours, per validity period.
    #[serde(default)]
    pub standard_hours: Vec<WeeklySchedule>,
    /// Planned maintenance.
    #[serde(default)]
    pub maintenance_windows: Vec<MaintenanceWindow>,
}

/// Hours per weekday (ET) for one validity period.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct WeeklySchedule {
    /// Period start.
    pub start_time: String,
    /// Period end.
    pub end_time: String,
    /// Monday.
    #[serde(default)]
    pub monday: Vec<DailySession>,
    /// Tuesday.
    #[serde(default)]
    pub tuesday: Vec<DailySession>,
    /// Wednesday.
    #[serde(default)]
    pub wednesday: Vec<DailySession>,
    /// Thursday.
    #[serde(default)]
    pub thursday: Vec<DailySession>,
    /// Friday.
    #[serde(default)]
    pub friday: Vec<DailySession>,
    /// Saturday.
    #[serde(default)]
    pub saturday: Vec<DailySession>,
    /// Sunday.
    #[serde(default)]
    pub sunday: Vec<DailySession>,
}

/// One open session of a day (`HH:MM` ET).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct DailySession {
    /// Opens.
    pub open_time: String,
    /// Closes.
    pub close_time: String,
}

/// A maintenance window.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct MaintenanceWindow {
    /// Start (RFC 3339).
    pub start_datetime: String,
    /// End (RFC 3339).
    pub end_datetime: String,
}
