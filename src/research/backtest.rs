//! `backtest SERIES --from --to`: scores the series' strategy against settled events, point in
//! time. Each event is decided at its series' decision time (`configs/backtest.toml`,
//! `research::decision`): the strategy sees only rows public before that instant by their own
//! timestamps (`research::history`), with parameters fitted only on observations public before
//! it (`research::calibration::fit`; too few → the configured ones, said so); the book is the
//! last hourly candle ending by then; every approved order goes through the paper fill model
//! (`research::fills`: takers walk the candle's depth, makers are filled only by the recorded
//! trades after the cutoff, with fill-α). Scores: ranked probability score (the discrete
//! CRPS), Brier and log-loss for the model and the market-implied PMF, and the realised P&L
//! after fees of what filled. Writes a Markdown report with a reliability plot and a
//! PMF-vs-market chart (SVG) under `reports/backtests/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use indicatif::ProgressBar;

use crate::drivers::parse::kalshi_history;
use crate::drivers::source::Source;
use crate::drivers::store::DataStore;
use crate::model::{Money, OrderBook, Role, Side, Strike};
use crate::paper::{SimOrder, SimTerms};
use crate::pricing::fees::{FeeMultiplier, FeeSchedule};
use crate::report::backtest::{BacktestReport, EventScore, FillTotals, Scores};
use crate::research::calibration::{CalibrateError, Fit, fit, fit_sources, gather, payloads};
use crate::research::decision::{BacktestConfig, DecisionRule};
use crate::research::fills::{book_at, fill};
use crate::risk::ceilings::{Verdict, resize};
use crate::risk::limits::{Decider, Ledger, LimitTable};
use crate::scan::{EventInput, LadderSnapshot, RungSnapshot, ScanParams, scan_event};
use crate::strategies::params::{Calibration, StrategyParams};
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

/// The days of `configs/calendars/<name>.toml` (an unreadable calendar is an error naming it).
fn calendar_days(configs: &Path, name: &str) -> Result<BTreeSet<NaiveDate>, BacktestError> {
    let path = configs.join("calendars").join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).map_err(|e| BacktestError(format!("{}: {e}", path.display())))?;
    let calendar =
        crate::schedule::calendar::Calendar::parse(&path, &text).map_err(|e| BacktestError(e.to_string()))?;
    Ok(calendar.days)
}

/// The series' decision rule from `configs/backtest.toml`, checked.
fn decision_rule(configs: &Path, series: &str) -> Result<(BacktestConfig, DecisionRule), BacktestError> {
    let path = configs.join("backtest.toml");
    let config: BacktestConfig = crate::decode::read_toml(&path).map_err(|e| BacktestError(e.to_string()))?;
    let rule = config.series.get(series).cloned().ok_or_else(|| {
        BacktestError(format!("{}: no decision time for {series} (add a [series.{series}] table)", path.display()))
    })?;
    rule.validate().map_err(|e| BacktestError(format!("{} [series.{series}]: {e}", path.display())))?;
    Ok((config, rule))
}

/// Counts one order's fill into `totals`.
fn tally(totals: &mut FillTotals, order: &crate::model::Proposal, got: &SimOrder, no_later_trades: bool) {
    totals.orders += 1;
    match order.role {
        Role::Maker => totals.makers += 1,
        Role::Taker => totals.takers += 1,
    }
    totals.requested = totals.requested + got.requested;
    totals.filled = totals.filled + got.filled;
    totals.fees += got.fees();
    totals.refused += usize::from(got.refused);
    totals.makers_without_trades += usize::from(order.role == Role::Maker && no_later_trades);
}

