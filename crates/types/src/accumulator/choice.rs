//! The folding state of one choice ([`ChoiceState`]) and of its tool calls
//! ([`ToolCallState`]): how a chunk's choice is applied to it, which events
//! that reports, and how it becomes the final [`Choice`]. This is where the
//! [folding rules](super) are carried out per choice; the
//! [`Accumulator`](super::Accumulator) keeps the stream-wide fields and the
//! sorted vector of these.

use serde_json::{Map, Value};

use super::filter_results_size;
use super::limits::{Held, allocation, map_size};
use super::merge::merge_fields;
use crate::{
    AccumulateError, AccumulatorEvent, AccumulatorLimits, Annotation, AudioDelta,
    ChatCompletionMessage, Choice, ChoiceLogprobs, ChunkChoice, Content, ContentFilterResults,
    CustomToolCall, FinishReason, FunctionCall, MessageAudio, Role, TokenLogprob, ToolCall,
    ToolCallDelta, ToolType,
};

#[derive(Clone, Debug, Default)]
pub(super) struct ChoiceState {
    pub(super) index: u32,
    pub(super) role: Option<Role>,
    pub(super) content: String,
    pub(super) refusal: Option<String>,
    pub(super) reasoning: String,
    /// Whether any reasoning came as `reasoning_content` or thinking parts
    /// (then the message reports it under that name), not only `reasoning`.
    reasoning_content_named: bool,
    /// Sorted by `index`.
    pub(super) tool_calls: Vec<ToolCallState>,
    /// The tool call the last fragment went to, for done events.
    current_tool: Option<u32>,
    /// Where that call is in `tool_calls` (a hint: checked before use).
    current_slot: Option<usize>,
    function_call: Option<(String, String)>,
    pub(super) finish_reason: Option<FinishReason>,
    logprobs: Option<ChoiceLogprobs>,
    content_filter_results: Option<Box<ContentFilterResults>>,
    /// The choice's fields kept as sent.
    extra: Map<String, Value>,
    /// The delta's fields kept as sent: the message's.
    delta_extra: Map<String, Value>,
    /// The spoken answer so far.
    audio: Option<AudioState>,
    /// The annotations so far, in arrival order.
    annotations: Vec<Annotation>,
    done: bool,
}

/// A spoken answer being folded: the first non-empty `id`, `data` and
/// `transcript` concatenated, the last `expires_at`, other fields by the
/// rule of unnamed fields.
#[derive(Clone, Debug, Default)]
struct AudioState {
    id: String,
    data: String,
    transcript: String,
    expires_at: Option<i64>,
    extra: Map<String, Value>,
}

