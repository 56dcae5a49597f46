//! [`ChatCompletionStream`]: the chunks of a streamed completion, and how the
//! stream ended.
//!
//! ```text
//!  hyper body frames ──▶ chatstream_sse::Decoder ──▶ events ──▶ ChunkParser ──▶ chunks
//!        │  (idle timer reset per frame)     (empty-data run counted)   │
//!        └── end of body ──▶ end state: Finished or Truncated           ├─ [DONE] ──▶ Done
//!                                                                      └─ error object ──▶ Api error
//! ```
//!
//! The stream is poll-driven: reading happens only when the caller asks for
//! the next chunk, so a slow consumer slows the connection (TCP flow control
//! does the rest) instead of filling an unbounded queue, and there is no task
//! to spawn or leak. Dropping the stream drops the response body, which makes
//! hyper close the HTTP/1.1 connection (or reset the HTTP/2 stream) at once.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use chatstream_sse::{Decoder, Event};
use chatstream_types::{
    Accumulator, AccumulatorEvent, AccumulatorLimits, ChatCompletion, ChatCompletionChunk,
    ErrorResponse, StreamPayload,
};
use futures_core::Stream;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, Response, StatusCode};
use hyper::body::Body;
use tokio::time::Sleep;

use crate::builder::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::error_body::{body_snippet, read_capped};
use crate::head_timer;
use crate::not_streamed::whole_completion;
use crate::rate_limit::RateLimits;
use crate::response_body::ResponseBody;
use crate::timing::StreamTiming;

mod detach;
mod parser_pool;
mod prefix;
mod tracker;

use detach::{detach, detach_header_values};
pub(crate) use parser_pool::ParserPool;
use parser_pool::PooledParser;
use prefix::Prefix;
use tracker::{ChoiceTracker, has_content};

/// How a stream ended cleanly (see [`ChatCompletionStream::end_state`]).
///
/// Every other ending is an [`Error`]: an error object from the server
/// ([`ErrorKind::Api`]), a body that stopped early ([`ErrorKind::Truncated`]),
/// a broken connection ([`ErrorKind::Transport`]), a bad payload
/// ([`ErrorKind::Decode`]), silence ([`ErrorKind::Timeout`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EndState {
    /// `data: [DONE]` arrived.
    Done,
    /// The body ended without `[DONE]` after every choice had its
    /// `finish_reason` (Perplexity and some proxies never send `[DONE]`;
    /// Azure's last `[DONE]` may lack its closing blank line).
    Finished,
    /// The server ignored `"stream": true` and sent a whole completion, which
    /// was delivered as a single chunk.
    NotStreamed,
}

/// The chunks of a streamed chat completion.
///
/// It is a [`Stream`] of `Result<ChatCompletionChunk, Error>`; without a
/// stream-extension crate, call [`next`](Self::next). After the last chunk it
/// yields either nothing (a clean end: see [`end_state`](Self::end_state)) or
/// exactly one error, then nothing. The caller can always tell which.
///
/// Memory: an open stream holds no read buffer of its own between reads —
/// the response headers and the last payload are copied out of hyper's
/// buffers (a few hundred bytes) — which is what lets one process keep
/// 10,000 streams open (`cargo xtask load`, RELIABILITY.md).
///
/// The response head is available before the first chunk:
/// [`status`](Self::status), [`headers`](Self::headers),
/// [`request_id`](Self::request_id), [`rate_limits`](Self::rate_limits).
///
/// ```no_run
/// # async fn run(client: chatstream::Client, request: chatstream::types::ChatCompletionRequest) -> chatstream::Result<()> {
/// let mut stream = client.create_chat_completion_stream(&request).await?;
/// println!("request id: {:?}", stream.request_id());
/// while let Some(chunk) = stream.next().await {
///     let chunk = chunk?; // an API error, truncation, timeout… ends the loop here
///     for choice in &chunk.choices {
///         print!("{}", choice.delta.content_text().unwrap_or_default());
///     }
/// }
/// println!("\nended: {:?}", stream.end_state());
/// # Ok(()) }
/// ```
pub struct ChatCompletionStream {
    source: Source,
    decoder: Decoder,
    parser: PooledParser,
    status: StatusCode,
    headers: HeaderMap,
    idle_timeout: Option<Duration>,
    idle: Option<Pin<Box<Sleep>>>,
    /// Whether `idle` is set to the idle deadline (it is from the first
    /// wait for the body on).
    idle_armed: bool,
    empty_limit: u32,
    empty_run: u32,
    tracker: ChoiceTracker,
    timing: StreamTiming,
    last_payload: Option<Bytes>,
    /// Whether `last_payload` still points into a received buffer (copied
    /// before the next read; see `detach`).
    last_payload_shared: bool,
    /// When the last bytes were read (the time of the chunks they complete).
    read_at: std::time::Instant,
    /// The body's first frames (by reference), until the first event.
    prefix: Prefix,
    end: Option<Ended>,
}