/// The parameters an event decided at `cutoff` is scored with: fitted on what was public
/// before it, else the configured ones; with a note saying which.
fn params_at(
    strategy: Strategy,
    series: &str,
    defaults: &StrategyParams,
    history: &crate::research::history::History,
    cutoff: DateTime<Utc>,
) -> Result<(StrategyParams, String), BacktestError> {
    match fit(strategy, series, defaults, history, None, None, cutoff) {
        Ok(Fit { params, dates, observations }) => {
            let (Some(from), Some(to)) = (dates.iter().min(), dates.iter().max()) else {
                return Ok((*defaults, "configured parameters (no dated observation)".into()));
            };
            let calibration = Calibration {
                strategy: strategy.to_string(),
                fitted_at: cutoff,
                from: *from,
                to: *to,
                observations,
                city: crate::research::calibration::city_of(strategy, series),
                params,
            };
            let fitted = defaults.with(&calibration).map_err(BacktestError)?;
            Ok((fitted, format!("fitted on {observations} observation(s) {from}…{to} public before the decision")))
        }
        Err(CalibrateError::TooFew { found, needed, .. }) => Ok((
            *defaults,
            format!(
                "configured parameters ({found} observation(s) public before the decision, {needed} needed to fit)"
            ),
        )),
        Err(e) => Err(BacktestError(e.to_string())),
    }
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
    // The configured parameters: a calibration file fitted on everything kept would look ahead.
    let defaults: StrategyParams =
        crate::decode::read_toml(&req.configs.join("strategies.toml")).map_err(|e| err(&e))?;
    let (backtest_config, rule) = decision_rule(req.configs, req.series)?;
    let cpi_releases = calendar_days(req.configs, "cpi_release")?;
    let releases = match rule.release_calendar.as_deref() {
        Some(name) => calendar_days(req.configs, name)?,
        None => BTreeSet::new(),
    };
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
    let terms = SimTerms {
        rounding: config.paper.fee_rounding,
        alpha: backtest_config.fill_alpha.unwrap_or(config.paper.fill_alpha),
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
    let mut trades: BTreeMap<String, kalshi_history::PublicTrade> = BTreeMap::new();
    for (path, bytes) in payloads(req.store, Source::KalshiTrades, bar) {
        let (page, _) = kalshi_history::trades(&bytes, &path.display().to_string()).map_err(|e| err(&e))?;
        for t in page {
            trades.entry(t.trade_id.clone()).or_insert(t);
        }
    }
    let mut trades: Vec<kalshi_history::PublicTrade> = trades.into_values().collect();
    trades.sort_by(|a, b| (a.time, &a.trade_id).cmp(&(b.time, &b.trade_id)));
    let mut sources: Vec<Source> = strategy.sources(req.series);
    for source in fit_sources(strategy, req.series) {
        if !sources.contains(&source) {
            sources.push(source);
        }
    }
    let history = gather(req.store, &sources, req.series, cpi_releases, bar);
    let table = LimitTable::new(config.limits.clone(), None, None);
    let bankroll = config.sizing.bankroll.get(req.series).copied();
    let mut scored = Vec::new();
    let mut skipped: Vec<(String, String)> =
        history.unreadable.iter().map(|why| ("(payload left out)".to_string(), why.clone())).collect();
    let mut pairs = Vec::new();
    let mut market_pairs = Vec::new();
    let mut totals = FillTotals::default();
    for (event, markets) in &events {
        bar.set_message(event.clone());
        bar.inc(1);
        let Some(date) = event_date::parse(event) else { continue };
        let cutoff = match rule.decision_time(date, &releases) {
            Ok(t) => t,
            Err(e) => {
                skipped.push((event.clone(), e.to_string()));
                continue;
            }
        };
        let (params, params_note) = params_at(strategy, req.series, &defaults, &history, cutoff)?;
        let data = history.as_of(cutoff);
        let priced = match crate::strategies::price(req.series, event, &data, &params) {
            Ok(Some(p)) => p,
            Ok(None) => continue,
            Err(e) => {
                skipped.push((event.clone(), e.to_string()));
                continue;
            }
        };
        let mut rungs = Vec::new();
        let mut books = BTreeMap::new();
        for m in markets {
            let Some(strike) = strike(m) else {
                skipped.push((event.clone(), format!("{}: no strike rule", m.ticker)));
                continue;
            };
            let book = book_at(&candles, &m.ticker, cutoff);
            let quotes =
                book.as_ref().map(|b| b.quotes.clone()).unwrap_or_else(|| OrderBook::from_levels(vec![], vec![]));
            if let Some(book) = book {
                books.insert(m.ticker.clone(), book);
            }
            rungs.push(RungSnapshot {
                ticker: m.ticker.clone(),
                strike,
                tradeable: true,
                book: quotes,
                book_age_ms: 0,
            });
        }
        let snapshot = LadderSnapshot {
            series: req.series.to_string(),
            event: event.clone(),
            title: event.clone(),
            fees,
            rungs,
            source: "backtest".into(),
        };
        let mut decider = Decider::new(&table, None, Ledger::default());
        let scan =
            match scan_event(EventInput { snapshot: &snapshot, view: &priced.view, bankroll }, &req.scan, &mut decider)
            {
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
        let mut fills = FillTotals::default();
        let mut pnl = Money::ZERO;
        for d in scan.decisions.iter().filter(|d| d.verdict != Verdict::Denied && !d.allowed.is_zero()) {
            let p = resize(&d.proposal, d.allowed, &fees, config.fees.rounding);
            let Some(book) = books.get(&p.ticker) else { continue };
            let later: Vec<_> = trades.iter().filter(|t| t.ticker == p.ticker && t.time > cutoff).cloned().collect();
            let got = fill(&p, book, &later, &fees, terms);
            let won = result_of(&p.ticker) == (p.side == Side::Yes);
            pnl += got.settled_pnl(won);
            tally(&mut fills, &p, &got, later.is_empty());
        }
        totals.merge(&fills);
        let labels = if range {
            scan.rows.iter().map(|r| r.label.clone()).collect()
        } else {
            (0..scan.model_bins.len()).map(|i| format!("bin {i}")).collect()
        };
        scored.push(EventScore {
            event: event.clone(),
            decision: cutoff,
            value: markets.iter().find_map(|m| m.expiration_value.clone()),
            outcome_bin: outcome,
            model_rps: scoring::rps(&scan.model_bins, outcome),
            market_rps: scoring::rps(&scan.market_bins, outcome),
            model_log_loss: scoring::log_loss(&scan.model_bins, outcome),
            market_log_loss: scoring::log_loss(&scan.market_bins, outcome),
            model_bins: scan.model_bins.clone(),
            market_bins: scan.market_bins.clone(),
            labels,
            proposals: fills.orders,
            fills,
            pnl,
            view: priced.view.note.clone().unwrap_or_default(),
            params: params_note,
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
        fills: totals,
        fill_alpha: terms.alpha.as_f64(),
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
    let markdown = crate::report::backtest::render(&report, &stem);
    write(&format!("{stem}.md"), &markdown)?;
    let inline = [(format!("{stem}_reliability.svg"), reliability_svg), (format!("{stem}_pmf.svg"), pmf_svg)].into();
    let page = crate::report::html::document(&format!("Backtest {stem}"), &markdown, &inline, &[])
        .map_err(|e| BacktestError(e.to_string()))?;
    write(&format!("{stem}.html"), &page)?;
    Ok(report)
}
