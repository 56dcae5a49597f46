//! `sse`: arbitrary bytes through `chatstream_sse::Decoder`.
//!
//! The input is the event-stream body itself (so the `.sse` fixtures are
//! useful seeds as they are). Limits and split points are derived from the
//! input: a pseudo-random generator seeded with a hash of the bytes chooses
//! the piece sizes, and every input is decoded with two sets of limits — the
//! realistic-but-small 4 KiB line / 8 KiB event, and tiny ones (also chosen
//! from the hash) that short inputs can exceed.
//!
//! Checked, for each set of limits:
//!
//! - nothing panics;
//! - split invariance: the frames (events, comments, retries), the error, the
//!   final `Leftover`, `last_event_id()` and `retry()` are the same whether
//!   the body is fed whole, in pseudo-random pieces, one byte at a time
//!   (inputs up to 4 KiB) or as two pieces at every split point (inputs up
//!   to 64 bytes);
//! - the whole-buffer result equals a naive reference decoder written from
//!   the WHATWG algorithm (below), limits included;
//! - reuse: after `finish()`, the same decoder decodes the same body to the
//!   same result;
//! - memory cap: `buffered_len()` and `buffered_capacity()` stay within
//!   `max_line_len + max_event_size` after every piece and every frame;
//! - errors are sticky until `finish()`;
//! - every event's data is valid UTF-8 (`data()` equals
//!   `String::from_utf8_lossy(data_bytes())`) and within `max_event_size`;
//!   comments likewise are valid UTF-8.

#![no_main]

use std::time::Duration;

use bytes::Bytes;
use chatstream_sse::{Comment, DecodeError, Decoder, Event, Frame, Leftover, Limits};
use libfuzzer_sys::fuzz_target;

/// What one decode produced.
#[derive(Debug, PartialEq)]
struct Outcome {
    frames: Vec<Frame>,
    error: Option<DecodeError>,
    leftover: Leftover,
    last_event_id: String,
    retry: Option<Duration>,
}

fuzz_target!(|input: &[u8]| {
    let body = Bytes::copy_from_slice(input);
    let hash = fnv1a(input);
    let small = Limits::default()
        .with_max_line_len(4 * 1024)
        .with_max_event_size(8 * 1024);
    // Tiny limits: line 1..=64 bytes, event 0..=128 bytes.
    let tiny = Limits::default()
        .with_max_line_len(1 + (hash % 64) as usize)
        .with_max_event_size(((hash >> 8) % 129) as usize);
    // Equal tiny limits (as the defaults are equal): the decoder then moves
    // a straddling `data` line's buffer into the data buffer.
    let equal = Limits::default()
        .with_max_line_len(1 + (hash % 96) as usize)
        .with_max_event_size(1 + (hash % 96) as usize);
    for (round, limits) in [small, tiny, equal].into_iter().enumerate() {
        check(&body, limits, hash.rotate_left(17 * round as u32));
    }
});

fn check(body: &Bytes, limits: Limits, seed: u64) {
    let n = body.len();

    let mut decoder = Decoder::with_limits(limits);
    let whole = decode(&mut decoder, body, &[n], limits);
    let expected = reference(body, limits);
    assert_eq!(
        whole, expected,
        "whole-buffer decode differs from the reference"
    );

    // The same decoder after `finish()`: a new stream, the same result.
    let again = decode(&mut decoder, body, &[n], limits);
    assert_eq!(again, whole, "decoder reused after finish() differs");

    let mut rng = SplitMix(seed);
    let pieces = random_pieces(&mut rng, n);
    let split = decode(&mut Decoder::with_limits(limits), body, &pieces, limits);
    assert_eq!(split, whole, "split {pieces:?} differs from whole");

    // The lending `next_event_ref`, mixed with `next_event`: the same events.
    let lent = decode_lent(body, &pieces, limits, &mut rng);
    let events: Vec<_> = whole
        .frames
        .iter()
        .filter_map(|frame| match frame {
            Frame::Event(e) => Some([e.event_type(), e.data(), e.id()].map(str::to_owned)),
            _ => None,
        })
        .collect();
    assert_eq!(
        lent,
        (events, whole.error, whole.leftover),
        "lent events at split {pieces:?} differ from whole"
    );

    if n <= 4096 {
        let ones = vec![1; n];
        let bytewise = decode(&mut Decoder::with_limits(limits), body, &ones, limits);
        assert_eq!(bytewise, whole, "byte-by-byte feeding differs from whole");
    }
    if n <= 64 {
        for at in 1..n {
            let two = decode(
                &mut Decoder::with_limits(limits),
                body,
                &[at, n - at],
                limits,
            );
            assert_eq!(two, whole, "split at {at} differs from whole");
        }
    }
}

