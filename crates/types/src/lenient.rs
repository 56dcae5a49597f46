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
//! The [`Lenient`] trait carries the mode down to nested values, with the
//! [`Bound`] of the parse (see [`budget`]): for a large payload, a budget
//! every allocation is charged to first, with every array with a cap
//! counted, so that a payload past a limit stops the parse before the memory
//! is spent; for a small one, nothing (the charges compile away).
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

pub(crate) mod budget;
mod format;
mod intern;
mod key;
mod macros;
mod structs;
mod value;

pub(crate) use budget::{Bound, Budget, Cx, Unbounded};
pub(crate) use format::{Format, utf8};
pub(crate) use intern::{InternSeed, OptionalIntern};
pub(crate) use key::{Key, KeySeed};
pub(crate) use macros::{lenient_struct, string_enum};
pub(crate) use structs::{
    LenientStruct, Pristine, deserialize_fields_into, deserialize_struct_field_into,
};
pub(crate) use value::{ValueSeed, text_of};

use crate::ParseLimit;

/// Deserialization of a model type under a [`Cx`]: strings read in its
/// [`Format`], allocations charged to its [`Bound`].
///
/// Implemented by the [`lenient_struct!`] and [`string_enum!`] types, by
/// `Option`, `Vec` and `Box` of those, by `String`, and (through their
/// `Deserialize`) by the primitive field types, which allocate nothing.
pub(crate) trait Lenient: Sized {
    /// The limit on how many of these one array may hold, if any.
    const COUNT: Option<ParseLimit> = None;

    /// Deserializes a value.
    fn deserialize_in<'de, D: Deserializer<'de>, B: Bound>(
        deserializer: D,
        cx: Cx<B>,
    ) -> Result<Self, D::Error>;

    /// Deserializes a known field's value: `null` gives the default.
    fn deserialize_field<'de, D: Deserializer<'de>, B: Bound>(
        deserializer: D,
        cx: Cx<B>,
    ) -> Result<Self, D::Error>
    where
        Self: Default,
    {
        deserializer.deserialize_option(NullAsDefault::<B, Self>(cx, PhantomData))
    }

    /// Deserializes a known field's value over `place` (`null` gives the
    /// default). Structs override it to fill `place` where it is instead of
    /// building the value elsewhere and moving it in.
    fn deserialize_field_into<'de, D: Deserializer<'de>, B: Bound>(
        deserializer: D,
        place: &mut Self,
        cx: Cx<B>,
    ) -> Result<(), D::Error>
    where
        Self: Default,
    {
        *place = Self::deserialize_field(deserializer, cx)?;
        Ok(())
    }

    /// Deserializes a value onto the end of `vec`, which has room for it.
    /// Structs override it to fill the element in place.
    fn deserialize_push<'de, D: Deserializer<'de>, B: Bound>(
        deserializer: D,
        vec: &mut Vec<Self>,
        cx: Cx<B>,
    ) -> Result<(), D::Error> {
        vec.push(Self::deserialize_in(deserializer, cx)?);
        Ok(())
    }
}

/// A visitor's answer to a string where it expects something else, without
/// the string in the message. serde's default (`invalid type: string "…"`),
/// and serde_json's own when asked for a map, a sequence or a number, copy
/// the whole string, escaped — up to six times its size, uncharged — so a
/// charged parse asks through `deserialize_any` ([`map_of`], [`seq_of`]) and
/// its visitors answer with this.
macro_rules! refuse_strings {
    () => {
        fn visit_str<E: ::serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err(E::invalid_type(
                ::serde::de::Unexpected::Other("a string"),
                &self,
            ))
        }
        fn visit_bytes<E: ::serde::de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
            Err(E::invalid_type(
                ::serde::de::Unexpected::Other("a string"),
                &self,
            ))
        }
    };
}

pub(crate) use refuse_strings;

