//! The section of `BENCHMARKS.md` on many concurrent streams: the load
//! benchmark's HTTP/1.1 and HTTP/2 runs of the same streams, side by side.
//!
//! `cargo xtask load --http2 --record` runs the benchmark (the `load` binary
//! of `chatstream-testkit`) over HTTP/1.1 and then over HTTP/2 and records
//! both runs in [`PLAIN`] (with `--tls`, in [`TLS`]):
//! `{"http1.1": RUN, "http2": RUN, "date", "commit", "dirty", "machine"}`,
//! where a RUN is the `load` binary's results file and the facts are those a
//! group of the results file records (see [`super::model`]), taken when the
//! runs are recorded. A file without the facts still renders, without them.
//!
//! The files are read like the results file: by hand through
//! `serde_json::Value`, each missing figure reported with its path (a run
//! through `chatstream-testkit`'s `LoadRun`, the reader `load --compare`
//! uses too). Either file may be missing; with neither, the report has no
//! such section.
//!
//! The memory target is not read from the file but computed from each run's
//! protocol (its `http2` field): the target depends on the protocol alone,
//! and a file written by an older `load` binary may carry another.

use std::path::Path;

use serde_json::{Map, Value};

pub use chatstream_testkit::load_results::LoadRun;

use super::format;
use super::markdown::table;
use super::model::{Machine, commit_text, text_or_unknown};
use super::targets;

/// The recorded plain runs, relative to the workspace root.
pub const PLAIN: &str = "docs/bench/load-http2.json";
/// The recorded runs over TLS, relative to the workspace root.
pub const TLS: &str = "docs/bench/load-http2-tls.json";

/// The recorded comparisons: plain first, then over TLS, each if present.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Load {
    /// The comparisons found, in that order.
    pub recorded: Vec<Recorded>,
}

/// One recorded file: the HTTP/1.1 run and the HTTP/2 run of the same
/// streams, on the same machine.
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    /// The HTTP/1.1 run.
    pub http1: LoadRun,
    /// The HTTP/2 run.
    pub http2: LoadRun,
    /// When, from which commit and on what the runs were recorded (`None`
    /// when the file does not say).
    pub facts: Option<Facts>,
}

/// When, from which commit and on what machine the runs were recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct Facts {
    /// UTC.
    pub date: String,
    /// The commit (`git rev-parse --short HEAD`).
    pub commit: String,
    /// Whether tracked files differed from that commit.
    pub dirty: bool,
    /// The machine.
    pub machine: Machine,
}

impl Load {
    /// The files [`PLAIN`] and [`TLS`] under `root`, each if present.
    pub fn read(root: &Path) -> Result<Self, String> {
        let mut recorded = Vec::new();
        for relative in [PLAIN, TLS] {
            let path = root.join(relative);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    recorded.push(Recorded::parse(&text).map_err(|e| format!("{relative}: {e}"))?)
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("{}: {e}", path.display())),
            }
        }
        Ok(Self { recorded })
    }
}

/// The run under `key` of a recorded file's top object. Recorded runs start
/// their own server, so each says which protocol it asked for.
fn run(top: &Map<String, Value>, key: &str) -> Result<LoadRun, String> {
    let run = LoadRun::from_value(top.get(key).unwrap_or(&Value::Null), key)?;
    if run.asked.is_none() {
        return Err(format!(
            "{key}.http2, {key}.tls: missing or not true or false"
        ));
    }
    Ok(run)
}

impl Recorded {
    /// Parses a recorded file's text.
    pub fn parse(json: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
        let top = value
            .as_object()
            .ok_or("expected an object with `http1.1` and `http2`")?;
        let facts = (top.contains_key("date") || top.contains_key("machine")).then(|| Facts {
            date: text_or_unknown(top, "date"),
            commit: text_or_unknown(top, "commit"),
            dirty: top.get("dirty").and_then(Value::as_bool).unwrap_or(false),
            machine: Machine::parse(top),
        });
        Ok(Self {
            http1: run(top, "http1.1")?,
            http2: run(top, "http2")?,
            facts,
        })
    }
}

/// Whether a run's memory per idle open stream meets its target.
fn target_met(run: &LoadRun) -> bool {
    targets::Goal::AtMost(run.target_bytes_per_stream() as f64)
        .met_by(run.rss_per_idle_stream_bytes)
}

/// The link to the section, for the index line of the report.
pub const INDEX_LINK: &str = "[Many concurrent streams](#many-concurrent-streams-load)";

