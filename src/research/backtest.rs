//! `backtest SERIES --from --to`: scores the series' strategy against settled events. For each
//! settled event in the window: the ladder and results from the settled markets, the books at
//! the cutoff (00:00 New York on the event day) from the hourly candles, the data the strategy
//! could have seen then (each source's newest payload issued before the event day), the scan
//! (model PMF, market PMF, proposals through the core limits), and the scores — ranked
//! probability score (the discrete CRPS), Brier and log-loss for the model and for the
//! market-implied PMF as the baseline — and the realised P&L after fees of the proposals.
//! Writes a Markdown report with a reliability plot and a PMF-vs-market chart (SVG) under
//! `reports/backtests/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::America::New_York;
use indicatif::ProgressBar;

use crate::drivers::parse::{kalshi_history, nws};
use crate::drivers::source::Source;
use crate::drivers::store::DataStore;
use crate::model::{Count, Level, Money, OrderBook, Price, Side, Strike};
use crate::pricing::fees::{FeeMultiplier, FeeSchedule};
use crate::report::backtest::{BacktestReport, EventScore, Scores};
use crate::research::calibration::payloads;
use crate::risk::ceilings::{Verdict, resize};
use crate::risk::limits::{Decider, Ledger, LimitTable};
use crate::scan::{EventInput, LadderSnapshot, RungSnapshot, ScanParams, scan_event};
use crate::strategies::data::Provenance;
use crate::strategies::params::StrategyParams;
use crate::strategies::scoring;
use crate::strategies::{Strategy, event_date};

/// Why a backtest could not run.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BacktestError(pub String);

fn strike(m: &kalshi_history::Settled) -> Option<Strike> {
    Some(match m.strike_type.as_deref()? {
        "between" => Strike::Between { floor: m.floor_strike?, cap: m.cap_strike? },
        "greater" => Strike::Greater { floor: m.floor_strike? },
        "greater_or_equal" => Strike::GreaterOrEqual { floor: m.floor_strike? },
        "less" => Strike::Less { cap: m.cap_strike? },
        "less_or_equal" => Strike::LessOrEqual { cap: m.cap_strike? },
        _ => return None,
    })
}

/// When a payload of `source` was available: the forecast's update day, else the table's
/// latest date.
fn available_on(source: Source, bytes: &[u8], file: &str) -> Option<NaiveDate> {
    if source == Source::NwsForecast {
        return nws::forecast_highs(bytes, file).ok()?.first()?.updated.map(|u| u.date_naive());
    }
    source.parse(bytes, file).ok()?.as_of
}

fn book_at(candles: &[kalshi_history::CandleRow], ticker: &str, cutoff: chrono::DateTime<Utc>) -> OrderBook {
    let last = candles.iter().filter(|c| c.ticker == ticker && c.end <= cutoff).max_by_key(|c| c.end);
    let size = Count::from_whole(100).unwrap_or(Count::ZERO);
    let yes = last.and_then(|c| c.bid_close).map(|p| vec![Level { price: p, size }]).unwrap_or_default();
    let no = last.and_then(|c| c.ask_close).map(|p| vec![Level { price: p.complement(), size }]).unwrap_or_default();
    OrderBook::from_levels(yes, no)
}

/// What a backtest reads and where it writes.
#[derive(Debug, Clone)]
pub struct BacktestRequest<'a> {
    /// Series.
    pub series: &'a str,
    /// Window.
    pub from: NaiveDate,
    /// Window.
    pub to: NaiveDate,
    /// Configs (strategies.toml, limits.toml, fees).
    pub configs: &'a Path,
    /// Fixture root (series fees).
    pub fixtures: &'a Path,
    /// Data.
    pub store: &'a DataStore,
    /// Root for `reports/backtests/`.
    pub out_root: &'a Path,
    /// Scanner knobs.
    pub scan: ScanParams,
}