/// Asks `deserializer` for a map: through `deserialize_any` when the parse
/// is charged (see [`refuse_strings`]), else directly.
#[inline]
pub(crate) fn map_of<'de, B: Bound, D: Deserializer<'de>, V: Visitor<'de>>(
    deserializer: D,
    visitor: V,
) -> Result<V::Value, D::Error> {
    if B::CHARGED {
        deserializer.deserialize_any(visitor)
    } else {
        deserializer.deserialize_map(visitor)
    }
}

/// Asks `deserializer` for a sequence, as [`map_of`] for a map.
#[inline]
pub(crate) fn seq_of<'de, B: Bound, D: Deserializer<'de>, V: Visitor<'de>>(
    deserializer: D,
    visitor: V,
) -> Result<V::Value, D::Error> {
    if B::CHARGED {
        deserializer.deserialize_any(visitor)
    } else {
        deserializer.deserialize_seq(visitor)
    }
}

/// [`Lenient`] for numbers and booleans, which allocate nothing: through
/// their `Deserialize`, or, when the parse is charged, through
/// `deserialize_any` and a visitor that accepts what `Deserialize` accepts
/// (see [`refuse_strings`]).
macro_rules! lenient_primitive {
    ($($ty:ty => $visitor:ident),* $(,)?) => {
        $(impl $crate::lenient::Lenient for $ty {
            fn deserialize_in<'de, D: ::serde::Deserializer<'de>, B: $crate::lenient::Bound>(
                deserializer: D,
                _cx: $crate::lenient::Cx<B>,
            ) -> Result<Self, D::Error> {
                if B::CHARGED {
                    deserializer.deserialize_any($visitor::<$ty>(PhantomData))
                } else {
                    <$ty as ::serde::Deserialize<'de>>::deserialize(deserializer)
                }
            }
        })*
    };
}

lenient_primitive!(
    u8 => IntegerVisitor,
    u32 => IntegerVisitor,
    u64 => IntegerVisitor,
    i64 => IntegerVisitor,
    f64 => FloatVisitor,
    bool => BoolVisitor,
);

/// An integer, from any JSON integer in its range (as its `Deserialize`).
struct IntegerVisitor<T>(PhantomData<T>);

impl<'de, T: TryFrom<u64> + TryFrom<i64>> Visitor<'de> for IntegerVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }
    refuse_strings!();
}

/// A float, from any JSON number (as `f64`'s `Deserialize`).
struct FloatVisitor<T>(PhantomData<T>);

impl<'de> Visitor<'de> for FloatVisitor<f64> {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    refuse_strings!();
}

/// A boolean.
struct BoolVisitor<T>(PhantomData<T>);

impl<'de> Visitor<'de> for BoolVisitor<bool> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }
    refuse_strings!();
}

/// A string, charged to the budget before it is allocated.
impl Lenient for String {
    fn deserialize_in<'de, D: Deserializer<'de>, B: Bound>(
        deserializer: D,
        cx: Cx<B>,
    ) -> Result<Self, D::Error> {
        struct StringVisitor<B>(B);
        impl<'de, B: Bound> Visitor<'de> for StringVisitor<B> {
            type Value = String;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
                self.0.charge(v.len())?;
                Ok(v.to_owned())
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
                self.0.charge(v.capacity())?;
                Ok(v)
            }
        }
        deserializer.deserialize_string(StringVisitor(cx.bound))
    }
}

/// The seed of a known field: `null` gives the default (see
/// [`Lenient::deserialize_field`]).
pub(crate) struct FieldSeed<B, T>(Cx<B>, PhantomData<T>);

impl<B, T> FieldSeed<B, T> {
    pub(crate) fn new(cx: Cx<B>) -> Self {
        FieldSeed(cx, PhantomData)
    }
}

impl<'de, B: Bound, T: Lenient + Default> DeserializeSeed<'de> for FieldSeed<B, T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        T::deserialize_field(deserializer, self.0)
    }
}

/// The seed of a known field, read over the field (see
/// [`Lenient::deserialize_field_into`]).
pub(crate) struct FieldIntoSeed<'p, B, T> {
    pub(crate) place: &'p mut T,
    pub(crate) cx: Cx<B>,
}

impl<'de, B: Bound, T: Lenient + Default> DeserializeSeed<'de> for FieldIntoSeed<'_, B, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        T::deserialize_field_into(deserializer, self.place, self.cx)
    }
}

