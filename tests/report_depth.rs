//! Series reports at the original's depth: the pilot header, mispricings and kinks, net ladder
//! exposure with VaR (the live check's functions, for dry and paper books), fill and slippage,
//! and Kelly sizing — each figure checked by hand on the bundled NYC ladder.

mod common;

use common::{Workspace, paper_watch_session, stderr};
use serde_json::Value;

const NOW: &str = "2026-11-24T15:00:00Z";
const STAMP: &str = "20261124T150000Z";

fn proposals(ws: &Workspace, series: &str) -> Value {
    serde_json::from_str(&ws.read(&format!("data/proc/proposals/{series}/proposals_{STAMP}.json"))).unwrap()
}

#[test]
fn a_dry_scan_shows_all_four_sections_with_hand_checked_figures() {
    let ws = Workspace::new();
    let out = ws.run(&["scan", "--offline", "--series", "KXHIGHNY", "--now", NOW]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = ws.read(&format!("reports/KXHIGHNY/scan_{STAMP}.md"));
    // The pilot header comes first, before the run's details.
    let pilot = report.find("## Pilot").unwrap();
    assert!(pilot < report.find("- Generated:").unwrap(), "{report}");
    assert!(report.contains("| dry | fixed | 0.25 | 0.6000 | 2 order(s) | 7.42 |"), "{report}");
    // Net exposure of YES 10 @ 0.27 on 47–48 and NO 8 @ 0.59 on 49–50: in 47–48 the YES pays
    // 10 − 2.70 and the NO 8 − 4.72 → 10.58; in 49–50 both lose → −7.42; elsewhere
    // −2.70 + 3.28 = 0.58. VaR at 95 %: the 32.4 % bin alone passes the 5 % tail → 7.42.
    for row in ["| 47–48 | 31.2% | 10.58 |", "| 49–50 | 32.4% | -7.42 |", "| < 45 | 3.1% | 0.58 |"] {
        assert!(report.contains(row), "{row}: {report}");
    }
    assert!(report.contains("KXHIGHNY-26NOV25 — 2 holding(s), VaR 7.42"), "{report}");
    assert!(report.contains("- VaR at 0.9500 per event: KXHIGHNY-26NOV25 7.42"), "{report}");
    // The largest model–market gap: 49–50 at 32.4 % vs the market's 0.39/(Σ mids 1.01) = 38.6 %.
    assert!(
        report.contains(
            "- KXHIGHNY-26NOV25 — mispricing: KXHIGHNY-26NOV25-B49.5: model 32.4% vs market 38.6% (-6.2 pts)"
        ),
        "{report}"
    );
    assert!(report.contains("## Fill and slippage\n\nNone: no fill of this series in this session."), "{report}");
    // The same figures in the proposals JSON under stable keys.
    let doc = proposals(&ws, "KXHIGHNY");
    assert_eq!(doc["pilot"]["outstanding_notional"], "7.42");
    assert_eq!(doc["pilot"]["event_var"][0][1], "7.42");
    assert_eq!(doc["net_ladder_exposure"][0]["bins"][2]["pnl"], "10.58");
    assert_eq!(doc["mispricings_and_kinks"][0]["kinks"][0]["kind"], "mispricing");
    assert_eq!(doc["fill_and_slippage"].as_array().unwrap().len(), 0);
    // A series whose index ladders move with another's: the family is named.
    assert!(ws.run(&["scan", "--offline", "--series", "KXINXU", "--now", NOW]).status.success());
    let inxu = proposals(&ws, "KXINXU");
    assert_eq!(inxu["pilot"]["family_var"][0][0], "KXINXU+KXNASDAQ100U 26NOV24H1600", "{:#}", inxu["pilot"]);
}

#[test]
fn kelly_sizes_the_readme_proposals_to_hand_computed_counts() {
    let ws = Workspace::new();
    let out = ws.run(&["scan", "--offline", "--series", "KXHIGHNY", "--sizing", "kelly", "--now", NOW]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = proposals(&ws, "KXHIGHNY");
    // YES 47–48 at 0.27 + 0.004 fee = 0.274 all-in, model 0.311969: f = (0.311969 − 0.274) /
    // 0.726 = 0.052298; × 50.00 (sizing.toml) = 2.6149 → ÷ 0.274 = 9.54 → 9 contracts.
    // NO 49–50 at 0.59 + 0.005 = 0.595, model 0.675766: f = 0.080766 / 0.405 = 0.199423;
    // × 50.00 = 9.9712 → ÷ 0.595 = 16.76 → 16, then the 5.00 strike cap clips it to 8.
    let sizes = doc["events"][0]["kelly_sizes"].as_array().unwrap();
    let size = |t: &str| sizes.iter().find(|s| s["ticker"] == t).unwrap().clone();
    assert_eq!(size("KXHIGHNY-26NOV25-B47.5")["contracts"], 9);
    assert_eq!(size("KXHIGHNY-26NOV25-B49.5")["contracts"], 16);
    assert!((size("KXHIGHNY-26NOV25-B47.5")["kelly"].as_f64().unwrap() - 0.052_298).abs() < 1e-6);
    let decision = |t: &str| {
        doc["events"][0]["decisions"].as_array().unwrap().iter().find(|d| d["proposal"]["ticker"] == t).unwrap().clone()
    };
    assert_eq!(
        (decision("KXHIGHNY-26NOV25-B47.5")["asked"].as_str(), decision("KXHIGHNY-26NOV25-B47.5")["allowed"].as_str()),
        (Some("9.00"), Some("9.00"))
    );
    assert_eq!(
        (decision("KXHIGHNY-26NOV25-B49.5")["asked"].as_str(), decision("KXHIGHNY-26NOV25-B49.5")["allowed"].as_str()),
        (Some("16.00"), Some("8.00"))
    );
    assert_eq!(doc["pilot"]["sizing"], "kelly");
    assert!(ws.read(&format!("reports/KXHIGHNY/scan_{STAMP}.md")).contains("| dry | kelly | 0.25 |"));
    // A series without a bankroll share is sized to nothing under Kelly.
    ws.edit("configs/sizing.toml", "KXHIGHNY = \"50.00\"\n", "");
    assert!(ws.run(&["scan", "--offline", "--series", "KXHIGHNY", "--sizing", "kelly", "--now", NOW]).status.success());
    let doc = proposals(&ws, "KXHIGHNY");
    assert!(doc["events"][0]["decisions"].as_array().unwrap().is_empty(), "{:#}", doc["events"][0]);
    assert!(doc["events"][0]["kelly_sizes"].as_array().unwrap().iter().all(|s| s["contracts"] == 0));
    // The default stays fixed: 10 contracts asked.
    assert!(ws.run(&["scan", "--offline", "--series", "KXHIGHNY", "--now", NOW]).status.success());
    assert_eq!(decision_of(&proposals(&ws, "KXHIGHNY"), "KXHIGHNY-26NOV25-B47.5")["asked"], "10.00");
}

fn decision_of(doc: &Value, ticker: &str) -> Value {
    doc["events"][0]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["proposal"]["ticker"] == ticker)
        .unwrap()
        .clone()
}

#[test]
fn a_paper_session_on_the_simulator_shows_its_fills_beside_the_decision() {
    let ws = Workspace::new();
    let _sim = paper_watch_session(&ws);
    let newest =
        std::fs::read_dir(ws.path("data/proc/proposals/KXHIGHNY")).unwrap().map(|e| e.unwrap().path()).max().unwrap();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(newest).unwrap()).unwrap();
    let fills = doc["fill_and_slippage"].as_array().unwrap();
    assert!(!fills.is_empty(), "{doc:#}");
    // YES 47–48 bought at 0.27 when the book was 0.27/0.31 (mid 0.29) and the model 0.311969;
    // NO 49–50 at 0.59 when the YES book was 0.37/0.41 (NO mid 0.61) and the model 0.675766.
    for f in fills {
        let (ticker, side) = (f["ticker"].as_str().unwrap(), f["side"].as_str().unwrap());
        let (mid, vs_model) = match (ticker, side) {
            ("KXHIGHNY-26NOV25-B47.5", "yes") => ("0.2900", 0.27 - 0.311_968_696),
            ("KXHIGHNY-26NOV25-B49.5", "no") => ("0.6100", 0.59 - 0.675_766_343),
            other => panic!("unexpected fill {other:?}"),
        };
        assert_eq!(f["decision_mid"], mid, "{f}");
        assert_eq!(f["vs_mid"], "-0.02", "{f}");
        assert!((f["vs_model"].as_f64().unwrap() - vs_model).abs() < 1e-6, "{f}");
        // The mid when the report was written, from the live books.
        assert!(f["later_mid"].is_string() && f["drift"].is_string(), "{f}");
    }
    // Paper books count for VaR as live would: the resting and filled orders' exposure.
    assert!(doc["net_ladder_exposure"][0]["holdings"].as_u64().unwrap() >= 1, "{:#}", doc["net_ladder_exposure"]);
    let report = std::fs::read_dir(ws.path("reports/KXHIGHNY")).unwrap().map(|e| e.unwrap().path()).max().unwrap();
    let text = std::fs::read_to_string(report).unwrap();
    assert!(text.contains("| KXHIGHNY-26NOV25-B47.5 | yes | maker |"), "{text}");
    assert!(text.contains("| paper | fixed | 0.25 | 0.6000 |"), "{text}");
}
