//! A policy set's own test cases, `policies/tests/*.toml`: orders with the exposure around
//! them and the decision expected, and gate contexts with the GO/NO-GO expected. A reload
//! is accepted only when every case passes.
//!
//! ```toml
//! [[order]]
//! name = "pilot clips a big order"
//! series = "KXHIGHNY"
//! ticker = "KXHIGHNY-26NOV25-B49.5"
//! side = "no"
//! role = "maker"
//! price = "0.32"
//! count = "40"
//! fee_type = "quadratic_with_maker_fees"
//! expect = { verdict = "clipped", allowed = "20", reasons = ["MAX_CONTRACTS_PER_ORDER"] }
//!
//! [[gate]]
//! name = "kill switch is NO-GO"
//! context = { series = "KXCPI", kill_switch = true }
//! expect = { go = false, reasons = ["KILL_SWITCH"] }
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::decode::parse_toml;
use crate::model::{Count, Money, Price, Proposal, Role, Side};
use crate::pricing::fees::{FeeMultiplier, FeeSchedule, FeeType, Rounding};
use crate::risk::ceilings::{CoreCeilings, Verdict, resize};
use crate::risk::gate::GateContext;
use crate::risk::limits::{Decider, Ledger};
use crate::rules::host::ScriptError;
use crate::rules::policy::{CaseText, PolicyPaths, PolicySet};

/// One case file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// Order cases.
    #[serde(default)]
    pub order: Vec<OrderCase>,
    /// Gate cases.
    #[serde(default)]
    pub gate: Vec<GateCase>,
}

/// An order and the decision expected for it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderCase {
    /// Shown in reports.
    pub name: String,
    /// Series ticker.
    pub series: String,
    /// Event ticker (defaults to the ticker up to its last `-`).
    #[serde(default)]
    pub event: Option<String>,
    /// Market ticker.
    pub ticker: String,
    /// `yes` or `no`.
    pub side: Side,
    /// `maker` or `taker`.
    pub role: Role,
    /// Limit price.
    pub price: Price,
    /// Contracts asked (at least one hundredth: an order of nothing is not a case).
    #[serde(deserialize_with = "positive_count")]
    pub count: Count,
    /// The series' fee type, as the API names it.
    pub fee_type: String,
    /// Per-contract fee, for `flat` series only.
    #[serde(default)]
    pub flat_fee: Option<Money>,
    /// Fee multiplier (1 when absent).
    #[serde(default)]
    pub fee_multiplier: Option<f64>,
    /// Model probability of the side bought (the price's probability when absent).
    #[serde(default)]
    pub model_p: Option<f64>,
    /// Exposure before the order.
    #[serde(default)]
    pub exposure: CaseExposure,
    /// The decision expected.
    pub expect: OrderExpect,
}

/// Exposure before a case's order.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseExposure {
    /// Worst-case loss already on the series.
    #[serde(default)]
    pub series_loss: Money,
    /// Worst-case loss already on the market.
    #[serde(default)]
    pub strike_loss: Money,
    /// Loss realised today.
    #[serde(default)]
    pub daily_loss: Money,
    /// Loss realised this week.
    #[serde(default)]
    pub weekly_loss: Money,
    /// Markets of the event that already have orders.
    #[serde(default)]
    pub event_bins: Vec<String>,
}

/// What an order case expects.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderExpect {
    /// Approved, clipped or denied.
    pub verdict: Verdict,
    /// Contracts allowed (checked when given).
    #[serde(default)]
    pub allowed: Option<Count>,
    /// Reason codes, in order (checked when given).
    #[serde(default)]
    pub reasons: Option<Vec<String>>,
}

/// A gate context and the verdict expected.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateCase {
    /// Shown in reports.
    pub name: String,
    /// What the gate sees.
    pub context: GateContext,
    /// What it should say.
    pub expect: GateExpect,
}

/// What a gate case expects.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateExpect {
    /// GO or NO-GO.
    pub go: bool,
    /// Each must start one of the gate's reasons (checked when given).
    #[serde(default)]
    pub reasons: Vec<String>,
}

/// One case's result.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CaseOutcome {
    /// The case file.
    pub file: PathBuf,
    /// The case name.
    pub name: String,
    /// Passed?
    pub passed: bool,
    /// What happened (the decision, or what differed).
    pub detail: String,
}

/// Compiles the set and runs its cases; the set is returned only when everything passes.
pub fn load_checked(paths: &PolicyPaths, core: &CoreCeilings) -> Result<PolicySet, Vec<ScriptError>> {
    let set = PolicySet::compile(paths, core)?;
    let failures: Vec<ScriptError> = run_texts(&set, set.cases())
        .map_err(|e| vec![e])?
        .into_iter()
        .filter(|o| !o.passed)
        .map(|o| ScriptError {
            file: o.file,
            line: None,
            column: None,
            message: format!("case \"{}\" failed: {}", o.name, o.detail),
        })
        .collect();
    if failures.is_empty() { Ok(set) } else { Err(failures) }
}

