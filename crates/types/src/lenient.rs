//! Deserialization helpers behind the lenient models.
//!
//! # Why hand-written visitors
//!
//! The models must keep every field a provider sends, including the ones they
//! do not name (Perplexity `citations`, Groq `x_groq`, OpenRouter `provider`,
//! `native_finish_reason`…), without slowing the typed path. serde's
//! `#[serde(flatten)]` would do the first but buffers every field of the struct
//! into an intermediate tree first, which costs several allocations per chunk
//! for everyone. The [`lenient_struct!`] macro instead generates a visitor that
//! matches the known keys directly (borrowing the key from the input) and
//! only touches the `extra` map for a key it does not know. A `null` known
//! field takes its default; a missing one keeps its default.
//!
//! # Two ways to read strings
//!
//! Most of what a chunk spends in serde_json goes to strings: a text chunk has
//! a dozen keys and a handful of string values, and serde_json checks every
//! one for valid UTF-8 before handing it out as a `str`. Nearly all of them
//! are compared against text this crate already knows (the keys it names, the
//! values of [`FinishReason`](crate::FinishReason) and the other open enums,
//! the `id` and `model` of the previous chunk), and a comparison with known,
//! valid text needs no check. So the visitors can read those strings in one of
//! two [`Format`]s:
//!
//! - [`Format::Any`], what the `Deserialize` impls use: keys and matched
//!   values through `deserialize_str`, which every self-describing format
//!   supports;
//! - [`Format::Json`], what [`ChunkParser`](crate::ChunkParser) uses: the
//!   same strings through `deserialize_bytes`, for which serde_json hands out
//!   the unescaped bytes of a JSON string without the UTF-8 check. The
//!   visitor compares them with the text it knows and checks only the bytes
//!   it keeps (an unknown key, an unknown enum value, a new `id`), with the
//!   same outcome as serde_json's own check: invalid text is an error. Other
//!   formats may reject `deserialize_bytes` for strings (YAML, CBOR), which is
//!   why the mode is only chosen where the deserializer is known to be
//!   serde_json.
//!
//! The [`Lenient`] trait carries the mode down to nested values.
//!
//! # In place
//!
//! A chunk's structs are a few hundred bytes each (a choice, its delta), and a
//! visitor that returns one by value moves it through every layer of `Result`
//! and `Option` on the way up. So structs are filled where they end up:
//! [`deserialize_fields_into`] reads a map into a `&mut` struct, a struct
//! field is read over itself ([`Lenient::deserialize_field_into`]), a vector
//! element is pushed first and read in the vector
//! ([`Lenient::deserialize_push`]), a boxed struct in its box.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde_json::{Map, Value};

use crate::SharedStr;

/// How visitors read keys and the string values they match (see the
/// [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// Any self-describing format: strings through `deserialize_str`.
    Any,
    /// serde_json: strings through `deserialize_bytes`, checked for UTF-8
    /// only when kept.
    Json,
}

impl Format {
    /// The format for parsing `input` with serde_json: [`Format::Json`],
    /// unless `input` holds a raw control byte (below 0x20).
    ///
    /// Why: JSON forbids raw control characters in strings, and serde_json
    /// rejects them when it hands out a `str` — but not when it hands out
    /// bytes, and after unescaping a raw newline looks the same as an escaped
    /// `\n`. Compact JSON (which is what streams send) has no control bytes
    /// at all, so this check, a fast scan, keeps [`Format::Json`] exact;
    /// pretty-printed input takes [`Format::Any`].
    pub(crate) fn for_json(input: &[u8]) -> Format {
        // Sixteen bytes at a time, which compiles to vector instructions.
        let mut blocks = input.chunks_exact(16);
        let in_blocks = blocks
            .by_ref()
            .any(|block| block.iter().fold(u8::MAX, |min, &b| min.min(b)) < 0x20);
        if in_blocks || blocks.remainder().iter().any(|&b| b < 0x20) {
            Format::Any
        } else {
            Format::Json
        }
    }

    /// Asks `deserializer` for a string, as this format reads strings; the
    /// visitor must accept both `str` and bytes.
    pub(crate) fn deserialize_string_like<'de, D: Deserializer<'de>, V: Visitor<'de>>(
        self,
        deserializer: D,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        match self {
            Format::Any => deserializer.deserialize_str(visitor),
            Format::Json => deserializer.deserialize_bytes(visitor),
        }
    }
}

