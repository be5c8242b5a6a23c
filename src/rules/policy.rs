//! The policy set — `pal.rhai`, `pilot.rhai`, `gates.rhai`, the `lib/` modules and (when
//! given) the playbooks — compiled and validated as one unit, so a reload either takes all
//! of it or none of it.
//!
//! Validation: every file compiles and its top level runs; required functions exist with the
//! right arity (`pal()`, `pilot()`, `gate(ctx)`; optional `check(order, exposure)` in PAL
//! and pilot); the declarative tables have the right shape and only tighten the core
//! ceilings; `gate` and the hooks return the right shapes on a smoke input. The tables are
//! evaluated here, once, into native [`LimitTable`] data.
//!
//! Over 600 lines with its tests (about 570 without): the three tables' loaders and their
//! only-tighten checks are the policy set's one contract, kept in one place.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rhai::{AST, Dynamic};
use sha2::{Digest, Sha256};

use crate::model::{Count, Money, Price, Proposal, Role, Side};
use crate::risk::ceilings::{CoreCeilings, LimitSource, Reason};
use crate::risk::gate::{Gate, GateContext};
use crate::risk::glob::Glob;
use crate::risk::limits::{Exposure, HookVerdict, LimitTable, OrderHook, PalTable, PilotTable, SeriesPal};
use crate::rules::api::{self, OrderView};
use crate::rules::host::{Host, Limits, ScriptError};
use crate::rules::shape::{self, Fields, ShapeError};

/// PAL policy file name.
pub const PAL_FILE: &str = "pal.rhai";
/// Pilot limits file name.
pub const PILOT_FILE: &str = "pilot.rhai";
/// Gating rules file name.
pub const GATES_FILE: &str = "gates.rhai";

/// Where the set lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyPaths {
    /// `policies/` (holds the three policy files, `lib/` and `tests/`).
    pub policies: PathBuf,
    /// `scripts/` (playbooks), when they belong to the set.
    pub scripts: Option<PathBuf>,
}

impl PolicyPaths {
    /// `policies/lib`, the only place scripts may import from.
    pub fn lib(&self) -> PathBuf {
        self.policies.join("lib")
    }

    /// `policies/tests`, the set's own test cases.
    pub fn tests(&self) -> PathBuf {
        self.policies.join("tests")
    }
}

/// A file of the set and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileDigest {
    /// Path as given.
    pub path: PathBuf,
    /// Lower-case hex SHA-256 of the contents.
    pub sha256: String,
}

/// One compiled script.
#[derive(Debug, Clone)]
pub struct Script {
    /// The file.
    pub path: PathBuf,
    source: String,
    ast: AST,
}

impl Script {
    /// Calls `name` in this script. Errors the engine cannot place (operation budget, stack
    /// depth, size limits) are placed at the function's definition.
    fn call(&self, host: &Host, name: &str, args: impl rhai::FuncArgs) -> Result<Dynamic, ScriptError> {
        host.call::<Dynamic>(&self.path, &self.ast, name, args).map_err(|mut e| {
            if e.line.is_none()
                && let Some((line, column)) = locate(&self.source, &format!("fn {name}"))
            {
                (e.line, e.column) = (Some(line), Some(column));
                e.message = format!("{} (in {name}())", e.message);
            }
            e
        })
    }

    /// An error located at the first place `needle` appears in the source (e.g. a map key).
    fn error_at(&self, needle: &str, message: String) -> ScriptError {
        let (line, column) = locate(&self.source, needle).map_or((None, None), |(l, c)| (Some(l), Some(c)));
        ScriptError { file: self.path.clone(), line, column, message }
    }

    /// A wrong return shape, located at the offending key, or (for a missing key) at the
    /// function that returned the value.
    fn shape_error(&self, err: &ShapeError) -> ScriptError {
        let function = err.path.split("()").next().unwrap_or_default();
        let needle =
            if locate(&self.source, err.key()).is_some() { err.key().to_string() } else { format!("fn {function}") };
        self.error_at(&needle, err.to_string())
    }
}

