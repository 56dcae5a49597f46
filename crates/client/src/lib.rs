//! Streaming chat completions for OpenAI and every OpenAI-compatible provider
//! (Azure OpenAI, DeepSeek, OpenRouter, Groq, Mistral, xAI, Together, vLLM,
//! Ollama, llama.cpp, LiteLLM…).
//!
//! ```no_run
//! # #[cfg(feature = "transport")] mod example {
//! use chatstream::Client;
//! use chatstream::types::{ChatCompletionMessage, ChatCompletionRequest};
//!
//! # async fn run() -> chatstream::Result<()> {
//! let client = Client::from_env()?; // OPENAI_API_KEY, OPENAI_BASE_URL
//! let request = ChatCompletionRequest::new(
//!     "gpt-4o-mini",
//!     vec![ChatCompletionMessage::user("Why is the sky blue?")],
//! );
//! let mut stream = client.create_chat_completion_stream(&request).await?;
//! while let Some(chunk) = stream.next().await {
//!     for choice in &chunk?.choices {
//!         print!("{}", choice.delta.content_text().unwrap_or_default());
//!     }
//! }
//! # Ok(()) }
//! # }
//! ```
//!
//! # Layers
//!
//! This crate is the I/O shell around two sans-I/O crates, re-exported here
//! so one dependency is enough:
//!
//! ```text
//!  hyper (HTTP/1.1, HTTP/2; rustls) ──bytes──▶ chatstream_sse::Decoder ──events──▶
//!      chatstream_types::ChunkParser ──chunks──▶ you (or chatstream_types::Accumulator)
//! ```
//!
//! - [`types`] (`chatstream-types`): the request, chunk, completion and
//!   error models, and the accumulator that folds a stream;
//! - [`sse`] (`chatstream-sse`): the Server-Sent Events decoder.
//!
//! How a chat stream ends is protocol, not transport: the rules (below) live
//! in [`protocol`], a sans-I/O state machine ([`StreamReader`]) that the
//! hyper client only feeds bytes and time. The same rules read a body
//! obtained any other way: [`Client::stream_from_response`] takes an
//! `http::Response` from your own HTTP stack, and [`ChunkStream`] any stream
//! of byte buffers (reqwest's `bytes_stream()`, a recorded body) — with
//! `default-features = false`, that is the whole crate, and it builds
//! without hyper, rustls or tokio.
//!
//! # End states: a finished stream is never confused with a broken one
//!
//! Every stream ends in exactly one way, and the caller can always tell which
//! ([`ChatCompletionStream::end_state`] or the one [`Error`] it yields):
//!
//! | what happened | what you get |
//! |---|---|
//! | `data: [DONE]` | clean end, [`EndState::Done`] |
//! | body ended without `[DONE]`, every choice had a `finish_reason` | clean end, [`EndState::Finished`] |
//! | the server ignored `stream: true` and sent a whole completion | one chunk, then [`EndState::NotStreamed`] |
//! | an error object in the stream (`data: {"error":…}` or `event: error`) | [`ErrorKind::Api`], after every chunk before it |
//! | body ended with a choice unfinished, or with no chunk at all | [`ErrorKind::Truncated`] — never a silent end |
//! | connection reset, body error | [`ErrorKind::Transport`] |
//! | a payload that is not a chunk, an event past the size limit, or a payload past the parse limits (too many choices, too much memory to parse: [`ParseLimits`](crate::types::ParseLimits)) | [`ErrorKind::Decode`], with the payload ([`Error::parse_limit`] names the limit) |
//! | no byte for the idle timeout | [`ErrorKind::Timeout`] |
//! | more consecutive empty-data events than the limit (comments never count) | [`ErrorKind::TooManyEmptyEvents`] |
//!
//! go-openai, async-openai and the official SDKs report a cut-off stream as a
//! normal end; that is the bug this design exists to avoid.
//!
//! # No spawned task, no unbounded channel
//!
//! A [`ChatCompletionStream`] reads from the connection only when polled: a
//! slow consumer applies backpressure through TCP instead of growing a queue,
//! nothing runs in the background, and memory stays bounded (the decoder caps
//! each event, 16 MiB by default; between reads an open stream holds no
//! buffer of hyper's: 10,000 open streams fit in about 200 MB over HTTP/1.1
//! and 72 MB over HTTP/2 — `cargo xtask load --http2`). Dropping the stream
//! closes the HTTP/1.1 connection (or resets the HTTP/2 stream) at once,
//! which also stops the server generating tokens nobody will read. (Over
//! HTTP/2 "through TCP" becomes "through flow control": see below.)
//!
//! # Connections: no stream waits for another
//!
//! A [`Client`] pools its connections (clone it to share them). Over
//! HTTP/1.1 each concurrent stream has a connection of its own. Over HTTP/2
//! (chosen by ALPN over TLS, or [`ClientBuilder::http2_prior_knowledge`])
//! streams share connections, but a server takes only so many concurrent
//! streams on one (`SETTINGS_MAX_CONCURRENT_STREAMS`, often 100 to 256):
//! when every connection carries that many, the client opens another, so a
//! stream never waits for an earlier answer to end (hyper alone would queue
//! it behind them, for as long as they stream). Extra connections close once
//! idle for the [pool idle timeout](ClientBuilder::pool_idle_timeout).
//! HTTP/2 flow-control windows sized for token streams (64 KiB per stream,
//! 16 MiB per connection, both settable) bound what a reader that falls
//! behind lets the server send ahead to 64 KiB, and a connection takes no
//! more streams than its window serves at once, so such a reader never
//! stalls the others.
//!
//! # Timeouts and retries
//!
//! There is no whole-request timeout by default (a long answer is not an
//! error); instead a connect timeout, a timeout for the response head, and an
//! **idle** timeout between bytes of the stream. Requests are retried (2 times
//! by default, exponential backoff with jitter, honouring `Retry-After`,
//! `retry-after-ms` and `x-should-retry`) only before the response starts —
//! never after the first byte, which would duplicate tokens. See
//! [`ClientBuilder`] for every default.
//!
//! # Providers
//!
//! Any OpenAI-compatible server works through [`ClientBuilder::base_url`];
//! provider-specific body fields go through
//! [`ChatCompletionRequest::extra_field`](types::ChatCompletionRequest::extra_field)
//! or [`RequestOptions`]. Azure OpenAI has its own switch,
//! [`ClientBuilder::azure`], for deployment URLs and the `api-key` header.
//!
//! # Configuration from the environment
//!
//! [`Client::from_env`] reads `OPENAI_API_KEY`, `OPENAI_BASE_URL`,
//! `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID`; every builder reads the proxy
//! variables `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` unless
//! told not to. A setter wins over the environment.
//!
//! # The API key, or a credential that changes
//!
//! The key is held in a header value marked sensitive; it never appears in
//! `Debug` output, `Display`, errors or logs of this crate. A key that is
//! rotated, or an Entra ID token for Azure OpenAI that expires hourly, comes
//! from [`ClientBuilder::credential_provider`] instead: it is asked before
//! each attempt, and its [`Credential`] is as secret as the key.
//!
//! # Features
//!
//! - `transport` (default): the HTTP client ([`Client`],
//!   [`ChatCompletionStream`]) over hyper, rustls and tokio. Without it:
//!   [`protocol`], the models and the decoder, over your own HTTP stack.
//! - `webpki-roots` (default): trust the Mozilla roots bundled in the binary.
//! - `native-roots`: trust the operating system's roots.
//! - `tracing`: one `tracing` span per call carrying OpenTelemetry's GenAI
//!   attributes (`gen_ai.request.model`, `gen_ai.response.id`,
//!   `gen_ai.response.finish_reasons`, `gen_ai.usage.*`, the time to the
//!   first chunk, attempts, the end state) and an event per retry; nothing
//!   is recorded without a subscriber, and no credential ever is.
//!
//! The client needs a Tokio runtime with the time driver enabled.

