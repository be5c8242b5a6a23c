//! `policy check` on named files: each file is validated as its kind, found from its name
//! and place (`pal.rhai`, `pilot.rhai`, `gates.rhai`, `lib/*.rhai`, `tests/*.toml`, or a
//! playbook), without needing the rest of the set to be valid.

use std::path::{Path, PathBuf};

use crate::risk::ceilings::CoreCeilings;
use crate::rules::cases::{CaseFile, run_all};
use crate::rules::host::ScriptError;
use crate::rules::policy::{
    GATES_FILE, PAL_FILE, PILOT_FILE, PolicyPaths, compile_file, policy_host, validate_gates, validate_pal,
    validate_pilot,
};

/// What a file of the set is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `pal.rhai`.
    Pal,
    /// `pilot.rhai`.
    Pilot,
    /// `gates.rhai`.
    Gates,
    /// A module under `lib/`.
    Library,
    /// A test case file.
    Cases,
    /// A session playbook (compiled, not run: its top level calls host steps).
    Playbook,
}

/// The kind of `path`, from its name and directory; `None` for files the set does not use.
pub fn kind_of(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    let parent = path.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or("");
    match (name, path.extension()?.to_str()?) {
        (PAL_FILE, _) => Some(FileKind::Pal),
        (PILOT_FILE, _) => Some(FileKind::Pilot),
        (GATES_FILE, _) => Some(FileKind::Gates),
        (_, "rhai") if parent == "lib" => Some(FileKind::Library),
        (_, "rhai") => Some(FileKind::Playbook),
        (_, "toml") => Some(FileKind::Cases),
        _ => None,
    }
}

/// Validates each file as its kind; returns every problem.
pub fn check_files(paths: &PolicyPaths, core: &CoreCeilings, files: &[PathBuf]) -> Vec<ScriptError> {
    let host = policy_host(paths);
    let mut problems = Vec::new();
    for file in files {
        let Some(kind) = kind_of(file) else {
            problems.push(ScriptError {
                file: file.clone(),
                line: None,
                column: None,
                message: "not a policy file (expected .rhai or tests/*.toml)".to_string(),
            });
            continue;
        };
        let result = match kind {
            FileKind::Cases => check_cases(paths, core, file),
            _ => compile_file(&host, file).and_then(|script| match kind {
                FileKind::Pal => validate_pal(&host, &script, core).map(|_| ()),
                FileKind::Pilot => validate_pilot(&host, &script, core).map(|_| ()),
                FileKind::Gates => validate_gates(&host, &script, core),
                FileKind::Library | FileKind::Playbook | FileKind::Cases => Ok(()),
            }),
        };
        problems.extend(result.err());
    }
    problems
}

/// A case file must parse; when the set it belongs to loads, its cases must pass.
fn check_cases(paths: &PolicyPaths, core: &CoreCeilings, file: &Path) -> Result<(), ScriptError> {
    crate::decode::read_toml::<CaseFile>(file).map_err(|e| ScriptError {
        file: file.to_path_buf(),
        line: None,
        column: None,
        message: e.to_string().trim_start_matches(&format!("{}: ", file.display())).to_string(),
    })?;
    let Ok(set) = crate::rules::policy::PolicySet::compile(paths, core) else { return Ok(()) };
    let dir = file.parent().unwrap_or(Path::new("."));
    let failed = run_all(&set, dir)?.into_iter().find(|o| o.file == file && !o.passed);
    match failed {
        Some(o) => Err(ScriptError {
            file: o.file,
            line: None,
            column: None,
            message: format!("case \"{}\" failed: {}", o.name, o.detail),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_names() {
        assert_eq!(kind_of(Path::new("policies/pal.rhai")), Some(FileKind::Pal));
        assert_eq!(kind_of(Path::new("/tmp/x/gates.rhai")), Some(FileKind::Gates));
        assert_eq!(kind_of(Path::new("policies/lib/freshness.rhai")), Some(FileKind::Library));
        assert_eq!(kind_of(Path::new("policies/tests/pal.toml")), Some(FileKind::Cases));
        assert_eq!(kind_of(Path::new("scripts/cpi_release.rhai")), Some(FileKind::Playbook));
        assert_eq!(kind_of(Path::new("README.md")), None);
    }
}
