//! Property tests with a deterministic PRNG (no external crates):
//!
//! - random event sequences, encoded with `Encoder` and split at random
//!   points, decode to the encoded events, to the same result as the whole
//!   buffer, and to the oracle's result;
//! - random byte soup (line ends, BOM bytes, field names, invalid UTF-8)
//!   split at random points decodes exactly as the oracle says;
//! - the lending `next_event_ref`, mixed at random with the owned
//!   `next_event`, yields the oracle's events at any split.

#![allow(clippy::unwrap_used, clippy::expect_used)] // in tests, a panic is a failure

mod common;

use std::time::Duration;

use bytes::Bytes;
use chatstream_sse::{Decoder, Encoder, Event, Leftover};
use common::{Item, Output, Rng, decode, oracle, split_at};

/// Text fragments, including 2-, 3- and 4-byte characters, a BOM, NEL and
/// U+2028 (not line ends), colons, spaces and field names.
const WORDS: &[&str] = &[
    "a",
    "xyz",
    " ",
    "  ",
    ":",
    ": ",
    "\t",
    "é",
    "中文",
    "😀",
    "\u{FEFF}",
    "\u{85}",
    "\u{2028}",
    "data",
    "id",
    "event",
    "retry",
    "[DONE]",
    "{\"k\":1}",
    "\0",
];
const LINE_BREAKS: &[&str] = &["\n", "\r", "\r\n"];

fn text(rng: &mut Rng, max_words: usize, line_breaks: bool, nul: bool) -> String {
    let mut out = String::new();
    for _ in 0..rng.below(max_words + 1) {
        if line_breaks && rng.one_in(4) {
            out.push_str(rng.pick(LINE_BREAKS));
        }
        let word = rng.pick(WORDS);
        if nul || word != "\0" {
            out.push_str(word);
        }
    }
    out
}

fn single_line(rng: &mut Rng, max_words: usize, nul: bool) -> String {
    text(rng, max_words, false, nul)
}

