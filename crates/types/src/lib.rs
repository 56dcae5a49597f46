//! Serde models of OpenAI-compatible chat completions, and an accumulator
//! that folds a stream of chunks into the final completion.
//!
//! This crate does no I/O: it depends on serde and serde_json only, knows
//! nothing of HTTP or Server-Sent Events, and is the layer to take when you
//! have chunks from anywhere (your own transport, a saved stream, a test).
//!
//! ```text
//!   event data (bytes) ──ChunkParser──▶ StreamPayload::{Chunk, Error, Done}
//!                                            │
//!                       ChatCompletionChunk ─┴─▶ Accumulator ──▶ ChatCompletion
//!                                                   │
//!                                                   └─▶ AccumulatorEvent (content delta / done, …)
//! ```
//!
//! # What is in it
//!
//! - the request: [`ChatCompletionRequest`] with [`ChatCompletionMessage`],
//!   [`Tool`], [`ToolChoice`], [`ResponseFormat`] — every optional field an
//!   `Option` that is left out when `None`, so `temperature: 0` is sendable;
//! - the stream: [`ChatCompletionChunk`], [`ChunkChoice`], [`ChunkDelta`],
//!   [`ToolCallDelta`], [`ChoiceLogprobs`], [`Usage`], Azure's
//!   [`ContentFilterResults`]; [`ChunkParser`] parses each event's data into a
//!   [`StreamPayload`] (chunk, in-stream error, or `[DONE]`);
//! - the answer: [`ChatCompletion`], and the error body [`ApiError`] /
//!   [`ErrorResponse`];
//! - [`Accumulator`], which folds chunks into a [`ChatCompletion`] and reports
//!   [`AccumulatorEvent`]s as it goes;
//! - go-openai's request checks: [`check_chat_model`] and
//!   [`validate_reasoning_request`].
//!
//! # Lenient, with nothing lost
//!
//! Real providers stretch the protocol: `created: 0` and `id: ""` (Snowflake,
//! Azure's filter chunk), `object: "chat.completion.done"` (Perplexity), tool
//! calls without `index`, `delta.content` as an array of parts (Mistral),
//! `finish_reason: ""`, reasoning under two different names. The models accept
//! all of it: every field the corpus shows missing or `null` is optional or
//! defaulted, the protocol's enums ([`FinishReason`], [`Role`],
//! [`ServiceTier`], [`ToolType`]) keep unknown values as `Other(String)`, and
//! fields the types do not name land in an `extra` map on each struct, so a
//! provider's additions (Perplexity `citations`, Groq `x_groq`, OpenRouter
//! `provider` and `native_finish_reason`) stay reachable.
//!
//! # Fast
//!
//! The typed path does not pay for that lenience: the visitors match the keys
//! they know as bytes, without allocating and without checking text they
//! already know for UTF-8; they touch `extra` only for a key they do not know
//! (no `#[serde(flatten)]` buffering) and fill structs in place instead of
//! moving them up through every layer of `Result`. [`ChunkParser`] also uses
//! what the chunks of a stream share: the strings every chunk repeats
//! ([`SharedStr`], no allocation), and the bytes a chunk begins and ends with,
//! which it does not parse again when the next chunk has them too. A text
//! chunk costs two allocations — its `choices` vector and its text. How many
//! chunks per second that makes, against async-openai's chunk type through
//! serde_json on three corpora, is measured by `cargo xtask bench --only
//! types` and reported, regenerated with every run, in the repository's
//! [BENCHMARKS.md](https://github.com/chatstream-rs/chatstream/blob/main/BENCHMARKS.md).

pub mod accumulator;
mod accumulator_event;
mod annotation;
mod audio;
mod chunk;
mod completion;
mod content;
mod content_filter;
mod enums;
mod error;
mod lenient;
mod logprobs;
mod message;
mod parse_limits;
mod parser;
mod request;
mod reuse;
mod shared_str;
mod tool;
mod tool_call;
mod usage;
mod validate;

pub use accumulator::{AccumulateError, Accumulator, AccumulatorLimits, ChoiceView, ToolCallView};
pub use accumulator_event::AccumulatorEvent;
pub use annotation::{Annotation, UrlCitation};
pub use audio::{AudioDelta, MessageAudio};
pub use chunk::{ChatCompletionChunk, ChunkChoice, ChunkDelta};
pub use completion::{ChatCompletion, Choice};
pub use content::{Content, ContentPart, FileInput, ImageDetail, ImageUrl, InputAudio};
pub use content_filter::{
    ContentFilterResults, DetectionResult, PromptFilterResult, SeverityResult,
};
pub use enums::{
    FilterSeverity, FinishReason, PromptCacheMode, PromptCacheRetention, ReasoningEffort, Role,
    ServiceTier, ToolType, Verbosity,
};
pub use error::{ApiError, ErrorCode, ErrorResponse, InnerError};
pub use logprobs::{ChoiceLogprobs, TokenLogprob, TopLogprob};
pub use message::ChatCompletionMessage;
pub use parse_limits::{ParseError, ParseLimit, ParseLimits};
pub use parser::{ChunkParser, PayloadKind, StreamPayload};
pub use request::{
    AudioOutput, ChatCompletionRequest, Prediction, PromptCacheOptions, Stop, StreamOptions, Voice,
    WebSearchOptions,
};
pub use shared_str::SharedStr;
pub use tool::{
    CustomToolDefinition, FunctionDefinition, JsonSchemaFormat, ResponseFormat, Tool, ToolChoice,
};
pub use tool_call::{
    CustomToolCall, CustomToolCallDelta, FunctionCall, FunctionCallDelta, ToolCall, ToolCallDelta,
};
pub use usage::{CompletionTokensDetails, PromptTokensDetails, Usage};
pub use validate::{
    LEGACY_COMPLETION_MODELS, REASONING_MODEL_PREFIXES, ValidationError, check_chat_model,
    is_reasoning_model, validate_reasoning_request,
};

/// The README's example, compiled and run by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
