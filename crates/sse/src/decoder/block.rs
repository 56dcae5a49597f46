//! [`Block`]: interpreting the lines of an event stream (WHATWG
//! "interpret an event stream", steps 4–21), one complete line at a time.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

use crate::buf::{push_bounded, push_lossy};
use crate::error::DecodeError;
use crate::event::Event;
use crate::event_ref::EventRef;
use crate::limits::Limits;
use crate::text::{Utf8Bytes, is_utf8};

/// Per-stream state of "interpreting an event stream" (spec step 4).
#[derive(Clone, Default)]
pub(super) struct Block {
    /// The event type buffer.
    pub(super) event_type: Utf8Bytes,
    /// The data buffer, see [`Data`].
    pub(super) data: Data,
    /// Where multi-line, straddling or repaired data is assembled.
    pub(super) data_buf: BytesMut,
    /// The last event ID buffer.
    pub(super) id_buffer: Utf8Bytes,
    /// `id_buffer` may differ from `last_event_id`.
    pub(super) id_dirty: bool,
    /// The last event ID string.
    pub(super) last_event_id: Utf8Bytes,
    /// The reconnection time, once a valid `retry` field was seen.
    pub(super) retry: Option<Duration>,
    /// The text of the comment line just read, until it is reported.
    pub(super) comment: Utf8Bytes,
    /// The event type of the event last handed out by reference.
    pub(super) lent_type: Utf8Bytes,
    /// The data of the event last handed out by reference, when it was a
    /// slice (an event that straddled pieces).
    pub(super) lent_data: Utf8Bytes,
}

/// The data buffer, without its trailing LF (step 17 removes it anyway).
#[derive(Clone, Default)]
pub(super) enum Data {
    /// No `data` line yet: a blank line dispatches nothing (step 16).
    #[default]
    Empty,
    /// Exactly one `data` line, valid UTF-8, lying in the front input piece
    /// at `start..end`, not sliced yet: the borrowing
    /// [`Decoder::next_event_ref`](crate::Decoder::next_event_ref) hands it
    /// out with no reference-count traffic at all. Invariant: it always
    /// refers to `Decoder::input.front()`; the decoder
    /// [settles](Block::settle) it into [`Data::One`] before that piece is
    /// dropped or another piece's line is interpreted.
    InFront {
        /// Offset of the value in the front piece.
        start: usize,
        /// End of the value in the front piece.
        end: usize,
    },
    /// Exactly one `data` line, valid UTF-8: a zero-copy slice of the input.
    One(Utf8Bytes),
    /// In `Block::data_buf`: values joined by LF, repaired UTF-8, or a
    /// single `data` line that straddled pieces.
    Many,
}

/// What a line produced, for [`Decoder::next_frame`](crate::Decoder::next_frame)
/// to report.
///
/// Only a flag: the frame is built from the [`Block`] at the very end,
/// directly as the return value, rather than moved through every layer of
/// the decoding loop (an `Event` is 96 bytes, a `Result` of this two words).
#[derive(Clone, Copy)]
pub(super) enum Found {
    /// A blank line dispatched an event: see [`Block::take_event`].
    Event,
    /// A comment line: its text is in `Block::comment`.
    Comment,
    /// A valid `retry` field: its value is in `Block::retry`.
    Retry,
}

impl Block {
    /// Interprets one complete line, `src[start..end]` (terminator excluded).
    ///
    /// Handles the two lines of almost every event here, inlined into the
    /// decoding loop: a blank line, and a block's first `data` line when it
    /// is valid UTF-8 (kept as a range of `src` when `src` is the front
    /// input piece, `FRONT`, else as a slice of it). Other lines go to
    /// [`field`](Block::field).
    ///
    /// Call [`settle`](Block::settle) first when `src` is not the front piece.
    #[inline(always)]
    pub(super) fn line<const FRONT: bool>(
        &mut self,
        src: &Bytes,
        start: usize,
        end: usize,
        limits: &Limits,
    ) -> Result<Option<Found>, DecodeError> {
        let line = &src[start..end];
        if line.len() > limits.max_line_len {
            return Err(DecodeError::LineTooLong {
                limit: limits.max_line_len,
            });
        }
        if line.is_empty() {
            return Ok(self.blank_line().then_some(Found::Event));
        }
        if let Some(value) = line.strip_prefix(b"data:") {
            let value = &value[usize::from(value.first() == Some(&b' '))..];
            let limit = limits.max_event_size;
            if matches!(self.data, Data::Empty) && value.len() <= limit && is_utf8(value) {
                let start = end - value.len();
                self.data = if FRONT {
                    Data::InFront { start, end }
                } else {
                    Data::One(Utf8Bytes::from_validated(src.slice(start..end)))
                };
                return Ok(None);
            }
        }
        self.field(src, start, end, limits)
    }

