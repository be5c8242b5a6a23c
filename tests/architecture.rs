//! Keeps ARCHITECTURE.md's invariants true: the pure modules do no I/O and read no clock.
//! `use` declarations are parsed into their full paths (`use std::{fs, io}` is `std::fs` and
//! `std::io`), and the code is searched for fully qualified calls as well.

use std::path::Path;

const PURE: &[&str] = &[
    "src/model",
    "src/pricing",
    "src/risk",
    "src/strategies",
    "src/drivers/parse",
    "src/report",
    "src/scan",
    "src/ledger",
    "src/live",
    "src/paper.rs",
    "src/schedule",
    "src/kalshi/live_book.rs",
    "src/kalshi/replay.rs",
    "src/kalshi/snapshot.rs",
    "src/sim/exchange.rs",
];
/// Paths a pure module may not import (a prefix match on the flattened path).
const FORBIDDEN_IMPORTS: &[&str] = &[
    "std::fs",
    "std::net",
    "std::env",
    "std::process",
    "std::time::SystemTime",
    "std::time::Instant",
    "tokio",
    "reqwest",
    "polars",
];
/// Expressions a pure module may not contain anywhere.
const FORBIDDEN_CALLS: &[&str] = &[
    "std::fs::",
    "std::net::",
    "std::env::",
    "tokio::",
    "reqwest::",
    "Utc::now",
    "SystemTime::now",
    "Instant::now",
    "File::",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn flatten(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    match tree.find('{') {
        None => {
            for part in split_top(tree) {
                let part = part.trim().split(" as ").next().unwrap_or("").trim();
                if !part.is_empty() {
                    out.push(format!("{prefix}{part}"));
                }
            }
        }
        Some(open) => {
            let head = &tree[..open];
            let close = tree.rfind('}').expect("balanced braces");
            let inner = format!("{prefix}{head}");
            for part in split_top(&tree[open + 1..close]) {
                flatten(&inner, part, out);
            }
        }
    }
}

/// Splits on commas outside braces.
fn split_top(text: &str) -> Vec<&str> {
    let (mut depth, mut start, mut parts) = (0, 0, Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Every path imported by `use` declarations in `code`.
fn imports(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        rest = &rest[at + 4..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = rest.find(';') else { break };
        let tree: String = rest[..end].split_whitespace().collect::<Vec<_>>().join(" ");
        flatten("", tree.trim_start_matches("::"), &mut out);
        rest = &rest[end..];
    }
    out
}

#[test]
fn use_trees_are_flattened() {
    let mut paths = imports("use std::{fs, io::{self, Write}};\nuse tokio as t;\npub use crate::x::Y;");
    paths.sort();
    assert_eq!(paths, ["crate::x::Y", "std::fs", "std::io::Write", "std::io::self", "tokio"]);
}

#[test]
fn pure_modules_do_no_io_and_read_no_clock() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut offences = Vec::new();
    for module in PURE {
        let mut files = Vec::new();
        rust_files(&root.join(module), &mut files);
        assert!(!files.is_empty(), "{module} has no files");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            // Unit tests may use temp files; only the code above `mod tests` counts.
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let name = file.strip_prefix(root).unwrap().display().to_string();
            for path in imports(code) {
                if FORBIDDEN_IMPORTS.iter().any(|f| path == *f || path.starts_with(&format!("{f}::"))) {
                    offences.push(format!("{name}: imports {path}"));
                }
            }
            for call in FORBIDDEN_CALLS {
                if code.contains(call) {
                    offences.push(format!("{name}: uses {call}"));
                }
            }
        }
    }
    assert!(offences.is_empty(), "pure modules must not do I/O or read clocks:\n{}", offences.join("\n"));
}

#[test]
fn no_floats_in_money_types() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("src/model/fixed.rs")).unwrap();
    for ty in ["struct Price(i64)", "struct Count(i64)", "struct Money(i64)"] {
        assert!(text.contains(ty), "{ty} must stay an integer");
    }
}
