//! Group `sse`: decoding the Server-Sent Events framing.
//!
//! The corpus is handed over as pieces of one shared [`Bytes`] buffer (1 KiB,
//! 16 KiB, or the whole buffer at once; a fast local socket hands over large
//! reads, so large pieces are realistic), cut before timing. Each method
//! decodes all events and counts them and their data bytes, and all must
//! agree on the count:
//!
//! - `limit` — a `memchr::memmem` count of `\n\n` across the pieces: the
//!   scan-speed ceiling any decoder could reach;
//! - `ours` — `chatstream_sse::Decoder`, fed each piece and drained with
//!   `next_event_ref` (events lent, as a parser that uses the data at once
//!   reads them; this is how the `chatstream` client reads them);
//! - `ours-owned` — the same decoder drained with `next_event` (an owned,
//!   `'static` `Event` per event: a zero-copy `Bytes` slice, whose reference
//!   count costs two atomic operations);
//! - `sse-stream` — sse-stream 0.3's `SseByteStream` over a
//!   `futures::stream::iter` of the pieces, driven by `block_on`;
//! - `eventsource-stream` — eventsource-stream 0.2 (async-openai's SSE
//!   layer), same stream. It copies the rest of its buffer for every line,
//!   so its cost is quadratic in the piece size; with the whole buffer it
//!   only gets the first events of the corpus (`--eventsource-cap`), and its
//!   events/s are those of that shorter input.
//!
//! Targets: `ours` at least 1.5 times `sse-stream`, at least 20 times
//! `eventsource-stream` at 16 KiB, the whole buffer within 15% of 16 KiB
//! (linear), and no allocation for events inside a piece.

use std::convert::Infallible;
use std::pin::pin;

use bytes::Bytes;
use chatstream_sse::{DecodeError, Decoder};
use eventsource_stream::Eventsource;
use futures::StreamExt;
use futures::executor::block_on;
use memchr::memmem;

use crate::measure::Outcome;

/// The method names of this group, in the order they are reported.
pub const METHODS: [&str; 5] = [
    "limit",
    "ours",
    "ours-owned",
    "sse-stream",
    "eventsource-stream",
];

/// Runs method `name` once over `pieces`.
pub fn run(name: &str, pieces: &[Bytes]) -> Outcome {
    match name {
        "limit" => limit(pieces),
        "ours" => ours(pieces),
        "ours-owned" => ours_owned(pieces),
        "sse-stream" => sse_stream(pieces),
        _ => eventsource_stream(pieces),
    }
}

/// `buffer` cut into pieces of `size` bytes (the last may be shorter):
/// slices of the one buffer, no copy.
pub fn pieces(buffer: &Bytes, size: usize) -> Vec<Bytes> {
    let size = size.max(1);
    (0..buffer.len())
        .step_by(size)
        .map(|start| buffer.slice(start..(start + size).min(buffer.len())))
        .collect()
}

/// Counts `\n\n` over the pieces, including one split across two pieces.
fn limit(pieces: &[Bytes]) -> Outcome {
    let finder = memmem::Finder::new(b"\n\n");
    let mut out = Outcome::default();
    // The previous piece ended with a `\n` that no match consumed.
    let mut pending = false;
    for piece in pieces {
        if piece.is_empty() {
            continue;
        }
        let mut start = 0;
        if pending && piece[0] == b'\n' {
            out.items += 1;
            start = 1;
        }
        let mut end = start;
        for at in finder.find_iter(&piece[start..]) {
            out.items += 1;
            end = start + at + 2;
        }
        pending = piece.len() > end && piece[piece.len() - 1] == b'\n';
    }
    out.checksum = out.items;
    out
}

/// Our decoder, events lent.
fn ours(pieces: &[Bytes]) -> Outcome {
    decode(pieces, |decoder| {
        decoder
            .next_event_ref()
            .map(|event| event.map(|e| e.data_bytes().len()))
    })
}

/// Our decoder, an owned `Event` per event.
fn ours_owned(pieces: &[Bytes]) -> Outcome {
    decode(pieces, |decoder| {
        decoder
            .next_event()
            .map(|event| event.map(|e| e.data_bytes().len()))
    })
}

/// Feeds each piece to our decoder and drains it with `next` (which returns
/// the data length of the next event); counts events and data bytes. With
/// [`ours`] and [`ours_owned`], the only code that touches `chatstream-sse`,
/// so an API change is adapted here alone.
fn decode(
    pieces: &[Bytes],
    mut next: impl FnMut(&mut Decoder) -> Result<Option<usize>, DecodeError>,
) -> Outcome {
    let mut decoder = Decoder::new();
    let mut out = Outcome::default();
    for piece in pieces {
        decoder.feed(piece.clone());
        loop {
            match next(&mut decoder) {
                Ok(Some(len)) => {
                    out.items += 1;
                    out.checksum += len as u64;
                }
                Ok(None) => break,
                Err(e) => {
                    out.fail(|| format!("decode error: {e}"));
                    return out;
                }
            }
        }
    }
    if !decoder.finish().is_nothing() {
        out.fail(|| "the body ended inside an event".to_owned());
    }
    out
}

/// sse-stream 0.3: `SseByteStream::new` (its documentation prefers it to
/// `SseStream::from_bytes_stream` for byte streams).
fn sse_stream(pieces: &[Bytes]) -> Outcome {
    let body = futures::stream::iter(pieces.iter().cloned().map(Ok::<Bytes, Infallible>));
    let mut events = pin!(sse_stream::SseByteStream::new(body));
    let mut out = Outcome::default();
    block_on(async {
        while let Some(item) = events.next().await {
            match item {
                Ok(sse) => {
                    if let Some(data) = sse.data {
                        out.items += 1;
                        out.checksum += data.len() as u64;
                    }
                }
                Err(e) => out.fail(|| format!("sse-stream error: {e}")),
            }
        }
    });
    out
}

/// eventsource-stream 0.2 through its `Eventsource` extension trait.
fn eventsource_stream(pieces: &[Bytes]) -> Outcome {
    let body = futures::stream::iter(pieces.iter().cloned().map(Ok::<Bytes, Infallible>));
    let mut events = pin!(body.eventsource());
    let mut out = Outcome::default();
    block_on(async {
        while let Some(item) = events.next().await {
            match item {
                Ok(event) => {
                    out.items += 1;
                    out.checksum += event.data.len() as u64;
                }
                Err(e) => out.fail(|| format!("eventsource-stream error: {e}")),
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_counts_separators_split_across_pieces() {
        let buffer = Bytes::from_static(b"data: a\n\ndata: b\n\ndata: c\n\n");
        for size in 1..=buffer.len() {
            assert_eq!(limit(&pieces(&buffer, size)).items, 3, "size {size}");
        }
    }
}