/// `bytes` as `str`, or the error serde reports for bytes that are not text.
pub(crate) fn utf8<'a, E: de::Error>(
    bytes: &'a [u8],
    expected: &dyn de::Expected,
) -> Result<&'a str, E> {
    std::str::from_utf8(bytes).map_err(|_| E::invalid_value(Unexpected::Bytes(bytes), expected))
}

/// Deserialization of a model type in a given [`Format`].
///
/// Implemented by the [`lenient_struct!`] and [`string_enum!`] types, by
/// `Option`, `Vec` and `Box` of those, and (through their `Deserialize`) by
/// the primitive and opaque field types.
pub(crate) trait Lenient: Sized {
    /// Deserializes a value, reading strings as `format` says.
    fn deserialize_in<'de, D: Deserializer<'de>>(
        deserializer: D,
        format: Format,
    ) -> Result<Self, D::Error>;

    /// Deserializes a known field's value: `null` gives the default.
    fn deserialize_field<'de, D: Deserializer<'de>>(
        deserializer: D,
        format: Format,
    ) -> Result<Self, D::Error>
    where
        Self: Default,
    {
        deserializer.deserialize_option(NullAsDefault::<Self>(format, PhantomData))
    }

    /// Deserializes a known field's value over `place` (`null` gives the
    /// default). Structs override it to fill `place` where it is instead of
    /// building the value elsewhere and moving it in.
    fn deserialize_field_into<'de, D: Deserializer<'de>>(
        deserializer: D,
        place: &mut Self,
        format: Format,
    ) -> Result<(), D::Error>
    where
        Self: Default,
    {
        *place = Self::deserialize_field(deserializer, format)?;
        Ok(())
    }

    /// Deserializes a value onto the end of `vec`. Structs override it to
    /// fill the element in place.
    fn deserialize_push<'de, D: Deserializer<'de>>(
        deserializer: D,
        vec: &mut Vec<Self>,
        format: Format,
    ) -> Result<(), D::Error> {
        vec.push(Self::deserialize_in(deserializer, format)?);
        Ok(())
    }
}

/// [`Lenient`] through `Deserialize`, for types whose parsing does not depend
/// on the format (numbers, free text, opaque JSON).
macro_rules! lenient_via_deserialize {
    ($($ty:ty),* $(,)?) => {
        $(impl $crate::lenient::Lenient for $ty {
            fn deserialize_in<'de, D: ::serde::Deserializer<'de>>(
                deserializer: D,
                _format: $crate::lenient::Format,
            ) -> Result<Self, D::Error> {
                <$ty as ::serde::Deserialize<'de>>::deserialize(deserializer)
            }
        })*
    };
}

lenient_via_deserialize!(
    bool,
    u32,
    u64,
    i64,
    String,
    crate::Content,
    crate::ChoiceLogprobs
);

/// The seed of a known field: `null` gives the default (see
/// [`Lenient::deserialize_field`]).
pub(crate) struct FieldSeed<T>(Format, PhantomData<T>);

impl<T> FieldSeed<T> {
    pub(crate) fn new(format: Format) -> Self {
        FieldSeed(format, PhantomData)
    }
}

impl<'de, T: Lenient + Default> DeserializeSeed<'de> for FieldSeed<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        T::deserialize_field(deserializer, self.0)
    }
}

/// The seed of a known field, read over the field (see
/// [`Lenient::deserialize_field_into`]).
pub(crate) struct FieldIntoSeed<'p, T> {
    pub(crate) place: &'p mut T,
    pub(crate) format: Format,
}

impl<'de, T: Lenient + Default> DeserializeSeed<'de> for FieldIntoSeed<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        T::deserialize_field_into(deserializer, self.place, self.format)
    }
}

/// The seed of an element pushed onto `vec` (see [`Lenient::deserialize_push`]).
/// The first element gets a vector of capacity one, not serde's default of
/// four: streams send one choice, one tool-call fragment, and a four-choice
/// vector would be a kilobyte and a half.
pub(crate) struct PushSeed<'v, T> {
    pub(crate) vec: &'v mut Vec<T>,
    pub(crate) format: Format,
}

impl<'de, T: Lenient> DeserializeSeed<'de> for PushSeed<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.vec.capacity() == 0 {
            self.vec.reserve_exact(1);
        }
        T::deserialize_push(deserializer, self.vec, self.format)
    }
}

struct NullAsDefault<T>(Format, PhantomData<T>);

impl<'de, T: Lenient + Default> Visitor<'de> for NullAsDefault<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        T::deserialize_in(deserializer, self.0)
    }
}

