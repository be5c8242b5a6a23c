//! The series report's depth from the session's book: the pilot header, mispricings and kinks
//! (from the scans), net ladder exposure and VaR (the live check's own functions, for dry and
//! paper books too), and this session's fills beside the market at decision time and later.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::ledger::Fill;
use crate::model::{LadderKind, Money, Price};
use crate::report::depth::{EventExposure, EventKinks, ExposureBin, FillSlippage, PilotHeader, SeriesDepth};
use crate::safety::var::{BookHoldings, EventOutcomes, family_key, pnl_by_bin, value_at_risk};
use crate::scan::EventScan;
use crate::session::{Inputs, PlannedSeries};

/// What the depth is computed from besides the plan.
pub struct DepthInputs<'a> {
    /// The broker's mode.
    pub broker: &'a str,
    /// Its book.
    pub holdings: &'a BookHoldings,
    /// Orders resting at the broker (every series).
    pub outstanding_orders: usize,
    /// This session's fills (every series).
    pub fills: &'a [Fill],
    /// YES mids as the report is written (a live feed's books), when known.
    pub later_marks: Option<&'a BTreeMap<String, Price>>,
    /// When the report is written.
    pub now: DateTime<Utc>,
}

/// `a − b` per contract, as money.
fn diff(a: Price, b: Price) -> Money {
    Money::from_units((a.micros() - b.micros()) * 100)
}

/// The outcome bins' labels: a range ladder's own bins; a threshold ladder's bins between
/// consecutive strikes (`> 0.1, not > 0.2`), below the first and above the last.
fn bin_labels(scan: &EventScan) -> Vec<String> {
    let labels: Vec<&str> = scan.rows.iter().map(|r| r.label.as_str()).collect();
    match scan.kind {
        LadderKind::Range => labels.iter().map(|l| l.to_string()).collect(),
        LadderKind::Threshold => (0..=labels.len())
            .map(|bin| match (bin.checked_sub(1).map(|i| labels[i]), labels.get(bin)) {
                (None, Some(first)) => format!("not {first}"),
                (Some(below), Some(above)) => format!("{below}, not {above}"),
                (Some(last), None) => last.to_string(),
                (None, None) => String::new(),
            })
            .collect(),
    }
}

/// The four sections' figures for one planned series.
pub fn series_depth(plan: &PlannedSeries, inputs: &Inputs, d: &DepthInputs<'_>) -> SeriesDepth {
    let pretrade = &inputs.config.limits.pretrade;
    let confidence = pretrade.var_confidence.as_probability();
    let all = d.holdings.all();
    let mut exposure = Vec::new();
    let mut family: BTreeMap<String, Money> = BTreeMap::new();
    for scan in &plan.scans {
        let tickers: Vec<String> = scan.rows.iter().map(|r| r.ticker.clone()).collect();
        let outcomes = EventOutcomes::from_ladder(scan.kind, &tickers, &scan.model_bins);
        let pnl = pnl_by_bin(&outcomes, &all);
        let var = value_at_risk(&outcomes.probs, &pnl, confidence);
        let bins = bin_labels(scan)
            .into_iter()
            .zip(scan.model_bins.iter().zip(&pnl))
            .map(|(label, (p, pnl))| ExposureBin { label, model_p: *p, pnl: *pnl })
            .collect();
        let holdings = all.iter().filter(|h| tickers.contains(&h.ticker)).count();
        if let Some((index, when)) = family_key(&pretrade.var_families, &plan.series, &scan.event) {
            *family.entry(format!("{} {when}", pretrade.var_families[index].join("+"))).or_insert(Money::ZERO) += var;
        }
        exposure.push(EventExposure { event: scan.event.clone(), holdings, bins, var });
    }
    let pilot = PilotHeader {
        broker: d.broker.to_string(),
        sizing: inputs.params.sizing.as_str().to_string(),
        kelly_cap: inputs.params.kelly_cap,
        var_confidence: pretrade.var_confidence.to_string(),
        event_var: exposure.iter().map(|e| (e.event.clone(), e.var)).collect(),
        family_var: family.into_iter().collect(),
        fill_alpha: String::from(inputs.config.paper.fill_alpha),
        outstanding_orders: d.outstanding_orders,
        outstanding_notional: d.holdings.resting.iter().map(|h| h.count.times(h.price)).sum(),
    };
    let kinks = plan
        .scans
        .iter()
        .map(|s| EventKinks { event: s.event.clone(), kinks: crate::scan::kinks::find(s.kind, &s.rows) })
        .collect();
    SeriesDepth {
        pilot,
        mispricings_and_kinks: kinks,
        net_ladder_exposure: exposure,
        fill_and_slippage: fills(plan, inputs, d),
    }
}

/// This series' fills beside the decision's mid and model and the mid when the report is written.
fn fills(plan: &PlannedSeries, inputs: &Inputs, d: &DepthInputs<'_>) -> Vec<FillSlippage> {
    let decision_mids: BTreeMap<&str, Price> = plan
        .snapshots
        .iter()
        .flat_map(|s| &s.rungs)
        .filter_map(|r| Some((r.ticker.as_str(), r.book.yes_mid()?)))
        .collect();
    let model: BTreeMap<&str, f64> =
        plan.scans.iter().flat_map(|s| &s.rows).map(|r| (r.ticker.as_str(), r.model_p)).collect();
    let index = crate::strategies::Strategy::for_series(&plan.series) == Some(crate::strategies::Strategy::Index);
    d.fills
        .iter()
        .filter(|f| f.series == plan.series)
        .map(|f| {
            let decision_mid = decision_mids.get(f.ticker.as_str()).map(|m| f.side.price_of(*m));
            let model_p = model.get(f.ticker.as_str()).map(|p| f.side.prob_of(*p));
            let later_mid = d.later_marks.and_then(|m| m.get(&f.ticker)).map(|m| f.side.price_of(*m));
            let expected_slippage = index
                .then(|| {
                    let event = crate::strategies::event_date::parse(f.ticker.rsplit_once('-')?.0)?;
                    let minutes = (event.instant()? - f.ts).num_seconds().max(0) as f64 / 60.0;
                    Some(inputs.config.index_execution.at(minutes)?.1)
                })
                .flatten();
            FillSlippage {
                ticker: f.ticker.clone(),
                side: f.side,
                role: f.role,
                count: f.count,
                price: f.price,
                decision_mid,
                model_p,
                vs_mid: decision_mid.map(|m| diff(f.price, m)),
                vs_model: model_p.map(|p| f.price.as_probability() - p),
                later_mid,
                minutes_later: later_mid.map(|_| (d.now - f.ts).num_seconds().max(0) as f64 / 60.0),
                drift: later_mid.zip(decision_mid).map(|(later, at)| diff(later, at)),
                expected_slippage,
            }
        })
        .collect()
}
