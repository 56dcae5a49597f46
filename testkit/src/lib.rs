//! What the workspace's tests and tools share (the tests themselves are in
//! `tests/`, package `chatstream-tests`, which holds nothing else).
//!
//! - here: where the data copied from the shared corpus lives (`tests/data`,
//!   kept in step by `cargo xtask sync-data`), and the fold of a whole
//!   captured stream — the client's own protocol core
//!   ([`chatstream::protocol::StreamReader`]: SSE decoding, payload parsing
//!   and the end state) feeding an [`Accumulator`];
//! - [`mock`]: a loopback mock OpenAI-compatible server (plain, TLS and raw
//!   HTTP/1.1 modes, scripted replies, replay of the captured streams), also
//!   run as a process of its own by the `mock-server` binary;
//! - [`corpus`]: `expected.jsonl` and the summary a fold is compared with;
//! - [`compat`]: the README's provider compatibility table, generated from
//!   the corpus (the `compat-table` binary);
//! - [`mock_process`] and [`process`]: starting `mock-server` from a tool,
//!   and reading a process's memory — for the `load` binary (the load
//!   benchmark's client) and the benchmarks' client group;
//! - [`json`]: reading a results file by hand, each missing field named by
//!   its path;
//! - [`load_results`] and [`load_targets`]: a load run's results read back
//!   (by `load --compare` and the benchmark report), and its memory targets;
//! - [`tls`]: the throwaway CA and server certificate of the TLS servers
//!   (the mock's, and `mock-server --tls`).

pub mod compat;
pub mod corpus;
pub mod json;
pub mod load_results;
pub mod load_targets;
pub mod mock;
pub mod mock_process;
pub mod process;
pub mod tls;

use std::path::{Path, PathBuf};
use std::time::Instant;

use bytes::Bytes;
use chatstream::protocol::StreamReader;
use chatstream::{EndState, ErrorKind};
use chatstream_types::{Accumulator, ApiError};

/// The folder holding the copied test data (`tests/data`, beside the tests
/// that read it).
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data")
}

/// Every `*.sse` file under `dir`, sorted, as paths relative to `dir`.
pub fn sse_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "sse") {
                if let Ok(relative) = path.strip_prefix(dir) {
                    found.push(relative.to_path_buf());
                }
            }
        }
    }
    found.sort();
    found
}

/// How a stream ended (the `outcome` of `expected.jsonl`).
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// `[DONE]` arrived.
    Done,
    /// No `[DONE]`, but every choice had finished.
    Finished,
    /// An error object arrived.
    Error(ApiError),
    /// The body ended with a choice unfinished, or with no chunk at all.
    Truncated,
}

impl Outcome {
    /// The name used in `expected.jsonl`.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Finished => "finished",
            Outcome::Error(_) => "error",
            Outcome::Truncated => "truncated",
        }
    }
}

/// The result of folding a whole stream.
#[derive(Debug)]
pub struct Folded {
    /// How it ended.
    pub outcome: Outcome,
    /// The accumulated chunks.
    pub accumulator: Accumulator,
}

/// Reads `body` (fed in `pieces`) with the client's protocol core and folds
/// the chunks, as the client does.
///
/// Fails with a message when the stream is unreadable (a decoder or parse
/// limit, a payload that is not a chunk, the accumulator's limits) or was a
/// whole completion rather than a stream.
pub fn fold_stream<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> Result<Folded, String> {
    let mut reader = StreamReader::new();
    let mut accumulator = Accumulator::new();
    let mut failure = None;
    for piece in pieces {
        reader.feed(Bytes::copy_from_slice(piece), Instant::now());
        drain(&mut reader, &mut accumulator, &mut failure)?;
    }
    reader.end_of_body();
    drain(&mut reader, &mut accumulator, &mut failure)?;
    let outcome = match (failure, reader.end_state()) {
        (Some(error), _) => match error.kind() {
            ErrorKind::Api => Outcome::Error(error.api_error().cloned().unwrap_or_default()),
            ErrorKind::Truncated => Outcome::Truncated,
            _ => return Err(problem(&error)),
        },
        (None, Some(EndState::Done)) => Outcome::Done,
        (None, Some(EndState::Finished)) => Outcome::Finished,
        (None, state) => return Err(format!("the stream ended as {state:?}")),
    };
    Ok(Folded {
        outcome,
        accumulator,
    })
}

/// What made a stream unreadable: the error, and the payload it was about.
pub fn problem(error: &chatstream::Error) -> String {
    match error.payload() {
        Some(payload) => format!("{error}: payload {:?}", String::from_utf8_lossy(payload)),
        None => error.to_string(),
    }
}

/// Folds every item the reader has ready; keeps its error.
fn drain(
    reader: &mut StreamReader,
    accumulator: &mut Accumulator,
    failure: &mut Option<chatstream::Error>,
) -> Result<(), String> {
    while let Some(item) = reader.next_item() {
        match item {
            Ok(chunk) => accumulator.push(&chunk).map_err(|e| e.to_string())?,
            Err(error) => *failure = Some(error),
        }
    }
    Ok(())
}

/// The README's Rust examples, compiled (and the runnable ones run) by
/// `cargo test --doc -p chatstream-testkit`, so the front page cannot drift
/// from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
