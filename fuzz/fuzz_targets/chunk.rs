//! `chunk`: arbitrary bytes through `ChunkParser` and `serde_json`.
//!
//! The input is split at `0xFF` bytes (which valid JSON never contains) into
//! payloads, so that one `ChunkParser` sees several payloads in a row and its
//! string cache is exercised; a seed with one payload is one payload.
//!
//! Checked, for each payload:
//!
//! - nothing panics;
//! - the stream's parser (with its cache of the previous chunk's strings)
//!   gives the same result as a fresh parser;
//! - `ChunkParser::parse_chunk` and `serde_json::from_slice::<ChatCompletionChunk>`
//!   agree (both fail, or both give equal chunks);
//! - when `parse_payload` gives a chunk, `from_slice` gives the same chunk
//!   (except for lone surrogate escapes, which only `parse_payload` repairs);
//! - round trip: a parsed chunk serializes, and parsing that JSON again gives
//!   an equal chunk;
//! - the chunks also go through an `Accumulator` with small limits: pushing,
//!   `snapshot()` and `finish()` do not panic, and only limit errors occur.

#![no_main]

use chatstream_types::{
    AccumulateError, Accumulator, AccumulatorLimits, ChatCompletionChunk, ChunkParser,
    StreamPayload,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let mut parser = ChunkParser::new();
    let mut accumulator = Accumulator::with_limits(
        AccumulatorLimits::default()
            .max_choices(8)
            .max_tool_calls(8)
            .max_text_bytes(64 * 1024),
    );
    for payload in input.split(|&b| b == 0xFF) {
        let cached = parser.parse_payload(payload);
        let fresh = ChunkParser::new().parse_payload(payload);
        match (&cached, &fresh) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "the parser's cache changed the result"),
            (Err(_), Err(_)) => {}
            _ => panic!("cached {cached:?} vs fresh {fresh:?}"),
        }

        let direct = serde_json::from_slice::<ChatCompletionChunk>(payload);
        let typed = parser.parse_chunk(payload);
        match (&direct, &typed) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "parse_chunk differs from from_slice"),
            (Err(_), Err(_)) => {}
            _ => panic!("from_slice {direct:?} vs parse_chunk {typed:?}"),
        }

        if let Ok(StreamPayload::Chunk(chunk)) = &cached {
            match &direct {
                Ok(same) => assert_eq!(chunk, same, "parse_payload differs from from_slice"),
                // By design parse_payload repairs lone surrogate escapes
                // (U+FFFD), which from_slice refuses.
                Err(e)
                    if e.to_string().contains("surrogate")
                        || e.to_string().contains("hex escape") => {}
                Err(e) => panic!("parse_payload gave a chunk, from_slice failed: {e}"),
            }
        }

        if let Ok(chunk) = &direct {
            round_trip(chunk);
            match accumulator.push(chunk) {
                Ok(())
                | Err(AccumulateError::TooManyChoices { .. })
                | Err(AccumulateError::TooManyToolCalls { .. })
                | Err(AccumulateError::TooMuchText { .. }) => {}
                Err(other) => panic!("unexpected accumulator error {other:?}"),
            }
        }
    }
    let snapshot = accumulator.snapshot();
    let finished = accumulator.finish();
    assert_eq!(snapshot, finished, "snapshot() differs from finish()");
});

fn round_trip(chunk: &ChatCompletionChunk) {
    let json = match serde_json::to_vec(chunk) {
        Ok(json) => json,
        Err(e) => panic!("cannot serialize {chunk:?}: {e}"),
    };
    match serde_json::from_slice::<ChatCompletionChunk>(&json) {
        Ok(again) => assert_eq!(
            &again,
            chunk,
            "round trip changed the chunk; JSON: {}",
            String::from_utf8_lossy(&json)
        ),
        Err(e) => panic!(
            "re-serialized chunk does not parse: {e}; JSON: {}",
            String::from_utf8_lossy(&json)
        ),
    }
}
