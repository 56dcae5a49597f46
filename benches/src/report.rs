//! Results: one [`Row`] per (group, corpus, piece, method), the table on
//! standard output, the target checks, and the JSON file for the report
//! (`docs/bench/results.json` once `cargo xtask bench --report` copies it;
//! `bench-report` (in this package) turns it into `BENCHMARKS.md` and
//! the charts).
//!
//! Every row carries `ratio_to`: its rate divided by the rate of each other
//! method measured on the same corpus and pieces (so `ours` with
//! `ratio_to["sse-stream"] = 1.8` is 1.8 times as fast), and for the
//! whole-buffer rows `same@16KiB`, the ratio to the same method at 16 KiB
//! pieces (1.0 means linear in the piece size).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::measure::Measured;
use chatstream_bench::machine::RunFacts;

/// One measured method.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// `types`, `sse` or `client`.
    pub group: &'static str,
    /// `text`, `tools` or `azure`.
    pub corpus: String,
    /// `payloads` (types), or the piece size: `1KiB`, `16KiB`, `whole`.
    pub piece: &'static str,
    /// The method (see the group's module).
    pub method: &'static str,
    /// Items handled per run: chunks (types) or events (sse).
    pub items: u64,
    /// Input bytes per run.
    pub bytes: u64,
    /// The best run, in seconds.
    pub best_s: f64,
    /// Items per second in the best run (chunks/s for `types`).
    pub events_per_s: f64,
    /// Input megabytes (10^6) per second in the best run.
    pub mb_per_s: f64,
    /// Allocations (alloc + realloc calls) per item.
    pub allocs_per_item: f64,
    /// Items the method failed on.
    pub failures: u64,
    /// The first failure's message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_failure: Option<String>,
    /// This row's rate divided by each other method's (same corpus and piece).
    pub ratio_to: BTreeMap<String, f64>,
    /// Anything that qualifies the numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Numbers only some groups have (`client`: peak RSS, time to first
    /// chunk).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, f64>,
}

impl Row {
    /// A row from a measurement over `items` items and `bytes` bytes.
    pub fn new(
        group: &'static str,
        corpus: &str,
        piece: &'static str,
        method: &'static str,
        items: u64,
        bytes: u64,
        measured: &Measured,
    ) -> Self {
        let seconds = measured.best.as_secs_f64().max(1e-9);
        Self {
            group,
            corpus: corpus.to_owned(),
            piece,
            method,
            items,
            bytes,
            best_s: seconds,
            events_per_s: items as f64 / seconds,
            mb_per_s: bytes as f64 / seconds / 1e6,
            allocs_per_item: measured.allocations as f64 / items.max(1) as f64,
            failures: measured.outcome.failures,
            first_failure: measured.outcome.first_failure.clone(),
            ratio_to: BTreeMap::new(),
            note: None,
            metrics: BTreeMap::new(),
        }
    }
}

/// Fills `ratio_to` between all rows of `rows` with the same group, corpus
/// and piece.
pub fn add_ratios(rows: &mut [Row]) {
    let rates: Vec<(String, &'static str, &'static str, f64)> = rows
        .iter()
        .map(|r| (r.corpus.clone(), r.piece, r.method, r.events_per_s))
        .collect();
    for row in rows.iter_mut() {
        for (corpus, piece, method, rate) in &rates {
            if *corpus == row.corpus && *piece == row.piece && *method != row.method {
                row.ratio_to
                    .insert((*method).to_owned(), row.events_per_s / rate);
            }
        }
    }
}

