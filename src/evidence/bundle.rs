//! `report bundle SERIES`: one folder (and a `.tar.gz` of it) holding what a pilot decision
//! about a series rests on — its last session records and scan report, the scoreboards,
//! readiness, EV honesty, the CuSum state, the heartbeat and the feed's health as the last
//! scan saw it — and a `README_pilot.md` checklist that ends in a final GO or NO-GO with why.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::brokers::controls::KillSwitch;
use crate::evidence::go_no_go::{GoNoGo, go_no_go_path};
use crate::evidence::honesty_file::honesty_path;
use crate::evidence::load::{EvidenceError, EvidencePlace};
use crate::evidence::monitors::{cusum_path, readiness_from, readiness_path};
use crate::evidence::scoreboard::{Scoreboard, Window};

/// Session records of the series copied into the bundle, newest first.
const SESSIONS_KEPT: usize = 5;
/// A heartbeat older than this fails the checklist.
const HEARTBEAT_MAX_SECS: i64 = 300;

/// What `report bundle` wrote.
#[derive(Debug)]
pub struct Bundle {
    /// The folder.
    pub dir: PathBuf,
    /// The archive of it.
    pub archive: PathBuf,
    /// The checklist's verdict.
    pub go: bool,
    /// Each check: what, passed, detail.
    pub checks: Vec<(String, bool, String)>,
}

fn file_error(path: &Path, message: impl std::fmt::Display) -> EvidenceError {
    EvidenceError::File { path: path.to_path_buf(), message: message.to_string() }
}

fn copy_into(dir: &Path, from: &Path, name: &str) -> Result<bool, EvidenceError> {
    match std::fs::read(from) {
        Ok(bytes) => {
            let to = dir.join(name);
            std::fs::write(&to, bytes).map_err(|e| file_error(&to, format!("cannot write: {e}")))?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(file_error(from, format!("cannot read: {e}"))),
    }
}

/// Files in `dir` whose name starts with `prefix`, newest name first (none when `dir` does
/// not exist; a folder that cannot be listed is an error, never an empty bundle section).
fn newest(dir: &Path, prefix: &str) -> Result<Vec<PathBuf>, EvidenceError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(file_error(dir, format!("cannot list: {e}"))),
    };
    let mut found = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| file_error(dir, format!("cannot list: {e}")))?.path();
        if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with(prefix)) {
            found.push(path);
        }
    }
    found.sort();
    found.reverse();
    Ok(found)
}