/// Runs every case file in `dir` (none is fine) against `set`.
pub fn run_all(set: &PolicySet, dir: &Path) -> Result<Vec<CaseOutcome>, ScriptError> {
    let cannot = |file: &Path, verb: &str, e: std::io::Error| ScriptError {
        file: file.to_path_buf(),
        line: None,
        column: None,
        message: format!("cannot {verb}: {e}"),
    };
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(cannot(dir, "list", e)),
    };
    files.sort();
    let texts = files
        .into_iter()
        .map(|path| match std::fs::read_to_string(&path) {
            Ok(text) => Ok(CaseText { path, text }),
            Err(e) => Err(cannot(&path, "read", e)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    run_texts(set, &texts)
}

/// Runs the cases of files already read, in order.
fn run_texts(set: &PolicySet, texts: &[CaseText]) -> Result<Vec<CaseOutcome>, ScriptError> {
    let mut out = Vec::new();
    for CaseText { path: file, text } in texts {
        let cases: CaseFile = parse_toml(file, text).map_err(|e| ScriptError {
            file: file.clone(),
            line: None,
            column: None,
            message: e.to_string().trim_start_matches(&format!("{}: ", file.display())).to_string(),
        })?;
        for case in &cases.order {
            let (passed, detail) = run_order_case(set, case).map_err(|message| ScriptError {
                file: file.clone(),
                line: None,
                column: None,
                message: format!("case \"{}\": {message}", case.name),
            })?;
            out.push(CaseOutcome { file: file.clone(), name: case.name.clone(), passed, detail });
        }
        for case in &cases.gate {
            let gate = set.gate(&case.context);
            let missing: Vec<&String> = case
                .expect
                .reasons
                .iter()
                .filter(|want| !gate.reasons.iter().any(|r| r.starts_with(want.as_str())))
                .collect();
            let passed = gate.go == case.expect.go && missing.is_empty();
            let mut detail = format!("{} [{}]", gate.badge(), gate.reasons.join("; "));
            if !passed {
                detail = format!(
                    "expected {} with {:?}, got {detail}",
                    if case.expect.go { "GO" } else { "NO-GO" },
                    case.expect.reasons
                );
            }
            out.push(CaseOutcome { file: file.clone(), name: case.name.clone(), passed, detail });
        }
    }
    Ok(out)
}

fn positive_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Count, D::Error> {
    let count = Count::deserialize(d)?;
    if count.is_zero() {
        return Err(serde::de::Error::custom("count must be positive (an order of 0 contracts is not a case)"));
    }
    Ok(count)
}

fn run_order_case(set: &PolicySet, case: &OrderCase) -> Result<(bool, String), String> {
    let fee_type = FeeType::from_api(&case.fee_type).map_err(|e| e.to_string())?;
    let multiplier = FeeMultiplier::from_f64(case.fee_multiplier.unwrap_or(1.0)).map_err(|e| e.to_string())?;
    let fees = FeeSchedule::new(fee_type, multiplier, case.flat_fee).map_err(|e| format!("{e} (flat_fee)"))?;
    let event = case.event.clone().unwrap_or_else(|| match case.ticker.rsplit_once('-') {
        Some((event, _)) => event.to_string(),
        None => case.ticker.clone(),
    });
    let model_p = case.model_p.unwrap_or_else(|| case.price.as_probability());
    let base = Proposal {
        series: case.series.clone(),
        event: event.clone(),
        ticker: case.ticker.clone(),
        label: case.name.clone(),
        side: case.side,
        role: case.role,
        price: case.price,
        count: case.count,
        model_p,
        market_p: case.price.as_probability(),
        ev_per_contract: Money::ZERO,
        ev_order: Money::ZERO,
        fee: Money::ZERO,
        max_loss: Money::ZERO,
        kelly: 0.0,
    };
    let proposal = resize(&base, case.count, &fees, Rounding::Cent);
    let e = &case.exposure;
    let ledger = Ledger {
        realised_today: e.daily_loss,
        realised_week: e.weekly_loss,
        by_ticker: [(case.ticker.clone(), e.strike_loss)].into(),
        by_series: [(case.series.clone(), e.series_loss)].into(),
        committed: Money::ZERO,
        bins: [(event, e.event_bins.iter().cloned().collect::<BTreeSet<_>>())].into(),
    };
    let mut decider = Decider::new(set.table(), set.hook(), ledger);
    let decision = decider.decide(vec![proposal], &fees, Rounding::Cent).remove(0);
    let codes: Vec<String> = decision.reasons.iter().map(|r| r.code().to_string()).collect();
    let got = format!(
        "{:?} {} [{}]",
        decision.verdict,
        decision.allowed,
        decision.reasons.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; ")
    );
    let x = &case.expect;
    let passed = decision.verdict == x.verdict
        && x.allowed.is_none_or(|a| a == decision.allowed)
        && x.reasons.as_ref().is_none_or(|r| *r == codes);
    let detail = if passed {
        got
    } else {
        format!(
            "expected {:?}{}{}, got {got}",
            x.verdict,
            x.allowed.map_or_else(String::new, |a| format!(" {a}")),
            x.reasons.as_ref().map_or_else(String::new, |r| format!(" {r:?}"))
        )
    };
    Ok((passed, detail))
}
