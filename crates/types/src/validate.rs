//! go-openai's request checks, as plain functions.
//!
//! Two checks with different standing:
//!
//! - [`check_chat_model`] refuses the 15 legacy completions models, which the
//!   chat endpoint will never serve again: always right, so the client runs
//!   it by default;
//! - [`validate_reasoning_request`] refuses parameters that reasoning models
//!   did not take. OpenAI changes which model takes which parameter every few
//!   months (`gpt-5-chat-latest` takes a temperature; `gpt-5.1` and later
//!   take one with `reasoning_effort: "none"`), and a client-side list that
//!   refuses what the server would accept is a bug the user cannot see
//!   coming. So it is a **best-effort list, as of December 2026**, and the
//!   client runs it only when asked (`ClientBuilder::validate_reasoning_requests`).
//!
//! Errors, rules and order follow go-openai's `checkEndpointSupportsModel`
//! and `ReasoningValidator`, updated for the model families above.

use std::fmt;

use crate::ChatCompletionRequest;

/// A request the checks reject.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValidationError {
    /// The model is a legacy completions model that the chat endpoint does not
    /// serve (go-openai's `ErrChatCompletionInvalidModel`).
    InvalidModel {
        /// The model asked for.
        model: String,
    },
    /// A reasoning model was given `max_tokens` (go-openai's
    /// `ErrReasoningModelMaxTokensDeprecated`).
    ReasoningMaxTokensDeprecated,
    /// A reasoning model was asked for `logprobs` (go-openai's
    /// `ErrReasoningModelLimitationsLogprobs`).
    ReasoningLogprobs,
    /// A reasoning model was given a temperature, `top_p` or `n` other than 1,
    /// or a positive presence or frequency penalty (go-openai's
    /// `ErrReasoningModelLimitationsOther`).
    ReasoningOther,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValidationError::InvalidModel { model } => write!(
                f,
                "this model is not supported with this method, please use CreateCompletion client method instead (model {model:?})"
            ),
            ValidationError::ReasoningMaxTokensDeprecated => f.write_str(
                "this model is not supported MaxTokens, please use MaxCompletionTokens",
            ),
            ValidationError::ReasoningLogprobs => {
                f.write_str("this model has beta-limitations, logprobs not supported")
            }
            ValidationError::ReasoningOther => f.write_str(
                "this model has beta-limitations, temperature, top_p and n are fixed at 1, while presence_penalty and frequency_penalty are fixed at 0",
            ),
        }
    }
}

impl std::error::Error for ValidationError {}

/// The 15 legacy completions models the chat endpoint rejects (exact,
/// case-sensitive names, as go-openai lists them).
pub const LEGACY_COMPLETION_MODELS: [&str; 15] = [
    "code-davinci-002",
    "code-cushman-001",
    "code-davinci-001",
    "text-davinci-003",
    "text-davinci-002",
    "text-curie-001",
    "text-babbage-001",
    "text-ada-001",
    "text-davinci-001",
    "davinci-instruct-beta",
    "davinci",
    "curie-instruct-beta",
    "curie",
    "ada",
    "babbage",
];

/// The model prefixes of reasoning models (a prefix match, as go-openai's).
pub const REASONING_MODEL_PREFIXES: [&str; 4] = ["o1", "o3", "o4", "gpt-5"];

/// Checks that the chat endpoint serves `model`: only the 15 legacy
/// completions models are refused; any other name (every provider's) passes.
///
/// ```
/// use chatstream_types::{ValidationError, check_chat_model};
///
/// assert!(check_chat_model("gpt-4o").is_ok());
/// assert!(check_chat_model("davinci-002").is_ok());
/// assert_eq!(
///     check_chat_model("ada"),
///     Err(ValidationError::InvalidModel { model: "ada".into() }),
/// );
/// ```
pub fn check_chat_model(model: &str) -> Result<(), ValidationError> {
    if LEGACY_COMPLETION_MODELS.contains(&model) {
        Err(ValidationError::InvalidModel {
            model: model.to_owned(),
        })
    } else {
        Ok(())
    }
}