/// 1-based line and column of the first `needle` that is a whole word (for keys: followed by
/// `:`, if any such occurrence exists).
fn locate(source: &str, needle: &str) -> Option<(usize, usize)> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut fallback = None;
    for (n, line) in source.lines().enumerate() {
        let mut from = 0;
        while let Some(i) = line[from..].find(needle).map(|i| i + from) {
            let before = line[..i].chars().next_back();
            let after = &line[i + needle.len()..];
            if !before.is_some_and(is_word) && !after.chars().next().is_some_and(is_word) {
                let hit = (n + 1, line[..i].chars().count() + 1);
                if after.trim_start().starts_with(':') {
                    return Some(hit);
                }
                fallback.get_or_insert(hit);
            }
            from = i + needle.len();
        }
    }
    fallback
}

/// A compiled, validated policy set with its limit table evaluated.
pub struct PolicySet {
    host: Host,
    gates: Script,
    hooks: Vec<(LimitSource, Script)>,
    table: LimitTable,
    files: Vec<FileDigest>,
    cases: Vec<CaseText>,
    digest: String,
}

/// One of the set's case files (`policies/tests/*.toml`) as it was read for the digest.
#[derive(Debug, Clone)]
pub struct CaseText {
    /// The file.
    pub path: PathBuf,
    /// Its contents.
    pub text: String,
}

impl std::fmt::Debug for PolicySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicySet").field("digest", &self.digest).field("table", &self.table).finish_non_exhaustive()
    }
}

impl PolicySet {
    /// Compiles and validates the set (everything but its test cases). Returns every problem
    /// found, not just the first.
    pub fn compile(paths: &PolicyPaths, core: &CoreCeilings) -> Result<PolicySet, Vec<ScriptError>> {
        let host = policy_host(paths);
        // Each file is read once: what is hashed is what is compiled and tested.
        let read = collect_files(paths).map_err(|e| vec![e])?;
        let mut errors = Vec::new();
        let mut compiled = Vec::new();
        let mut cases = Vec::new();
        let mut files = Vec::with_capacity(read.len());
        for (digest, text) in read {
            if digest.path.extension().is_some_and(|e| e == "rhai") {
                match compile_source(&host, &digest.path, text) {
                    Ok(script) => compiled.push(script),
                    Err(e) => errors.push(e),
                }
            } else {
                cases.push(CaseText { path: digest.path.clone(), text });
            }
            files.push(digest);
        }
        let take = |name: &str, errors: &mut Vec<ScriptError>| {
            let path = paths.policies.join(name);
            let found = compiled.iter().find(|s| s.path == path).cloned();
            if found.is_none() && !errors.iter().any(|e| e.file == path) {
                errors.push(ScriptError { file: path, line: None, column: None, message: "missing".to_string() });
            }
            found
        };
        let (pal, pilot, gates) =
            (take(PAL_FILE, &mut errors), take(PILOT_FILE, &mut errors), take(GATES_FILE, &mut errors));
        let (Some(pal), Some(pilot), Some(gates)) = (pal, pilot, gates) else { return Err(errors) };
        if !errors.is_empty() {
            return Err(errors);
        }
        let pal_table = validate_pal(&host, &pal, core);
        let pilot_table = validate_pilot(&host, &pilot, core);
        let gates_ok = validate_gates(&host, &gates, core);
        let (pal_table, pilot_table) = match (pal_table, pilot_table, gates_ok) {
            (Ok(a), Ok(b), Ok(())) => (a, b),
            (a, b, c) => return Err(a.err().into_iter().chain(b.err()).chain(c.err()).collect()),
        };
        let hooks = [(LimitSource::Pal, &pal), (LimitSource::Pilot, &pilot)]
            .into_iter()
            .filter(|(_, s)| Host::defines(&s.ast, "check", 2))
            .map(|(source, s)| (source, s.clone()))
            .collect();
        let table = LimitTable::new(core.clone(), Some(pal_table), Some(pilot_table));
        let digest = set_digest(&files);
        Ok(PolicySet { host, gates, hooks, table, files, cases, digest })
    }

    /// The effective limits.
    pub fn table(&self) -> &LimitTable {
        &self.table
    }

    /// The per-order hook, when a policy defines `check`.
    pub fn hook(&self) -> Option<&dyn OrderHook> {
        if self.hooks.is_empty() { None } else { Some(self) }
    }

    /// SHA-256 over the whole set (each file's path and hash).
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Every file of the set with its hash.
    pub fn files(&self) -> &[FileDigest] {
        &self.files
    }

    /// The set's own case files, exactly as hashed into [`PolicySet::digest`].
    pub fn cases(&self) -> &[CaseText] {
        &self.cases
    }