impl<T: Lenient> Lenient for Option<T> {
    fn deserialize_in<'de, D: Deserializer<'de>>(
        deserializer: D,
        format: Format,
    ) -> Result<Self, D::Error> {
        struct OptionVisitor<T>(Format, PhantomData<T>);
        impl<'de, T: Lenient> Visitor<'de> for OptionVisitor<T> {
            type Value = Option<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
                T::deserialize_in(d, self.0).map(Some)
            }
        }
        deserializer.deserialize_option(OptionVisitor(format, PhantomData))
    }

    /// An optional field is `None` for `null` already: no second check.
    fn deserialize_field<'de, D: Deserializer<'de>>(
        deserializer: D,
        format: Format,
    ) -> Result<Self, D::Error> {
        Self::deserialize_in(deserializer, format)
    }
}

/// A boxed struct, filled in its box rather than moved into it.
impl<T: LenientStruct> Lenient for Box<T> {
    fn deserialize_in<'de, D: Deserializer<'de>>(
        deserializer: D,
        format: Format,
    ) -> Result<Self, D::Error> {
        let mut boxed = Box::<T>::default();
        deserialize_fields_into(deserializer, &mut *boxed, format)?;
        Ok(boxed)
    }
}

/// A sequence, element by element through [`PushSeed`].
impl<T: Lenient> Lenient for Vec<T> {
    fn deserialize_in<'de, D: Deserializer<'de>>(
        deserializer: D,
        format: Format,
    ) -> Result<Self, D::Error> {
        struct VecVisitor<T>(Format, PhantomData<T>);
        impl<'de, T: Lenient> Visitor<'de> for VecVisitor<T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
                // A hint from the format, but never trusted for much.
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
                let format = self.0;
                while let Some(()) = seq.next_element_seed(PushSeed {
                    vec: &mut out,
                    format,
                })? {}
                Ok(out)
            }
        }
        deserializer.deserialize_seq(VecVisitor(format, PhantomData))
    }
}

/// A map key, borrowed from the input when it has no escapes. Its bytes are
/// valid UTF-8 in [`Format::Any`]; in [`Format::Json`] only once checked,
/// which [`Key::store_in`] does (a key that matches a known one is ASCII).
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
    /// would have reported it.
    pub(crate) fn store_in<'de, A: MapAccess<'de>>(
        self,
        map: &mut A,
        extra: &mut Map<String, Value>,
    ) -> Result<(), A::Error> {
        let key = utf8::<A::Error>(&self.0, &"a UTF-8 key")?;
        let value = map.next_value::<Value>()?;
        if !value.is_null() {
            extra.insert(key.to_owned(), value);
        }
        Ok(())
    }
}

/// The seed of a [`Key`], read as `format` says.
pub(crate) struct KeySeed(pub(crate) Format);

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key<'de>, D::Error> {
        self.0.deserialize_string_like(deserializer, KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(v.as_bytes())))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v.as_bytes().to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v.into_bytes())))
    }
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(v)))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v)))
    }
}

/// Deserializes a string into a [`SharedStr`], reusing `cache` when the text
/// is the same as last time (no allocation, no UTF-8 check), and updating it
/// when not. Well-known values (`""`, `chat.completion.chunk`) never allocate.
pub(crate) struct InternSeed<'c> {
    cache: Option<&'c mut Option<SharedStr>>,
    format: Format,
}

impl<'c> InternSeed<'c> {
    /// A seed that reuses and updates `cache`.
    pub(crate) fn new(cache: &'c mut Option<SharedStr>, format: Format) -> Self {
        Self {
            cache: Some(cache),
            format,
        }
    }

    /// A seed with no cache (for the `Deserialize` impl of [`SharedStr`]).
    pub(crate) fn fresh() -> InternSeed<'static> {
        InternSeed {
            cache: None,
            format: Format::Any,
        }
    }

    /// Deserializes a non-null string (a `null` is an error).
    pub(crate) fn deserialize_from<'de, D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<SharedStr, D::Error> {
        let format = self.format;
        format.deserialize_string_like(deserializer, self)
    }

    /// `bytes` as a [`SharedStr`]: the cached value if the same, else a new
    /// one (an error if `bytes` is not UTF-8, which only [`Format::Json`] can
    /// hand out).
    fn intern<E: de::Error>(self, bytes: &[u8]) -> Result<SharedStr, E> {
        if let Some(Some(previous)) = self.cache.as_deref() {
            if previous.as_bytes() == bytes {
                return Ok(previous.clone());
            }
        }
        let fresh = match SharedStr::well_known(bytes) {
            Some(known) => known,
            None => SharedStr::from(utf8::<E>(bytes, &"a UTF-8 string")?),
        };
        if let Some(cache) = self.cache {
            *cache = Some(fresh.clone());
        }
        Ok(fresh)
    }
}

