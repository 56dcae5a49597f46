//! Inputs kept by the `sse` fuzz target (`fuzz/`, run with
//! `cargo xtask fuzz sse`), replayed as plain tests: each must decode to the
//! same frames, error, leftover, last event ID and retry whether it is fed
//! whole, one byte at a time or in two pieces split anywhere, under several
//! limits, with the buffers within `max_line_len + max_event_size` throughout.

#![allow(clippy::unwrap_used, clippy::expect_used)] // in tests, a panic is a failure

use std::time::Duration;

use bytes::Bytes;
use chatstream_sse::{DecodeError, Decoder, Event, Frame, Leftover, Limits};

/// Small inputs from the fuzz corpus: BOM fragments, CR / CRLF / LF mixes,
/// invalid UTF-8 in every field, NUL in ids, retries, comments, unknown fields
/// and cut-off endings.
const INPUTS: &[&[u8]] = &[
    b"on\xef\xbbe\r\nid: bad\x00idn\xef\xbbe\r\nid: bad\x00i\ndo\n\n",
    b"id: \xe2\x80\xa6\nretry: 200\ndata: hl\x01\x00\x00\x00\x00\x00\x00\x00\x00lo\n\n",
    b"id: 123ta\xba one\r\nid: bad\x00id\ndata: hello\n\n",
    b"i\x92\xc5\xdf\xcb2\r\rdadata :xta: x\x13\x0bdat\r\ra: o\x00\x06\x00\x00k\n\n",
    b"\xef\xbbretry:\xbfdata:\x00\x00\x00\x7f\xff\xfeJ\xeb 10\n",
    b"event: e\r\nid:\xa0 7\r\ndata: \xc2\xa9\r\n\r\n",
    b"\r\rdata:id\x00\x00\x00\xf9\r\rdata: x\r\r",
    b"event: e\r\nid\xff\xff:6\x00\x00\x00\x00\x00\x00\x00!a: \xc3\xa9\xd8\n\r\n",
    b"data :\x00\x18\x0bdata: \x00dat\xff\xff\xff\xfb\xff\xff\xef\xff\xff\xff\xff\x05\n\no\x00\x00\x00k\x0b\n",
    b"event: a\xfe\ndata: \xfe\n\n",
    b"id: 42\n\ndata:\xe0\x97\x9a\x9alo\n\n",
    b"\nretry: \n005\ndata: first\nc\xffnd\n\n",
    b"id:\xff\x00\x00\xf6\xf5\x9a\x8d\nart\xff\xff\xff\xff\xff\xff\xff\x030 hello\n\n",
    b"\xef\xbb\ndata:2\n\ndata:3\n\n\n",
    b"data: 1\n\nid: 2\ndata:\xce\xef\ndata:3\n\n",
    b"\xef\xbb\xbfdata:1\n\n\xef\xbb\xbfdata:2\n\ndata:3\n\n\n",
    b"\xef\xbb\xbfdata: x\n\n: stock\ndata: GOOG\ndat",
    b"\xef\xbb",
    b"data: x\r",
    b"retry: 99999999999999999999999\n",
    // Found when a straddling `data` line's buffer became the data buffer
    // under unequal limits: the two buffers traded allocations and went
    // past `max_line_len + max_event_size` (now done with equal limits only).
    b"id: 42\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff0\xff\xff\xffent: a\nevent:\xff\xffdata: 0\x00Ddata: 4\x18\x00\x00\x00\x00\x00\x00\x00 dole\ndata: \nevent: doy: b\x01\x00\x00\x00\x00\x00\x00\x99ogus\ndatle\ndata\ndata: 3\xffdole\n: one\n:i\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00data:\xff v\n\xffe\xffent: doy: bogus\ndat\xff\xfd\xff\xff\xffle\ndata: \xe2\x9c\x94\xff\xff\xff\xff\xff\xff\xfe\xff\n\r\n",
];

#[derive(Debug, PartialEq)]
struct Outcome {
    frames: Vec<Frame>,
    error: Option<DecodeError>,
    leftover: Leftover,
    last_event_id: String,
    retry: Option<Duration>,
}

