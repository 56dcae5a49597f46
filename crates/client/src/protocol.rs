//! The chat-stream protocol, sans-I/O: bytes of a response body in, chunks,
//! errors and the end state out.
//!
//! An OpenAI-compatible stream is more than Server-Sent Events carrying
//! JSON: how it *ends* is part of the protocol, and it is where clients go
//! wrong. A body can end with `data: [DONE]`, end without it after every
//! choice finished (Perplexity, some proxies), carry an error object in an
//! event's data or in an `event: error` event, stop in the middle of an
//! answer, flood the reader with empty events, or be no stream at all (a
//! whole completion or a bare error object from a server that ignored
//! `"stream": true`). The rules that tell these apart live here, once,
//! in [`StreamReader`]: a state machine fed bytes and the time they arrived,
//! with no tokio, hyper or `http` types — the shape of rustls' and
//! quinn-proto's cores. Everything that reads a stream uses it:
//!
//! - [`ChatCompletionStream`](crate::ChatCompletionStream), the client's
//!   stream over hyper, adds only the transport (reading the body, the idle
//!   timer, the response head);
//! - [`ChunkStream`] is a [`Stream`](futures_core::Stream) over any stream of
//!   byte buffers — reqwest's `bytes_stream()`, a file, a test — and is all
//!   that `chatstream` offers with `default-features = false`, which builds
//!   without hyper, rustls or tokio;
//! - reading by hand is [`StreamReader::feed`] and
//!   [`StreamReader::next_item`] in a loop.
//!
//! ```
//! use bytes::Bytes;
//! use chatstream::protocol::StreamReader;
//! use chatstream::EndState;
//!
//! let mut reader = StreamReader::new();
//! let mut text = String::new();
//! let body = "data: {\"id\":\"1\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"m\",\
//!             \"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":\"stop\"}]}\n\n\
//!             data: [DONE]\n\n";
//! reader.feed(Bytes::from(body), std::time::Instant::now());
//! reader.end_of_body();
//! while let Some(item) = reader.next_item() {
//!     for choice in &item?.choices {
//!         text.push_str(&choice.delta.content_text().unwrap_or_default());
//!     }
//! }
//! assert_eq!(text, "Hi");
//! assert_eq!(reader.end_state(), Some(EndState::Done));
//! # Ok::<(), chatstream::Error>(())
//! ```

mod chunk_stream;
mod collect;
mod end_state;
mod prefix;
mod reader;
mod tracker;
mod whole_body;

pub use chunk_stream::ChunkStream;
pub use collect::Collected;
#[cfg(feature = "transport")]
pub(crate) use collect::{collect, end_of};
pub use end_state::EndState;
#[cfg(feature = "transport")]
pub(crate) use reader::DEFAULT_EMPTY_EVENT_LIMIT;
pub use reader::StreamReader;

#[cfg(test)]
mod tests;
