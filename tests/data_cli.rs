//! The data drivers through the binary: every bundled fixture parses; bad payloads are named
//! errors (source, file, line or field) that leave the last good table in place; fetches go to
//! a loopback server (User-Agent sent, browser agent where a site needs one, retries), and when
//! it fails the fallback order is the newest cached file, then the bundled fixture, each said;
//! `calibrate` and `backtest` work from the fixtures. Loopback only.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use common::{Workspace, stderr, stdout};

/// A loopback HTTP server answering every request with the next canned response for its path
/// (the last one repeats), recording each request's first line and User-Agent.
struct Server {
    base: String,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

/// Canned answers (status, body) by path prefix.
type Routes = Vec<(&'static str, Vec<(u16, Vec<u8>)>)>;

fn serve(routes: Routes) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let routes = Arc::new(Mutex::new(routes));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            if reader.read_line(&mut first).is_err() {
                continue;
            }
            let (mut agent, mut length) = (String::new(), 0usize);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("user-agent:") {
                    agent = v.trim().to_string();
                }
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            log.lock().unwrap().push((first.trim().to_string(), agent));
            let path = first.split_whitespace().nth(1).unwrap_or("").to_string();
            let (status, bytes) = {
                let mut routes = routes.lock().unwrap();
                match routes.iter_mut().find(|(p, _)| path.starts_with(p)) {
                    Some((_, answers)) if answers.len() > 1 => answers.remove(0),
                    Some((_, answers)) => answers[0].clone(),
                    None => (404, b"not found".to_vec()),
                }
            };
            let head = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", bytes.len());
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&bytes);
        }
    });
    Server { base, seen }
}

/// Points every base URL at the server.
fn point_at(ws: &Workspace, base: &str) {
    let text = ws.read("configs/data.toml");
    let mut out = String::new();
    for line in text.lines() {
        match line.split_once(" = \"https://") {
            Some((key, _)) if !line.starts_with('#') => out.push_str(&format!("{key} = \"{base}\"\n")),
            _ => out.push_str(&format!("{line}\n")),
        }
    }
    ws.write("configs/data.toml", &out.replace("retries = 3", "retries = 1"));
}

fn fixture(ws: &Workspace, source: &str) -> String {
    let dir = ws.path(&format!("fixtures/data/{source}"));
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.last().unwrap().display().to_string()
}

#[test]
fn every_fixture_parses() {
    let ws = Workspace::new();
    for source in stdout(&ws.run(&["data", "list"])).lines().map(|l| l.split_whitespace().next().unwrap().to_string()) {
        for entry in std::fs::read_dir(ws.path(&format!("fixtures/data/{source}"))).unwrap() {
            let file = entry.unwrap().path().display().to_string();
            let out = ws.run(&["data", "parse", &source, &file, "--json"]);
            assert!(out.status.success(), "{source} {file}: {}", stderr(&out));
            let table: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
            assert!(!table["rows"].as_array().unwrap().is_empty(), "{source} {file}");
        }
    }
}

