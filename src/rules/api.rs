//! The typed API scripts see: exact `Money`, `Count` and `Price` values, and read-only views
//! of an order proposal, the exposure around it, a gate context and a ladder bin. No file,
//! network or clock access is registered here: playbooks get those only as host steps.

use std::sync::Arc;

use rhai::{
    Array, Dynamic, Engine, EvalAltResult, FuncRegistration, ImmutableString, Map, Position, RhaiNativeFunc, Variant,
};

use crate::model::{Count, Money, Price, Proposal, Role, Side};
use crate::risk::gate::GateContext;
use crate::risk::limits::{Exposure, SizeWeights};
use crate::scan::RungRow;

/// A proposal as scripts see it (cheap to clone into the engine).
#[derive(Debug, Clone)]
pub struct OrderView(pub Arc<Proposal>);

/// A ladder bin (one market) as scripts see it.
#[derive(Debug, Clone)]
pub struct BinView(pub Arc<RungRow>);

/// A script-side error at no particular position (the host adds file and line).
pub fn runtime_error(message: impl Into<String>) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(Dynamic::from(message.into()), Position::NONE))
}

/// Registers `func` as `name` with parameter names and types, return type (last entry of
/// `signature`) and a doc comment, so `policy defs` shows them to editors.
pub fn register_documented<A: 'static, const N: usize, const X: bool, R: Variant + Clone, const F: bool, FUNC>(
    engine: &mut Engine,
    name: &str,
    signature: &[&str],
    doc: &str,
    func: FUNC,
) where
    FUNC: RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
{
    let comment: String = doc.lines().map(|l| format!("/// {l}\n")).collect();
    FuncRegistration::new(name)
        .with_params_info(signature)
        .with_comments([comment.trim_end()])
        .register_into_engine(engine, func);
}

fn opt_dynamic<T: Into<Dynamic>>(value: Option<T>) -> Dynamic {
    value.map_or(Dynamic::UNIT, Into::into)
}

/// Registers the exact-number types and every read-only view.
pub fn register(engine: &mut Engine) {
    register_money(engine);
    register_count(engine);
    register_price(engine);
    register_order(engine);
    register_exposure(engine);
    register_gate_context(engine);
    register_bin(engine);
    register_evidence(engine);
}

/// The size weights scripts read through `ev_honesty(series, side, p)`: set by the session
/// that loaded `reports/_artifacts/ev_honesty.json` (none: every weight is 1).
static SIZE_WEIGHTS: std::sync::RwLock<Option<Arc<dyn SizeWeights + Send + Sync>>> = std::sync::RwLock::new(None);

/// Makes `weights` what `ev_honesty(...)` reads in every policy script of this process.
pub fn set_size_weights(weights: Option<Arc<dyn SizeWeights + Send + Sync>>) {
    // A poisoned lock still holds a whole value: take it over.
    *SIZE_WEIGHTS.write().unwrap_or_else(|p| p.into_inner()) = weights;
}

fn register_evidence(engine: &mut Engine) {
    register_documented(
        engine,
        "ev_honesty",
        &["series: &str", "side: &str", "p: f64", "f64"],
        "The EV-honesty size weight (0 to 1) of the bin holding a `side` (\"yes\"/\"no\") contract on\n`series` at model probability `p`; 1 where there is no evidence.",
        |series: &str, side: &str, p: f64| -> Result<f64, Box<rhai::EvalAltResult>> {
            let side = match side {
                "yes" => Side::Yes,
                "no" => Side::No,
                other => return Err(runtime_error(format!("ev_honesty: side \"{other}\" is not \"yes\" or \"no\""))),
            };
            let weights = SIZE_WEIGHTS.read().unwrap_or_else(|p| p.into_inner());
            Ok(weights.as_ref().and_then(|w| w.weight(series, side, p)).map_or(1.0, |(bp, _)| f64::from(bp) / 10_000.0))
        },
    );
}

/// Comparison operators and printing for a totally ordered value type.
macro_rules! ordered {
    ($engine:expr, $ty:ty) => {
        $engine
            .register_fn("==", |a: $ty, b: $ty| a == b)
            .register_fn("!=", |a: $ty, b: $ty| a != b)
            .register_fn("<", |a: $ty, b: $ty| a < b)
            .register_fn("<=", |a: $ty, b: $ty| a <= b)
            .register_fn(">", |a: $ty, b: $ty| a > b)
            .register_fn(">=", |a: $ty, b: $ty| a >= b)
            .register_fn("min", |a: $ty, b: $ty| a.min(b))
            .register_fn("max", |a: $ty, b: $ty| a.max(b))
            .register_fn("to_string", |a: &mut $ty| a.to_string())
            .register_fn("to_debug", |a: &mut $ty| a.to_string())
    };
}

