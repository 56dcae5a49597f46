//! The fold of fields this crate does not name (the `extra` maps of chunks,
//! choices, deltas, tool calls and functions): one rule for every value, so
//! that whatever a provider adds tomorrow reaches the folded message — and
//! the next request, when the message is sent back.
//!
//! # The rule, and why
//!
//! Providers stream unnamed fields in three shapes, seen in the captured
//! corpus and in their documentation:
//!
//! - **repeated unchanged** on every chunk: OpenRouter's `provider`,
//!   Perplexity's `citations` array, Groq's `channel`, Azure's filter
//!   blocks. Kept once: an equal value changes nothing (concatenating or
//!   appending would turn one `provider` into `"OpenAIOpenAIOpenAI…"` and one
//!   citation list into as many copies as chunks);
//! - **sent once**, on the chunk where it is known: Gemini's
//!   `extra_content.google.thought_signature` on the first fragment of a tool
//!   call, vLLM's `stop_reason`, OpenRouter's `native_finish_reason`, usage
//!   figures. Kept as sent;
//! - **pieces**: OpenRouter's `reasoning_details`, an array whose elements
//!   arrive one or a few per chunk. Appended in order.
//!
//! So, merging a new value into the one held:
//!
//! - `null` changes nothing (it says "nothing here", not "erase");
//! - objects merge key by key, each key by this same rule (Groq's `x_groq`
//!   brings `id` on its first chunk and `usage` on its last: both are kept);
//! - arrays: an equal array changes nothing; an array that begins with the
//!   one held (a provider resending the whole list so far) replaces it;
//!   any other array is appended;
//! - strings, numbers and booleans: the last value wins. A string is not
//!   concatenated: the unnamed strings providers send are labels and ids
//!   (`channel`, `provider`, `native_finish_reason`), which change rather
//!   than grow; streamed text always comes in named fields, which have
//!   rules of their own.
//!
//! Everything held is counted against the accumulator's budget before it
//! is held.

use serde_json::{Map, Value};

use super::limits::{Held, value_size};
use crate::AccumulateError;
use crate::lenient::budget::map_entry_cost;

/// Merges `from` into the fields held in `into` by the rule above.
#[inline]
pub(super) fn merge_fields(
    into: &mut Map<String, Value>,
    from: &Map<String, Value>,
    held: &mut Held<'_>,
) -> Result<(), AccumulateError> {
    // Usually empty: skip the call and the iterator.
    if from.is_empty() {
        return Ok(());
    }
    merge_entries(into, from, held)
}

fn merge_entries(
    into: &mut Map<String, Value>,
    from: &Map<String, Value>,
    held: &mut Held<'_>,
) -> Result<(), AccumulateError> {
    for (key, value) in from {
        if value.is_null() {
            continue;
        }
        match into.get_mut(key) {
            Some(slot) => merge_value(slot, value, held)?,
            None => {
                held.take(map_entry_cost(into.len(), key.len()).saturating_add(value_size(value)))?;
                into.insert(key.clone(), value.clone());
            }
        }
    }
    Ok(())
}

/// Merges `from` into `into` by the rule above.
fn merge_value(into: &mut Value, from: &Value, held: &mut Held<'_>) -> Result<(), AccumulateError> {
    match (into, from) {
        (_, Value::Null) => Ok(()),
        (Value::Object(into), Value::Object(from)) => merge_entries(into, from, held),
        (Value::Array(into), Value::Array(from)) => merge_array(into, from, held),
        (into, from) if *into == *from => Ok(()),
        (into, from) => {
            held.resize(value_size(into), value_size(from))?;
            into.clone_from(from);
            Ok(())
        }
    }
}

/// An equal array changes nothing; one that begins with the held one
/// replaces it (only its new elements are counted); any other is appended.
fn merge_array(
    into: &mut Vec<Value>,
    from: &[Value],
    held: &mut Held<'_>,
) -> Result<(), AccumulateError> {
    let new = match from.strip_prefix(into.as_slice()) {
        Some(rest) => rest,
        None => from,
    };
    for item in new {
        held.take((2 * size_of::<Value>()).saturating_add(value_size(item)))?;
        into.push(item.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    fn fold(values: &[Value]) -> (Value, usize) {
        let mut used = 0;
        let mut into = Map::new();
        for value in values {
            let Value::Object(from) = value else {
                panic!("objects only")
            };
            let mut held = Held {
                used: &mut used,
                limit: usize::MAX,
            };
            merge_fields(&mut into, from, &mut held).unwrap();
        }
        (Value::Object(into), used)
    }

    #[test]
    fn repeated_values_are_kept_once() {
        let chunk = json!({"provider": "OpenAI", "citations": ["a", "b"], "x": {"k": 1}});
        let (once, used_once) = fold(std::slice::from_ref(&chunk));
        let (thrice, used_thrice) = fold(&[chunk.clone(), chunk.clone(), chunk]);
        assert_eq!(once, thrice);
        assert_eq!(used_once, used_thrice, "nothing more is held");
    }

    #[test]
    fn objects_merge_key_by_key_and_null_erases_nothing() {
        let (folded, _) = fold(&[
            json!({"x_groq": {"id": "req_1"}}),
            json!({"x_groq": {"usage": {"queue_time": 0.1}}, "stop_reason": null}),
            json!({"x_groq": null, "stop_reason": 7}),
        ]);
        assert_eq!(
            folded,
            json!({"x_groq": {"id": "req_1", "usage": {"queue_time": 0.1}}, "stop_reason": 7})
        );
    }

    #[test]
    fn arrays_of_pieces_are_appended_and_growing_lists_replaced() {
        let (pieces, _) = fold(&[
            json!({"reasoning_details": [{"text": "Let"}]}),
            json!({"reasoning_details": [{"text": " me"}]}),
        ]);
        assert_eq!(
            pieces,
            json!({"reasoning_details": [{"text": "Let"}, {"text": " me"}]})
        );
        let (grown, _) = fold(&[
            json!({"citations": ["a"]}),
            json!({"citations": ["a", "b"]}),
            json!({"citations": ["a", "b"]}),
        ]);
        assert_eq!(grown, json!({"citations": ["a", "b"]}));
    }

    #[test]
    fn scalars_and_strings_take_the_last_value() {
        let (folded, used) = fold(&[
            json!({"channel": "analysis", "n": 1}),
            json!({"channel": "final", "n": 2, "flag": true}),
        ]);
        assert_eq!(folded, json!({"channel": "final", "n": 2, "flag": true}));
        let (direct, direct_used) = fold(&[json!({"channel": "final", "n": 2, "flag": true})]);
        assert_eq!(
            used, direct_used,
            "a replaced value is counted as the new one"
        );
        assert_eq!(folded, direct);
    }

    #[test]
    fn what_is_held_is_counted_and_the_limit_bites_before() {
        let mut used = 0;
        let mut into = Map::new();
        let mut held = Held {
            used: &mut used,
            limit: 2_000,
        };
        let mut appended = 0;
        loop {
            // Distinct pieces: an equal one would be a repeat.
            let Value::Object(piece) = json!({"details": [format!("{appended:040}")]}) else {
                unreachable!()
            };
            if merge_fields(&mut into, &piece, &mut held).is_err() {
                break;
            }
            appended += 1;
            assert!(appended < 100, "the limit must bite");
        }
        assert!(appended > 0);
        assert!(*held.used <= 2_000);
        assert_eq!(into["details"].as_array().map(Vec::len), Some(appended));
    }
}
