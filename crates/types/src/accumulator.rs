//! [`Accumulator`]: folds the chunks of a stream into a [`ChatCompletion`].
//!
//! # Folding rules
//!
//! Providers disagree on almost everything a chunk may repeat or omit, so the
//! rules are chosen to be right on all of them (the captured corpus under
//! `tests/data/fixtures` holds 59 real streams from 17 provider groups and
//! six independent servers, and every one folds to its recorded result):
//!
//! - choices and tool calls are keyed by `index`, kept sparse (a first tool
//!   call at index 1 stays index 1) and sorted;
//! - a tool-call fragment without `index` joins the call with the same
//!   non-empty `id`, or else starts a new call after the highest index;
//! - `content`, `refusal`, reasoning and tool-call `arguments` are
//!   concatenated in arrival order;
//! - `role`, tool-call `id`, `type` and function `name` take the **first
//!   non-empty** value (many providers repeat them in every fragment, and
//!   concatenating them — as openai-python does with `role` — is a bug);
//! - reasoning is one text whatever the provider called it:
//!   `reasoning_content` (DeepSeek, Qwen, xAI), `reasoning` (OpenRouter, Groq,
//!   vLLM, Ollama) or Mistral's `thinking` content parts (whose `text` parts go
//!   to the content);
//! - `finish_reason` is the last non-null value; `usage` the last non-null
//!   one; `id`, `model`, `created` and `system_fingerprint` the first
//!   non-empty; logprobs are appended;
//! - chunks with empty `choices` (Azure's prompt-filter chunk, the usage chunk)
//!   change no choice.
//!
//! # Bounded
//!
//! A hostile stream cannot make the accumulator allocate by index: choices and
//! tool calls live in sorted vectors holding only the indices that occur (an
//! index of 4 000 000 costs one slot, not four million), their number is capped,
//! and so is the total text held. See [`AccumulatorLimits`].

use std::fmt;

use serde_json::{Map, Value};

use crate::{
    AccumulatorEvent, ChatCompletion, ChatCompletionChunk, ChatCompletionMessage, Choice,
    ChoiceLogprobs, ChunkChoice, Content, ContentFilterResults, FinishReason, FunctionCall,
    PromptFilterResult, Role, ServiceTier, ToolCall, ToolCallDelta, ToolType, Usage,
};

/// Caps on what one [`Accumulator`] holds, whatever a server sends.
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

/// Folds the chunks of one stream into a final [`ChatCompletion`], and reports
/// what each chunk changed (see [`AccumulatorEvent`]).
///
/// The rules are in the [module docs](crate::accumulator); they fold every
/// provider's stream in the captured corpus correctly, where the official
/// SDKs' accumulators corrupt or reject about a quarter of them.
///
/// ```
/// use chatstream_types::{Accumulator, AccumulatorEvent, ChatCompletionChunk};
///
/// let chunks = [
///     r#"{"id":"c1","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
///     r#"{"id":"c1","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}"#,
///     r#"{"id":"c1","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}}]}"#,
///     r#"{"id":"c1","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}}]}"#,
///     r#"{"id":"c1","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
/// ];
/// let mut accumulator = Accumulator::new();
/// let mut finished_calls = Vec::new();
/// for json in chunks {
///     let chunk: ChatCompletionChunk = serde_json::from_str(json)?;
///     accumulator.push_with(&chunk, |event| {
///         if let AccumulatorEvent::ToolCallArgumentsDone { name, arguments, .. } = event {
///             finished_calls.push(format!("{name}({arguments})"));
///         }
///     })?;
/// }
/// assert_eq!(finished_calls, [r#"get_weather({"city":"Paris"})"#]);
///
/// let completion = accumulator.finish();
/// let call = &completion.choices[0].message.tool_calls.as_ref().unwrap()[0];
/// let arguments: serde_json::Value = serde_json::from_str(&call.function.arguments)?;
/// assert_eq!(arguments["city"], "Paris");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Accumulator {
    limits: AccumulatorLimits,
    chunks: u64,
    text_bytes: usize,
    id: String,
    created: i64,
    model: String,
    system_fingerprint: Option<String>,
    service_tier: Option<ServiceTier>,
    usage: Option<Usage>,
    prompt_filter_results: Option<Vec<PromptFilterResult>>,
    extra: Map<String, Value>,
    /// Sorted by `index`.
    choices: Vec<ChoiceState>,
}

