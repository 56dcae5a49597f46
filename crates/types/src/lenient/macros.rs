//! The macros that generate the models' deserialization:
//! [`lenient_struct!`] for structs with an `extra` map, [`string_enum!`] for
//! the open string enums. They expand to impls of the traits of the parent
//! module, named by `$crate::lenient::…` paths so they work from any module
//! of the crate.

/// Generates a lenient `Deserialize` (with [`Lenient`](super::Lenient) and
/// [`LenientStruct`](super::LenientStruct)) for a struct that derives
/// `Default` and has an `extra: serde_json::Map<String, Value>` field: known
/// keys are matched without allocation, `null` gives the field's default,
/// unknown keys go to `extra` (see [`Key::store_in`](super::Key::store_in)).
/// Every field's type must implement [`Lenient`](super::Lenient).
///
/// ```text
/// lenient_struct!(Usage, "a usage object" {
///     prompt_tokens: "prompt_tokens",
///     completion_tokens: "completion_tokens",
/// });
/// ```
macro_rules! lenient_struct {
    ($ty:ident, $expecting:literal { $($field:ident : $($key:literal)|+),* $(,)? }) => {
        $crate::lenient::lenient_struct!(@impl $ty, $expecting, None, extra {
            $($field: $($key)|+),*
        });
    };
    ($ty:ident, $expecting:literal, counted as $limit:ident { $($field:ident : $($key:literal)|+),* $(,)? }) => {
        $crate::lenient::lenient_struct!(@impl $ty, $expecting, Some($crate::ParseLimit::$limit), extra {
            $($field: $($key)|+),*
        });
    };
    // A struct without an `extra` map: unknown keys are skipped (as a
    // derived `Deserialize` does).
    ($ty:ident, $expecting:literal, closed { $($field:ident : $($key:literal)|+),* $(,)? }) => {
        $crate::lenient::lenient_struct!(@impl $ty, $expecting, None, ignore {
            $($field: $($key)|+),*
        });
    };
    ($ty:ident, $expecting:literal, closed, counted as $limit:ident { $($field:ident : $($key:literal)|+),* $(,)? }) => {
        $crate::lenient::lenient_struct!(@impl $ty, $expecting, Some($crate::ParseLimit::$limit), ignore {
            $($field: $($key)|+),*
        });
    };
    (@unknown extra, $self:ident, $key:ident, $map:ident, $cx:ident) => {
        $key.store_in($map, &mut $self.extra, $cx)?
    };
    // Skipped, but still a UTF-8 key, as serde_json requires of any key (a
    // key read as bytes is not checked otherwise).
    (@unknown ignore, $self:ident, $key:ident, $map:ident, $cx:ident) => {{
        $crate::lenient::utf8::<A::Error>($key.bytes(), &"a UTF-8 key")?;
        $map.next_value::<::serde::de::IgnoredAny>()?;
    }};
    (@pristine extra, $self:ident) => { $self.extra.is_empty() };
    (@pristine ignore, $self:ident) => { true };
    (@check extra, $self:ident, $limits:ident) => {
        $crate::parse_limits::WithinLimits::check(&$self.extra, $limits)
    };
    (@check ignore, $self:ident, $limits:ident) => { Ok(()) };
    (@impl $ty:ident, $expecting:literal, $count:expr, $unknown:ident { $($field:ident : $($key:literal)|+),* }) => {
        impl $crate::lenient::Pristine for $ty {
            fn is_pristine(&self) -> bool {
                $($crate::lenient::Pristine::is_pristine(&self.$field) &&)*
                    $crate::lenient::lenient_struct!(@pristine $unknown, self)
            }
        }

        impl $crate::parse_limits::WithinLimits for $ty {
            fn check(&self, limits: &$crate::ParseLimits) -> Result<(), $crate::ParseError> {
                $($crate::parse_limits::WithinLimits::check(&self.$field, limits)?;)*
                $crate::lenient::lenient_struct!(@check $unknown, self, limits)
            }
        }

        impl $crate::lenient::LenientStruct for $ty {
            const EXPECTING: &'static str = $expecting;

            fn visit_field<'de, A: ::serde::de::MapAccess<'de>, B: $crate::lenient::Bound>(
                &mut self,
                key: $crate::lenient::Key<'de>,
                map: &mut A,
                cx: $crate::lenient::Cx<B>,
            ) -> Result<(), A::Error> {
                match key.bytes() {
                    $(k if $(k == $key.as_bytes())||+ => {
                        map.next_value_seed($crate::lenient::FieldIntoSeed {
                            place: &mut self.$field,
                            cx,
                        })?;
                    })*
                    _ => $crate::lenient::lenient_struct!(@unknown $unknown, self, key, map, cx),
                }
                Ok(())
            }
        }

        impl $crate::lenient::Lenient for $ty {
            const COUNT: Option<$crate::ParseLimit> = $count;

            fn deserialize_in<'de, D: ::serde::Deserializer<'de>, B: $crate::lenient::Bound>(
                deserializer: D,
                cx: $crate::lenient::Cx<B>,
            ) -> Result<Self, D::Error> {
                let mut out = <$ty as ::std::default::Default>::default();
                $crate::lenient::deserialize_fields_into(deserializer, &mut out, cx)?;
                Ok(out)
            }

            fn deserialize_field_into<'de, D: ::serde::Deserializer<'de>, B: $crate::lenient::Bound>(
                deserializer: D,
                place: &mut Self,
                cx: $crate::lenient::Cx<B>,
            ) -> Result<(), D::Error> {
                $crate::lenient::deserialize_struct_field_into(deserializer, place, cx)
            }

            fn deserialize_push<'de, D: ::serde::Deserializer<'de>, B: $crate::lenient::Bound>(
                deserializer: D,
                vec: &mut Vec<Self>,
                cx: $crate::lenient::Cx<B>,
            ) -> Result<(), D::Error> {
                vec.push(<$ty as ::std::default::Default>::default());
                match vec.last_mut() {
                    Some(place) => $crate::lenient::deserialize_fields_into(deserializer, place, cx),
                    None => Ok(()),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::lenient::deserialize_unlimited(deserializer)
            }
        }
    };
}

/// Generates an open string enum: known values as unit variants, anything else
/// (including `""`) kept as `Other(String)`, so a provider's new value never
/// fails a parse and is never lost. Known values parse without allocating
/// (and, in [`Format::Json`](super::Format::Json), without a UTF-8
/// check). A variant may list older spellings after its own
/// (`InMemory => "in_memory" | "in-memory"`): they parse to it, and it is
/// always written with the first.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $ty:ident {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal $(| $alias:literal)*),* $(,)?
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
                $(if bytes == $text.as_bytes() $(|| bytes == $alias.as_bytes())* {
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
            fn deserialize_in<'de, D: ::serde::Deserializer<'de>, B: $crate::lenient::Bound>(
                deserializer: D,
                cx: $crate::lenient::Cx<B>,
            ) -> Result<Self, D::Error> {
                struct EnumVisitor<B>(B);
                impl<'de, B: $crate::lenient::Bound> ::serde::de::Visitor<'de> for EnumVisitor<B> {
                    type Value = $ty;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$ty, E> {
                        match $ty::known(v.as_bytes()) {
                            Some(known) => Ok(known),
                            None => {
                                self.0.charge(v.len())?;
                                Ok($ty::Other(v.to_owned()))
                            }
                        }
                    }
                    fn visit_string<E: ::serde::de::Error>(self, v: String) -> Result<$ty, E> {
                        self.0.charge(v.capacity())?;
                        Ok($ty::from(v))
                    }
                    fn visit_bytes<E: ::serde::de::Error>(self, v: &[u8]) -> Result<$ty, E> {
                        match $ty::known(v) {
                            Some(known) => Ok(known),
                            None => {
                                let text = $crate::lenient::utf8::<E>(v, &self)?;
                                self.visit_str(text)
                            }
                        }
                    }
                }
                cx.format.deserialize_string_like(deserializer, EnumVisitor(cx.bound))
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::lenient::deserialize_unlimited(deserializer)
            }
        }
    };
}

pub(crate) use {lenient_struct, string_enum};
