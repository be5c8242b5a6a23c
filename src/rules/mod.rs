//! The Rhai rules engine: the hardened host now; policy kinds, hot reload and playbooks next.
//! May read script files; never touches the network.

pub mod host;