    /// Runs `gate(ctx)`. Any error or wrong shape is NO-GO naming file, line and column.
    pub fn gate(&self, ctx: &GateContext) -> Gate {
        let script = &self.gates;
        let result = script
            .call(&self.host, "gate", (ctx.clone(),))
            .and_then(|v| gate_shape(&v).map_err(|e| script.shape_error(&e)));
        result.unwrap_or_else(|e| Gate {
            go: false,
            reasons: vec![Reason::ScriptError { error: e.to_string() }.to_string()],
        })
    }

    fn call_hook(&self, script: &Script, order: &OrderView, exposure: &Exposure) -> Result<HookReply, ScriptError> {
        call_hook(&self.host, script, order, exposure)
    }
}

/// A host with the policy API, importing from the set's `lib/`.
pub fn policy_host(paths: &PolicyPaths) -> Host {
    let mut host = Host::new(&paths.lib(), Limits::default());
    api::register(host.engine_mut());
    host
}

fn call_hook(host: &Host, script: &Script, order: &OrderView, exposure: &Exposure) -> Result<HookReply, ScriptError> {
    let value = script.call(host, "check", (order.clone(), *exposure))?;
    hook_shape(&value).map_err(|e| script.error_at("check", format!("check() {e}")))
}

fn require(script: &Script, function: &str, params: &[&str]) -> Result<(), ScriptError> {
    if Host::defines(&script.ast, function, params.len()) {
        return Ok(());
    }
    Err(ScriptError {
        file: script.path.clone(),
        line: None,
        column: None,
        message: format!("required function {function}({}) is not defined", params.join(", ")),
    })
}

/// Checks `pal.rhai`: `pal()` exists and returns a table that only tightens `core`; an
/// optional `check` hook runs on a harmless order.
pub fn validate_pal(host: &Host, script: &Script, core: &CoreCeilings) -> Result<PalTable, ScriptError> {
    require(script, "pal", &[])?;
    let table = evaluate(host, script, "pal", |v| pal_table(v, core))?;
    smoke_hook(host, script, core)?;
    Ok(table)
}

/// Checks `pilot.rhai` like [`validate_pal`].
pub fn validate_pilot(host: &Host, script: &Script, core: &CoreCeilings) -> Result<PilotTable, ScriptError> {
    require(script, "pilot", &[])?;
    let table = evaluate(host, script, "pilot", |v| pilot_table(v, core))?;
    smoke_hook(host, script, core)?;
    Ok(table)
}

/// Checks `gates.rhai`: `gate(ctx)` exists and returns the right shape on a calm context.
pub fn validate_gates(host: &Host, script: &Script, core: &CoreCeilings) -> Result<(), ScriptError> {
    require(script, "gate", &["ctx"])?;
    host.run(&script.path, &script.ast)?;
    let series = core.allowed_series.first().cloned().unwrap_or_default();
    let ctx = GateContext { series, now_et: "12:00".to_string(), ..GateContext::default() };
    let value = script.call(host, "gate", (ctx,))?;
    gate_shape(&value).map_err(|e| script.shape_error(&e))?;
    Ok(())
}

/// Calls a `check` hook, when defined, once on a harmless order, so a hook that cannot run
/// at all is rejected at load rather than on the first order.
fn smoke_hook(host: &Host, script: &Script, core: &CoreCeilings) -> Result<(), ScriptError> {
    if !Host::defines(&script.ast, "check", 2) {
        return Ok(());
    }
    let series = core.allowed_series.first().cloned().unwrap_or_default();
    let order = Proposal {
        series: series.clone(),
        event: format!("{series}-SMOKE"),
        ticker: format!("{series}-SMOKE-T1"),
        label: "smoke".to_string(),
        side: Side::Yes,
        role: Role::Maker,
        price: Price::from_cents(50).expect("valid"),
        count: Count::from_whole(1).expect("valid"),
        model_p: 0.5,
        market_p: 0.5,
        ev_per_contract: Money::ZERO,
        ev_order: Money::ZERO,
        fee: Money::ZERO,
        max_loss: Money::from_units(50_000_000),
        kelly: 0.0,
    };
    call_hook(host, script, &OrderView(Arc::new(order)), &Exposure::default()).map(|_| ())
}