fn decode(decoder: &mut Decoder, input: &Bytes, pieces: &[usize]) -> Outcome {
    let limits = decoder.limits();
    let bound = limits.max_line_len.saturating_add(limits.max_event_size);
    let mut frames = Vec::new();
    let mut error = None;
    let mut start = 0;
    for &len in pieces {
        decoder.feed(input.slice(start..start + len));
        start += len;
        loop {
            let next = decoder.next_frame();
            assert!(decoder.buffered_capacity() <= bound, "memory bound");
            match next {
                Ok(Some(frame)) => {
                    if let Frame::Event(event) = &frame {
                        let bytes = event.data_bytes();
                        assert_eq!(String::from_utf8_lossy(bytes), event.data());
                        assert!(bytes.len() <= limits.max_event_size);
                    }
                    frames.push(frame);
                }
                Ok(None) => break,
                Err(e) => {
                    assert!(error.is_none_or(|first| first == e), "sticky error");
                    error = Some(e);
                    break;
                }
            }
        }
    }
    assert_eq!(start, input.len());
    let last_event_id = decoder.last_event_id().to_owned();
    let retry = decoder.retry();
    let leftover = decoder.finish();
    Outcome {
        frames,
        error,
        leftover,
        last_event_id,
        retry,
    }
}

fn limits() -> [Limits; 7] {
    [
        Limits::default(),
        Limits::default()
            .with_max_line_len(4096)
            .with_max_event_size(8192),
        Limits::default()
            .with_max_line_len(12)
            .with_max_event_size(5),
        Limits::default()
            .with_max_line_len(5)
            .with_max_event_size(40),
        Limits::default()
            .with_max_line_len(1)
            .with_max_event_size(0),
        Limits::default()
            .with_max_line_len(9)
            .with_max_event_size(9),
        Limits::default()
            .with_max_line_len(40)
            .with_max_event_size(40),
    ]
}

#[test]
fn fuzz_inputs_are_split_invariant() {
    for input in INPUTS {
        let bytes = Bytes::from_static(input);
        let n = bytes.len();
        for limits in limits() {
            let mut decoder = Decoder::with_limits(limits);
            let whole = decode(&mut decoder, &bytes, &[n]);
            // The same decoder after `finish()` decodes a new stream alike.
            let again = decode(&mut decoder, &bytes, &[n]);
            assert_eq!(again, whole, "reused decoder, {input:?} {limits:?}");
            let ones = vec![1; n];
            let bytewise = decode(&mut Decoder::with_limits(limits), &bytes, &ones);
            assert_eq!(bytewise, whole, "byte by byte, {input:?} {limits:?}");
            for at in 1..n {
                let two = decode(&mut Decoder::with_limits(limits), &bytes, &[at, n - at]);
                assert_eq!(two, whole, "split at {at}, {input:?} {limits:?}");
            }
        }
    }
}

#[test]
fn fuzz_inputs_decode_as_the_reference_says() {
    // A few of the inputs above, with the frames the fuzz target's reference
    // decoder (the WHATWG algorithm, line by line) gives.
    let decode_whole = |input: &'static [u8], limits: Limits| {
        decode(
            &mut Decoder::with_limits(limits),
            &Bytes::from_static(input),
            &[input.len()],
        )
    };
    let out = decode_whole(INPUTS[5], Limits::default());
    let event = Event::new("©").with_event_type("e").with_id("\u{FFFD} 7");
    assert_eq!(out.frames, [Frame::Event(event)]);
    assert_eq!(out.leftover, Leftover::Nothing);

    // A split BOM followed by a line end is not a BOM: it is a line with an
    // unknown field name.
    let out = decode_whole(INPUTS[13], Limits::default());
    assert_eq!(
        out.frames,
        [Frame::Event(Event::new("2")), Frame::Event(Event::new("3"))]
    );

    // `retry: ` with no digits is ignored; `005` is a field named "005".
    let out = decode_whole(INPUTS[11], Limits::default());
    assert_eq!(out.frames, [Frame::Event(Event::new("first"))]);
    assert_eq!(out.retry, None);

    // Overlong retry saturates.
    let out = decode_whole(INPUTS[19], Limits::default());
    assert_eq!(out.frames, [Frame::Retry(Duration::from_millis(u64::MAX))]);

    // The BOM is stripped once per stream; a cut-off last line is reported.
    let out = decode_whole(INPUTS[16], Limits::default());
    assert_eq!(out.frames.len(), 2);
    assert_eq!(out.leftover, Leftover::UndispatchedEvent);
    let out = decode_whole(INPUTS[17], Limits::default());
    assert_eq!((out.frames.len(), out.leftover), (0, Leftover::PartialLine));

    // Tiny limits: the first data line is already too large.
    let tiny = Limits::default()
        .with_max_line_len(12)
        .with_max_event_size(5);
    let out = decode_whole(INPUTS[2], tiny);
    assert_eq!(out.error, Some(DecodeError::LineTooLong { limit: 12 }));
    assert_eq!(out.leftover, Leftover::PartialLine);
    let out = decode_whole(INPUTS[14], tiny);
    assert_eq!(out.frames, [Frame::Event(Event::new("1").with_id(""))]);
    assert_eq!(out.error, Some(DecodeError::EventTooLarge { limit: 5 }));
    assert_eq!(out.leftover, Leftover::UndispatchedEvent);
}