impl<'de> Visitor<'de> for InternSeed<'_> {
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
pub(crate) struct OptionalIntern<'c>(pub(crate) InternSeed<'c>);

impl<'de> DeserializeSeed<'de> for OptionalIntern<'_> {
    type Value = Option<SharedStr>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for OptionalIntern<'_> {
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

/// Whether a value equals its type's default, told without building one
/// (see [`deserialize_struct_field_into`]).
pub(crate) trait Pristine {
    fn is_pristine(&self) -> bool;
}

impl<T> Pristine for Option<T> {
    fn is_pristine(&self) -> bool {
        self.is_none()
    }
}

impl<T> Pristine for Vec<T> {
    fn is_pristine(&self) -> bool {
        self.is_empty()
    }
}

impl Pristine for String {
    fn is_pristine(&self) -> bool {
        self.is_empty()
    }
}

impl Pristine for Map<String, Value> {
    fn is_pristine(&self) -> bool {
        self.is_empty()
    }
}

/// [`Pristine`] by comparison with the default, for types whose default is
/// plain data.
macro_rules! pristine_by_default {
    ($($ty:ty),* $(,)?) => {
        $(impl Pristine for $ty {
            fn is_pristine(&self) -> bool {
                *self == <$ty>::default()
            }
        })*
    };
}

pristine_by_default!(bool, u32, u64, i64, crate::Role, crate::ToolType);

/// A struct generated by [`lenient_struct!`], read one key at a time.
pub(crate) trait LenientStruct: Default + Pristine {
    /// What the struct is, for error messages ("a chunk choice").
    const EXPECTING: &'static str;

    /// Reads the value of `key` into the field it names (replacing it), or
    /// into `extra` if it names none (see [`Key::store_in`]).
    fn visit_field<'de, A: MapAccess<'de>>(
        &mut self,
        key: Key<'de>,
        map: &mut A,
        format: Format,
    ) -> Result<(), A::Error>;
}

/// Reads a map into `place` in place: each field present in the input is
/// replaced, the others are left as they are. From a default `place`, that is
/// the whole deserialization (without moving the struct through the layers of
/// `Result` a by-value visitor returns it through).
pub(crate) fn deserialize_fields_into<'de, T: LenientStruct, D: Deserializer<'de>>(
    deserializer: D,
    place: &mut T,
    format: Format,
) -> Result<(), D::Error> {
    struct FieldsVisitor<'p, T> {
        place: &'p mut T,
        format: Format,
    }
    impl<'de, T: LenientStruct> Visitor<'de> for FieldsVisitor<'_, T> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(T::EXPECTING)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key_seed(KeySeed(self.format))? {
                self.place.visit_field(key, &mut map, self.format)?;
            }
            Ok(())
        }
    }
    deserializer.deserialize_map(FieldsVisitor { place, format })
}

/// [`Lenient::deserialize_field_into`] for a struct: `null` gives the
/// default, a map is read over `place` in place. A field given twice is read
/// over its default again, as if it were new (the last one wins whole).
pub(crate) fn deserialize_struct_field_into<'de, T, D>(
    deserializer: D,
    place: &mut T,
    format: Format,
) -> Result<(), D::Error>
where
    T: LenientStruct,
    D: Deserializer<'de>,
{
    struct FieldVisitor<'p, T> {
        place: &'p mut T,
        format: Format,
    }
    impl<'de, T: LenientStruct> Visitor<'de> for FieldVisitor<'_, T> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(T::EXPECTING)
        }
        fn visit_none<E: de::Error>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserialize_fields_into(deserializer, self.place, self.format)
        }
    }
    // Usually the default already (the first time the key is seen), which
    // is cheaper to tell than to replace it.
    if !place.is_pristine() {
        *place = T::default();
    }
    deserializer.deserialize_option(FieldVisitor { place, format })
}