impl OrderHook for PolicySet {
    fn check(&self, proposal: &Proposal, exposure: &Exposure) -> HookVerdict {
        let order = OrderView(Arc::new(proposal.clone()));
        let mut verdict = HookVerdict::Allow;
        for (source, script) in &self.hooks {
            match self.call_hook(script, &order, exposure) {
                Err(e) => return HookVerdict::Deny { reason: Reason::ScriptError { error: e.to_string() } },
                Ok(HookReply::Allow) => {}
                Ok(HookReply::Deny(message)) => {
                    return HookVerdict::Deny { reason: Reason::PolicyHook { source: *source, message } };
                }
                Ok(HookReply::Clip(max, message)) => {
                    let tighter = match &verdict {
                        HookVerdict::Clip { max: current, .. } => max < *current,
                        _ => true,
                    };
                    if tighter {
                        verdict = HookVerdict::Clip { max, reason: Reason::PolicyHook { source: *source, message } };
                    }
                }
            }
        }
        verdict
    }
}

/// What a `check` hook returned, checked.
#[derive(Debug)]
enum HookReply {
    Allow,
    Deny(String),
    Clip(Count, String),
}

/// `()`/`true` allow; `false` denies; `#{ allow: false, reason }` denies;
/// `#{ max_contracts, reason }` clips.
fn hook_shape(value: &Dynamic) -> Result<HookReply, String> {
    if value.is_unit() {
        return Ok(HookReply::Allow);
    }
    if let Ok(b) = value.as_bool() {
        return Ok(if b { HookReply::Allow } else { HookReply::Deny("check() returned false".to_string()) });
    }
    let fields = Fields::of(value, "check()", &[], &["allow", "max_contracts", "reason"]).map_err(|_| {
        format!("returned {}; expected (), a bool or #{{allow, max_contracts, reason}}", value.type_name())
    })?;
    let reason = || -> Result<String, String> {
        let v = fields.get("reason").ok_or("must give a reason when it denies or clips")?;
        shape::string(v, "check().reason").map_err(|e| e.to_string())
    };
    if let Some(allow) = fields.get("allow")
        && !shape::boolean(allow, "check().allow").map_err(|e| e.to_string())?
    {
        return Ok(HookReply::Deny(reason()?));
    }
    match fields.get("max_contracts") {
        Some(v) => Ok(HookReply::Clip(shape::count(v, "check().max_contracts").map_err(|e| e.to_string())?, reason()?)),
        None => Ok(HookReply::Allow),
    }
}

