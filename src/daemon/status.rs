//! The operator console on loopback (the daemon's page, and `console` without the schedule
//! running): `/status.json` (next runs, last runs with outcome and GO/NO-GO, policy version,
//! kill switch, heartbeat age, broker per entry, and the operator view — trading state, each
//! series' GO/NO-GO, positions and resting orders, P&L against the caps, data and calibration
//! ages, drift alarms) and `/`, the same as one HTML page. It works without JavaScript (a
//! `<noscript>` refresh every 5 seconds); with it, the page replaces its body every 5 seconds
//! without a reload. `/reports/…` serves the reports it links to. Read-only.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::Utc;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use serde::Serialize;

use crate::schedule::Run;
use crate::session::heartbeat::HeartbeatFile;

/// What the daemon publishes about itself, refreshed on each turn of its loop.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Board {
    /// Upcoming runs.
    pub next_runs: Vec<Run>,
    /// Broker per entry.
    pub brokers: BTreeMap<String, String>,
    /// Policy set version and SHA-256.
    pub policy_version: String,
    /// Runs in progress (playbook names).
    pub running: Vec<String>,
}

/// The status page's inputs: the board and the files it reads per request.
#[derive(Debug, Clone)]
pub struct StatusSource {
    /// Published by the daemon.
    pub board: Arc<Mutex<Board>>,
    /// Root holding `data/`.
    pub out_root: PathBuf,
    /// The data directory's kill switch (engaged when anything is at its path).
    pub kill_switch: crate::brokers::controls::KillSwitch,
    /// Where the operator view reads (and the schedule, when no daemon publishes next runs).
    pub console: Option<crate::daemon::console::ConsolePaths>,
}

#[derive(Serialize)]
struct Status {
    now_utc: String,
    #[serde(flatten)]
    board: Board,
    last_runs: Vec<serde_json::Value>,
    kill_switch: bool,
    heartbeat_age_secs: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    operator: Option<crate::daemon::console::OperatorView>,
}

/// How many of the latest runs the page shows.
const LAST_RUNS: usize = 20;