/// What the latest decision about `series` says, as the checklist shows it (not GO when the
/// file cannot be read or no session has decided the series).
fn last_gate(out_root: &Path, series: &str) -> (bool, String) {
    let path = go_no_go_path(out_root);
    let file = match std::fs::read(&path).map(|b| serde_json::from_slice::<GoNoGo>(&b)) {
        Ok(Ok(file)) => file,
        Ok(Err(e)) => return (false, format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (false, "no session has decided yet".into()),
        Err(e) => return (false, format!("{}: cannot read: {e}", path.display())),
    };
    match file.latest.get(series) {
        None => (false, "no session has decided this series".into()),
        Some(d) => {
            let reasons = if d.reasons.is_empty() { String::new() } else { format!(" ({})", d.reasons.join("; ")) };
            (d.go, format!("{} at {} by {}{reasons}", if d.go { "GO" } else { "NO-GO" }, d.at.to_rfc3339(), d.source))
        }
    }
}

/// Writes the bundle for `series` under `out_dir` (default `reports/bundles/`), refreshing the
/// scoreboards, EV honesty, the CuSum and readiness first.
pub fn write_bundle(
    place: &EvidencePlace,
    series: &str,
    out_dir: Option<&Path>,
    now: DateTime<Utc>,
) -> Result<Bundle, EvidenceError> {
    let windows: Vec<Window> = vec![Window { label: "7d".into(), days: 7 }, Window { label: "30d".into(), days: 30 }];
    // Read once; the scoreboards, EV honesty, the CuSum and readiness are refreshed from it.
    let config = crate::evidence::monitors::readiness_config(&place.configs)?;
    let data = crate::evidence::load::load(place, now)?;
    let boards = crate::evidence::scoreboards_from(&place.out, &data, &config, &windows, now)?;
    let readiness = readiness_from(&place.out, &data, &config, now)?;
    let name = format!("pilot_{series}_{}", now.format("%Y%m%dT%H%M%SZ"));
    let parent = out_dir.map_or_else(|| place.out.join("reports/bundles"), Path::to_path_buf);
    let dir = parent.join(&name);
    std::fs::create_dir_all(dir.join("sessions")).map_err(|e| file_error(&dir, format!("cannot create: {e}")))?;
    let out = &place.out;
    for label in ["7d", "30d"] {
        copy_into(&dir, &out.join(format!("reports/scoreboard_{label}.md")), &format!("scoreboard_{label}.md"))?;
        let json = out.join(format!("reports/_artifacts/scoreboard_{label}.json"));
        copy_into(&dir, &json, &format!("scoreboard_{label}.json"))?;
    }
    copy_into(&dir, &out.join("reports/pilot_readiness.md"), "pilot_readiness.md")?;
    copy_into(&dir, &readiness_path(out), "pilot_ready.json")?;
    copy_into(&dir, &honesty_path(out), "ev_honesty.json")?;
    copy_into(&dir, &cusum_path(out), "cusum.json")?;
    copy_into(&dir, &go_no_go_path(out), "go_no_go.json")?;
    let heartbeat_file = out.join("data/proc/state/heartbeat.json");
    copy_into(&dir, &heartbeat_file, "heartbeat.json")?;
    if let Some(report) = newest(&out.join("reports").join(series), "scan_")?.first() {
        copy_into(&dir, report, "last_scan_report.md")?;
    }
    let last_proposals = newest(&out.join("data/proc/proposals").join(series), "proposals_")?;
    if let Some(p) = last_proposals.first() {
        copy_into(&dir, p, "last_proposals.json")?;
    }
    let mut kept = 0;
    for record in newest(&out.join("reports/sessions"), "")? {
        if kept == SESSIONS_KEPT {
            break;
        }
        if record.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&record).map_err(|e| file_error(&record, format!("cannot read: {e}")))?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| file_error(&record, e))?;
        if value["gates"].get(series).is_some() {
            let file = record.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            copy_into(&dir.join("sessions"), &record, &file)?;
            kept += 1;
        }
    }

    let board_30d: Option<&Scoreboard> = boards.iter().map(|(b, _)| b).find(|b| b.window.days == 30);
    let health = last_proposals
        .first()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .map(|v| v["gate_inputs"].clone())
        .unwrap_or_default();
    let heartbeat_age = std::fs::read_to_string(&heartbeat_file)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["ts"].as_str().and_then(|s| s.parse::<DateTime<Utc>>().ok()))
        .map(|ts| (now - ts).num_seconds());
    let (gate_go, gate_detail) = last_gate(out, series);
    let ready = readiness.series.get(series);
    let score = board_30d.and_then(|b| b.paper.series.get(series));
    let cusum_alarm =
        crate::evidence::monitors::read_cusum(out)?.and_then(|c| c.series.get(series).and_then(|s| s.alarm_at));
    let kill = KillSwitch::for_data_dir(out, None).engaged();
    let honesty = crate::evidence::honesty_file::read_honesty(out)?;
    let zero_bins: Vec<String> = honesty
        .map(|h| h.bins.iter().filter(|b| b.series == series && b.weight <= 0.0).map(|b| b.name()).collect())
        .unwrap_or_default();

    let checks: Vec<(String, bool, String)> = vec![
        (
            "pilot readiness".into(),
            ready.is_some_and(|r| r.ready),
            match ready {
                Some(r) if r.ready => "READY".into(),
                Some(r) => {
                    let failed: Vec<String> =
                        r.criteria.iter().filter(|c| !c.pass).map(|c| format!("{} = {}", c.name, c.value)).collect();
                    format!("NOT READY: {}", failed.join("; "))
                }
                None => format!("{series} is not an allowed series"),
            },
        ),
        (
            "no open CuSum alarm".into(),
            cusum_alarm.is_none(),
            cusum_alarm.map_or_else(|| "none".into(), |a| format!("alarm since {}", a.to_rfc3339())),
        ),
        (
            "kill switch off".into(),
            kill.is_none(),
            kill.map_or_else(|| "off".into(), |k| format!("ENGAGED: {}", k.reason)),
        ),
        ("last gate GO".into(), gate_go, gate_detail),
        (
            format!("heartbeat within {HEARTBEAT_MAX_SECS} s"),
            heartbeat_age.is_some_and(|a| a <= HEARTBEAT_MAX_SECS),
            heartbeat_age.map_or_else(|| "no heartbeat".into(), |a| format!("{a} s old")),
        ),
        (
            "no EV-honesty bin at zero".into(),
            zero_bins.is_empty(),
            if zero_bins.is_empty() { "none".into() } else { zero_bins.join(", ") },
        ),
    ];
    let go = checks.iter().all(|(_, pass, _)| *pass);
    let readme = checklist(series, now, &checks, go, score, &health);
    let readme_path = dir.join("README_pilot.md");
    let page = crate::report::html::document(&format!("Pilot bundle {series}"), &readme, &Default::default(), &[])
        .map_err(|e| file_error(&readme_path, e.to_string()))?;
    std::fs::write(&readme_path, readme).map_err(|e| file_error(&readme_path, format!("cannot write: {e}")))?;
    let page_path = dir.join("README_pilot.html");
    std::fs::write(&page_path, page).map_err(|e| file_error(&page_path, format!("cannot write: {e}")))?;
    let archive = parent.join(format!("{name}.tar.gz"));
    write_tar_gz(&dir, &name, &archive)?;
    Ok(Bundle { dir, archive, go, checks })
}

