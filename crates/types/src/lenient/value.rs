//! [`ValueSeed`]: a `serde_json::Value` read within a [`Budget`], for the
//! fields kept as sent (the `extra` maps, content parts of unknown kinds, the
//! loose fields of an error), and [`text_of`], which turns such a value into
//! text within it too.
//!
//! serde_json's own `Value` impl would build any tree the input describes: an
//! array of `[]` costs 32 bytes of `Value` per three bytes of input, and its
//! vector doubles on top of that. Here every array slot, every object entry
//! and every string is charged before it is allocated, and objects count
//! their keys against [`max_extra_keys`](crate::ParseLimits::max_extra_keys).

use std::fmt;
use std::fmt::Write as _;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::key::insert_entry;
use super::{Bound, Cx, KeySeed, utf8};
use crate::ParseLimit;

/// What serde_json hands a visitor's map in place of a number when its
/// `arbitrary_precision` feature is on (which any crate of a build may turn
/// on): only a string that is a JSON number is read as one (no further
/// parse), so that an object a server sent with that key stays an object.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Reads any JSON value into a `Value`, within the context's budget.
///
/// A value kept as sent (an unknown field) has the keys of each of its
/// objects counted against
/// [`max_extra_keys`](crate::ParseLimits::max_extra_keys) as they arrive; a
/// value read to be converted (a content part, an error's message) does not
/// — what it becomes is checked instead (see
/// [`Bound::check_after`](super::Bound::check_after)).
#[derive(Clone, Copy)]
pub(crate) struct ValueSeed<B> {
    cx: Cx<B>,
    kept: bool,
}

impl<B: Bound> ValueSeed<B> {
    /// For a value kept as sent.
    pub(crate) fn kept(cx: Cx<B>) -> Self {
        ValueSeed { cx, kept: true }
    }

    /// For a value read to be converted.
    pub(crate) fn converted(cx: Cx<B>) -> Self {
        ValueSeed { cx, kept: false }
    }
}

impl<'de, B: Bound> DeserializeSeed<'de> for ValueSeed<B> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor(self))
    }
}

struct ValueVisitor<B>(ValueSeed<B>);

impl<'de, B: Bound> Visitor<'de> for ValueVisitor<B> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // As serde_json's own impl: a float JSON cannot hold is null.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.0.cx.bound.charge(v.len())?;
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.0.cx.bound.charge(v.capacity())?;
        Ok(Value::String(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        let text = utf8::<E>(v, &self)?;
        self.visit_str(text)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.0.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(()) = seq.next_element_seed(PushValue {
            items: &mut items,
            seed: self.0,
        })? {}
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let seed = self.0;
        let cx = seed.cx;
        let mut object = Map::new();
        while let Some(key) = map.next_key_seed(KeySeed(cx))? {
            let key = utf8::<A::Error>(key.bytes(), &"a UTF-8 key")?;
            let value = map.next_value_seed(seed)?;
            if object.is_empty() && key == NUMBER_TOKEN {
                if let Some(text) = value.as_str() {
                    // The number may hold a copy of its text.
                    cx.bound.charge(text.len())?;
                    if let Ok(number) = text.parse::<Number>() {
                        return Ok(Value::Number(number));
                    }
                }
            }
            insert_entry(&mut object, key, value, cx, seed.kept)?;
        }
        Ok(Value::Object(object))
    }
}

/// An element of an array pushed onto `items`, room made for it within the
/// budget first.
struct PushValue<'v, B> {
    items: &'v mut Vec<Value>,
    seed: ValueSeed<B>,
}

impl<'de, B: Bound> DeserializeSeed<'de> for PushValue<'_, B> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.seed.cx.bound.reserve_one(self.items)?;
        let value = self.seed.deserialize(deserializer)?;
        self.items.push(value);
        Ok(())
    }
}

/// The text of a loose field (an error's `message`, `type` or `param`): a
/// string as it is, `null` as nothing, an array as its items' texts joined
/// with `", "` (proxies send lists of validation errors), anything else as
/// JSON. What is written is charged to `budget`.
pub(crate) fn text_of<E: de::Error, B: Bound>(value: Value, budget: B) -> Result<String, E> {
    match value {
        Value::Null => Ok(String::new()),
        Value::String(text) => Ok(text),
        other => {
            let mut out = String::new();
            append_text(&mut out, &other, budget)?;
            Ok(out)
        }
    }
}

/// Each piece is charged twice its length: the growing `out` may reserve as
/// much again as it holds.
fn append_text<E: de::Error, B: Bound>(
    out: &mut String,
    value: &Value,
    budget: B,
) -> Result<(), E> {
    match value {
        Value::Null => Ok(()),
        Value::String(text) => {
            budget.charge(text.len().saturating_mul(2))?;
            out.push_str(text);
            Ok(())
        }
        Value::Array(items) => {
            for (at, item) in items.iter().enumerate() {
                if at > 0 {
                    budget.charge(4)?;
                    out.push_str(", ");
                }
                append_text(out, item, budget)?;
            }
            Ok(())
        }
        other => {
            let mut counted = Counted {
                out,
                budget,
                over: false,
            };
            if write!(counted, "{other}").is_err() || counted.over {
                return Err(budget.exceed(ParseLimit::Memory));
            }
            Ok(())
        }
    }
}

/// A `String` written through `fmt`, each piece charged to a budget.
struct Counted<'o, B> {
    out: &'o mut String,
    budget: B,
    over: bool,
}

impl<B: Bound> fmt::Write for Counted<'_, B> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self
            .budget
            .charge::<serde_json::Error>(s.len().saturating_mul(2))
            .is_err()
        {
            self.over = true;
            return Err(fmt::Error);
        }
        self.out.push_str(s);
        Ok(())
    }
}
