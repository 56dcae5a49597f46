//! [`SharedStr`]: an immutable, cheaply cloned string.

use std::borrow::Borrow;
use std::fmt;
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
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SharedStr(Arc<str>);

impl SharedStr {
    /// The string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The empty string.
    pub fn empty() -> Self {
        Self::from("")
    }
}

impl Default for SharedStr {
    fn default() -> Self {
        Self::empty()
    }
}

impl Deref for SharedStr {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl From<&str> for SharedStr {
    fn from(value: &str) -> Self {
        Self(Arc::from(value))
    }
}

impl From<String> for SharedStr {
    fn from(value: String) -> Self {
        Self(Arc::from(value))
    }
}

impl From<SharedStr> for String {
    fn from(value: SharedStr) -> Self {
        value.0.as_ref().to_owned()
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        &*self.0 == other.as_str()
    }
}

impl PartialEq<SharedStr> for str {
    fn eq(&self, other: &SharedStr) -> bool {
        self == &*other.0
    }
}

impl PartialEq<SharedStr> for &str {
    fn eq(&self, other: &SharedStr) -> bool {
        *self == &*other.0
    }
}

impl Serialize for SharedStr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SharedStr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::lenient::InternSeed::fresh().deserialize_from(deserializer)
    }
}