fn checklist(
    series: &str,
    now: DateTime<Utc>,
    checks: &[(String, bool, String)],
    go: bool,
    score: Option<&crate::evidence::scoreboard::Score>,
    health: &serde_json::Value,
) -> String {
    use std::fmt::Write as _;
    let mut out = format!("# Pilot bundle: {series}\n\n{} (UTC)\n\n## Checklist\n\n", now.format("%Y-%m-%d %H:%M"));
    for (what, pass, detail) in checks {
        let _ = writeln!(out, "- [{}] {what}: {detail}", if *pass { "x" } else { " " });
    }
    out.push_str("\n## Paper, last 30 days\n\n");
    match score {
        Some(s) => {
            let _ = writeln!(
                out,
                "- orders {}, fills {} ({} settled), realised P&L {} after fees {}\n- max drawdown {} ({})",
                s.orders,
                s.fills,
                s.settled_fills,
                s.realised_pnl,
                s.fees,
                s.drawdown.max,
                s.drawdown.duration_secs.map_or_else(|| "-".into(), |d| format!("{:.1} h", d as f64 / 3600.0)),
            );
        }
        None => out.push_str("- no data: the series has no paper activity\n"),
    }
    out.push_str("\n## Feed and auth health at the last scan\n\n");
    if health.is_null() {
        out.push_str("- no data: no scan of this series has been written\n");
    } else {
        let _ = writeln!(
            out,
            "- clock skew {} ms, data age {} s, monitors {}",
            health["clock_skew_ms"], health["data_age_secs"], health["monitors"]
        );
    }
    let failed: Vec<&str> = checks.iter().filter(|(_, pass, _)| !pass).map(|(what, _, _)| what.as_str()).collect();
    let _ = write!(
        out,
        "\n## Final: {}\n\n{}\n",
        if go { "GO" } else { "NO-GO" },
        if go { "Every check passed.".to_string() } else { format!("Failed: {}.", failed.join(", ")) }
    );
    out
}

/// A `.tar.gz` of `dir`'s files (one level of subfolders), each under `root/`.
fn write_tar_gz(dir: &Path, root: &str, archive: &Path) -> Result<(), EvidenceError> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| file_error(dir, e))?.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            for inner in std::fs::read_dir(&path).map_err(|e| file_error(&path, e))?.filter_map(Result::ok) {
                files.push(inner.path());
            }
        } else {
            files.push(path);
        }
    }
    files.sort();
    let mut tar = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).map_err(|e| file_error(file, e))?;
        let relative = file.strip_prefix(dir).unwrap_or(file).to_string_lossy().replace('\\', "/");
        ustar_entry(&mut tar, &format!("{root}/{relative}"), &bytes).map_err(|e| file_error(file, e))?;
    }
    tar.extend_from_slice(&[0u8; 1024]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).map_err(|e| file_error(archive, e))?;
    let bytes = gz.finish().map_err(|e| file_error(archive, e))?;
    crate::storage::write_replace(archive, &bytes).map_err(|e| file_error(archive, format!("cannot write: {e}")))
}

/// One regular file in POSIX ustar format: a 512-byte header, the bytes, padding to 512.
fn ustar_entry(tar: &mut Vec<u8>, name: &str, bytes: &[u8]) -> Result<(), String> {
    let name = name.as_bytes();
    if name.len() > 100 {
        return Err(format!("name over 100 bytes: {}", String::from_utf8_lossy(name)));
    }
    let mut header = [0u8; 512];
    header[..name.len()].copy_from_slice(name);
    let octal = |field: &mut [u8], value: u64| {
        let text = format!("{value:0width$o}", width = field.len() - 1);
        field[..text.len()].copy_from_slice(text.as_bytes());
    };
    octal(&mut header[100..108], 0o644);
    octal(&mut header[108..116], 0);
    octal(&mut header[116..124], 0);
    octal(&mut header[124..136], bytes.len() as u64);
    octal(&mut header[136..148], 0);
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    // The checksum is computed with its own field read as spaces.
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
    let text = format!("{sum:06o}\0 ");
    header[148..156].copy_from_slice(text.as_bytes());
    tar.extend_from_slice(&header);
    tar.extend_from_slice(bytes);
    tar.resize(tar.len().div_ceil(512) * 512, 0);
    Ok(())
}
