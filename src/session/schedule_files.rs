//! Reading the schedule and its calendars from disk: `configs/schedule.toml`,
//! `configs/calendars/*.toml` and the playbook names under `scripts/`. Parsing and
//! validation are `schedule`'s; this module only reads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::schedule::{Calendar, Schedule, ScheduleError};

/// Where the schedule's files are.
#[derive(Debug, Clone)]
pub struct SchedulePaths {
    /// `configs/schedule.toml`.
    pub schedule: PathBuf,
    /// `configs/calendars/`.
    pub calendars: PathBuf,
    /// `scripts/` (the playbooks entries may name).
    pub scripts: PathBuf,
}

fn read(path: &Path) -> Result<String, ScheduleError> {
    std::fs::read_to_string(path).map_err(|e| ScheduleError {
        path: path.to_path_buf(),
        line: 1,
        message: format!("cannot read: {e}"),
    })
}

fn files(dir: &Path, extension: &str) -> Result<Vec<PathBuf>, ScheduleError> {
    let list_err =
        |e: std::io::Error| ScheduleError { path: dir.to_path_buf(), line: 1, message: format!("cannot list: {e}") };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(list_err)? {
        let path = entry.map_err(list_err)?.path();
        if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// Every calendar under `dir`, by name (the file stem).
pub fn load_calendars(dir: &Path) -> Result<BTreeMap<String, Calendar>, ScheduleError> {
    let mut calendars = BTreeMap::new();
    for path in files(dir, "toml")? {
        let calendar = Calendar::parse(&path, &read(&path)?)?;
        calendars.insert(calendar.name.clone(), calendar);
    }
    Ok(calendars)
}

/// The schedule, validated against the calendars and the playbooks that exist.
pub fn load_schedule(paths: &SchedulePaths) -> Result<Schedule, ScheduleError> {
    let calendars = load_calendars(&paths.calendars)?;
    let playbooks: Vec<String> = files(&paths.scripts, "rhai")?
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().to_string()))
        .collect();
    Schedule::parse(&paths.schedule, &read(&paths.schedule)?, calendars, &playbooks)
}

/// The trading window `scripts/<name>.rhai` declares in its header, if any (errors name the
/// file and line).
pub fn declared_window(
    scripts: &Path,
    name: &str,
) -> Result<Option<crate::schedule::window::TradingWindow>, ScheduleError> {
    let path = scripts.join(format!("{name}.rhai"));
    let source = read(&path)?;
    crate::schedule::window::declared_window(&source).map_err(|e| ScheduleError {
        path,
        line: e.line,
        message: e.message,
    })
}
