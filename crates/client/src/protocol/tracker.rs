//! [`ChoiceTracker`]: which choices a stream has seen finish, for telling a
//! finished body from a truncated one; and which chunks carry content, for
//! the time to first token.

use chatstream_types::{ChatCompletionChunk, ParseError, ParseLimit};

/// Which choices were seen and which finished, for the end state.
///
/// It holds at most as many choices as the stream's parse limits allow
/// ([`ParseLimits::max_choices`](chatstream_types::ParseLimits::max_choices),
/// 128 by default, as the accumulator's), and a chunk that brings one more is
/// an error: a choice it could not track could not be known to have
/// finished, and a truncated stream would pass for a finished one.
#[derive(Debug)]
pub(crate) struct ChoiceTracker {
    /// Sorted by index: (index, finished).
    seen: Vec<(u32, bool)>,
    max: usize,
}

/// A stream brought more distinct choices than allowed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TooManyChoices {
    pub(crate) max: usize,
}

impl TooManyChoices {
    /// The typed error, as a payload with too many choices gives.
    pub(crate) fn error(self) -> ParseError {
        ParseError::Limit {
            limit: ParseLimit::Choices,
            max: self.max,
        }
    }
}

impl ChoiceTracker {
    /// A tracker for at most `max` distinct choices.
    pub(crate) fn new(max: usize) -> Self {
        ChoiceTracker {
            seen: Vec::new(),
            max,
        }
    }

    /// Notes the choices of `chunk` (and which finished).
    pub(crate) fn observe(&mut self, chunk: &ChatCompletionChunk) -> Result<(), TooManyChoices> {
        for choice in &chunk.choices {
            let finished = choice.finish_reason.is_some();
            match self
                .seen
                .binary_search_by_key(&choice.index, |(index, _)| *index)
            {
                Ok(at) => {
                    if let Some(slot) = self.seen.get_mut(at) {
                        slot.1 |= finished;
                    }
                }
                Err(at) if self.seen.len() < self.max => {
                    self.seen.insert(at, (choice.index, finished));
                }
                Err(_) => return Err(TooManyChoices { max: self.max }),
            }
        }
        Ok(())
    }

    pub(crate) fn all_finished(&self) -> bool {
        !self.seen.is_empty() && self.seen.iter().all(|(_, finished)| *finished)
    }
}

/// Whether a chunk carries something a user sees: text, reasoning, a refusal
/// or a tool call.
pub(crate) fn has_content(chunk: &ChatCompletionChunk) -> bool {
    chunk.choices.iter().any(|choice| {
        let delta = &choice.delta;
        delta.content_text().is_some_and(|text| !text.is_empty())
            || delta.reasoning_text().is_some_and(|text| !text.is_empty())
            || delta
                .refusal
                .as_deref()
                .is_some_and(|text| !text.is_empty())
            || delta
                .tool_calls
                .as_ref()
                .is_some_and(|calls| !calls.is_empty())
    })
}
