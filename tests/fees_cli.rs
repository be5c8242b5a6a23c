//! `kalshi-alpha fees` against Kalshi's published fee table and the centicent rule.

mod common;

use common::{Workspace, stderr, stdout};

fn fee(ws: &Workspace, args: &[&str]) -> String {
    let mut all = vec!["fees"];
    all.extend_from_slice(args);
    let out = ws.run(&all);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).trim().to_string()
}

#[test]
fn published_table_cent_mode() {
    let ws = Workspace::new();
    // price, taker ×1, taker ×100, maker ×1, maker ×100 (Kalshi's fee schedule).
    for (price, t1, t100, m1, m100) in [
        ("0.05", "0.01", "0.34", "0.01", "0.09"),
        ("0.25", "0.02", "1.32", "0.01", "0.33"),
        ("0.50", "0.02", "1.75", "0.01", "0.44"),
        ("0.75", "0.02", "1.32", "0.01", "0.33"),
        ("0.95", "0.01", "0.34", "0.01", "0.09"),
    ] {
        let run = |role: &str, n: &str| fee(&ws, &["--price", price, "--count", n, "--role", role]);
        assert_eq!(run("taker", "1"), t1, "taker 1 @ {price}");
        assert_eq!(run("taker", "100"), t100, "taker 100 @ {price}");
        assert_eq!(run("maker", "1"), m1, "maker 1 @ {price}");
        assert_eq!(run("maker", "100"), m100, "maker 100 @ {price}");
    }
}

#[test]
fn centicent_multiplier_and_json() {
    let ws = Workspace::new();
    assert_eq!(
        fee(&ws, &["--price", "0.25", "--count", "100", "--role", "taker", "--rounding", "centicent"]),
        "1.3125"
    );
    assert_eq!(fee(&ws, &["--price", "0.50", "--count", "100", "--role", "taker", "--multiplier", "0.5"]), "0.88");
    assert_eq!(fee(&ws, &["--price", "0.50", "--count", "1", "--role", "maker", "--fee-type", "quadratic"]), "0.00");
    let json: serde_json::Value =
        serde_json::from_str(&fee(&ws, &["--price", "0.25", "--count", "100", "--role", "taker", "--json"])).unwrap();
    assert_eq!(json["fee"], "1.32");
    assert_eq!(json["unrounded"], "1.3125");
}

#[test]
fn rejects_bad_arguments() {
    let ws = Workspace::new();
    for args in [
        &["fees", "--price", "abc", "--count", "1", "--role", "taker"][..],
        &["fees", "--price", "0.1234567", "--count", "1", "--role", "taker"],
        &["fees", "--price", "1", "--count", "1", "--role", "taker"],
        &["fees", "--price", "0.5", "--count", "-1", "--role", "taker"],
        &["fees", "--price", "0.5", "--count", "1", "--role", "both"],
    ] {
        let out = ws.run(args);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(!stderr(&out).is_empty());
    }
}