#[derive(Clone, Debug, Default)]
struct ChoiceState {
    index: u32,
    role: Option<Role>,
    content: String,
    refusal: Option<String>,
    reasoning: String,
    /// Whether any reasoning came as `reasoning_content` or thinking parts
    /// (then the message reports it under that name), not only `reasoning`.
    reasoning_content_named: bool,
    /// Sorted by `index`.
    tool_calls: Vec<ToolCallState>,
    /// The tool call the last fragment went to, for done events.
    current_tool: Option<u32>,
    /// Where that call is in `tool_calls` (a hint: checked before use).
    current_slot: Option<usize>,
    function_call: Option<(String, String)>,
    finish_reason: Option<FinishReason>,
    logprobs: Option<ChoiceLogprobs>,
    content_filter_results: Option<Box<ContentFilterResults>>,
    extra: Map<String, Value>,
    done: bool,
}

#[derive(Clone, Debug, Default)]
struct ToolCallState {
    index: u32,
    id: String,
    kind: Option<ToolType>,
    name: String,
    arguments: String,
    done: bool,
}

impl Accumulator {
    /// An empty accumulator with the default [`AccumulatorLimits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty accumulator with `limits`.
    pub fn with_limits(limits: AccumulatorLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// Folds one chunk in.
    pub fn push(&mut self, chunk: &ChatCompletionChunk) -> Result<(), AccumulateError> {
        self.push_with(chunk, |_| {})
    }

    /// Folds one chunk in, calling `on_event` for each change (see
    /// [`AccumulatorEvent`]).
    pub fn push_with<F>(
        &mut self,
        chunk: &ChatCompletionChunk,
        mut on_event: F,
    ) -> Result<(), AccumulateError>
    where
        F: FnMut(AccumulatorEvent<'_>),
    {
        self.chunks += 1;
        if self.id.is_empty() && !chunk.id.is_empty() {
            self.id = chunk.id.as_str().to_owned();
        }
        if self.model.is_empty() && !chunk.model.is_empty() {
            self.model = chunk.model.as_str().to_owned();
        }
        if self.created == 0 {
            self.created = chunk.created;
        }
        if let Some(fingerprint) = &chunk.system_fingerprint {
            if self.system_fingerprint.is_none() && !fingerprint.is_empty() {
                self.system_fingerprint = Some(fingerprint.as_str().to_owned());
            }
        }
        if chunk.service_tier.is_some() {
            self.service_tier.clone_from(&chunk.service_tier);
        }
        if chunk.usage.is_some() {
            self.usage.clone_from(&chunk.usage);
        }
        for results in [&chunk.prompt_filter_results, &chunk.prompt_annotations]
            .into_iter()
            .flatten()
        {
            self.prompt_filter_results
                .get_or_insert_with(Vec::new)
                .extend(results.iter().cloned());
        }
        merge_extra(&mut self.extra, &chunk.extra);
        for choice in &chunk.choices {
            let limits = self.limits;
            let slot = choice_slot(&mut self.choices, choice.index, limits.max_choices)?;
            let mut budget = TextBudget {
                used: &mut self.text_bytes,
                limit: limits.max_text_bytes,
            };
            slot.apply(choice, &limits, &mut budget, &mut on_event)?;
        }
        Ok(())
    }

    /// How many chunks were folded in.
    pub fn chunk_count(&self) -> u64 {
        self.chunks
    }

    /// Whether at least one choice was seen and every choice seen has a
    /// `finish_reason`: the stream's content is complete even if the body
    /// ended without `[DONE]`.
    pub fn all_choices_finished(&self) -> bool {
        !self.choices.is_empty() && self.choices.iter().all(|c| c.finish_reason.is_some())
    }

    /// The completion's id (first non-empty).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The model (first non-empty).
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The usage (last non-null).
    pub fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }

    /// The choices so far, by index.
    pub fn choices(&self) -> impl ExactSizeIterator<Item = ChoiceView<'_>> {
        self.choices.iter().map(|state| ChoiceView { state })
    }

