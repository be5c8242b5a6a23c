//! Hot reload as a transaction. The policy and playbook directories are watched (editors
//! save by renaming a temporary file over the original, so directories, not files, are
//! watched); changes are debounced; the whole set is compiled and validated, its test cases
//! included; and only then swapped in atomically. On any failure the last good set stays
//! active. Every attempt is appended to the audit log with the changed file's SHA-256.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use notify::{EventKind, RecursiveMode, Watcher};
use serde::Serialize;
use thiserror::Error;

use crate::clock::Clock;
use crate::risk::ceilings::CoreCeilings;
use crate::rules::cases::load_checked;
use crate::rules::host::ScriptError;
use crate::rules::policy::{PolicyPaths, PolicySet, sha256_hex};

/// The active policy set and its version (1 for the set loaded at start).
#[derive(Debug)]
pub struct Active {
    /// Increases by one on each accepted reload.
    pub version: u64,
    /// The set.
    pub set: PolicySet,
}

/// The outcome of one reload attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The new set is active.
    Accepted {
        /// Files that changed.
        files: Vec<PathBuf>,
        /// The new version.
        version: u64,
        /// SHA-256 of the (first) changed file.
        sha256: String,
        /// From the first change seen to the swap, debounce included.
        elapsed: Duration,
    },
    /// The set was rejected; the previous one stays.
    Rejected {
        /// Files that changed.
        files: Vec<PathBuf>,
        /// The first problem.
        error: ScriptError,
        /// The version still active.
        keeping: u64,
        /// From the first change seen to the decision.
        elapsed: Duration,
    },
}

impl std::fmt::Display for Attempt {
    /// `accepted FILE v<N> sha256=<hex> in <ms> ms` or
    /// `rejected FILE:LINE:COL: message (keeping v<N>)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Attempt::Accepted { files, version, sha256, elapsed } => {
                write!(f, "accepted {} v{version} sha256={sha256} in {} ms", join(files), elapsed.as_millis())
            }
            Attempt::Rejected { error, keeping, .. } => write!(f, "rejected {error} (keeping v{keeping})"),
        }
    }
}

fn join(files: &[PathBuf]) -> String {
    files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(",")
}

/// One line of `policy_reloads.jsonl`.
#[derive(Debug, Serialize)]
struct AuditLine<'a> {
    time: String,
    file: String,
    sha256: Option<String>,
    accepted: bool,
    version: u64,
    set_sha256: Option<&'a str>,
    error: Option<String>,
}

