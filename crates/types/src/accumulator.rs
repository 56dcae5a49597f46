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
//!   change no choice;
//! - every field this crate does not name — on the chunk, a choice, its
//!   delta, a tool call or its function — is kept, and lands on the
//!   completion, the choice, the message, the tool call or the function, so
//!   that what a provider needs back in the next request (Gemini's
//!   `extra_content.google.thought_signature` on a tool call) goes back. One
//!   rule folds them all: `null` changes nothing; a value equal to the one
//!   held changes nothing (OpenRouter's `provider`, Perplexity's `citations`
//!   repeated on every chunk are kept once, not multiplied); objects merge
//!   key by key by this rule (Groq's `x_groq` brings `id` first and `usage`
//!   last: both are kept); an array that begins with the one held replaces
//!   it, any other is appended (OpenRouter's `reasoning_details` arrive as
//!   pieces); strings, numbers and booleans take the last value — unnamed
//!   strings are labels and ids (`channel`, `native_finish_reason`) that
//!   change rather than grow, while streamed text comes in named fields.
//!   One piece equal to everything held so far (the same one-element array
//!   twice) reads as a repeat and is kept once: a repeat and a piece cannot
//!   be told apart from the bytes.
//!
//! # Bounded
//!
//! A hostile stream cannot make the accumulator allocate by index: choices and
//! tool calls live in sorted vectors holding only the indices that occur (an
//! index of 4 000 000 costs one slot, not four million), their number is
//! capped, and so is everything it holds — text, ids, logprobs, filter
//! results, fields kept as sent — each counted as the most memory it can
//! cost. See [`AccumulatorLimits`].

use serde_json::{Map, Value};

use crate::{
    AccumulatorEvent, ChatCompletion, ChatCompletionChunk, ContentFilterResults, DetectionResult,
    PromptFilterResult, ServiceTier, SeverityResult, Usage,
};

mod choice;
mod limits;
mod merge;
mod view;

use choice::{ChoiceState, choice_slot};
pub use limits::{AccumulateError, AccumulatorLimits};
use limits::{Held, map_size};
use merge::merge_fields;
pub use view::{ChoiceView, ToolCallView};

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
/// let function = call.function.as_ref().ok_or("not a function call")?;
/// let arguments: serde_json::Value = serde_json::from_str(&function.arguments)?;
/// assert_eq!(arguments["city"], "Paris");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Accumulator {
    limits: AccumulatorLimits,
    chunks: u64,
    /// What it holds, as counted against `limits.max_bytes`.
    held_bytes: usize,
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
        let limits = self.limits;
        let mut held = Held {
            used: &mut self.held_bytes,
            limit: limits.max_bytes,
        };
        held.first_non_empty(&mut self.id, Some(&chunk.id))?;
        held.first_non_empty(&mut self.model, Some(&chunk.model))?;
        if self.created == 0 {
            self.created = chunk.created;
        }
        if let Some(fingerprint) = &chunk.system_fingerprint {
            if self.system_fingerprint.is_none() && !fingerprint.is_empty() {
                held.take(fingerprint.len())?;
                self.system_fingerprint = Some(fingerprint.as_str().to_owned());
            }
        }
        if chunk.service_tier.is_some() {
            held.replace(
                &mut self.service_tier,
                &chunk.service_tier,
                |tier| match tier {
                    Some(ServiceTier::Other(text)) => limits::allocation(text.len()),
                    _ => 0,
                },
            )?;
        }
        if let Some(usage) = chunk.usage.as_deref() {
            held.resize(self.usage.as_ref().map_or(0, usage_size), usage_size(usage))?;
            match &mut self.usage {
                Some(kept) => kept.clone_from(usage),
                None => self.usage = Some(usage.clone()),
            }
        }
        // Two plain tests: an iterator over the two options cost some thirty
        // instructions per chunk, and these are almost always absent.
        if let Some(results) = &chunk.prompt_filter_results {
            push_filter_results(&mut self.prompt_filter_results, results, &mut held)?;
        }
        if let Some(results) = &chunk.prompt_annotations {
            push_filter_results(&mut self.prompt_filter_results, results, &mut held)?;
        }
        merge_fields(&mut self.extra, &chunk.extra, &mut held)?;
        for choice in &chunk.choices {
            let slot = choice_slot(&mut self.choices, choice.index, &limits, &mut held)?;
            slot.apply(choice, &limits, &mut held, &mut on_event)?;
        }
        Ok(())
    }

    /// What the accumulator holds, in bytes, as counted against
    /// [`max_bytes`](AccumulatorLimits::max_bytes) (an upper bound of its
    /// memory, beyond a few bytes per buffer).
    pub fn held_bytes(&self) -> usize {
        self.held_bytes
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

/// What a usage object holds beyond its numbers: its fields kept as sent.
fn usage_size(usage: &Usage) -> usize {
    let details = |extra: Option<&Map<String, Value>>| extra.map_or(0, map_size);
    map_size(&usage.extra)
        + details(usage.prompt_tokens_details.as_ref().map(|d| &d.extra))
        + details(usage.completion_tokens_details.as_ref().map(|d| &d.extra))
}

/// Appends `results` to the prompt filter results held in `into`, each
/// counted before it is held.
fn push_filter_results(
    into: &mut Option<Vec<PromptFilterResult>>,
    results: &[PromptFilterResult],
    held: &mut Held<'_>,
) -> Result<(), AccumulateError> {
    let into = into.get_or_insert_with(Vec::new);
    for result in results {
        held.take(2 * size_of::<PromptFilterResult>() + filter_result_size(result))?;
        into.push(result.clone());
    }
    Ok(())
}

/// What a content-filter result holds beyond its own slot.
fn filter_result_size(result: &PromptFilterResult) -> usize {
    map_size(&result.extra)
        + result
            .content_filter_results
            .as_ref()
            .map_or(0, filter_results_size)
}

/// What content-filter results hold: their fields kept as sent, and those of
/// each category.
pub(super) fn filter_results_size(results: &ContentFilterResults) -> usize {
    let severity = |r: &Option<SeverityResult>| r.as_ref().map_or(0, |r| map_size(&r.extra));
    let detection = |r: &Option<DetectionResult>| r.as_ref().map_or(0, |r| map_size(&r.extra));
    map_size(&results.extra)
        + severity(&results.hate)
        + severity(&results.self_harm)
        + severity(&results.sexual)
        + severity(&results.violence)
        + detection(&results.jailbreak)
        + detection(&results.profanity)
        + detection(&results.protected_material_text)
        + detection(&results.protected_material_code)
}
