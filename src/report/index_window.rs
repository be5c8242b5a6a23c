//! The per-window outputs of the index ladders, pure: for one event settling at a New York
//! hour (`…H1600`), the decisions as CSV and a Markdown summary — EV after fees, the fill
//! realism the paper model assumes (fill-α and the contracts it expects to fill), the
//! expected slippage and the drift of what the fills got from it, the data freshness the gate
//! saw and the calibration age. Written under
//! `reports/index_ladders/<HHMM>/` by the session's `report` step.

use std::fmt::Write;

use crate::report::depth::FillSlippage;
use crate::risk::ceilings::Verdict;
use crate::risk::gate::GateContext;
use crate::scan::EventScan;

/// The window an index event settles in (`KXINXU-26NOV24H1600` → `1600`).
pub fn window_of(event: &str) -> Option<&str> {
    let code = event.rsplit('-').next()?;
    let (head, hhmm) = code.split_at_checked(code.len().checked_sub(4)?)?;
    (head.ends_with('H') && hhmm.chars().all(|c| c.is_ascii_digit())).then_some(hhmm)
}

/// One event's decisions as CSV (a header, then one row per decision).
pub fn csv(scan: &EventScan, alpha: f64) -> String {
    let mut out = String::from(
        "event,ticker,label,side,role,price,asked,allowed,decision,model_p,market_p,ev_per_contract,ev_order,fee,expected_fill\n",
    );
    for d in &scan.decisions {
        let p = &d.proposal;
        let expected = if d.verdict == Verdict::Denied { 0.0 } else { alpha * d.allowed.centis() as f64 / 100.0 };
        let _ = writeln!(
            out,
            "{},{},\"{}\",{},{},{},{},{},{},{:.4},{:.4},{},{},{},{:.2}",
            scan.event,
            p.ticker,
            p.label.replace('"', "\"\""),
            p.side.as_str(),
            p.role.as_str(),
            p.price,
            d.asked,
            d.allowed,
            verdict(d.verdict),
            p.model_p,
            p.market_p,
            p.ev_per_contract,
            p.ev_order,
            p.fee,
            expected
        );
    }
    out
}

/// `approved`, `clipped` or `denied`.
pub(crate) fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Approved => "approved",
        Verdict::Clipped => "clipped",
        Verdict::Denied => "denied",
    }
}

/// How the window's orders are expected to execute: fill-α and slippage per contract from
/// `configs/index_execution.toml` at the minutes left to the target.
#[derive(Debug, Clone, Copy)]
pub struct Execution {
    /// Minutes from the report to the target.
    pub minutes: f64,
    /// Fill-α of resting orders.
    pub alpha: f64,
    /// Expected slippage per contract.
    pub slippage: crate::model::Money,
}

/// Slippage drift: what the fills of the window's event got against their decision mids, per
/// contract (count-weighted), beside the execution default; "no fill yet" when none.
pub fn slippage_drift(fills: &[&FillSlippage], expected: crate::model::Money) -> String {
    let measured: Vec<(i64, i64)> =
        fills.iter().filter_map(|f| Some((f.vs_mid?.units(), f.count.centis()))).filter(|(_, c)| *c > 0).collect();
    let contracts: i64 = measured.iter().map(|(_, c)| c).sum();
    if contracts == 0 {
        return format!("no fill yet (expected {expected} per contract)");
    }
    // Σ (per-contract slippage × centi-contracts) / Σ centi-contracts, in money units.
    let realised = crate::model::Money::from_units(measured.iter().map(|(u, c)| u * c).sum::<i64>() / contracts);
    format!(
        "fills got {realised} per contract against their decision mids ({} fill(s), {} contracts); expected {expected}: drift {}",
        measured.len(),
        crate::model::Count::from_centis(contracts).unwrap_or(crate::model::Count::ZERO),
        realised - expected
    )
}

