//! Interned strings: [`InternSeed`] reads a string into a
//! [`SharedStr`](crate::SharedStr), reusing the previous chunk's value when
//! the bytes are the same (no allocation, no UTF-8 check), and
//! [`OptionalIntern`] is its nullable flavour. This is how
//! [`ChunkParser`](crate::ChunkParser) reads the `id`, `model` and other
//! strings every chunk of a stream repeats.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, Visitor};

use super::{Bound, Cx, utf8};
use crate::SharedStr;

/// Deserializes a string into a [`SharedStr`], reusing `cache` when the text
/// is the same as last time (no allocation, no UTF-8 check), and updating it
/// when not. Well-known values (`""`, `chat.completion.chunk`) never allocate.
pub(crate) struct InternSeed<'c, B> {
    cache: Option<&'c mut Option<SharedStr>>,
    cx: Cx<B>,
}

impl<'c, B: Bound> InternSeed<'c, B> {
    /// A seed that reuses and updates `cache`.
    pub(crate) fn new(cache: &'c mut Option<SharedStr>, cx: Cx<B>) -> Self {
        Self {
            cache: Some(cache),
            cx,
        }
    }

    /// A seed with no cache (for the `Deserialize` impl of [`SharedStr`]).
    pub(crate) fn fresh(cx: Cx<B>) -> InternSeed<'static, B> {
        InternSeed { cache: None, cx }
    }

    /// Deserializes a non-null string (a `null` is an error).
    pub(crate) fn deserialize_from<'de, D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<SharedStr, D::Error> {
        let format = self.cx.format;
        format.deserialize_string_like(deserializer, self)
    }

    /// `bytes` as a [`SharedStr`]: the cached value if the same, else a new
    /// one, charged to the budget (an error if `bytes` is not UTF-8, which
    /// only [`Format::Json`](super::Format::Json) can hand out).
    fn intern<E: de::Error>(self, bytes: &[u8]) -> Result<SharedStr, E> {
        if let Some(Some(previous)) = self.cache.as_deref() {
            if previous.as_bytes() == bytes {
                // Charged as if new, so that what a parse may hold does not
                // depend on what the parser remembers.
                self.cx.bound.charge(previous.heap_size())?;
                return Ok(previous.clone());
            }
        }
        let fresh = match SharedStr::well_known(bytes) {
            Some(known) => known,
            None => {
                let text = utf8::<E>(bytes, &"a UTF-8 string")?;
                // An `Arc<str>`: the text and two counters.
                self.cx.bound.charge(text.len() + 2 * size_of::<usize>())?;
                SharedStr::from(text)
            }
        };
        if let Some(cache) = self.cache {
            *cache = Some(fresh.clone());
        }
        Ok(fresh)
    }
}

impl<'de, B: Bound> Visitor<'de> for InternSeed<'_, B> {
    type Value = SharedStr;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<SharedStr, E> {
        self.intern(v.as_bytes())
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<SharedStr, E> {
        self.intern(v)
    }
}

/// The optional flavour: `null` gives `None`.
pub(crate) struct OptionalIntern<'c, B>(pub(crate) InternSeed<'c, B>);

impl<'de, B: Bound> DeserializeSeed<'de> for OptionalIntern<'_, B> {
    type Value = Option<SharedStr>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, B: Bound> Visitor<'de> for OptionalIntern<'_, B> {
    type Value = Option<SharedStr>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize_from(deserializer).map(Some)
    }
}