enum Source {
    Body(ResponseBody),
    Ready(VecDeque<ChatCompletionChunk>),
}

#[derive(Clone, Copy, Debug)]
enum Ended {
    Clean(EndState),
    Failed,
}

impl fmt::Debug for ChatCompletionStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatCompletionStream")
            .field("status", &self.status)
            .field("request_id", &self.request_id())
            .field("chunks", &self.timing.chunks())
            .field("ended", &self.end)
            .finish_non_exhaustive()
    }
}

impl ChatCompletionStream {
    /// Turns a successful response into a stream (or the error its body
    /// holds, for a body that is not an event stream).
    pub(crate) async fn start(
        response: Response<ResponseBody>,
        config: &Config,
        timing: StreamTiming,
        parsers: &Arc<ParserPool>,
        timer: Option<head_timer::Timer>,
    ) -> Result<Self> {
        let (mut parts, body) = response.into_parts();
        detach_header_values(&mut parts.headers);
        let source = match media_kind(&parts.headers) {
            MediaKind::Json => {
                let limit = config.limits.max_event_size;
                let body = read_capped(body, limit, config.response_timeout)
                    .await
                    .map_err(|e| {
                        e.with_status(parts.status)
                            .with_headers(parts.headers.clone())
                    })?;
                Source::Ready(whole_completion(&body, config).map_err(|e| {
                    e.with_status(parts.status)
                        .with_headers(parts.headers.clone())
                })?)
            }
            MediaKind::Html => {
                let body = read_capped(body, config.max_error_body, config.response_timeout)
                    .await
                    .unwrap_or_default();
                return Err(Error::new(
                    ErrorKind::Http,
                    format!(
                        "expected an event stream, got an HTML page: {}",
                        body_snippet(&body)
                    ),
                )
                .with_status(parts.status)
                .with_headers(parts.headers)
                .with_body(body));
            }
            MediaKind::Other => Source::Body(body),
        };
        // The idle timer: the response-head timer if there is one
        // (`head_timer`: registered already, so nothing new is registered on
        // the way to the first chunk), else a new one, which registers only
        // when first polled. Either is set to the idle deadline at the first
        // wait for the body (`poll_next`). Made here, in the caller's Tokio
        // context, so that reading the stream needs none.
        let idle = match (config.idle_timeout, &source) {
            (Some(timeout), Source::Body(_)) => {
                Some(timer.unwrap_or_else(|| head_timer::start(timeout)))
            }
            _ => None,
        };
        let mut parser = parsers.take();
        parser.set_limits(config.parse_limits);
        Ok(ChatCompletionStream {
            source,
            decoder: Decoder::with_limits(config.limits),
            tracker: ChoiceTracker::new(config.parse_limits.max_choices),
            parser,
            status: parts.status,
            headers: parts.headers,
            idle_timeout: config.idle_timeout,
            idle,
            idle_armed: false,
            empty_limit: config.empty_event_limit,
            empty_run: 0,
            // The idle timeout counts from the response head until the
            // first read (the clock of `on_bytes`, Tokio's, so that a paused
            // clock in tests applies).
            read_at: tokio::time::Instant::now().into_std(),
            timing,
            last_payload: None,
            last_payload_shared: false,
            prefix: Prefix::new(),
            end: None,
        })
    }

    /// The next chunk; `None` once the stream has ended (cleanly, or after
    /// its one error).
    pub async fn next(&mut self) -> Option<Result<ChatCompletionChunk>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The response status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The request id the server assigned (`x-request-id`).
    pub fn request_id(&self) -> Option<&str> {
        self.headers.get("x-request-id")?.to_str().ok()
    }