/// Generates a random sequence, its encoding, and the items decoding must give.
fn generate(rng: &mut Rng) -> (Vec<u8>, Vec<Item>) {
    let mut encoder = Encoder::new();
    let mut out = Vec::new();
    if rng.one_in(4) {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let mut expected = Vec::new();
    let mut id = String::new();
    for _ in 0..rng.below(8) {
        match rng.below(6) {
            0 => {
                let comment = single_line(rng, 4, true);
                encoder.comment(&comment, &mut out).unwrap();
                expected.push(Item::Comment(comment));
            }
            1 => {
                let random = rng.next_u64() >> rng.below(64);
                let millis = rng.pick(&[0, 1, 2500, u64::MAX, random]);
                encoder.retry(Duration::from_millis(millis), &mut out);
                expected.push(Item::Retry(millis));
            }
            _ => {
                let data = text(rng, 8, true, true);
                let ty = if rng.one_in(2) {
                    String::new()
                } else {
                    single_line(rng, 3, true)
                };
                match rng.below(4) {
                    0 => id = single_line(rng, 3, false),
                    1 => id.clear(),
                    _ => {}
                }
                let event = Event::new(data.clone())
                    .with_event_type(ty.clone())
                    .with_id(id.clone());
                encoder.event(&event, &mut out).unwrap();
                // CR and CRLF in data are line breaks: they come back as LF.
                let data = data.replace("\r\n", "\n").replace('\r', "\n");
                let ty = if ty.is_empty() { "message" } else { &ty };
                expected.push(Item::event(ty, &data, &id));
            }
        }
    }
    (out, expected)
}

#[test]
fn encoded_sequences_round_trip_at_any_split() {
    let mut rng = Rng::new(0x5EED_0001);
    for case in 0..4000 {
        let (input, expected) = generate(&mut rng);
        let whole = decode(&[&input]);
        let context = || format!("case {case}, input {:?}", String::from_utf8_lossy(&input));
        assert_eq!(whole.items, expected, "{}", context());
        assert_eq!(whole.leftover, Leftover::Nothing, "{}", context());
        assert_eq!(oracle(&input), whole, "oracle, {}", context());
        for _ in 0..3 {
            let cuts = rng.cuts(input.len());
            let split = decode(&split_at(&input, &cuts));
            assert_eq!(split, whole, "cuts {cuts:?}, {}", context());
        }
    }
}

/// Bytes that matter to the decoder, plus valid and invalid UTF-8.
const SOUP: &[&[u8]] = &[
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b":",
    b" ",
    b"data",
    b"data:",
    b"data: x",
    b"event:",
    b"id:",
    b"id",
    b"retry:",
    b"retry: 12",
    b"12",
    b"\0",
    b"\xEF",
    b"\xBB",
    b"\xBF",
    b"\xEF\xBB\xBF",
    b"\xC3\xA9",
    b"\xF0\x9F\x98\x80",
    b"\xF0\x9F",
    b"\x80",
    b"\xC0\xAF",
    b"\xED\xA0\x80",
    b"\xFF",
    b"z",
];

#[test]
fn byte_soup_matches_the_oracle_at_any_split() {
    let mut rng = Rng::new(0x5EED_0002);
    for case in 0..4000 {
        let mut input = Vec::new();
        for _ in 0..rng.below(40) {
            let part: &[u8] = rng.pick(SOUP);
            input.extend_from_slice(part);
        }
        let expected: Output = oracle(&input);
        let context = || format!("case {case}, input {input:?}");
        assert_eq!(decode(&[&input]), expected, "whole, {}", context());
        for _ in 0..3 {
            let cuts = rng.cuts(input.len());
            let split = decode(&split_at(&input, &cuts));
            assert_eq!(split, expected, "cuts {cuts:?}, {}", context());
        }
    }
}

/// The events (only) of `pieces`, read with `next_event_ref` and
/// `next_event` chosen at random per call, pieces fed with `feed` or
/// `feed_slice` at random, drained after each piece or only every few.
fn lent_events(pieces: &[&[u8]], rng: &mut Rng) -> (Vec<Item>, Leftover) {
    let mut decoder = Decoder::new();
    let mut items = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        if rng.one_in(2) {
            decoder.feed(Bytes::copy_from_slice(piece));
        } else {
            decoder.feed_slice(piece);
        }
        if i + 1 < pieces.len() && rng.one_in(3) {
            continue; // several pieces queued before draining
        }
        loop {
            let item = if rng.one_in(3) {
                decoder
                    .next_event()
                    .unwrap()
                    .map(|e| Item::event(e.event_type(), e.data(), e.id()))
            } else {
                decoder.next_event_ref().unwrap().map(|e| {
                    // The borrowed and the owned views agree.
                    assert_eq!(e, e.to_event());
                    assert_eq!(e.data().as_bytes(), e.data_bytes());
                    Item::event(e.event_type(), e.data(), e.id())
                })
            };
            match item {
                Some(item) => items.push(item),
                None => break,
            }
        }
    }
    (items, decoder.finish())
}

fn events_only(output: Output) -> (Vec<Item>, Leftover) {
    let items = output
        .items
        .into_iter()
        .filter(|item| matches!(item, Item::Event { .. }))
        .collect();
    (items, output.leftover)
}

#[test]
fn lent_events_match_the_oracle_at_any_split() {
    let mut rng = Rng::new(0x5EED_0003);
    for case in 0..3000 {
        let input = if case % 2 == 0 {
            generate(&mut rng).0
        } else {
            let mut soup = Vec::new();
            for _ in 0..rng.below(40) {
                let part: &[u8] = rng.pick(SOUP);
                soup.extend_from_slice(part);
            }
            soup
        };
        let expected = events_only(oracle(&input));
        let context = || format!("case {case}, input {input:?}");
        assert_eq!(
            lent_events(&[&input], &mut rng),
            expected,
            "whole, {}",
            context()
        );
        for _ in 0..3 {
            let cuts = rng.cuts(input.len());
            let split = lent_events(&split_at(&input, &cuts), &mut rng);
            assert_eq!(split, expected, "cuts {cuts:?}, {}", context());
        }
    }
}
