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

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, Visitor};

use crate::SharedStr;

/// A map key, borrowed from the input when it has no escapes.
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Deserializes an optional string into a [`SharedStr`], reusing `cache` when
/// the text is the same as last time (no allocation), and updating it when not.
pub(crate) struct InternSeed<'c> {
    cache: Option<&'c mut Option<SharedStr>>,
}

impl<'c> InternSeed<'c> {
    /// A seed that reuses and updates `cache`.
    pub(crate) fn new(cache: &'c mut Option<SharedStr>) -> Self {
        Self { cache: Some(cache) }
    }

    /// A seed with no cache: always allocates a new string.
    pub(crate) fn fresh() -> InternSeed<'static> {
        InternSeed { cache: None }
    }

    /// Deserializes a non-null string (a `null` is an error).
    pub(crate) fn deserialize_from<'de, D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<SharedStr, D::Error> {
        deserializer.deserialize_str(self)
    }

    fn intern(self, v: &str) -> SharedStr {
        match self.cache {
            Some(cache) => match cache {
                Some(previous) if previous.as_str() == v => previous.clone(),
                _ => {
                    let fresh = SharedStr::from(v);
                    *cache = Some(fresh.clone());
                    fresh
                }
            },
            None => SharedStr::from(v),
        }
    }
}

impl<'de> Visitor<'de> for InternSeed<'_> {
    type Value = SharedStr;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<SharedStr, E> {
        Ok(self.intern(v))
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

/// Stores an unknown field in `extra`, unless its value is `null` (a `null`
/// unknown field says nothing, and skipping it saves an allocation on the
/// providers that send `"stop_reason": null` on every chunk).
pub(crate) fn insert_extra(
    extra: &mut serde_json::Map<String, serde_json::Value>,
    key: Cow<'_, str>,
    value: serde_json::Value,
) {
    if !value.is_null() {
        extra.insert(key.into_owned(), value);
    }
}

/// Generates a lenient `Deserialize` for a struct that derives `Default` and
/// has an `extra: serde_json::Map<String, Value>` field: known keys are matched
/// without allocation, `null` gives the field's default, unknown keys go to
/// `extra` (see [`insert_extra`]).
///
/// ```text
/// lenient_struct!(Usage, "a usage object" {
///     prompt_tokens: "prompt_tokens",
///     completion_tokens: "completion_tokens",
/// });
/// ```
macro_rules! lenient_struct {
    ($ty:ident, $expecting:literal { $($field:ident : $($key:literal)|+),* $(,)? }) => {
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct LenientVisitor;
                impl<'de> ::serde::de::Visitor<'de> for LenientVisitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> Result<$ty, A::Error> {
                        let mut out = <$ty as ::std::default::Default>::default();
                        while let Some(key) = map.next_key::<$crate::lenient::Key<'de>>()? {
                            match &*key.0 {
                                $($($key)|+ => {
                                    out.$field = map.next_value::<Option<_>>()?.unwrap_or_default();
                                })*
                                _ => {
                                    let value = map.next_value::<::serde_json::Value>()?;
                                    $crate::lenient::insert_extra(&mut out.extra, key.0, value);
                                }
                            }
                        }
                        Ok(out)
                    }
                }
                deserializer.deserialize_map(LenientVisitor)
            }
        }
    };
}

/// Generates an open string enum: known values as unit variants, anything else
/// (including `""`) kept as `Other(String)`, so a provider's new value never
/// fails a parse and is never lost. Known values parse without allocating.
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
        }

        impl From<&str> for $ty {
            fn from(value: &str) -> Self {
                match value {
                    $($text => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl From<String> for $ty {
            fn from(value: String) -> Self {
                match value.as_str() {
                    $($text => Self::$variant,)*
                    _ => Self::Other(value),
                }
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

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
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
                }
                deserializer.deserialize_str(EnumVisitor)
            }
        }
    };
}

pub(crate) use {lenient_struct, string_enum};
