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

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use chatstream_types::{AccumulatorEvent, ChatCompletionChunk};
use futures_core::Stream;
use futures_core::stream::FusedStream;
use http::{HeaderMap, Response, StatusCode};
use hyper::body::Body;

use crate::builder::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::head_timer;
use crate::parser_pool::ParserPool;
use crate::protocol::{Collected, EndState, StreamReader, collect, end_of};
use crate::rate_limit::RateLimits;
use crate::response_body::ResponseBody;
use crate::timing::StreamTiming;
use crate::trace::CallTrace;

mod deadlines;
mod detach;
mod media_kind;
mod not_a_stream;

pub(crate) use deadlines::Limits as StreamLimits;
use deadlines::StreamDeadlines;
use detach::detach_header_values;
use media_kind::{MediaKind, media_kind};
pub(crate) use not_a_stream::NotAStream;

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
    /// The protocol: decoding, parsing, end states, timing.
    reader: StreamReader,
    /// The body, until it ends (or the stream fails).
    body: Option<ResponseBody>,
    status: StatusCode,
    headers: HeaderMap,
    /// The idle, chunk and total deadlines, on one timer.
    deadlines: StreamDeadlines,
    /// The first item, read ahead to decide on an early retry (and yielded
    /// first). Boxed: only the early retry uses it, and every open stream
    /// would otherwise carry room for a whole chunk.
    first: Option<Box<Result<ChatCompletionChunk>>>,
    /// The call's span (nothing without the `tracing` feature).
    trace: CallTrace,
}

impl fmt::Debug for ChatCompletionStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatCompletionStream")
            .field("status", &self.status)
            .field("request_id", &self.request_id())
            .field("chunks", &self.reader.timing().chunks())
            .field("end_state", &self.reader.end_state())
            .finish_non_exhaustive()
    }
}

impl ChatCompletionStream {
    /// Turns a successful response into a stream; a response whose body is
    /// not an event stream (a whole JSON object, an HTML page) comes back as
    /// [`NotAStream`], to be read whole (boxed: it is the rare case).
    ///
    /// Not `async`: the common case waits for nothing, and the rare one is
    /// read by a future of its own (boxed by the callers), so that every
    /// call's future does not carry room for it.
    pub(crate) fn start(
        response: Response<ResponseBody>,
        config: &Config,
        limits: StreamLimits,
        timing: StreamTiming,
        parsers: &Arc<ParserPool>,
        timer: Option<head_timer::Timer>,
    ) -> std::result::Result<Self, Box<NotAStream>> {
        let (mut parts, body) = response.into_parts();
        detach_header_values(&mut parts.headers);
        // The idle and chunk timeouts count from the response head until the
        // first read (on Tokio's clock, as `on_bytes`, so that a paused clock
        // in tests applies).
        let head_at = tokio::time::Instant::now();
        let kind = media_kind(&parts.headers);
        if kind == MediaKind::Other {
            let reader = Self::reader(config, parsers, timing, head_at);
            return Ok(Self::assemble(
                parts,
                Some(body),
                reader,
                limits,
                timer,
                head_at,
            ));
        }
        Err(Box::new(NotAStream {
            parts,
            body,
            kind,
            limits,
            timing,
            timer,
            head_at,
        }))
    }

    /// The reader of a stream whose response head arrived at `head_at`.
    fn reader(
        config: &Config,
        parsers: &Arc<ParserPool>,
        timing: StreamTiming,
        head_at: tokio::time::Instant,
    ) -> StreamReader {
        let mut parser = parsers.take();
        parser.set_limits(config.parse_limits);
        StreamReader::with_parser(
            parser,
            timing,
            head_at.into_std(),
            config.limits,
            config.empty_event_limit,
        )
    }

    /// The stream of `reader`, reading `body` (`None`: nothing left to read).
    fn assemble(
        parts: http::response::Parts,
        body: Option<ResponseBody>,
        reader: StreamReader,
        limits: StreamLimits,
        timer: Option<head_timer::Timer>,
        head_at: tokio::time::Instant,
    ) -> Self {
        // The deadlines' timer: the response-head timer if there is one
        // (`head_timer`: registered already, so nothing new is registered on
        // the way to the first chunk), else a new one, which registers only
        // when first polled. Either is set to the earliest deadline at the
        // first wait for the body (`poll_next`). Made here, in the caller's
        // Tokio context, so that reading the stream needs none.
        let deadlines = StreamDeadlines::new(limits, timer, body.is_some(), head_at);
        ChatCompletionStream {
            reader,
            body,
            status: parts.status,
            headers: parts.headers,
            deadlines,
            first: None,
            trace: CallTrace::none(),
        }
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
        self.reader.timing()
    }

    /// The raw `data` of the event behind the chunk last returned, as the
    /// server sent it (go-openai's `RecvRaw`), for fields no type names or
    /// for logging. Zero-copy until the stream reads again: then it is copied
    /// once, so that an idle stream does not keep a whole read buffer alive
    /// for one payload.
    pub fn last_payload(&self) -> Option<&Bytes> {
        self.reader.last_payload()
    }

