//! Every API type decodes from fixture files in both eras; unknown fields are ignored and
//! unknown enum values are kept as `Unknown(..)`.

use std::path::{Path, PathBuf};

use kalshi_alpha::decode::read_json;
use kalshi_alpha::kalshi::exchange::{ExchangeStatus, ScheduleResponse};
use kalshi_alpha::kalshi::open_enum::{BookSide, OrderStatus};
use kalshi_alpha::kalshi::orders::{BatchCreateResponse, CreateOrderResponse, OrderGroupsPage};
use kalshi_alpha::kalshi::portfolio::{Balance, FillsPage, MarketResult, OrdersPage, PositionsPage, SettlementsPage};

fn api(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/kalshi/api").join(rel)
}

#[test]
fn orders_both_eras() {
    let page: OrdersPage = read_json(&api("current/orders.json")).unwrap();
    assert_eq!(page.cursor, "eyJpZCI6Mn0");
    let o = &page.orders[0];
    assert_eq!((o.status.clone(), o.book_side()), (OrderStatus::Resting, Some(BookSide::Ask)));
    assert_eq!((o.filled().unwrap().to_string(), o.remaining().unwrap().to_string()), ("2.00".into(), "6.00".into()));
    assert_eq!(page.orders[1].status, OrderStatus::Unknown("paused_for_review".into()));
    assert_eq!(page.orders[1].remaining().unwrap().to_string(), "1.50", "fractional contracts");

    let legacy: OrdersPage = read_json(&api("legacy/orders.json")).unwrap();
    let o = &legacy.orders[0];
    assert_eq!(o.yes_price().unwrap().unwrap().to_string(), "0.3600");
    assert_eq!(o.filled().unwrap().to_string(), "10.00");
    assert_eq!(o.book_side(), Some(BookSide::Ask), "sell YES is the ask");
}

#[test]
fn fills_positions_balance_settlements_both_eras() {
    let fills: FillsPage = read_json(&api("current/fills.json")).unwrap();
    assert_eq!(fills.fills[0].contracts().unwrap().to_string(), "2.00");
    assert_eq!(fills.fills[0].fee_cost.unwrap().to_string(), "0.01");
    let legacy: FillsPage = read_json(&api("legacy/fills.json")).unwrap();
    assert_eq!(legacy.fills[0].yes_price().unwrap().unwrap().to_string(), "0.3600");
    assert_eq!(legacy.fills[0].market(), "KXCPI-25NOV-T0.2");

    let pos: PositionsPage = read_json(&api("current/positions.json")).unwrap();
    assert_eq!(pos.market_positions[0].contracts().to_string(), "-2.00", "NO position");
    assert_eq!(pos.event_positions[0].event_exposure_dollars.unwrap().to_string(), "1.18");
    let legacy: PositionsPage = read_json(&api("legacy/positions.json")).unwrap();
    let p = &legacy.market_positions[0];
    assert_eq!(
        (p.contracts().to_string(), p.exposure().to_string(), p.realized_pnl().to_string()),
        ("10.00".into(), "3.60".into(), "-1.25".into())
    );

    let bal: Balance = read_json(&api("current/balance.json")).unwrap();
    assert_eq!(bal.cash().to_string(), "98.0186", "the exact dollar field wins over truncated cents");
    let legacy: Balance = read_json(&api("legacy/balance.json")).unwrap();
    assert_eq!(legacy.cash().to_string(), "2500.75");

    let s: SettlementsPage = read_json(&api("current/settlements.json")).unwrap();
    assert_eq!(s.settlements[0].market_result, MarketResult::No);
    assert_eq!(s.settlements[0].pnl().to_string(), "1.87", "5.00 − 3.10 − 0.03");
    let legacy: SettlementsPage = read_json(&api("legacy/settlements.json")).unwrap();
    assert_eq!(legacy.settlements[0].pnl().to_string(), "2.52");
}

#[test]
fn exchange_and_order_entry() {
    let status: ExchangeStatus = read_json(&api("current/exchange_status.json")).unwrap();
    assert!(status.exchange_active && !status.trading_active);
    let schedule: ScheduleResponse = read_json(&api("current/exchange_schedule.json")).unwrap();
    assert_eq!(schedule.schedule.standard_hours[0].monday.len(), 2);
    assert_eq!(schedule.schedule.maintenance_windows.len(), 1);
    let created: CreateOrderResponse = read_json(&api("current/create_order_response.json")).unwrap();
    assert_eq!(created.average_fill_price.unwrap().to_string(), "0.4100");
    let batch: BatchCreateResponse = read_json(&api("current/batch_create_response.json")).unwrap();
    assert_eq!(batch.orders[1].error.as_ref().unwrap().details, "post only cross");
    let groups: OrderGroupsPage = read_json(&api("current/order_groups.json")).unwrap();
    assert!(!groups.order_groups[0].is_auto_cancel_enabled);
}

/// The changes since spec 3.31: `liquidity_dollars` gone from markets, `last_update_reason`
/// and `exchange_index` on `user_order`, and the canonical hosts.
#[test]
fn api_drift_since_3_31_breaks_no_read() {
    use kalshi_alpha::kalshi::market_data::MarketResponse;
    use kalshi_alpha::kalshi::ws::WsMessage;
    // A current market response without `liquidity_dollars`.
    let market: MarketResponse = serde_json::from_str(
        r#"{"market":{"ticker":"KXHIGHNY-26DEC02-B45.5","event_ticker":"KXHIGHNY-26DEC02","status":"active",
            "strike_type":"between","floor_strike":45,"cap_strike":46,"yes_bid_dollars":"0.3100","yes_ask_dollars":"0.3400",
            "volume_fp":"120.00","open_interest_fp":"80.00"}}"#,
    )
    .unwrap();
    assert_eq!(market.market.yes_ask_dollars.unwrap().to_string(), "0.3400");
    // A `user_order` as the AsyncAPI file shows it, with the new reason.
    let text = r#"{"type":"user_order","sid":22,"msg":{"order_id":"ee587a1c","user_id":"a1b2","ticker":"FED-23DEC-T3.00",
        "exchange_index":2,"status":"canceled","side":"yes","is_yes":true,"outcome_side":"yes","book_side":"bid",
        "yes_price_dollars":"0.3500","fill_count_fp":"0.00","remaining_count_fp":"0.00","initial_count_fp":"10.00",
        "client_order_id":"my-order-1","last_updated_ts_ms":1733047200000,"last_update_reason":"PostOnlyCrossCancel",
        "subaccount_number":0}}"#;
    match WsMessage::decode(text).unwrap() {
        WsMessage::UserOrder { order, .. } => {
            assert_eq!(order.last_update_reason.as_deref(), Some("PostOnlyCrossCancel"));
            assert_eq!(order.client_order_id.as_deref(), Some("my-order-1"));
        }
        other => panic!("{other:?}"),
    }
    // The canonical hosts.
    use kalshi_alpha::kalshi::rest::PROD_BASE_URL;
    use kalshi_alpha::kalshi::ws_client::{PROD_WS_URL, ws_url_for};
    assert_eq!(PROD_BASE_URL, "https://external-api.kalshi.com/trade-api/v2");
    assert_eq!(ws_url_for(PROD_BASE_URL).unwrap(), PROD_WS_URL);
    assert_eq!(PROD_WS_URL, "wss://external-api-ws.kalshi.com/trade-api/ws/v2");
}
