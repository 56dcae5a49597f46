//! Read-only views of the folding state, [`ChoiceView`] and
//! [`ToolCallView`]: what [`Accumulator::choices`](super::Accumulator::choices)
//! and [`Accumulator::choice`](super::Accumulator::choice) hand out, so a
//! caller can read a choice mid-stream without the state's internals being
//! public.

use super::choice::{ChoiceState, ToolCallState};
use crate::{FinishReason, Role, ToolType};

/// A read-only view of one choice while folding.
#[derive(Clone, Copy, Debug)]
pub struct ChoiceView<'a> {
    pub(super) state: &'a ChoiceState,
}

impl<'a> ChoiceView<'a> {
    /// The choice index.
    pub fn index(&self) -> u32 {
        self.state.index
    }

    /// The role, if the stream sent one.
    pub fn role(&self) -> Option<&'a Role> {
        self.state.role.as_ref()
    }

    /// The answer text so far.
    pub fn content(&self) -> &'a str {
        &self.state.content
    }

    /// The refusal so far (`""` if none).
    pub fn refusal(&self) -> &'a str {
        self.state.refusal.as_deref().unwrap_or("")
    }

    /// The reasoning so far, whatever the provider called it.
    pub fn reasoning(&self) -> &'a str {
        &self.state.reasoning
    }

    /// The finish reason, once it arrived.
    pub fn finish_reason(&self) -> Option<&'a FinishReason> {
        self.state.finish_reason.as_ref()
    }

    /// The tool calls so far, by index.
    pub fn tool_calls(&self) -> impl ExactSizeIterator<Item = ToolCallView<'a>> + use<'a> {
        self.state
            .tool_calls
            .iter()
            .map(|state| ToolCallView { state })
    }
}

/// A read-only view of one tool call while folding.
#[derive(Clone, Copy, Debug)]
pub struct ToolCallView<'a> {
    state: &'a ToolCallState,
}

impl<'a> ToolCallView<'a> {
    /// The tool call's index.
    pub fn index(&self) -> u32 {
        self.state.index
    }

    /// Its id (`""` until known).
    pub fn id(&self) -> &'a str {
        &self.state.id
    }

    /// Its type, if the stream sent one.
    pub fn kind(&self) -> Option<&'a ToolType> {
        self.state.kind.as_ref()
    }

    /// The function's (or custom tool's) name (`""` until known).
    pub fn name(&self) -> &'a str {
        &self.state.name
    }

    /// The arguments so far (a custom tool's input, for a custom call).
    pub fn arguments(&self) -> &'a str {
        &self.state.arguments
    }

    /// Whether it calls a custom tool (free-form input, `"type": "custom"`).
    pub fn is_custom(&self) -> bool {
        self.state.custom
    }
}
