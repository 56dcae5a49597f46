//! `chatstream`: streaming chat completions for OpenAI and every
//! OpenAI-compatible provider.
//!
//! **Status: not built yet.** This crate will hold the HTTP client (hyper 1,
//! hyper-util's pooled client, rustls through hyper-rustls, tokio) that sends a
//! `"stream": true` chat-completion request and turns the Server-Sent Events
//! answer into typed chunks with typed end states. It glues the two layers it
//! stands on, which are usable alone today:
//!
//! - [`chatstream_types`] — the serde models and the stream accumulator;
//! - [`chatstream_sse`] — the sans-I/O Server-Sent Events decoder.
//!
//! Until the client lands, this crate only re-exports those two crates so that
//! one dependency gives access to both.

pub use chatstream_sse as sse;
pub use chatstream_types as types;