    /// The choice with `index`, if it was seen.
    pub fn choice(&self, index: u32) -> Option<ChoiceView<'_>> {
        self.choices
            .binary_search_by_key(&index, |c| c.index)
            .ok()
            .and_then(|at| self.choices.get(at))
            .map(|state| ChoiceView { state })
    }

    /// The completion folded so far (a copy; the accumulator goes on).
    pub fn snapshot(&self) -> ChatCompletion {
        self.clone().finish()
    }

    /// The folded completion.
    ///
    /// It says what the stream said: a choice whose stream never sent a
    /// `role` has an empty role (`Role::Other("")`; use `Role::Assistant` when
    /// sending the message back), one that never got a `finish_reason` has
    /// none, and `content` is `""` when no content arrived.
    pub fn finish(self) -> ChatCompletion {
        ChatCompletion {
            id: self.id,
            object: "chat.completion".to_owned(),
            created: self.created,
            model: self.model,
            system_fingerprint: self.system_fingerprint,
            service_tier: self.service_tier,
            choices: self.choices.into_iter().map(ChoiceState::finish).collect(),
            usage: self.usage,
            prompt_filter_results: self.prompt_filter_results,
            extra: self.extra,
        }
    }
}

/// A read-only view of one choice while folding.
#[derive(Clone, Copy, Debug)]
pub struct ChoiceView<'a> {
    state: &'a ChoiceState,
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

    /// The function's name (`""` until known).
    pub fn name(&self) -> &'a str {
        &self.state.name
    }

    /// The arguments so far.
    pub fn arguments(&self) -> &'a str {
        &self.state.arguments
    }
}

/// The text still allowed, shared by all choices.
struct TextBudget<'a> {
    used: &'a mut usize,
    limit: usize,
}

impl TextBudget<'_> {
    fn take(&mut self, bytes: usize) -> Result<(), AccumulateError> {
        match self.used.checked_add(bytes) {
            Some(total) if total <= self.limit => {
                *self.used = total;
                Ok(())
            }
            _ => Err(AccumulateError::TooMuchText { limit: self.limit }),
        }
    }

    /// Appends `text` to `out` within the budget; returns whether it grew.
    fn append(&mut self, out: &mut String, text: &str) -> Result<bool, AccumulateError> {
        self.take(text.len())?;
        out.push_str(text);
        Ok(!text.is_empty())
    }
}