    /// How the stream ended, once it ended cleanly; `None` while it runs and
    /// after an error.
    pub fn end_state(&self) -> Option<EndState> {
        self.reader.end_state()
    }

    /// Whether the stream has ended (cleanly or not).
    pub fn is_terminated(&self) -> bool {
        self.first.is_none() && self.reader.is_terminated()
    }

    /// The stream with the call's span (replacing the placeholder).
    pub(crate) fn traced(mut self, trace: CallTrace) -> Self {
        self.trace = trace;
        self
    }

    /// Reads the first item ahead (it is still yielded first): `None` when
    /// the stream ended cleanly without one.
    pub(crate) async fn peek_first(&mut self) -> Option<&Result<ChatCompletionChunk>> {
        if self.first.is_none() {
            let first = std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await;
            self.first = first.map(Box::new);
        }
        self.first.as_deref()
    }

    /// Reads the whole stream and folds it into the final completion.
    ///
    /// The fold holds at most the default
    /// [`AccumulatorLimits::max_bytes`](chatstream_types::AccumulatorLimits::max_bytes) (64 MiB) and as many choices as the
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
    pub async fn collect_completion_with<F>(mut self, on_event: F) -> Collected
    where
        F: FnMut(AccumulatorEvent<'_>),
    {
        // As many choices as the stream itself tracks (its parse limits).
        let max_choices = self.reader.limits().max_choices;
        let (completion, failure) = collect(&mut self, max_choices, on_event).await;
        let end = end_of(failure, self.reader.end_state());
        Collected {
            completion,
            end,
            timing: self.reader.timing().clone(),
        }
    }

    /// The stream ended cleanly: the span says how, then what only a
    /// running stream needs goes.
    fn end_cleanly(&mut self) {
        let end = match self.reader.end_state() {
            Some(EndState::Done) => "done",
            Some(EndState::Finished) => "finished",
            Some(EndState::NotStreamed) => "not_streamed",
            _ => "ended",
        };
        let attempts = Some(self.reader.timing().attempts());
        self.trace.end(attempts, end, false);
        self.release();
    }

    /// Lets go of what only a running stream needs: the response body (which
    /// closes the HTTP/1.1 connection or resets the HTTP/2 stream, so the
    /// server stops generating) and the timer.
    fn release(&mut self) {
        self.body = None;
        self.deadlines.release();
    }

    /// Bytes arrived: to the reader, and the idle deadline pushed back.
    fn on_bytes(&mut self, data: Bytes) {
        // One clock reading per read, not per chunk: the chunks this read
        // completes take its time (see `StreamTiming`).
        let now = tokio::time::Instant::now();
        self.deadlines.on_read(now);
        self.reader.feed(data, now.into_std());
    }
}

impl Stream for ChatCompletionStream {
    type Item = Result<ChatCompletionChunk>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(first) = this.first.take() {
            return Poll::Ready(Some(*first));
        }
        loop {
            // The chunk is parsed straight into the item returned (see
            // `StreamReader::next_item_into`).
            let mut item = None;
            this.reader.next_item_into(&mut item);
            // The item is handed on where it lies (no re-wrapping: a chunk
            // is a few hundred bytes, and this is the hot path).
            match &mut item {
                Some(Err(error)) => {
                    error.set_head(this.status, &this.headers);
                    let attempts = Some(this.reader.timing().attempts());
                    this.trace.end(attempts, error.kind().as_str(), true);
                    this.release();
                    return Poll::Ready(item);
                }
                Some(Ok(chunk)) => {
                    this.trace.on_chunk(chunk);
                    if this.reader.is_terminated() {
                        this.end_cleanly();
                    } else {
                        this.deadlines.on_chunk();
                    }
                    return Poll::Ready(item);
                }
                None => {}
            }
            if this.reader.is_terminated() {
                this.end_cleanly();
                return Poll::Ready(None);
            }
            let Some(body) = &mut this.body else {
                this.reader.end_of_body();
                continue;
            };
            this.reader.release_buffers();
            match Pin::new(body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        if !data.is_empty() {
                            this.on_bytes(data);
                        }
                    }
                }
                Poll::Ready(Some(Err(error))) => {
                    this.release();
                    this.reader.fail_with(
                        Error::new(
                            ErrorKind::Transport,
                            "the connection broke during the stream",
                        )
                        .with_source(error),
                    );
                }
                Poll::Ready(None) => {
                    this.body = None;
                    this.reader.end_of_body();
                }
                Poll::Pending => {
                    let Poll::Ready(error) = this.deadlines.poll(cx) else {
                        return Poll::Pending;
                    };
                    this.release();
                    this.reader.fail_with(error);
                }
            }
        }
    }
}

impl FusedStream for ChatCompletionStream {
    fn is_terminated(&self) -> bool {
        ChatCompletionStream::is_terminated(self)
    }
}
