//! [`Decoder`]: the sans-I/O incremental event-stream decoder, and
//! [`Leftover`], what remained when the input ended.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};

use crate::buf::{clear_or_free, push_bounded};
use crate::error::DecodeError;
use crate::event::Event;
use crate::event_ref::EventRef;
use crate::frame::{Comment, Frame};
use crate::limits::Limits;
use crate::text::{Utf8Bytes, is_utf8};

mod block;

use block::{Block, Data, Found};

/// The UTF-8 byte order mark, stripped once at the start of a stream.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// An incremental, sans-I/O decoder for `text/event-stream` bodies,
/// implementing the WHATWG "parse an event stream" and "interpret an event
/// stream" algorithms exactly.
///
/// # Use
///
/// 1. [`feed`](Decoder::feed) a piece of the body (of any size, split
///    anywhere: inside a line, a CRLF, a UTF-8 character or the BOM);
/// 2. call [`next_frame`](Decoder::next_frame) (or
///    [`next_event`](Decoder::next_event)) until it returns `Ok(None)`,
///    which means "feed more";
/// 3. repeat; when the body ends, call [`finish`](Decoder::finish) to learn
///    whether it ended cleanly or in the middle of an event.
///
/// `feed` only queues the piece (by reference, without copying); decoding
/// happens in `next_frame`, one line at a time, so work and output are
/// driven by the caller. Feeding several pieces before draining is fine.
///
/// ```
/// use chatstream_sse::{Decoder, Leftover};
///
/// let mut decoder = Decoder::new();
/// let mut data = Vec::new();
/// for piece in ["data: hel", "lo\r", "\n\r\ndata: wor", "ld\n\ndata: cut"] {
///     decoder.feed_slice(piece.as_bytes());
///     while let Some(event) = decoder.next_event()? {
///         data.push(event.data().to_owned());
///     }
/// }
/// assert_eq!(data, ["hello", "world"]);
/// assert_eq!(decoder.finish(), Leftover::PartialLine); // "data: cut" was never ended
/// # Ok::<(), chatstream_sse::DecodeError>(())
/// ```
///
/// # What is decoded, exactly
///
/// - Lines end at LF, CR or CRLF; a CR at the end of one piece and an LF at
///   the start of the next are one line end.
/// - One UTF-8 BOM is stripped at the very start of the stream (even when
///   split across pieces, or after empty pieces); a later BOM is data.
/// - Invalid UTF-8 is replaced by U+FFFD per maximal subpart (as
///   [`String::from_utf8_lossy`]); it is never an error.
/// - `data`, `event`, `id`, `retry` are matched case-sensitively; other
///   fields are ignored; a line without a colon is a field with an empty
///   value; exactly one space after the colon is removed.
/// - A blank line dispatches an event only if the block had a `data` line;
///   one trailing LF of the joined data is removed.
/// - `id` values containing NUL are ignored; the id persists across events
///   ([`last_event_id`](Decoder::last_event_id)).
/// - `retry` is accepted only when it is all ASCII digits, and reported as a
///   [`Frame::Retry`] when it is read (see there for overflow).
/// - At the end of input nothing is dispatched: an unterminated line or a
///   block without its blank line is reported by [`finish`](Decoder::finish).
///
/// # Zero-copy and linear time
///
/// Each byte is scanned once (with `memchr`), and lines are never copied
/// out of the pieces except when a line straddles two pieces. When a
/// single-`data`-line event lies inside one fed [`Bytes`] piece, its data is a
/// slice of that piece: no copy, no allocation. Only multi-line data, data
/// that straddles pieces, or data that needs U+FFFD replacement is assembled,
/// in one internal buffer that is reused once the previous event is dropped.
///
/// # Limits and errors
///
/// Lines and event data are capped by [`Limits`] (16 MiB each by default),
/// checked before anything is buffered, so memory stays bounded whatever the
/// input. Exceeding a cap returns a [`DecodeError`]. Errors are **sticky**:
/// the stream is considered corrupt, later calls to `next_frame` return the
/// same error, and fed pieces are dropped. [`finish`](Decoder::finish) clears
/// the error and makes the decoder ready for a new stream.
#[derive(Clone)]
pub struct Decoder {
    /// Pieces fed but not yet decoded; `pos` is the offset into the front one.
    input: VecDeque<Bytes>,
    pos: usize,
    /// The start of a line whose end has not arrived yet (bytes already
    /// scanned: never rescanned).
    line: BytesMut,
    /// The last line ended with a CR at the end of a piece: an LF starting
    /// the next piece belongs to that line end.
    skip_lf: bool,
    /// BOM bytes matched so far at stream start; `BOM.len()` once decided.
    bom: usize,
    block: Block,
    limits: Limits,
    /// Set by the first error; sticky until `finish`.
    failed: Option<(DecodeError, Leftover)>,
    /// Finds line ends.
    ends: LineEnds,
}

