//! [`StreamReader`]: the end-state rules of a chat-completion stream, as a
//! state machine fed bytes.

use std::time::Instant;

use bytes::Bytes;
use chatstream_sse::{Decoder, Event, Limits};
use chatstream_types::{ChatCompletionChunk, ChunkParser, ErrorResponse, ParseLimits, PayloadKind};

use super::end_state::EndState;
use super::prefix::Prefix;
use super::tracker::{ChoiceTracker, has_content};
use super::whole_body::whole_completion;
use crate::error::{Error, ErrorKind, Result};
use crate::parser_pool::PooledParser;
use crate::timing::StreamTiming;

/// How many consecutive events with empty data a stream may send before it is
/// an error (go-openai's `ErrTooManyEmptyStreamMessages` threshold).
pub(crate) const DEFAULT_EMPTY_EVENT_LIMIT: u32 = 300;

/// The chat-stream protocol as a state machine: feed it the bytes of a
/// response body as they arrive, take chunks out, and it tells how the
/// stream ended — `[DONE]`, finished without it, an error object or event,
/// truncation, a run of empty events, a whole completion instead of a stream
/// (the rules of the [module](super)).
///
/// It does no I/O and keeps no clock: the caller reads the body, says when
/// each buffer arrived ([`feed`](Self::feed)) and when the body ended
/// ([`end_of_body`](Self::end_of_body)) or broke
/// ([`body_failed`](Self::body_failed)). [`next_item`](Self::next_item) yields
/// each chunk, then either nothing (a clean end:
/// [`end_state`](Self::end_state)) or exactly one error; everything
/// delivered before an error stays delivered.
///
/// Memory is bounded by its limits: the SSE decoder's per-event cap
/// ([`Limits`], 16 MiB by default), the parse limits ([`ParseLimits`]), and
/// 64 KiB of the body's first bytes kept (by reference) until the first
/// event, to read a bare error object that is not an event stream.
///
/// ```
/// use bytes::Bytes;
/// use chatstream::protocol::StreamReader;
/// use chatstream::ErrorKind;
///
/// // A body cut off mid-answer is an error, never a quiet end.
/// let mut reader = StreamReader::new();
/// reader.feed(
///     Bytes::from_static(b"data: {\"id\":\"1\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"The sky is\"}}]}\n\n"),
///     std::time::Instant::now(),
/// );
/// assert!(reader.next_item().is_some_and(|item| item.is_ok()));
/// assert!(reader.next_item().is_none(), "it needs more bytes");
/// reader.end_of_body();
/// let error = reader.next_item().and_then(Result::err);
/// assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::Truncated));
/// assert!(reader.next_item().is_none() && reader.is_terminated());
/// ```
#[derive(Debug)]
pub struct StreamReader {
    decoder: Decoder,
    parser: PooledParser,
    empty_event_limit: u32,
    empty_run: u32,
    tracker: ChoiceTracker,
    timing: StreamTiming,
    last_payload: Option<Bytes>,
    /// Whether `last_payload` still points into a received buffer (copied
    /// before the next read; see [`StreamReader::release_buffers`]).
    last_payload_shared: bool,
    /// When the last bytes arrived (the time of the chunks they complete).
    read_at: Instant,
    /// The body's first frames (by reference), until the first event.
    prefix: Prefix,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Reading an event stream.
    Streaming,
    /// The body ended; what is left in the decoder is read, then the end
    /// state decided.
    BodyEnded,
    /// A whole completion, delivered as one chunk (taken when delivered).
    Whole(Option<Box<ChatCompletionChunk>>),
    /// The stream failed; the error is yielded next.
    Failing(Error),
    /// Over: cleanly (`Some`) or after its error (`None`).
    Ended(Option<EndState>),
}

impl Default for StreamReader {
    fn default() -> Self {
        StreamReader::new()
    }
}

impl StreamReader {
    /// A reader with the default limits: 16 MiB per event, the default
    /// [`ParseLimits`], and 300 consecutive empty events. Its
    /// [`timing`](Self::timing) counts from now.
    pub fn new() -> Self {
        let now = Instant::now();
        StreamReader::with_parser(
            PooledParser::unpooled(ChunkParser::new()),
            StreamTiming::new(now),
            now,
            Limits::default(),
            DEFAULT_EMPTY_EVENT_LIMIT,
        )
    }