/// Feeds `body` in pieces of the given lengths (which add up to its length;
/// zero-length pieces are fed too), draining frames after each one.
fn decode(decoder: &mut Decoder, body: &Bytes, lengths: &[usize], limits: Limits) -> Outcome {
    let bound = memory_bound(limits);
    let mut frames = Vec::new();
    let mut error = None;
    for piece in cut(body, lengths) {
        decoder.feed(piece);
        loop {
            let next = decoder.next_frame();
            check_memory(decoder, bound);
            match next {
                Ok(Some(frame)) => {
                    check_frame(&frame, limits);
                    assert!(error.is_none(), "a frame after an error");
                    frames.push(frame);
                }
                Ok(None) => {
                    assert!(error.is_none(), "Ok(None) after an error: not sticky");
                    break;
                }
                Err(e) => {
                    if let Some(first) = error {
                        assert_eq!(e, first, "the sticky error changed");
                    }
                    error = Some(e);
                    break;
                }
            }
        }
    }
    if let Some(e) = error {
        assert_eq!(decoder.next_frame(), Err(e), "error not sticky");
        decoder.feed_slice(b"data: x\n\n");
        assert_eq!(decoder.next_frame(), Err(e), "error not sticky after feed");
    }
    let last_event_id = decoder.last_event_id().to_owned();
    let retry = decoder.retry();
    let leftover = decoder.finish();
    assert_eq!(decoder.buffered_len(), 0, "finish() left bytes buffered");
    Outcome {
        frames,
        error,
        leftover,
        last_event_id,
        retry,
    }
}

/// Events only, read with `next_event_ref` or `next_event` (chosen at
/// random per call) over the given piece lengths; then the error and the
/// leftover.
fn decode_lent(
    body: &Bytes,
    lengths: &[usize],
    limits: Limits,
    rng: &mut SplitMix,
) -> (Vec<[String; 3]>, Option<DecodeError>, Leftover) {
    let bound = memory_bound(limits);
    let mut decoder = Decoder::with_limits(limits);
    let mut events = Vec::new();
    let mut error = None;
    for piece in cut(body, lengths) {
        decoder.feed(piece);
        while error.is_none() {
            let event = if rng.below(3) == 0 {
                decoder
                    .next_event()
                    .map(|e| e.map(|e| [e.event_type(), e.data(), e.id()].map(str::to_owned)))
            } else {
                decoder.next_event_ref().map(|e| {
                    e.map(|e| {
                        assert!(e.data_bytes().len() <= limits.max_event_size);
                        assert_eq!(e.data().as_bytes(), e.data_bytes(), "lent data not UTF-8");
                        [e.event_type(), e.data(), e.id()].map(str::to_owned)
                    })
                })
            };
            check_memory(&decoder, bound);
            match event {
                Ok(Some(event)) => events.push(event),
                Ok(None) => break,
                Err(e) => error = Some(e),
            }
        }
    }
    (events, error, decoder.finish())
}

/// `body` cut into pieces of the given lengths (which add up to its length;
/// zero-length pieces are kept).
fn cut(body: &Bytes, lengths: &[usize]) -> Vec<Bytes> {
    let mut start = 0;
    let pieces = lengths
        .iter()
        .map(|&len| {
            let end = (start + len).min(body.len());
            let piece = body.slice(start..end);
            start = end;
            piece
        })
        .collect();
    assert_eq!(start, body.len(), "pieces do not cover the body");
    pieces
}

/// What the decoder may hold at most under `limits`.
fn memory_bound(limits: Limits) -> usize {
    limits.max_line_len.saturating_add(limits.max_event_size)
}

fn check_memory(decoder: &Decoder, bound: usize) {
    assert!(
        decoder.buffered_len() <= bound,
        "buffered_len {} > {bound}",
        decoder.buffered_len()
    );
    assert!(
        decoder.buffered_capacity() <= bound,
        "buffered_capacity {} > {bound}",
        decoder.buffered_capacity()
    );
}

