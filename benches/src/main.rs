//! `chatstream-bench`: decode throughput and allocations of chatstream's
//! layers against the peers, on the corpora `cargo xtask bench` generates.
//!
//! ```text
//! chatstream-bench <corpus-dir> [--only types|sse|client] [--runs N] [--json out.json]
//!                  [--eventsource-cap N] [--client-runtime current|multi]
//! ```
//!
//! For each corpus (`sse_text.bin`, `sse_tools.bin`, `sse_azure.bin` in
//! `<corpus-dir>`), in one process and over the same bytes, it measures two
//! groups (see [`types`] and [`sse`] for what each method is and why):
//!
//! - `types` — JSON payload to chunk: our `ChunkParser`, with and
//!   without folding into an `Accumulator`, against async-openai's type;
//! - `sse` — bytes to events at 1 KiB, 16 KiB and whole-buffer
//!   pieces: our `Decoder` against sse-stream and eventsource-stream, with a
//!   memchr scan as the ceiling.
//!
//! A third group, `client` (see [`client`]), streams the `text` corpus over
//! loopback HTTP from the `mock-server` binary of `chatstream-testkit` (built
//! next to this one) to our whole client, async-openai's client and a bare
//! hyper request, each in a child process of its own (this binary with a
//! hidden `--client-method` flag) so that each one's peak RSS is its own;
//! and the time to the first chunk of a short stream, ours against bare
//! hyper.
//!
//! Each number is the best of `--runs` (default 5) timed with
//! `std::time::Instant`; allocations are counted by a counting global
//! allocator ([`alloc`]). Every method of a group must report the same item
//! count, or the run fails. Output: a table on standard output and, with
//! `--json`, the results file (see [`report::write_results`]): per group,
//! the facts of the run ([`machine`]: date, commit, CPU, cores, memory,
//! kernel, rustc) and its rows (group, corpus, piece, method, rates,
//! allocations per item, and the ratio of this row's rate to each other
//! method's at the same corpus and piece). Groups not measured in this run
//! are kept from the existing file, so `--only` re-measures one group.
//!
//! This package depends on the peers and is not a default member of the
//! workspace, so plain `cargo build` / `cargo test` never compile it.

mod alloc;
mod client;
mod measure;
mod report;
mod sse;
mod types;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use bytes::Bytes;
use memchr::memmem;

use crate::measure::measure_interleaved;
use crate::report::{GroupResults, Row};
use chatstream_bench::machine::{self, RunFacts};

/// The corpora, in the order they are measured.
const CORPORA: [&str; 3] = ["text", "tools", "azure"];

/// Piece sizes of the `sse` group; `None` is the whole buffer at once.
const PIECES: [(&str, Option<usize>); 3] = [
    ("1KiB", Some(1024)),
    ("16KiB", Some(16 * 1024)),
    ("whole", None),
];

/// How many events eventsource-stream gets with whole-buffer delivery by
/// default: its cost grows with the square of the buffer, so the full corpus
/// (200,000 events) would take minutes per run.
const DEFAULT_EVENTSOURCE_CAP: usize = 5_000;

const USAGE: &str = "usage: chatstream-bench <corpus-dir> [--only types|sse|client] [--runs N] \
                     [--json out.json] [--eventsource-cap N] [--client-runtime current|multi]";

/// The groups `--only` accepts.
const GROUPS: [&str; 3] = ["types", "sse", "client"];