/// Adds `same@16KiB` to each whole-buffer row of `rows`.
pub fn add_whole_vs_16k(rows: &mut [Row]) {
    let at_16k: Vec<(String, &'static str, f64)> = rows
        .iter()
        .filter(|r| r.piece == "16KiB")
        .map(|r| (r.corpus.clone(), r.method, r.events_per_s))
        .collect();
    for row in rows.iter_mut().filter(|r| r.piece == "whole") {
        if let Some((_, _, rate)) = at_16k
            .iter()
            .find(|(corpus, method, _)| *corpus == row.corpus && *method == row.method)
        {
            row.ratio_to
                .insert("same@16KiB".to_owned(), row.events_per_s / rate);
        }
    }
}

/// `1.23 M`, `456 k`.
fn rate(value: f64) -> String {
    if value >= 1e6 {
        format!("{:.2} M", value / 1e6)
    } else if value >= 1e3 {
        format!("{:.0} k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

/// Prints one group of one corpus as a table. The last column is how many
/// times faster `ours` is than the row's method.
pub fn print_group(rows: &[Row]) {
    let Some(first) = rows.first() else { return };
    let unit = if first.group == "types" {
        "chunks/s"
    } else {
        "events/s"
    };
    println!(
        "\n{:<6} {:<7} {:<19} {:>10} {:>8} {:>8} {:>8} {:>7}",
        first.group, "piece", "method", unit, "MB/s", "allocs", "failed", "ours ×"
    );
    for row in rows {
        let ours = rows
            .iter()
            .find(|r| r.method == "ours" && r.corpus == row.corpus && r.piece == row.piece)
            .map_or(f64::NAN, |ours| ours.events_per_s / row.events_per_s);
        let mut line = format!(
            "{:<6} {:<7} {:<19} {:>10} {:>8.0} {:>8.2} {:>8} {:>6.2}×",
            row.corpus,
            row.piece,
            row.method,
            rate(row.events_per_s),
            row.mb_per_s,
            row.allocs_per_item,
            row.failures,
            ours
        );
        if let Some(note) = &row.note {
            let _ = write!(line, "  ({note})");
        }
        if let Some(failure) = &row.first_failure {
            let _ = write!(line, "\n       first failure: {failure}");
        }
        println!("{line}");
    }
}

fn find<'a>(
    rows: &'a [Row],
    group: &str,
    corpus: &str,
    piece: &str,
    method: &str,
) -> Option<&'a Row> {
    rows.iter()
        .find(|r| r.group == group && r.corpus == corpus && r.piece == piece && r.method == method)
}

/// One target line: `value` against `target`, `ok` or `MISS`.
fn check(corpus: &str, what: &str, value: String, target: &str, ok: bool) {
    let verdict = if ok { "ok" } else { "MISS" };
    println!("{corpus:<6} {what:<40} {value:>10}   target {target:<10} {verdict}");
}

/// Prints the parsing and SSE-decoding targets against what was measured.
pub fn print_summary(rows: &[Row]) {
    println!("\n## targets");
    for corpus in ["text", "tools", "azure"] {
        let ours = find(rows, "types", corpus, "payloads", "ours");
        let fold = find(rows, "types", corpus, "payloads", "ours+fold");
        let peer = find(rows, "types", corpus, "payloads", "async-openai");
        if let (Some(ours), Some(peer)) = (ours, peer) {
            let ratio = ours.events_per_s / peer.events_per_s;
            check(
                corpus,
                "types: ours / async-openai",
                format!("{ratio:.2}×"),
                "≥ 1.3×",
                ratio >= 1.3,
            );
            let allocs = ours.allocs_per_item;
            let what = "types: ours allocations per chunk";
            let target = if corpus == "text" {
                "≤ 3"
            } else {
                "(≤ 3 text)"
            };
            check(
                corpus,
                what,
                format!("{allocs:.2}"),
                target,
                corpus != "text" || allocs <= 3.0,
            );
            println!(
                "{corpus:<6} {:<40} {:>10.2}   (async-openai: {} of {} payloads failed)",
                "types: async-openai allocations per chunk",
                peer.allocs_per_item,
                peer.failures,
                peer.items
            );
        }
        if let (Some(ours), Some(fold)) = (ours, fold) {
            let overhead = (ours.events_per_s / fold.events_per_s - 1.0) * 100.0;
            check(
                corpus,
                "types: fold overhead",
                format!("{overhead:.1}%"),
                "≤ 10%",
                overhead <= 10.0,
            );
        }
        for piece in ["1KiB", "16KiB", "whole"] {
            let ours = find(rows, "sse", corpus, piece, "ours");
            if let (Some(ours), Some(peer)) = (ours, find(rows, "sse", corpus, piece, "sse-stream"))
            {
                let ratio = ours.events_per_s / peer.events_per_s;
                let what = format!("sse {piece}: ours / sse-stream");
                check(
                    corpus,
                    &what,
                    format!("{ratio:.2}×"),
                    "≥ 1.5×",
                    ratio >= 1.5,
                );
            }
            if let Some(ours) = ours {
                let what = format!("sse {piece}: ours allocations per event");
                let allocs = ours.allocs_per_item;
                let (target, ok) = if piece == "whole" {
                    ("0", allocs < 0.001)
                } else {
                    ("(info)", true)
                };
                check(corpus, &what, format!("{allocs:.4}"), target, ok);
            }
        }
        let ours16 = find(rows, "sse", corpus, "16KiB", "ours");
        if let (Some(ours), Some(peer)) = (
            ours16,
            find(rows, "sse", corpus, "16KiB", "eventsource-stream"),
        ) {
            let ratio = ours.events_per_s / peer.events_per_s;
            check(
                corpus,
                "sse 16KiB: ours / eventsource-stream",
                format!("{ratio:.1}×"),
                "≥ 20×",
                ratio >= 20.0,
            );
        }
        if let (Some(whole), Some(at16)) = (find(rows, "sse", corpus, "whole", "ours"), ours16) {
            let ratio = whole.events_per_s / at16.events_per_s;
            let ok = (ratio - 1.0).abs() <= 0.15 || ratio > 1.0;
            check(
                corpus,
                "sse: ours whole / ours 16KiB",
                format!("{ratio:.2}"),
                "≥ 0.85",
                ok,
            );
        }
        if let (Some(whole), Some(at16)) = (
            find(rows, "sse", corpus, "whole", "eventsource-stream"),
            find(rows, "sse", corpus, "16KiB", "eventsource-stream"),
        ) {
            let ratio = whole.events_per_s / at16.events_per_s;
            println!(
                "{corpus:<6} {:<40} {ratio:>10.3}   ({} events whole vs {} at 16KiB)",
                "sse: eventsource whole / its 16KiB", whole.items, at16.items
            );
        }
    }
}

/// The version of the results file's layout, `schema` at its top.
pub const SCHEMA: u64 = 1;

/// One group's entry in the results file: its rows and what they were
/// measured on.
#[derive(Debug, Serialize)]
pub struct GroupResults<'a> {
    /// When, from which commit, on what machine (captured when the group
    /// started).
    #[serde(flatten)]
    pub facts: &'a RunFacts,
    /// Runs per method (the best is kept).
    pub runs: u32,
    /// JSON chunks per corpus.
    pub chunks: u64,
    /// Options of the run that shape the numbers (`eventsource_cap`,
    /// `client_runtime`, …).
    pub settings: BTreeMap<&'static str, serde_json::Value>,
    /// The group's rows.
    pub rows: Vec<&'a Row>,
}

/// Writes the groups measured now into the results file at `path`:
/// `{"schema": 1, "groups": {"types": {...}, "sse": {...}, "client": {...}}}`.
///
/// Groups not measured now are kept from the file as it was, so a run with
/// `--only client` replaces the `client` group and leaves the others (each
/// carries its own date, commit and machine). A file in another layout (the
/// older bare list of rows) is replaced whole.
pub fn write_results(path: &Path, groups: &BTreeMap<&str, GroupResults<'_>>) -> Result<(), String> {
    let mut merged = serde_json::Map::new();
    match std::fs::read_to_string(path) {
        Ok(text) => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(mut old))
                if old.get("schema").and_then(serde_json::Value::as_u64) == Some(SCHEMA) =>
            {
                if let Some(serde_json::Value::Object(kept)) = old.remove("groups") {
                    merged.extend(
                        kept.into_iter()
                            .filter(|(name, _)| !groups.contains_key(name.as_str())),
                    );
                }
            }
            _ => println!(
                "{}: not a schema-{SCHEMA} results file; replacing it",
                path.display()
            ),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{}: {e}", path.display())),
    }
    for (name, group) in groups {
        let value = serde_json::to_value(group).map_err(|e| format!("group {name}: {e}"))?;
        merged.insert((*name).to_owned(), value);
    }
    let file = serde_json::json!({ "schema": SCHEMA, "groups": merged });
    let json = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(path, json + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::{Measured, Outcome};
    use chatstream_bench::machine;
    use std::time::Duration;

    fn row(group: &'static str, method: &'static str) -> Row {
        let measured = Measured {
            best: Duration::from_millis(10),
            allocations: 0,
            outcome: Outcome::default(),
        };
        Row::new(group, "text", "payloads", method, 100, 1000, &measured)
    }

    fn write(path: &Path, group: &'static str, facts: &RunFacts, rows: &[Row]) {
        let entry = GroupResults {
            facts,
            runs: 1,
            chunks: 100,
            settings: BTreeMap::new(),
            rows: rows.iter().collect(),
        };
        write_results(path, &BTreeMap::from([(group, entry)])).unwrap();
    }

    #[test]
    fn a_group_run_alone_replaces_only_its_own_entry() {
        let path = std::env::temp_dir().join(format!(
            "chatstream-bench-results-{}.json",
            std::process::id()
        ));
        // An older bare list of rows is replaced whole.
        std::fs::write(&path, "[]").unwrap();
        let facts = machine::capture();
        write(&path, "types", &facts, &[row("types", "ours")]);
        write(&path, "sse", &facts, &[row("sse", "ours")]);
        write(&path, "types", &facts, &[row("types", "async-openai")]);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let file: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(file["schema"], SCHEMA);
        let groups = file["groups"].as_object().unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups["sse"]["rows"][0]["method"], "ours");
        let types = groups["types"]["rows"].as_array().unwrap();
        assert_eq!(types.len(), 1);
        assert_eq!(types[0]["method"], "async-openai");
        assert_eq!(groups["types"]["machine"]["rustc"], facts.machine.rustc);
        assert!(groups["types"]["date"].as_str().unwrap().ends_with('Z'));
    }
}