    /// Interprets a line that is not blank (spec steps 6–14).
    fn field(
        &mut self,
        src: &Bytes,
        start: usize,
        end: usize,
        limits: &Limits,
    ) -> Result<Option<Found>, DecodeError> {
        let line = &src[start..end];
        let (name, value_start) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let space = line.get(colon + 1) == Some(&b' ');
                (&line[..colon], start + colon + 1 + usize::from(space))
            }
            None => (line, end),
        };
        match name {
            b"data" => self.data_line(src, value_start, end, limits.max_event_size)?,
            b"event" => self.event_type = Utf8Bytes::slice_lossy(src, value_start, end),
            b"id" => {
                let value = &src[value_start..end];
                if !value.contains(&0) && value != self.id_buffer.as_bytes() {
                    self.id_buffer = Utf8Bytes::copy_lossy(value);
                    self.id_dirty = true;
                }
            }
            b"retry" => {
                if let Some(millis) = parse_retry(&src[value_start..end]) {
                    self.retry = Some(Duration::from_millis(millis));
                    return Ok(Some(Found::Retry));
                }
            }
            b"" => {
                self.comment = Utf8Bytes::slice_lossy(src, value_start, end);
                return Ok(Some(Found::Comment));
            }
            _ => {}
        }
        Ok(None)
    }

    /// Appends a `data` value (spec step 12).
    fn data_line(
        &mut self,
        src: &Bytes,
        start: usize,
        end: usize,
        limit: usize,
    ) -> Result<(), DecodeError> {
        let value = &src[start..end];
        let too_large = DecodeError::EventTooLarge { limit };
        match std::mem::replace(&mut self.data, Data::Many) {
            Data::Empty if is_utf8(value) && value.len() <= limit => {
                self.data = Data::One(Utf8Bytes::from_validated(src.slice(start..end)));
            }
            Data::Empty => {
                self.data_buf.clear();
                push_lossy(&mut self.data_buf, value, limit).ok_or(too_large)?;
            }
            Data::InFront {
                start: first,
                end: first_end,
            } => {
                // `src` is the front piece: see `line` and `settle`.
                self.data_buf.clear();
                let first = src.get(first..first_end).unwrap_or_default();
                (push_bounded(&mut self.data_buf, first, limit)
                    && push_bounded(&mut self.data_buf, b"\n", limit))
                .then_some(())
                .ok_or(too_large)?;
                push_lossy(&mut self.data_buf, value, limit).ok_or(too_large)?;
            }
            Data::One(first) => {
                self.data_buf.clear();
                (push_bounded(&mut self.data_buf, first.as_bytes(), limit)
                    && push_bounded(&mut self.data_buf, b"\n", limit))
                .then_some(())
                .ok_or(too_large)?;
                push_lossy(&mut self.data_buf, value, limit).ok_or(too_large)?;
            }
            Data::Many => {
                push_bounded(&mut self.data_buf, b"\n", limit)
                    .then_some(())
                    .ok_or(too_large)?;
                push_lossy(&mut self.data_buf, value, limit).ok_or(too_large)?;
            }
        }
        Ok(())
    }

    /// A blank line (spec steps 15–16): `true` when an event is to be
    /// dispatched, to be built by [`take_event`](Block::take_event).
    pub(super) fn blank_line(&mut self) -> bool {
        if self.id_dirty {
            self.last_event_id = self.id_buffer.clone();
            self.id_dirty = false;
        }
        if matches!(self.data, Data::Empty) {
            self.event_type = Utf8Bytes::new();
            return false;
        }
        true
    }

    /// The event that [`blank_line`](Block::blank_line) dispatched (spec
    /// steps 17–21); resets the block for the next one. Inlined so that the
    /// event is built in place, in the caller's return value.
    #[inline(always)]
    pub(super) fn take_event(&mut self, front: Option<&Bytes>) -> Event {
        let data = match std::mem::take(&mut self.data) {
            Data::Empty => Utf8Bytes::new(), // not reached: see `blank_line`
            Data::InFront { start, end } => Utf8Bytes::from_validated(slice(front, start, end)),
            Data::One(data) => data,
            Data::Many => Utf8Bytes::from_validated(self.data_buf.split().freeze()),
        };
        let event_type = std::mem::take(&mut self.event_type);
        // Most streams send no `id`: skip the clone of an empty `Bytes`
        // (an indirect call).
        let id = if self.last_event_id.is_empty() {
            Utf8Bytes::new()
        } else {
            self.last_event_id.clone()
        };
        Event::from_parts(event_type, data, id)
    }
}

