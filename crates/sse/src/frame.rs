//! [`Frame`]: everything the decoder reports, and [`Comment`].

use std::time::Duration;

use bytes::Bytes;

use crate::event::Event;
use crate::text::Utf8Bytes;

/// One item reported by [`Decoder::next_frame`](crate::Decoder::next_frame),
/// in stream order.
///
/// Most callers only want events: use
/// [`Decoder::next_event`](crate::Decoder::next_event) or
/// [`SseStream`](crate::SseStream), which skip the other kinds (a `retry` is
/// still recorded in [`Decoder::retry`](crate::Decoder::retry)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Frame {
    /// A dispatched event (a blank line ended a block with `data`).
    Event(Event),
    /// A comment line (`:` followed by text), which the spec ignores.
    /// Servers and gateways send them as keep-alives.
    Comment(Comment),
    /// A valid `retry` field: the new *reconnection time*. It is reported when
    /// the line is read, even if its block never dispatches an event.
    ///
    /// The value is a non-empty run of ASCII digits read in base 10 as
    /// milliseconds (`02000` is 2 s); values above `u64::MAX` ms saturate to
    /// `u64::MAX` ms (half a billion years) rather than being dropped, so an
    /// absurdly long reconnection time still reads as "very long".
    Retry(Duration),
}

/// The text of a comment line: what follows the `:`, minus one leading
/// space (the same rule as field values). Invalid UTF-8 is replaced by U+FFFD.
///
/// ```
/// use chatstream_sse::{Decoder, Frame};
///
/// let mut decoder = Decoder::new();
/// decoder.feed_slice(b": OPENROUTER PROCESSING\n");
/// match decoder.next_frame() {
///     Ok(Some(Frame::Comment(c))) => assert_eq!(c.text(), "OPENROUTER PROCESSING"),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Comment(Utf8Bytes);

impl Comment {
    /// A comment with the given text.
    pub fn new(text: impl Into<String>) -> Self {
        Self(Utf8Bytes::from_string(text.into()))
    }

    /// The comment text.
    pub fn text(&self) -> &str {
        self.0.as_str()
    }

    /// The comment text as bytes (valid UTF-8), without copying.
    pub fn text_bytes(&self) -> &Bytes {
        self.0.as_bytes()
    }

    pub(crate) fn from_text(text: Utf8Bytes) -> Self {
        Self(text)
    }
}

impl std::fmt::Debug for Comment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Comment").field(&self.text()).finish()
    }
}