/// The whole section, or nothing when no run was recorded.
pub fn section(load: &Load) -> String {
    let Some(first) = load.recorded.first() else {
        return String::new();
    };
    let runs: Vec<&LoadRun> = load
        .recorded
        .iter()
        .flat_map(|r| [&r.http1, &r.http2])
        .collect();
    let mut out = String::from("## Many concurrent streams (`load`)\n\n");
    out.push_str(&prose(first));
    out.push_str(&runs_table(&runs));
    out.push_str(&notes(&runs));
    out.push('\n');
    out.push_str(&facts(load));
    out
}

const PROSE: &str = "\
**What is measured.** {streams} streams of {chunks} chunks each, one chunk per 100 ms, all \
open at once: one client process (`chatstream`'s `Client` on tokio's multi-thread runtime) \
against the `mock-server` binary of `chatstream-testkit` in another process, over loopback, so \
that each process's memory is its own. The same streams run over HTTP/1.1 (one connection per \
stream), then over HTTP/2, where the server takes at most {max} streams per connection; each \
run is a process of its own, and each figure is from that one run. Resident memory is read \
before the first stream opens and again when every stream is open and idle (each has received \
its first chunk; the server holds back the second): RSS per idle open stream is the difference \
divided by the streams, against a target of ≤ 8 KiB over HTTP/2, where streams share \
connections, and ≤ 16 KiB over HTTP/1.1, where each has a connection of its own. The \
first-chunk spread is the time from the first stream's first chunk to the last stream's: over \
HTTP/2 a spread above 2 s would mean that streams waited for others to end, and fails the run; \
over HTTP/1.1 it is the time to open every connection. The verdict is about correctness: every \
chunk the server wrote delivered, every stream ended with `[DONE]`, every stream open at once, \
the protocol asked for (connections are the server's count). Memory is read against its \
target, not part of the verdict.\n\n";

fn prose(first: &Recorded) -> String {
    let max = first
        .http2
        .max_concurrent_streams
        .map_or("a limited number of".to_owned(), format::count);
    PROSE
        .replace("{streams}", &format::count(first.http1.streams))
        .replace("{chunks}", &format::count(first.http1.chunks_per_stream))
        .replace("{max}", &max)
}

