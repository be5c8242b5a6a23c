//! Keeps ARCHITECTURE.md's invariants true: the pure modules do no I/O and read no clock; no
//! import loop runs between top-level modules (of any length); the wire (`kalshi`) imports
//! nothing above it; a file over 600 lines says why at its top. `use` declarations are parsed
//! into their full paths (`use std::{fs, io}` is `std::fs` and `std::io`), and the code is
//! searched for fully qualified calls as well.

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
    "src/safety",
    "src/rate.rs",
    "src/paper.rs",
    "src/schedule",
    "src/kalshi/live_book.rs",
    "src/kalshi/replay.rs",
    "src/feed/snapshot.rs",
    "src/sim/exchange.rs",
    "src/evidence/stats.rs",
    "src/evidence/scoreboard.rs",
    "src/evidence/render.rs",
    "src/evidence/cusum.rs",
    "src/evidence/charts.rs",
    "src/evidence/readiness.rs",
    "src/evidence/honesty.rs",
    "src/evidence/settled.rs",
    "src/research/history.rs",
    "src/research/decision.rs",
    "src/research/fills.rs",
    "src/session/whatif/replay.rs",
    "src/session/whatif/account.rs",
    "src/session/whatif/report.rs",
];
/// Top-level modules the wire layer may import: nothing above it.
const KALSHI_MAY_IMPORT: &[&str] = &["model", "rate", "storage", "decode", "clock"];
/// Lines a source file may have before it must say why at its top.
const LONG_FILE: usize = 600;
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
        // A declaration starts its line (after `pub` or `pub(…)`): "use " in a comment or a
        // string is prose.
        let line_start = rest[..at].rfind('\n').map_or(0, |i| i + 1);
        let lead = rest[line_start..at].trim();
        rest = &rest[at + 4..];
        if !(lead.is_empty() || lead.starts_with("pub")) {
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

/// The top-level modules of the library (`src/X.rs` or `src/X/`), without the binary's `cli`.
fn top_level_modules(src: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            let name = if p.is_dir() { name } else { name.strip_suffix(".rs")?.to_string() };
            (!matches!(name.as_str(), "lib" | "main" | "cli")).then_some(name)
        })
        .collect();
    names.sort();
    names
}

/// Which top-level modules each one refers to (`crate::X` in its code, tests and comments left out).
fn import_graph(src: &Path) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let modules = top_level_modules(src);
    let mut graph = std::collections::BTreeMap::new();
    for m in &modules {
        let mut files = Vec::new();
        let file = src.join(format!("{m}.rs"));
        let at = if file.exists() { file } else { src.join(m) };
        rust_files(&at, &mut files);
        let mut uses = std::collections::BTreeSet::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for (at, _) in line.match_indices("crate::") {
                    let rest = &line[at + "crate::".len()..];
                    let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    if name != *m && modules.contains(&name) {
                        uses.insert(name);
                    }
                }
            }
        }
        graph.insert(m.clone(), uses);
    }
    graph
}

/// A cycle through `graph` if there is one (a path that comes back to its start).
fn find_cycle(graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        state: &mut std::collections::BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let from = path.iter().position(|p| p == next).unwrap_or(0);
                    let mut cycle = path[from..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(cycle) = visit(next, graph, state, path) {
                        return Some(cycle);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = std::collections::BTreeMap::new();
    for node in graph.keys() {
        if state.get(node).copied().unwrap_or(0) == 0
            && let Some(cycle) = visit(node, graph, &mut state, &mut Vec::new())
        {
            return Some(cycle);
        }
    }
    None
}

#[test]
fn a_cycle_of_any_length_is_found() {
    let graph = |edges: &[(&str, &str)]| {
        let mut g: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
        for (a, b) in edges {
            g.entry(a.to_string()).or_default().insert(b.to_string());
            g.entry(b.to_string()).or_default();
        }
        g
    };
    assert_eq!(find_cycle(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])), None);
    let long = find_cycle(&graph(&[
        ("drivers", "kalshi"),
        ("kalshi", "scan"),
        ("scan", "strategies"),
        ("strategies", "drivers"),
    ]));
    assert_eq!(long.map(|c| c.len()), Some(5), "four modules and back");
}

#[test]
fn no_import_loop_between_top_level_modules() {
    let graph = import_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.len() > 10, "{graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import loop between top-level modules: {}", cycle.join(" → "));
    }
}

#[test]
fn the_wire_imports_nothing_above_it() {
    let graph = import_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let above: Vec<&String> = graph["kalshi"].iter().filter(|m| !KALSHI_MAY_IMPORT.contains(&m.as_str())).collect();
    assert!(above.is_empty(), "kalshi imports {above:?}; adapters belong in feed/");
}

#[test]
fn long_files_say_why_at_their_top() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut unexplained = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines = text.lines().count();
        let head: String = text.lines().take_while(|l| l.starts_with("//!")).collect::<Vec<_>>().join("\n");
        if lines > LONG_FILE && !head.contains("Over 600 lines") {
            unexplained.push(format!("{} ({lines} lines)", file.strip_prefix(root).unwrap().display()));
        }
    }
    assert!(
        unexplained.is_empty(),
        "files over {LONG_FILE} lines without a reason (`Over 600 lines: …`) at their top:\n{}",
        unexplained.join("\n")
    );
}

/// Macros whose arguments reach a terminal or a log.
const PRINTERS: &[&str] =
    &["println!(", "eprintln!(", "print!(", "eprint!(", "info!(", "warn!(", "error!(", "debug!(", "trace!("];
/// Names whose values are secrets (matched as whole identifiers inside a printer's arguments).
const SECRET_NAMES: &[&str] = &["api_key", "private_key", "secret", "password", "pem", "token"];

/// The argument text of each printer call in `code` (balanced parentheses).
fn printer_calls(code: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for printer in PRINTERS {
        let mut rest = code;
        while let Some(at) = rest.find(printer) {
            let before = rest[..at].chars().last();
            let args = &rest[at + printer.len()..];
            rest = args;
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let mut depth = 1;
            let end = args
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(args.len(), |(i, _)| i);
            out.push(&args[..end]);
        }
    }
    out
}

fn has_identifier(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().last();
        let after = text[i + name.len()..].chars().next();
        let edge = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        edge(before) && edge(after)
    })
}

#[test]
fn hygiene_no_markers_and_no_printed_secrets() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut offences = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let name = file.strip_prefix(root).unwrap().display().to_string();
        for marker in ["todo!(", "unimplemented!(", "TODO", "FIXME"] {
            if code.contains(marker) {
                offences.push(format!("{name}: {marker}"));
            }
        }
        for args in printer_calls(code) {
            let lower = args.to_lowercase();
            if lower.contains("env::var(") || SECRET_NAMES.iter().any(|s| has_identifier(&lower, s)) {
                offences.push(format!("{name}: prints `{}`", args.trim()));
            }
        }
    }
    assert!(offences.is_empty(), "{}", offences.join("\n"));
    // The check itself finds what it is for.
    let planted = "fn f() { println!(\"key {}\", api_key); eprintln!(\"{}\", std::env::var(\"X\").unwrap()); }";
    let found: Vec<&str> = printer_calls(planted);
    assert_eq!(found.len(), 2);
    assert!(has_identifier(found[0], "api_key") && !has_identifier("massive_api_key_name", "api_key"));
}
