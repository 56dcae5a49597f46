//! Encoder: refusals, exact output, and decode(encode(x)) == x.

#![allow(clippy::unwrap_used, clippy::expect_used)] // in tests, a panic is a failure

use std::time::Duration;

use chatstream_sse::{
    Decoder, EncodeError, Encoder, Event, Frame, Leftover, encode_comment, encode_data,
    encode_event, encode_retry,
};

fn decode_all(bytes: Vec<u8>) -> Vec<Frame> {
    let mut decoder = Decoder::new();
    decoder.feed(bytes);
    let mut frames = Vec::new();
    while let Some(frame) = decoder.next_frame().unwrap() {
        frames.push(frame);
    }
    assert_eq!(decoder.finish(), Leftover::Nothing);
    frames
}

fn round_trip(event: &Event) -> Event {
    let mut out = Vec::new();
    encode_event(event, &mut out).unwrap();
    match decode_all(out).as_slice() {
        [Frame::Event(decoded)] => decoded.clone(),
        other => panic!("{event:?} decoded to {other:?}"),
    }
}

#[test]
fn refuses_what_cannot_be_represented() {
    let cases = [
        (
            Event::new("x").with_event_type("a\nb"),
            EncodeError::LineBreakInEventType,
        ),
        (
            Event::new("x").with_event_type("a\r"),
            EncodeError::LineBreakInEventType,
        ),
        (Event::new("x").with_id("1\n2"), EncodeError::LineBreakInId),
        (Event::new("x").with_id("\r"), EncodeError::LineBreakInId),
        (Event::new("x").with_id("a\0b"), EncodeError::NulInId),
    ];
    for (event, error) in cases {
        let mut out = b"kept".to_vec();
        assert_eq!(encode_event(&event, &mut out), Err(error), "{event:?}");
        assert_eq!(
            Encoder::new().event(&event, &mut out),
            Err(error),
            "{event:?}"
        );
        assert_eq!(out, b"kept", "nothing written for {event:?}");
    }
    for comment in ["a\nb", "\r", "x\r\n"] {
        let mut out = Vec::new();
        assert_eq!(
            encode_comment(comment, &mut out),
            Err(EncodeError::LineBreakInComment)
        );
        assert!(out.is_empty());
    }
}

#[test]
fn exact_output() {
    let mut out = Vec::new();
    let event = Event::new("a\n\nb").with_event_type("t").with_id("9");
    encode_event(&event, &mut out).unwrap();
    encode_event(&Event::new("").with_event_type("message"), &mut out).unwrap();
    encode_comment("", &mut out).unwrap();
    encode_comment(" spaced", &mut out).unwrap();
    encode_retry(Duration::from_micros(1500), &mut out);
    encode_data("[DONE]", &mut out);
    let expected = "event: t\nid: 9\ndata: a\ndata:\ndata: b\n\ndata:\n\n:\n:  spaced\nretry: 1\ndata: [DONE]\n\n";
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

#[test]
fn events_round_trip() {
    let events = [
        Event::new(""),
        Event::new("\n"),
        Event::new("\n\n"),
        Event::new(" leading space"),
        Event::new("  two spaces\n trailing \t"),
        Event::new("data: not a field\nid: neither\n: nor a comment"),
        Event::new("é 中文 😀 \u{2028} \u{85} \u{FEFF} \0"),
        Event::new("{\"choices\":[]}").with_event_type("chunk"),
        Event::new("x").with_event_type(" spaced type "),
        Event::new("x").with_event_type("a:b"),
        Event::new("x").with_id(" 1"),
        Event::new("x").with_id("é"),
        Event::from_static("[DONE]"),
    ];
    for event in &events {
        assert_eq!(&round_trip(event), event);
    }
}

#[test]
fn cr_in_data_becomes_lf() {
    for (data, decoded) in [
        ("a\rb", "a\nb"),
        ("a\r\nb", "a\nb"),
        ("a\n\rb", "a\n\nb"),
        ("\r", "\n"),
        ("a\r\n", "a\n"),
    ] {
        assert_eq!(round_trip(&Event::new(data)).data(), decoded, "{data:?}");
    }
}

#[test]
fn stateful_encoder_tracks_ids() {
    let events = [
        Event::new("1").with_id("a"),
        Event::new("2").with_id("a"),
        Event::new("3"),
        Event::new("4"),
        Event::new("5").with_id("b"),
    ];
    let mut encoder = Encoder::new();
    let mut out = Vec::new();
    for event in &events {
        encoder.event(event, &mut out).unwrap();
    }
    assert_eq!(encoder.last_event_id(), "b");
    encoder.data("[DONE]", &mut out);
    encoder.comment("bye", &mut out).unwrap();
    encoder.retry(Duration::from_secs(1), &mut out);
    let text = String::from_utf8(out.clone()).unwrap();
    assert_eq!(text.matches("id:").count(), 3, "{text}");

    let mut expected: Vec<Frame> = events.iter().cloned().map(Frame::Event).collect();
    expected.push(Frame::Event(Event::new("[DONE]").with_id("b")));
    let frames = decode_all(out);
    assert_eq!(&frames[..6], &expected[..]);
    assert!(matches!(&frames[6], Frame::Comment(c) if c.text() == "bye"));
    assert_eq!(frames[7], Frame::Retry(Duration::from_secs(1)));
}

#[test]
fn stateless_encoding_cannot_reset_an_id() {
    // Documented: an empty id writes no `id` line, so the receiver keeps "a".
    let mut out = Vec::new();
    encode_event(&Event::new("1").with_id("a"), &mut out).unwrap();
    encode_event(&Event::new("2"), &mut out).unwrap();
    let frames = decode_all(out);
    assert_eq!(frames[1], Frame::Event(Event::new("2").with_id("a")));
}
