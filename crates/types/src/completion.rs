//! The non-streaming `chat.completion` response.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::lenient::lenient_struct;
use crate::{
    ChatCompletionMessage, ChoiceLogprobs, ContentFilterResults, FinishReason, PromptFilterResult,
    ServiceTier, Usage,
};

/// A complete chat completion (`object: "chat.completion"`): the answer to a
/// request without streaming, and what [`Accumulator`](crate::Accumulator)
/// folds a stream into.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ChatCompletion {
    /// The completion's id.
    pub id: String,
    /// `chat.completion`.
    pub object: String,
    /// Unix time in seconds when it was created.
    pub created: i64,
    /// The model that answered.
    pub model: String,
    /// The backend configuration fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
    /// The tier that served the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
    /// The choices, by index.
    pub choices: Vec<Choice>,
    /// Token usage.
    pub usage: Option<Usage>,
    /// Azure: content-filter results for the prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_filter_results: Option<Vec<PromptFilterResult>>,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(ChatCompletion, "a chat.completion object" {
    id: "id",
    object: "object",
    created: "created",
    model: "model",
    system_fingerprint: "system_fingerprint",
    service_tier: "service_tier",
    choices: "choices",
    usage: "usage",
    prompt_filter_results: "prompt_filter_results" | "prompt_annotations",
});

impl ChatCompletion {
    /// The choice with `index`, if any.
    pub fn choice(&self, index: u32) -> Option<&Choice> {
        self.choices.iter().find(|choice| choice.index == index)
    }
}

/// One choice of a [`ChatCompletion`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Choice {
    /// Which choice.
    pub index: u32,
    /// The answer.
    pub message: ChatCompletionMessage,
    /// Why generation stopped (`None` if it never said: a cut-off stream).
    pub finish_reason: Option<FinishReason>,
    /// Token log probabilities, when requested.
    pub logprobs: Option<ChoiceLogprobs>,
    /// Azure: content-filter results for the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_filter_results: Option<ContentFilterResults>,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(Choice, "a completion choice", counted as Choices {
    index: "index",
    message: "message",
    finish_reason: "finish_reason",
    logprobs: "logprobs",
    content_filter_results: "content_filter_results",
});