fn gate_shape(value: &Dynamic) -> Result<Gate, ShapeError> {
    let fields = Fields::of(value, "gate()", &["go", "reasons"], &[])?;
    let go = shape::boolean(fields.req("go"), &fields.path_of("go"))?;
    let items = shape::array(fields.req("reasons"), &fields.path_of("reasons"))?;
    let reasons = items
        .iter()
        .enumerate()
        .map(|(i, r)| shape::string(r, &format!("gate().reasons[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Gate { go, reasons })
}

/// Reads and compiles one script (empty files are refused).
pub fn compile_file(host: &Host, path: &Path) -> Result<Script, ScriptError> {
    let source = std::fs::read_to_string(path).map_err(|e| ScriptError {
        file: path.to_path_buf(),
        line: None,
        column: None,
        message: format!("cannot read: {e}"),
    })?;
    compile_source(host, path, source)
}

/// Compiles one script already read from `path` (empty files are refused).
fn compile_source(host: &Host, path: &Path, source: String) -> Result<Script, ScriptError> {
    if source.trim().is_empty() {
        return Err(ScriptError { file: path.to_path_buf(), line: None, column: None, message: "empty file".into() });
    }
    let ast = host.compile(path, &source)?;
    Ok(Script { path: path.to_path_buf(), source, ast })
}

/// Runs the script's top level, then `function()`, and reads the result with `read`.
fn evaluate<T>(
    host: &Host,
    script: &Script,
    function: &str,
    read: impl FnOnce(&Dynamic) -> Result<T, ShapeError>,
) -> Result<T, ScriptError> {
    host.run(&script.path, &script.ast)?;
    let value = script.call(host, function, ())?;
    read(&value).map_err(|e| script.shape_error(&e))
}

fn loosens(path: String, value: impl std::fmt::Display, core: impl std::fmt::Display, field: &str) -> ShapeError {
    ShapeError {
        path,
        message: format!(
            "{value} loosens the core ceiling {field} = {core} (configs/limits.toml); scripts may only tighten"
        ),
    }
}

fn pal_table(value: &Dynamic, core: &CoreCeilings) -> Result<PalTable, ShapeError> {
    let fields = Fields::of(value, "pal()", &["series", "strikes"], &["unlisted"])?;
    let series_pal = |v: &Dynamic, path: &str| -> Result<SeriesPal, ShapeError> {
        let f = Fields::of(v, path, &["max_loss", "strike_loss"], &[])?;
        let strike_loss = shape::money(f.req("strike_loss"), &f.path_of("strike_loss"))?;
        if strike_loss > core.max_loss_per_strike {
            return Err(loosens(
                f.path_of("strike_loss"),
                strike_loss,
                core.max_loss_per_strike,
                "max_loss_per_strike",
            ));
        }
        let max_loss = shape::money(f.req("max_loss"), &f.path_of("max_loss"))?;
        let core_series = core.pretrade.max_loss_per_series;
        if max_loss > core_series {
            return Err(loosens(f.path_of("max_loss"), max_loss, core_series, "[pretrade] max_loss_per_series"));
        }
        Ok(SeriesPal { max_loss, strike_loss })
    };
    let mut series = std::collections::BTreeMap::new();
    for (ticker, v) in shape::map(fields.req("series"), "pal().series")? {
        let pal = series_pal(&v, &format!("pal().series.{ticker}"))?;
        series.insert(ticker.to_string(), pal);
    }
    let unlisted = fields.get("unlisted").map(|v| series_pal(v, "pal().unlisted")).transpose()?;
    let mut strikes = Vec::new();
    for (i, rule) in shape::array(fields.req("strikes"), "pal().strikes")?.iter().enumerate() {
        let path = format!("pal().strikes[{i}]");
        let f = Fields::of(rule, &path, &["pattern", "max_loss"], &[])?;
        let pattern = shape::string(f.req("pattern"), &f.path_of("pattern"))?;
        let glob = Glob::new(&pattern).map_err(|message| ShapeError { path: f.path_of("pattern"), message })?;
        let max_loss = shape::money(f.req("max_loss"), &f.path_of("max_loss"))?;
        if max_loss > core.max_loss_per_strike {
            return Err(loosens(f.path_of("max_loss"), max_loss, core.max_loss_per_strike, "max_loss_per_strike"));
        }
        strikes.push((glob, max_loss));
    }
    Ok(PalTable { series, unlisted, strikes })
}

fn pilot_table(value: &Dynamic, core: &CoreCeilings) -> Result<PilotTable, ShapeError> {
    let f = Fields::of(
        value,
        "pilot()",
        &[
            "max_contracts_per_order",
            "max_unique_bins_per_event",
            "maker_only",
            "allowed_series",
            "daily_loss_cap",
            "weekly_loss_cap",
        ],
        &[],
    )?;
    let max_contracts = shape::count(f.req("max_contracts_per_order"), &f.path_of("max_contracts_per_order"))?;
    if max_contracts > core.max_contracts_per_order {
        return Err(loosens(
            f.path_of("max_contracts_per_order"),
            max_contracts,
            core.max_contracts_per_order,
            "max_contracts_per_order",
        ));
    }
    let bins = shape::small_int(f.req("max_unique_bins_per_event"), &f.path_of("max_unique_bins_per_event"))?;
    if bins > core.max_bins_per_event {
        return Err(loosens(
            f.path_of("max_unique_bins_per_event"),
            bins,
            core.max_bins_per_event,
            "max_bins_per_event",
        ));
    }
    let maker_only = shape::boolean(f.req("maker_only"), &f.path_of("maker_only"))?;
    if core.maker_only && !maker_only {
        return Err(loosens(f.path_of("maker_only"), false, true, "maker_only"));
    }
    let allowed_series = shape::string_set(f.req("allowed_series"), &f.path_of("allowed_series"))?;
    if let Some(extra) = allowed_series.iter().find(|s| !core.allowed_series.contains(s)) {
        return Err(loosens(
            f.path_of("allowed_series"),
            format!("\"{extra}\""),
            format!("{:?}", core.allowed_series),
            "allowed_series",
        ));
    }
    let cap = |field: &str, core_cap: Money| -> Result<Money, ShapeError> {
        let value = shape::money(f.req(field), &f.path_of(field))?;
        if value > core_cap {
            return Err(loosens(f.path_of(field), value, core_cap, &format!("[pretrade] {field}")));
        }
        Ok(value)
    };
    Ok(PilotTable {
        max_contracts_per_order: max_contracts,
        max_unique_bins_per_event: bins,
        maker_only,
        allowed_series,
        daily_loss_cap: cap("daily_loss_cap", core.pretrade.daily_loss_cap)?,
        weekly_loss_cap: cap("weekly_loss_cap", core.pretrade.weekly_loss_cap)?,
    })
}

/// The set's files in a stable order: `policies/*.rhai`, `policies/lib/*.rhai`,
/// `policies/tests/*.toml`, then `scripts/*.rhai`, each with its text.
fn collect_files(paths: &PolicyPaths) -> Result<Vec<(FileDigest, String)>, ScriptError> {
    let mut out = Vec::new();
    let dirs = [
        (Some(paths.policies.clone()), "rhai", true),
        (Some(paths.lib()), "rhai", false),
        (Some(paths.tests()), "toml", false),
        (paths.scripts.clone(), "rhai", false),
    ];
    for (dir, ext, required) in dirs {
        let Some(dir) = dir else { continue };
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(ScriptError { file: dir, line: None, column: None, message: format!("cannot list: {e}") });
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == ext))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|e| ScriptError {
                file: path.clone(),
                line: None,
                column: None,
                message: format!("cannot read: {e}"),
            })?;
            out.push((FileDigest { sha256: sha256_hex(text.as_bytes()), path }, text));
        }
    }
    Ok(out)
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn set_digest(files: &[FileDigest]) -> String {
    let mut text = String::new();
    for f in files {
        let name = f.path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        let parent = f.path.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy()).unwrap_or_default();
        text.push_str(&format!("{parent}/{name} {}\n", f.sha256));
    }
    sha256_hex(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAL: &str = r#"fn pal() { #{ series: #{ KXA: #{ max_loss: "10.00", strike_loss: "3.00" } },
        strikes: [ #{ pattern: "KXA-*-T9*", max_loss: "1.00" } ], unlisted: #{ max_loss: 4, strike_loss: "0.50" } } }"#;
    const PILOT: &str = r#"fn pilot() { #{ max_contracts_per_order: 10, max_unique_bins_per_event: 2, maker_only: true,
        allowed_series: ["KXA", "KXB"], daily_loss_cap: "20.00", weekly_loss_cap: "50.00" } }"#;
    const GATES: &str = r#"fn gate(ctx) { if ctx.kill_switch { #{ "go": false, reasons: ["KILL"] } } else { #{ "go": true, reasons: [] } } }"#;

    fn core() -> CoreCeilings {
        toml::from_str(
            (r#"
            max_contracts_per_order = "25"
            max_loss_per_strike = "5.00"
            max_bins_per_event = 2
            maker_only = true
            allowed_series = ["KXA", "KXB"]
            "#
            .to_string()
                + crate::risk::ceilings::TEST_PRETRADE)
                .as_str(),
        )
        .unwrap()
    }

    /// A set made of the minimal files above, with `overrides` replacing or adding files.
    fn set_with(overrides: &[(&str, &str)]) -> (tempfile::TempDir, Result<PolicySet, Vec<ScriptError>>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("lib")).unwrap();
        for (name, text) in [(PAL_FILE, PAL), (PILOT_FILE, PILOT), (GATES_FILE, GATES)].iter().chain(overrides) {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let paths = PolicyPaths { policies: dir.path().to_path_buf(), scripts: None };
        let set = PolicySet::compile(&paths, &core());
        (dir, set)
    }

    fn money(s: &str) -> Money {
        s.parse().unwrap()
    }

    #[test]
    fn pal_table_resolves_patterns_series_and_default() {
        let (_dir, set) = set_with(&[]);
        let set = set.unwrap();
        let t = set.table();
        assert_eq!(t.strike_loss("KXA", "KXA-1-T95").value, money("1.00"), "pattern first");
        assert_eq!(t.strike_loss("KXA", "KXA-1-B5").value, money("3.00"), "series default");
        assert_eq!(t.strike_loss("KXB", "KXB-1-B5").value, money("0.50"), "policy default");
        assert_eq!(t.series_loss("KXB"), Some(Some(money("4.00"))));
        assert!(set.hook().is_none(), "no check() defined");
        assert_eq!(set.digest().len(), 64);
    }

    #[test]
    fn pilot_loosening_is_refused_at_its_key() {
        let loose = PILOT.replace("allowed_series: [\"KXA\", \"KXB\"]", "allowed_series: [\"KXA\", \"KXZ\"]");
        let (_dir, set) = set_with(&[(PILOT_FILE, &loose)]);
        let errors = set.unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].column), (Some(2), Some(9)), "{}", errors[0]);
        assert!(errors[0].message.contains("\"KXZ\" loosens the core ceiling allowed_series"), "{}", errors[0]);
    }

    #[test]
    fn gate_runs_and_fails_closed_on_a_bad_shape() {
        let (_dir, set) = set_with(&[]);
        let set = set.unwrap();
        let calm = GateContext { series: "KXA".into(), ..GateContext::default() };
        assert!(set.gate(&calm).go);
        assert_eq!(set.gate(&GateContext { kill_switch: true, ..calm.clone() }).reasons, ["KILL"]);
        let odd =
            r#"fn gate(ctx) { if ctx.series == "KXB" { #{ "go": true } } else { #{ "go": true, reasons: [] } } }"#;
        let (_dir, set) = set_with(&[(GATES_FILE, odd)]);
        let gate = set.unwrap().gate(&GateContext { series: "KXB".into(), ..GateContext::default() });
        assert!(!gate.go);
        assert!(gate.reasons[0].starts_with("SCRIPT_ERROR: "), "{gate:?}");
        assert!(gate.reasons[0].contains("gate().reasons: missing"), "{gate:?}");
    }

    #[test]
    fn hooks_combine_tightest_and_deny_wins() {
        let pal = format!("{PAL}\nfn check(order, exposure) {{ #{{ max_contracts: 4, reason: \"pal says 4\" }} }}");
        let pilot = format!(
            "{PILOT}\nfn check(order, exposure) {{ if order.ticker == \"KXA-1-X\" {{ #{{ allow: false, reason: \"no X\" }} }} else {{ #{{ max_contracts: 6, reason: \"pilot says 6\" }} }} }}"
        );
        let (_dir, set) = set_with(&[(PAL_FILE, &pal), (PILOT_FILE, &pilot)]);
        let set = set.unwrap();
        let mut p = Proposal {
            series: "KXA".into(),
            event: "KXA-1".into(),
            ticker: "KXA-1-B5".into(),
            label: String::new(),
            side: Side::Yes,
            role: Role::Maker,
            price: Price::from_cents(10).unwrap(),
            count: Count::from_whole(10).unwrap(),
            model_p: 0.5,
            market_p: 0.5,
            ev_per_contract: Money::ZERO,
            ev_order: Money::ZERO,
            fee: Money::ZERO,
            max_loss: Money::ZERO,
            kelly: 0.0,
        };
        let hook = set.hook().unwrap();
        match hook.check(&p, &Exposure::default()) {
            HookVerdict::Clip { max, reason } => {
                assert_eq!(max.whole(), 4);
                assert_eq!(reason.to_string(), "POLICY_HOOK: pal says 4 [pal.rhai]");
            }
            other => panic!("{other:?}"),
        }
        p.ticker = "KXA-1-X".into();
        assert!(matches!(hook.check(&p, &Exposure::default()), HookVerdict::Deny { .. }));
    }

    #[test]
    fn locate_prefers_keys() {
        let src = "fn pilot() {\n  // max_contracts_per_order is the size cap\n  #{ max_contracts_per_order: 10 }\n}";
        assert_eq!(locate(src, "max_contracts_per_order"), Some((3, 6)));
        assert_eq!(locate(src, "pilot"), Some((1, 4)));
        assert_eq!(locate(src, "nothing"), None);
    }

    #[test]
    fn hook_shapes() {
        assert!(matches!(hook_shape(&Dynamic::UNIT), Ok(HookReply::Allow)));
        assert!(matches!(hook_shape(&Dynamic::from(false)), Ok(HookReply::Deny(_))));
        let mut m = rhai::Map::new();
        m.insert("max_contracts".into(), Dynamic::from(3_i64));
        assert!(hook_shape(&Dynamic::from_map(m.clone())).unwrap_err().contains("reason"));
        m.insert("reason".into(), Dynamic::from("thin book"));
        assert!(matches!(hook_shape(&Dynamic::from_map(m)), Ok(HookReply::Clip(c, _)) if c.whole() == 3));
        assert!(hook_shape(&Dynamic::from(1.5_f64)).unwrap_err().contains("expected ()"));
    }
}