impl StatusSource {
    fn status(&self) -> Status {
        let runs_path = self.out_root.join("data/proc/runs.jsonl");
        let text = std::fs::read_to_string(runs_path).unwrap_or_default();
        let mut last_runs: Vec<serde_json::Value> =
            text.lines().rev().take(LAST_RUNS).filter_map(|l| serde_json::from_str(l).ok()).collect();
        last_runs.reverse();
        let now = Utc::now();
        let mut board = self.board.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let (true, Some(c)) = (board.next_runs.is_empty(), &self.console) {
            // No daemon publishes them: the schedule's own next runs.
            let paths = crate::session::schedule_files::SchedulePaths {
                schedule: c.configs.join("schedule.toml"),
                calendars: c.configs.join("calendars"),
                scripts: c.scripts.clone(),
            };
            if let Ok(schedule) = crate::session::schedule_files::load_schedule(&paths) {
                board.next_runs = schedule.next_runs(now, 10);
                board.brokers =
                    schedule.entries.iter().map(|e| (e.name.clone(), e.broker.as_str().to_string())).collect();
            }
        }
        let operator = self.console.as_ref().map(|c| crate::daemon::console::operator_view(c, &self.kill_switch, now));
        if let Some(o) = &operator
            && board.policy_version.is_empty()
        {
            board.policy_version.clone_from(&o.policy_version);
        }
        Status {
            now_utc: now.to_rfc3339(),
            board,
            last_runs,
            kill_switch: self.kill_switch.is_engaged(),
            heartbeat_age_secs: HeartbeatFile::under(&self.out_root).age_secs(now),
            operator,
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn html(s: &Status) -> String {
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><noscript><meta http-equiv=\"refresh\" content=\"5\"></noscript>\
         <title>kalshi-alpha console</title><style>body{font-family:system-ui,sans-serif;margin:1.5em;color:#1d2330}table{border-collapse:collapse;margin:.4em 0}\
         td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}.NO-GO,.failed,.stopped,.refused,.fail,.ENGAGED,.HALTED,.REDUCING{color:#b00;font-weight:600}\
         .GO,.ok,.ACTIVE{color:#1a7f37}.warn{color:#9a6700}</style>\
         <script>setInterval(function(){fetch('/',{cache:'no-store'}).then(function(r){return r.text()}).then(function(t){\
         var d=new DOMParser().parseFromString(t,'text/html');document.body.innerHTML=d.body.innerHTML;}).catch(function(){});},5000);</script></head><body>\n",
    );
    out.push_str("<h1>kalshi-alpha console</h1>\n<ul>\n");
    out.push_str(&format!("<li>now: <span id=\"now\">{}</span></li>\n", escape(&s.now_utc)));
    out.push_str(&format!("<li>policy: <span id=\"policy\">{}</span></li>\n", escape(&s.board.policy_version)));
    out.push_str(&format!(
        "<li>kill switch: <span id=\"kill\">{}</span></li>\n",
        if s.kill_switch { "ENGAGED" } else { "off" }
    ));
    let beat = s.heartbeat_age_secs.map_or_else(|| "none".to_string(), |a| format!("{a:.1} s"));
    out.push_str(&format!("<li>heartbeat age: <span id=\"heartbeat\">{beat}</span></li>\n"));
    out.push_str(&format!(
        "<li>running: <span id=\"running\">{}</span></li>\n</ul>\n",
        escape(&s.board.running.join(", "))
    ));
    if let Some(o) = &s.operator {
        operator_html(&mut out, o);
    }
    out.push_str("<h2>Next runs</h2>\n<table id=\"next\"><tr><th>entry</th><th>playbook</th><th>broker</th><th>ET</th><th>UTC</th></tr>\n");
    for r in &s.board.next_runs {
        let broker = s.board.brokers.get(&r.entry).map_or("", String::as_str);
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&r.entry),
            escape(&r.playbook),
            escape(broker),
            escape(&r.et),
            r.utc.format("%Y-%m-%dT%H:%M:%SZ")
        ));
    }
    out.push_str("</table>\n<h2>Last runs</h2>\n<table id=\"last\"><tr><th>entry</th><th>scheduled</th><th>outcome</th><th>GO/NO-GO</th><th>orders</th><th>detail</th></tr>\n");
    for r in s.last_runs.iter().rev() {
        let text = |k: &str| escape(r[k].as_str().unwrap_or_default());
        let gates = r["go_no_go"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let badge = v.as_str().unwrap_or_default();
                        format!("<span class=\"{}\">{} {}</span>", escape(badge), escape(k), escape(badge))
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{gates}</td><td>{}</td><td>{}</td></tr>\n",
            text("entry"),
            text("scheduled"),
            text("outcome"),
            text("outcome"),
            r["orders"].as_u64().unwrap_or(0),
            text("detail")
        ));
    }
    out.push_str("</table>\n</body></html>\n");
    out
}

fn changed(c: &crate::daemon::console::Changed) -> String {
    let mut text = format!("<span class=\"{}\">{}</span>", escape(&c.value), escape(&c.value));
    if !c.by.is_empty() || !c.reason.is_empty() {
        text.push_str(&format!(" — by {}: {}", escape(&c.by), escape(&c.reason)));
    }
    if let Some(at) = &c.at {
        text.push_str(&format!(" at {}", escape(at)));
    }
    text
}

