//! The caps an [`Accumulator`](super::Accumulator) enforces: the
//! [`AccumulatorLimits`] a caller sets, the [`AccumulateError`] a chunk past
//! them gives, and the [`TextBudget`] that counts the text held against them.
//! Kept apart from the folding so what bounds the accumulator reads in one
//! place.

use std::fmt;

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
    /// The most bytes of text held in all (content, refusal, reasoning,
    /// arguments; default 64 MiB, a hundred times a long answer).
    pub max_text_bytes: usize,
}

impl Default for AccumulatorLimits {
    fn default() -> Self {
        Self {
            max_choices: 128,
            max_tool_calls: 1024,
            max_text_bytes: 64 << 20,
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

    /// Sets [`max_text_bytes`](Self::max_text_bytes).
    pub fn max_text_bytes(mut self, max: usize) -> Self {
        self.max_text_bytes = max;
        self
    }
}

/// A chunk would take the accumulator past one of its [`AccumulatorLimits`].
///
/// The chunk that failed may be partly applied; everything before it is
/// intact, and the accumulator can still be finished.
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
    /// More text than allowed.
    TooMuchText {
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
            AccumulateError::TooMuchText { limit } => {
                write!(f, "the stream has more than {limit} bytes of text")
            }
        }
    }
}

impl std::error::Error for AccumulateError {}

/// The text still allowed, shared by all choices.
pub(super) struct TextBudget<'a> {
    pub(super) used: &'a mut usize,
    pub(super) limit: usize,
}

impl TextBudget<'_> {
    pub(super) fn take(&mut self, bytes: usize) -> Result<(), AccumulateError> {
        match self.used.checked_add(bytes) {
            Some(total) if total <= self.limit => {
                *self.used = total;
                Ok(())
            }
            _ => Err(AccumulateError::TooMuchText { limit: self.limit }),
        }
    }

    /// Appends `text` to `out` within the budget; returns whether it grew.
    pub(super) fn append(&mut self, out: &mut String, text: &str) -> Result<bool, AccumulateError> {
        self.take(text.len())?;
        out.push_str(text);
        Ok(!text.is_empty())
    }
}