impl Block {
    /// Releases what the last [`take_event_ref`](Block::take_event_ref) lent,
    /// so the buffers it came from can be reused rather than reallocated.
    #[inline]
    pub(super) fn release_lent(&mut self) {
        if !matches!(self.data, Data::Many) {
            // Nothing of the current block is in it.
            self.data_buf.clear();
        }
        if !self.lent_data.is_empty() {
            self.lent_data = Utf8Bytes::new();
        }
        if !self.lent_type.is_empty() {
            self.lent_type = Utf8Bytes::new();
        }
    }

    /// Turns [`Data::InFront`] into a slice of `front`, the front input piece
    /// it refers to: before that piece is dropped, or a line from elsewhere
    /// is interpreted.
    #[inline]
    pub(super) fn settle(&mut self, front: Option<&Bytes>) {
        if let Data::InFront { start, end } = self.data {
            self.data = Data::One(Utf8Bytes::from_validated(slice(front, start, end)));
        }
    }

    /// Like [`take_event`](Block::take_event), but lends the event: its data
    /// stays where it is (the front piece `front`, `lent_data`, or
    /// `data_buf`) and the event type moves to `lent_type`, until
    /// [`release_lent`](Block::release_lent).
    #[inline(always)]
    pub(super) fn take_event_ref<'a>(&'a mut self, front: Option<&'a Bytes>) -> EventRef<'a> {
        // `lent_type` is empty here (`next_event_ref` released it). Most
        // streams send no `event` and no `id`: moving or viewing an empty
        // `Bytes` would still cost a call through its vtable, or a UTF-8
        // check of nothing.
        if !self.event_type.is_empty() {
            self.lent_type = std::mem::take(&mut self.event_type);
        }
        let data: &[u8] = match std::mem::take(&mut self.data) {
            Data::Empty => &[], // not reached: see `blank_line`
            Data::InFront { start, end } => {
                let data = front.and_then(|piece| piece.get(start..end));
                debug_assert!(data.is_some(), "Data::InFront out of its piece");
                data.unwrap_or_default()
            }
            Data::One(data) => {
                self.lent_data = data;
                self.lent_data.as_bytes()
            }
            Data::Many => &self.data_buf,
        };
        let event_type = if self.lent_type.is_empty() {
            ""
        } else {
            self.lent_type.as_str()
        };
        let id = if self.last_event_id.is_empty() {
            ""
        } else {
            self.last_event_id.as_str()
        };
        EventRef::from_parts(event_type, data, id)
    }
}

/// `front[start..end]` as a zero-copy slice. The range always fits (see
/// [`Data::InFront`]); were that invariant ever broken, this gives empty
/// data rather than a panic.
fn slice(front: Option<&Bytes>, start: usize, end: usize) -> Bytes {
    debug_assert!(
        front.is_some_and(|piece| start <= end && end <= piece.len()),
        "Data::InFront out of its piece"
    );
    front
        .filter(|piece| start <= end && end <= piece.len())
        .map(|piece| piece.slice(start..end))
        .unwrap_or_default()
}

/// A `retry` value: non-empty ASCII digits, base 10, saturating at
/// `u64::MAX` (spec step 14).
pub(super) fn parse_retry(value: &[u8]) -> Option<u64> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(value.iter().fold(0u64, |acc, digit| {
        acc.saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    }))
}
