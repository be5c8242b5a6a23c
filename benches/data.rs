//! Driver and research costs: parse throughput on the largest payloads (a national
//! `ar539.csv`-sized states file, 50,000 index minute bars, a nowcast file with a chart per
//! month since 2013), and a backtest over a year of one series (365 settled NYC-temperature
//! events with forecasts and hourly candles), all generated in the sources' formats.

use std::fmt::Write;
use std::path::Path;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use kalshi_alpha::drivers::source::Source;
use kalshi_alpha::drivers::store::DataStore;

fn states_csv() -> Vec<u8> {
    let mut out = String::from(
        "\"st\",\"rptdate\",\"c1\",\"c2\",\"c3\",\"c4\",\"c5\",\"c6\",\"c7\",\"c8\",\"c9\",\"c10\",\"c11\",\"c12\",\"c18\",\"c19\"\n",
    );
    let start = NaiveDate::from_ymd_opt(2006, 1, 7).unwrap();
    for week in 0..(52 * 20) {
        let day = start + Duration::weeks(week);
        for st in 0..53 {
            let _ = writeln!(
                out,
                "\"S{st:02}\",\"{day}\",{},{},{},0,0,3,0,{},40,0,11,0,{},1.1",
                week % 52 + 1,
                day - Duration::days(7),
                1000 + st * 37,
                7000 + st * 11,
                120_000 + st
            );
        }
    }
    out.into_bytes()
}

fn index_aggs(n: usize) -> Vec<u8> {
    let t0 = Utc.with_ymd_and_hms(2026, 1, 2, 14, 30, 0).unwrap().timestamp_millis();
    let results: Vec<String> = (0..n)
        .map(|i| {
            let c = 6800.0 + (i as f64 * 0.37).sin() * 12.0;
            format!(
                "{{\"o\":{c:.2},\"h\":{:.2},\"l\":{:.2},\"c\":{c:.2},\"t\":{}}}",
                c + 0.8,
                c - 0.8,
                t0 + i as i64 * 60_000
            )
        })
        .collect();
    format!("{{\"ticker\":\"I:SPX\",\"queryCount\":{n},\"resultsCount\":{n},\"adjusted\":true,\"results\":[{}],\"status\":\"OK\",\"request_id\":\"x\"}}", results.join(",")).into_bytes()
}

fn nowcast(months: usize) -> Vec<u8> {
    let charts: Vec<String> = (0..months)
        .map(|m| {
            let (y, mo) = (2013 + (m / 12) as i32, (m % 12) as u32 + 1);
            let labels: Vec<String> = (1..=40).map(|d| format!("{{\"label\":\"{:02}/{:02}\"}}", mo, d % 28 + 1)).collect();
            let values: Vec<String> = (0..40).map(|d| format!("{{\"value\":\"0.{:02}\"}}", 15 + d % 20)).collect();
            format!(
                "{{\"chart\":{{\"subcaption\":\"{y}-{mo}\"}},\"categories\":[{{\"category\":[{}]}}],\"dataset\":[{{\"seriesname\":\"CPI Inflation\",\"data\":[{}]}},{{\"seriesname\":\"Core CPI Inflation\",\"data\":[{}]}}]}}",
                labels.join(","),
                values.join(","),
                values.join(",")
            )
        })
        .collect();
    format!("[{}]", charts.join(",")).into_bytes()
}

fn parse_throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    group.sample_size(10);
    for (source, name, bytes) in [
        (Source::ClaimsStates, "ar539_csv_55k_rows", states_csv()),
        (Source::IndexAggs, "index_aggs_50k_bars", index_aggs(50_000)),
        (Source::Nowcast, "nowcast_156_charts", nowcast(156)),
    ] {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| b.iter(|| source.parse(black_box(&bytes), "bench").unwrap().rows.len()));
    }
    group.finish();
}