/// Generates a lenient `Deserialize` (with [`Lenient`] and [`LenientStruct`])
/// for a struct that derives `Default` and has an
/// `extra: serde_json::Map<String, Value>` field: known keys are matched
/// without allocation, `null` gives the field's default, unknown keys go to
/// `extra` (see [`Key::store_in`]). Every field's type must implement
/// [`Lenient`].
///
/// ```text
/// lenient_struct!(Usage, "a usage object" {
///     prompt_tokens: "prompt_tokens",
///     completion_tokens: "completion_tokens",
/// });
/// ```
macro_rules! lenient_struct {
    ($ty:ident, $expecting:literal { $($field:ident : $($key:literal)|+),* $(,)? }) => {
        impl $crate::lenient::Pristine for $ty {
            fn is_pristine(&self) -> bool {
                $($crate::lenient::Pristine::is_pristine(&self.$field) &&)*
                    self.extra.is_empty()
            }
        }

        impl $crate::lenient::LenientStruct for $ty {
            const EXPECTING: &'static str = $expecting;

            fn visit_field<'de, A: ::serde::de::MapAccess<'de>>(
                &mut self,
                key: $crate::lenient::Key<'de>,
                map: &mut A,
                format: $crate::lenient::Format,
            ) -> Result<(), A::Error> {
                match key.bytes() {
                    $(k if $(k == $key.as_bytes())||+ => {
                        map.next_value_seed($crate::lenient::FieldIntoSeed {
                            place: &mut self.$field,
                            format,
                        })?;
                    })*
                    _ => key.store_in(map, &mut self.extra)?,
                }
                Ok(())
            }
        }

        impl $crate::lenient::Lenient for $ty {
            fn deserialize_in<'de, D: ::serde::Deserializer<'de>>(
                deserializer: D,
                format: $crate::lenient::Format,
            ) -> Result<Self, D::Error> {
                let mut out = <$ty as ::std::default::Default>::default();
                $crate::lenient::deserialize_fields_into(deserializer, &mut out, format)?;
                Ok(out)
            }

            fn deserialize_field_into<'de, D: ::serde::Deserializer<'de>>(
                deserializer: D,
                place: &mut Self,
                format: $crate::lenient::Format,
            ) -> Result<(), D::Error> {
                $crate::lenient::deserialize_struct_field_into(deserializer, place, format)
            }

            fn deserialize_push<'de, D: ::serde::Deserializer<'de>>(
                deserializer: D,
                vec: &mut Vec<Self>,
                format: $crate::lenient::Format,
            ) -> Result<(), D::Error> {
                vec.push(<$ty as ::std::default::Default>::default());
                match vec.last_mut() {
                    Some(place) => $crate::lenient::deserialize_fields_into(deserializer, place, format),
                    None => Ok(()),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <$ty as $crate::lenient::Lenient>::deserialize_in(deserializer, $crate::lenient::Format::Any)
            }
        }
    };
}

/// Generates an open string enum: known values as unit variants, anything else
/// (including `""`) kept as `Other(String)`, so a provider's new value never
/// fails a parse and is never lost. Known values parse without allocating
/// (and, in [`Format::Json`], without a UTF-8 check).
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $ty:ident {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $ty {
            $($(#[$vmeta])* $variant,)*
            /// A value this crate does not name, kept as sent.
            Other(String),
        }

        impl $ty {
            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(other) => other,
                }
            }

            /// The variant whose text is `bytes`, if any.
            fn known(bytes: &[u8]) -> Option<Self> {
                $(if bytes == $text.as_bytes() {
                    return Some(Self::$variant);
                })*
                None
            }
        }

        impl From<&str> for $ty {
            fn from(value: &str) -> Self {
                Self::known(value.as_bytes()).unwrap_or_else(|| Self::Other(value.to_owned()))
            }
        }

        impl From<String> for $ty {
            fn from(value: String) -> Self {
                Self::known(value.as_bytes()).unwrap_or(Self::Other(value))
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl $crate::lenient::Lenient for $ty {
            fn deserialize_in<'de, D: ::serde::Deserializer<'de>>(
                deserializer: D,
                format: $crate::lenient::Format,
            ) -> Result<Self, D::Error> {
                struct EnumVisitor;
                impl<'de> ::serde::de::Visitor<'de> for EnumVisitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$ty, E> {
                        Ok($ty::from(v))
                    }
                    fn visit_string<E: ::serde::de::Error>(self, v: String) -> Result<$ty, E> {
                        Ok($ty::from(v))
                    }
                    fn visit_bytes<E: ::serde::de::Error>(self, v: &[u8]) -> Result<$ty, E> {
                        match $ty::known(v) {
                            Some(known) => Ok(known),
                            None => $crate::lenient::utf8::<E>(v, &self).map($ty::from),
                        }
                    }
                }
                format.deserialize_string_like(deserializer, EnumVisitor)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <$ty as $crate::lenient::Lenient>::deserialize_in(deserializer, $crate::lenient::Format::Any)
            }
        }
    };
}

pub(crate) use {lenient_struct, string_enum};
