//! Bad input: a clear error naming file and field, a non-zero exit, and nothing written.

mod common;

use common::{Workspace, stderr};

fn assert_fails_cleanly(ws: &Workspace, expect: &[&str]) {
    let out = ws.run(&["scan", "--offline", "--now", "2026-11-24T15:00:00Z"]);
    assert!(!out.status.success(), "should fail");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for e in expect {
        assert!(err.contains(e), "stderr lacks {e:?}:\n{err}");
    }
    assert!(!ws.path("reports").exists(), "no partial reports");
    assert!(!ws.path("data").exists(), "no partial data");
}

#[test]
fn malformed_price_in_orderbook() {
    let ws = Workspace::new();
    ws.edit("fixtures/kalshi/orderbooks/KXHIGHNY-26NOV25-B47.5.json", "\"0.2700\"", "\"abc\"");
    assert_fails_cleanly(
        &ws,
        &["KXHIGHNY-26NOV25-B47.5.json", "orderbook_fp.yes_dollars[1][0]", "invalid price", "`abc`"],
    );
}

#[test]
fn too_precise_price_in_event() {
    let ws = Workspace::new();
    ws.edit(
        "fixtures/kalshi/events/KXINXU-26NOV24H1600.json",
        "\"yes_bid_dollars\": \"0.9700\"",
        "\"yes_bid_dollars\": \"0.1234567\"",
    );
    assert_fails_cleanly(
        &ws,
        &["KXINXU-26NOV24H1600.json", "event.markets[0].yes_bid_dollars", "more than 6 decimal places"],
    );
}

#[test]
fn negative_count_in_orderbook() {
    let ws = Workspace::new();
    ws.edit("fixtures/kalshi/orderbooks/KXINXU-26NOV24H1600-T6824.9999.json", "\"25.00\"", "\"-25.00\"");
    assert_fails_cleanly(&ws, &["T6824.9999.json", "orderbook_fp.yes_dollars", "negative"]);
}

#[test]
fn legacy_cents_out_of_range() {
    let ws = Workspace::new();
    ws.edit("fixtures/kalshi/orderbooks/KXCPI-25NOV-T0.3.json", "22,", "122,");
    assert_fails_cleanly(&ws, &["KXCPI-25NOV-T0.3.json", "122 cents is outside 0..=100"]);
}

#[test]
fn missing_orderbook_file() {
    let ws = Workspace::new();
    std::fs::remove_file(ws.path("fixtures/kalshi/orderbooks/KXHIGHNY-26NOV25-T52.json")).unwrap();
    assert_fails_cleanly(&ws, &["KXHIGHNY-26NOV25-T52.json", "cannot read"]);
}

#[test]
fn unknown_strike_type() {
    let ws = Workspace::new();
    ws.edit(
        "fixtures/kalshi/events/KXHIGHNY-26NOV25.json",
        "\"strike_type\": \"between\"",
        "\"strike_type\": \"functional\"",
    );
    assert_fails_cleanly(&ws, &["KXHIGHNY-26NOV25.json", "field strike_type", "functional"]);
}

#[test]
fn missing_ceiling() {
    let ws = Workspace::new();
    ws.edit("configs/limits.toml", "max_loss_per_strike = \"5.00\"", "");
    assert_fails_cleanly(&ws, &["limits.toml", "missing field `max_loss_per_strike`"]);
}

#[test]
fn misspelt_ceiling() {
    let ws = Workspace::new();
    ws.edit("configs/limits.toml", "maker_only = true", "maker_only = true\nmax_contract_per_order = \"5\"");
    assert_fails_cleanly(&ws, &["limits.toml", "unknown field `max_contract_per_order`"]);
}

#[test]
fn malformed_money_in_limits() {
    let ws = Workspace::new();
    ws.edit("configs/limits.toml", "\"5.00\"", "\"five\"");
    assert_fails_cleanly(&ws, &["limits.toml: max_loss_per_strike:", "invalid money"]);
}

#[test]
fn bad_view_parameter() {
    let ws = Workspace::new();
    ws.edit("configs/views.toml", "std = 2.2", "std = -2.2");
    assert_fails_cleanly(&ws, &["views.toml", "events.KXHIGHNY-26NOV25.model", "std must be a positive"]);
}

#[test]
fn unknown_distribution() {
    let ws = Workspace::new();
    ws.edit("configs/views.toml", "distribution = \"normal\"", "distribution = \"lognormal\"");
    assert_fails_cleanly(&ws, &["views.toml", "events.KXHIGHNY-26NOV25.model", "lognormal"]);
}

#[test]
fn unknown_fee_type() {
    let ws = Workspace::new();
    ws.edit("fixtures/kalshi/series/KXINXU.json", "\"fee_type\": \"quadratic\"", "\"fee_type\": \"cubic\"");
    assert_fails_cleanly(&ws, &["series KXINXU", "unknown fee_type `cubic`"]);
}
