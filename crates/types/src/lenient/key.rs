//! Map keys read without allocating: [`Key`], borrowed from the input when
//! it has no escapes and checked for UTF-8 only when kept (an unknown key
//! stored in `extra`), and its seed [`KeySeed`]. Every visitor matches its
//! known keys through these, so they are the hot path of the byte-level
//! reading.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::budget::map_entry_cost;
use super::{Bound, Cx, ValueSeed, utf8};
use crate::ParseLimit;

/// A map key, borrowed from the input when it has no escapes. Its bytes are
/// valid UTF-8 in [`Format::Any`](super::Format::Any); in
/// [`Format::Json`](super::Format::Json) only once checked, which
/// [`Key::store_in`] does (a key that matches a known one is ASCII).
pub(crate) struct Key<'de>(Cow<'de, [u8]>);

impl Key<'_> {
    /// The key's bytes, to compare with the keys a visitor knows.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The offset in `input` of the key's opening quote, if the key is a
    /// slice of `input` (serde_json lends keys without escapes straight from
    /// its input, so a key's position is its address minus the input's).
    pub(crate) fn quote_offset_in(&self, input: &[u8]) -> Option<usize> {
        let Cow::Borrowed(bytes) = &self.0 else {
            return None;
        };
        let start = (bytes.as_ptr() as usize).checked_sub(input.as_ptr() as usize)?;
        let quote = start.checked_sub(1)?;
        let inside = start.checked_add(bytes.len())? <= input.len();
        (inside && input.get(quote) == Some(&b'"')).then_some(quote)
    }

    /// Stores the value of this unknown key in `extra`, unless it is `null`
    /// (a `null` unknown field says nothing, and skipping it saves an
    /// allocation on the providers that send `"stop_reason": null` on every
    /// chunk). An unknown key that is not valid UTF-8 is an error, as serde_json
    /// would have reported it. The value is read within the budget, and the
    /// map may hold at most [`max_extra_keys`](crate::ParseLimits::max_extra_keys).
    pub(crate) fn store_in<'de, A: MapAccess<'de>, B: Bound>(
        self,
        map: &mut A,
        extra: &mut Map<String, Value>,
        cx: Cx<B>,
    ) -> Result<(), A::Error> {
        let key = utf8::<A::Error>(&self.0, &"a UTF-8 key")?;
        let value = map.next_value_seed(ValueSeed::kept(cx))?;
        if value.is_null() {
            return Ok(());
        }
        insert_entry(extra, key, value, cx, true)
    }
}

/// Inserts `key: value` in `map` — a new key charged to the budget and, if
/// the map is `kept` as sent, counted against
/// [`max_extra_keys`](crate::ParseLimits::max_extra_keys) (a repeated key
/// replaces the value, as serde_json does).
pub(crate) fn insert_entry<E: de::Error, B: Bound>(
    map: &mut Map<String, Value>,
    key: &str,
    value: Value,
    cx: Cx<B>,
    kept: bool,
) -> Result<(), E> {
    if B::CHARGED {
        if let Some(slot) = map.get_mut(key) {
            *slot = value;
            return Ok(());
        }
        if kept {
            cx.bound.check_count(ParseLimit::ExtraKeys, map.len())?;
        }
        cx.bound.charge(map_entry_cost(map.len(), key.len()))?;
    }
    map.insert(key.to_owned(), value);
    Ok(())
}

/// The seed of a [`Key`], read as the context's format says; an owned key
/// (one with escapes) is charged to its budget.
pub(crate) struct KeySeed<B>(pub(crate) Cx<B>);

impl<'de, B: Bound> DeserializeSeed<'de> for KeySeed<B> {
    type Value = Key<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key<'de>, D::Error> {
        self.0
            .format
            .deserialize_string_like(deserializer, KeyVisitor(self.0.bound))
    }
}

struct KeyVisitor<B>(B);

impl<'de, B: Bound> Visitor<'de> for KeyVisitor<B> {
    type Value = Key<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(v.as_bytes())))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        self.0.charge(v.len())?;
        Ok(Key(Cow::Owned(v.as_bytes().to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
        self.0.charge(v.capacity())?;
        Ok(Key(Cow::Owned(v.into_bytes())))
    }
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(v)))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Key<'de>, E> {
        self.0.charge(v.len())?;
        Ok(Key(Cow::Owned(v.to_owned())))
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Key<'de>, E> {
        self.0.charge(v.capacity())?;
        Ok(Key(Cow::Owned(v)))
    }
}
