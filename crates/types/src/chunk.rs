//! The streamed `chat.completion.chunk` and everything under it.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::lenient::lenient_struct;
use crate::{
    Annotation, AudioDelta, ChoiceLogprobs, Content, ContentFilterResults, FinishReason,
    FunctionCallDelta, PromptFilterResult, Role, ServiceTier, SharedStr, ToolCallDelta, Usage,
};

/// One `chat.completion.chunk`: the `data` of one Server-Sent Event of a
/// streamed chat completion (go-openai's `ChatCompletionStreamResponse`).
///
/// Every field a provider may leave out or send as `null` is optional or has
/// a default (`created: 0`, `id: ""`, no `choices`), and fields this crate
/// does not name are kept in [`extra`](Self::extra), so no provider's stream
/// fails to parse for a missing or added field.
///
/// Parse one with `serde_json::from_slice`, or — in a stream — with a
/// [`ChunkParser`](crate::ChunkParser), which shares what repeats from chunk
/// to chunk instead of parsing and allocating it again.
///
/// ```
/// use chatstream_types::{ChatCompletionChunk, FinishReason};
///
/// let chunk: ChatCompletionChunk = serde_json::from_str(
///     r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o",
///         "choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}],
///         "x_groq":{"id":"req_1"}}"#,
/// ).unwrap();
/// assert_eq!(chunk.model, "gpt-4o");
/// assert_eq!(chunk.choices[0].delta.content_text().as_deref(), Some("Hi"));
/// assert_eq!(chunk.choices[0].finish_reason, Some(FinishReason::Stop));
/// // A field the types do not name is still there.
/// assert_eq!(chunk.extra["x_groq"]["id"], "req_1");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ChatCompletionChunk {
    /// The completion's id, the same on every chunk (Snowflake sends `""`).
    pub id: SharedStr,
    /// `chat.completion.chunk` (some providers send `""` or
    /// `chat.completion.done`).
    pub object: SharedStr,
    /// Unix time in seconds when the completion was created (`0` if absent).
    pub created: i64,
    /// The model that answered.
    pub model: SharedStr,
    /// The backend configuration fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<SharedStr>,
    /// The tier that served the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
    /// The choices this chunk updates: usually one; none on Azure's
    /// prompt-filter chunk and on the usage chunk.
    pub choices: Vec<ChunkChoice>,
    /// Token usage, on the last chunk (see [`Usage`]). Boxed: it is on one
    /// chunk of a stream at most, and inline it would more than double the
    /// size of every chunk, which is moved several times on its way to the
    /// caller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Box<Usage>>,
    /// Azure: content-filter results for the prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_filter_results: Option<Vec<PromptFilterResult>>,
    /// Azure (older API versions): the same as `prompt_filter_results`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_annotations: Option<Vec<PromptFilterResult>>,
    /// Fields this crate does not name, as sent (Perplexity `citations`, Groq
    /// `x_groq`, OpenRouter `provider`, …). `null` values are not kept, nor is
    /// OpenAI's `obfuscation` padding, which carries no information.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ChatCompletionChunk {
    /// Whether every field is at its default (`ChatCompletionChunk::default()`),
    /// told without building one (every field named, so that a new field
    /// cannot be forgotten here). Not `*self == Self::default()`: building
    /// and dropping the default for the comparison cost about 200
    /// instructions per chunk on the client's path (callgrind), some 4 %.
    pub(crate) fn is_default(&self) -> bool {
        let ChatCompletionChunk {
            id,
            object,
            created,
            model,
            system_fingerprint,
            service_tier,
            choices,
            usage,
            prompt_filter_results,
            prompt_annotations,
            extra,
        } = self;
        id.is_empty()
            && object.is_empty()
            && *created == 0
            && model.is_empty()
            && system_fingerprint.is_none()
            && service_tier.is_none()
            && choices.is_empty()
            && usage.is_none()
            && prompt_filter_results.is_none()
            && prompt_annotations.is_none()
            && extra.is_empty()
    }
}