/// The seed of an element pushed onto `vec` (see [`Lenient::deserialize_push`]):
/// counted against the element type's limit, and room made for it within the
/// budget. The first element gets a vector of capacity one, not serde's
/// default of four: streams send one choice, one tool-call fragment, and a
/// four-choice vector would be a kilobyte and a half.
pub(crate) struct PushSeed<'v, B, T> {
    pub(crate) vec: &'v mut Vec<T>,
    pub(crate) cx: Cx<B>,
}

impl<'de, B: Bound, T: Lenient> DeserializeSeed<'de> for PushSeed<'_, B, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let Self { vec, cx } = self;
        if let Some(limit) = T::COUNT {
            cx.bound.check_count(limit, vec.len())?;
        }
        cx.bound.reserve_one(vec)?;
        T::deserialize_push(deserializer, vec, cx)
    }
}

struct NullAsDefault<B, T>(Cx<B>, PhantomData<T>);

impl<'de, B: Bound, T: Lenient + Default> Visitor<'de> for NullAsDefault<B, T> {
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
    fn deserialize_in<'de, D: Deserializer<'de>, B: Bound>(
        deserializer: D,
        cx: Cx<B>,
    ) -> Result<Self, D::Error> {
        struct OptionVisitor<B, T>(Cx<B>, PhantomData<T>);
        impl<'de, B: Bound, T: Lenient> Visitor<'de> for OptionVisitor<B, T> {
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
        deserializer.deserialize_option(OptionVisitor(cx, PhantomData))
    }

    /// An optional field is `None` for `null` already: no second check.
    fn deserialize_field<'de, D: Deserializer<'de>, B: Bound>(
        deserializer: D,
        cx: Cx<B>,
    ) -> Result<Self, D::Error> {
        Self::deserialize_in(deserializer, cx)
    }
}

/// A boxed struct, filled in its box rather than moved into it (the box
/// charged first).
impl<T: LenientStruct> Lenient for Box<T> {
    fn deserialize_in<'de, D: Deserializer<'de>, B: Bound>(
        deserializer: D,
        cx: Cx<B>,
    ) -> Result<Self, D::Error> {
        cx.bound.charge(size_of::<T>())?;
        let mut boxed = Box::<T>::default();
        deserialize_fields_into(deserializer, &mut *boxed, cx)?;
        Ok(boxed)
    }
}

/// A boxed sequence (for a rare array field, so that the struct holding it
/// pays one pointer for it): the sequence, then its box (charged).
impl<T: Lenient> Lenient for Box<Vec<T>> {
    fn deserialize_in<'de, D: Deserializer<'de>, B: Bound>(
        deserializer: D,
        cx: Cx<B>,
    ) -> Result<Self, D::Error> {
        cx.bound.charge(size_of::<Vec<T>>())?;
        Vec::<T>::deserialize_in(deserializer, cx).map(Box::new)
    }
}

/// A sequence, element by element through [`PushSeed`].
impl<T: Lenient> Lenient for Vec<T> {
    fn deserialize_in<'de, D: Deserializer<'de>, B: Bound>(
        deserializer: D,
        cx: Cx<B>,
    ) -> Result<Self, D::Error> {
        struct VecVisitor<B, T>(Cx<B>, PhantomData<T>);
        impl<'de, B: Bound, T: Lenient> Visitor<'de> for VecVisitor<B, T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
                let mut out = Vec::new();
                while let Some(()) = seq.next_element_seed(PushSeed {
                    vec: &mut out,
                    cx: self.0,
                })? {}
                Ok(out)
            }
            refuse_strings!();
        }
        seq_of::<B, _, _>(deserializer, VecVisitor(cx, PhantomData))
    }
}

/// Deserializes `T` with no limits: what the `Deserialize` impls of the
/// models do (serde gives them no way to know their input's size).
pub(crate) fn deserialize_unlimited<'de, T: Lenient, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    T::deserialize_in(deserializer, Cx::new(Format::Any, Unbounded))
}
