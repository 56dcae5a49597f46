//! The encoder: events, plain data, comments and retries → bytes.
//!
//! Free functions encode one item each; [`Encoder`] adds the one piece of
//! state a sequence needs (the id the receiver already holds).
//!
//! # What round-trips
//!
//! For every event the encoder accepts, decoding the output gives the event
//! back: `decode(encode(x)) == x`, with one documented exception: **CR and
//! CRLF in data become LF**. The event-stream format cannot carry a CR in
//! data (CR, LF and CRLF all end a line, and the decoder joins data lines
//! with LF), so each line break in the data is written as a line break and
//! read back as `"\n"`. Events produced by [`Decoder`](crate::Decoder) never
//! contain a CR, so they round-trip exactly. What cannot be represented at
//! all (a line break in the event type, id or a comment; a NUL in the id) is
//! refused with an [`EncodeError`] before anything is written.

use std::time::Duration;

use crate::error::EncodeError;
use crate::event::Event;

/// Encodes one event: its `event` line (omitted for `"message"`), its `id`
/// line (only when the id is non-empty), one `data` line per line of data,
/// and the blank line that dispatches it.
///
/// Ids persist on the receiving side, so a stream of independently encoded
/// events where a later event has an *empty* id does not decode to that empty
/// id; use [`Encoder`], which writes an `id` line whenever the id changes.
///
/// # Errors
///
/// [`EncodeError`] when the event type or id contains CR or LF, or the id
/// contains NUL. Nothing is written then.
///
/// ```
/// use chatstream_sse::{encode_event, Event};
///
/// let mut out = Vec::new();
/// encode_event(&Event::new("line 1\nline 2").with_event_type("note").with_id("7"), &mut out)?;
/// assert_eq!(out, b"event: note\nid: 7\ndata: line 1\ndata: line 2\n\n");
/// # Ok::<(), chatstream_sse::EncodeError>(())
/// ```
pub fn encode_event(event: &Event, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    check_event(event)?;
    let id = Some(event.id()).filter(|id| !id.is_empty());
    write_event(event, id, out);
    Ok(())
}

/// Encodes an event of type `"message"` with the given data, without an id
/// line: the `[DONE]`-style sentinel, or any plain `data:` payload. Line
/// breaks (LF, CR, CRLF) in `data` become separate `data` lines.
///
/// ```
/// let mut out = Vec::new();
/// chatstream_sse::encode_data("[DONE]", &mut out);
/// assert_eq!(out, b"data: [DONE]\n\n");
/// ```
pub fn encode_data(data: &str, out: &mut Vec<u8>) {
    out.reserve(data.len() + 8);
    write_data(data.as_bytes(), out);
    out.push(b'\n');
}

/// Encodes a comment line, `: text` (a keep-alive, ignored by clients). It
/// does not end an event block, so it may be sent between or inside events.
///
/// # Errors
///
/// [`EncodeError::LineBreakInComment`] when `text` contains CR or LF.
///
/// ```
/// let mut out = Vec::new();
/// chatstream_sse::encode_comment("keep-alive", &mut out)?;
/// assert_eq!(out, b": keep-alive\n");
/// # Ok::<(), chatstream_sse::EncodeError>(())
/// ```
pub fn encode_comment(text: &str, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if has_line_break(text) {
        return Err(EncodeError::LineBreakInComment);
    }
    write_field(b"", text.as_bytes(), out);
    Ok(())
}

