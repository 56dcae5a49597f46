//! [`ChunkStream`]: the chunks of a stream read from any stream of byte
//! buffers — reqwest's `bytes_stream()`, a file, a recorded body.

use std::error::Error as StdError;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use chatstream_types::{AccumulatorEvent, ChatCompletionChunk};
use futures_core::Stream;
use futures_core::stream::FusedStream;

use super::collect::{Collected, collect, end_of};
use super::end_state::EndState;
use super::reader::StreamReader;
use crate::error::Result;
use crate::timing::StreamTiming;

/// The chunks of a chat-completion stream whose body comes from any
/// [`Stream`] of byte buffers, with the same end states as the client's
/// stream: a [`Stream`] of `Result<ChatCompletionChunk, Error>` that yields
/// each chunk, then nothing (a clean end: [`end_state`](Self::end_state)) or
/// exactly one error.
///
/// It is what `chatstream` offers without its HTTP client
/// (`default-features = false`: no hyper, rustls or tokio): bring your own
/// HTTP stack, and hand it the response body.
///
/// ```ignore
/// // With reqwest (its `stream` feature):
/// let response = reqwest::Client::new()
///     .post("https://api.openai.com/v1/chat/completions")
///     .bearer_auth(key)
///     .json(&request)
///     .send()
///     .await?
///     .error_for_status()?;
/// let mut chunks = chatstream::ChunkStream::new(Box::pin(response.bytes_stream()));
/// while let Some(chunk) = chunks.next().await {
///     print!("{}", chunk?.choices[0].delta.content_text().unwrap_or_default());
/// }
/// ```
///
/// Without a network, over a body in memory:
///
/// ```
/// use bytes::Bytes;
/// use chatstream::{ChunkStream, EndState};
///
/// # futures_executor_stub::block_on(async {
/// let pieces = [
///     "data: {\"id\":\"1\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"m\",",
///     "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
/// ];
/// let body = Box::pin(ChunksOf(pieces.iter().map(|p| Bytes::from_static(p.as_bytes())).collect()));
/// let mut stream = ChunkStream::new(body);
/// let chunk = stream.next().await.expect("a chunk").expect("no error");
/// assert_eq!(chunk.choices[0].delta.content_text().as_deref(), Some("Hi"));
/// assert!(stream.next().await.is_none());
/// assert_eq!(stream.end_state(), Some(EndState::Done));
/// # });
/// # struct ChunksOf(std::collections::VecDeque<Bytes>);
/// # impl futures_core::Stream for ChunksOf {
/// #     type Item = Result<Bytes, std::io::Error>;
/// #     fn poll_next(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>)
/// #         -> std::task::Poll<Option<Self::Item>> {
/// #         std::task::Poll::Ready(self.0.pop_front().map(Ok))
/// #     }
/// # }
/// # mod futures_executor_stub {
/// #     pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
/// #         let mut future = std::pin::pin!(future);
/// #         let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #         loop {
/// #             if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) { return out; }
/// #         }
/// #     }
/// # }
/// ```
///
/// The body stream must be [`Unpin`]; pin one that is not with `Box::pin`.
/// A body error ends the stream with [`ErrorKind::Transport`](crate::ErrorKind::Transport), the body's
/// error as its [source](std::error::Error::source). There is no timer: wrap
/// the body (or the calls) in your runtime's timeout for an idle limit.
pub struct ChunkStream<S> {
    body: Option<S>,
    reader: StreamReader,
}

impl<S> fmt::Debug for ChunkStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkStream")
            .field("reader", &self.reader)
            .finish_non_exhaustive()
    }
}

impl<S, E> ChunkStream<S>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    E: Into<Box<dyn StdError + Send + Sync>>,
{
    /// Reads the event-stream `body` with the default limits.
    pub fn new(body: S) -> Self {
        ChunkStream::with_reader(body, StreamReader::new())
    }

    /// Reads `body` with `reader`, a [`StreamReader`] set up with the limits
    /// you want.
    pub fn with_reader(body: S, reader: StreamReader) -> Self {
        ChunkStream {
            body: Some(body),
            reader,
        }
    }

    /// The next chunk; `None` once the stream has ended (cleanly, or after
    /// its one error).
    pub async fn next(&mut self) -> Option<Result<ChatCompletionChunk>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Reads the whole stream and folds it into the final completion (within
    /// the default accumulator limits and the reader's choice limit); what
    /// was folded before an error is kept.
    pub async fn collect_completion(self) -> Collected {
        self.collect_completion_with(|_| {}).await
    }

    /// Like [`collect_completion`](Self::collect_completion), calling
    /// `on_event` for each change as it arrives (see [`AccumulatorEvent`]).
    pub async fn collect_completion_with<F>(mut self, on_event: F) -> Collected
    where
        F: FnMut(AccumulatorEvent<'_>),
    {
        let max_choices = self.reader.limits().max_choices;
        let (completion, failure) = collect(&mut self, max_choices, on_event).await;
        Collected {
            completion,
            end: end_of(failure, self.reader.end_state()),
            timing: self.reader.into_timing(),
        }
    }
}

impl<S> ChunkStream<S> {
    /// How the stream ended, once it ended cleanly; `None` while it runs and
    /// after an error.
    pub fn end_state(&self) -> Option<EndState> {
        self.reader.end_state()
    }

    /// The raw `data` of the event behind the chunk last returned.
    pub fn last_payload(&self) -> Option<&Bytes> {
        self.reader.last_payload()
    }

    /// When things happened so far (counted from the stream's creation).
    pub fn timing(&self) -> &StreamTiming {
        self.reader.timing()
    }
}

impl<S, E> Stream for ChunkStream<S>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    E: Into<Box<dyn StdError + Send + Sync>>,
{
    type Item = Result<ChatCompletionChunk>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            // The chunk is parsed straight into the item returned (see
            // `StreamReader::next_item_into`).
            let mut item = None;
            this.reader.next_item_into(&mut item);
            if let Some(found) = &item {
                if found.is_err() {
                    this.body = None;
                }
                return Poll::Ready(item);
            }
            if this.reader.is_terminated() {
                this.body = None;
                return Poll::Ready(None);
            }
            let Some(body) = &mut this.body else {
                this.reader.end_of_body();
                continue;
            };
            this.reader.release_buffers();
            match Pin::new(body).poll_next(cx) {
                Poll::Ready(Some(Ok(bytes))) => {
                    if !bytes.is_empty() {
                        this.reader.feed(bytes, Instant::now());
                    }
                }
                Poll::Ready(Some(Err(error))) => {
                    this.body = None;
                    this.reader.body_failed(error);
                }
                Poll::Ready(None) => {
                    this.body = None;
                    this.reader.end_of_body();
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<S, E> FusedStream for ChunkStream<S>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    E: Into<Box<dyn StdError + Send + Sync>>,
{
    fn is_terminated(&self) -> bool {
        self.reader.is_terminated()
    }
}
