//! Hot reload latency: file saved (renamed over, as editors do) → new version active, debounce
//! included, over 100 saves of `pilot.rhai` in a temporary copy of the shipped set. Prints
//! percentiles; criterion's mean-oriented statistics do not fit a tail-latency question.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kalshi_alpha::clock::SystemClock;
use kalshi_alpha::config::load_limits;
use kalshi_alpha::rules::policy::PolicyPaths;
use kalshi_alpha::rules::reload::Reloader;

const SAVES: usize = 100;
const DEBOUNCE: Duration = Duration::from_millis(75);

fn copy_tree(from: &Path, to: &Path) {
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

fn main() {
    // `cargo bench` passes filter arguments; this bench has one measurement and ignores them.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&root.join("policies"), &dir.path().join("policies"));
    let core = load_limits(&root.join("configs")).unwrap();
    let paths = PolicyPaths { policies: dir.path().join("policies"), scripts: None };
    let reloader = Arc::new(Reloader::start(paths, core, dir.path().join("reloads.jsonl")).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let watcher = {
        let (reloader, stop) = (Arc::clone(&reloader), Arc::clone(&stop));
        std::thread::spawn(move || {
            let ready = move || ready_tx.send(()).unwrap();
            reloader.watch(DEBOUNCE, &stop, &SystemClock, ready, |_| {}).unwrap();
        })
    };
    ready_rx.recv().unwrap();

    let pilot: PathBuf = dir.path().join("policies/pilot.rhai");
    let original = std::fs::read_to_string(&pilot).unwrap();
    let mut latencies = Vec::with_capacity(SAVES);
    for i in 0..SAVES {
        let before = reloader.active().version;
        let text = original.replace("weekly_loss_cap: \"60.00\"", &format!("weekly_loss_cap: \"{}.00\"", 40 + i % 20));
        let tmp = pilot.with_extension("rhai.tmp~");
        std::fs::write(&tmp, text).unwrap();
        let saved = Instant::now();
        std::fs::rename(&tmp, &pilot).unwrap();
        while reloader.active().version == before {
            assert!(saved.elapsed() < Duration::from_secs(10), "reload {i} never became active");
            std::thread::sleep(Duration::from_micros(200));
        }
        latencies.push(saved.elapsed());
        // Let the watcher settle so each save is its own reload.
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    watcher.join().unwrap();

    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "reload/save_to_active ({SAVES} saves, debounce {} ms): p50 {:.1} ms  p95 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        DEBOUNCE.as_millis(),
        ms(pct(0.50)),
        ms(pct(0.95)),
        ms(pct(0.99)),
        ms(*latencies.last().unwrap())
    );
}