/// The window's Markdown summary for one event; `drift` is [`slippage_drift`]'s line.
pub fn markdown(scan: &EventScan, gate: &GateContext, go: bool, execution: Execution, drift: &str) -> String {
    let alpha = execution.alpha;
    let mut out = String::new();
    let window = window_of(&scan.event).unwrap_or("?");
    let _ = writeln!(out, "# {} — window {window} ET\n", scan.event);
    let sent: Vec<_> = scan.decisions.iter().filter(|d| d.verdict != Verdict::Denied && go).collect();
    let ev: crate::model::Money = sent.iter().map(|d| d.proposal.ev_order).sum();
    let contracts: f64 = sent.iter().map(|d| d.allowed.centis() as f64 / 100.0).sum();
    let opt = |v: Option<f64>, unit: &str| v.map_or("unknown".to_string(), |x| format!("{x:.1} {unit}"));
    let _ = writeln!(out, "| measure | value |\n|---|---|");
    let _ = writeln!(out, "| gate | {} |", if go { "GO" } else { "NO-GO" });
    let _ = writeln!(out, "| orders approved on GO | {} ({contracts:.2} contracts) |", sent.len());
    let _ = writeln!(out, "| EV after fees of those orders | {ev} |");
    let _ = writeln!(
        out,
        "| fill realism | fill-α {alpha} at {:.0} min to the target: {:.2} of {contracts:.2} contracts expected to fill as makers |",
        execution.minutes,
        alpha * contracts
    );
    let _ = writeln!(out, "| expected slippage | {} per contract (index_execution.toml) |", execution.slippage);
    let _ = writeln!(out, "| slippage drift | {drift} |");
    let _ = writeln!(out, "| book age at the scan | {} |", opt(gate.data_age_secs, "s"));
    let _ = writeln!(
        out,
        "| model data age | {} ({}) |",
        opt(gate.model_data_age_secs, "s"),
        if gate.model_data_source.is_empty() { "views only" } else { &gate.model_data_source }
    );
    let _ = writeln!(out, "| calibration age | {} |", opt(gate.calibration_age_hours, "h"));
    let _ = writeln!(out, "| clock skew | {} |", gate.clock_skew_ms.map_or("unknown".into(), |ms| format!("{ms} ms")));
    let _ = writeln!(
        out,
        "\nDecisions are in `{}.csv` beside this file (EV per contract and per order after fees, the fee, and the contracts fill-α expects to fill).",
        scan.series
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slippage_drift_weighs_fills_by_contracts() {
        use crate::model::{Count, Money, Price, Role, Side};
        let fill = |vs_mid: &str, count: i64| FillSlippage {
            ticker: "KXINXU-26NOV24H1600-T6800".into(),
            side: Side::Yes,
            role: Role::Maker,
            count: Count::from_whole(count).unwrap(),
            price: Price::from_cents(40).unwrap(),
            decision_mid: None,
            model_p: None,
            vs_mid: Some(vs_mid.parse().unwrap()),
            vs_model: None,
            later_mid: None,
            minutes_later: None,
            drift: None,
            expected_slippage: None,
        };
        let expected: Money = "0.004".parse().unwrap();
        // (−0.02 × 10 + 0.01 × 5) / 15 = −0.01 per contract; − 0.004 expected = −0.014.
        let (a, b) = (fill("-0.02", 10), fill("0.01", 5));
        assert_eq!(
            slippage_drift(&[&a, &b], expected),
            "fills got -0.01 per contract against their decision mids (2 fill(s), 15.00 contracts); expected 0.0040: drift -0.0140"
        );
        assert_eq!(slippage_drift(&[], expected), "no fill yet (expected 0.0040 per contract)");
    }

    #[test]
    fn windows_come_from_the_event_time() {
        assert_eq!(window_of("KXINXU-26NOV24H1600"), Some("1600"));
        assert_eq!(window_of("KXNASDAQ100-26NOV24H1000"), Some("1000"));
        assert_eq!(window_of("KXHIGHNY-26NOV25"), None);
        assert_eq!(window_of("KXCPI-25NOV"), None);
        // Codes shorter than a time never panic.
        assert_eq!(window_of("X-H12"), None);
        assert_eq!(window_of("X-1200"), None);
    }
}
