//! Workspace integration tests for chatstream.
//!
//! The tests live in `tests/tests/`; this library holds what they share: where
//! the data copied from the shared corpus lives (`tests/data`, kept in step by
//! `cargo xtask sync-data`), and a reference fold of a whole captured stream
//! (SSE decoding, payload parsing, accumulation and the end state), built only
//! from the public APIs of `chatstream-sse` and `chatstream-types`.
//!
//! - [`mock`]: a loopback mock OpenAI-compatible server (plain, TLS and raw
//!   HTTP/1.1 modes, scripted replies, replay of the captured streams).

pub mod bench_report;
pub mod mock;

use std::path::{Path, PathBuf};

pub mod compat;
pub mod corpus;
pub mod mock_process;
pub mod offline;
pub mod process;

use chatstream_sse::{Decoder, Event};
use chatstream_types::{Accumulator, ApiError, ChunkParser, StreamPayload};

/// The folder holding the copied test data (`tests/data`).
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")
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

/// Decodes `body` (fed in `pieces`), parses each event and folds the chunks,
/// stopping at `[DONE]` or at an error object, the way the client does.
///
/// Fails with a message on a decoder error or a payload that is not a chunk.
pub fn fold_stream<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> Result<Folded, String> {
    let mut decoder = Decoder::new();
    let mut parser = ChunkParser::new();
    let mut accumulator = Accumulator::new();
    for piece in pieces {
        decoder.feed(bytes_of(piece));
        while let Some(event) = decoder.next_event().map_err(|e| e.to_string())? {
            let payload = event_payload(&mut parser, &event)?;
            match payload {
                StreamPayload::Done => {
                    return Ok(Folded {
                        outcome: Outcome::Done,
                        accumulator,
                    });
                }
                StreamPayload::Error(error) => {
                    return Ok(Folded {
                        outcome: Outcome::Error(error),
                        accumulator,
                    });
                }
                StreamPayload::Chunk(chunk) => {
                    accumulator.push(&chunk).map_err(|e| e.to_string())?;
                }
            }
        }
    }
    let outcome = if accumulator.all_choices_finished() {
        Outcome::Finished
    } else {
        Outcome::Truncated
    };
    Ok(Folded {
        outcome,
        accumulator,
    })
}

/// Parses one event: an `event: error` event is an error whatever its data
/// holds (`{"error": {...}}`, a bare error object, or text); any other event's
/// data is a chunk, an in-stream error object, or `[DONE]`.
pub fn event_payload(parser: &mut ChunkParser, event: &Event) -> Result<StreamPayload, String> {
    if event.event_type() == "error" {
        let error = parser.parse_error_event(event.data_bytes());
        return Ok(StreamPayload::Error(error));
    }
    parser
        .parse_payload(event.data_bytes())
        .map_err(|e| format!("payload {:?}: {e}", event.data()))
}

fn bytes_of(piece: &[u8]) -> bytes::Bytes {
    bytes::Bytes::copy_from_slice(piece)
}

/// The README's Rust examples, compiled (and the runnable ones run) by
/// `cargo test --doc -p chatstream-tests`, so the front page cannot drift
/// from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