/// `memchr::memchr2(b'\n', b'\r', _)`, with the CPU check done once.
///
/// `memchr2` picks its AVX2 routine through a function pointer on every call;
/// for lines of a few hundred bytes that costs about a quarter of the search.
/// On x86-64 with AVX2 this keeps memchr's AVX2 searcher and calls it
/// directly (same result, same code underneath).
#[derive(Clone, Copy)]
struct LineEnds {
    #[cfg(target_arch = "x86_64")]
    avx2: Option<memchr::arch::x86_64::avx2::memchr::Two>,
}

impl LineEnds {
    fn new() -> Self {
        Self {
            #[cfg(target_arch = "x86_64")]
            avx2: memchr::arch::x86_64::avx2::memchr::Two::new(b'\n', b'\r'),
        }
    }

    /// The index of the first LF or CR in `haystack`.
    #[inline]
    fn find(&self, haystack: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(avx2) = &self.avx2 {
            return avx2.find(haystack);
        }
        memchr::memchr2(b'\n', b'\r', haystack)
    }
}

/// What was left undecoded when the input ended, as reported by
/// [`Decoder::finish`] and [`SseStream::leftover`](crate::SseStream::leftover).
///
/// Per the spec none of it is dispatched; this tells a client whether the
/// body was cut off in the middle of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Leftover {
    /// The input ended at a line boundary, with no `data` line waiting for
    /// its blank line. (A block holding only `event`, `id` or `retry` fields
    /// would not have dispatched an event, so it counts as nothing; its `id`
    /// never becomes the last event ID string.)
    Nothing,
    /// The input ended inside a line (bytes after the last line end, possibly
    /// an incomplete BOM), and no `data` line was waiting.
    PartialLine,
    /// At least one `data` line was read, but the blank line that dispatches
    /// the event never came (the last line may also be incomplete): an event
    /// was lost.
    UndispatchedEvent,
}

impl Leftover {
    /// `true` for [`Leftover::Nothing`]: the stream ended between events.
    pub fn is_nothing(self) -> bool {
        self == Self::Nothing
    }
}

impl Decoder {
    /// A decoder with the default [`Limits`] (16 MiB per line and per event).
    pub fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    /// A decoder with the given limits.
    pub fn with_limits(limits: Limits) -> Self {
        Self {
            input: VecDeque::new(),
            pos: 0,
            line: BytesMut::new(),
            skip_lf: false,
            bom: 0,
            block: Block::default(),
            limits,
            failed: None,
            ends: LineEnds::new(),
        }
    }

    /// The limits this decoder enforces.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Queues the next piece of the stream, without copying it. Then call
    /// [`next_frame`](Decoder::next_frame) until it returns `Ok(None)`.
    ///
    /// Accepts anything that converts to [`Bytes`] cheaply: `Bytes`,
    /// `Vec<u8>`, `String`, `&'static [u8]`, `&'static str`. Empty pieces
    /// are ignored. After an error, pieces are dropped.
    pub fn feed(&mut self, piece: impl Into<Bytes>) {
        let piece = piece.into();
        if !piece.is_empty() && self.failed.is_none() {
            self.input.push_back(piece);
        }
    }

    /// Like [`feed`](Decoder::feed), for borrowed bytes: copies them into a
    /// new buffer (one allocation per call, none per event).
    pub fn feed_slice(&mut self, piece: &[u8]) {
        if !piece.is_empty() && self.failed.is_none() {
            self.input.push_back(Bytes::copy_from_slice(piece));
        }
    }

    /// Decodes until the next [`Frame`] (event, comment or retry).
    ///
    /// Returns `Ok(None)` when the fed input is used up ("feed more, then
    /// call again"): that is never an error, even in the middle of a line.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] when a line or an event exceeds the [`Limits`]. The
    /// error is sticky: every later call returns it until
    /// [`finish`](Decoder::finish).
    pub fn next_frame(&mut self) -> Result<Option<Frame>, DecodeError> {
        Ok(match self.next_found()? {
            Some(Found::Event) => Some(Frame::Event(self.block.take_event(self.input.front()))),
            Some(Found::Comment) => {
                let text = std::mem::take(&mut self.block.comment);
                Some(Frame::Comment(Comment::from_text(text)))
            }
            Some(Found::Retry) => self.block.retry.map(Frame::Retry),
            None => None,
        })
    }