    /// A reader that parses with `parser` (a pooled one, in the client),
    /// keeps `timing` (the client's, which counts from the request), and
    /// takes the bytes' clock to stand at `read_at` until the first read.
    ///
    /// Everything is given here, at once: the reader is a few hundred bytes,
    /// and each builder method would move it again (and the decoder would
    /// be made twice).
    pub(crate) fn with_parser(
        parser: PooledParser,
        timing: StreamTiming,
        read_at: Instant,
        sse_limits: Limits,
        empty_event_limit: u32,
    ) -> Self {
        StreamReader {
            decoder: Decoder::with_limits(sse_limits),
            tracker: ChoiceTracker::new(parser.limits().max_choices),
            parser,
            empty_event_limit,
            empty_run: 0,
            timing,
            last_payload: None,
            last_payload_shared: false,
            read_at,
            prefix: Prefix::new(),
            state: State::Streaming,
        }
    }

    /// Sets the SSE decoder's limits (the size of one event, of one line).
    /// Set it before the first [`feed`](Self::feed): it starts the decoder
    /// afresh.
    #[must_use]
    pub fn sse_limits(mut self, limits: Limits) -> Self {
        self.decoder = Decoder::with_limits(limits);
        self
    }

    /// Sets the limits payloads are parsed under (choices, tool calls,
    /// memory; see [`ParseLimits`]); the number of distinct choices a stream
    /// may use is their [`max_choices`](ParseLimits::max_choices).
    #[must_use]
    pub fn parse_limits(mut self, limits: ParseLimits) -> Self {
        self.parser.set_limits(limits);
        self.tracker = ChoiceTracker::new(limits.max_choices);
        self
    }

    /// Sets how many consecutive events with empty data are accepted before
    /// the stream fails with
    /// [`ErrorKind::TooManyEmptyEvents`] (300 by default; comments never
    /// count).
    #[must_use]
    pub fn empty_event_limit(mut self, limit: u32) -> Self {
        self.empty_event_limit = limit;
        self
    }

    /// The limits payloads are parsed under.
    pub fn limits(&self) -> &ParseLimits {
        self.parser.limits()
    }

    /// Takes `bytes` of the body, received at `now`. Ignored once the stream
    /// has ended.
    pub fn feed(&mut self, bytes: Bytes, now: Instant) {
        if !matches!(self.state, State::Streaming) {
            return;
        }
        self.release_buffers();
        self.read_at = now;
        self.timing.on_byte_at(now);
        self.prefix.push(&bytes);
        self.decoder.feed(bytes);
    }

    /// Takes a whole body that is not an event stream (a `Content-Type` of
    /// `application/json` or `*+json`), received at `now`: an error object
    /// (the next item is an [`ErrorKind::Api`] error) or a whole completion
    /// from a server that ignored `"stream": true` (one chunk, then
    /// [`EndState::NotStreamed`]). Ignored once the stream has ended or has
    /// been fed.
    pub fn feed_json_body(&mut self, body: Bytes, now: Instant) {
        if !matches!(self.state, State::Streaming) || self.timing.first_byte.is_some() {
            return;
        }
        self.read_at = now;
        self.timing.on_byte_at(now);
        self.state = match whole_completion(&body, &self.parser) {
            Ok(chunk) => State::Whole(Some(Box::new(chunk))),
            Err(error) => State::Failing(error),
        };
    }

    /// Says that the body ended. The items still to come (events completed
    /// by the last bytes, then the end) follow from
    /// [`next_item`](Self::next_item).
    pub fn end_of_body(&mut self) {
        if matches!(self.state, State::Streaming) {
            self.state = State::BodyEnded;
        }
    }

    /// Says that reading the body failed (a reset connection, an I/O error):
    /// the next item is an [`ErrorKind::Transport`] error with `source`, and
    /// what the reader holds is released. Ignored once the stream has ended.
    pub fn body_failed(&mut self, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) {
        self.fail_with(
            Error::new(ErrorKind::Transport, "the body broke during the stream")
                .with_source(source),
        );
    }

    /// Ends the stream with `error` (the transport broke, a timer fired): it
    /// is the next item, and what the reader holds is released. Ignored once
    /// the stream has ended.
    pub(crate) fn fail_with(&mut self, error: Error) {
        if !matches!(self.state, State::Ended(_)) {
            self.fail(error);
        }
    }

    /// The next chunk or error; `None` when the reader needs more bytes (or
    /// the end of the body) — or has ended ([`is_terminated`](Self::is_terminated)).
    #[inline]
    pub fn next_item(&mut self) -> Option<Result<ChatCompletionChunk>> {
        let mut item = None;
        self.next_item_into(&mut item);
        item
    }

