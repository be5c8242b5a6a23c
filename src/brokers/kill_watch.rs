//! The kill-switch watcher: its own thread and runtime, looking at the kill switch file every
//! `kill_poll_ms`. When the file appears it sends cancel-all (V2) at once, triggers the
//! session's order group, sets the trading state to HALTED and audits the engage → cancel-all
//! latency. It fires once per engagement; after `kill reset` it watches for the next one.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;

use crate::brokers::controls::{CancelAllMark, KillSwitch, StateStore};
use crate::kalshi::rest::RestClient;
use crate::safety::state::{Changer, TradingState};

/// What the watcher needs.
#[derive(Debug)]
pub struct WatchSetup {
    /// The switch.
    pub kill: KillSwitch,
    /// The trading state.
    pub state: StateStore,
    /// Where the cancel-all time goes.
    pub mark: CancelAllMark,
    /// A client of its own (connections belong to the runtime that opened them).
    pub rest: RestClient,
    /// The session's order group.
    pub group: Option<String>,
    /// How often to look.
    pub poll: Duration,
    /// The live audit log.
    pub audit: PathBuf,
}

/// A running watcher.
#[derive(Debug)]
pub struct KillWatch {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

#[derive(Serialize)]
struct Fired<'a> {
    ts: chrono::DateTime<chrono::Utc>,
    event: &'static str,
    reason: &'a str,
    by: Changer,
    /// Engage (the file's record) → cancel-all request sent, ms.
    engage_to_cancel_all_ms: i64,
    cancel_all: String,
    order_group: Option<String>,
}

impl KillWatch {
    /// Starts watching: builds the watcher's runtime, spawns its thread and waits for its
    /// first look at the switch. Any of these failing is an error — a live session without a
    /// watcher is refused, never run unwatched.
    pub fn start(setup: WatchSetup) -> Result<KillWatch, String> {
        let runtime = crate::kalshi::runtime::current_thread()
            .map_err(|e| format!("the kill-switch watcher has no runtime: {e}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let (ready, started) = std::sync::mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("kill-watch".into())
            .spawn(move || watch(setup, &runtime, &flag, &ready))
            .map_err(|e| format!("cannot start the kill-switch watcher thread: {e}"))?;
        match started.recv_timeout(Duration::from_secs(5)) {
            Ok(()) => Ok(KillWatch { stop, handle: Some(handle) }),
            Err(e) => {
                stop.store(true, Ordering::Relaxed);
                Err(format!("the kill-switch watcher did not start: {e}"))
            }
        }
    }

    /// Stops watching.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for KillWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Cancel-all, retried (the client already retries 429 and 5xx a few times) until the venue
/// accepts it or ten rounds have failed: a kill switch does not give up after one error.
pub async fn cancel_all_until_sent(rest: &RestClient) -> Result<(), crate::kalshi::rest::RestError> {
    let mut last = Ok(());
    for round in 0..10u32 {
        last = rest.cancel_all().await;
        if last.is_ok() {
            return last;
        }
        tracing::warn!(target: "live", "cancel-all round {round} failed; retrying");
        tokio::time::sleep(Duration::from_millis(50 * u64::from(round + 1))).await;
    }
    last
}

fn watch(setup: WatchSetup, runtime: &tokio::runtime::Runtime, stop: &AtomicBool, ready: &std::sync::mpsc::Sender<()>) {
    let mut first = true;
    let mut fired = false;
    while !stop.load(Ordering::Relaxed) {
        let engaged = setup.kill.engaged();
        if std::mem::take(&mut first) {
            // The switch has been looked at once: the session may start.
            let _ = ready.send(());
        }
        match engaged {
            Some(record) if !fired => {
                fired = true;
                let cancel = runtime.block_on(cancel_all_until_sent(&setup.rest));
                let sent_ms = chrono::Utc::now().timestamp_millis();
                if let Err(e) = setup.mark.record(sent_ms) {
                    // Unwritten, the mark would let orders out inside the venue's quiet minute.
                    tracing::error!(target: "live", "kill switch: cannot record the cancel-all time: {e}");
                }
                let group = setup.group.as_ref().map(|g| match runtime.block_on(setup.rest.trigger_order_group(g)) {
                    Ok(()) => format!("{g}: triggered"),
                    Err(e) => format!("{g}: {e}"),
                });
                let now = chrono::Utc::now();
                if let Err(e) = setup.state.request(TradingState::Halted, Changer::KillSwitch, &record.reason, now) {
                    tracing::error!(target: "live", "kill switch: cannot set HALTED: {e}");
                }
                let line = Fired {
                    ts: now,
                    event: "kill_cancel_all",
                    reason: &record.reason,
                    by: record.by,
                    engage_to_cancel_all_ms: sent_ms - record.at_ms,
                    cancel_all: cancel.map_or_else(|e| e.to_string(), |()| "sent".into()),
                    order_group: group,
                };
                if let Err(e) = crate::storage::append_jsonl(&setup.audit, &line) {
                    tracing::error!(target: "live", "kill switch: cannot audit: {e}");
                }
                tracing::warn!(target: "live", "kill switch engaged ({}): cancel-all sent", record.reason);
            }
            None => fired = false,
            Some(_) => {}
        }
        std::thread::sleep(setup.poll);
    }
}
