//! Evidence an operator can escalate on: the scoreboard over the ledgers, decisions and
//! proposals, the CuSum drift alarm and pilot readiness. `stats`, `scoreboard`, `render`,
//! `cusum` and `readiness` are pure (data and time in, figures and text out); `load` reads
//! the files, `monitors` keeps the alarm and readiness on disk, `go_no_go` writes what
//! sessions decided, and `write_scoreboard` writes the reports.

/// `report bundle`: the pilot bundle and its checklist.
pub mod bundle;
/// The CuSum drift alarm.
pub mod charts;
pub mod cusum;
/// `reports/_artifacts/go_no_go.json` and the decision log, written by every session.
pub mod go_no_go;
/// Expected vs realised edge per bin, and the size weights it gives.
pub mod honesty;
/// `reports/_artifacts/ev_honesty.json` on disk.
pub mod honesty_file;
/// Reading the ledgers, the decision log, proposals and freshness.
pub mod load;
/// The CuSum and readiness files, acknowledgements, and what sessions read of them.
pub mod monitors;
/// Pilot readiness per series against `configs/readiness.toml`.
pub mod readiness;
/// The scoreboard as Markdown.
pub mod render;
/// The scoreboard's figures.
pub mod scoreboard;
/// Fills with their orders and results: the walk the reports share.
pub mod settled;
/// Mean and t, drawdown, Brier, log-loss.
pub mod stats;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::evidence::load::{EvidenceError, EvidencePlace};
use crate::evidence::readiness::ReadinessConfig;
use crate::evidence::scoreboard::{EvidenceData, Scoreboard, Window};

/// `report scoreboard`: one scoreboard per window (each written as Markdown and JSON) and
/// the EV-honesty table (`reports/_artifacts/ev_honesty.json`), from the files at `place`.
pub fn report_scoreboards(
    place: &EvidencePlace,
    windows: &[Window],
    now: DateTime<Utc>,
) -> Result<Vec<(Scoreboard, PathBuf)>, EvidenceError> {
    let config = monitors::readiness_config(&place.configs)?;
    let data = load::load(place, now)?;
    scoreboards_from(&place.out, &data, &config, windows, now)
}

/// [`report_scoreboards`] over evidence already read.
pub(crate) fn scoreboards_from(
    out_root: &Path,
    data: &EvidenceData,
    config: &ReadinessConfig,
    windows: &[Window],
    now: DateTime<Utc>,
) -> Result<Vec<(Scoreboard, PathBuf)>, EvidenceError> {
    let honesty = honesty_file::write_honesty(out_root, data, config.honesty, now)?;
    let history = charts::history_charts(&data.paper, &data.live, &honesty, config.cusum, data.fill_alpha, now);
    windows
        .iter()
        .map(|w| {
            let board = scoreboard::scoreboard(data, w, now);
            write_scoreboard(out_root, &board, &history).map(|md| (board, md))
        })
        .collect()
}

/// Writes `reports/scoreboard_<window>.md` and `reports/_artifacts/scoreboard_<window>.json`
/// (atomically); returns the Markdown's path.
fn write_scoreboard(
    out_root: &Path,
    board: &Scoreboard,
    history: &[(String, String)],
) -> Result<PathBuf, EvidenceError> {
    let md = out_root.join("reports").join(format!("scoreboard_{}.md", board.window.label));
    let json = out_root.join("reports/_artifacts").join(format!("scoreboard_{}.json", board.window.label));
    let cannot = |path: &Path, e: std::io::Error| EvidenceError::File {
        path: path.to_path_buf(),
        message: format!("cannot write: {e}"),
    };
    let text = serde_json::to_vec_pretty(board).map_err(|e| cannot(&json, std::io::Error::other(e)))?;
    let markdown = render::scoreboard_markdown(board);
    let title = format!("Scoreboard {}", board.window.label);
    let mut charts = render::scoreboard_charts(board);
    charts.extend(history.iter().cloned());
    let page = crate::report::html::document(&title, &markdown, &Default::default(), &charts)
        .map_err(|e| cannot(&md, std::io::Error::other(e.to_string())))?;
    crate::storage::write_replace(&json, &text).map_err(|e| cannot(&json, e))?;
    crate::storage::write_replace(&md, markdown.as_bytes()).map_err(|e| cannot(&md, e))?;
    let html = md.with_extension("html");
    crate::storage::write_replace(&html, page.as_bytes()).map_err(|e| cannot(&html, e))?;
    Ok(md)
}
