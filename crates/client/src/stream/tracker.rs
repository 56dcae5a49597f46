//! [`ChoiceTracker`]: which choices a stream has seen finish, for telling a
//! finished body from a truncated one; and which chunks carry content, for
//! the time to first token.

use chatstream_types::ChatCompletionChunk;

use super::MAX_TRACKED_CHOICES;

/// Which choices were seen and which finished, for the end state.
#[derive(Debug, Default)]
pub(super) struct ChoiceTracker {
    /// Sorted by index: (index, finished).
    seen: Vec<(u32, bool)>,
}

impl ChoiceTracker {
    pub(super) fn observe(&mut self, chunk: &ChatCompletionChunk) {
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
                Err(at) if self.seen.len() < MAX_TRACKED_CHOICES => {
                    self.seen.insert(at, (choice.index, finished));
                }
                Err(_) => {}
            }
        }
    }

    pub(super) fn all_finished(&self) -> bool {
        !self.seen.is_empty() && self.seen.iter().all(|(_, finished)| *finished)
    }
}

/// Whether a chunk carries something a user sees: text, reasoning, a refusal
/// or a tool call.
pub(super) fn has_content(chunk: &ChatCompletionChunk) -> bool {
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
