//! One writer per data directory: live and paper sessions and the daemon take an exclusive
//! advisory lock (`flock`, through the standard library's `File::try_lock`) on
//! `data/proc/state/data_dir.lock` before they write anything. The kernel releases it when the
//! holder exits, however it exits (a crash or SIGKILL included), so no stale lock is ever
//! trusted or taken over by guessing from process ids. The file says who holds it; it is never
//! deleted (deleting a lock file lets two writers each lock a different file).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Where the lock lives under a data directory.
pub const LOCK_FILE: &str = "data/proc/state/data_dir.lock";

/// Why the lock was not taken.
#[derive(Debug, Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("{path}: the data directory is in use by {holder}; one writer at a time (stop it, or use another --out)")]
    Held {
        /// The lock file.
        path: PathBuf,
        /// What the file says about its holder.
        holder: String,
    },
    /// The lock file cannot be opened or locked.
    #[error("{path}: cannot lock the data directory: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DataDirLock {
    file: File,
    path: PathBuf,
}

impl DataDirLock {
    /// Takes the lock of `out_root` for `holder` (what the holder is, e.g. `daemon` or
    /// `playbook run paper_watch (paper)`), or says who has it.
    pub fn acquire(out_root: &Path, holder: &str) -> Result<DataDirLock, LockError> {
        let path = out_root.join(LOCK_FILE);
        let io = |source| LockError::Io { path: path.clone(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let holder = text.trim();
                let holder = if holder.is_empty() { "another process".to_string() } else { holder.to_string() };
                return Err(LockError::Held { path, holder });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let line = format!(
            "pid {} ({holder}) since {}\n",
            std::process::id(),
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        );
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(line.as_bytes()).map_err(io)?;
        Ok(DataDirLock { file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DataDirLock {
    fn drop(&mut self) {
        // Say nobody holds it, then let go (the kernel would at exit anyway).
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_with_the_holder_named_and_the_lock_frees_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::acquire(dir.path(), "daemon").unwrap();
        let err = DataDirLock::acquire(dir.path(), "playbook run x (paper)").unwrap_err().to_string();
        assert!(err.contains("in use by pid") && err.contains("(daemon)"), "{err}");
        drop(first);
        let again = DataDirLock::acquire(dir.path(), "scan (paper)").unwrap();
        assert!(std::fs::read_to_string(again.path()).unwrap().contains("scan (paper)"));
    }

    #[test]
    fn a_leftover_file_without_a_holder_is_not_a_lock() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data/proc/state")).unwrap();
        std::fs::write(dir.path().join(LOCK_FILE), "pid 999999999 (daemon) since 2026-01-01T00:00:00Z\n").unwrap();
        assert!(DataDirLock::acquire(dir.path(), "daemon").is_ok());
    }
}
