//! Shared test helpers: a naive reference decoder (the oracle), a tiny
//! deterministic PRNG, and a driver that feeds the real decoder.

#![allow(dead_code)] // each test binary uses a different subset

use bytes::Bytes;
use chatstream_sse::{DecodeError, Decoder, Frame, Leftover};

/// A decoded item in a comparable form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Event {
        ty: String,
        data: String,
        id: String,
    },
    Comment(String),
    Retry(u64),
    Error(DecodeError),
}

impl Item {
    pub fn event(ty: &str, data: &str, id: &str) -> Self {
        Self::Event {
            ty: ty.to_owned(),
            data: data.to_owned(),
            id: id.to_owned(),
        }
    }
}

pub fn item(frame: Frame) -> Item {
    match frame {
        Frame::Event(e) => Item::event(e.event_type(), e.data(), e.id()),
        Frame::Comment(c) => Item::Comment(c.text().to_owned()),
        Frame::Retry(r) => Item::Retry(u64::try_from(r.as_millis()).unwrap()),
        other => panic!("unknown frame {other:?}"),
    }
}

/// What a decoder produced for one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub items: Vec<Item>,
    pub leftover: Leftover,
}

/// Drains the decoder into `items`; stops at the first error.
pub fn drain(decoder: &mut Decoder, items: &mut Vec<Item>) {
    loop {
        match decoder.next_frame() {
            Ok(Some(frame)) => items.push(item(frame)),
            Ok(None) => return,
            Err(e) => {
                // Sticky: the same error again, and nothing else.
                assert_eq!(decoder.next_frame(), Err(e), "error is not sticky");
                if items.last() != Some(&Item::Error(e)) {
                    items.push(Item::Error(e));
                }
                return;
            }
        }
    }
}

/// Feeds `pieces` in order, draining after each (`drain_each`) or only at
/// the end. Alternates the zero-copy `feed` and the copying `feed_slice`.
pub fn decode_pieces(decoder: &mut Decoder, pieces: &[&[u8]], drain_each: bool) -> Output {
    let mut items = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        if i % 2 == 0 {
            decoder.feed(Bytes::copy_from_slice(piece));
        } else {
            decoder.feed_slice(piece);
        }
        if drain_each {
            drain(decoder, &mut items);
        }
    }
    drain(decoder, &mut items);
    Output {
        items,
        leftover: decoder.finish(),
    }
}

pub fn decode(pieces: &[&[u8]]) -> Output {
    decode_pieces(&mut Decoder::new(), pieces, true)
}

/// Splits `input` at the given sorted offsets.
pub fn split_at<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for &cut in cuts {
        pieces.push(&input[start..cut]);
        start = cut;
    }
    pieces.push(&input[start..]);
    pieces
}

/// The WHATWG algorithm, written as naively as possible: decode the whole
/// stream to text first (strip one BOM, U+FFFD for invalid UTF-8), split it
/// into lines, then interpret each line. No limits.
pub fn oracle(input: &[u8]) -> Output {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let text = String::from_utf8_lossy(input);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut line));
            }
            '\n' => lines.push(std::mem::take(&mut line)),
            c => line.push(c),
        }
    }
    let unterminated = !line.is_empty();

    let mut items = Vec::new();
    let (mut data, mut ty, mut id_buffer) = (String::new(), String::new(), String::new());
    for line in lines {
        if line.is_empty() {
            // Step 15: the last event ID string takes the buffer's value.
            let last_id = &id_buffer;
            if data.is_empty() {
                ty.clear();
                continue;
            }
            if data.ends_with('\n') {
                data.pop();
            }
            let event_type = if ty.is_empty() { "message" } else { &ty };
            items.push(Item::event(event_type, &data, last_id));
            data.clear();
            ty.clear();
            continue;
        }
        let (field, value) = match line.find(':') {
            Some(i) => {
                let value = &line[i + 1..];
                (&line[..i], value.strip_prefix(' ').unwrap_or(value))
            }
            None => (&line[..], ""),
        };
        match field {
            "" => items.push(Item::Comment(value.to_owned())),
            "event" => ty = value.to_owned(),
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "id" if !value.contains('\0') => id_buffer = value.to_owned(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                items.push(Item::Retry(value.parse().unwrap_or(u64::MAX)));
            }
            _ => {}
        }
    }
    let leftover = if !data.is_empty() {
        Leftover::UndispatchedEvent
    } else if unterminated {
        Leftover::PartialLine
    } else {
        Leftover::Nothing
    };
    Output { items, leftover }
}

/// SplitMix64: small, fast, deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// `true` with probability 1/n.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// Random cut points splitting `len` bytes into pieces: sometimes all
    /// 1-byte pieces, otherwise random sizes up to `max_piece`.
    pub fn cuts(&mut self, len: usize) -> Vec<usize> {
        if self.one_in(8) {
            return (1..len).collect();
        }
        let max_piece = self.pick(&[2, 3, 8, 32, 200]);
        let mut cuts = Vec::new();
        let mut at = 0;
        loop {
            at += 1 + self.below(max_piece);
            if at >= len {
                return cuts;
            }
            cuts.push(at);
        }
    }
}
