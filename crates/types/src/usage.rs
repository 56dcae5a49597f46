//! Token usage.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::lenient::lenient_struct;

/// Token counts for a request (`usage`).
///
/// In a stream it arrives once, on the last chunk (OpenAI sends it only with
/// `stream_options.include_usage`, on a chunk with empty `choices`; other
/// providers put it on the finishing chunk or on every chunk). Provider
/// additions (`cost`, `queue_time`, DeepSeek's `prompt_cache_hit_tokens`, …)
/// are kept in [`extra`](Self::extra).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Usage {
    /// Tokens in the prompt.
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub completion_tokens: u64,
    /// Both together.
    pub total_tokens: u64,
    /// A breakdown of the prompt tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
    /// A breakdown of the completion tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion_tokens_details: Option<CompletionTokensDetails>,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(Usage, "a usage object" {
    prompt_tokens: "prompt_tokens",
    completion_tokens: "completion_tokens",
    total_tokens: "total_tokens",
    prompt_tokens_details: "prompt_tokens_details",
    completion_tokens_details: "completion_tokens_details",
});

/// A breakdown of prompt tokens.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PromptTokensDetails {
    /// Tokens read from the prompt cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
    /// Audio input tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_tokens: Option<u64>,
    /// Text input tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_tokens: Option<u64>,
    /// Image input tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_tokens: Option<u64>,
    /// Tokens written to the prompt cache (billed apart from reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_write_tokens: Option<u64>,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(PromptTokensDetails, "prompt token details" {
    cached_tokens: "cached_tokens",
    audio_tokens: "audio_tokens",
    text_tokens: "text_tokens",
    image_tokens: "image_tokens",
    cache_write_tokens: "cache_write_tokens",
});

/// A breakdown of completion tokens.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CompletionTokensDetails {
    /// Tokens spent reasoning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
    /// Audio output tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_tokens: Option<u64>,
    /// Predicted-output tokens that appeared in the completion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted_prediction_tokens: Option<u64>,
    /// Predicted-output tokens that did not (still billed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected_prediction_tokens: Option<u64>,
    /// Text output tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_tokens: Option<u64>,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(CompletionTokensDetails, "completion token details" {
    reasoning_tokens: "reasoning_tokens",
    audio_tokens: "audio_tokens",
    accepted_prediction_tokens: "accepted_prediction_tokens",
    rejected_prediction_tokens: "rejected_prediction_tokens",
    text_tokens: "text_tokens",
});