/// The slot for `index` in a sorted vector, inserted if new (within `limit`).
#[inline]
fn choice_slot(
    choices: &mut Vec<ChoiceState>,
    index: u32,
    limit: usize,
) -> Result<&mut ChoiceState, AccumulateError> {
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

#[inline]
fn merge_extra(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    // Usually empty: skip the call and the iterator.
    if !from.is_empty() {
        merge_extra_entries(into, from);
    }
}

fn merge_extra_entries(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (key, value) in from {
        into.insert(key.clone(), value.clone());
    }
}

fn first_non_empty(slot: &mut String, value: Option<&str>) {
    if slot.is_empty() {
        if let Some(value) = value {
            slot.push_str(value);
        }
    }
}

impl ChoiceState {
    fn apply<F>(
        &mut self,
        choice: &ChunkChoice,
        limits: &AccumulatorLimits,
        budget: &mut TextBudget<'_>,
        on_event: &mut F,
    ) -> Result<(), AccumulateError>
    where
        F: FnMut(AccumulatorEvent<'_>),
    {
        let index = self.index;
        let delta = &choice.delta;
        if let Some(role) = &delta.role {
            if self.role.is_none() && !role.as_str().is_empty() {
                self.role = Some(role.clone());
            }
        }

        // Reasoning first: providers send it before the answer.
        let reasoning_start = self.reasoning.len();
        if let Some(text) = &delta.reasoning_content {
            self.reasoning_content_named = true;
            budget.append(&mut self.reasoning, text)?;
        }
        if let Some(text) = &delta.reasoning {
            budget.append(&mut self.reasoning, text)?;
        }
        if let Some(content @ Content::Parts(_)) = &delta.content {
            let before = self.reasoning.len();
            content.append_thinking_to(&mut self.reasoning);
            if self.reasoning.len() > before {
                // Parts are measured by appending them; over the budget, they
                // are taken back so the accumulator never holds more.
                if let Err(error) = budget.take(self.reasoning.len() - before) {
                    self.reasoning.truncate(before);
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
                let grew = budget.append(&mut self.content, text)?;
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
                    if let Err(error) = budget.take(self.content.len() - start) {
                        self.content.truncate(start);
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
            if budget.append(refusal, text)? {
                on_event(AccumulatorEvent::RefusalDelta {
                    choice: index,
                    delta: text,
                    snapshot: refusal,
                });
            }
        }

        for fragment in delta.tool_calls.iter().flatten() {
            self.apply_tool_call(fragment, limits, budget, on_event)?;
        }

        if let Some(function) = &delta.function_call {
            let (name, arguments) = self.function_call.get_or_insert_with(Default::default);
            first_non_empty(name, function.name.as_deref().filter(|n| !n.is_empty()));
            if let Some(piece) = &function.arguments {
                budget.append(arguments, piece)?;
            }
        }

        if let Some(logprobs) = &choice.logprobs {
            let into = self.logprobs.get_or_insert_with(ChoiceLogprobs::default);
            for (from, to) in [
                (&logprobs.content, &mut into.content),
                (&logprobs.refusal, &mut into.refusal),
            ] {
                if let Some(entries) = from {
                    to.get_or_insert_with(Vec::new)
                        .extend(entries.iter().cloned());
                }
            }
        }
        // Azure repeats the same results on every chunk: comparing them is
        // cheaper than copying them again.
        if choice.content_filter_results.is_some()
            && self.content_filter_results != choice.content_filter_results
        {
            self.content_filter_results
                .clone_from(&choice.content_filter_results);
        }
        merge_extra(&mut self.extra, &choice.extra);

        if let Some(reason) = &choice.finish_reason {
            self.finish_reason = Some(reason.clone());
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
        budget: &mut TextBudget<'_>,
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
        first_non_empty(&mut call.id, id);
        if call.kind.is_none() {
            call.kind = fragment
                .kind
                .clone()
                .filter(|kind| !kind.as_str().is_empty());
        }
        let function = fragment.function.as_ref();
        first_non_empty(
            &mut call.name,
            function
                .and_then(|f| f.name.as_deref())
                .filter(|name| !name.is_empty()),
        );
        let piece = function.and_then(|f| f.arguments.as_deref()).unwrap_or("");
        if call.arguments.capacity() == 0 && !piece.is_empty() {
            // Arguments come a few bytes at a time: start with room for a
            // typical call rather than growing through 8, 16, 32, 64 bytes.
            call.arguments.reserve(piece.len().max(64));
        }
        budget.append(&mut call.arguments, piece)?;
        on_event(AccumulatorEvent::ToolCallArgumentsDelta {
            choice: self.index,
            index,
            id: &call.id,
            name: &call.name,
            delta: piece,
            arguments: &call.arguments,
        });
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
            if let Some(call) = self.tool_calls.get_mut(at) {
                if !call.done {
                    call.done = true;
                    on_event(AccumulatorEvent::ToolCallArgumentsDone {
                        choice: self.index,
                        index: call.index,
                        id: &call.id,
                        name: &call.name,
                        arguments: &call.arguments,
                    });
                }
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
        for call in self.tool_calls.iter_mut().filter(|call| !call.done) {
            call.done = true;
            on_event(AccumulatorEvent::ToolCallArgumentsDone {
                choice,
                index: call.index,
                id: &call.id,
                name: &call.name,
                arguments: &call.arguments,
            });
        }
        if let Some(finish_reason) = &self.finish_reason {
            on_event(AccumulatorEvent::ChoiceFinished {
                choice,
                finish_reason,
            });
        }
    }

    fn finish(self) -> Choice {
        let tool_calls: Vec<ToolCall> = self
            .tool_calls
            .into_iter()
            .map(|call| ToolCall {
                id: call.id,
                kind: call.kind.unwrap_or_else(|| ToolType::Other(String::new())),
                function: FunctionCall {
                    name: call.name,
                    arguments: call.arguments,
                    extra: Map::new(),
                },
                extra: Map::new(),
            })
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
                extra: Map::new(),
            },
            finish_reason: self.finish_reason,
            logprobs: self.logprobs,
            content_filter_results: self.content_filter_results.map(|results| *results),
            extra: self.extra,
        }
    }
}