/// The command line.
#[derive(Debug)]
struct Options {
    dir: PathBuf,
    only: Option<String>,
    runs: u32,
    json: Option<PathBuf>,
    eventsource_cap: usize,
    client_runtime: String,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // A child process of group `client`, measuring one method.
    let result = if args.first().is_some_and(|arg| arg == "--client-method") {
        client::child_main(&args)
    } else {
        parse_args().and_then(|options| run(&options))
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("chatstream-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut options = Options {
        dir: PathBuf::new(),
        only: None,
        runs: 5,
        json: None,
        eventsource_cap: DEFAULT_EVENTSOURCE_CAP,
        client_runtime: "current".to_owned(),
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--only" => {
                let group = value("--only")?;
                if !GROUPS.contains(&group.as_str()) {
                    return Err(format!(
                        "--only takes `types`, `sse` or `client`, got `{group}`"
                    ));
                }
                options.only = Some(group);
            }
            "--runs" => {
                let runs = value("--runs")?;
                options.runs = runs.parse().map_err(|e| format!("--runs {runs}: {e}"))?;
            }
            "--json" => options.json = Some(PathBuf::from(value("--json")?)),
            "--eventsource-cap" => {
                let cap = value("--eventsource-cap")?;
                options.eventsource_cap = cap
                    .parse()
                    .map_err(|e| format!("--eventsource-cap {cap}: {e}"))?;
            }
            "--client-runtime" => {
                let kind = value("--client-runtime")?;
                if kind != "multi" && kind != "current" {
                    return Err(format!(
                        "--client-runtime takes current or multi, got {kind}"
                    ));
                }
                options.client_runtime = kind;
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other if other.starts_with('-') || dir.is_some() => {
                return Err(format!("unexpected argument `{other}`\n{USAGE}"));
            }
            other => dir = Some(PathBuf::from(other)),
        }
    }
    options.dir = dir.ok_or(USAGE)?;
    Ok(options)
}

fn run(options: &Options) -> Result<(), String> {
    let wants = |group: &str| options.only.as_deref().is_none_or(|only| only == group);
    println!(
        "best of {} runs; rates are items (chunks or events) per second; MB = 10^6 bytes; \
         allocs = alloc + realloc calls per item",
        options.runs.max(1)
    );
    let mut rows = Vec::new();
    // Per group: the facts of its run and the chunks per corpus.
    let mut measured: BTreeMap<&str, (RunFacts, u64)> = BTreeMap::new();
    let decode = wants("types") || wants("sse");
    if decode {
        let facts = machine::capture();
        for group in ["types", "sse"].into_iter().filter(|g| wants(g)) {
            measured.insert(group, (facts.clone(), 0));
        }
    }
    for name in CORPORA.into_iter().filter(|_| decode) {
        let path = options.dir.join(format!("sse_{name}.bin"));
        let data = std::fs::read(&path).map_err(|e| {
            format!(
                "{}: {e} (generate the corpora with `cargo xtask bench`)",
                path.display()
            )
        })?;
        let buffer = Bytes::from(data);
        let events = memmem::find_iter(&buffer, b"\n\n").count();
        println!(
            "\n## corpus `{name}`: {} bytes, {events} events, {:.1} B/event",
            buffer.len(),
            buffer.len() as f64 / events.max(1) as f64
        );
        // The JSON chunks: every event but the final `[DONE]`.
        let chunks = events.saturating_sub(1) as u64;
        for (_, recorded) in measured.values_mut() {
            *recorded = (*recorded).max(chunks);
        }
        if wants("types") {
            rows.extend(bench_types(name, &buffer, options)?);
        }
        if wants("sse") {
            rows.extend(bench_sse(name, &buffer, events, options)?);
        }
    }
    if wants("client") {
        let facts = machine::capture();
        let client_rows =
            client::bench(&options.dir, options.runs.max(1), &options.client_runtime)?;
        let chunks = client_rows.first().map_or(0, |row| row.items);
        measured.insert("client", (facts, chunks));
        rows.extend(client_rows);
    }
    report::print_summary(&rows);
    client::print_targets(&rows);
    if let Some(path) = &options.json {
        let mut groups = BTreeMap::new();
        for (group, (facts, chunks)) in &measured {
            let settings = match *group {
                "sse" => BTreeMap::from([(
                    "eventsource_cap",
                    serde_json::Value::from(options.eventsource_cap),
                )]),
                "client" => BTreeMap::from([
                    (
                        "client_runtime",
                        serde_json::Value::from(options.client_runtime.as_str()),
                    ),
                    ("write_size", serde_json::Value::from(client::WRITE_SIZE)),
                ]),
                _ => BTreeMap::new(),
            };
            let group_results = GroupResults {
                facts,
                runs: options.runs.max(1),
                chunks: *chunks,
                settings,
                rows: rows.iter().filter(|row| row.group == *group).collect(),
            };
            groups.insert(*group, group_results);
        }
        report::write_results(path, &groups)?;
        println!("\nwrote {}", path.display());
    }
    Ok(())
}