#[test]
fn bad_payloads_are_named_errors() {
    let ws = Workspace::new();
    let cases: [(&str, &str, &str, &str); 5] = [
        (
            "treasury",
            "page.csv",
            "<!DOCTYPE html><html><body>Service Unavailable</body></html>",
            "treasury: page.csv: line 1: an HTML page",
        ),
        (
            "treasury",
            "cut.csv",
            "Date,\"10 Yr\",\"30 Yr\"\n06/12/2026,4.52,4.81\n06/11/2026,4.5",
            "treasury: cut.csv: line 3",
        ),
        (
            "bls",
            "refused.json",
            r#"{"status":"REQUEST_NOT_PROCESSED","responseTime":12,"message":["daily threshold reached"],"Results":{}}"#,
            "bls: refused.json: status: REQUEST_NOT_PROCESSED: daily threshold reached",
        ),
        (
            "fred",
            "bad.csv",
            "observation_date,DGS10\n2026-06-12,4.5x\n",
            "fred: bad.csv: line 2, DGS10: `4.5x` is not a number",
        ),
        ("nws_cli", "cli.txt", "no summary here", "nws_cli: cli.txt: no \"CLIMATE SUMMARY FOR"),
    ];
    for (source, file, body, expected) in cases {
        ws.write(file, body);
        let out = ws.run(&["data", "parse", source, file]);
        assert_eq!(out.status.code(), Some(1), "{source}");
        assert!(stderr(&out).contains(expected), "{source}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "no partial output");
    }
}

#[test]
fn offline_fetch_uses_the_fixture_and_says_so() {
    let ws = Workspace::new();
    let out = ws.run(&["data", "fetch", "bls", "nowcast", "--offline"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("from fixture (fallback: offline; using the fixture)"), "{}", stdout(&out));
    let show: serde_json::Value = serde_json::from_str(&stdout(&ws.run(&["data", "show", "bls", "--json"]))).unwrap();
    assert_eq!(show["origin"], "fixture");
    assert_eq!(show["as_of"], "2025-10-01");
    assert!(ws.path("data/proc/bls/bls.parquet").exists());
    let missing = ws.run(&["data", "show", "treasury"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("treasury: no table yet"), "{}", stderr(&missing));
}

#[test]
fn fetch_then_fall_back_to_cache_then_fixture_and_keep_the_last_good_table() {
    let ws = Workspace::new();
    let csv = std::fs::read(fixture(&ws, "treasury")).unwrap();
    let nowcast = std::fs::read(fixture(&ws, "nowcast")).unwrap();
    let server = serve(vec![
        // Good once, then failing; then an HTML error page with HTTP 200.
        (
            "/resource-center/data-chart-center/interest-rates/daily-treasury-rates.csv",
            vec![(200, csv.clone()), (503, vec![]), (503, vec![]), (200, b"<html><body>Error</body></html>".to_vec())],
        ),
        ("/-/media/files/webcharts/inflationnowcasting/nowcast_month.json", vec![(200, nowcast)]),
    ]);
    point_at(&ws, &server.base);
    let first = ws.run(&["data", "fetch", "treasury", "nowcast"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains("treasury         37 rows, as of 2026-11-24, from network"), "{}", stdout(&first));
    let seen = server.seen.lock().unwrap().clone();
    assert!(
        seen.iter().any(|(line, agent)| line.contains("treasury") && agent.starts_with("kalshi-alpha/")),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|(line, agent)| line.contains("nowcast") && agent.starts_with("mozilla/")),
        "browser agent: {seen:?}"
    );
    let shown = |ws: &Workspace, source: &str| -> serde_json::Value {
        serde_json::from_str(&stdout(&ws.run(&["data", "show", source, "--json"]))).unwrap()
    };
    let fetched_at = shown(&ws, "treasury")["fetched_at"].clone();
    assert!(fetched_at.is_string(), "{fetched_at}");
    std::thread::sleep(std::time::Duration::from_millis(1200));
    // The server fails (503 twice: the retry too): the cached file from the first fetch is used.
    let second = ws.run(&["data", "fetch", "treasury"]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stdout(&second).contains("from cache (fallback:") && stdout(&second).contains("HTTP 503"),
        "{}",
        stdout(&second)
    );
    // Served later, the cached payload keeps its own age: fetched at the first fetch (the
    // file's name keeps milliseconds), not now.
    let cached = shown(&ws, "treasury");
    let first_at: chrono::DateTime<chrono::Utc> = fetched_at.as_str().unwrap().parse().unwrap();
    let cached_at: chrono::DateTime<chrono::Utc> = cached["fetched_at"].as_str().unwrap().parse().unwrap();
    assert!((cached_at - first_at).num_milliseconds().abs() < 2, "{cached_at} vs {first_at}");
    assert!(cached["age_secs"].as_f64().unwrap() >= 1.2, "{cached}");
    let meta_before = ws.read("data/proc/treasury/meta.json");
    // An HTML page with status 200 is a bad payload: named error, exit 1, table untouched.
    let third = ws.run(&["data", "fetch", "treasury"]);
    assert_eq!(third.status.code(), Some(1));
    assert!(
        stderr(&third).contains("an HTML page") && stderr(&third).contains("kept the last good table"),
        "{}",
        stderr(&third)
    );
    assert_eq!(ws.read("data/proc/treasury/meta.json"), meta_before);
    // Nothing cached and nothing served: the bundled fixture.
    let fred = ws.run(&["data", "fetch", "fred"]);
    assert!(fred.status.success(), "{}", stderr(&fred));
    assert!(
        stdout(&fred).contains("from fixture (fallback:") && stdout(&fred).contains("HTTP 404"),
        "{}",
        stdout(&fred)
    );
    // A bundled fixture has no fetch time: its age is unknown, and said so.
    let fixture = shown(&ws, "fred");
    assert!(fixture["fetched_at"].is_null() && fixture["age_secs"].is_null(), "{fixture}");
    assert!(stdout(&ws.run(&["data", "show", "fred"])).contains("age unknown"));
}

#[test]
fn calibrate_and_backtest_from_the_fixtures() {
    let ws = Workspace::new();
    let out = ws.run(&["calibrate", "KXHIGHNY", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let c: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    // Forecast − settled pairs from the fixtures: +1, −1, +1, +2 → bias 0.75, σ √(4.75/3).
    assert_eq!(c["calibration"]["observations"], 4);
    assert_eq!(c["calibration"]["params"]["bias"], 0.75);
    let std = c["calibration"]["params"]["error_std"].as_f64().unwrap();
    assert!((std - (4.75f64 / 3.0).sqrt()).abs() < 1e-12, "{std}");
    assert!(ws.read("data/proc/calibration/weather_nyc.toml").contains("from = \"2026-11-21\""));
    // A second run gives the same file content but its time.
    let again: serde_json::Value =
        serde_json::from_str(&stdout(&ws.run(&["calibrate", "KXHIGHNY", "--json"]))).unwrap();
    assert_eq!(again["calibration"]["params"], c["calibration"]["params"]);

    let out = ws.run(&["backtest", "KXHIGHNY", "--from", "2026-11-20", "--to", "2026-11-24", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let events = r["events"].as_array().unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(r["skipped"].as_array().unwrap().len(), 1, "no forecast before 11-20");
    let mean = |k: &str| events.iter().map(|e| e[k].as_f64().unwrap()).sum::<f64>() / 4.0;
    assert!((r["model"]["crps"].as_f64().unwrap() - mean("model_rps")).abs() < 1e-12);
    assert!((r["market"]["crps"].as_f64().unwrap() - mean("market_rps")).abs() < 1e-12);
    // Each event's model used the forecast issued before its day (11-24: the 11-22 issue, 51°F).
    assert!(events[3]["view"].as_str().unwrap().contains("forecast high 51"), "{}", events[3]["view"]);
    let report = ws.read("reports/backtests/KXHIGHNY_2026-11-20_2026-11-24.md");
    assert!(report.contains("| market-implied PMF |") && report.contains("![reliability]"));
    let svg = ws.read("reports/backtests/KXHIGHNY_2026-11-20_2026-11-24_reliability.svg");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
}

#[test]
fn kalshi_lists_are_followed_through_their_cursors() {
    let ws = Workspace::new();
    let page = |tickers: &[&str], cursor: &str| {
        let markets: Vec<serde_json::Value> = tickers
            .iter()
            .map(|t| serde_json::json!({"ticker": t, "event_ticker": "KXHIGHNY-26NOV24", "result": "no", "strike_type": "greater", "floor_strike": 52, "expiration_value": "53"}))
            .collect();
        serde_json::to_vec(&serde_json::json!({ "markets": markets, "cursor": cursor })).unwrap()
    };
    let server = serve(vec![(
        "/markets",
        vec![
            (200, page(&["KXHIGHNY-26NOV24-T52", "KXHIGHNY-26NOV24-B51.5"], "p2")),
            (200, page(&["KXHIGHNY-26NOV24-B49.5"], "")),
        ],
    )]);
    point_at(&ws, &server.base);
    let out = ws.run(&["data", "fetch", "kalshi_settled", "--series", "KXHIGHNY"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("kalshi_settled   3 rows"), "{}", stdout(&out));
    let seen = server.seen.lock().unwrap().clone();
    assert!(seen[1].0.contains("&cursor=p2"), "{seen:?}");
    // The kept payload is one document in the API's shape.
    let meta: serde_json::Value = serde_json::from_str(&ws.read("data/proc/kalshi_settled/meta.json")).unwrap();
    let raw: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.path(meta["raw"].as_str().unwrap())).unwrap()).unwrap();
    assert_eq!((raw["markets"].as_array().unwrap().len(), raw["cursor"].as_str().unwrap()), (3, ""));
}

#[test]
fn weather_calibration_reads_only_its_own_series_settlements() {
    let ws = Workspace::new();
    // An S&P settlement kept in the cache: its value is an index level, not a temperature.
    let spx = serde_json::json!({ "markets": [{
        "ticker": "KXINXU-26NOV25H1600-T6800", "event_ticker": "KXINXU-26NOV25H1600", "market_type": "binary",
        "status": "finalized", "strike_type": "greater", "result": "yes", "expiration_value": "6812.40",
        "settlement_value_dollars": "1.0000", "close_time": "2026-11-25T21:00:00Z", "floor_strike": 6800
    }], "cursor": "" });
    std::fs::create_dir_all(ws.path("data/raw/kalshi_settled/2026-11-26")).unwrap();
    ws.write("data/raw/kalshi_settled/2026-11-26/120000.000.json", &spx.to_string());
    let out = ws.run(&["calibrate", "KXHIGHNY", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let c: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(c["calibration"]["observations"], 4, "{c}");
    assert_eq!(c["calibration"]["params"]["bias"], 0.75);
}

/// A forecast payload like the bundled 11-24 one, issued at `updated` with every high `high`.
fn planted_forecast(updated: &str, high: i64) -> String {
    let mut f: serde_json::Value = serde_json::from_slice(
        &std::fs::read("fixtures/data/nws_forecast/okx_33_37_forecast_2026-11-24.json").unwrap(),
    )
    .unwrap();
    f["properties"]["updateTime"] = serde_json::json!(updated);
    f["properties"]["generatedAt"] = serde_json::json!(updated);
    for period in f["properties"]["periods"].as_array_mut().unwrap() {
        period["temperature"] = serde_json::json!(high);
    }
    f.to_string()
}

#[test]
fn a_backtest_never_uses_a_payload_stamped_after_its_decision_time() {
    let backtest = |ws: &Workspace| -> serde_json::Value {
        let out = ws.run(&["backtest", "KXHIGHNY", "--from", "2026-11-24", "--to", "2026-11-24", "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_str(&stdout(&out)).unwrap()
    };
    let clean = backtest(&Workspace::new());
    let event = &clean["events"][0];
    // KXHIGHNY decides at 07:00 New York (12:00 UTC) on the event day.
    assert_eq!(event["decision"], "2026-11-24T12:00:00Z");
    // Parameters fitted only on outcomes public before the decision: not the day itself.
    assert_eq!(
        event["params"], "fitted on 3 observation(s) 2026-11-21…2026-11-23 public before the decision",
        "{event}"
    );

    // The canary: a forecast of 80 °F stamped one minute after the decision (its own
    // updateTime; the file's name says nothing). Using it would move the whole PMF.
    let ws = Workspace::new();
    ws.write(
        "fixtures/data/nws_forecast/okx_33_37_forecast_2026-11-24_canary.json",
        &planted_forecast("2026-11-24T12:01:00+00:00", 80),
    );
    let planted = backtest(&ws);
    for key in ["model_bins", "model_rps", "view", "fills", "pnl", "params"] {
        assert_eq!(planted["events"][0][key], event[key], "{key} changed: the canary was used");
    }

    // The control: the same payload stamped one minute before the decision is used.
    let ws = Workspace::new();
    ws.write(
        "fixtures/data/nws_forecast/okx_33_37_forecast_2026-11-24_canary.json",
        &planted_forecast("2026-11-24T11:59:00+00:00", 80),
    );
    let used = backtest(&ws);
    assert_ne!(used["events"][0]["model_bins"], event["model_bins"]);
    assert!(used["events"][0]["view"].as_str().unwrap().contains("forecast high 80"), "{}", used["events"][0]["view"]);
}

#[test]
fn a_strategy_input_past_its_max_age_makes_the_series_no_go_naming_the_source() {
    let ws = Workspace::new();
    // A Treasury table fetched on Nov 1: by Nov 24 it is far past its 72 h.
    let cached = ws.path("data/raw/treasury/2026-11-01/120000.000.csv");
    std::fs::create_dir_all(cached.parent().unwrap()).unwrap();
    std::fs::copy(ws.path("fixtures/data/treasury/daily-treasury-rates_2026.csv"), &cached).unwrap();
    let fetch = ws.run(&["data", "fetch", "treasury", "--offline"]);
    assert!(fetch.status.success(), "{}", stderr(&fetch));
    let out = ws.run(&["scan", "--offline", "--series", "KXTNOTED", "--now", "2026-11-24T15:00:00Z"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("KXTNOTED         NO-GO"), "{}", stdout(&out));
    let doc: serde_json::Value =
        serde_json::from_str(&ws.read("data/proc/proposals/KXTNOTED/proposals_20261124T150000Z.json")).unwrap();
    let reasons = doc["gate"]["reasons"].as_array().unwrap();
    assert!(
        reasons.iter().any(|r| r.as_str().unwrap().starts_with("MODEL_DATA_STALE: treasury: stale:")),
        "{reasons:?}"
    );
}

#[test]
fn index_calibration_fits_each_symbol_and_horizon_with_its_skew() {
    let ws = Workspace::new();
    let out = ws.run(&["calibrate", "KXINXU", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let c: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let params = &c["calibration"]["params"];
    // The bundled bars are the S&P 500's: its hourly and close fits exist, the Nasdaq-100's
    // stay with the configured volatility × ndx_vol_ratio.
    for key in ["spx_hourly", "spx_close"] {
        let shape = params[key]["shape"].as_f64().unwrap();
        assert!(shape.is_finite() && shape != 0.0, "{key}: {shape}");
        assert_eq!(params[key]["minute_vol"], params["minute_vol"]);
    }
    assert!(params["ndx_hourly"].is_null() && params["ndx_close"].is_null(), "{params}");
    // The hourly ladder now prices with the hourly skew.
    assert!(ws.run(&["scan", "--offline", "--series", "KXINXU", "--now", "2026-11-24T15:00:00Z"]).status.success());
    let shape = params["spx_hourly"]["shape"].as_f64().unwrap();
    let report = ws.read("reports/KXINXU/scan_20261124T150000Z.md");
    assert!(report.contains(&format!("skew-normal shape {shape}")), "{shape}: {report}");
}

#[test]
fn a_city_without_a_known_gridpoint_looks_its_forecast_up_from_the_station_point() {
    let ws = Workspace::new();
    let forecast = std::fs::read("fixtures/data/nws_forecast_chi/lot_forecast_2026-11-24.json").unwrap();
    // weather.gov names the forecast by its own host; the fetch asks the configured base.
    let point = br#"{"properties":{"gridId":"LOT","gridX":72,"gridY":69,"forecast":"https://api.weather.gov/gridpoints/LOT/72,69/forecast"}}"#;
    let server = serve(vec![
        ("/points/41.7868,-87.7522", vec![(200, point.to_vec())]),
        ("/gridpoints/LOT/72,69/forecast", vec![(200, forecast)]),
    ]);
    point_at(&ws, &server.base);
    let out = ws.run(&["data", "fetch", "nws_forecast_chi"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let seen: Vec<String> = server.seen.lock().unwrap().iter().map(|(line, _)| line.clone()).collect();
    assert_eq!(
        seen,
        ["GET /points/41.7868,-87.7522 HTTP/1.1", "GET /gridpoints/LOT/72,69/forecast HTTP/1.1"],
        "the point, then the forecast it names"
    );
    let shown = ws.run(&["data", "show", "nws_forecast_chi", "--json"]);
    assert!(stdout(&shown).contains("2026-11-25"), "{}", stdout(&shown));
}

#[test]
fn the_release_pdf_reads_with_an_embedded_font() {
    // The bundled release's text set in an embedded TrueType subset (glyph ids in hex strings
    // and a ToUnicode map, as word processors write them; made with fpdf2 and DejaVu Serif).
    let ws = Workspace::new();
    let pdf = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/claims_release_embedded_font.pdf");
    for file in [pdf, "fixtures/data/claims_release/ui_claims_2025-11-26.pdf"] {
        let out = ws.run(&["data", "parse", "claims_release", file]);
        assert!(out.status.success(), "{file}: {}", stderr(&out));
        assert!(stdout(&out).contains("2025-11-22  216000"), "{file}: {}", stdout(&out));
    }
    // A file that is not a PDF's text is an error naming it, not a panic.
    ws.write("broken.pdf", "%PDF-1.7\n1 0 obj << /Type /Catalog >>\n%%EOF\n");
    let out = ws.run(&["data", "parse", "claims_release", "broken.pdf"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("broken.pdf") && stderr(&out).contains("cannot be read"), "{}", stderr(&out));
}