/// Whether `model` is a reasoning model by the checks' list: its name
/// starts with `o1`, `o3`, `o4` or `gpt-5` (go-openai's prefixes), and it is
/// not one of the gpt-5 line's chat models (`gpt-5-chat-latest`,
/// `gpt-5.1-chat-latest`: no reasoning, sampling parameters accepted).
///
/// ```
/// use chatstream_types::is_reasoning_model;
///
/// assert!(is_reasoning_model("o3-mini") && is_reasoning_model("gpt-5.1"));
/// assert!(!is_reasoning_model("gpt-5-chat-latest") && !is_reasoning_model("gpt-4o"));
/// ```
pub fn is_reasoning_model(model: &str) -> bool {
    REASONING_MODEL_PREFIXES
        .iter()
        .any(|prefix| model.starts_with(prefix))
        && !model.contains("-chat")
}

/// Whether `model` is `gpt-5.1` or a later `gpt-5.N` (which take sampling
/// parameters and logprobs when `reasoning_effort` is `none`).
fn takes_sampling_without_reasoning(model: &str) -> bool {
    let Some(minor) = model.strip_prefix("gpt-5.") else {
        return false;
    };
    let digits: &str = minor
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap_or_default();
    digits.parse::<u32>().is_ok_and(|minor| minor >= 1)
}

/// The reasoning-model validator (go-openai's, updated): for a reasoning
/// model ([`is_reasoning_model`]), refuses `max_tokens`, `logprobs`, a
/// temperature / `top_p` / `n` set to anything but 1 (0 included, since
/// go-openai cannot tell 0 from unset it passes 0; we keep its rule: only
/// values above 0 count), and positive penalties — in that order, returning
/// the first failure. Other models always pass, and so do `logprobs`,
/// temperature and `top_p` for `gpt-5.1` and later with `reasoning_effort:
/// "none"` (no reasoning: sampled like a chat model).
///
/// A best-effort list as of December 2026 — OpenAI changes which model
/// takes which parameter every few months, and a list that refuses what the
/// API accepts is worse than the API's own error — so the `chatstream`
/// client runs it only when asked (`validate_reasoning_requests(true)`).
///
/// ```
/// use chatstream_types::{ChatCompletionRequest, ValidationError, validate_reasoning_request};
///
/// let request = ChatCompletionRequest::new("o3-mini", vec![]).max_tokens(100);
/// assert_eq!(
///     validate_reasoning_request(&request),
///     Err(ValidationError::ReasoningMaxTokensDeprecated),
/// );
/// let fixed = ChatCompletionRequest::new("o3-mini", vec![]).max_completion_tokens(100);
/// assert!(validate_reasoning_request(&fixed).is_ok());
/// ```
pub fn validate_reasoning_request(request: &ChatCompletionRequest) -> Result<(), ValidationError> {
    if !is_reasoning_model(&request.model) {
        return Ok(());
    }
    let positive_not_one = |value: Option<f64>| value.is_some_and(|v| v > 0.0 && v != 1.0);
    if request.max_tokens.is_some_and(|tokens| tokens > 0) {
        return Err(ValidationError::ReasoningMaxTokensDeprecated);
    }
    let sampled = takes_sampling_without_reasoning(&request.model)
        && request.reasoning_effort == Some(crate::ReasoningEffort::None);
    if request.logprobs == Some(true) && !sampled {
        return Err(ValidationError::ReasoningLogprobs);
    }
    if (!sampled && (positive_not_one(request.temperature) || positive_not_one(request.top_p)))
        || request.n.is_some_and(|n| n > 0 && n != 1)
        || request.presence_penalty.is_some_and(|p| p > 0.0)
        || request.frequency_penalty.is_some_and(|p| p > 0.0)
    {
        return Err(ValidationError::ReasoningOther);
    }
    Ok(())
}