/// Encodes a `retry` line that sets the client's reconnection time, in whole
/// milliseconds (sub-millisecond parts are dropped). A decoder reports it at
/// once; it does not end an event block.
///
/// ```
/// use std::time::Duration;
///
/// let mut out = Vec::new();
/// chatstream_sse::encode_retry(Duration::from_secs(3), &mut out);
/// assert_eq!(out, b"retry: 3000\n");
/// ```
pub fn encode_retry(retry: Duration, out: &mut Vec<u8>) {
    let mut digits = [0u8; 40];
    let mut n = retry.as_millis();
    let mut i = digits.len();
    loop {
        i -= 1;
        // `n % 10` is below 10, so the cast cannot truncate.
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    write_field(b"retry", &digits[i..], out);
}

/// A stateful encoder for a whole stream: like [`encode_event`], but it
/// remembers the last id it sent and writes an `id` line whenever an event's
/// id differs from it (an empty `id:` line when it becomes empty), so the
/// decoded ids match the encoded events exactly.
///
/// ```
/// use chatstream_sse::{Decoder, Encoder, Event};
///
/// let events = [Event::new("a").with_id("1"), Event::new("b").with_id("1"), Event::new("c")];
/// let mut encoder = Encoder::new();
/// let mut out = Vec::new();
/// for event in &events {
///     encoder.event(event, &mut out)?;
/// }
/// assert_eq!(out, b"id: 1\ndata: a\n\ndata: b\n\nid:\ndata: c\n\n");
///
/// let mut decoder = Decoder::new();
/// decoder.feed(out);
/// for event in &events {
///     assert_eq!(decoder.next_event()?.as_ref(), Some(event));
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Encoder {
    /// The last event ID the receiver holds, as far as this encoder knows.
    last_id: String,
}

impl Encoder {
    /// An encoder for a new stream (the receiver holds no id yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// Encodes an event, with an `id` line only when its id changed.
    ///
    /// # Errors
    ///
    /// As [`encode_event`]; nothing is written then.
    pub fn event(&mut self, event: &Event, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        check_event(event)?;
        let id = Some(event.id()).filter(|id| *id != self.last_id);
        write_event(event, id, out);
        if let Some(id) = id {
            self.last_id.clear();
            self.last_id.push_str(id);
        }
        Ok(())
    }

    /// Encodes plain data as a `"message"` event (see [`encode_data`]); it
    /// carries the current id, as every event does.
    pub fn data(&mut self, data: &str, out: &mut Vec<u8>) {
        encode_data(data, out);
    }

    /// Encodes a comment (see [`encode_comment`]).
    ///
    /// # Errors
    ///
    /// As [`encode_comment`].
    pub fn comment(&mut self, text: &str, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        encode_comment(text, out)
    }

    /// Encodes a reconnection time (see [`encode_retry`]).
    pub fn retry(&mut self, retry: Duration, out: &mut Vec<u8>) {
        encode_retry(retry, out);
    }

    /// The id the receiver holds after what was encoded so far.
    pub fn last_event_id(&self) -> &str {
        &self.last_id
    }
}

fn has_line_break(text: &str) -> bool {
    memchr::memchr2(b'\n', b'\r', text.as_bytes()).is_some()
}

/// Checks everything that cannot be represented, before writing.
fn check_event(event: &Event) -> Result<(), EncodeError> {
    if has_line_break(event.event_type()) {
        return Err(EncodeError::LineBreakInEventType);
    }
    let id = event.id();
    if has_line_break(id) {
        return Err(EncodeError::LineBreakInId);
    }
    if id.as_bytes().contains(&0) {
        return Err(EncodeError::NulInId);
    }
    Ok(())
}

/// Writes a checked event; `id` is `Some` when an `id` line is wanted.
fn write_event(event: &Event, id: Option<&str>, out: &mut Vec<u8>) {
    let event_type = event.event_type();
    let data = event.data();
    out.reserve(event_type.len() + id.map_or(0, str::len) + data.len() + 24);
    if event_type != "message" {
        write_field(b"event", event_type.as_bytes(), out);
    }
    if let Some(id) = id {
        write_field(b"id", id.as_bytes(), out);
    }
    write_data(data.as_bytes(), out);
    out.push(b'\n');
}

/// One `data` line per line of `data`; CR, LF and CRLF all break lines.
fn write_data(data: &[u8], out: &mut Vec<u8>) {
    let mut start = 0;
    while let Some(i) = memchr::memchr2(b'\n', b'\r', &data[start..]) {
        let end = start + i;
        write_field(b"data", &data[start..end], out);
        start = end + 1;
        if data[end] == b'\r' && data.get(start) == Some(&b'\n') {
            start += 1;
        }
    }
    write_field(b"data", &data[start..], out);
}

/// `name: value\n`, or `name:\n` for an empty value. The space after the
/// colon is always written when there is a value, so a value that starts
/// with a space keeps it (the decoder removes exactly one).
fn write_field(name: &[u8], value: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(name);
    out.push(b':');
    if !value.is_empty() {
        out.push(b' ');
        out.extend_from_slice(value);
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_digits() {
        for (millis, text) in [
            (0, "0"),
            (7, "7"),
            (10, "10"),
            (u64::MAX, "18446744073709551615"),
        ] {
            let mut out = Vec::new();
            encode_retry(Duration::from_millis(millis), &mut out);
            assert_eq!(out, format!("retry: {text}\n").as_bytes());
        }
        let mut out = Vec::new();
        encode_retry(Duration::MAX, &mut out);
        let expected = format!("retry: {}\n", Duration::MAX.as_millis());
        assert_eq!(out, expected.as_bytes());
    }

    #[test]
    fn data_line_breaks() {
        let mut out = Vec::new();
        encode_data("a\r\nb\rc\n\nd\r\r\n", &mut out);
        assert_eq!(
            out,
            b"data: a\ndata: b\ndata: c\ndata:\ndata: d\ndata:\ndata:\n\n"
        );
        out.clear();
        encode_data("", &mut out);
        assert_eq!(out, b"data:\n\n");
        out.clear();
        encode_data(" x", &mut out);
        assert_eq!(out, b"data:  x\n\n");
    }
}