/// A year of settled KXHIGHNY events with a forecast issued the day before each and hourly
/// candles for every market, under `root/fixtures/data`.
fn year_of_weather(root: &Path) {
    let data = root.join("fixtures/data");
    let start = NaiveDate::from_ymd_opt(2025, 1, 2).unwrap();
    let bins: [(&str, &str, Option<f64>, Option<f64>); 6] = [
        ("T45", "less", None, Some(45.0)),
        ("B45.5", "between", Some(45.0), Some(46.0)),
        ("B47.5", "between", Some(47.0), Some(48.0)),
        ("B49.5", "between", Some(49.0), Some(50.0)),
        ("B51.5", "between", Some(51.0), Some(52.0)),
        ("T52", "greater", Some(52.0), None),
    ];
    let mut settled = Vec::new();
    for i in 0..365 {
        let day = start + Duration::days(i);
        let actual = 40 + i * 7 % 17;
        let forecast = actual + i % 5 - 2;
        let code = day.format("%y%b%d").to_string().to_uppercase();
        let event = format!("KXHIGHNY-{code}");
        let issued = day - Duration::days(1);
        let forecast_json = serde_json::json!({"properties": {"updateTime": format!("{issued}T18:00:00+00:00"), "periods": [
            {"startTime": format!("{day}T06:00:00-05:00"), "isDaytime": true, "temperature": forecast, "temperatureUnit": "F"}]}});
        let dir = data.join("nws_forecast");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("f_{issued}.json")), forecast_json.to_string()).unwrap();
        let cutoff = chrono_tz::America::New_York
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .timestamp();
        let mut tickers = Vec::new();
        let mut lists = Vec::new();
        for (code, kind, lo, hi) in bins {
            let ticker = format!("{event}-{code}");
            let a = actual as f64;
            let yes = match kind {
                "less" => a < hi.unwrap(),
                "greater" => a > lo.unwrap(),
                _ => a >= lo.unwrap() && a <= hi.unwrap(),
            };
            settled.push(serde_json::json!({"ticker": ticker, "event_ticker": event, "strike_type": kind, "floor_strike": lo, "cap_strike": hi,
                "result": if yes { "yes" } else { "no" }, "expiration_value": actual.to_string()}));
            let candles: Vec<serde_json::Value> = (0..12)
                .map(|h| serde_json::json!({"end_period_ts": cutoff - 3600 * (12 - h), "yes_bid": {"close_dollars": "0.1500"}, "yes_ask": {"close_dollars": "0.2000"}, "price": {}, "volume_fp": "0.00"}))
                .collect();
            tickers.push(ticker);
            lists.push(candles);
        }
        let dir = data.join("kalshi_candles");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(format!("{event}.json")),
            serde_json::json!({"market_tickers": tickers, "market_candlesticks": lists}).to_string(),
        )
        .unwrap();
    }
    let dir = data.join("kalshi_settled");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("settled.json"), serde_json::json!({"markets": settled, "cursor": ""}).to_string())
        .unwrap();
}

fn backtest_year(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    year_of_weather(dir.path());
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = dir.path().join("fixtures");
    std::fs::create_dir_all(fixtures.join("kalshi/series")).unwrap();
    std::fs::copy(repo.join("fixtures/kalshi/series/KXHIGHNY.json"), fixtures.join("kalshi/series/KXHIGHNY.json"))
        .unwrap();
    let store = DataStore::new(dir.path(), &fixtures);
    let config = kalshi_alpha::config::ScanConfig::load(&repo.join("configs")).unwrap();
    let request = kalshi_alpha::research::backtest::BacktestRequest {
        series: "KXHIGHNY",
        from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        configs: &repo.join("configs"),
        fixtures: &fixtures,
        store: &store,
        out_root: dir.path(),
        scan: kalshi_alpha::scan::ScanParams {
            min_ev: "0.01".parse().unwrap(),
            contracts: kalshi_alpha::model::Count::from_whole(10).unwrap(),
            max_bins: 2,
            maker_only: true,
            rounding: config.fees.rounding,
            kelly_cap: 0.25,
            sizing: kalshi_alpha::scan::Sizing::Fixed,
        },
    };
    let report = kalshi_alpha::research::backtest::backtest(&request, &indicatif::ProgressBar::hidden()).unwrap();
    assert_eq!(report.events.len(), 365, "every event has a forecast issued the day before");
    let mut group = c.benchmark_group("backtest");
    group.sample_size(10);
    group.bench_function("kxhighny_one_year_365_events", |b| {
        b.iter(|| {
            kalshi_alpha::research::backtest::backtest(&request, &indicatif::ProgressBar::hidden())
                .unwrap()
                .events
                .len()
        })
    });
    group.finish();
}

criterion_group!(benches, parse_throughput, backtest_year);
criterion_main!(benches);