fn register_money(engine: &mut Engine) {
    engine.register_type_with_name::<Money>("Money");
    register_documented(
        engine,
        "money",
        &["text: &str", "Money"],
        "Exact dollars from text: money(\"5.00\").",
        |s: &str| s.parse::<Money>().map_err(|e| runtime_error(format!("money(\"{s}\"): {e}"))),
    );
    register_documented(engine, "money", &["dollars: int", "Money"], "Whole dollars: money(5).", |dollars: i64| {
        dollars
            .checked_mul(100_000_000)
            .map(Money::from_units)
            .ok_or_else(|| runtime_error(format!("money({dollars}): out of range")))
    });
    let checked = |op: Option<i64>| op.map(Money::from_units).ok_or_else(|| runtime_error("money overflow"));
    register_documented(engine, "+", &["a: Money", "b: Money", "Money"], "Exact sum.", move |a: Money, b: Money| {
        checked(a.units().checked_add(b.units()))
    });
    register_documented(
        engine,
        "-",
        &["a: Money", "b: Money", "Money"],
        "Exact difference.",
        move |a: Money, b: Money| checked(a.units().checked_sub(b.units())),
    );
    register_documented(engine, "*", &["a: Money", "n: int", "Money"], "Exact multiple.", move |a: Money, n: i64| {
        checked(a.units().checked_mul(n))
    });
    engine.register_get("is_negative", |m: &mut Money| m.is_negative());
    ordered!(engine, Money);
}

fn register_count(engine: &mut Engine) {
    engine.register_type_with_name::<Count>("Count");
    register_documented(engine, "count", &["text: &str", "Count"], "Contracts from text: count(\"10\").", |s: &str| {
        s.parse::<Count>().map_err(|e| runtime_error(format!("count(\"{s}\"): {e}")))
    });
    register_documented(engine, "count", &["contracts: int", "Count"], "Whole contracts: count(10).", |n: i64| {
        Count::from_whole(n).map_err(|e| runtime_error(format!("count({n}): {e}")))
    });
    engine.register_get("whole", |c: &mut Count| c.whole());
    ordered!(engine, Count);
}

fn register_price(engine: &mut Engine) {
    engine.register_type_with_name::<Price>("Price");
    register_documented(
        engine,
        "price",
        &["text: &str", "Price"],
        "A price in dollars: price(\"0.56\").",
        |s: &str| s.parse::<Price>().map_err(|e| runtime_error(format!("price(\"{s}\"): {e}"))),
    );
    engine
        .register_get("probability", |p: &mut Price| p.as_probability())
        .register_get("complement", |p: &mut Price| p.complement());
    ordered!(engine, Price);
}

fn side_str(side: Side) -> &'static str {
    match side {
        Side::Yes => "yes",
        Side::No => "no",
    }
}

fn role_str(role: Role) -> &'static str {
    match role {
        Role::Maker => "maker",
        Role::Taker => "taker",
    }
}

fn register_order(engine: &mut Engine) {
    engine
        .register_type_with_name::<OrderView>("Order")
        .register_get("series", |o: &mut OrderView| ImmutableString::from(o.0.series.as_str()))
        .register_get("event", |o: &mut OrderView| ImmutableString::from(o.0.event.as_str()))
        .register_get("ticker", |o: &mut OrderView| ImmutableString::from(o.0.ticker.as_str()))
        .register_get("label", |o: &mut OrderView| ImmutableString::from(o.0.label.as_str()))
        .register_get("side", |o: &mut OrderView| side_str(o.0.side))
        .register_get("role", |o: &mut OrderView| role_str(o.0.role))
        .register_get("price", |o: &mut OrderView| o.0.price)
        .register_get("count", |o: &mut OrderView| o.0.count)
        .register_get("model_p", |o: &mut OrderView| o.0.model_p)
        .register_get("market_p", |o: &mut OrderView| o.0.market_p)
        .register_get("ev_per_contract", |o: &mut OrderView| o.0.ev_per_contract)
        .register_get("ev", |o: &mut OrderView| o.0.ev_order)
        .register_get("fee", |o: &mut OrderView| o.0.fee)
        .register_get("max_loss", |o: &mut OrderView| o.0.max_loss)
        .register_get("kelly", |o: &mut OrderView| o.0.kelly)
        .register_fn("to_string", |o: &mut OrderView| {
            format!("{} {} {} {} @ {}", o.0.ticker, role_str(o.0.role), side_str(o.0.side), o.0.count, o.0.price)
        });
}

fn register_exposure(engine: &mut Engine) {
    engine
        .register_type_with_name::<Exposure>("Exposure")
        .register_get("series_loss", |e: &mut Exposure| e.series_loss)
        .register_get("strike_loss", |e: &mut Exposure| e.strike_loss)
        .register_get("daily_loss", |e: &mut Exposure| e.daily_loss)
        .register_get("weekly_loss", |e: &mut Exposure| e.weekly_loss)
        .register_get("event_bins", |e: &mut Exposure| i64::try_from(e.event_bins).unwrap_or(i64::MAX));
}