    /// [`next_item`](Self::next_item), written to `item` (whatever it held
    /// is replaced): a chunk is parsed straight into it. A chunk is a couple
    /// of hundred bytes, and returned through each layer it would be copied
    /// at each: a caller that hands it on by value keeps it in one place.
    #[inline]
    pub(crate) fn next_item_into(&mut self, item: &mut Option<Result<ChatCompletionChunk>>) {
        loop {
            match &mut self.state {
                State::Ended(_) => break,
                State::Failing(_) => {
                    let failing = std::mem::replace(&mut self.state, State::Ended(None));
                    if let State::Failing(error) = failing {
                        *item = Some(Err(error));
                        return;
                    }
                    break;
                }
                State::Whole(chunk) => {
                    let chunk = chunk.take();
                    if let Some(found) = self.deliver_whole(chunk) {
                        *item = Some(found);
                        return;
                    }
                    continue;
                }
                State::Streaming | State::BodyEnded => {}
            }
            match self.decoder.next_event() {
                Ok(Some(event)) => {
                    if self.on_event(event, item) {
                        return;
                    }
                }
                Ok(None) if matches!(self.state, State::BodyEnded) => self.on_body_end(),
                Ok(None) => break,
                Err(error) => self.fail(
                    Error::new(
                        ErrorKind::Decode,
                        "the event stream broke the decoder's limits",
                    )
                    .with_source(error),
                ),
            }
        }
        *item = None;
    }

    /// How the stream ended, once it ended cleanly; `None` while it runs and
    /// after an error.
    pub fn end_state(&self) -> Option<EndState> {
        match self.state {
            State::Ended(state) => state,
            _ => None,
        }
    }

    /// Whether the stream has ended (cleanly, or after its error was
    /// yielded).
    pub fn is_terminated(&self) -> bool {
        matches!(self.state, State::Ended(_))
    }

    /// The raw `data` of the event behind the chunk last returned, as the
    /// server sent it (go-openai's `RecvRaw`).
    pub fn last_payload(&self) -> Option<&Bytes> {
        self.last_payload.as_ref()
    }

    /// When things happened so far (bytes, chunks, the first token).
    pub fn timing(&self) -> &StreamTiming {
        &self.timing
    }

    /// The timing, to be kept after the reader is gone.
    pub(crate) fn into_timing(self) -> StreamTiming {
        self.timing
    }

    /// Lets go of every received buffer the reader still points into: the
    /// [`last_payload`](Self::last_payload) is copied (once). Call it before
    /// waiting for the next bytes, so that an idle stream does not keep a
    /// whole read buffer alive for one payload; [`feed`](Self::feed) does it
    /// too.
    pub fn release_buffers(&mut self) {
        if self.last_payload_shared {
            if let Some(payload) = &mut self.last_payload {
                *payload = Bytes::copy_from_slice(payload);
            }
            self.last_payload_shared = false;
        }
    }

    /// Whether the reader got an error before it yielded anything (a JSON
    /// error body): taken, so that the client can fail the request itself.
    #[cfg(feature = "transport")]
    pub(crate) fn take_early_error(&mut self) -> Option<Error> {
        if !matches!(self.state, State::Failing(_)) || self.timing.chunks() > 0 {
            return None;
        }
        match std::mem::replace(&mut self.state, State::Ended(None)) {
            State::Failing(error) => Some(error),
            other => {
                self.state = other;
                None
            }
        }
    }

    /// Ends the stream with `error`, releasing at once the decoder's buffer
    /// and the kept prefix.
    fn fail(&mut self, error: Error) {
        self.state = State::Failing(error);
        self.decoder = Decoder::with_limits(self.decoder.limits());
        self.prefix = Prefix::new();
    }

    /// Delivers the whole completion, or ends the stream after it (`None`:
    /// the state says what comes next).
    fn deliver_whole(
        &mut self,
        chunk: Option<Box<ChatCompletionChunk>>,
    ) -> Option<Result<ChatCompletionChunk>> {
        let Some(chunk) = chunk.map(|chunk| *chunk) else {
            self.state = State::Ended(Some(EndState::NotStreamed));
            return None;
        };
        if let Err(limit) = self.tracker.observe(&chunk) {
            self.fail(
                Error::new(
                    ErrorKind::Decode,
                    "the completion has more choices than allowed",
                )
                .with_source(limit.error()),
            );
            return None;
        }
        self.timing.on_chunk_at(self.read_at, has_content(&chunk));
        Some(Ok(chunk))
    }