/// Runs a backtest and writes its report.
pub fn backtest(req: &BacktestRequest<'_>, bar: &ProgressBar) -> Result<BacktestReport, BacktestError> {
    let err = |e: &dyn std::fmt::Display| BacktestError(e.to_string());
    let strategy = Strategy::for_series(req.series)
        .ok_or_else(|| BacktestError(format!("{}: no strategy to backtest", req.series)))?;
    let config = crate::config::ScanConfig::load(req.configs).map_err(|e| err(&e))?;
    let mut params: StrategyParams =
        crate::decode::read_toml(&req.configs.join("strategies.toml")).map_err(|e| err(&e))?;
    let calibration_path = req.out_root.join("data/proc/calibration").join(format!("{strategy}.toml"));
    if calibration_path.exists() {
        let c = crate::decode::read_toml(&calibration_path).map_err(|e| err(&e))?;
        params = params.with(&c).map_err(|e| err(&e))?;
    }
    let series_file = req.fixtures.join("kalshi/series").join(format!("{}.json", req.series));
    let (fees, fee_note) = match crate::decode::read_json::<crate::kalshi::market_data::SeriesResponse>(&series_file) {
        Ok(s) => {
            let f = crate::feed::snapshot::series_fees(&s.series, &config.fees).map_err(|e| err(&e))?;
            (f, format!("{} ×{} from {}", f.fee_type().as_str(), f.multiplier(), series_file.display()))
        }
        Err(_) => {
            let f = FeeSchedule::quadratic_with_maker_fees(FeeMultiplier::ONE);
            (
                f,
                format!(
                    "{} ×{} (assumed: no series file at {})",
                    f.fee_type().as_str(),
                    f.multiplier(),
                    series_file.display()
                ),
            )
        }
    };
    // Settled markets of the series in the window, by event.
    let mut events: BTreeMap<String, Vec<kalshi_history::Settled>> = BTreeMap::new();
    for (path, bytes) in payloads(req.store, Source::KalshiSettled, bar) {
        for m in kalshi_history::settled(&bytes, &path.display().to_string()).map_err(|e| err(&e))? {
            let Some(day) = event_date::parse(&m.event).map(|d| d.day()) else { continue };
            if m.event.starts_with(&format!("{}-", req.series)) && day >= req.from && day <= req.to {
                let list = events.entry(m.event.clone()).or_default();
                if !list.iter().any(|x| x.ticker == m.ticker) {
                    list.push(m);
                }
            }
        }
    }
    let mut candles = Vec::new();
    for (path, bytes) in payloads(req.store, Source::KalshiCandles, bar) {
        candles.extend(kalshi_history::candlesticks(&bytes, &path.display().to_string()).map_err(|e| err(&e))?);
    }
    // Every payload of the strategy's sources with the day it became available.
    // The climate report is the weather outcome itself: never an input to score it.
    let sources: Vec<Source> = strategy.sources().iter().copied().filter(|s| *s != Source::NwsCli).collect();
    let mut history: Vec<(Source, NaiveDate, PathBuf, Vec<u8>)> = Vec::new();
    for source in &sources {
        for (path, bytes) in payloads(req.store, *source, bar) {
            if let Some(day) = available_on(*source, &bytes, &path.display().to_string()) {
                history.push((*source, day, path, bytes));
            }
        }
    }
    let table = LimitTable::new(config.limits.clone(), None, None);
    let mut scored = Vec::new();
    let mut skipped = Vec::new();
    let mut pairs = Vec::new();
    let mut market_pairs = Vec::new();
    for (event, markets) in &events {
        bar.set_message(event.clone());
        bar.inc(1);
        let Some(date) = event_date::parse(event) else { continue };
        let day = date.day();
        let same_day = strategy == Strategy::Index;
        let mut inputs = Vec::new();
        for source in &sources {
            let newest = history
                .iter()
                .filter(|(s, d, ..)| s == source && if same_day { *d <= day } else { *d < day })
                .max_by_key(|(_, d, p, _)| (*d, p.clone()));
            if let Some((s, _, path, bytes)) = newest {
                inputs.push((
                    *s,
                    bytes.clone(),
                    Provenance { origin: "history".into(), file: path.display().to_string(), age_secs: None },
                ));
            }
        }
        let data = crate::research::dataset::from_payloads(inputs);
        let priced = match crate::strategies::price(req.series, event, &data, &params) {
            Ok(Some(p)) => p,
            Ok(None) => continue,
            Err(e) => {
                skipped.push((event.clone(), e.to_string()));
                continue;
            }
        };
        let midnight = day.and_time(chrono::NaiveTime::MIN);
        // New York midnight always exists (its DST changes happen at 02:00).
        let cutoff =
            New_York.from_local_datetime(&midnight).earliest().map_or(midnight.and_utc(), |t| t.with_timezone(&Utc));
        let mut rungs = Vec::new();
        for m in markets {
            let Some(strike) = strike(m) else {
                skipped.push((event.clone(), format!("{}: no strike rule", m.ticker)));
                continue;
            };
            rungs.push((
                m,
                RungSnapshot {
                    ticker: m.ticker.clone(),
                    strike,
                    tradeable: true,
                    book: book_at(&candles, &m.ticker, cutoff),
                    book_age_ms: 0,
                },
            ));
        }
        let snapshot = LadderSnapshot {
            series: req.series.to_string(),
            event: event.clone(),
            title: event.clone(),
            fees,
            rungs: rungs.iter().map(|(_, r)| r.clone()).collect(),
            source: "backtest".into(),
        };
        let mut decider = Decider::new(&table, None, Ledger::default());
        let scan = match scan_event(EventInput { snapshot: &snapshot, view: &priced.view }, &req.scan, &mut decider) {
            Ok(s) => s,
            Err(e) => {
                skipped.push((event.clone(), e.to_string()));
                continue;
            }
        };
        // Results in the scan's (ladder) order.
        let result_of = |ticker: &str| markets.iter().find(|m| m.ticker == ticker).is_some_and(|m| m.result == "yes");
        let results: Vec<bool> = scan.rows.iter().map(|r| result_of(&r.ticker)).collect();
        let range = scan.kind == crate::model::LadderKind::Range;
        let Some(outcome) = scoring::outcome_bin(range, &results) else {
            skipped.push((event.clone(), "no market settled YES".into()));
            continue;
        };
        for (row, r) in scan.rows.iter().zip(&results) {
            pairs.push((row.model_p, *r));
            market_pairs.push((row.market_p, *r));
        }
        let mut pnl = Money::ZERO;
        let mut proposals = 0;
        for d in scan.decisions.iter().filter(|d| d.verdict != Verdict::Denied && !d.allowed.is_zero()) {
            let p = resize(&d.proposal, d.allowed, &fees, config.fees.rounding);
            let won = result_of(&p.ticker) == (p.side == Side::Yes);
            let payout = if won { p.count.times(Price::ONE) } else { Money::ZERO };
            pnl += payout - p.count.times(p.price) - p.fee;
            proposals += 1;
        }
        let labels = if range {
            scan.rows.iter().map(|r| r.label.clone()).collect()
        } else {
            (0..scan.model_bins.len()).map(|i| format!("bin {i}")).collect()
        };
        scored.push(EventScore {
            event: event.clone(),
            value: markets.iter().find_map(|m| m.expiration_value.clone()),
            outcome_bin: outcome,
            model_rps: scoring::rps(&scan.model_bins, outcome),
            market_rps: scoring::rps(&scan.market_bins, outcome),
            model_log_loss: scoring::log_loss(&scan.model_bins, outcome),
            market_log_loss: scoring::log_loss(&scan.market_bins, outcome),
            model_bins: scan.model_bins.clone(),
            market_bins: scan.market_bins.clone(),
            labels,
            proposals,
            pnl,
            view: priced.view.note.clone().unwrap_or_default(),
        });
    }
    if scored.is_empty() {
        let why: Vec<String> = skipped.iter().map(|(e, w)| format!("{e}: {w}")).collect();
        return Err(BacktestError(format!(
            "{}: no settled event could be scored between {} and {} ({})",
            req.series,
            req.from,
            req.to,
            if why.is_empty() {
                "no settled markets: `data fetch kalshi_settled --series …`".into()
            } else {
                why.join("; ")
            }
        )));
    }
    let mean = |f: &dyn Fn(&EventScore) -> f64| scored.iter().map(f).sum::<f64>() / scored.len() as f64;
    let model =
        Scores { crps: mean(&|e| e.model_rps), brier: scoring::brier(&pairs), log_loss: mean(&|e| e.model_log_loss) };
    let market = Scores {
        crps: mean(&|e| e.market_rps),
        brier: scoring::brier(&market_pairs),
        log_loss: mean(&|e| e.market_log_loss),
    };
    let dir = req.out_root.join("reports/backtests");
    let stem = format!("{}_{}_{}", req.series, req.from, req.to);
    let mut report = BacktestReport {
        series: req.series.to_string(),
        from: req.from,
        to: req.to,
        proposals: scored.iter().map(|e| e.proposals).sum(),
        pnl_after_fees: scored.iter().map(|e| e.pnl).sum(),
        reliability: scoring::reliability(&pairs, 10),
        events: scored,
        skipped,
        model,
        market,
        fees: fee_note,
        report: dir.join(format!("{stem}.md")),
    };
    let reliability_svg = crate::report::svg::reliability(&report.reliability);
    let last = report.events.last().expect("scored is not empty");
    let pmf_svg = crate::report::svg::pmf_vs_market(
        &last.event,
        &last.labels,
        &last.model_bins,
        &last.market_bins,
        last.outcome_bin,
    );
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        crate::storage::write_replace(&path, text.as_bytes())
            .map_err(|e| BacktestError(format!("{}: {e}", path.display())))
    };
    write(&format!("{stem}_reliability.svg"), &reliability_svg)?;
    write(&format!("{stem}_pmf.svg"), &pmf_svg)?;
    report.report = dir.join(format!("{stem}.md"));
    write(&format!("{stem}.md"), &crate::report::backtest::render(&report, &stem))?;
    Ok(report)
}
