//! The caps an [`Accumulator`](super::Accumulator) enforces: the
//! [`AccumulatorLimits`] a caller sets, the [`AccumulateError`] a chunk past
//! them gives, and [`Held`], which counts what the accumulator holds against
//! them.
//! Kept apart from the folding so what bounds the accumulator reads in one
//! place.

use std::fmt;

use serde_json::{Map, Value};

pub(super) use crate::lenient::budget::allocation;
use crate::lenient::budget::map_entry_cost;

/// Caps on what one [`Accumulator`](super::Accumulator) holds, whatever a server sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccumulatorLimits {
    /// The most distinct choice indices (default 128, as openai-node and
    /// openai-go cap `n`).
    pub max_choices: usize,
    /// The most distinct tool calls in one choice (default 1024; models call a
    /// handful).
    pub max_tool_calls: usize,
    /// The most memory the accumulator holds, in bytes (default 64 MiB, fifty
    /// times a long answer): everything it keeps counts — text (content,
    /// refusal, reasoning, arguments), ids and names, logprobs, filter
    /// results, fields kept as sent, and the slots of choices and tool calls.
    ///
    /// Each piece is counted as the most memory it can cost: text appended
    /// to a growing string twice its length (a `String` may reserve up to
    /// twice what it holds), a new element of a growing vector twice its
    /// size, a kept JSON value as its nodes and strings. So what the
    /// accumulator holds stays under this limit plus a few bytes per buffer,
    /// whatever the stream.
    pub max_bytes: usize,
}

impl Default for AccumulatorLimits {
    fn default() -> Self {
        Self {
            max_choices: 128,
            max_tool_calls: 1024,
            max_bytes: 64 << 20,
        }
    }
}

impl AccumulatorLimits {
    /// Sets [`max_choices`](Self::max_choices).
    pub fn max_choices(mut self, max: usize) -> Self {
        self.max_choices = max;
        self
    }

    /// Sets [`max_tool_calls`](Self::max_tool_calls).
    pub fn max_tool_calls(mut self, max: usize) -> Self {
        self.max_tool_calls = max;
        self
    }

    /// Sets [`max_bytes`](Self::max_bytes).
    pub fn max_bytes(mut self, max: usize) -> Self {
        self.max_bytes = max;
        self
    }
}

/// A chunk would take the accumulator past one of its [`AccumulatorLimits`].
///
/// The chunk that failed may be partly applied; everything before it is
/// intact, the limits still hold, and the accumulator can still be finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccumulateError {
    /// More distinct choice indices than allowed.
    TooManyChoices {
        /// The limit.
        limit: usize,
    },
    /// More distinct tool calls in one choice than allowed.
    TooManyToolCalls {
        /// The limit.
        limit: usize,
    },
    /// More memory than allowed ([`AccumulatorLimits::max_bytes`]).
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

impl fmt::Display for AccumulateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccumulateError::TooManyChoices { limit } => {
                write!(f, "the stream has more than {limit} choices")
            }
            AccumulateError::TooManyToolCalls { limit } => {
                write!(f, "a choice has more than {limit} tool calls")
            }
            AccumulateError::TooLarge { limit } => {
                write!(f, "folding the stream would hold more than {limit} bytes")
            }
        }
    }
}

impl std::error::Error for AccumulateError {}

/// What the accumulator holds, counted against
/// [`max_bytes`](AccumulatorLimits::max_bytes) (see there for how each piece
/// counts).
pub(super) struct Held<'a> {
    pub(super) used: &'a mut usize,
    pub(super) limit: usize,
}

impl Held<'_> {
    /// Counts `bytes` more, or fails (before the caller allocates them).
    pub(super) fn take(&mut self, bytes: usize) -> Result<(), AccumulateError> {
        match self.used.checked_add(bytes) {
            Some(total) if total <= self.limit => {
                *self.used = total;
                Ok(())
            }
            _ => Err(AccumulateError::TooLarge { limit: self.limit }),
        }
    }

    /// Counts `bytes` fewer (something held was replaced or freed).
    pub(super) fn give_back(&mut self, bytes: usize) {
        *self.used = self.used.saturating_sub(bytes);
    }

    /// Appends `text` to the growing `out`, counted at twice its length;
    /// returns whether `out` grew.
    pub(super) fn append(&mut self, out: &mut String, text: &str) -> Result<bool, AccumulateError> {
        self.take(text.len().saturating_mul(2))?;
        out.push_str(text);
        Ok(!text.is_empty())
    }

    /// Sets `slot` to `value` if it is still empty and `value` is not (the
    /// first non-empty value wins), counted at its length.
    ///
    /// Inlined: it runs several times per chunk, and once the slot is set
    /// it is one test.
    #[inline]
    pub(super) fn first_non_empty(
        &mut self,
        slot: &mut String,
        value: Option<&str>,
    ) -> Result<(), AccumulateError> {
        if let Some(value) = value.filter(|value| slot.is_empty() && !value.is_empty()) {
            self.take(allocation(value.len()))?;
            slot.push_str(value);
        }
        Ok(())
    }

    /// Replaces `held` by `new`, counting the difference of their
    /// [`value_size`]s, through `size` (a `Value`, a map, a struct with maps).
    pub(super) fn replace<T: Clone>(
        &mut self,
        held: &mut T,
        new: &T,
        size: fn(&T) -> usize,
    ) -> Result<(), AccumulateError> {
        self.resize(size(held), size(new))?;
        held.clone_from(new);
        Ok(())
    }

    /// Counts a value held as `old_size` bytes that becomes `new_size`.
    pub(super) fn resize(
        &mut self,
        old_size: usize,
        new_size: usize,
    ) -> Result<(), AccumulateError> {
        if new_size > old_size {
            self.take(new_size - old_size)
        } else {
            self.give_back(old_size - new_size);
            Ok(())
        }
    }
}

/// The most memory a JSON value can hold: its strings, and a slot for each
/// array item (counted twice, as a growing vector may reserve) and object
/// entry (as a parse charges one).
pub(super) fn value_size(value: &Value) -> usize {
    match value {
        Value::String(text) => allocation(text.len()),
        Value::Array(items) => items.iter().fold(0usize, |total, item| {
            total
                .saturating_add(2 * size_of::<Value>())
                .saturating_add(value_size(item))
        }),
        Value::Object(object) => map_size(object),
        _ => 0,
    }
}

/// [`value_size`] of a map of fields kept as sent.
pub(super) fn map_size(map: &Map<String, Value>) -> usize {
    map.iter()
        .enumerate()
        .fold(0usize, |total, (at, (key, value))| {
            total
                .saturating_add(map_entry_cost(at, key.len()))
                .saturating_add(value_size(value))
        })
}