/// A row of the table: its title and how a run gives its cell.
type Line = (&'static str, fn(&LoadRun) -> String);

/// The rows, in order.
const LINES: &[Line] = &[
    ("connections (server's count)", |r| {
        format::count(r.connections)
    }),
    ("chunks delivered / lost", |r| {
        format!(
            "{} / {}",
            format::count(r.chunks_delivered),
            format::count(r.chunks_lost)
        )
    }),
    ("streams failed", |r| format::count(r.streams_failed)),
    ("time to open all", |r| format::seconds(r.open_seconds)),
    ("first-chunk spread", |r| {
        r.first_chunk_spread_seconds
            .map_or("none".to_owned(), format::seconds)
    }),
    ("RSS all open and idle", |r| {
        format::rss_bytes(r.rss_idle_bytes)
    }),
    ("**RSS per idle open stream (KiB)**", per_stream),
    ("peak RSS", |r| format::rss_bytes(r.peak_rss_bytes)),
    ("wall time", |r| format::seconds(r.wall_seconds)),
    ("verdict", |r| {
        if r.failures.is_empty() {
            "passed"
        } else {
            "**failed**"
        }
        .to_owned()
    }),
];

/// `**6.9** (≤ 8: met)`: the figure, its target and the verdict.
fn per_stream(run: &LoadRun) -> String {
    format!(
        "**{:.1}** (≤ {}: {})",
        run.rss_per_idle_stream_bytes / 1024.0,
        run.target_bytes_per_stream() / 1024,
        targets::verdict(target_met(run))
    )
}

fn runs_table(runs: &[&LoadRun]) -> String {
    let mut head = vec![(String::new(), false)];
    head.extend(runs.iter().map(|r| (r.label(), true)));
    let rows: Vec<Vec<String>> = LINES
        .iter()
        .map(|(title, cell)| {
            let mut row = vec![(*title).to_owned()];
            row.extend(runs.iter().map(|r| cell(r)));
            row
        })
        .collect();
    table(&head, &rows)
}

/// What failed a run and what qualifies its figures, one line each.
fn notes(runs: &[&LoadRun]) -> String {
    let mut notes = String::new();
    for run in runs {
        for failure in &run.failures {
            notes.push_str(&format!("- {}: failed: {failure}.\n", run.label()));
        }
        for warning in &run.warnings {
            notes.push_str(&format!("- {}: {warning}.\n", run.label()));
        }
    }
    if notes.is_empty() {
        notes
    } else {
        format!("\n{notes}")
    }
}

/// The facts of each recorded file that has them, one line each.
fn facts(load: &Load) -> String {
    let mut out = String::new();
    for recorded in &load.recorded {
        let Some(facts) = &recorded.facts else {
            continue;
        };
        let m = &facts.machine;
        out.push_str(&format!(
            "{}: recorded {} (UTC), commit `{}`; {}, {} logical cores, memory {}, kernel {}, \
             {}.\n\n",
            if recorded.http1.asked.is_some_and(|asked| asked.tls) {
                "Over TLS"
            } else {
                "Plain"
            },
            facts.date,
            commit_text(&facts.commit, facts.dirty),
            m.cpu,
            m.logical_cores,
            format::memory_kib(m.memory_kib),
            m.kernel,
            m.rustc
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run of 10 streams × 5 chunks, passing, at `per_stream` bytes per
    /// idle open stream.
    fn run(http2: bool, per_stream: f64) -> Value {
        serde_json::json!({
            "protocol": if http2 { "HTTP/2" } else { "HTTP/1.1" },
            "http2": http2, "tls": false, "streams": 10, "chunks_per_stream": 5,
            "max_concurrent_streams": if http2 { Some(4) } else { None },
            "server": {"connections": if http2 { 3 } else { 10 }},
            "chunks_expected": 50, "chunks_delivered": 50, "chunks_lost": 0, "streams_failed": 0,
            "open_seconds": 0.25, "first_chunk_spread_seconds": 0.125,
            "rss_idle_bytes": 10_485_760, "rss_per_idle_stream_bytes": per_stream,
            "peak_rss_bytes": 11_534_336, "wall_seconds": 1.5,
            // Written by an older binary: not what the report uses.
            "target_bytes_per_stream": 16384, "target_met": true,
            "failures": [], "warnings": [],
        })
    }

    fn line<'a>(section: &'a str, title: &str) -> &'a str {
        let start = format!("| {title} |");
        section
            .lines()
            .find(|l| l.starts_with(&start))
            .unwrap_or("")
    }

    #[test]
    fn both_runs_side_by_side_with_the_target_of_each_protocol() {
        let mut http2 = run(true, 9000.0);
        http2["failures"] = serde_json::json!(["3 of 10 streams failed"]);
        let json = serde_json::json!({"http1.1": run(false, 9000.0), "http2": http2});
        let recorded = Recorded::parse(&json.to_string()).unwrap();
        assert_eq!(recorded.facts, None);
        let text = section(&Load {
            recorded: vec![recorded],
        });
        assert!(text.starts_with(
            "## Many concurrent streams (`load`)\n\n**What is measured.** 10 streams of 5 chunks"
        ));
        assert!(text.contains("at most 4 streams per connection"));
        assert!(line(&text, "").ends_with("| HTTP/1.1 | HTTP/2 |"));
        assert_eq!(
            line(&text, "connections (server's count)"),
            "| connections (server's count) | 10 | 3 |"
        );
        assert_eq!(
            line(&text, "chunks delivered / lost"),
            "| chunks delivered / lost | 50 / 0 | 50 / 0 |"
        );
        // 8.8 KiB meets HTTP/1.1's 16 KiB and misses HTTP/2's 8 KiB.
        assert_eq!(
            line(&text, "**RSS per idle open stream (KiB)**"),
            "| **RSS per idle open stream (KiB)** | **8.8** (≤ 16: met) | **8.8** (≤ 8: **missed**) |"
        );
        assert_eq!(
            line(&text, "RSS all open and idle"),
            "| RSS all open and idle | 10.0 MB | 10.0 MB |"
        );
        assert_eq!(line(&text, "verdict"), "| verdict | passed | **failed** |");
        assert!(text.contains("- HTTP/2: failed: 3 of 10 streams failed.\n"));
        assert!(!text.contains("recorded"));
    }

    #[test]
    fn facts_are_shown_when_recorded_and_a_missing_figure_is_named() {
        let mut json =
            serde_json::json!({"http1.1": run(false, 9000.0), "http2": run(true, 7000.0)});
        json["date"] = "2025-01-02T03:04:05Z".into();
        json["commit"] = "abc1234".into();
        json["machine"] = serde_json::json!({"cpu": "Test CPU", "logical_cores": 2});
        let recorded = Recorded::parse(&json.to_string()).unwrap();
        let text = section(&Load {
            recorded: vec![recorded],
        });
        assert!(text.contains(
            "Plain: recorded 2025-01-02T03:04:05Z (UTC), commit `abc1234`; Test CPU, 2 logical \
             cores, memory unknown, kernel unknown, unknown.\n"
        ));
        assert_eq!(section(&Load::default()), "");
        json["http2"]["server"] = serde_json::json!({});
        let error = Recorded::parse(&json.to_string()).unwrap_err();
        assert_eq!(error, "http2.server.connections: missing or not a count");
    }
}
