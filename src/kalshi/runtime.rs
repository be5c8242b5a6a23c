//! The one way this project builds an async runtime: current-thread, with I/O and timers.
//! Network work (REST, WebSocket, fetches, the status page, signals) runs on one of these per
//! thread that needs it; connections belong to the runtime that opened them.

/// A current-thread runtime with I/O and time enabled.
pub fn current_thread() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()
}
