//! The daemon's status page on loopback: `/status.json` (next runs, last runs with outcome
//! and GO/NO-GO, policy version, kill switch, heartbeat age, broker per entry) and `/`, the
//! same as a small HTML page that refreshes itself every 5 seconds (no scripts needed).

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
}

#[derive(Serialize)]
struct Status {
    now_utc: String,
    #[serde(flatten)]
    board: Board,
    last_runs: Vec<serde_json::Value>,
    kill_switch: bool,
    heartbeat_age_secs: Option<f64>,
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
        Status {
            now_utc: now.to_rfc3339(),
            board: self.board.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            last_runs,
            kill_switch: self.kill_switch.is_engaged(),
            heartbeat_age_secs: HeartbeatFile::under(&self.out_root).age_secs(now),
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn html(s: &Status) -> String {
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"5\">\
         <title>kalshi-alpha daemon</title><style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}\
         td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}.NO-GO,.failed,.stopped,.refused{color:#b00}</style></head><body>\n",
    );
    out.push_str("<h1>kalshi-alpha daemon</h1>\n<ul>\n");
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

fn respond(source: &StatusSource, path: &str) -> Response<Full<Bytes>> {
    let (status, kind, body) = match path {
        "/status.json" => {
            let json = serde_json::to_vec_pretty(&source.status()).expect("status serialises");
            (StatusCode::OK, "application/json", json)
        }
        "/" => (StatusCode::OK, "text/html; charset=utf-8", html(&source.status()).into_bytes()),
        _ => (StatusCode::NOT_FOUND, "text/plain", b"not found\n".to_vec()),
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
        };
        let page = html(&status);
        assert!(page.contains("v1 &lt;sha&gt;"));
        assert!(page.contains("<td>a&lt;b</td>"));
        assert!(page.contains("<span class=\"NO-GO\">KXCPI NO-GO</span>"));
        assert!(page.contains("<span id=\"kill\">ENGAGED</span>"));
    }
}
