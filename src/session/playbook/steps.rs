//! The host steps a playbook can call (`scan`, `submit`, `wait_until`, …), registered with
//! their signatures and documentation on the playbook's engine.

use super::*;
use crate::rules::api::register_documented;

/// Registers the host steps on `host`, bound to one session.
pub(super) fn register_steps(host: &mut Host, shared: &Shared) {
    let engine = host.engine_mut();
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "scan",
        &["series: &str", "Map"],
        "Scans every fixture event of a series through the active policy set.\nReturns #{series, go, reasons, approved, denied, events: [#{event, title, bins, decisions}]}.",
        move |series: &str| lock(&s).scan(series, None),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "scan",
        &["series: &str", "event: &str", "Map"],
        "Scans one event of a series; returns the same map as scan(series).",
        move |series: &str, event: &str| lock(&s).scan(series, Some(event)),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "gate",
        &["series: &str", "Map"],
        "GO/NO-GO of the series' last scan (scans first if needed): #{go, reasons}; read it as result[\"go\"].",
        move |series: &str| lock(&s).gate(series),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "submit",
        &["series: &str", "int"],
        "Sends the approved and clipped orders of the series' last scan to the broker when it is GO.\nReturns how many were sent (0 on NO-GO).",
        move |series: &str| lock(&s).submit(series),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "cancel_all",
        &["reason: &str", "int"],
        "Cancels every resting order of the broker, this session's and any kept from earlier runs (always allowed); returns how many.",
        move |reason: &str| lock(&s).cancel_all(reason),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "cancel",
        &["series: &str", "reason: &str", "int"],
        "Cancels the resting orders of one series (always allowed); returns how many.",
        move |series: &str, reason: &str| lock(&s).cancel_series(series, reason),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "trading_state",
        &["String"],
        "The trading state live orders obey: \"active\", \"reducing\" (only risk-reducing orders) or \"halted\" (only cancels).",
        move || lock(&s).trading_state(),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "tighten_trading_state",
        &["state: &str", "reason: &str", "String"],
        "Moves the trading state toward HALTED (\"reducing\" or \"halted\"; a script can never loosen it), audited;\nreturns the state after. A rehearsal changes nothing and returns what it would be.",
        move |state: &str, reason: &str| lock(&s).tighten_trading_state(state, reason),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "report",
        &["series: &str", "String"],
        "Writes the series' Markdown report and proposals JSON; returns the report path.",
        move |series: &str| lock(&s).report(series),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "outstanding",
        &["int"],
        "How many orders the broker has outstanding now (this session's and any kept from earlier runs).",
        move || i64::try_from(lock(&s).broker.open_orders()).unwrap_or(i64::MAX),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "fetch",
        &["sources: Array", "Map"],
        "Fetches each data source (fetch([\"nws_forecast\", \"nws_cli\"])): online the network first, offline the cache\nthen the bundled fixture; then reloads the strategies' inputs. Returns per source #{ok, origin, rows, as_of, fallback, error}. A rehearsal fetches nothing.",
        move |sources: rhai::Array| lock(&s).fetch(sources),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "calibrate",
        &["series: &str", "Map"],
        "Fits the series' strategy on every payload kept (data/proc/calibration/), then reloads the strategies' inputs.\nReturns #{ok, strategy, observations, from, to, file, error}. A rehearsal fits nothing.",
        move |series: &str| lock(&s).calibrate(series),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "log",
        &["message: &str", "()"],
        "Prints a line with the session's New York time and records it.",
        move |message: &str| lock(&s).log(message),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "session",
        &["Map"],
        "This session: #{playbook, dry_run, broker, orders, policy_version, policy_sha256}.",
        move || lock(&s).info(),
    );
    let s = Arc::clone(shared);
    register_documented(engine, "now_et", &["String"], "The session's New York wall time, HH:MM.", move || {
        lock(&s).now_et()
    });
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "wait_until",
        &["hh_mm: &str", "bool"],
        "Sleeps until HH:MM New York time today, a New York date-time (\"2027-03-14 08:30\") or an RFC 3339 instant\n(under --dry-run the session clock jumps instead). Returns false when the time has already passed.",
        move |hh_mm: &str| Session::wait_until(&s, hh_mm),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "has_markets",
        &["series: &str", "bool"],
        "True when the session can scan the series (fixtures offline, followed series online).",
        move |series: &str| lock(&s).has_markets(series, None),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "has_markets",
        &["series: &str", "event: &str", "bool"],
        "True when the session can scan that event of the series.",
        move |series: &str, event: &str| lock(&s).has_markets(series, Some(event)),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "is_day",
        &["calendar: &str", "bool"],
        "True when today (New York) is a day of the calendar (configs/calendars/NAME.toml).",
        move |calendar: &str| lock(&s).is_day(calendar),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "days_this_week",
        &["calendar: &str", "Array"],
        "The calendar's days in this Monday-to-Sunday week (New York), as \"YYYY-MM-DD\" strings.",
        move |calendar: &str| lock(&s).days_this_week(calendar),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "hourly_event",
        &["series: &str", "String"],
        "The series' event ticker for the next top of the hour, New York time (KXINXU-26NOV24H1600).",
        move |series: &str| lock(&s).hourly_event(series),
    );
    let s = Arc::clone(shared);
    register_documented(
        engine,
        "pause",
        &["seconds: f64", "()"],
        "Waits this many seconds (under --dry-run the session clock jumps instead); live books stay subscribed.",
        move |seconds: f64| Session::pause(&s, seconds),
    );
}
