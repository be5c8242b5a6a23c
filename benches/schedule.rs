//! `schedule next` for a year of the shipped schedule's entries (every run from a start
//! instant to a year later), on the shipped calendars.

use std::path::Path;

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use kalshi_alpha::session::schedule_files::{SchedulePaths, load_schedule};

fn year_of_runs(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schedule = load_schedule(&SchedulePaths {
        schedule: root.join("configs/schedule.toml"),
        calendars: root.join("configs/calendars"),
        scripts: root.join("scripts"),
    })
    .expect("shipped schedule");
    let from = "2027-01-01T00:00:00Z".parse().unwrap();
    let runs =
        schedule.next_runs(from, 100_000).into_iter().filter(|r| r.utc.format("%Y").to_string() == "2027").count();
    println!("runs in 2027: {runs}");
    c.bench_function("schedule_next/year_of_shipped_entries", |b| b.iter(|| schedule.next_runs(black_box(from), runs)));
}

criterion_group!(benches, year_of_runs);
criterion_main!(benches);