fn check_frame(frame: &Frame, limits: Limits) {
    match frame {
        Frame::Event(event) => {
            let bytes = event.data_bytes();
            assert_eq!(std::str::from_utf8(bytes).ok(), Some(event.data()));
            assert_eq!(String::from_utf8_lossy(bytes), event.data());
            assert!(
                bytes.len() <= limits.max_event_size,
                "event data of {} bytes > max_event_size {}",
                bytes.len(),
                limits.max_event_size
            );
            assert!(!event.event_type().is_empty());
        }
        Frame::Comment(comment) => {
            let bytes = comment.text_bytes();
            assert_eq!(std::str::from_utf8(bytes).ok(), Some(comment.text()));
        }
        Frame::Retry(_) => {}
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// The reference: the WHATWG "parse / interpret an event stream" algorithm on
// the whole buffer, line by line, with the crate's documented limits.

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn reference(input: &[u8], limits: Limits) -> Outcome {
    let mut out = Outcome {
        frames: Vec::new(),
        error: None,
        leftover: Leftover::Nothing,
        last_event_id: String::new(),
        retry: None,
    };
    let rest = if let Some(stripped) = input.strip_prefix(BOM) {
        stripped
    } else if !input.is_empty() && BOM.starts_with(input) {
        out.leftover = Leftover::PartialLine;
        return out;
    } else {
        input
    };

    let mut data: Option<String> = None;
    let mut event_type = String::new();
    let mut id_buffer = String::new();
    let mut pos = 0;
    loop {
        let Some(i) = rest[pos..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map(|i| pos + i)
        else {
            let partial = &rest[pos..];
            if partial.len() > limits.max_line_len {
                out.error = Some(DecodeError::LineTooLong {
                    limit: limits.max_line_len,
                });
            }
            out.leftover = if data.is_some() {
                Leftover::UndispatchedEvent
            } else if !partial.is_empty() {
                Leftover::PartialLine
            } else {
                Leftover::Nothing
            };
            break;
        };
        let line = &rest[pos..i];
        pos = i + 1;
        if rest[i] == b'\r' && rest.get(pos) == Some(&b'\n') {
            pos += 1;
        }
        if line.len() > limits.max_line_len {
            out.error = Some(DecodeError::LineTooLong {
                limit: limits.max_line_len,
            });
            out.leftover = if data.is_some() {
                Leftover::UndispatchedEvent
            } else {
                Leftover::PartialLine
            };
            break;
        }
        if line.is_empty() {
            out.last_event_id.clone_from(&id_buffer);
            if let Some(data) = data.take() {
                let event = Event::new(data)
                    .with_event_type(std::mem::take(&mut event_type))
                    .with_id(out.last_event_id.clone());
                out.frames.push(Frame::Event(event));
            }
            event_type.clear();
            continue;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        let text = String::from_utf8_lossy(value);
        match name {
            b"data" => {
                let size = match &data {
                    None => text.len(),
                    Some(d) => d.len() + 1 + text.len(),
                };
                if size > limits.max_event_size {
                    out.error = Some(DecodeError::EventTooLarge {
                        limit: limits.max_event_size,
                    });
                    out.leftover = Leftover::UndispatchedEvent;
                    break;
                }
                match &mut data {
                    None => data = Some(text.into_owned()),
                    Some(d) => {
                        d.push('\n');
                        d.push_str(&text);
                    }
                }
            }
            b"event" => event_type = text.into_owned(),
            b"id" => {
                if !value.contains(&0) {
                    id_buffer = text.into_owned();
                }
            }
            b"retry" => {
                if !value.is_empty() && value.iter().all(u8::is_ascii_digit) {
                    let millis = value.iter().fold(0u64, |acc, d| {
                        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                    });
                    let retry = Duration::from_millis(millis);
                    out.retry = Some(retry);
                    out.frames.push(Frame::Retry(retry));
                }
            }
            b"" => out
                .frames
                .push(Frame::Comment(Comment::new(text.into_owned()))),
            _ => {}
        }
    }
    out
}

// ---------------------------------------------------------------------------

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> usize {
        (self.next() % n) as usize
    }
}

/// Piece lengths adding up to `n`: mostly tiny (so splits land inside CRLFs,
/// UTF-8 characters and the BOM), sometimes empty, sometimes large.
fn random_pieces(rng: &mut SplitMix, n: usize) -> Vec<usize> {
    let mut pieces = Vec::new();
    let mut left = n;
    while left > 0 {
        let len = match rng.below(8) {
            0 => 0,
            1..=4 => 1 + rng.below(4),
            5 | 6 => 1 + rng.below(64),
            _ => 1 + rng.below(8192),
        };
        let len = len.min(left);
        pieces.push(len);
        left -= len;
    }
    pieces
}