impl AudioState {
    fn finish(self) -> MessageAudio {
        MessageAudio {
            id: self.id,
            data: self.data,
            transcript: self.transcript,
            expires_at: self.expires_at,
            extra: self.extra,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub(super) struct ToolCallState {
    pub(super) index: u32,
    pub(super) id: String,
    pub(super) kind: Option<ToolType>,
    pub(super) name: String,
    pub(super) arguments: String,
    /// The call's fields kept as sent (Gemini's `extra_content`).
    extra: Map<String, Value>,
    /// Its function's fields kept as sent.
    function_extra: Map<String, Value>,
    /// Whether it calls a custom tool (`custom`: its `arguments` are the
    /// tool's input).
    pub(super) custom: bool,
    /// Its custom part's fields kept as sent.
    custom_extra: Map<String, Value>,
    done: bool,
}

impl ToolCallState {
    /// Marks the call complete: its `ToolCallArgumentsDone` (or
    /// `CustomToolInputDone`) event the first time, `None` after.
    fn done(&mut self, choice: u32) -> Option<AccumulatorEvent<'_>> {
        if std::mem::replace(&mut self.done, true) {
            return None;
        }
        Some(if self.custom {
            AccumulatorEvent::CustomToolInputDone {
                choice,
                index: self.index,
                id: &self.id,
                name: &self.name,
                input: &self.arguments,
            }
        } else {
            AccumulatorEvent::ToolCallArgumentsDone {
                choice,
                index: self.index,
                id: &self.id,
                name: &self.name,
                arguments: &self.arguments,
            }
        })
    }

    /// The folded call.
    fn finish(self) -> ToolCall {
        let custom = self.custom;
        let kind = self.kind.unwrap_or(if custom {
            ToolType::Custom
        } else {
            ToolType::Other(String::new())
        });
        let (function, custom) = if custom {
            let call = CustomToolCall {
                name: self.name,
                input: self.arguments,
                extra: self.custom_extra,
            };
            (None, Some(call))
        } else {
            let call = FunctionCall {
                name: self.name,
                arguments: self.arguments,
                extra: self.function_extra,
            };
            (Some(call), None)
        };
        ToolCall {
            id: self.id,
            kind,
            function,
            custom,
            extra: self.extra,
        }
    }
}

/// The room a tool call takes besides its text: its slot in a growing
/// vector (counted twice) and the first room its arguments get.
const TOOL_CALL_SLOT: usize = 2 * size_of::<ToolCallState>() + ARGUMENTS_START;

/// The room the arguments of a new tool call start with.
const ARGUMENTS_START: usize = 64;

/// The slot for `index` in a sorted vector, inserted if new (within the
/// limits, and counted).
#[inline]
pub(super) fn choice_slot<'c>(
    choices: &'c mut Vec<ChoiceState>,
    index: u32,
    limits: &AccumulatorLimits,
    held: &mut Held<'_>,
) -> Result<&'c mut ChoiceState, AccumulateError> {
    let limit = limits.max_choices;
    // Usually one choice, or the last one again.
    let last = choices.len().checked_sub(1);
    let found = match last.filter(|&at| choices.get(at).is_some_and(|c| c.index == index)) {
        Some(at) => Ok(at),
        None => choices.binary_search_by_key(&index, |c| c.index),
    };
    let at = match found {
        Ok(at) => at,
        Err(at) => {
            if choices.len() >= limit {
                return Err(AccumulateError::TooManyChoices { limit });
            }
            held.take(2 * size_of::<ChoiceState>())?;
            choices.insert(
                at,
                ChoiceState {
                    index,
                    ..ChoiceState::default()
                },
            );
            at
        }
    };
    choices
        .get_mut(at)
        .ok_or(AccumulateError::TooManyChoices { limit })
}