    /// The rate-limit headers (`x-ratelimit-*`).
    pub fn rate_limits(&self) -> RateLimits {
        RateLimits::from_headers(&self.headers)
    }

    /// When things happened so far.
    pub fn timing(&self) -> &StreamTiming {
        &self.timing
    }

    /// The raw `data` of the event behind the chunk last returned, as the
    /// server sent it (go-openai's `RecvRaw`), for fields no type names or
    /// for logging. Zero-copy until the stream reads again: then it is copied
    /// once, so that an idle stream does not keep a whole read buffer alive
    /// for one payload.
    pub fn last_payload(&self) -> Option<&Bytes> {
        self.last_payload.as_ref()
    }

    /// How the stream ended, once it ended cleanly; `None` while it runs and
    /// after an error.
    pub fn end_state(&self) -> Option<EndState> {
        match self.end {
            Some(Ended::Clean(state)) => Some(state),
            _ => None,
        }
    }

    /// Whether the stream has ended (cleanly or not).
    pub fn is_terminated(&self) -> bool {
        self.end.is_some()
    }

    /// Reads the whole stream and folds it into the final completion.
    ///
    /// The fold holds at most the default
    /// [`AccumulatorLimits::max_bytes`] (64 MiB) and as many choices as the
    /// client's [`ParseLimits`](chatstream_types::ParseLimits) allow, whatever
    /// the stream; past them the stream ends with [`ErrorKind::Decode`] and
    /// what was folded so far.
    pub async fn collect_completion(self) -> Collected {
        self.collect_completion_with(|_| {}).await
    }

