//! An operator's `kill engage`: latch the switch, halt trading and, when a venue is named,
//! send cancel-all now (for when no live session is running to do it), mark and audit it.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::brokers::controls::{CancelAllMark, ControlError, KillRecord, KillSwitch, StateStore};
use crate::brokers::kill_watch::cancel_all_until_sent;
use crate::kalshi::credentials::{SignerError, signer_from_env};
use crate::kalshi::rest::{RestClient, RestConfig, RestError};
use crate::safety::state::{Changer, TradingState};

/// What `kill engage` did.
#[derive(Debug)]
pub struct Engaged {
    /// The latched record (an earlier one, when the switch was already engaged).
    pub record: KillRecord,
    /// The switch's file.
    pub path: PathBuf,
    /// When the venue accepted cancel-all, when one was asked for.
    pub cancel_all_at: Option<DateTime<Utc>>,
}

/// Why `kill engage` could not finish. The switch is engaged in every case but the first.
#[derive(Debug, Error)]
pub enum EngageError {
    /// The switch, the trading state, the mark or the audit could not be written.
    #[error(transparent)]
    Control(#[from] ControlError),
    /// No credentials to sign cancel-all with.
    #[error("kill switch ENGAGED; no credentials for cancel-all: {0}")]
    Credentials(#[from] SignerError),
    /// No client for the venue (a bad URL).
    #[error("kill switch ENGAGED; no client for cancel-all: {0}")]
    Client(RestError),
    /// No runtime for the cancel-all request.
    #[error("kill switch ENGAGED; cannot start a runtime for cancel-all: {0}")]
    Runtime(std::io::Error),
    /// The venue did not accept cancel-all after every retry.
    #[error("kill switch ENGAGED; cancel-all at {url} failed: {source}")]
    CancelAll {
        /// The venue.
        url: String,
        /// Why.
        #[source]
        source: RestError,
    },
}

/// Engages `kill` (under the data directory `out`), halts trading and, given a venue's REST
/// base URL, sends cancel-all there (signed with the environment's credentials) until the
/// venue accepts it. The switch is engaged before anything can fail on the venue's side.
pub fn engage(
    out: &Path,
    kill: &KillSwitch,
    reason: &str,
    venue: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Engaged, EngageError> {
    let record = kill.engage(reason, Changer::Operator, now)?;
    StateStore::under(out).request(TradingState::Halted, Changer::KillSwitch, &record.reason, now)?;
    let mut engaged = Engaged { record, path: kill.path().to_path_buf(), cancel_all_at: None };
    let Some(url) = venue else { return Ok(engaged) };
    let config = RestConfig { base_url: url.to_string(), ..RestConfig::default() };
    let rest = RestClient::new(config, Some(signer_from_env()?)).map_err(EngageError::Client)?;
    let runtime = crate::kalshi::runtime::current_thread().map_err(EngageError::Runtime)?;
    runtime
        .block_on(cancel_all_until_sent(&rest))
        .map_err(|source| EngageError::CancelAll { url: url.to_string(), source })?;
    let sent = Utc::now();
    CancelAllMark::under(out).record(sent.timestamp_millis())?;
    kill.audit_line("kill_cancel_all", &engaged.record.reason, Changer::Operator, sent)?;
    engaged.cancel_all_at = Some(sent);
    Ok(engaged)
}