/// One choice's update in a chunk.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ChunkChoice {
    /// Which choice (`0` unless `n > 1`; `0` if absent).
    pub index: u32,
    /// What is new for this choice (empty if absent).
    pub delta: ChunkDelta,
    /// Log probabilities of this chunk's tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<ChoiceLogprobs>,
    /// Set on the choice's last chunk.
    pub finish_reason: Option<FinishReason>,
    /// Azure: content-filter results for this piece of output (boxed: they
    /// are large, and only Azure sends them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_filter_results: Option<Box<ContentFilterResults>>,
    /// Fields this crate does not name, as sent (OpenRouter
    /// `native_finish_reason`, vLLM `stop_reason`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(ChunkChoice, "a chunk choice", counted as Choices {
    index: "index",
    delta: "delta",
    logprobs: "logprobs",
    finish_reason: "finish_reason",
    content_filter_results: "content_filter_results",
});

/// What a chunk adds to a choice (`delta`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ChunkDelta {
    /// The author, usually only on the first chunk (some providers repeat it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// A piece of the answer: a string, or parts (Mistral). See
    /// [`content_text`](Self::content_text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    /// A piece of a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// A piece of reasoning, as DeepSeek, Qwen, xAI and Z.ai name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// A piece of reasoning, as OpenRouter, Groq, vLLM and Ollama name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// Fragments of tool calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
    /// A fragment of a legacy function call (deprecated by OpenAI; boxed, as
    /// it is rare).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_call: Option<Box<FunctionCallDelta>>,
    /// A piece of a spoken answer (boxed, as it is rare).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio: Option<Box<AudioDelta>>,
    /// Annotations of the answer (web-search models' citations), to be
    /// appended in arrival order (boxed, as they are rare: every other
    /// delta pays one pointer for them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Box<Vec<Annotation>>>,
    /// Fields this crate does not name, as sent (OpenRouter
    /// `reasoning_details`, Groq `executed_tools` and `channel`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(ChunkDelta, "a chunk delta" {
    role: "role",
    content: "content",
    refusal: "refusal",
    reasoning_content: "reasoning_content",
    reasoning: "reasoning",
    tool_calls: "tool_calls",
    function_call: "function_call",
    audio: "audio",
    annotations: "annotations",
});

impl ChunkDelta {
    /// The piece of answer text in this delta, whatever its shape: the string,
    /// or the `text` parts of an array. Borrowed when the content is a string.
    pub fn content_text(&self) -> Option<Cow<'_, str>> {
        match self.content.as_ref()? {
            Content::Text(text) => Some(Cow::Borrowed(text)),
            parts => {
                let mut text = String::new();
                parts.append_text_to(&mut text);
                (!text.is_empty()).then_some(Cow::Owned(text))
            }
        }
    }

    /// The piece of reasoning in this delta, whatever the provider called it:
    /// `reasoning_content`, `reasoning`, or Mistral's `thinking` parts.
    ///
    /// ```
    /// use chatstream_types::ChunkDelta;
    ///
    /// let deepseek: ChunkDelta = serde_json::from_str(r#"{"reasoning_content":"Let me"}"#).unwrap();
    /// let groq: ChunkDelta = serde_json::from_str(r#"{"reasoning":"Let me"}"#).unwrap();
    /// assert_eq!(deepseek.reasoning_text(), groq.reasoning_text());
    /// ```
    pub fn reasoning_text(&self) -> Option<Cow<'_, str>> {
        let mut thinking = String::new();
        if let Some(content) = &self.content {
            content.append_thinking_to(&mut thinking);
        }
        match (&self.reasoning_content, &self.reasoning) {
            (Some(text), None) | (None, Some(text)) if thinking.is_empty() => {
                Some(Cow::Borrowed(text))
            }
            (None, None) if thinking.is_empty() => None,
            (first, second) => {
                let mut all = String::new();
                all.push_str(first.as_deref().unwrap_or(""));
                all.push_str(second.as_deref().unwrap_or(""));
                all.push_str(&thinking);
                Some(Cow::Owned(all))
            }
        }
    }
}
