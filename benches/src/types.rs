//! Group `types`: parsing each event's payload into a chunk type.
//!
//! The payloads (each event's `data`, `[DONE]` excluded) are split out of
//! the corpus before timing, so only JSON parsing is measured:
//!
//! - `ours` — [`ChunkParser::parse_payload`], one parser per run (as one per
//!   stream), every payload must come back as [`StreamPayload::Chunk`];
//! - `ours+fold` — the same, plus [`Accumulator::push`] of every chunk and
//!   the final [`Accumulator::finish`]: what folding the stream into a
//!   completion adds on top of parsing (target: at most 10%);
//! - `async-openai` — `serde_json::from_slice` into async-openai 0.43's
//!   `CreateChatCompletionStreamResponse`, the owned type its client yields.
//!   A payload it rejects is counted as a failure and reported (a finding
//!   about the peer, not an error of the benchmark).
//!
//! Targets: `ours` at least 1.3 times `async-openai`, at most 3 allocations
//! per chunk on `text`.

use async_openai::types::chat::CreateChatCompletionStreamResponse;
use chatstream_types::{Accumulator, AccumulatorLimits, ChunkParser, ParseError, StreamPayload};

use crate::measure::Outcome;

/// The method names of this group, in the order they are reported.
pub const METHODS: [&str; 3] = ["ours", "ours+fold", "async-openai"];

/// Runs method `name` once over `payloads`.
pub fn run(name: &str, payloads: &[&[u8]]) -> Outcome {
    match name {
        "ours" => ours(payloads),
        "ours+fold" => ours_fold(payloads),
        _ => async_openai(payloads),
    }
}

/// [`ChunkParser::parse_payload`], never inlined: `ours` and `ours+fold`
/// then run the very same machine code for parsing, so that their
/// difference is the fold alone, not how the compiler happened to lay out
/// two inlined copies of the parser (which moved the ratio by 5 points
/// between builds that differed only in other benchmark groups).
#[inline(never)]
fn parse(parser: &mut ChunkParser, payload: &[u8]) -> Result<StreamPayload, ParseError> {
    parser.parse_payload(payload)
}

/// Our parser, one per stream.
fn ours(payloads: &[&[u8]]) -> Outcome {
    let mut parser = ChunkParser::new();
    let mut out = Outcome::default();
    for (i, payload) in payloads.iter().enumerate() {
        match parse(&mut parser, payload) {
            Ok(StreamPayload::Chunk(chunk)) => {
                out.items += 1;
                out.checksum += chunk.choices.len() as u64 + chunk.id.len() as u64;
                std::hint::black_box(&chunk);
            }
            Ok(other) => out.fail(|| format!("payload {i}: not a chunk: {other:?}")),
            Err(e) => out.fail(|| format!("payload {i}: {e}")),
        }
    }
    out
}

/// Our parser and the accumulator, one each per stream.
fn ours_fold(payloads: &[&[u8]]) -> Outcome {
    let mut parser = ChunkParser::new();
    // The `tools` corpus holds thousands of tool calls in one choice, far
    // past the default cap of 1024 meant for real streams.
    let limits = AccumulatorLimits::default().max_tool_calls(usize::MAX);
    let mut accumulator = Accumulator::with_limits(limits);
    let mut out = Outcome::default();
    for (i, payload) in payloads.iter().enumerate() {
        match parse(&mut parser, payload) {
            Ok(StreamPayload::Chunk(chunk)) => match accumulator.push(&chunk) {
                Ok(()) => out.items += 1,
                Err(e) => out.fail(|| format!("payload {i}: accumulator: {e}")),
            },
            Ok(other) => out.fail(|| format!("payload {i}: not a chunk: {other:?}")),
            Err(e) => out.fail(|| format!("payload {i}: {e}")),
        }
    }
    let completion = accumulator.finish();
    out.checksum = completion.choices.len() as u64;
    std::hint::black_box(completion);
    out
}

/// async-openai's owned stream type, through serde_json.
fn async_openai(payloads: &[&[u8]]) -> Outcome {
    let mut out = Outcome::default();
    for (i, payload) in payloads.iter().enumerate() {
        match serde_json::from_slice::<CreateChatCompletionStreamResponse>(payload) {
            Ok(chunk) => {
                out.items += 1;
                out.checksum += chunk.choices.len() as u64 + chunk.id.len() as u64;
                std::hint::black_box(&chunk);
            }
            Err(e) => out.fail(|| format!("payload {i}: {e}")),
        }
    }
    out
}