    /// Handles one event: `true` when it yields a chunk, parsed into `item`
    /// (`false`: nothing, or the state now says what comes next).
    #[inline]
    fn on_event(&mut self, event: Event, item: &mut Option<Result<ChatCompletionChunk>>) -> bool {
        self.prefix.stop();
        self.parser.note_payload(event.data_bytes().len());
        if event.data_bytes().is_empty() {
            self.empty_run += 1;
            if self.empty_run > self.empty_event_limit {
                let limit = self.empty_event_limit;
                self.fail(Error::new(
                    ErrorKind::TooManyEmptyEvents,
                    format!("the stream sent more than {limit} events with empty data in a row"),
                ));
                return false;
            }
            return false;
        }
        if event.event_type() == "error" {
            let api = self.parser.parse_error_event(event.data_bytes());
            let payload = event.into_data();
            self.fail(
                Error::new(ErrorKind::Api, "the server sent an error event")
                    .with_api(api)
                    .with_payload(payload),
            );
            return false;
        }
        let Some(chunk) = chunk_place(item) else {
            return false;
        };
        match self.parser.parse_payload_into(event.data_bytes(), chunk) {
            Ok(PayloadKind::Done) => {
                self.state = State::Ended(Some(EndState::Done));
                false
            }
            Ok(PayloadKind::Error(api)) => {
                let payload = event.into_data();
                self.fail(
                    Error::new(ErrorKind::Api, "the server sent an error in the stream")
                        .with_api(api)
                        .with_payload(payload),
                );
                false
            }
            Ok(PayloadKind::Chunk) => {
                self.empty_run = 0;
                if let Err(limit) = self.tracker.observe(chunk) {
                    self.too_many_choices(limit, event);
                    return false;
                }
                self.timing.on_chunk_at(self.read_at, has_content(chunk));
                self.last_payload = Some(event.into_data());
                self.last_payload_shared = true;
                true
            }
            Err(error) => {
                let payload = event.into_data();
                self.fail(
                    Error::new(
                        ErrorKind::Decode,
                        "a payload is not a valid chat.completion.chunk",
                    )
                    .with_source(error)
                    .with_payload(payload),
                );
                false
            }
        }
    }

    /// A chunk brought more distinct choices than the tracker holds.
    #[cold]
    fn too_many_choices(&mut self, limit: super::tracker::TooManyChoices, event: Event) {
        let payload = event.into_data();
        self.fail(
            Error::new(
                ErrorKind::Decode,
                format!("the stream uses more than {} distinct choices", limit.max),
            )
            .with_source(limit.error())
            .with_payload(payload),
        );
    }

    /// The body ended and every complete event was read: a clean end, a
    /// bare error body, or truncation.
    fn on_body_end(&mut self) {
        let lost_data = self.unfinished_event_had_data();
        if self.tracker.all_finished() && !lost_data {
            self.state = State::Ended(Some(EndState::Finished));
            return;
        }
        if let Some(prefix) = self.prefix.take() {
            if let Ok(ErrorResponse { error: Some(api) }) =
                self.parser.parse_error_response(&prefix)
            {
                self.fail(
                    Error::new(ErrorKind::Api, "the server answered with an error body")
                        .with_api(api)
                        .with_payload(prefix),
                );
                return;
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
        self.fail(Error::new(ErrorKind::Truncated, message));
    }

    /// Whether the event the body was in the middle of when it ended held
    /// data that is lost. Per the SSE rules it is not dispatched; it is
    /// completed here only to see what was lost: nothing, a cut comment, or
    /// a `[DONE]` without its blank line (as Azure sends it) lose nothing; a
    /// cut chunk (the usage chunk, say) does.
    fn unfinished_event_had_data(&mut self) -> bool {
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
        lost_data
    }
}

/// The chunk in `item`, which is made a default chunk first if it holds
/// anything else (`None` never: the match after the assignment cannot fail).
fn chunk_place(item: &mut Option<Result<ChatCompletionChunk>>) -> Option<&mut ChatCompletionChunk> {
    if !matches!(item, Some(Ok(_))) {
        *item = Some(Ok(ChatCompletionChunk::default()));
    }
    match item {
        Some(Ok(chunk)) => Some(chunk),
        _ => None,
    }
}
