//! `load --compare`: the results of earlier runs side by side, and in one
//! file.
//!
//! `cargo xtask load --http2` runs the benchmark twice, HTTP/1.1 then
//! HTTP/2, each in a process of its own (resident memory and its peak are
//! per process: two runs in one would mix their figures), then calls this to
//! put the two results files (`--json` of each run) next to each other. A
//! run that did not get far enough to write its file shows as a column of
//! dashes; its failure is in what it printed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;

/// One row of the table: its name and how a run's results give its value.
type Row = (&'static str, fn(&Value) -> Option<String>);

/// The rows, in order.
const ROWS: &[Row] = &[
    ("protocol (server's count)", |r| text(r, "/protocol")),
    ("verdict", verdict),
    ("streams", |r| count(r, "/streams")),
    ("chunks delivered", |r| {
        let delivered = r.pointer("/chunks_delivered")?.as_u64()?;
        let expected = r.pointer("/chunks_expected")?.as_u64()?;
        Some(format!("{delivered} of {expected}"))
    }),
    ("chunks lost", |r| count(r, "/chunks_lost")),
    ("streams failed", |r| count(r, "/streams_failed")),
    ("connections (server)", |r| count(r, "/server/connections")),
    ("time to open all", |r| seconds(r, "/open_seconds")),
    ("first-chunk spread", |r| {
        seconds(r, "/first_chunk_spread_seconds").or(Some("none".to_owned()))
    }),
    ("RSS all open, idle", |r| mib(r, "/rss_idle_bytes")),
    ("RSS per idle open stream", |r| {
        let bytes = r.pointer("/rss_per_idle_stream_bytes")?.as_f64()?;
        Some(format!("{:.1} KiB", bytes / 1024.0))
    }),
    ("peak RSS (VmHWM)", |r| mib(r, "/peak_rss_bytes")),
    ("wall time", |r| seconds(r, "/wall_seconds")),
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
    print!("{}", table(&results));
    for (label, run) in &results {
        for failure in run.iter().flat_map(failures) {
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

/// The side-by-side table: a column per run.
fn table(results: &[(String, Option<Value>)]) -> String {
    let cells: Vec<Vec<String>> = ROWS
        .iter()
        .map(|(_, value)| {
            results
                .iter()
                .map(|(_, run)| run.as_ref().and_then(value).unwrap_or("—".to_owned()))
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

/// The failures a run listed.
fn failures(run: &Value) -> Vec<String> {
    run.pointer("/failures")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn verdict(run: &Value) -> Option<String> {
    let failures = run.pointer("/failures")?.as_array()?.len();
    Some(match failures {
        0 => "passed".to_owned(),
        n => format!("FAILED ({n})"),
    })
}

fn text(run: &Value, pointer: &str) -> Option<String> {
    run.pointer(pointer)?.as_str().map(str::to_owned)
}

fn count(run: &Value, pointer: &str) -> Option<String> {
    run.pointer(pointer)?.as_u64().map(|n| n.to_string())
}

fn seconds(run: &Value, pointer: &str) -> Option<String> {
    run.pointer(pointer)?.as_f64().map(|s| format!("{s:.2} s"))
}

fn mib(run: &Value, pointer: &str) -> Option<String> {
    run.pointer(pointer)?
        .as_u64()
        .map(|bytes| format!("{:.1} MiB", bytes as f64 / 1048576.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_put_side_by_side() {
        let http1 = serde_json::json!({
            "protocol": "HTTP/1.1", "failures": [], "streams": 300,
            "chunks_delivered": 6000, "chunks_expected": 6000, "chunks_lost": 0,
            "streams_failed": 0, "server": {"connections": 300},
            "open_seconds": 0.5, "first_chunk_spread_seconds": 0.12,
            "rss_idle_bytes": 10485760, "rss_per_idle_stream_bytes": 20480.0,
            "peak_rss_bytes": 11534336, "wall_seconds": 7.0,
        });
        let mut http2 = http1.clone();
        http2["protocol"] = "HTTP/2".into();
        http2["failures"] = serde_json::json!(["the first chunks…"]);
        let table = table(&[
            ("http1.1".to_owned(), Some(http1)),
            ("http2".to_owned(), Some(http2)),
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
