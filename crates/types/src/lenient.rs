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

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};

mod format;
mod intern;
mod key;
mod macros;
mod structs;

pub(crate) use format::{Format, utf8};
pub(crate) use intern::{InternSeed, OptionalIntern};
pub(crate) use key::{Key, KeySeed};
pub(crate) use macros::{lenient_struct, string_enum};
pub(crate) use structs::{
    LenientStruct, Pristine, deserialize_fields_into, deserialize_struct_field_into,
};

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
