//! End-to-end: `scan --offline` on the bundled fixtures, checked against hand-computed numbers.

mod common;

use common::{Workspace, stderr, stdout};
use serde_json::Value;

const NOW: &str = "2026-11-24T15:00:00Z";
const STAMP: &str = "20261124T150000Z";

fn scan(ws: &Workspace, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["scan", "--offline", "--now", NOW];
    args.extend_from_slice(extra);
    ws.run(&args)
}

fn proposals(ws: &Workspace, series: &str) -> Value {
    serde_json::from_str(&ws.read(&format!("data/proc/proposals/{series}/proposals_{STAMP}.json"))).unwrap()
}

fn decision<'a>(doc: &'a Value, ticker: &str) -> &'a Value {
    doc["events"][0]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["proposal"]["ticker"] == ticker)
        .unwrap_or_else(|| panic!("no decision for {ticker}"))
}

#[test]
fn writes_reports_proposals_and_audit_for_every_fixture_event() {
    let ws = Workspace::new();
    let out = scan(&ws, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for series in ["KXCPI", "KXHIGHNY", "KXINXU"] {
        assert!(text.contains(&format!("{series:<16} GO     events=1 approved=2 denied=0 orders=2")), "{text}");
        let report = ws.read(&format!("reports/{series}/scan_{STAMP}.md"));
        assert!(report.contains("**GO** ✅"), "{report}");
        assert!(report.contains("### Proposals"));
    }
    let audit = ws.read("data/proc/audit/dry_orders_2026-11-24.jsonl");
    let lines: Vec<Value> = audit.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // The first three ladders' six orders, then what the 25.00 daily cap leaves for the others.
    assert_eq!(lines.len(), 10);
    assert!(
        lines
            .iter()
            .all(|l| l["mode"] == "dry" && l["post_only"] == true && l["self_trade_prevention_type"] == "maker")
    );
    let ids: std::collections::BTreeSet<_> = lines.iter().map(|l| l["client_order_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 10, "client_order_ids are unique");
}

#[test]
fn range_ladder_numbers_match_hand_computation() {
    let ws = Workspace::new();
    assert!(scan(&ws, &[]).status.success());
    let doc = proposals(&ws, "KXHIGHNY");
    // View normal(48.6, 2.2), whole degrees: bin 49–50 is 48.5 <= x < 50.5, so
    // P(YES) = Φ((50.5 − 48.6)/2.2) − Φ((48.5 − 48.6)/2.2) = 0.806... − 0.482... = 0.324234 (6 dp).
    // Buy NO resting at the best NO bid 0.59: fair NO = 1 − 0.324234 = 0.675766, edge 0.085766.
    // 10 contracts would risk 5.90 + maker fee ceil(0.0175 × 10 × 0.59 × 0.41 = 0.0423) = 5.95 > 5.00,
    // so the ceiling clips to 8: 4.72 + ceil(0.0339) = 4.76. EV = 8 × 0.085766 − 0.04 = 0.646128.
    let d = decision(&doc, "KXHIGHNY-26NOV25-B49.5");
    let p = &d["proposal"];
    assert_eq!(p["side"], "no");
    assert_eq!(p["role"], "maker");
    assert_eq!(p["price"], "0.5900");
    assert_eq!(d["asked"], "10.00");
    assert_eq!(d["allowed"], "8.00");
    assert_eq!(d["verdict"], "clipped");
    assert_eq!(p["fee"], "0.04");
    assert_eq!(p["max_loss"], "4.76");
    assert_eq!(p["ev_order"], "0.646128");
    assert_eq!(p["ev_per_contract"], "0.080766");
    assert_eq!(d["reasons"][0]["code"], "MAX_LOSS_PER_STRIKE");
    assert!((p["model_p"].as_f64().unwrap() - 0.675766).abs() < 1e-6);
    // Market: mids 0.03 0.12 0.29 0.39 0.14 0.04 sum to 1.01; 0.39 / 1.01 = 0.386139 for YES.
    assert!((p["market_p"].as_f64().unwrap() - (1.0 - 0.39 / 1.01)).abs() < 1e-9);

    let report = ws.read(&format!("reports/KXHIGHNY/scan_{STAMP}.md"));
    assert!(report.contains(
        "| 49–50 | NO | maker | 0.5900 | 8.00 | 67.6% | 61.4% | 0.080766 | 0.646128 | 0.04 | 4.76 | Clipped |"
    ));
    assert!(report.contains("MAX_LOSS_PER_STRIKE: limit=5.00 would_be=5.95"));
}

#[test]
fn threshold_ladder_numbers_match_hand_computation() {
    let ws = Workspace::new();
    assert!(scan(&ws, &[]).status.success());
    let doc = proposals(&ws, "KXINXU");
    // Strike 6849.9999 on a 0.01 grid: YES iff v >= 6850.00, i.e. x >= 6849.995.
    // P(YES) = 1 − Φ((6849.995 − 6838)/22) = 0.292799; fair NO 0.707201; edge at 0.63 = 0.077201.
    // Series fee_type quadratic: makers pay nothing. pal.rhai gives KXINXU strikes 4.00
    // (tighter than the core 5.00): 6 × 0.63 = 3.78 <= 4.00 < 7 × 0.63.
    let d = decision(&doc, "KXINXU-26NOV24H1600-T6849.9999");
    assert_eq!(d["allowed"], "6.00");
    assert_eq!(d["proposal"]["fee"], "0.00");
    assert_eq!(d["proposal"]["ev_order"], "0.463206");
    assert_eq!(d["proposal"]["max_loss"], "3.78");
    assert_eq!(d["reasons"][0]["code"], "MAX_LOSS_PER_STRIKE");
    assert_eq!(d["reasons"][0]["source"], "pal.rhai");
    assert_eq!(d["reasons"][0]["would_be"], "6.30");
    // Quotes at 6899.9999 (mid 0.02) and 6924.9999 (mid 0.03) rise: PAV pools them at 0.025.
    let flags = doc["events"][0]["flags"].as_array().unwrap();
    assert!(flags.iter().any(|f| f["flag"] == "non_monotone" && f["violations"] == 1), "{flags:?}");
    let rows = doc["events"][0]["rows"].as_array().unwrap();
    assert!((rows[5]["market_p"].as_f64().unwrap() - 0.025).abs() < 1e-9);
    assert!((rows[6]["market_p"].as_f64().unwrap() - 0.025).abs() < 1e-9);
    let bins: f64 = doc["events"][0]["market_bins"].as_array().unwrap().iter().map(|b| b.as_f64().unwrap()).sum();
    assert!((bins - 1.0).abs() < 1e-12);
}

#[test]
fn legacy_cent_fixture_is_read() {
    let ws = Workspace::new();
    assert!(scan(&ws, &["--series", "KXCPI"]).status.success());
    let doc = proposals(&ws, "KXCPI");
    let rows = doc["events"][0]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    // Legacy book {"yes":[[59,200],[60,120]],"no":[[34,75],[36,40]]}: bid 0.60, ask 1 − 0.36.
    assert_eq!(rows[2]["yes_bid"], "0.6000");
    assert_eq!(rows[2]["yes_ask"], "0.6400");
    assert!(!ws.path("reports/KXHIGHNY").exists(), "--series limits the scan");
}

#[test]
fn kill_switch_means_no_go_and_no_orders() {
    let ws = Workspace::new();
    std::fs::create_dir_all(ws.path("data/proc/state")).unwrap();
    ws.write("data/proc/state/kill_switch", "");
    let out = scan(&ws, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("NO-GO  events=1 approved=2 denied=0 orders=0"));
    assert!(ws.read(&format!("reports/KXINXU/scan_{STAMP}.md")).contains("KILL_SWITCH: engaged"));
    assert!(!ws.path("data/proc/audit/dry_orders_2026-11-24.jsonl").exists());
}

#[test]
fn tighter_ceiling_in_limits_file_denies() {
    let ws = Workspace::new();
    ws.edit("configs/limits.toml", "max_bins_per_event = 2", "max_bins_per_event = 1");
    ws.edit("policies/pilot.rhai", "max_unique_bins_per_event: 2", "max_unique_bins_per_event: 1");
    let out = scan(&ws, &["--series", "KXHIGHNY"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = proposals(&ws, "KXHIGHNY");
    let d = decision(&doc, "KXHIGHNY-26NOV25-B47.5");
    assert_eq!(d["verdict"], "denied");
    assert_eq!(d["reasons"][0]["code"], "MAX_BINS_PER_EVENT");
}

#[test]
fn core_tightened_below_a_script_refuses_to_run() {
    // The script now asks for more than the core allows: that is loosening, and the whole
    // set is refused (fail closed) until the script is brought in line.
    let ws = Workspace::new();
    ws.edit("configs/limits.toml", "max_bins_per_event = 2", "max_bins_per_event = 1");
    let out = scan(&ws, &["--series", "KXHIGHNY"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("policies/pilot.rhai:10:9: pilot().max_unique_bins_per_event: 2 loosens"), "{err}");
    assert!(!ws.path("reports").exists() && !ws.path("data").exists());
}

#[test]
fn report_names_the_policy_version() {
    let ws = Workspace::new();
    let out = scan(&ws, &["--series", "KXCPI"]);
    let line = stdout(&out).lines().find(|l| l.starts_with("policy: sha256=")).unwrap().to_string();
    let sha = line.trim_start_matches("policy: sha256=");
    assert_eq!(sha.len(), 64);
    assert!(ws.read(&format!("reports/KXCPI/scan_{STAMP}.md")).contains(&format!("sha256 `{sha}`")));
    assert_eq!(proposals(&ws, "KXCPI")["decided_by"], format!("limits.toml + policies sha256={sha}"));
}

#[test]
fn offline_is_the_default_and_online_conflicts_with_it() {
    let ws = Workspace::new();
    let out = ws.run(&["scan", "--now", "2026-11-24T15:00:00Z"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = ws.run(&["scan", "--online", "--offline"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--offline"));
}

#[test]
fn daily_cap_counts_only_what_go_series_send() {
    // Cap 10.00. KXCPI (scanned first) approves 2.88 + 2.40 of worst-case loss; KXHIGHNY then
    // wants 4.76 + 2.74.
    let capped = |cpi_no_go: bool| {
        let ws = Workspace::new();
        ws.edit("policies/pilot.rhai", "daily_loss_cap: \"25.00\"", "daily_loss_cap: \"10.00\"");
        ws.edit("policies/tests/pilot.toml", "daily_loss = \"24.00\"", "daily_loss = \"9.00\"");
        if cpi_no_go {
            ws.edit(
                "policies/gates.rhai",
                "    let reasons = [];\n",
                "    let reasons = [];\n    if ctx.series == \"KXCPI\" && ctx.now_et == \"10:00\" { reasons.push(\"CPI_BLACKOUT\"); }\n",
            );
        }
        let out = scan(&ws, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        let doc = proposals(&ws, "KXHIGHNY");
        let d = decision(&doc, "KXHIGHNY-26NOV25-B49.5");
        d["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert!(capped(false).contains(&"DAILY_LOSS_CAP".to_string()), "5.28 + 4.76 > 10.00");
    assert_eq!(capped(true), ["MAX_LOSS_PER_STRIKE"], "a NO-GO series commits nothing");
}

#[test]
fn strategies_price_events_without_a_view_and_reports_say_which() {
    let ws = Workspace::new();
    let out = scan(&ws, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = |series: &str| ws.read(&format!("reports/{series}/scan_{STAMP}.md"));
    // CPI and the S&P ladder have no view: their strategies priced them from fixtures/data.
    assert!(
        report("KXCPI").contains("strategy cpi: nowcast 0.270 (2025-12-09, nowcast (fixture))"),
        "{}",
        report("KXCPI")
    );
    assert!(
        report("KXINXU").contains("strategy index: I:SPX 6838.00 at 15:00 ET (index_aggs (fixture))"),
        "{}",
        report("KXINXU")
    );
    // The NYC ladder keeps its operator view, which overrides the strategy.
    assert!(report("KXHIGHNY").contains("View: views.toml: normal(mean=48.6, std=2.2)"), "{}", report("KXHIGHNY"));
    // Without the view, the weather strategy prices it from the forecast fixture: the same
    // distribution (forecast 49 + bias −0.4, σ 2.2), so the same decisions.
    let before = proposals(&ws, "KXHIGHNY");
    let views = ws.read("configs/views.toml");
    let (head, _) = views.split_once("[events.KXHIGHNY-26NOV25]").unwrap();
    let (_, tail) =
        views.split_once("note = \"NWS point forecast 49°F, σ from last winter's forecast errors\"\n").unwrap();
    let cut = format!("{head}{tail}");
    ws.write("configs/views.toml", &cut);
    let out = scan(&ws, &["--series", "KXHIGHNY"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        report("KXHIGHNY")
            .contains("strategy weather: Central Park forecast high 49 (nws_forecast (fixture)) + bias -0.4, σ 2.2"),
        "{}",
        report("KXHIGHNY")
    );
    let after = proposals(&ws, "KXHIGHNY");
    assert_eq!(before["events"][0]["decisions"], after["events"][0]["decisions"]);
    // A calibration file is used, and its age reaches the gate.
    let cal = ws.run(&["calibrate", "KXHIGHNY"]);
    assert!(cal.status.success(), "{}", stderr(&cal));
    let out = ws.run(&["scan", "--offline", "--series", "KXHIGHNY"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let newest = std::fs::read_dir(ws.path("reports/KXHIGHNY")).unwrap().map(|e| e.unwrap().path()).max().unwrap();
    let text = std::fs::read_to_string(newest).unwrap();
    assert!(text.contains("bias +0.8, σ 1.3"), "{text}");
    assert!(text.contains("| calibration_age_hours | 0.0 |"), "{text}");
}

#[test]
fn orders_shows_what_the_dry_and_paper_brokers_left_out() {
    let ws = Workspace::new();
    let orders = |broker: &str| -> serde_json::Value {
        let out = ws.run(&["orders", "--broker", broker, "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_str(&stdout(&out)).unwrap()
    };
    assert!(orders("dry")["source"].is_null(), "nothing recorded yet");
    assert!(ws.run(&["scan", "--offline", "--now", "2026-11-24T15:00:00Z"]).status.success());
    let dry = orders("dry");
    assert_eq!(dry["orders"].as_array().unwrap().len(), 10, "{dry:#}");
    assert_eq!(dry["by_series"]["KXHIGHNY"]["orders"], 2);
    assert_eq!(dry["by_series"]["KXHIGHNY"]["contracts"], "18.00", "10 YES 0.27 + 8 NO 0.59");
    // The last series' report shows what is outstanding at the broker, by series.
    let report = ws.read("reports/KXNASDAQ100U/scan_20261124T150000Z.md");
    assert!(
        report.contains("- Outstanding at the broker: 10 order(s) (KXCPI 2, KXHIGHNY 2, KXINXU 2, KXJOBLESSCLAIMS 2, KXNASDAQ100U 1, KXTNOTED 1)"),
        "{report}"
    );
    // Paper sessions cancel their resting orders at the end by default; kept, they are out.
    assert!(ws.run(&["scan", "--offline", "--broker", "paper", "--now", "2026-11-24T15:00:00Z"]).status.success());
    assert!(orders("paper")["orders"].as_array().unwrap().is_empty());
    ws.edit("configs/paper.toml", "session_end = \"cancel\"", "session_end = \"keep\"");
    assert!(ws.run(&["scan", "--offline", "--broker", "paper", "--now", "2026-11-24T15:05:00Z"]).status.success());
    let paper = orders("paper");
    assert_eq!(paper["orders"].as_array().unwrap().len(), 10, "{paper:#}");
    assert_eq!(paper["by_series"].as_object().unwrap().len(), 6, "series the daily cap left room for");
}

#[test]
fn the_offline_session_prices_all_nine_ladders() {
    let ws = Workspace::new();
    let out = scan(&ws, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let series = [
        "KXCPI",
        "KXHIGHNY",
        "KXINXU",
        "KXJOBLESSCLAIMS",
        "KXTNOTED",
        "KXAAAGASM",
        "KXINX",
        "KXNASDAQ100",
        "KXNASDAQ100U",
    ];
    for s in series {
        assert!(text.lines().any(|l| l.starts_with(&format!("{s:<16} GO     events=1"))), "{s}: {text}");
        // Every ladder is priced by its strategy (no view in views.toml for the new six).
        let doc = proposals(&ws, s);
        let rows = doc["events"][0]["rows"].as_array().unwrap();
        let total: f64 = rows.iter().map(|r| r["model_p"].as_f64().unwrap()).sum();
        if doc["events"][0]["kind"] == "range" {
            assert!((total - 1.0).abs() < 1e-9, "{s}: a range ladder's bins sum to 1, got {total}");
        }
    }
    // Hand check, 10-year: 4.04 published for Nov 24, one business day to Nov 25, σ 0.055
    // (configured), yields in hundredths: P(4.035 ≤ X < 4.085) = Φ(0.045/0.055) − Φ(−0.005/0.055).
    let doc = proposals(&ws, "KXTNOTED");
    let row = |t: &str| doc["events"][0]["rows"].as_array().unwrap().iter().find(|r| r["ticker"] == t).unwrap().clone();
    let p = row("KXTNOTED-26NOV25-B4.04")["model_p"].as_f64().unwrap();
    assert!((p - 0.329_64).abs() < 5e-4, "{p}");
    // …and the lower tail: P(X < 3.935) = Φ(−0.105/0.055).
    let tail = row("KXTNOTED-26NOV25-T3.94")["model_p"].as_f64().unwrap();
    assert!((tail - 0.028_13).abs() < 5e-4, "{tail}");
}

#[test]
fn index_ladders_get_per_window_outputs() {
    let ws = Workspace::new();
    assert!(scan(&ws, &[]).status.success());
    for series in ["KXINXU", "KXINX", "KXNASDAQ100", "KXNASDAQ100U"] {
        assert!(ws.path(&format!("reports/index_ladders/1600/{series}.csv")).exists(), "{series}");
    }
    let csv = ws.read("reports/index_ladders/1600/KXINXU.csv");
    assert_eq!(csv.lines().count(), 3, "a header and the two decisions: {csv}");
    assert!(csv.starts_with("event,ticker,label,side,role,price,asked,allowed,decision,model_p,market_p,"));
    // Two orders of 6 clipped by the strike cap; fill-α 0.6 expects 0.6 × 12 = 7.20 to fill.
    let md = ws.read("reports/index_ladders/1600/KXINXU.md");
    assert!(md.contains("fill-α 0.6 at 360 min to the target: 7.20 of 12.00 contracts"), "{md}");
    // Two minutes before the hour the index curve says α 0.25 (configs/index_execution.toml).
    assert!(ws.run(&["scan", "--offline", "--series", "KXINXU", "--now", "2026-11-24T20:58:00Z"]).status.success());
    let md = ws.read("reports/index_ladders/1600/KXINXU.md");
    assert!(md.contains("fill-α 0.25 at 2 min to the target") && md.contains("0.0150 per contract"), "{md}");
    // A dry scan fills nothing: the drift against the tape waits for fills.
    assert!(md.contains("| slippage drift | no fill yet (expected 0.0150 per contract) |"), "{md}");
    assert!(md.contains("| orders approved on GO | 2 (12.00 contracts) |"), "{md}");
    // A non-index series gets none.
    assert!(!ws.path("reports/index_ladders/1600/KXHIGHNY.csv").exists());
}

#[test]
fn weather_cities_price_from_their_own_station_and_calibrate_from_settled_history() {
    let ws = Workspace::new();
    let row = |series: &str, ticker: &str| -> f64 {
        let doc = proposals(&ws, series);
        let rows = doc["events"][0]["rows"].as_array().unwrap().clone();
        rows.iter().find(|r| r["ticker"] == ticker).unwrap()["model_p"].as_f64().unwrap()
    };
    for series in ["KXHIGHCHI", "KXHIGHLAX"] {
        let out = scan(&ws, &["--series", series]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stdout(&out).lines().any(|l| l.starts_with(&format!("{series:<16} GO     events=1"))),
            "{}",
            stdout(&out)
        );
    }
    // Configured values (bias −0.4, σ 2.2) on each station's own forecast for Nov 25: Midway
    // 36 → mean 35.6, P(36 ≤ high ≤ 37) = Φ(1.9/2.2) − Φ(−0.1/2.2) = 0.32423; LAX 71 → 70.6.
    assert!((row("KXHIGHCHI", "KXHIGHCHI-26NOV25-B36.5") - 0.324_233_656_748_886_7).abs() < 1e-9);
    assert!((row("KXHIGHLAX", "KXHIGHLAX-26NOV25-B71.5") - 0.324_233_656_748_886_3).abs() < 1e-9);
    let chicago = ws.read(&format!("reports/KXHIGHCHI/scan_{STAMP}.md"));
    assert!(
        chicago.contains(
            "strategy weather: Chicago Midway forecast high 36 (nws_forecast_chi (fixture)) + bias -0.4, σ 2.2"
        ),
        "{chicago}"
    );

    // Calibration per station from its settled history (Kalshi settlements and the CLI):
    // Midway's errors +1, −1, +2, +2 → bias 1.0, σ √2; LAX's −1, +1, −1, −1 → bias −0.5, σ 1.
    let fitted = |series: &str| -> serde_json::Value {
        let out = ws.run(&["calibrate", series, "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_str(&stdout(&out)).unwrap()
    };
    let c = fitted("KXHIGHCHI");
    assert_eq!((c["calibration"]["observations"].as_u64(), c["calibration"]["city"].as_str()), (Some(4), Some("chi")));
    assert_eq!(c["calibration"]["params"]["bias"], 1.0);
    assert!((c["calibration"]["params"]["error_std"].as_f64().unwrap() - 2f64.sqrt()).abs() < 1e-12);
    let l = fitted("KXHIGHLAX");
    assert_eq!(
        (l["calibration"]["params"]["bias"].as_f64(), l["calibration"]["params"]["error_std"].as_f64()),
        (Some(-0.5), Some(1.0))
    );
    assert!(ws.path("data/proc/calibration/weather_chi.toml").exists());
    assert!(ws.path("data/proc/calibration/weather_lax.toml").exists());
    assert!(!ws.path("data/proc/calibration/weather_nyc.toml").exists(), "New York was not fitted");
    // Each city prices with its own fit: Midway 36 + 1.0, σ √2 → P(36–37) = 0.49374.
    assert!(scan(&ws, &["--series", "KXHIGHCHI"]).status.success());
    assert!((row("KXHIGHCHI", "KXHIGHCHI-26NOV25-B36.5") - 0.493_741_011_910_876).abs() < 1e-9);
    assert!(ws.read(&format!("reports/KXHIGHCHI/scan_{STAMP}.md")).contains("| calibration_age_hours | 0.0 |"));
    // New York's gate still says it has no calibration of its own.
    assert!(scan(&ws, &["--series", "KXHIGHNY"]).status.success());
    assert!(ws.read(&format!("reports/KXHIGHNY/scan_{STAMP}.md")).contains("| calibration_age_hours | unknown |"));

    // A climate report from another station is refused, naming it.
    let out = ws.run(&["data", "parse", "nws_cli_chi", "fixtures/data/nws_cli/cli_nyc_2026-11-24.json"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("the report is CLINYC, not CLIMDW"), "{}", stderr(&out));
}