#[cfg(feature = "transport")]
mod azure;
#[cfg(feature = "transport")]
mod body;
#[cfg(feature = "transport")]
mod builder;
#[cfg(feature = "transport")]
mod client;
#[cfg(feature = "transport")]
mod connect;
#[cfg(feature = "transport")]
mod credential;
mod deadline;
#[cfg(feature = "transport")]
mod env;
mod error;
#[cfg(feature = "transport")]
mod error_body;
#[cfg(feature = "transport")]
mod head_timer;
#[cfg(feature = "transport")]
mod options;
mod parser_pool;
#[cfg(feature = "transport")]
mod pool;
pub mod protocol;
#[cfg(feature = "transport")]
mod proxy;
mod rate_limit;
#[cfg(feature = "transport")]
mod response_body;
#[cfg(feature = "transport")]
mod retry;
#[cfg(feature = "transport")]
mod settings;
mod snippet;
#[cfg(feature = "transport")]
mod stream;
mod timing;
#[cfg(feature = "transport")]
mod tls;
#[cfg(feature = "transport")]
mod trace;

#[cfg(feature = "transport")]
pub use azure::default_deployment as azure_default_deployment;
#[cfg(feature = "transport")]
pub use builder::{ClientBuilder, OPENAI_BASE_URL};
#[cfg(feature = "transport")]
pub use client::Client;
#[cfg(feature = "transport")]
pub use credential::Credential;
pub use deadline::Deadline;
pub use error::{Error, ErrorKind, Result};
#[cfg(feature = "transport")]
pub use options::RequestOptions;
pub use protocol::{ChunkStream, Collected, EndState, StreamReader};
pub use rate_limit::RateLimits;
#[cfg(feature = "transport")]
pub use stream::ChatCompletionStream;
pub use timing::StreamTiming;

pub use chatstream_sse as sse;
pub use chatstream_types as types;
/// The rustls this crate is built with, for
/// [`ClientBuilder::tls_config`].
#[cfg(feature = "transport")]
pub use rustls;

/// The README's example, compiled by `cargo test --doc`.
#[cfg(all(doctest, feature = "transport"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
