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
//!   `snapshot()` and `finish()` do not panic, only limit errors occur, and
//!   what it holds never passes its `max_bytes`;
//! - the memory bound: parsing a payload of `N` bytes never holds more than
//!   `4·N + 1 MiB` of heap at any moment (a counting allocator tracks the
//!   peak of each parse), and a parser with limits two or three elements
//!   wide rejects only with a typed limit error, never a panic.

#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use chatstream_types::{
    AccumulateError, Accumulator, AccumulatorLimits, ChatCompletionChunk, ChunkParser, ParseError,
    ParseLimits, StreamPayload,
};
use libfuzzer_sys::fuzz_target;

/// Bytes allocated now, and the most since the last reset.
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// [`System`], with the live bytes and their peak counted.
struct Counting;

#[global_allocator]
static GLOBAL: Counting = Counting;

// SAFETY: every method forwards its arguments unchanged to the same method of
// `System`, a correct `GlobalAlloc`, and returns its result unchanged, so the
// trait's contract (layout honoured, pointers valid until freed, no
// unwinding) is exactly System's. The additions are relaxed atomic updates of
// two counters, which neither allocate nor panic. A reallocation is counted
// as the new block arriving before the old one leaves (both exist for an
// instant), an upper bound of what it holds.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        // SAFETY: the caller upholds `alloc`'s contract; forwarded as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        // SAFETY: the caller upholds `alloc_zeroed`'s contract; forwarded as is.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` through this allocator with this
        // `layout` (the caller's contract); forwarded as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grow(new_size);
        // SAFETY: the caller upholds `realloc`'s contract; forwarded as is.
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        moved
    }
}

fn grow(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

/// Runs `parse` and returns its result with the most heap it held at once
/// beyond what was live before.
fn peak_of<T>(parse: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let result = parse();
    (result, PEAK.load(Ordering::Relaxed).saturating_sub(before))
}

fuzz_target!(|input: &[u8]| {
    let mut parser = ChunkParser::new();
    let accumulator_limit = 256 * 1024;
    let mut accumulator = Accumulator::with_limits(
        AccumulatorLimits::default()
            .max_choices(8)
            .max_tool_calls(8)
            .max_bytes(accumulator_limit),
    );
    let mut narrow = ChunkParser::with_limits(
        ParseLimits::default()
            .max_choices(2)
            .max_tool_calls(2)
            .max_content_parts(2)
            .max_filter_results(2)
            .max_logprobs(3)
            .max_top_logprobs(2)
            .max_annotations(2)
            .max_extra_keys(3),
    );
    for payload in input.split(|&b| b == 0xFF) {
        let (cached, peak) = peak_of(|| parser.parse_payload(payload));
        let bound = 4 * payload.len() + (1 << 20);
        assert!(
            peak <= bound,
            "parsing {} bytes held {peak} bytes at once (bound {bound})",
            payload.len()
        );
        // Only a typed error, never a panic; a narrow limit is a limit error.
        let _ = narrow.parse_payload(payload);
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
            // serde_json's `Deserialize` has no limits; the parser's may bite.
            (Ok(_), Err(ParseError::Limit { .. })) => {}
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
                | Err(AccumulateError::TooLarge { .. }) => {}
                Err(other) => panic!("unexpected accumulator error {other:?}"),
            }
            assert!(
                accumulator.held_bytes() <= accumulator_limit,
                "the accumulator holds {} bytes past its {accumulator_limit}",
                accumulator.held_bytes()
            );
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