    /// Reads the whole stream, folds it into the final completion, and calls
    /// `on_event` for each change as it arrives (content and reasoning
    /// deltas, tool calls completing, …; see [`AccumulatorEvent`]) — what a
    /// UI needs to render a stream without folding it itself.
    pub async fn collect_completion_with<F>(mut self, mut on_event: F) -> Collected
    where
        F: FnMut(AccumulatorEvent<'_>),
    {
        // As many choices as the stream itself tracks (its parse limits).
        let limits = AccumulatorLimits::default().max_choices(self.parser.limits().max_choices);
        let mut accumulator = Accumulator::with_limits(limits);
        let mut failure = None;
        while let Some(item) = self.next().await {
            match item {
                Ok(chunk) => {
                    if let Err(error) = accumulator.push_with(&chunk, &mut on_event) {
                        failure = Some(
                            Error::new(
                                ErrorKind::Decode,
                                "the stream exceeds the accumulator's limits",
                            )
                            .with_source(error),
                        );
                        break;
                    }
                }
                Err(error) => {
                    failure = Some(error);
                    break;
                }
            }
        }
        let end = match (failure, self.end_state()) {
            (Some(error), _) => Err(error),
            (None, Some(state)) => Ok(state),
            (None, None) => Err(Error::new(ErrorKind::Truncated, "the stream stopped early")),
        };
        Collected {
            completion: accumulator.finish(),
            end,
            timing: self.timing,
        }
    }

    /// Ends the stream with `error`, releasing at once what it holds: the
    /// response body (which closes the HTTP/1.1 connection or resets the
    /// HTTP/2 stream, so the server stops generating), the decoder's buffer,
    /// the timer.
    fn fail(&mut self, error: Error) -> Error {
        self.end = Some(Ended::Failed);
        self.idle = None;
        self.source = Source::Ready(VecDeque::new());
        self.decoder = Decoder::with_limits(self.decoder.limits());
        self.prefix = Prefix::new();
        error
            .with_status(self.status)
            .with_headers(self.headers.clone())
    }

    fn on_bytes(&mut self, data: &Bytes) {
        // One clock reading per read, not per chunk: the chunks this read
        // completes take its time (see `StreamTiming`).
        let now = tokio::time::Instant::now();
        self.read_at = now.into_std();
        self.timing.on_byte_at(self.read_at);
        if let (Some(idle), Some(timeout), true) =
            (&mut self.idle, self.idle_timeout, self.idle_armed)
        {
            idle.as_mut().reset(head_timer::deadline(now, timeout));
        }
        self.prefix.push(data);
    }

    /// Handles one event: `Some` when it yields an item.
    fn on_event(&mut self, event: Event) -> Option<Result<ChatCompletionChunk>> {
        self.prefix.stop();
        self.parser.note_payload(event.data_bytes().len());
        if event.data_bytes().is_empty() {
            self.empty_run += 1;
            if self.empty_run > self.empty_limit {
                let limit = self.empty_limit;
                return Some(Err(self.fail(Error::new(
                    ErrorKind::TooManyEmptyEvents,
                    format!("the stream sent more than {limit} events with empty data in a row"),
                ))));
            }
            return None;
        }
        if event.event_type() == "error" {
            let api = self.parser.parse_error_event(event.data_bytes());
            let payload = event.into_data();
            return Some(Err(self.fail(
                Error::new(ErrorKind::Api, "the server sent an error event")
                    .with_api(api)
                    .with_payload(payload),
            )));
        }
        match self.parser.parse_payload(event.data_bytes()) {
            Ok(StreamPayload::Done) => {
                self.end = Some(Ended::Clean(EndState::Done));
                self.idle = None;
                None
            }
            Ok(StreamPayload::Error(api)) => {
                let payload = event.into_data();
                Some(Err(self.fail(
                    Error::new(ErrorKind::Api, "the server sent an error in the stream")
                        .with_api(api)
                        .with_payload(payload),
                )))
            }
            Ok(StreamPayload::Chunk(chunk)) => {
                self.empty_run = 0;
                if let Err(limit) = self.tracker.observe(&chunk) {
                    let payload = event.into_data();
                    return Some(Err(self.fail(
                        Error::new(
                            ErrorKind::Decode,
                            format!("the stream uses more than {} distinct choices", limit.max),
                        )
                        .with_source(limit.error())
                        .with_payload(payload),
                    )));
                }
                self.timing.on_chunk_at(self.read_at, has_content(&chunk));
                self.last_payload = Some(event.into_data());
                self.last_payload_shared = true;
                Some(Ok(chunk))
            }
            Err(error) => {
                let payload = event.into_data();
                Some(Err(self.fail(
                    Error::new(
                        ErrorKind::Decode,
                        "a payload is not a valid chat.completion.chunk",
                    )
                    .with_source(error)
                    .with_payload(payload),
                )))
            }
        }
    }

    /// The body ended: a clean end, a bare error body, or truncation.
    fn on_body_end(&mut self) -> Option<Result<ChatCompletionChunk>> {
        // What the body was in the middle of when it ended. Per the SSE rules
        // it is not dispatched; complete it here only to see what was lost:
        // nothing, a cut comment, or a `[DONE]` without its blank line (as
        // Azure sends it) lose nothing; a cut chunk (the usage chunk, say)
        // does.
        self.decoder.feed(Bytes::from_static(b"\n\n"));
        let mut lost_data = false;
        loop {
            match self.decoder.next_event() {
                Ok(Some(event)) => {
                    let data = event.data_bytes().trim_ascii();
                    lost_data |= !data.is_empty() && data != b"[DONE]";
                }
                Ok(None) => break,
                Err(_) => {
                    lost_data = true;
                    break;
                }
            }
        }
        self.decoder.finish();
        if self.tracker.all_finished() && !lost_data {
            self.end = Some(Ended::Clean(EndState::Finished));
            self.idle = None;
            return None;
        }
        if let Some(prefix) = self.prefix.take() {
            if let Ok(ErrorResponse { error: Some(api) }) =
                self.parser.parse_error_response(&prefix)
            {
                return Some(Err(self.fail(
                    Error::new(ErrorKind::Api, "the server answered with an error body")
                        .with_api(api)
                        .with_payload(prefix),
                )));
            }
        }
        let chunks = self.timing.chunks();
        let message = match (chunks, lost_data) {
            (0, false) => "the body ended before any chunk".to_owned(),
            (0, true) => "the body ended in the middle of the first event".to_owned(),
            (_, false) => format!(
                "the body ended after {chunks} chunks without [DONE], with a choice unfinished"
            ),
            (_, true) => format!("the body ended in the middle of an event, after {chunks} chunks"),
        };
        Some(Err(self.fail(Error::new(ErrorKind::Truncated, message))))
    }
}

impl Stream for ChatCompletionStream {
    type Item = Result<ChatCompletionChunk>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.end.is_some() {
                return Poll::Ready(None);
            }
            match this.decoder.next_event() {
                Ok(Some(event)) => match this.on_event(event) {
                    Some(item) => return Poll::Ready(Some(item)),
                    None => continue,
                },
                Ok(None) => {}
                Err(error) => {
                    let error = Error::new(
                        ErrorKind::Decode,
                        "the event stream broke the decoder's limits",
                    )
                    .with_source(error);
                    return Poll::Ready(Some(Err(this.fail(error))));
                }
            }
            let body = match &mut this.source {
                Source::Body(body) => body,
                Source::Ready(chunks) => {
                    return Poll::Ready(match chunks.pop_front() {
                        Some(chunk) => {
                            if let Err(limit) = this.tracker.observe(&chunk) {
                                let error = Error::new(
                                    ErrorKind::Decode,
                                    "the completion has more choices than allowed",
                                )
                                .with_source(limit.error());
                                return Poll::Ready(Some(Err(this.fail(error))));
                            }
                            let now = std::time::Instant::now();
                            this.timing.on_chunk_at(now, has_content(&chunk));
                            Some(Ok(chunk))
                        }
                        None => {
                            this.end = Some(Ended::Clean(EndState::NotStreamed));
                            None
                        }
                    });
                }
            };
            if this.last_payload_shared {
                detach(&mut this.last_payload);
                this.last_payload_shared = false;
            }
            match Pin::new(body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        if !data.is_empty() {
                            this.on_bytes(&data);
                            this.decoder.feed(data);
                        }
                    }
                }
                Poll::Ready(Some(Err(error))) => {
                    let error = Error::new(
                        ErrorKind::Transport,
                        "the connection broke during the stream",
                    )
                    .with_source(error);
                    return Poll::Ready(Some(Err(this.fail(error))));
                }
                Poll::Ready(None) => return Poll::Ready(this.on_body_end()),
                Poll::Pending => {
                    if let (Some(idle), Some(timeout)) = (&mut this.idle, this.idle_timeout) {
                        if !this.idle_armed {
                            let read_at = tokio::time::Instant::from_std(this.read_at);
                            idle.as_mut().reset(head_timer::deadline(read_at, timeout));
                            this.idle_armed = true;
                        }
                        if idle.as_mut().poll(cx).is_ready() {
                            let error = Error::new(
                                ErrorKind::Timeout,
                                format!("no data for {timeout:?} (idle timeout)"),
                            );
                            return Poll::Ready(Some(Err(this.fail(error))));
                        }
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

/// What a response's `Content-Type` says its body is.
enum MediaKind {
    /// `application/json` or `*+json`: a whole completion or error object.
    Json,
    /// `text/html`: an error page of a proxy or gateway.
    Html,
    /// Anything else, or none: read as an event stream.
    Other,
}

/// The media type of `headers`' `Content-Type`, compared without
/// allocating (media types are case-insensitive).
fn media_kind(headers: &HeaderMap) -> MediaKind {
    let media = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .unwrap_or_default();
    let ends_with_json =
        media.len() >= 5 && media.as_bytes()[media.len() - 5..].eq_ignore_ascii_case(b"+json");
    if media.eq_ignore_ascii_case("application/json") || ends_with_json {
        MediaKind::Json
    } else if media.eq_ignore_ascii_case("text/html") {
        MediaKind::Html
    } else {
        MediaKind::Other
    }
}

/// A stream read to its end, folded (see
/// [`ChatCompletionStream::collect_completion`]).
#[derive(Debug)]
pub struct Collected {
    /// Everything received, folded — also when the stream failed (then it is
    /// what arrived before the failure).
    pub completion: ChatCompletion,
    /// How the stream ended.
    pub end: Result<EndState>,
    /// When things happened.
    pub timing: StreamTiming,
}

impl Collected {
    /// The completion if the stream ended cleanly, else the error.
    ///
    /// # Errors
    ///
    /// The error the stream ended with.
    pub fn into_result(self) -> Result<ChatCompletion> {
        self.end.map(|_| self.completion)
    }
}