/// Why watching could not start or continue.
#[derive(Debug, Error)]
pub enum WatchError {
    /// The file watcher failed.
    #[error("cannot watch {path}: {source}")]
    Notify {
        /// Directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: notify::Error,
    },
    /// The audit log could not be written.
    #[error("{path}: cannot append audit line: {source}")]
    Audit {
        /// Audit file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Holds the active set and performs reloads.
pub struct Reloader {
    paths: PolicyPaths,
    core: CoreCeilings,
    active: Arc<ArcSwap<Active>>,
    audit: PathBuf,
}

impl Reloader {
    /// Loads the set (it must be valid to start) as version 1.
    pub fn start(paths: PolicyPaths, core: CoreCeilings, audit: PathBuf) -> Result<Reloader, Vec<ScriptError>> {
        let set = load_checked(&paths, &core)?;
        let active = Arc::new(ArcSwap::from_pointee(Active { version: 1, set }));
        Ok(Reloader { paths, core, active, audit })
    }

    /// The active set; readers keep the version they took for as long as they hold it.
    pub fn active(&self) -> Arc<Active> {
        self.active.load_full()
    }

    /// A handle other threads can read the active set from.
    pub fn handle(&self) -> Arc<ArcSwap<Active>> {
        Arc::clone(&self.active)
    }

    /// Reloads the whole set after `files` changed: compile, validate, run the cases, then
    /// swap, or keep the current set. Audits the attempt.
    pub fn reload(&self, files: &[PathBuf], started: Instant, clock: &dyn Clock) -> Result<Attempt, WatchError> {
        let current = self.active.load();
        // Whatever happens while loading — even a bug that panics — the running set stays.
        let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| load_checked(&self.paths, &self.core)))
            .unwrap_or_else(|panic| {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_string());
                Err(vec![ScriptError {
                    file: self.paths.policies.clone(),
                    line: None,
                    column: None,
                    message: format!("internal error while loading the set (kept the running one): {what}"),
                }])
            });
        let attempt = match loaded {
            Ok(set) => {
                let version = current.version + 1;
                let sha256 = files.first().and_then(|f| file_sha(f)).unwrap_or_default();
                let digest = set.digest().to_string();
                self.active.store(Arc::new(Active { version, set }));
                let attempt = Attempt::Accepted { files: files.to_vec(), version, sha256, elapsed: started.elapsed() };
                self.audit_attempt(&attempt, Some(&digest), clock)?;
                attempt
            }
            Err(errors) => {
                let error = errors.into_iter().next().expect("a rejected set has a problem");
                let attempt = Attempt::Rejected {
                    files: files.to_vec(),
                    error,
                    keeping: current.version,
                    elapsed: started.elapsed(),
                };
                self.audit_attempt(&attempt, None, clock)?;
                attempt
            }
        };
        Ok(attempt)
    }

    fn audit_attempt(&self, attempt: &Attempt, set_sha256: Option<&str>, clock: &dyn Clock) -> Result<(), WatchError> {
        let time = clock.now().to_rfc3339();
        let (files, accepted, version, error) = match attempt {
            Attempt::Accepted { files, version, .. } => (files, true, *version, None),
            Attempt::Rejected { files, error, keeping, .. } => (files, false, *keeping, Some(error.to_string())),
        };
        for file in files {
            let line = AuditLine {
                time: time.clone(),
                file: file.display().to_string(),
                sha256: file_sha(file),
                accepted,
                version,
                set_sha256,
                error: error.clone(),
            };
            crate::storage::append_jsonl(&self.audit, &line)
                .map_err(|source| WatchError::Audit { path: self.audit.clone(), source })?;
        }
        Ok(())
    }

    /// Watches the directories and reloads on change until `stop` is set, calling `on_ready`
    /// once the watches are in place and `on_attempt` after each attempt. Changes closer
    /// together than `debounce` are one attempt.
    pub fn watch(
        &self,
        debounce: Duration,
        stop: &AtomicBool,
        clock: &dyn Clock,
        on_ready: impl FnOnce(),
        mut on_attempt: impl FnMut(&Attempt),
    ) -> Result<(), WatchError> {
        let (tx, rx) = channel();
        let mut watcher = notify::recommended_watcher(move |event| {
            let _ = tx.send(event);
        })
        .map_err(|source| WatchError::Notify { path: self.paths.policies.clone(), source })?;
        let mut dirs = vec![(self.paths.policies.clone(), RecursiveMode::Recursive)];
        // A project without playbooks has no scripts/ to watch.
        dirs.extend(self.paths.scripts.iter().filter(|s| s.is_dir()).map(|s| (s.clone(), RecursiveMode::NonRecursive)));
        for (dir, mode) in &dirs {
            watcher.watch(dir, *mode).map_err(|source| WatchError::Notify { path: dir.clone(), source })?;
        }
        let roots: Vec<(PathBuf, PathBuf)> =
            dirs.iter().map(|(d, _)| (d.canonicalize().unwrap_or_else(|_| d.clone()), d.clone())).collect();
        let relevant = |event: notify::Result<notify::Event>| -> Vec<PathBuf> {
            match event {
                Ok(e) if matches!(e.kind, EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)) => {
                    e.paths.into_iter().filter(|p| is_policy_file(p)).map(|p| display_path(&p, &roots)).collect()
                }
                _ => Vec::new(),
            }
        };
        on_ready();
        while !stop.load(Ordering::Relaxed) {
            let first = match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(event) => relevant(event),
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
            };
            if first.is_empty() {
                continue;
            }
            let started = Instant::now();
            let mut changed = first;
            loop {
                match rx.recv_timeout(debounce) {
                    Ok(event) => changed.extend(relevant(event)),
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return Ok(()),
                }
            }
            changed.sort();
            changed.dedup();
            let attempt = self.reload(&changed, started, clock)?;
            on_attempt(&attempt);
        }
        Ok(())
    }
}

/// Script and case files; editors' temporary and backup files are not.
fn is_policy_file(path: &Path) -> bool {
    let hidden = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
    !hidden && path.extension().is_some_and(|e| e == "rhai" || e == "toml")
}

/// The path as the operator named the directory (`policies/pilot.rhai`), not absolute.
fn display_path(path: &Path, roots: &[(PathBuf, PathBuf)]) -> PathBuf {
    roots
        .iter()
        .find_map(|(canonical, given)| path.strip_prefix(canonical).ok().map(|rest| given.join(rest)))
        .unwrap_or_else(|| path.to_path_buf())
}

fn file_sha(path: &Path) -> Option<String> {
    std::fs::read(path).ok().map(|bytes| sha256_hex(&bytes))
}
