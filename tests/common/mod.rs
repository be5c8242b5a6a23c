//! Helpers for integration tests: run the real binary in a fresh temp directory.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The repository root (where `fixtures/` and `configs/` live).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temp directory holding copies of the bundled fixtures, configs, policies and playbooks,
/// which tests may break.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_tree(&repo().join("fixtures"), &dir.path().join("fixtures"));
        copy_tree(&repo().join("configs"), &dir.path().join("configs"));
        copy_tree(&repo().join("policies"), &dir.path().join("policies"));
        copy_tree(&repo().join("scripts"), &dir.path().join("scripts"));
        Workspace { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Runs the binary with the workspace as current directory.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_kalshi-alpha"))
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("RUST_LOG")
            .output()
            .expect("run kalshi-alpha")
    }

    /// Runs the binary with some environment variables set (`Some`) or removed (`None`).
    pub fn run_env(&self, args: &[&str], env: &[(&str, Option<&str>)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kalshi-alpha"));
        command.args(args).current_dir(self.dir.path()).env_remove("RUST_LOG");
        for (name, value) in env {
            match value {
                Some(v) => command.env(name, v),
                None => command.env_remove(name),
            };
        }
        command.output().expect("run kalshi-alpha")
    }

    /// Starts the binary in the background with environment changes (see `run_env`).
    pub fn spawn_env(&self, args: &[&str], env: &[(&str, Option<&str>)]) -> Child {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kalshi-alpha"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (name, value) in env {
            match value {
                Some(v) => command.env(name, v),
                None => command.env_remove(name),
            };
        }
        command.spawn().expect("spawn kalshi-alpha")
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.path(rel), text).unwrap_or_else(|e| panic!("write {rel}: {e}"));
    }

    /// Replaces `from` with `to` in a file, asserting it was there.
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        self.write(rel, &text.replacen(from, to, 1));
    }
}

pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The simulator binary on a free loopback port, killed on drop.
pub struct Sim {
    child: Child,
    /// `http://127.0.0.1:PORT/trade-api/v2`.
    pub base_url: String,
}

/// Starts the binary with `args` in the workspace and reads the first line it prints (the
/// banner naming its address); the child keeps running.
pub fn spawn_with_banner(ws: &Workspace, args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kalshi-alpha"))
        .args(args)
        .current_dir(ws.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    (child, line.trim().to_string())
}

impl Sim {
    /// Starts `kalshi-alpha sim --port 0 EXTRA…` in the workspace and reads its banner.
    pub fn start(ws: &Workspace, extra: &[&str]) -> Sim {
        let mut args = vec!["sim", "--port", "0"];
        args.extend_from_slice(extra);
        let (child, banner) = spawn_with_banner(ws, &args);
        let base_url = banner.strip_prefix("sim listening on ").expect("banner").to_string();
        Sim { child, base_url }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A bare HTTP/1.1 POST on loopback (the simulator's admin routes); returns the raw response.
pub fn post(base_url: &str, path: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let rest = base_url.trim_start_matches("http://");
    let (addr, prefix) = rest.split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let request = format!(
        "POST /{prefix}{path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}

/// An Ed25519 key pair written into the workspace (`key.pem`, `pub.pem`); returns the
/// environment a signed run needs, with `CI` removed (arming refuses under CI).
pub fn live_keys(ws: &Workspace, key_id: &str) -> Vec<(&'static str, Option<String>)> {
    use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
    use rsa::pkcs8::LineEnding;
    let key = ed25519_dalek::SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    ws.write("key.pem", &key.to_pkcs8_pem(LineEnding::LF).unwrap());
    ws.write("pub.pem", &key.verifying_key().to_public_key_pem(LineEnding::LF).unwrap());
    vec![
        ("KALSHI_API_KEY_ID", Some(key_id.to_string())),
        ("KALSHI_PRIVATE_KEY_PEM_PATH", Some(ws.path("key.pem").display().to_string())),
        ("CI", None),
    ]
}

/// `live_keys`' pairs as `run_env` takes them.
pub fn env<'a>(pairs: &'a [(&'static str, Option<String>)]) -> Vec<(&'static str, Option<&'a str>)> {
    pairs.iter().map(|(k, v)| (*k, v.as_deref())).collect()
}

/// `playbook run PLAYBOOK` armed for live trading against `base_url` with a 20-dollar ceiling.
pub fn live_args<'a>(playbook: &'a str, base_url: &'a str) -> Vec<&'a str> {
    vec![
        "playbook",
        "run",
        playbook,
        "--online",
        "--base-url",
        base_url,
        "--broker",
        "live",
        // Pilot readiness needs weeks of paper fills; the simulator's sessions are drills.
        "--override-readiness",
        "simulator drill",
        "--i-understand-the-risks",
        "--session-notional",
        "20",
    ]
}

/// The shipped crowd flow, ten times faster, written as `fixtures/sim/fast_flow.jsonl` for
/// `sim --flow` (25 contracts ahead at each of our prices, then trades through).
pub fn write_fast_flow(ws: &Workspace) {
    let flow = ws.read("fixtures/sim/flow_trades.jsonl").replace("000, \"ticker\"", "00, \"ticker\"");
    ws.write("fixtures/sim/fast_flow.jsonl", &flow);
}

/// A paper `watch` playbook (quote the NYC ladder, watch the fast crowd flow for 2 s, report)
/// run against a fresh simulator; returns the simulator, still running.
pub fn paper_watch_session(ws: &Workspace) -> Sim {
    write_fast_flow(ws);
    ws.write(
        "scripts/watch.rhai",
        "// Quote, then watch.\nscan(\"KXHIGHNY\");\nsubmit(\"KXHIGHNY\");\npause(2.0);\nreport(\"KXHIGHNY\");\n",
    );
    let sim = Sim::start(ws, &["--flow", "fixtures/sim/fast_flow.jsonl", "--flow-after-subscribe"]);
    let out = ws.run(&["playbook", "run", "watch", "--online", "--base-url", &sim.base_url, "--broker", "paper"]);
    assert!(out.status.success(), "{}", stderr(&out));
    sim
}
