//! `load --compare`: the results of earlier runs side by side, and in one
//! file.
//!
//! `cargo xtask load --http2` runs the benchmark twice, HTTP/1.1 then
//! HTTP/2, each in a process of its own (resident memory and its peak are
//! per process: two runs in one would mix their figures), then calls this to
//! put the two results files (`--json` of each run) next to each other. A
//! run that did not get far enough to write its file, or whose file lacks a
//! figure (named on standard error), shows as a column of dashes; its
//! failure is in what it printed. The files are read by `chatstream-testkit`'s
//! `LoadRun`, as the benchmark report reads them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chatstream_testkit::load_results::LoadRun;
use serde_json::Value;

/// One row of the table: its name and how a run gives its cell.
type Row = (&'static str, fn(&LoadRun) -> String);

/// The rows, in order.
const ROWS: &[Row] = &[
    ("protocol (server's count)", |r| r.protocol.clone()),
    ("verdict", |r| match r.failures.len() {
        0 => "passed".to_owned(),
        n => format!("FAILED ({n})"),
    }),
    ("streams", |r| r.streams.to_string()),
    ("chunks delivered", |r| {
        format!("{} of {}", r.chunks_delivered, r.chunks_expected)
    }),
    ("chunks lost", |r| r.chunks_lost.to_string()),
    ("streams failed", |r| r.streams_failed.to_string()),
    ("connections (server)", |r| r.connections.to_string()),
    ("time to open all", |r| seconds(r.open_seconds)),
    ("first-chunk spread", |r| {
        r.first_chunk_spread_seconds
            .map_or("none".to_owned(), seconds)
    }),
    ("RSS all open, idle", |r| mib(r.rss_idle_bytes)),
    ("RSS per idle open stream", |r| {
        format!("{:.1} KiB", r.rss_per_idle_stream_bytes / 1024.0)
    }),
    ("peak RSS (VmHWM)", |r| mib(r.peak_rss_bytes)),
    ("wall time", |r| seconds(r.wall_seconds)),
];

/// Prints `runs` (label, results file) side by side and writes them, keyed
/// by label, to `json`.
pub(crate) fn run(runs: &[(String, PathBuf)], json: Option<&Path>) -> ExitCode {
    let results: Vec<(String, Option<Value>)> = runs
        .iter()
        .map(|(label, path)| (label.clone(), read(path)))
        .collect();
    if results.iter().all(|(_, run)| run.is_none()) {
        eprintln!("load: --compare: none of the results files could be read");
        return ExitCode::from(2);
    }
    let typed: Vec<(String, Option<LoadRun>)> = results
        .iter()
        .map(|(label, run)| {
            (
                label.clone(),
                run.as_ref().and_then(|run| typed(run, label)),
            )
        })
        .collect();
    if typed.iter().all(|(_, run)| run.is_none()) {
        eprintln!("load: --compare: none of the results files holds every figure");
        return ExitCode::from(2);
    }
    print!("{}", table(&typed));
    for (label, run) in &typed {
        for failure in run.iter().flat_map(|run| &run.failures) {
            println!("  {label}: FAILED: {failure}");
        }
    }
    if let Some(path) = json {
        let combined: serde_json::Map<String, Value> = results
            .into_iter()
            .map(|(label, run)| (label, run.unwrap_or(Value::Null)))
            .collect();
        if let Err(message) = crate::write_json(path, &Value::Object(combined)) {
            eprintln!("load: {message}");
            return ExitCode::from(2);
        }
        println!("  results written to {}", path.display());
    }
    ExitCode::SUCCESS
}

/// A results file, or `None` (said on standard error) when it cannot be
/// read.
fn read(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| eprintln!("load: --compare: {}: {e}", path.display()))
        .ok()?;
    serde_json::from_str(&text)
        .map_err(|e| eprintln!("load: --compare: {}: {e}", path.display()))
        .ok()
}

/// A results file's run, or `None` (said on standard error) when a figure
/// is missing.
fn typed(run: &Value, label: &str) -> Option<LoadRun> {
    LoadRun::from_value(run, label)
        .map_err(|e| eprintln!("load: --compare: {e}"))
        .ok()
}

/// The side-by-side table: a column per run (dashes for a run that could
/// not be read).
fn table(results: &[(String, Option<LoadRun>)]) -> String {
    let cells: Vec<Vec<String>> = ROWS
        .iter()
        .map(|(_, cell)| {
            results
                .iter()
                .map(|(_, run)| run.as_ref().map_or("—".to_owned(), cell))
                .collect()
        })
        .collect();
    let headings: Vec<String> = results.iter().map(|(label, _)| label.clone()).collect();
    let width = |column: usize| {
        cells
            .iter()
            .map(|row| row[column].chars().count())
            .chain([headings[column].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..results.len()).map(width).collect();
    let line = |name: &str, row: &[String]| {
        let mut line = format!("  {name:<27}");
        for (cell, width) in row.iter().zip(&widths) {
            let _ = write!(line, "  {cell:<width$}");
        }
        line.trim_end().to_owned() + "\n"
    };
    let mut table = line("", &headings);
    for ((name, _), row) in ROWS.iter().zip(&cells) {
        table.push_str(&line(name, row));
    }
    table
}

fn seconds(seconds: f64) -> String {
    format!("{seconds:.2} s")
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1048576.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_put_side_by_side() {
        let http1 = serde_json::json!({
            "protocol": "HTTP/1.1", "http2": false, "tls": false,
            "chunks_per_stream": 20, "failures": [], "streams": 300,
            "chunks_delivered": 6000, "chunks_expected": 6000, "chunks_lost": 0,
            "streams_failed": 0, "server": {"connections": 300},
            "open_seconds": 0.5, "first_chunk_spread_seconds": 0.12,
            "rss_idle_bytes": 10485760, "rss_per_idle_stream_bytes": 20480.0,
            "peak_rss_bytes": 11534336, "wall_seconds": 7.0,
        });
        let mut http2 = http1.clone();
        http2["protocol"] = "HTTP/2".into();
        http2["failures"] = serde_json::json!(["the first chunks…"]);
        let mut incomplete = http1.clone();
        incomplete["wall_seconds"] = serde_json::Value::Null;
        assert_eq!(typed(&incomplete, "old"), None);
        let table = table(&[
            ("http1.1".to_owned(), typed(&http1, "http1.1")),
            ("http2".to_owned(), typed(&http2, "http2")),
            ("gone".to_owned(), None),
        ]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), ROWS.len() + 1);
        assert!(lines[0].contains("http1.1") && lines[0].contains("gone"));
        assert!(lines[2].contains("passed") && lines[2].contains("FAILED (1)"));
        assert!(table.contains("6000 of 6000"));
        assert!(table.contains("20.0 KiB"));
        assert!(table.contains("0.12 s"));
        assert!(lines[1].trim_end().ends_with('—'));
    }
}
