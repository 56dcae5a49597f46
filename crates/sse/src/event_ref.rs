//! [`EventRef`]: a dispatched event lent by the decoder, for callers that
//! use its data at once.
//!
//! # Why a borrowed event
//!
//! An owned [`Event`] whose data lies inside one input piece is a slice of
//! that piece: no copy, no allocation, but the slice takes one atomic
//! increment of the piece's reference count, and dropping it one atomic
//! decrement. For a caller that parses the data on the spot (a JSON chunk
//! parser) and drops the event, those two operations are about a quarter of
//! the decoder's time per event. [`Decoder::next_event_ref`] hands the same
//! event out as plain borrows of the decoder's input instead, the way
//! `httparse` lends header slices: nothing counted, nothing copied.

use crate::event::{Event, debug_event};

/// The event type used when a block has no `event` field (or an empty one).
const DEFAULT_TYPE: &str = "message";

/// A dispatched event, borrowed from the [`Decoder`](crate::Decoder) that
/// decoded it (see [`Decoder::next_event_ref`](crate::Decoder::next_event_ref)).
///
/// The same event as [`Event`], field for field, valid until the decoder is
/// used again. Turn it into an owned [`Event`] with
/// [`to_event`](EventRef::to_event) (which copies the text).
///
/// ```
/// use chatstream_sse::Decoder;
///
/// let mut decoder = Decoder::new();
/// decoder.feed("event: delta\ndata: {\"n\":1}\n\n");
/// let event = decoder.next_event_ref()?.expect("one event");
/// assert_eq!(event.event_type(), "delta");
/// assert_eq!(event.data_bytes(), b"{\"n\":1}");
/// assert_eq!(event.id(), "");
/// # Ok::<(), chatstream_sse::DecodeError>(())
/// ```
///
/// Equality is [`Event`]'s: type, data and id, with an empty event type and
/// `"message"` the same type.
#[derive(Clone, Copy)]
pub struct EventRef<'a> {
    /// Empty means "message".
    event_type: &'a str,
    /// Valid UTF-8.
    data: &'a [u8],
    id: &'a str,
}

impl<'a> EventRef<'a> {
    /// Builds a lent event; `data` must be valid UTF-8 (checked by the
    /// decoder before it got here).
    pub(crate) fn from_parts(event_type: &'a str, data: &'a [u8], id: &'a str) -> Self {
        debug_assert!(std::str::from_utf8(data).is_ok());
        Self {
            event_type,
            data,
            id,
        }
    }

    /// The event type: the value of the block's last `event` field, or
    /// `"message"` when there was none or it was empty.
    pub fn event_type(&self) -> &'a str {
        if self.event_type.is_empty() {
            DEFAULT_TYPE
        } else {
            self.event_type
        }
    }

    /// The data: the block's `data` values joined with `"\n"`, invalid UTF-8
    /// replaced by U+FFFD.
    ///
    /// The crate has no `unsafe`, so this re-runs the (fast) UTF-8 check of
    /// bytes the decoder already checked; [`data_bytes`](EventRef::data_bytes)
    /// skips it, for a parser that takes bytes.
    pub fn data(&self) -> &'a str {
        std::str::from_utf8(self.data).unwrap_or_default()
    }

    /// The data as bytes, always valid UTF-8.
    pub fn data_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// The last event ID string when the event was dispatched (`""` if none).
    pub fn id(&self) -> &'a str {
        self.id
    }

    /// An owned copy of the event.
    pub fn to_event(&self) -> Event {
        Event::new(self.data())
            .with_event_type(self.event_type)
            .with_id(self.id)
    }
}

impl PartialEq for EventRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.data == other.data && self.id == other.id && self.event_type() == other.event_type()
    }
}

impl Eq for EventRef<'_> {}

impl std::hash::Hash for EventRef<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.event_type().hash(state);
        self.data.hash(state);
        self.id.hash(state);
    }
}

impl PartialEq<Event> for EventRef<'_> {
    fn eq(&self, other: &Event) -> bool {
        self.data_bytes() == other.data().as_bytes()
            && self.id == other.id()
            && self.event_type() == other.event_type()
    }
}

impl std::fmt::Debug for EventRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_event(f, "EventRef", self.event_type(), self.data(), self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_follows_event() {
        let plain = EventRef::from_parts("", b"x", "");
        let named = EventRef::from_parts("message", b"x", "");
        assert_eq!(plain, named);
        assert_eq!(plain.event_type(), "message");
        assert_ne!(plain, EventRef::from_parts("other", b"x", ""));
        assert_ne!(plain, EventRef::from_parts("", b"x", "1"));
        assert_eq!(plain, Event::new("x"));
        assert_eq!(plain.to_event(), Event::new("x"));
        assert_eq!(
            format!("{:?}", EventRef::from_parts("t", b"a\nb", "7")),
            r#"EventRef { event_type: "t", data: "a\nb", id: "7" }"#
        );
    }
}
