//! The check every reuse test makes: a parser that has seen other payloads
//! gives exactly what a fresh one gives, and what `serde_json` gives.

#![allow(dead_code)] // each test target uses its part

use chatstream_types::{ChatCompletionChunk, ChunkParser, ParseError, PayloadKind, StreamPayload};

/// The outcome of a parse, comparable: the payload, or the error's message.
fn outcome(result: Result<StreamPayload, ParseError>) -> Result<StreamPayload, String> {
    result.map_err(|error| error.to_string())
}

/// Parses `payload` with `parser` and checks it against a fresh parser and
/// against `serde_json::from_slice`.
pub fn check(parser: &mut ChunkParser, payload: &[u8]) -> bool {
    let shown = String::from_utf8_lossy(payload);
    let reused = outcome(parser.parse_payload(payload));
    let fresh_result = ChunkParser::new().parse_payload(payload);
    let over_a_limit = fresh_result.as_ref().is_err_and(ParseError::is_limit);
    let fresh = outcome(fresh_result);
    assert_eq!(reused, fresh, "reuse changed the result of {shown:?}");
    assert_eq!(
        into_a_used_chunk(payload),
        fresh,
        "parse_payload_into on {shown:?}"
    );
    if over_a_limit {
        // serde_json (no limits) may accept it: nothing to compare.
        return false;
    }
    let direct = serde_json::from_slice::<ChatCompletionChunk>(payload);
    match (&fresh, &direct) {
        (Ok(StreamPayload::Chunk(chunk)), Ok(expected)) => {
            assert_eq!(chunk, expected, "parser vs from_slice on {shown:?}");
        }
        // By design the parser repairs lone surrogate escapes (a pair split
        // across chunks) with U+FFFD, where from_slice refuses them.
        (Ok(StreamPayload::Chunk(chunk)), Err(error))
            if error.to_string().contains("surrogate")
                || error.to_string().contains("hex escape") =>
        {
            assert!(
                format!("{chunk:?}").contains('\u{fffd}'),
                "a repaired payload shows U+FFFD: {shown:?}"
            );
        }
        (Ok(StreamPayload::Chunk(_)), Err(error)) => {
            panic!("the parser accepts what from_slice rejects ({error}): {shown:?}")
        }
        // By design parse_payload reads a top-level `error` as an error
        // object or message, and fails on any other value, which from_slice
        // keeps in `extra` (what reuse must not change is checked above).
        (Err(_), Ok(expected))
            if expected
                .extra
                .get("error")
                .is_some_and(|error| !error.is_object() && !error.is_string()) => {}
        (Err(error), Ok(_)) => {
            panic!("the parser rejects what from_slice accepts ({error}): {shown:?}")
        }
        _ => {}
    }
    fresh.is_ok()
}

/// The outcome of `parse_payload_into` over a chunk that held another:
/// the chunk when it says so, else the chunk must be back at its default.
fn into_a_used_chunk(payload: &[u8]) -> Result<StreamPayload, String> {
    let mut place = ChunkParser::new()
        .parse_chunk(br#"{"id":"old","choices":[{"index":3,"delta":{"content":"x"}}],"x_old":1}"#)
        .expect("the used chunk parses");
    let kind = ChunkParser::new().parse_payload_into(payload, &mut place);
    if !matches!(kind, Ok(PayloadKind::Chunk)) {
        assert_eq!(place, ChatCompletionChunk::default(), "left at its default");
    }
    match kind {
        Ok(PayloadKind::Chunk) => Ok(StreamPayload::Chunk(place)),
        Ok(PayloadKind::Error(error)) => Ok(StreamPayload::Error(error)),
        Ok(PayloadKind::Done) => Ok(StreamPayload::Done),
        Err(error) => Err(error.to_string()),
    }
}

/// Each event's `data` in an SSE file (lines joined with `\n`).
pub fn payloads(text: &str) -> Vec<String> {
    let text = text.replace("\r\n", "\n");
    text.split("\n\n")
        .filter_map(|event| {
            let lines: Vec<&str> = event
                .lines()
                .filter_map(|line| line.strip_prefix("data:"))
                .map(|data| data.strip_prefix(' ').unwrap_or(data))
                .collect();
            (!lines.is_empty()).then(|| lines.join("\n"))
        })
        .collect()
}

/// Feeds `payloads` in order to one parser, checking each (see [`check`]).
pub fn check_all<S: AsRef<[u8]>>(payloads: &[S]) {
    let mut parser = ChunkParser::new();
    for payload in payloads {
        check(&mut parser, payload.as_ref());
    }
}
