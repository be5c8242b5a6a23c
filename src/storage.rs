//! Writing files safely: whole files atomically (temp file, fsync, rename) and audit logs
//! append-only, one JSON object per line.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// A frame as uncompressed parquet (any reader opens it), in one row group.
///
/// One row group as tall as the frame also keeps polars 0.55 from re-chunking small frames
/// through `Series::clear`, whose first call zero-fills an 8 MiB global buffer: about 4 ms
/// of page faults, a third of a paper session's whole run. Small frames are encoded on the
/// calling thread: starting polars' thread pool costs more than they take.
pub fn parquet_bytes(frame: &mut polars::prelude::DataFrame) -> polars::prelude::PolarsResult<Vec<u8>> {
    use polars::prelude::{ParquetCompression, ParquetWriter};
    /// Rows from which encoding the columns in parallel pays for the pool.
    const PARALLEL_FROM_ROWS: usize = 65_536;
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes)
        .with_compression(ParquetCompression::Uncompressed)
        .with_row_group_size(Some(frame.height().max(1)))
        .set_parallel(frame.height() >= PARALLEL_FROM_ROWS)
        .finish(frame)?;
    Ok(bytes)
}

/// Writes `bytes` to `path` atomically and durably: readers see the old file or the new one,
/// never half, and after a crash the new one if this returned. For state that must survive a
/// crash (ledgers, controls, equity, calibration, tables).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace(path, bytes, true)
}

/// Writes `bytes` to `path` atomically without waiting for the disk: readers never see half a
/// file, but a crash may leave the old one. For outputs a run regenerates (reports, proposals,
/// session records, the heartbeat — whose age is its whole point).
pub fn write_replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace(path, bytes, false)
}

fn replace(path: &Path, bytes: &[u8], durable: bool) -> io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    // Unique per call, so two writers (threads or processes) never share a temp file.
    let tmp = dir.join(format!(".{name}.tmp-{}-{}", std::process::id(), uuid::Uuid::now_v7().simple()));
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(bytes)?;
        if durable {
            file.sync_all()?;
        }
        fs::rename(&tmp, path)?;
        // The rename is durable only once the directory entry is.
        if durable { File::open(dir)?.sync_all() } else { Ok(()) }
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Appends one line of JSON to an append-only log, creating it (and its directory) if needed.
/// A last line left torn by a crash (no newline) is cut off first, so the log stays one JSON
/// object per line.
/// Durable: the line is on disk when this returns (audits, journals).
pub fn append_jsonl(path: &Path, value: &impl serde::Serialize) -> io::Result<()> {
    append_line(path, value)?.sync_data()
}

/// Like [`append_jsonl`] without waiting for the disk: a process crash loses nothing, a power
/// cut may lose the last lines. For evidence logs that record, never decide (the decision log).
pub fn append_jsonl_unsynced(path: &Path, value: &impl serde::Serialize) -> io::Result<()> {
    append_line(path, value).map(drop)
}

fn append_line(path: &Path, value: &impl serde::Serialize) -> io::Result<File> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut line = serde_json::to_vec(value).map_err(io::Error::other)?;
    line.push(b'\n');
    let mut file = OpenOptions::new().create(true).read(true).append(true).open(path)?;
    cut_torn_tail(&mut file)?;
    file.write_all(&line)?;
    Ok(file)
}

/// Cuts a last line that has no newline (a write a crash interrupted) off an append-only
/// log; returns how many bytes went.
pub fn cut_torn_tail(file: &mut File) -> io::Result<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(0);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(0);
    }
    // Walk back in blocks to the previous newline.
    let mut end = len;
    let keep = loop {
        let start = end.saturating_sub(4096);
        let mut block = vec![0u8; usize::try_from(end - start).unwrap_or(4096)];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block)?;
        if let Some(i) = block.iter().rposition(|b| *b == b'\n') {
            break start + i as u64 + 1;
        }
        if start == 0 {
            break 0;
        }
        end = start;
    };
    file.set_len(keep)?;
    file.sync_data()?;
    Ok(len - keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_and_append() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/state.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "two");
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1, "no temp file left");
        // Two writers in one process at once never collide on a temp file.
        let writers: Vec<_> = (0..8)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || write_atomic(&path, format!("writer {i}").as_bytes()))
            })
            .collect();
        for w in writers {
            w.join().unwrap().unwrap();
        }
        assert!(fs::read_to_string(&path).unwrap().starts_with("writer "));
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1, "no temp file left");
        let log = dir.path().join("audit/x.jsonl");
        append_jsonl(&log, &serde_json::json!({"n": 1})).unwrap();
        append_jsonl(&log, &serde_json::json!({"n": 2})).unwrap();
        assert_eq!(fs::read_to_string(&log).unwrap(), "{\"n\":1}\n{\"n\":2}\n");
        // A crash tore the last line: the next append cuts it and the log stays whole.
        OpenOptions::new().append(true).open(&log).unwrap().write_all(b"{\"n\":3, \"cut").unwrap();
        append_jsonl(&log, &serde_json::json!({"n": 4})).unwrap();
        assert_eq!(fs::read_to_string(&log).unwrap(), "{\"n\":1}\n{\"n\":2}\n{\"n\":4}\n");
    }
}
