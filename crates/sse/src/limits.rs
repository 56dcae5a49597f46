//! [`Limits`]: how much a [`Decoder`](crate::Decoder) may buffer.

/// Caps on what a [`Decoder`](crate::Decoder) buffers, so that a broken or
/// hostile server cannot make it allocate without bound.
///
/// The SSE format has no length prefix: a line ends only when a CR or LF
/// arrives, and an event only when a blank line does. An unbounded decoder
/// (like every Rust SSE decoder surveyed for this crate, and the official
/// OpenAI SDKs for Python and Node) will buffer a body that never sends a
/// newline until the process runs out of memory. Exceeding a limit is a typed
/// error ([`DecodeError`](crate::DecodeError)), never a silent truncation.
///
/// Both limits count **bytes**, and they are enforced *before* anything is
/// appended, so whatever the input the decoder holds at most: the partial
/// line carried between pieces (≤ `max_line_len`), the data being assembled
/// (≤ `max_event_size`), and the current event type and id (each ≤
/// `max_line_len`). See [`Decoder::buffered_len`](crate::Decoder::buffered_len).
/// The input pieces you feed are yours: the decoder keeps references to them
/// (zero-copy) only until they are decoded, inside the events it returns,
/// or, for an event lent by
/// [`Decoder::next_event_ref`](crate::Decoder::next_event_ref), until the
/// next call.
///
/// # Defaults: 16 MiB and 16 MiB
///
/// Chat-completion streams put each event on one `data:` line, so the line
/// limit must be at least as large as the largest event you accept, and the
/// two defaults are equal. Typical chunks are a few hundred bytes, but some
/// events are large: a whole non-streamed answer relayed as one event, or a
/// base64 image (streamed partial images are several MiB). 16 MiB leaves a
/// wide margin for those while keeping the worst case (a server that sends an
/// endless line) to a bounded, modest allocation. For comparison, openai-go
/// caps lines at 32 MiB. Lower the limits for untrusted servers or many
/// concurrent streams; raise them (up to `usize::MAX`, i.e. unbounded) only if
/// you trust the server.
///
/// # Example
///
/// ```
/// use chatstream_sse::{Decoder, Limits};
///
/// let limits = Limits::default().with_max_line_len(64 * 1024).with_max_event_size(1 << 20);
/// assert_eq!(limits.max_line_len, 64 * 1024);
/// let decoder = Decoder::with_limits(limits);
/// assert_eq!(decoder.limits(), limits);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// The longest line accepted, in bytes, not counting its line terminator
    /// (and not counting a stream-start BOM). A longer line is
    /// [`DecodeError::LineTooLong`](crate::DecodeError::LineTooLong).
    /// This also bounds the `event` type and `id` values.
    pub max_line_len: usize,
    /// The largest event data accepted, in bytes of UTF-8 after U+FFFD
    /// replacement, counting the `"\n"` that join its `data` lines. Larger
    /// data is [`DecodeError::EventTooLarge`](crate::DecodeError::EventTooLarge).
    pub max_event_size: usize,
}

impl Limits {
    /// Default [`max_line_len`](Limits::max_line_len): 16 MiB.
    pub const DEFAULT_MAX_LINE_LEN: usize = 16 * 1024 * 1024;
    /// Default [`max_event_size`](Limits::max_event_size): 16 MiB.
    pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 * 1024 * 1024;

    /// The default limits (same as [`Limits::default`]).
    pub const fn new() -> Self {
        Self {
            max_line_len: Self::DEFAULT_MAX_LINE_LEN,
            max_event_size: Self::DEFAULT_MAX_EVENT_SIZE,
        }
    }

    /// Sets [`max_line_len`](Limits::max_line_len).
    #[must_use]
    pub const fn with_max_line_len(mut self, bytes: usize) -> Self {
        self.max_line_len = bytes;
        self
    }

    /// Sets [`max_event_size`](Limits::max_event_size).
    #[must_use]
    pub const fn with_max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = bytes;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}