/// The operator view's sections.
fn operator_html(out: &mut String, o: &crate::daemon::console::OperatorView) {
    out.push_str(&format!(
        "<h2>Trading</h2>\n<ul><li>state: <span id=\"state\">{}</span></li><li>kill switch: {}</li></ul>\n",
        changed(&o.trading_state),
        changed(&o.kill_switch)
    ));
    for e in &o.errors {
        out.push_str(&format!("<p class=\"fail\">cannot read {}</p>\n", escape(e)));
    }
    out.push_str("<h2>Series</h2>\n<table id=\"series\"><tr><th>series</th><th>GO/NO-GO</th><th>why</th><th>gate inputs</th><th>decided</th><th>positions</th><th>resting</th><th>notional</th><th>report</th></tr>\n");
    for l in &o.series {
        let badge = match l.go {
            Some(true) => "GO",
            Some(false) => "NO-GO",
            None => "—",
        };
        let report = l.report.as_ref().map_or_else(String::new, |r| format!("<a href=\"/{}\">latest</a>", escape(r)));
        out.push_str(&format!(
            "<tr><td>{}</td><td class=\"{badge}\">{badge}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{report}</td></tr>\n",
            escape(&l.series),
            escape(&l.reasons.join("; ")),
            escape(&l.gate_inputs),
            escape(&l.decided),
            l.positions,
            l.resting,
            l.resting_notional
        ));
    }
    out.push_str("</table>\n<h2>P&amp;L against the caps</h2>\n<table id=\"pnl\"><tr><th>ledger</th><th>today</th><th>daily cap</th><th>this week</th><th>weekly cap</th></tr>\n");
    for p in &o.pnl {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&p.ledger),
            p.today,
            p.daily_cap,
            p.week,
            p.weekly_cap
        ));
    }
    if o.pnl.is_empty() {
        out.push_str("<tr><td colspan=\"5\">no ledger yet</td></tr>\n");
    }
    out.push_str("</table>\n<h2>Drift alarms</h2>\n");
    if o.alarms.is_empty() {
        out.push_str("<p id=\"alarms\">none open</p>\n");
    } else {
        out.push_str("<ul id=\"alarms\">");
        for a in &o.alarms {
            out.push_str(&format!("<li class=\"fail\">{}</li>", escape(a)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<h2>Checks (data freshness, calibration)</h2>\n<table id=\"checks\"><tr><th>check</th><th>level</th><th>detail</th></tr>\n");
    for c in &o.checks {
        let level = c.level.as_str();
        out.push_str(&format!(
            "<tr><td>{}</td><td class=\"{level}\">{level}</td><td>{}</td></tr>\n",
            escape(&c.name),
            escape(&c.detail)
        ));
    }
    out.push_str("</table>\n");
}

/// A report under `root/reports/` (HTML, Markdown or SVG only; nothing outside it).
fn report_file(root: &std::path::Path, path: &str) -> Option<(&'static str, Vec<u8>)> {
    let rel = path.strip_prefix("/reports/")?;
    if rel.split('/').any(|part| part.is_empty() || part == ".." || part.starts_with('.')) {
        return None;
    }
    let file = root.join("reports").join(rel);
    let kind = match file.extension()?.to_str()? {
        "html" => "text/html; charset=utf-8",
        "md" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        _ => return None,
    };
    Some((kind, std::fs::read(file).ok()?))
}

fn respond(source: &StatusSource, path: &str) -> Response<Full<Bytes>> {
    let (status, kind, body) = match path {
        "/status.json" => {
            let json = serde_json::to_vec_pretty(&source.status()).expect("status serialises");
            (StatusCode::OK, "application/json", json)
        }
        "/" => (StatusCode::OK, "text/html; charset=utf-8", html(&source.status()).into_bytes()),
        other => match report_file(&source.out_root, other) {
            Some((kind, bytes)) => (StatusCode::OK, kind, bytes),
            None => (StatusCode::NOT_FOUND, "text/plain", b"not found\n".to_vec()),
        },
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, kind)
        .header(header::CACHE_CONTROL, "no-store")
        .body(Full::new(Bytes::from(body)))
        .expect("static headers are valid")
}

/// Serves the page on `127.0.0.1:port` from a thread of its own; returns the bound address.
pub fn serve(port: u16, source: StatusSource) -> std::io::Result<std::net::SocketAddr> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    std::thread::spawn(move || {
        let Ok(runtime) = crate::kalshi::runtime::current_thread() else { return };
        runtime.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let source = source.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                        let response = respond(&source, req.uri().path());
                        async move { Ok::<_, std::convert::Infallible>(response) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    Ok(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_and_lists_runs() {
        let status = Status {
            now_utc: "2027-03-15T14:00:00+00:00".into(),
            board: Board { policy_version: "v1 <sha>".into(), ..Board::default() },
            last_runs: vec![
                serde_json::json!({"entry": "a<b", "scheduled": "s", "outcome": "failed", "go_no_go": {"KXCPI": "NO-GO"}, "orders": 2, "detail": "x"}),
            ],
            kill_switch: true,
            heartbeat_age_secs: Some(1.5),
            operator: None,
        };
        let page = html(&status);
        assert!(page.contains("v1 &lt;sha&gt;"));
        assert!(page.contains("<td>a&lt;b</td>"));
        assert!(page.contains("<span class=\"NO-GO\">KXCPI NO-GO</span>"));
        assert!(page.contains("<span id=\"kill\">ENGAGED</span>"));
    }
}