impl ChoiceState {
    pub(super) fn apply<F>(
        &mut self,
        choice: &ChunkChoice,
        limits: &AccumulatorLimits,
        held: &mut Held<'_>,
        on_event: &mut F,
    ) -> Result<(), AccumulateError>
    where
        F: FnMut(AccumulatorEvent<'_>),
    {
        let index = self.index;
        let delta = &choice.delta;
        if let Some(role) = &delta.role {
            if self.role.is_none() && !role.as_str().is_empty() {
                if let Role::Other(text) = role {
                    held.take(allocation(text.len()))?;
                }
                self.role = Some(role.clone());
            }
        }

        // Reasoning first: providers send it before the answer.
        let reasoning_start = self.reasoning.len();
        if let Some(text) = &delta.reasoning_content {
            self.reasoning_content_named = true;
            held.append(&mut self.reasoning, text)?;
        }
        if let Some(text) = &delta.reasoning {
            held.append(&mut self.reasoning, text)?;
        }
        if let Some(content @ Content::Parts(_)) = &delta.content {
            let before = self.reasoning.len();
            content.append_thinking_to(&mut self.reasoning);
            if self.reasoning.len() > before {
                // Parts are measured by appending them; past the budget, they
                // are taken back so the accumulator never holds more.
                if let Err(error) = held.take(2 * (self.reasoning.len() - before)) {
                    // Taken back, room included: what is held stays counted.
                    self.reasoning.truncate(before);
                    self.reasoning.shrink_to(before);
                    return Err(error);
                }
                self.reasoning_content_named = true;
            }
        }
        if self.reasoning.len() > reasoning_start {
            on_event(AccumulatorEvent::ReasoningDelta {
                choice: index,
                delta: self.reasoning.get(reasoning_start..).unwrap_or(""),
                snapshot: &self.reasoning,
            });
        }

        match &delta.content {
            Some(Content::Text(text)) => {
                let grew = held.append(&mut self.content, text)?;
                if grew {
                    on_event(AccumulatorEvent::ContentDelta {
                        choice: index,
                        delta: text,
                        snapshot: &self.content,
                    });
                }
            }
            Some(parts @ Content::Parts(_)) => {
                let start = self.content.len();
                parts.append_text_to(&mut self.content);
                if self.content.len() > start {
                    if let Err(error) = held.take(2 * (self.content.len() - start)) {
                        self.content.truncate(start);
                        self.content.shrink_to(start);
                        return Err(error);
                    }
                    on_event(AccumulatorEvent::ContentDelta {
                        choice: index,
                        delta: self.content.get(start..).unwrap_or(""),
                        snapshot: &self.content,
                    });
                }
            }
            None => {}
        }

        if let Some(text) = &delta.refusal {
            let refusal = self.refusal.get_or_insert_with(String::new);
            if held.append(refusal, text)? {
                on_event(AccumulatorEvent::RefusalDelta {
                    choice: index,
                    delta: text,
                    snapshot: refusal,
                });
            }
        }

        // `if let` and a loop, not a flattened iterator over the option: a
        // dozen instructions fewer per chunk.
        if let Some(fragments) = &delta.tool_calls {
            for fragment in fragments {
                self.apply_tool_call(fragment, limits, held, on_event)?;
            }
        }
        if let Some(audio) = &delta.audio {
            self.apply_audio(audio, held, on_event)?;
        }
        if let Some(annotations) = &delta.annotations {
            for annotation in annotations.iter() {
                held.take(2 * size_of::<Annotation>() + annotation_size(annotation))?;
                self.annotations.push(annotation.clone());
                on_event(AccumulatorEvent::AnnotationAdded {
                    choice: index,
                    annotation,
                });
            }
        }

        if let Some(function) = &delta.function_call {
            let (name, arguments) = self.function_call.get_or_insert_with(Default::default);
            held.first_non_empty(name, function.name.as_deref())?;
            if let Some(piece) = &function.arguments {
                held.append(arguments, piece)?;
            }
        }

        if let Some(logprobs) = &choice.logprobs {
            let into = self.logprobs.get_or_insert_with(ChoiceLogprobs::default);
            for (from, to) in [
                (&logprobs.content, &mut into.content),
                (&logprobs.refusal, &mut into.refusal),
            ] {
                if let Some(entries) = from {
                    let to = to.get_or_insert_with(Vec::new);
                    for entry in entries {
                        held.take(logprob_size(entry))?;
                        to.push(entry.clone());
                    }
                }
            }
        }
        // Azure repeats the same results on every chunk: comparing them is
        // cheaper than copying them again.
        if choice.content_filter_results.is_some()
            && self.content_filter_results != choice.content_filter_results
        {
            held.replace(
                &mut self.content_filter_results,
                &choice.content_filter_results,
                |results| {
                    results.as_deref().map_or(0, |results| {
                        size_of::<ContentFilterResults>() + filter_results_size(results)
                    })
                },
            )?;
        }
        merge_fields(&mut self.extra, &choice.extra, held)?;
        merge_fields(&mut self.delta_extra, &delta.extra, held)?;

        if let Some(reason) = &choice.finish_reason {
            let size = |reason: &FinishReason| match reason {
                FinishReason::Other(text) => allocation(text.len()),
                _ => 0,
            };
            held.resize(self.finish_reason.as_ref().map_or(0, size), size(reason))?;
            self.finish_reason.clone_from(&choice.finish_reason);
            if !self.done {
                self.done = true;
                self.emit_done(on_event);
            }
        }
        Ok(())
    }

    fn apply_tool_call<F>(
        &mut self,
        fragment: &ToolCallDelta,
        limits: &AccumulatorLimits,
        held: &mut Held<'_>,
        on_event: &mut F,
    ) -> Result<(), AccumulateError>
    where
        F: FnMut(AccumulatorEvent<'_>),
    {
        let id = fragment.id.as_deref().filter(|id| !id.is_empty());
        let index = match fragment.index {
            Some(index) => index,
            None => {
                let same_id = id.and_then(|id| self.tool_calls.iter().find(|t| t.id == id));
                match same_id {
                    Some(call) => call.index,
                    None => self
                        .tool_calls
                        .last()
                        .map_or(0, |last| last.index.saturating_add(1)),
                }
            }
        };
        if self.current_tool.is_some_and(|current| current != index) {
            self.finish_current_tool(on_event);
        }
        self.current_tool = Some(index);

        let limit = limits.max_tool_calls;
        // Fragments of one call come in a row: try the last one's slot first.
        let last = self
            .current_slot
            .filter(|&at| self.tool_calls.get(at).is_some_and(|t| t.index == index));
        let found = match last {
            Some(at) => Ok(at),
            None => self.tool_calls.binary_search_by_key(&index, |t| t.index),
        };
        let at = match found {
            Ok(at) => at,
            Err(at) => {
                if self.tool_calls.len() >= limit {
                    return Err(AccumulateError::TooManyToolCalls { limit });
                }
                held.take(TOOL_CALL_SLOT)?;
                self.tool_calls.insert(
                    at,
                    ToolCallState {
                        index,
                        ..ToolCallState::default()
                    },
                );
                at
            }
        };
        self.current_slot = Some(at);
        let Some(call) = self.tool_calls.get_mut(at) else {
            return Err(AccumulateError::TooManyToolCalls { limit });
        };
        held.first_non_empty(&mut call.id, id)?;
        if call.kind.is_none() {
            if let Some(kind) = fragment
                .kind
                .as_ref()
                .filter(|kind| !kind.as_str().is_empty())
            {
                if let ToolType::Other(text) = kind {
                    held.take(allocation(text.len()))?;
                }
                call.kind = Some(kind.clone());
            }
        }
        merge_fields(&mut call.extra, &fragment.extra, held)?;
        let function = fragment.function.as_ref();
        let custom = fragment.custom.as_ref();
        if let Some(function) = function {
            merge_fields(&mut call.function_extra, &function.extra, held)?;
        }
        if let Some(custom) = custom {
            merge_fields(&mut call.custom_extra, &custom.extra, held)?;
            call.custom = true;
        }
        call.custom |= call.kind == Some(ToolType::Custom);
        let name = function
            .and_then(|f| f.name.as_deref())
            .or_else(|| custom.and_then(|c| c.name.as_deref()));
        held.first_non_empty(&mut call.name, name)?;
        let piece = function
            .and_then(|f| f.arguments.as_deref())
            .or_else(|| custom.and_then(|c| c.input.as_deref()))
            .unwrap_or("");
        if call.arguments.capacity() == 0 && !piece.is_empty() && piece.len() <= ARGUMENTS_START {
            // Arguments come a few bytes at a time: start with room for a
            // typical call rather than growing through 8, 16, 32, 64 bytes
            // (that room is counted with the call's slot; a larger first
            // piece is counted by `append` before it is held).
            call.arguments.reserve(ARGUMENTS_START);
        }
        held.append(&mut call.arguments, piece)?;
        on_event(if call.custom {
            AccumulatorEvent::CustomToolInputDelta {
                choice: self.index,
                index,
                id: &call.id,
                name: &call.name,
                delta: piece,
                input: &call.arguments,
            }
        } else {
            AccumulatorEvent::ToolCallArgumentsDelta {
                choice: self.index,
                index,
                id: &call.id,
                name: &call.name,
                delta: piece,
                arguments: &call.arguments,
            }
        });
        Ok(())
    }

    fn apply_audio<F>(
        &mut self,
        piece: &AudioDelta,
        held: &mut Held<'_>,
        on_event: &mut F,
    ) -> Result<(), AccumulateError>
    where
        F: FnMut(AccumulatorEvent<'_>),
    {
        if self.audio.is_none() {
            held.take(size_of::<AudioState>())?;
        }
        let audio = self.audio.get_or_insert_with(AudioState::default);
        held.first_non_empty(&mut audio.id, piece.id.as_deref())?;
        if let Some(data) = &piece.data {
            held.append(&mut audio.data, data)?;
        }
        if piece.expires_at.is_some() {
            audio.expires_at = piece.expires_at;
        }
        merge_fields(&mut audio.extra, &piece.extra, held)?;
        if let Some(text) = &piece.transcript {
            if held.append(&mut audio.transcript, text)? {
                on_event(AccumulatorEvent::AudioTranscriptDelta {
                    choice: self.index,
                    delta: text,
                    snapshot: &audio.transcript,
                });
            }
        }
        Ok(())
    }

    fn finish_current_tool<F>(&mut self, on_event: &mut F)
    where
        F: FnMut(AccumulatorEvent<'_>),
    {
        let Some(current) = self.current_tool else {
            return;
        };
        if let Ok(at) = self.tool_calls.binary_search_by_key(&current, |t| t.index) {
            let choice = self.index;
            if let Some(event) = self
                .tool_calls
                .get_mut(at)
                .and_then(|call| call.done(choice))
            {
                on_event(event);
            }
        }
    }

    fn emit_done<F>(&mut self, on_event: &mut F)
    where
        F: FnMut(AccumulatorEvent<'_>),
    {
        let choice = self.index;
        if !self.reasoning.is_empty() {
            on_event(AccumulatorEvent::ReasoningDone {
                choice,
                reasoning: &self.reasoning,
            });
        }
        if !self.content.is_empty() {
            on_event(AccumulatorEvent::ContentDone {
                choice,
                content: &self.content,
            });
        }
        if let Some(refusal) = self.refusal.as_deref().filter(|r| !r.is_empty()) {
            on_event(AccumulatorEvent::RefusalDone { choice, refusal });
        }
        for call in &mut self.tool_calls {
            if let Some(event) = call.done(choice) {
                on_event(event);
            }
        }
        if let Some(finish_reason) = &self.finish_reason {
            on_event(AccumulatorEvent::ChoiceFinished {
                choice,
                finish_reason,
            });
        }
    }

    pub(super) fn finish(self) -> Choice {
        let tool_calls: Vec<ToolCall> = self
            .tool_calls
            .into_iter()
            .map(ToolCallState::finish)
            .collect();
        let (reasoning_content, reasoning) =
            match (self.reasoning.is_empty(), self.reasoning_content_named) {
                (true, _) => (None, None),
                (false, true) => (Some(self.reasoning), None),
                (false, false) => (None, Some(self.reasoning)),
            };
        Choice {
            index: self.index,
            message: ChatCompletionMessage {
                role: self.role.unwrap_or_else(|| Role::Other(String::new())),
                content: Some(Content::Text(self.content)),
                refusal: self.refusal.filter(|r| !r.is_empty()),
                name: None,
                tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
                tool_call_id: None,
                function_call: self.function_call.map(|(name, arguments)| FunctionCall {
                    name,
                    arguments,
                    extra: Map::new(),
                }),
                reasoning_content,
                reasoning,
                audio: self.audio.map(AudioState::finish),
                annotations: (!self.annotations.is_empty()).then_some(self.annotations),
                extra: self.delta_extra,
            },
            finish_reason: self.finish_reason,
            logprobs: self.logprobs,
            content_filter_results: self.content_filter_results.map(|results| *results),
            extra: self.extra,
        }
    }
}

/// What an annotation holds beyond its slot: its strings and fields kept as
/// sent.
fn annotation_size(annotation: &Annotation) -> usize {
    let citation = annotation.url_citation.as_ref().map_or(0, |citation| {
        allocation(citation.url.len())
            + allocation(citation.title.len())
            + map_size(&citation.extra)
    });
    allocation(annotation.kind.len()) + citation + map_size(&annotation.extra)
}

/// The most memory one logprob entry held in a growing vector can cost: its
/// slot (counted twice), its token and bytes, and its alternatives.
fn logprob_size(entry: &TokenLogprob) -> usize {
    let own = |token: &str, bytes: Option<&Vec<u8>>| {
        allocation(token.len()) + bytes.map_or(0, |bytes| allocation(bytes.len()))
    };
    let alternatives = allocation(size_of::<crate::TopLogprob>() * entry.top_logprobs.len());
    entry.top_logprobs.iter().fold(
        2 * size_of::<TokenLogprob>() + own(&entry.token, entry.bytes.as_ref()) + alternatives,
        |total, top| total.saturating_add(own(&top.token, top.bytes.as_ref())),
    )
}
