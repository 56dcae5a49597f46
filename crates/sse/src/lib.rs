//! `chatstream-sse`: a spec-exact, zero-copy, bounded Server-Sent Events
//! (`text/event-stream`) decoder, a `Stream` adapter, and an encoder.
//!
//! This crate does no I/O, reads no clock and uses no async runtime: it
//! turns bytes into events and events into bytes. The HTTP client
//! (`chatstream`) feeds it response bodies; tests and mock servers use the
//! encoder.
//!
//! ```text
//!  HTTP body pieces ──► Decoder::feed ──► Decoder::next_frame ──► Frame::{Event, Comment, Retry}
//!  (any split)           (queues, no copy)   (one line at a time)
//!
//!  Stream<Result<Bytes, E>> ──► SseStream ──► Stream<Result<Event, StreamError<E>>>
//!
//!  Event / data / comment / retry ──► encode_* / Encoder ──► Vec<u8>
//! ```
//!
//! # Overview
//!
//! - [`Decoder`]: the sans-I/O core. Feed pieces of the body, pull
//!   [`Frame`]s (or owned [`Event`]s, or, fastest, [`EventRef`]s lent by
//!   [`Decoder::next_event_ref`]), call [`Decoder::finish`] at the end to
//!   learn whether the body ended mid-event ([`Leftover`]).
//! - [`SseStream`]: drives a decoder from any `futures_core::Stream` of byte
//!   pieces, passing transport errors through ([`StreamError`]).
//!   [`FrameStream`] also yields comments and retries.
//! - [`encode_event`], [`encode_data`], [`encode_comment`], [`encode_retry`]
//!   and the stateful [`Encoder`]: the inverse, for servers and tests.
//!
//! # Example: decoding
//!
//! ```
//! use chatstream_sse::{Decoder, Frame, Leftover};
//!
//! let mut decoder = Decoder::new();
//! let mut seen = Vec::new();
//! // Pieces may split lines, CRLFs and UTF-8 characters anywhere.
//! for piece in [&b": keep-alive\nretry: 2500\nevent: delta\nid: 7\ndata: h\xC3"[..], b"\xA9\r", b"\n\r\n"] {
//!     decoder.feed_slice(piece);
//!     while let Some(frame) = decoder.next_frame()? {
//!         match frame {
//!             Frame::Event(event) => seen.push(format!("{} {} {}", event.event_type(), event.id(), event.data())),
//!             Frame::Comment(comment) => seen.push(format!("comment {}", comment.text())),
//!             Frame::Retry(retry) => seen.push(format!("retry {retry:?}")),
//!             _ => {} // `Frame` is non-exhaustive
//!         }
//!     }
//! }
//! assert_eq!(seen, ["comment keep-alive", "retry 2.5s", "delta 7 hé"]);
//! assert_eq!(decoder.last_event_id(), "7");
//! assert_eq!(decoder.finish(), Leftover::Nothing);
//! # Ok::<(), chatstream_sse::DecodeError>(())
//! ```
//!
//! # Example: encoding
//!
//! ```
//! use chatstream_sse::{encode_comment, encode_data, encode_event, Decoder, Event};
//!
//! let mut body = Vec::new();
//! encode_comment("keep-alive", &mut body)?;
//! encode_event(&Event::new("{\"n\":1}\n{\"n\":2}").with_event_type("batch"), &mut body)?;
//! encode_data("[DONE]", &mut body);
//! assert_eq!(body, b": keep-alive\nevent: batch\ndata: {\"n\":1}\ndata: {\"n\":2}\n\ndata: [DONE]\n\n");
//!
//! // What cannot be represented is refused, not written.
//! assert!(encode_event(&Event::new("x").with_id("a\nb"), &mut body).is_err());
//!
//! let mut decoder = Decoder::new();
//! decoder.feed(body);
//! assert_eq!(decoder.next_event()?.unwrap().data(), "{\"n\":1}\n{\"n\":2}");
//! assert_eq!(decoder.next_event()?.unwrap().data(), "[DONE]");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Example: adapting a byte stream
//!
//! ```
//! use std::pin::Pin;
//! use std::task::{Context, Poll, Waker};
//!
//! use bytes::Bytes;
//! use chatstream_sse::{Leftover, SseStream, StreamError};
//! use futures_core::Stream;
//!
//! /// Yields its items one by one (a stand-in for an HTTP body).
//! struct Body(std::vec::IntoIter<Result<Bytes, &'static str>>);
//! impl Stream for Body {
//!     type Item = Result<Bytes, &'static str>;
//!     fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
//!         Poll::Ready(self.0.next())
//!     }
//! }
//!
//! /// A minimal executor for streams that never return `Pending` (use your
//! /// runtime and `StreamExt::next().await` in real code).
//! fn collect<S: Stream + Unpin>(mut stream: S) -> Vec<S::Item> {
//!     let mut cx = Context::from_waker(Waker::noop());
//!     let mut items = Vec::new();
//!     while let Poll::Ready(Some(item)) = Pin::new(&mut stream).poll_next(&mut cx) {
//!         items.push(item);
//!     }
//!     items
//! }
//!
//! let body = Body(vec![Ok(Bytes::from("data: a\n\nda")), Err("connection reset")].into_iter());
//! let mut events = SseStream::new(body);
//! let items = collect(&mut events);
//! assert_eq!(items[0].as_ref().ok().map(|e| e.data()), Some("a"));
//! assert!(matches!(items[1], Err(StreamError::Transport("connection reset"))));
//! // The body ended in the middle of a line: the caller can tell.
//! assert_eq!(events.leftover(), Some(Leftover::PartialLine));
//! ```
//!
//! # Why sans-I/O
//!
//! The decoder never reads from a socket: the caller pushes bytes in and
//! pulls events out. The same code therefore serves async clients on any
//! runtime, blocking clients, tests that split input at every byte, and
//! fuzzers; it is deterministic; and backpressure is the caller's (nothing
//! runs unless asked). [`SseStream`] is a thin poll-driven shell around it.
//!
//! # Spec conformance
//!
//! The decoder follows the WHATWG HTML "event stream" parsing and
//! interpretation rules exactly: LF, CR and CRLF line ends (also split
//! across pieces); one stream-start BOM stripped (also split); invalid UTF-8
//! replaced by U+FFFD, never an error; case-sensitive field names; one
//! leading space removed from values; ids with NUL ignored and the last
//! event ID kept across events; `retry` only when all ASCII digits (values
//! too large for `u64` milliseconds saturate); blocks without `data` not
//! dispatched; one trailing LF removed; nothing dispatched at end of input.
//! It is tested against 90 conformance vectors (from eventsource-parser, the
//! web-platform-tests and the spec), every split point of each, and a naive
//! line-by-line oracle.
//!
//! # Limits: why bounded
//!
//! An event stream has no length prefix, so a server that never sends a
//! newline would make an unbounded decoder buffer forever. [`Limits`] caps a
//! line and an event's data (16 MiB each by default, see there for why);
//! exceeding one is a [`DecodeError`], checked before buffering, so memory
//! stays bounded whatever the input. Errors are sticky until
//! [`Decoder::finish`].
//!
//! # Zero-copy: what it means here
//!
//! Input pieces are [`bytes::Bytes`]; the decoder keeps references to them,
//! not copies. An event with a single `data` line inside one piece gets its
//! data as a *slice of that piece* ([`Event::data_bytes`]): no copy and no
//! allocation. Only data that spans several lines, straddles two pieces or
//! needs U+FFFD replacement is assembled, in one reused internal buffer (with
//! the default limits, a lone `data` line that straddles two pieces is
//! copied once, into the buffer that becomes the event's). Each byte is scanned once, so decoding
//! is linear in the input, whatever the piece sizes. Cloning an [`Event`]
//! bumps reference counts only.
//!
//! Even a zero-copy slice has a price: one atomic increment of the piece's
//! reference count when it is made and one decrement when it is dropped.
//! A caller that parses each event's data at once need not pay it:
//! [`Decoder::next_event_ref`] lends the event ([`EventRef`], plain `&str` /
//! `&[u8]` borrows of the input or of the assembly buffer, `httparse`-style),
//! which decodes more events per second than the owned
//! [`Decoder::next_event`] (BENCHMARKS.md has the ratio).
//!
//! # How fast
//!
//! Each byte is scanned once, with no allocation per event inside a piece
//! and none at all for the lent events, so the decoder runs at a small
//! multiple of a bare `memchr` scan for `\n\n` and well ahead of the other
//! Rust SSE decoders; decoding costs a small fraction of parsing each
//! event's JSON. The figures, measured against sse-stream and
//! eventsource-stream on three corpora and regenerated with every report,
//! are in the repository's
//! [BENCHMARKS.md](https://github.com/chatstream-rs/chatstream/blob/main/BENCHMARKS.md)
//! (`cargo xtask bench --only sse`).
//!
//! # Not handled here: `[DONE]`
//!
//! OpenAI-style APIs end a stream with `data: [DONE]`. That is a convention
//! of those APIs, not of SSE, so this crate delivers it as an ordinary event;
//! the `chatstream` client recognises it and stops.
//!
//! # Minimum Rust version
//!
//! 1.85 (edition 2024). The crate has no `unsafe` code.

mod buf;
mod decoder;
mod encoder;
mod error;
mod event;
mod event_ref;
mod frame;
mod limits;
mod stream;
mod text;

pub use decoder::{Decoder, Leftover};
pub use encoder::{Encoder, encode_comment, encode_data, encode_event, encode_retry};
pub use error::{DecodeError, EncodeError, StreamError};
pub use event::Event;
pub use event_ref::EventRef;
pub use frame::{Comment, Frame};
pub use limits::Limits;
pub use stream::{FrameStream, SseStream};

/// The README's example, compiled and run by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
