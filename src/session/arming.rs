//! Arming's last condition, on the live books: the session beats its heartbeat, plans every
//! series the feed follows and needs GO for each that can trade; then everything the live
//! broker needs is assembled. The earlier conditions (flags, credentials, kill switch, CI,
//! ceiling, clock) are `safety::arming`'s, checked before the feed starts.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::brokers::live::LiveSetup;
use crate::feed::market::MarketFeed;
use crate::kalshi::rest::{RestClient, RestConfig};
use crate::kalshi::signing::Signer;
use crate::model::Money;
use crate::risk::gate::GateInputs;
use crate::safety::config::LiveConfig;
use crate::session::heartbeat::{Heartbeat, HeartbeatFile};
use crate::session::playbook::PlaybookRequest;
use crate::session::{Inputs, SessionError, load_policies, plan_session};

/// What the gate on the live books decided.
#[derive(Debug)]
pub enum LiveGate {
    /// Every series that can trade is GO: the live broker's setup.
    Go(Box<LiveSetup>),
    /// A series that can trade is NO-GO (`series: reasons` each).
    NoGo(Vec<String>),
}

/// The outcome of the gate, and the series that cannot trade (no event priced: no view, and no
/// fetched strategy data online), said rather than gated.
#[derive(Debug)]
pub struct LiveArming {
    /// GO with the setup, or NO-GO with why.
    pub gate: LiveGate,
    /// `series (N event(s) skipped)` for each series that cannot trade.
    pub not_priced: Vec<String>,
    /// The heartbeat could not be written (the gate then sees it as unknown: NO-GO).
    pub heartbeat_error: Option<String>,
}

/// How a live session treats series that pilot readiness does not call READY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadinessRule {
    /// Refuse them (NO-GO `NOT_READY`).
    Require,
    /// Trade them anyway, for this reason (audited to `data/proc/audit/readiness_overrides.jsonl`).
    Override(String),
}

/// The audit line of a readiness override.
#[derive(serde::Serialize)]
struct OverrideAudit<'a> {
    ts: DateTime<Utc>,
    series: &'a str,
    not_ready: &'a str,
    reason: &'a str,
}

/// Runs the gate on the live books for an armed session and, when GO, builds its setup.
/// Every series must also be READY in `reports/_artifacts/pilot_ready.json` unless the
/// operator overrides it.
#[allow(clippy::too_many_arguments)]
pub fn gate_live_session(
    req: &PlaybookRequest,
    policies_dir: &Path,
    base_url: &str,
    signer: Signer,
    ceiling: Money,
    feed: &MarketFeed,
    readiness: &ReadinessRule,
    now: DateTime<Utc>,
) -> Result<LiveArming, SessionError> {
    let mut inputs = Inputs::configs_only(&req.configs, req.params)?.with_strategies(
        &req.configs,
        &req.out_root,
        &req.fixtures,
        now,
        true,
    )?;
    inputs.series = feed.snapshots(&inputs.config.fees)?;
    let policies = load_policies(policies_dir, &inputs.config)?;
    // This session is the runtime now: it beats first, then the gate reads the file back. A
    // beat that cannot be written or read is unknown, and unknown is NO-GO.
    let heartbeat = HeartbeatFile::under(&req.out_root);
    let beat = Heartbeat::new(now, feed.source(), "live", 0, policies.digest());
    let heartbeat_error = heartbeat.write(&beat).err().map(|e| format!("{}: {e}", heartbeat.path().display()));
    let mut gate = GateInputs {
        kill_switch: req.kill_switch.is_engaged(),
        heartbeat_age_secs: heartbeat.age_secs(now),
        ..feed.gate_inputs()
    };
    gate.monitors.extend(crate::evidence::monitors::cusum_monitors(&req.out_root));
    let plans = plan_session(&inputs, &policies, &gate, Default::default(), now)?;
    let not_priced = plans
        .iter()
        .filter(|p| p.scans.is_empty())
        .map(|p| format!("{} ({} event(s) skipped)", p.series, p.skipped.len()))
        .collect();
    let mut no_go: Vec<String> = plans
        .iter()
        .filter(|p| !p.gate.go && !p.scans.is_empty())
        .map(|p| format!("{}: {}", p.series, p.gate.reasons.join("; ")))
        .collect();
    for plan in plans.iter().filter(|p| p.gate.go && !p.scans.is_empty()) {
        let Some(why) = crate::evidence::monitors::not_ready(&req.out_root, &plan.series, now) else { continue };
        match readiness {
            ReadinessRule::Require => no_go.push(format!("{}: NOT_READY: {why}", plan.series)),
            ReadinessRule::Override(reason) => {
                let audit = req.out_root.join("data/proc/audit/readiness_overrides.jsonl");
                let line = OverrideAudit { ts: now, series: &plan.series, not_ready: &why, reason };
                crate::storage::append_jsonl(&audit, &line)
                    .map_err(|source| SessionError::Write { path: audit.clone(), source })?;
            }
        }
    }
    if !no_go.is_empty() {
        return Ok(LiveArming { gate: LiveGate::NoGo(no_go), not_priced, heartbeat_error });
    }
    let rest = RestClient::new(RestConfig { base_url: base_url.to_string(), ..Default::default() }, Some(signer))?;
    let config: LiveConfig =
        crate::decode::read_toml(&req.configs.join("live.toml")).map_err(crate::config::ConfigError::from)?;
    let setup = LiveSetup {
        rest,
        out_root: req.out_root.clone(),
        kill_switch: req.kill_switch.clone(),
        core: inputs.config.limits.clone(),
        config,
        session_ceiling: ceiling,
        armed: true,
        rounding: inputs.config.fees.rounding,
    };
    Ok(LiveArming { gate: LiveGate::Go(Box::new(setup)), not_priced, heartbeat_error })
}
