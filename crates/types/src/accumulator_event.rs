//! [`AccumulatorEvent`]: what each chunk changed, as the official SDKs report it.

use crate::{Annotation, FinishReason};

/// What a chunk changed, reported by
/// [`Accumulator::push_with`](crate::Accumulator::push_with) as it folds.
///
/// These are the typed events of the official SDKs (openai-python's
/// `content.delta`, `content.done`, `tool_calls.function.arguments.delta`, …),
/// so a UI can render a stream without folding it again. Each borrows the new
/// piece (`delta`) and the text so far (`snapshot`) from the accumulator: no
/// copies.
///
/// "Done" events fire once per item: content, refusal and reasoning when the
/// choice's `finish_reason` arrives; a tool call when the choice moves on to
/// another tool call or finishes. A stream cut off early gets no done events —
/// that is how a UI can tell.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum AccumulatorEvent<'a> {
    /// New answer text.
    ContentDelta {
        /// The choice index.
        choice: u32,
        /// The new text.
        delta: &'a str,
        /// All the text so far, `delta` included.
        snapshot: &'a str,
    },
    /// The answer text is complete.
    ContentDone {
        /// The choice index.
        choice: u32,
        /// The whole text.
        content: &'a str,
    },
    /// New refusal text.
    RefusalDelta {
        /// The choice index.
        choice: u32,
        /// The new text.
        delta: &'a str,
        /// All the refusal so far.
        snapshot: &'a str,
    },
    /// The refusal is complete.
    RefusalDone {
        /// The choice index.
        choice: u32,
        /// The whole refusal.
        refusal: &'a str,
    },
    /// New reasoning text (whatever the provider called it).
    ReasoningDelta {
        /// The choice index.
        choice: u32,
        /// The new text.
        delta: &'a str,
        /// All the reasoning so far.
        snapshot: &'a str,
    },
    /// The reasoning is complete.
    ReasoningDone {
        /// The choice index.
        choice: u32,
        /// The whole reasoning.
        reasoning: &'a str,
    },
    /// A tool-call fragment arrived (its arguments piece may be empty when the
    /// fragment only names the call).
    ToolCallArgumentsDelta {
        /// The choice index.
        choice: u32,
        /// The tool call's index.
        index: u32,
        /// The call's id so far (`""` until known).
        id: &'a str,
        /// The function's name so far (`""` until known).
        name: &'a str,
        /// The new piece of arguments.
        delta: &'a str,
        /// All the arguments so far.
        arguments: &'a str,
    },
    /// A tool call is complete: its arguments can be parsed.
    ToolCallArgumentsDone {
        /// The choice index.
        choice: u32,
        /// The tool call's index.
        index: u32,
        /// The call's id.
        id: &'a str,
        /// The function's name.
        name: &'a str,
        /// The whole arguments.
        arguments: &'a str,
    },
    /// A fragment of a custom tool's call arrived (`"type": "custom"`; its
    /// input piece may be empty when the fragment only names the call).
    CustomToolInputDelta {
        /// The choice index.
        choice: u32,
        /// The tool call's index.
        index: u32,
        /// The call's id so far (`""` until known).
        id: &'a str,
        /// The custom tool's name so far (`""` until known).
        name: &'a str,
        /// The new piece of input.
        delta: &'a str,
        /// All the input so far.
        input: &'a str,
    },
    /// A custom tool's call is complete.
    CustomToolInputDone {
        /// The choice index.
        choice: u32,
        /// The tool call's index.
        index: u32,
        /// The call's id.
        id: &'a str,
        /// The custom tool's name.
        name: &'a str,
        /// The whole input.
        input: &'a str,
    },
    /// A new piece of a spoken answer's transcript (the audio data itself is
    /// folded, not reported piece by piece).
    AudioTranscriptDelta {
        /// The choice index.
        choice: u32,
        /// The new text.
        delta: &'a str,
        /// All the transcript so far.
        snapshot: &'a str,
    },
    /// An annotation (a web-search citation) arrived.
    AnnotationAdded {
        /// The choice index.
        choice: u32,
        /// The annotation.
        annotation: &'a Annotation,
    },
    /// The choice got its `finish_reason` (after its done events).
    ChoiceFinished {
        /// The choice index.
        choice: u32,
        /// Why it finished.
        finish_reason: &'a FinishReason,
    },
}