fn register_gate_context(engine: &mut Engine) {
    engine
        .register_type_with_name::<GateContext>("GateContext")
        .register_get("series", |g: &mut GateContext| g.series.clone())
        .register_get("kill_switch", |g: &mut GateContext| g.kill_switch)
        .register_get("book_flags", |g: &mut GateContext| {
            g.book_flags.iter().map(|f| Dynamic::from(f.clone())).collect::<Array>()
        })
        .register_get("monitors", |g: &mut GateContext| {
            g.monitors.iter().map(|(k, v)| (k.as_str().into(), Dynamic::from(v.clone()))).collect::<Map>()
        })
        .register_get("data_age_secs", |g: &mut GateContext| opt_dynamic(g.data_age_secs))
        .register_get("model_data_age_secs", |g: &mut GateContext| opt_dynamic(g.model_data_age_secs))
        .register_get("model_data_source", |g: &mut GateContext| g.model_data_source.clone())
        .register_get("online", |g: &mut GateContext| g.online)
        .register_get("calibration_age_hours", |g: &mut GateContext| opt_dynamic(g.calibration_age_hours))
        .register_get("heartbeat_age_secs", |g: &mut GateContext| opt_dynamic(g.heartbeat_age_secs))
        .register_get("clock_skew_ms", |g: &mut GateContext| opt_dynamic(g.clock_skew_ms))
        .register_get("now_et", |g: &mut GateContext| g.now_et.clone());
}

fn register_bin(engine: &mut Engine) {
    engine
        .register_type_with_name::<BinView>("Bin")
        .register_get("ticker", |b: &mut BinView| b.0.ticker.clone())
        .register_get("label", |b: &mut BinView| b.0.label.clone())
        .register_get("tradeable", |b: &mut BinView| b.0.tradeable)
        .register_get("yes_bid", |b: &mut BinView| opt_dynamic(b.0.yes_bid.map(Dynamic::from)))
        .register_get("yes_ask", |b: &mut BinView| opt_dynamic(b.0.yes_ask.map(Dynamic::from)))
        .register_get("market_p", |b: &mut BinView| b.0.market_p)
        .register_get("model_p", |b: &mut BinView| b.0.model_p);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::host::{Host, Limits};
    use std::path::Path;

    fn eval(src: &str) -> Result<Dynamic, String> {
        let mut host = Host::new(Path::new("policies/lib"), Limits::default());
        register(host.engine_mut());
        let file = Path::new("t.rhai");
        let ast = host.compile(file, &format!("fn main() {{ {src} }}")).map_err(|e| e.to_string())?;
        host.call::<Dynamic>(file, &ast, "main", ()).map_err(|e| e.to_string())
    }

    #[test]
    fn money_is_exact() {
        let m = eval(r#"money("0.10") + money("0.20") == money("0.30")"#).unwrap();
        assert!(m.as_bool().unwrap());
        let s = eval(r#"`${money("1.005") * 3}`"#).unwrap();
        assert_eq!(s.into_string().unwrap(), "3.0150");
        assert!(eval(r#"money("abc")"#).unwrap_err().contains("money(\"abc\")"));
        assert!(eval(r#"money(9223372036854775807)"#).unwrap_err().contains("out of range"));
        assert!(eval(r#"count(-1)"#).is_err());
        assert!(eval(r#"price("1.5")"#).is_err());
        assert!(
            eval(r#"count("2.5") < count(3) && price("0.40").complement == price("0.60")"#).unwrap().as_bool().unwrap()
        );
    }

    #[test]
    fn gate_context_unknowns_are_unit() {
        let mut host = Host::new(Path::new("policies/lib"), Limits::default());
        register(host.engine_mut());
        let file = Path::new("g.rhai");
        let ast = host
            .compile(file, "fn f(ctx) { [ctx.data_age_secs == (), ctx.heartbeat_age_secs, ctx.monitors.feed, ctx.book_flags.len()] }")
            .unwrap();
        let ctx = GateContext {
            series: "KXA".into(),
            heartbeat_age_secs: Some(3.5),
            monitors: [("feed".to_string(), "ok".to_string())].into(),
            ..GateContext::default()
        };
        let out = host.call::<Array>(file, &ast, "f", (ctx,)).unwrap();
        assert!(out[0].as_bool().unwrap());
        assert_eq!(out[1].as_float().unwrap(), 3.5);
        assert_eq!(out[2].clone().into_string().unwrap(), "ok");
        assert_eq!(out[3].as_int().unwrap(), 0);
    }
}
