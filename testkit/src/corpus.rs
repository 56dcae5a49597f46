//! The captured corpus and its expected results (`tests/data/fixtures`).
//!
//! `expected.jsonl` holds, per `.sse` file, what the stream must fold to. The
//! functions here put a folded stream in the same shape, so that the decoder
//! tests, the accumulator tests and the end-to-end client tests all compare
//! against one reference.

use std::collections::BTreeMap;

use chatstream::{ChatCompletionStream, EndState, ErrorKind};
use chatstream_types::{Accumulator, ApiError};
use serde_json::{Value, json};

use crate::data_dir;

/// `expected.jsonl`, keyed by file (relative to `tests/data/fixtures`).
///
/// # Panics
///
/// When the file is missing or a line is not JSON: the test data is broken.
#[allow(clippy::expect_used)] // broken test data should stop the test loudly
pub fn expected() -> BTreeMap<String, Value> {
    let path = data_dir().join("fixtures/expected.jsonl");
    let text = std::fs::read_to_string(&path).expect("tests/data/fixtures/expected.jsonl");
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let value: Value = serde_json::from_str(line).expect("expected.jsonl line");
            let file = value["file"].as_str().unwrap_or_default().to_owned();
            (file, value)
        })
        .collect()
}

/// Reads a client stream to its end, folding it, and summarizes it like
/// [`summarize`]: the end states `Done` and `Finished` and the errors of kind
/// `Api` and `Truncated` map to the four outcomes of `expected.jsonl`.
///
/// # Errors
///
/// Any other ending (a transport or decode error, say), a chunk the
/// accumulator refuses, or an item after the end.
pub async fn summarize_stream(mut stream: ChatCompletionStream) -> Result<Value, String> {
    let mut accumulator = Accumulator::new();
    let mut error = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(chunk) => accumulator.push(&chunk).map_err(|e| e.to_string())?,
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    if stream.next().await.is_some() {
        return Err("an item after the end of the stream".to_owned());
    }
    let outcome = match (&error, stream.end_state()) {
        (None, Some(EndState::Done)) => "done",
        (None, Some(EndState::Finished)) => "finished",
        (Some(e), _) if e.kind() == ErrorKind::Api => "error",
        (Some(e), _) if e.kind() == ErrorKind::Truncated => "truncated",
        (error, end) => return Err(format!("unexpected end: {end:?}, {error:?}")),
    };
    Ok(summarize(
        outcome,
        &accumulator,
        error.as_ref().and_then(|e| e.api_error()),
    ))
}

/// A folded stream in the shape of an `expected.jsonl` line (without
/// `file`): `outcome` is `done`, `finished`, `error` or `truncated`, and
/// `error` is the API error for `error`.
pub fn summarize(outcome: &str, accumulator: &Accumulator, error: Option<&ApiError>) -> Value {
    let choices: Vec<Value> = accumulator
        .choices()
        .map(|choice| {
            let tool_calls: Vec<Value> = choice
                .tool_calls()
                .map(|call| {
                    json!({
                        "index": call.index(),
                        "id": call.id(),
                        "type": call.kind().map_or("", |k| k.as_str()),
                        "name": call.name(),
                        "arguments": call.arguments(),
                    })
                })
                .collect();
            json!({
                "index": choice.index(),
                "role": choice.role().map_or("", |r| r.as_str()),
                "content": choice.content(),
                "refusal": choice.refusal(),
                "reasoning": choice.reasoning(),
                "tool_calls": tool_calls,
                "finish_reason": choice.finish_reason().map(|r| r.as_str()),
            })
        })
        .collect();
    let usage = accumulator.usage().map(|usage| {
        json!({
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
        })
    });
    let error = match error {
        Some(error) => json!({
            "message": error.message,
            "code": error.code.as_ref().map(|c| c.to_string()),
        }),
        None => Value::Null,
    };
    json!({
        "outcome": outcome,
        "chunks": accumulator.chunk_count(),
        "id": accumulator.id(),
        "model": accumulator.model(),
        "choices": choices,
        "usage": usage,
        "error": error,
    })
}

/// An `expected.jsonl` line made comparable with [`summarize`]: without
/// `file`, and with the error code as text (the corpus has numeric codes).
pub fn comparable(expected: &Value) -> Value {
    let mut expected = expected.clone();
    if let Some(object) = expected.as_object_mut() {
        object.remove("file");
        if let Some(error) = object.get_mut("error").filter(|e| !e.is_null()) {
            let code = match &error["code"] {
                Value::Null => Value::Null,
                Value::String(code) => Value::String(code.clone()),
                other => Value::String(other.to_string()),
            };
            error["code"] = code;
        }
    }
    expected
}

/// A small deterministic generator (xorshift64) for splits and pacing.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// `bytes` cut at random points into pieces of 1 to `max` bytes.
    pub fn split<'a>(&mut self, bytes: &'a [u8], max: usize) -> Vec<&'a [u8]> {
        let mut pieces = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let size = 1 + (self.next_u64() % max.max(1) as u64) as usize;
            let (piece, tail) = rest.split_at(size.min(rest.len()));
            pieces.push(piece);
            rest = tail;
        }
        pieces
    }
}
