//! Bounded memory (limits) and zero-copy behaviour.

#![allow(clippy::unwrap_used, clippy::expect_used)] // in tests, a panic is a failure

use bytes::Bytes;
use chatstream_sse::{DecodeError, Decoder, Leftover, Limits};

const PIECE: usize = 64 * 1024;
const HUNDRED_MIB: usize = 100 * 1024 * 1024;

/// Feeds up to 100 MiB of `filler` (after `prefix`) in pieces of ~64 KiB,
/// reusing one buffer, and returns the error and how many bytes were fed
/// when it came. Asserts after every piece that the decoder's buffers stay
/// within `bound` (both length and capacity).
fn flood(
    decoder: &mut Decoder,
    prefix: &[u8],
    filler: &[u8],
    bound: usize,
) -> (DecodeError, usize) {
    let piece = Bytes::from(filler.repeat(PIECE / filler.len()));
    decoder.feed_slice(prefix);
    let mut fed = prefix.len();
    while fed < HUNDRED_MIB {
        decoder.feed(piece.clone());
        fed += piece.len();
        loop {
            match decoder.next_frame() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(error) => return (error, fed),
            }
        }
        assert!(
            decoder.buffered_len() <= bound,
            "{} > {bound}",
            decoder.buffered_len()
        );
        assert!(
            decoder.buffered_capacity() <= bound,
            "capacity {} > {bound}",
            decoder.buffered_capacity()
        );
    }
    panic!("no error after 100 MiB");
}

#[test]
fn endless_line_hits_the_default_line_limit() {
    let mut decoder = Decoder::new();
    let cap = Limits::DEFAULT_MAX_LINE_LEN;
    let (error, fed) = flood(&mut decoder, b"data: ", b"x", cap);
    assert_eq!(error, DecodeError::LineTooLong { limit: cap });
    // The error came as soon as the cap was passed, not at the end.
    assert!(fed > cap && fed <= cap + PIECE, "fed {fed}");
    assert_eq!(decoder.buffered_len(), 0, "buffers are freed on error");
    assert_eq!(decoder.finish(), Leftover::PartialLine);
}

#[test]
fn endless_line_with_a_lower_limit() {
    let limit = 1024 * 1024 + 17;
    let mut decoder = Decoder::with_limits(Limits::default().with_max_line_len(limit));
    let (error, fed) = flood(&mut decoder, b"", b"\xFF", limit);
    assert_eq!(error, DecodeError::LineTooLong { limit });
    assert!(fed > limit && fed <= limit + PIECE, "fed {fed}");
}

#[test]
fn endless_event_hits_the_event_limit() {
    // Short data lines, no blank line: the event grows, no line is long.
    let limit = 3 * 1024 * 1024;
    let limits = Limits::default()
        .with_max_line_len(1024)
        .with_max_event_size(limit);
    let mut decoder = Decoder::with_limits(limits);
    let line = b"data: 0123456789abcdefghijklmnopqrstuvwxyz+-*/\r\n";
    let (error, fed) = flood(&mut decoder, b"", line, limit + 1024);
    assert_eq!(error, DecodeError::EventTooLarge { limit });
    // Each 48-byte line adds 41 bytes of data (40 + the joining LF).
    let lines_to_limit = limit / 41 + 1;
    assert!(
        fed > lines_to_limit * 48 && fed <= lines_to_limit * 48 + PIECE,
        "fed {fed}"
    );
    assert_eq!(decoder.finish(), Leftover::UndispatchedEvent);
}

#[test]
fn endless_comment_hits_the_line_limit() {
    let limit = 100_000;
    let mut decoder = Decoder::with_limits(Limits::default().with_max_line_len(limit));
    let (error, _) = flood(&mut decoder, b":", b"-", limit);
    assert_eq!(error, DecodeError::LineTooLong { limit });
}

#[test]
fn many_small_events_need_no_buffer() {
    let mut decoder = Decoder::new();
    let piece = Bytes::from("data: {\"delta\":\"tok\"}\n\n".repeat(2000));
    for _ in 0..10 {
        decoder.feed(piece.clone());
        let mut n = 0;
        while let Some(event) = decoder.next_event().unwrap() {
            assert_eq!(event.data(), "{\"delta\":\"tok\"}");
            n += 1;
        }
        assert_eq!(n, 2000);
        assert_eq!(decoder.buffered_capacity(), 0, "nothing was copied");
    }
}

fn points_into(inner: &[u8], outer: &[u8]) -> bool {
    let outer = outer.as_ptr_range();
    let inner = inner.as_ptr_range();
    outer.start <= inner.start && inner.end <= outer.end
}

#[test]
fn single_line_event_inside_a_piece_is_a_slice_of_it() {
    let piece =
        Bytes::from("event: delta\ndata: {\"a\":1}\n\n: ping\ndata: second\n\ndata: ab".to_owned());
    let mut decoder = Decoder::new();
    decoder.feed(piece.clone());
    let first = decoder.next_event().unwrap().unwrap();
    let second = decoder.next_event().unwrap().unwrap();
    assert_eq!((first.event_type(), first.data()), ("delta", "{\"a\":1}"));
    assert_eq!(second.data(), "second");
    for event in [&first, &second] {
        assert!(
            points_into(event.data_bytes(), &piece),
            "{event:?} was copied"
        );
    }
    assert_eq!(first.data_bytes().as_ptr(), piece[19..].as_ptr());
    // An event that straddles pieces is assembled: not in either piece.
    let rest = Bytes::from_static(b"c\n\n");
    decoder.feed(rest.clone());
    let third = decoder.next_event().unwrap().unwrap();
    assert_eq!(third.data(), "abc");
    assert!(!points_into(third.data_bytes(), &piece) && !points_into(third.data_bytes(), &rest));
    // Cloning shares the bytes.
    assert_eq!(
        first.clone().data_bytes().as_ptr(),
        first.data_bytes().as_ptr()
    );
}

#[test]
fn multi_line_and_repaired_data_are_assembled() {
    let piece = Bytes::from_static(b"data: a\ndata: b\n\ndata: \xFF\n\n");
    let mut decoder = Decoder::new();
    decoder.feed(piece.clone());
    let joined = decoder.next_event().unwrap().unwrap();
    let repaired = decoder.next_event().unwrap().unwrap();
    assert_eq!((joined.data(), repaired.data()), ("a\nb", "\u{FFFD}"));
    assert!(!points_into(joined.data_bytes(), &piece));
    assert!(!points_into(repaired.data_bytes(), &piece));
}
