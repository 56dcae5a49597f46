//! [`SharedStr`]: an immutable, cheaply cloned string.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An immutable string that is cheap to clone (a reference-counted `str`).
///
/// # Why not `String`
///
/// Every chunk of a stream repeats the same `id`, `object`, `model` and
/// `system_fingerprint`. With `String` fields that is four allocations per
/// chunk for values that never change. [`ChunkParser`](crate::ChunkParser)
/// keeps the previous chunk's values and, when the next chunk carries the same
/// text, hands out a clone of the same `SharedStr` instead: no allocation, and
/// a comparison against text the parser already holds. Cloning a chunk is
/// cheap for the same reason.
///
/// It dereferences to `str`, compares with `str` and `String`, and converts
/// from both, so it reads like a string in user code:
///
/// ```
/// use chatstream_types::SharedStr;
///
/// let id = SharedStr::from("chatcmpl-123");
/// assert_eq!(id, "chatcmpl-123");
/// assert!(id.starts_with("chatcmpl-"));
/// let copy = id.clone(); // no allocation
/// assert_eq!(copy.as_str(), "chatcmpl-123");
/// ```
///
/// # Free for well-known values
///
/// The empty string and the values the protocol repeats verbatim
/// (`chat.completion.chunk`, `chat.completion`) are held as `&'static str`,
/// so [`SharedStr::empty`], [`Default`] and parsing those values never
/// allocate; anything else is one `Arc<str>` shared by all clones. Which of
/// the two holds a value is invisible: equality, ordering and hashing are
/// those of the text.
#[derive(Clone)]
pub struct SharedStr(Repr);

#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Shared(Arc<str>),
}

/// Values that are stored without allocating (see [`SharedStr::from`]).
const WELL_KNOWN: [&str; 3] = ["", "chat.completion.chunk", "chat.completion"];

impl SharedStr {
    /// The string slice.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(text) => text,
            Repr::Shared(text) => text,
        }
    }

    /// The empty string (no allocation).
    pub const fn empty() -> Self {
        Self(Repr::Static(""))
    }

    /// The heap this value holds, as a parse charges it to its budget: none
    /// for a well-known value, else the text and the `Arc`'s two counters.
    pub(crate) fn heap_size(&self) -> usize {
        match &self.0 {
            Repr::Static(_) => 0,
            Repr::Shared(text) => text.len() + 2 * size_of::<usize>(),
        }
    }

    /// A well-known value (see [`WELL_KNOWN`]) without allocating, if `text`
    /// is one.
    pub(crate) fn well_known(text: &[u8]) -> Option<Self> {
        WELL_KNOWN
            .iter()
            .find(|known| known.as_bytes() == text)
            .map(|known| Self(Repr::Static(known)))
    }
}

impl Default for SharedStr {
    /// The empty string (no allocation).
    fn default() -> Self {
        Self::empty()
    }
}

impl Deref for SharedStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for SharedStr {
    fn eq(&self, other: &SharedStr) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for SharedStr {}

impl PartialOrd for SharedStr {
    fn partial_cmp(&self, other: &SharedStr) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SharedStr {
    fn cmp(&self, other: &SharedStr) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for SharedStr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `str` hashes, so that `Borrow<str>` lookups work.
        self.as_str().hash(state);
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl From<&str> for SharedStr {
    /// Copies `value` into a new shared string, unless it is a well-known
    /// value (`""`, `chat.completion.chunk`, `chat.completion`).
    fn from(value: &str) -> Self {
        Self::well_known(value.as_bytes()).unwrap_or_else(|| Self(Repr::Shared(Arc::from(value))))
    }
}

impl From<String> for SharedStr {
    fn from(value: String) -> Self {
        Self::well_known(value.as_bytes()).unwrap_or_else(|| Self(Repr::Shared(Arc::from(value))))
    }
}

impl From<SharedStr> for String {
    fn from(value: SharedStr) -> Self {
        value.as_str().to_owned()
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<SharedStr> for str {
    fn eq(&self, other: &SharedStr) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<SharedStr> for &str {
    fn eq(&self, other: &SharedStr) -> bool {
        *self == other.as_str()
    }
}

impl Serialize for SharedStr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SharedStr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use crate::lenient::{Cx, Format, InternSeed, Unbounded};
        InternSeed::fresh(Cx::new(Format::Any, Unbounded)).deserialize_from(deserializer)
    }
}