/// Each event's `data` (after `data: `), `[DONE]` excluded: slices of the
/// corpus.
fn payloads(buffer: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut out = Vec::new();
    let mut start = 0;
    for end in memmem::find_iter(buffer, b"\n\n") {
        let event = &buffer[start..end];
        start = end + 2;
        let data = event
            .strip_prefix(b"data: ")
            .ok_or_else(|| format!("event at byte {start} is not a single `data: ` line"))?;
        if data != b"[DONE]" {
            out.push(data);
        }
    }
    Ok(out)
}

fn bench_types(corpus: &str, buffer: &Bytes, options: &Options) -> Result<Vec<Row>, String> {
    let payloads = payloads(buffer)?;
    let bytes: usize = payloads.iter().map(|p| p.len()).sum();
    let measured = measure_interleaved(options.runs, types::METHODS.len(), |i| {
        types::run(types::METHODS[i], &payloads)
    });
    let mut rows = Vec::new();
    for (method, measured) in types::METHODS.into_iter().zip(&measured) {
        rows.push(Row::new(
            "types",
            corpus,
            "payloads",
            method,
            payloads.len() as u64,
            bytes as u64,
            measured,
        ));
    }
    // Failures of ours are a bug; failures of the peer are a finding.
    for row in &rows {
        if row.failures > 0 && row.method != "async-openai" {
            return Err(format!(
                "types/{corpus}/{}: {} of {} payloads failed; first: {}",
                row.method,
                row.failures,
                row.items,
                row.first_failure.as_deref().unwrap_or("?")
            ));
        }
    }
    report::add_ratios(&mut rows);
    report::print_group(&rows);
    Ok(rows)
}

fn bench_sse(
    corpus: &str,
    buffer: &Bytes,
    events: usize,
    options: &Options,
) -> Result<Vec<Row>, String> {
    // eventsource-stream's whole-buffer input: the first `cap` events.
    let cap = options.eventsource_cap.min(events);
    let capped_len = memmem::find_iter(buffer, b"\n\n")
        .nth(cap.saturating_sub(1))
        .map_or(0, |at| at + 2);
    let capped = buffer.slice(..capped_len);
    let short = sse::pieces(&capped, capped.len());
    let mut rows = Vec::new();
    for (piece, size) in PIECES {
        let full = sse::pieces(buffer, size.unwrap_or(buffer.len()));
        let input_of = |method: &str| {
            let whole_capped = size.is_none() && method == "eventsource-stream";
            if whole_capped {
                (whole_capped, &short, cap, capped.len())
            } else {
                (whole_capped, &full, events, buffer.len())
            }
        };
        let measured = measure_interleaved(options.runs, sse::METHODS.len(), |i| {
            let method = sse::METHODS[i];
            sse::run(method, input_of(method).1)
        });
        let mut group = Vec::new();
        for (method, measured) in sse::METHODS.into_iter().zip(&measured) {
            let (whole_capped, _, expected, bytes) = input_of(method);
            let mut row = Row::new(
                "sse",
                corpus,
                piece,
                method,
                expected as u64,
                bytes as u64,
                measured,
            );
            if whole_capped {
                row.note = Some(format!(
                    "first {cap} events only ({} bytes): quadratic in the buffer size",
                    capped.len()
                ));
            }
            if measured.outcome.failures > 0 || measured.outcome.items != expected as u64 {
                return Err(format!(
                    "sse/{corpus}/{piece}/{method}: decoded {} events with {} failures, \
                     expected {expected} (first failure: {})",
                    measured.outcome.items,
                    measured.outcome.failures,
                    measured.outcome.first_failure.as_deref().unwrap_or("none")
                ));
            }
            group.push(row);
        }
        report::add_ratios(&mut group);
        rows.extend(group);
    }
    report::add_whole_vs_16k(&mut rows);
    report::print_group(&rows);
    Ok(rows)
}
