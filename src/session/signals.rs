//! SIGINT and SIGTERM as a flag: long-running commands (playbooks, the daemon) poll it
//! between steps and in their waits, finish the current step, cancel resting orders and
//! write their records.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A flag that becomes true at the first SIGINT or SIGTERM. A second signal exits at once.
pub fn stop_on_signal() -> Arc<AtomicBool> {
    stop_on_signal_then(|| {})
}

/// As [`stop_on_signal`], calling `notify` once the flag is set (to wake a waiting loop).
pub fn stop_on_signal_then(notify: impl Fn() + Send + 'static) -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = Arc::clone(&flag);
    std::thread::spawn(move || {
        let Ok(runtime) = crate::kalshi::runtime::current_thread() else {
            tracing::warn!(target: "signals", "cannot watch for signals; stop with SIGKILL");
            return;
        };
        runtime.block_on(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
                tracing::warn!(target: "signals", "cannot watch for signals; stop with SIGKILL");
                return;
            };
            for round in 0..2 {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
                if round == 0 {
                    eprintln!(
                        "stopping: finishing the current step, cancelling resting orders (signal again to exit now)"
                    );
                    set.store(true, Ordering::Relaxed);
                    notify();
                } else {
                    std::process::exit(130);
                }
            }
        });
    });
    flag
}