    /// Like [`next_frame`](Decoder::next_frame), but skips comments and
    /// retries (a retry still updates [`retry`](Decoder::retry)).
    ///
    /// # Errors
    ///
    /// As [`next_frame`](Decoder::next_frame).
    pub fn next_event(&mut self) -> Result<Option<Event>, DecodeError> {
        loop {
            match self.next_found()? {
                Some(Found::Event) => return Ok(Some(self.block.take_event(self.input.front()))),
                // Not reported: drop the text (a slice of the input).
                Some(Found::Comment) => self.block.comment = Utf8Bytes::new(),
                Some(Found::Retry) => {}
                None => return Ok(None),
            }
        }
    }

    /// Like [`next_event`](Decoder::next_event), but lends the event instead
    /// of handing out an owned one: the fastest way to read events whose
    /// data is used at once (parsed, copied, forwarded).
    ///
    /// An event that lies inside one fed piece (its `data` line and the
    /// blank line after it) is a borrow of that piece: nothing allocated,
    /// copied or reference-counted (see [`EventRef`] for why that matters).
    /// An event with several `data` lines, or whose lone `data` line
    /// straddled two pieces, is a borrow of the decoder's assembly buffer,
    /// where that line was copied; one whose blank line came in the next
    /// piece borrows a reference-counted slice the decoder keeps until the
    /// next call. The borrow ends before the next call to the decoder, which
    /// the compiler enforces.
    ///
    /// ```
    /// use chatstream_sse::Decoder;
    ///
    /// let mut decoder = Decoder::new();
    /// let mut total = 0;
    /// for piece in ["data: {\"a\":1}\n\nda", "ta: {\"b\":2}\n\n"] {
    ///     decoder.feed(piece);
    ///     while let Some(event) = decoder.next_event_ref()? {
    ///         total += event.data_bytes().len(); // parse it here
    ///     }
    /// }
    /// assert_eq!(total, 14);
    /// # Ok::<(), chatstream_sse::DecodeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`next_frame`](Decoder::next_frame).
    pub fn next_event_ref(&mut self) -> Result<Option<EventRef<'_>>, DecodeError> {
        loop {
            match self.next_found()? {
                Some(Found::Event) => {
                    return Ok(Some(self.block.take_event_ref(self.input.front())));
                }
                Some(Found::Comment) => self.block.comment = Utf8Bytes::new(),
                Some(Found::Retry) => {}
                None => return Ok(None),
            }
        }
    }

    /// [`advance`](Decoder::advance), with the sticky error.
    fn next_found(&mut self) -> Result<Option<Found>, DecodeError> {
        // Whatever the call that got here, an event lent by an earlier
        // `next_event_ref` is no longer borrowed.
        self.block.release_lent();
        if let Some((error, _)) = self.failed {
            return Err(error);
        }
        self.advance().inspect_err(|&error| self.fail(error))
    }

    /// Ends the stream: reports what was left undecoded, dispatching nothing
    /// (spec: "pending data is discarded"). Call it once `next_frame` has
    /// returned `Ok(None)` (input still queued counts as left over).
    ///
    /// After an error it reports what was pending when the error occurred
    /// ([`Leftover::PartialLine`] or [`Leftover::UndispatchedEvent`]).
    ///
    /// The decoder is then ready for a new stream, such as a reconnection:
    /// the error, the partial line, the block and the BOM detection are
    /// reset, while [`last_event_id`](Decoder::last_event_id) and
    /// [`retry`](Decoder::retry) are kept (as an `EventSource` keeps them
    /// across reconnections; following the spec, the new stream's last event
    /// ID buffer starts empty, so its first blank line resets the last event
    /// ID string unless the new stream sent an `id` first).
    pub fn finish(&mut self) -> Leftover {
        let unread = self.input.iter().map(Bytes::len).sum::<usize>() > self.pos;
        let leftover = if let Some((_, leftover)) = self.failed {
            leftover
        } else if !matches!(self.block.data, Data::Empty) {
            Leftover::UndispatchedEvent
        } else if !self.line.is_empty() || (self.bom > 0 && self.bom < BOM.len()) || unread {
            Leftover::PartialLine
        } else {
            Leftover::Nothing
        };
        self.input.clear();
        self.pos = 0;
        clear_or_free(&mut self.line);
        self.skip_lf = false;
        self.bom = 0;
        self.failed = None;
        let block = &mut self.block;
        block.event_type = Utf8Bytes::new();
        block.data = Data::Empty;
        clear_or_free(&mut block.data_buf);
        block.id_buffer = Utf8Bytes::new();
        block.id_dirty = true;
        block.lent_type = Utf8Bytes::new();
        block.lent_data = Utf8Bytes::new();
        leftover
    }

    /// The *last event ID string*: the id in force at the last blank line
    /// (`""` if none). Send it as `Last-Event-ID` when reconnecting.
    pub fn last_event_id(&self) -> &str {
        self.block.last_event_id.as_str()
    }

    /// The *reconnection time* set by the last valid `retry` field, if any.
    /// The decoder never sleeps: when to reconnect is the caller's decision.
    pub fn retry(&self) -> Option<Duration> {
        self.block.retry
    }

    /// Bytes the decoder has copied and holds right now: the partial line
    /// carried between pieces plus the event data being assembled (or, until
    /// the next call, lent by [`next_event_ref`](Decoder::next_event_ref)).
    /// Never more than `max_line_len + max_event_size`. Queued input pieces
    /// are not counted (they are the caller's, held by reference).
    pub fn buffered_len(&self) -> usize {
        self.line.len() + self.block.data_buf.len()
    }

    /// Capacity of the internal buffers (for tests of the memory bound).
    #[doc(hidden)]
    pub fn buffered_capacity(&self) -> usize {
        self.line.capacity() + self.block.data_buf.capacity()
    }

    /// The decoding loop: one step per iteration until a line yields a frame.
    ///
    /// Most lines are handled by the fast path,
    /// [`lines_in_piece`](Decoder::lines_in_piece); this loop does the rest:
    /// dropping used-up pieces, the LF of a CRLF split across pieces, the
    /// BOM, and the end of a line that straddles pieces.
    fn advance(&mut self) -> Result<Option<Found>, DecodeError> {
        let max_line = self.limits.max_line_len;
        loop {
            if self.line.is_empty() && !self.skip_lf && self.bom == BOM.len() {
                if let Some(found) = self.lines_in_piece()? {
                    return Ok(Some(found));
                }
            }
            let Some(piece) = self.input.front() else {
                return Ok(None);
            };
            let rest = piece.get(self.pos..).unwrap_or_default();
            let Some(&first) = rest.first() else {
                self.pop_piece();
                continue;
            };
            if self.skip_lf {
                self.skip_lf = false;
                if first == b'\n' {
                    self.pos += 1;
                }
                continue;
            }
            if self.bom < BOM.len() {
                // Strip one BOM at stream start, whatever the piece sizes.
                let want = &BOM[self.bom..];
                let n = want.len().min(rest.len());
                if rest[..n] == want[..n] {
                    self.pos += n;
                    self.bom += n;
                } else {
                    // Not a BOM: the bytes matched so far start the first line.
                    let matched = &BOM[..self.bom];
                    self.bom = BOM.len();
                    if !push_bounded(&mut self.line, matched, max_line) {
                        return Err(DecodeError::LineTooLong { limit: max_line });
                    }
                }
                continue;
            }
            // The end of a line whose start is in `self.line`.
            let Some(i) = self.ends.find(rest) else {
                // Still no line end in this piece: carry it over too.
                if !push_bounded(&mut self.line, rest, max_line) {
                    return Err(DecodeError::LineTooLong { limit: max_line });
                }
                self.pop_piece();
                continue;
            };
            self.pos += after_line_end(rest, i, &mut self.skip_lf);
            if !push_bounded(&mut self.line, &rest[..i], max_line) {
                return Err(DecodeError::LineTooLong { limit: max_line });
            }
            if self.move_data_line() {
                continue;
            }
            let line = self.line.split().freeze();
            self.block.settle(self.input.front());
            if let Some(found) = self
                .block
                .line::<false>(&line, 0, line.len(), &self.limits)?
            {
                return Ok(Some(found));
            }
        }
    }

    /// The fast path of [`advance`](Decoder::advance), for the common state:
    /// at the start of a line, no partial line carried over, the BOM decided,
    /// no LF to skip. Interprets the lines that lie wholly in the front piece,
    /// in place (zero-copy), until one yields a frame.
    ///
    /// Returns `Ok(None)` when the input is empty or the piece is used up: a
    /// last line without its end is then copied to `self.line`, and a line
    /// ended by the CR that is the piece's last byte sets `skip_lf`; `advance`
    /// takes over from there.
    fn lines_in_piece(&mut self) -> Result<Option<Found>, DecodeError> {
        let Some(piece) = self.input.front() else {
            return Ok(None);
        };
        let mut pos = self.pos;
        loop {
            let rest = piece.get(pos..).unwrap_or_default();
            let i = match rest.first() {
                None => return Ok(None),
                // A blank line (usually the one after a `data` line): no search.
                Some(b'\n') => 0,
                Some(_) => match self.ends.find(rest) {
                    Some(i) => i,
                    None => {
                        // No line end in this piece: carry the partial line over.
                        let max_line = self.limits.max_line_len;
                        if !push_bounded(&mut self.line, rest, max_line) {
                            return Err(DecodeError::LineTooLong { limit: max_line });
                        }
                        self.pos = piece.len();
                        return Ok(None);
                    }
                },
            };
            let start = pos;
            // A CR ending the piece sets `skip_lf`, and the piece is used up.
            pos += after_line_end(rest, i, &mut self.skip_lf);
            self.pos = pos;
            if let Some(found) = self
                .block
                .line::<true>(piece, start, start + i, &self.limits)?
            {
                return Ok(Some(found));
            }
        }
    }

    /// The usual line to straddle two pieces is a block's only `data` line:
    /// when `self.line` holds one whose value is valid UTF-8 within the
    /// event limit, and the line and event limits are equal (see below),
    /// its buffer becomes the data buffer, minus the field name (no second
    /// copy, no reference counting), and `true` is returned. Any other line
    /// is left for [`Block::line`].
    fn move_data_line(&mut self) -> bool {
        let block = &mut self.block;
        if !matches!(block.data, Data::Empty) {
            return false;
        }
        let Some(value) = self.line.strip_prefix(b"data:") else {
            return false;
        };
        let value = &value[usize::from(value.first() == Some(&b' '))..];
        // The two buffers trade allocations, so each may come to hold one
        // grown under the other's limit (including capacity a `BytesMut`
        // hides until it reclaims it). With equal limits (the default) that
        // keeps memory within `max_line_len + max_event_size`; otherwise the
        // line takes the ordinary path.
        let same_limits = self.limits.max_line_len == self.limits.max_event_size;
        if !same_limits || value.len() > self.limits.max_event_size || !is_utf8(value) {
            return false;
        }
        let name = self.line.len() - value.len();
        // `data_buf` holds nothing of the block (its data is empty).
        block.data_buf.clear();
        std::mem::swap(&mut self.line, &mut block.data_buf);
        block.data_buf.advance(name);
        block.data = Data::Many;
        true
    }

    /// Drops the used-up front piece, first settling data that still refers
    /// to it.
    fn pop_piece(&mut self) {
        self.block.settle(self.input.front());
        self.input.pop_front();
        self.pos = 0;
    }

    /// Records a sticky error and frees what the stream was holding.
    fn fail(&mut self, error: DecodeError) {
        let data_pending = !matches!(self.block.data, Data::Empty);
        let leftover = if data_pending || matches!(error, DecodeError::EventTooLarge { .. }) {
            Leftover::UndispatchedEvent
        } else {
            Leftover::PartialLine
        };
        self.failed = Some((error, leftover));
        self.input.clear();
        self.pos = 0;
        self.line = BytesMut::new();
        self.block.data = Data::Empty;
        self.block.data_buf = BytesMut::new();
        self.block.event_type = Utf8Bytes::new();
        self.block.lent_type = Utf8Bytes::new();
        self.block.lent_data = Utf8Bytes::new();
    }
}

/// Where the next line starts after the line end at `rest[i]` (an LF or a
/// CR): `i + 2` for a CRLF, else `i + 1`. A CR that is the last byte of
/// `rest` sets `skip_lf`: an LF starting the next piece belongs to it.
fn after_line_end(rest: &[u8], i: usize, skip_lf: &mut bool) -> usize {
    match rest.get(i..) {
        Some([b'\r', b'\n', ..]) => i + 2,
        Some([b'\r']) => {
            *skip_lf = true;
            i + 1
        }
        _ => i + 1,
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Decoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("limits", &self.limits)
            .field("queued_pieces", &self.input.len())
            .field("buffered_len", &self.buffered_len())
            .field("last_event_id", &self.last_event_id())
            .field("retry", &self.retry())
            .field("error", &self.failed.map(|(error, _)| error))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
use block::parse_retry;

#[cfg(test)]
mod tests;
