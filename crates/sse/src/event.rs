//! [`Event`]: one dispatched server-sent event.

use bytes::Bytes;

use crate::text::Utf8Bytes;

/// The event type used when a block has no `event` field (or an empty one).
const DEFAULT_TYPE: &str = "message";

/// One dispatched server-sent event: its type, its data and the last event ID.
///
/// This is the `MessageEvent` of the WHATWG algorithm ("Interpreting an event
/// stream", steps 15–21): [`Decoder`](crate::Decoder) produces it when a blank
/// line ends a block that had at least one `data` line, and the
/// [encoder](crate::encode_event) turns it back into bytes.
///
/// # Cheap to clone, cheap to keep
///
/// An `Event` is three reference-counted [`Bytes`] handles, so it is `Send`,
/// `Sync`, `'static`, and cloning it never copies text. When a single-line
/// event arrives inside one input piece, [`data_bytes`](Event::data_bytes) is
/// a slice of that piece (no copy at all). The flip side: such an event keeps
/// the whole piece alive; copy the data out (`event.data().to_owned()`) if you
/// keep many small events from large pieces for a long time.
///
/// # Equality
///
/// Two events are equal when their [`event_type`](Event::event_type),
/// [`data`](Event::data) and [`id`](Event::id) are equal; an empty event type
/// and `"message"` are the same type, as in the spec.
///
/// # Example
///
/// ```
/// use chatstream_sse::Event;
///
/// let event = Event::new("{\"delta\":\"Hi\"}").with_event_type("chunk").with_id("42");
/// assert_eq!(event.event_type(), "chunk");
/// assert_eq!(event.data(), "{\"delta\":\"Hi\"}");
/// assert_eq!(event.id(), "42");
///
/// // No `event` field means type "message"; no id seen means "".
/// let plain = Event::from_static("[DONE]");
/// assert_eq!((plain.event_type(), plain.id()), ("message", ""));
/// ```
#[derive(Clone, Default)]
pub struct Event {
    /// Empty means "message".
    event_type: Utf8Bytes,
    data: Utf8Bytes,
    id: Utf8Bytes,
}

impl Event {
    /// An event of type `"message"` with the given data and an empty id.
    ///
    /// A `String` is moved in without copying. Line breaks in `data` are
    /// allowed: the encoder writes one `data:` line per line (see
    /// [`encode_event`](crate::encode_event) for CR handling).
    pub fn new(data: impl Into<String>) -> Self {
        Self {
            data: Utf8Bytes::from_string(data.into()),
            ..Self::default()
        }
    }

    /// Like [`Event::new`], for static text: no allocation, usable in `const`.
    pub const fn from_static(data: &'static str) -> Self {
        Self {
            event_type: Utf8Bytes::new(),
            data: Utf8Bytes::from_static(data),
            id: Utf8Bytes::new(),
        }
    }

    /// An event whose data is the given bytes, without copying them.
    ///
    /// # Errors
    ///
    /// Fails when `data` is not valid UTF-8 (event data is text).
    pub fn from_utf8(data: Bytes) -> Result<Self, std::str::Utf8Error> {
        Ok(Self {
            data: Utf8Bytes::try_from_bytes(data)?,
            ..Self::default()
        })
    }

    /// Sets the event type (the `event` field). `""` means `"message"`.
    #[must_use]
    pub fn with_event_type(mut self, event_type: impl Into<String>) -> Self {
        self.event_type = Utf8Bytes::from_string(event_type.into());
        self
    }

    /// Sets the id (the last event ID string). `""` means "no id".
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Utf8Bytes::from_string(id.into());
        self
    }

    /// The event type: the value of the block's last `event` field, or
    /// `"message"` when there was none or it was empty.
    pub fn event_type(&self) -> &str {
        if self.event_type.is_empty() {
            DEFAULT_TYPE
        } else {
            self.event_type.as_str()
        }
    }

    /// The data: the block's `data` values joined with `"\n"`. Invalid UTF-8
    /// in the stream has been replaced by U+FFFD.
    pub fn data(&self) -> &str {
        self.data.as_str()
    }

    /// The data as bytes (always valid UTF-8), without copying: clone it to
    /// hand the data on, e.g. to a JSON parser that takes `Bytes`.
    pub fn data_bytes(&self) -> &Bytes {
        self.data.as_bytes()
    }

    /// Consumes the event and returns its data bytes (valid UTF-8).
    pub fn into_data(self) -> Bytes {
        self.data.into_bytes()
    }

    /// The last event ID string when the event was dispatched: the value of
    /// the most recent valid `id` field in the stream so far, which persists
    /// across events (`""` if none was seen, or after an empty `id` reset it).
    pub fn id(&self) -> &str {
        self.id.as_str()
    }

    /// Builds a decoded event from parts whose UTF-8 has been validated.
    pub(crate) fn from_parts(event_type: Utf8Bytes, data: Utf8Bytes, id: Utf8Bytes) -> Self {
        Self {
            event_type,
            data,
            id,
        }
    }
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.data == other.data && self.id == other.id && self.event_type() == other.event_type()
    }
}

impl Eq for Event {}

impl std::hash::Hash for Event {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.event_type().hash(state);
        self.data.hash(state);
        self.id.hash(state);
    }
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_event(f, "Event", self.event_type(), self.data(), self.id())
    }
}

/// The `Debug` form of [`Event`] and [`EventRef`](crate::EventRef): the
/// text fields, the type resolved (`"message"` for none).
pub(crate) fn debug_event(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    event_type: &str,
    data: &str,
    id: &str,
) -> std::fmt::Result {
    f.debug_struct(name)
        .field("event_type", &event_type)
        .field("data", &data)
        .field("id", &id)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_type_is_message() {
        let a = Event::new("x");
        let b = Event::new("x").with_event_type("message");
        assert_eq!(a.event_type(), "message");
        assert_eq!(a, b);
        assert_ne!(a, Event::new("x").with_event_type("other"));
        assert_ne!(a, Event::new("x").with_id("1"));
        assert_ne!(a, Event::new("y"));
    }

    #[test]
    fn from_utf8_checks_and_does_not_copy() {
        let bytes = Bytes::from_static("héllo".as_bytes());
        let event = Event::from_utf8(bytes.clone()).unwrap();
        assert_eq!(event.data(), "héllo");
        assert_eq!(event.data_bytes().as_ptr(), bytes.as_ptr());
        assert!(Event::from_utf8(Bytes::from_static(b"\xff")).is_err());
    }

    #[test]
    fn send_sync_static() {
        fn check<T: Send + Sync + 'static + Clone>() {}
        check::<Event>();
    }

    #[test]
    fn debug_shows_text() {
        let s = format!("{:?}", Event::new("a\nb").with_id("7"));
        assert_eq!(
            s,
            r#"Event { event_type: "message", data: "a\nb", id: "7" }"#
        );
    }
}
