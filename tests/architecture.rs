//! Keeps ARCHITECTURE.md's invariants true: the pure modules do no I/O and read no clock.

use std::path::Path;

const PURE: &[&str] = &[
    "src/model",
    "src/pricing",
    "src/risk",
    "src/strategies",
    "src/report",
    "src/kalshi/live_book.rs",
    "src/kalshi/replay.rs",
    "src/sim/exchange.rs",
];
const FORBIDDEN: &[&str] =
    &["std::fs", "std::net", "tokio", "reqwest", "Utc::now", "SystemTime", "Instant::now", "std::env", "File::"];

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
            for word in FORBIDDEN {
                if code.contains(word) {
                    offences.push(format!("{}: uses {word}", file.strip_prefix(root).unwrap().display()));
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
