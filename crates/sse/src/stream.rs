//! [`SseStream`] and [`FrameStream`]: the [`Decoder`] driven by a byte stream.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::{FusedStream, Stream};

use crate::decoder::{Decoder, Leftover};
use crate::error::{DecodeError, StreamError};
use crate::event::Event;
use crate::frame::Frame;

/// Turns a stream of byte pieces into a stream of [`Event`]s.
///
/// It wraps any `Stream<Item = Result<B, E>>` where `B: Into<Bytes>`: for
/// example reqwest's `bytes_stream()`, or a hyper body mapped to its data
/// frames. `Into<Bytes>` (rather than `bytes::Buf`) keeps the decoder
/// zero-copy: `Bytes`, `Vec<u8>` and `String` convert without copying. If
/// you have a `Buf`, map it with `buf.copy_to_bytes(buf.remaining())`, which
/// is also free for `Bytes`.
///
/// The inner stream must be `Unpin` so the adapter needs no `unsafe` pin
/// projection; wrap a `!Unpin` stream in `Box::pin(stream)`.
///
/// It is poll-driven: no task, no channel, no buffering beyond the
/// decoder's, so backpressure is natural. Comments and retries are skipped
/// (the reconnection time stays readable through
/// [`decoder`](SseStream::decoder)); use [`FrameStream`] to see them.
///
/// # Ending
///
/// - A transport error is yielded as [`StreamError::Transport`], in order
///   after the events decoded before it; the inner stream is polled again
///   afterwards, so the adapter ends when the inner stream ends.
/// - When the inner stream ends, the adapter ends (`None`) after the last
///   complete event. Per the spec a final event without its blank line is
///   not delivered; [`leftover`](SseStream::leftover) then tells whether the
///   body ended cleanly or in the middle of an event.
/// - A [`DecodeError`] (a [`Limits`](crate::Limits) cap) is yielded once as
///   [`StreamError::Decode`], and then the adapter ends without polling the
///   inner stream again.
///
/// ```
/// use std::convert::Infallible;
/// use std::pin::Pin;
/// use std::task::{Context, Poll, Waker};
///
/// use bytes::Bytes;
/// use chatstream_sse::{Leftover, SseStream};
/// use futures_core::Stream;
///
/// // A byte stream that yields its pieces immediately (a stand-in for an
/// // HTTP body).
/// struct Body(std::vec::IntoIter<Bytes>);
/// impl Stream for Body {
///     type Item = Result<Bytes, Infallible>;
///     fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
///         Poll::Ready(self.0.next().map(Ok))
///     }
/// }
///
/// let body = Body(vec![Bytes::from("data: {\"n\":1}\n"), Bytes::from("\ndata: [DONE]\n\ndata: {")].into_iter());
/// let mut events = SseStream::new(body);
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut data = Vec::new();
/// // A real program would `.await` `StreamExt::next` instead of polling by hand.
/// while let Poll::Ready(Some(item)) = Pin::new(&mut events).poll_next(&mut cx) {
///     data.push(item?.data().to_owned());
/// }
/// assert_eq!(data, ["{\"n\":1}", "[DONE]"]);
/// assert_eq!(events.leftover(), Some(Leftover::PartialLine));
/// # Ok::<(), chatstream_sse::StreamError<Infallible>>(())
/// ```
#[derive(Debug)]
pub struct SseStream<S> {
    core: Core<S>,
}

/// Like [`SseStream`], but yields every [`Frame`]: events, comments and
/// retries, in stream order. Built with [`SseStream::into_frames`] or
/// [`FrameStream::new`].
#[derive(Debug)]
pub struct FrameStream<S> {
    core: Core<S>,
}

/// The shared state machine.
///
/// ```text
///            ┌──────────── feed(piece) ◄── inner: Ready(Some(Ok(piece)))
///            ▼                                        ▲
///  ┌─► drain decoder ── item ──► yield it             │
///  │         │ Ok(None): need bytes                   │
///  │         └──────────► poll inner ─────────────────┘
///  │                        │ Pending ──► return Pending (inner registered the waker)
///  │                        │ Ready(Some(Err(e))) ──► yield Transport(e), stay Streaming
///  │                        │ Ready(None) ──► decoder.finish() → Ended(leftover), yield None
///  └── Err(decode error) ──► decoder.finish() → Ended(leftover), yield Decode(e)
///
///  Ended: always yield None; the inner stream is not polled again.
/// ```
#[derive(Debug)]
struct Core<S> {
    inner: S,
    decoder: Decoder,
    /// `Some` once ended: what was left undecoded.
    ended: Option<Leftover>,
}

impl<S> Core<S> {
    fn poll_with<B, E, T>(
        &mut self,
        cx: &mut Context<'_>,
        next: fn(&mut Decoder) -> Result<Option<T>, DecodeError>,
    ) -> Poll<Option<Result<T, StreamError<E>>>>
    where
        S: Stream<Item = Result<B, E>> + Unpin,
        B: Into<Bytes>,
    {
        loop {
            if self.ended.is_some() {
                return Poll::Ready(None);
            }
            match next(&mut self.decoder) {
                Ok(Some(item)) => return Poll::Ready(Some(Ok(item))),
                Ok(None) => {}
                Err(error) => {
                    self.ended = Some(self.decoder.finish());
                    return Poll::Ready(Some(Err(StreamError::Decode(error))));
                }
            }
            match Pin::new(&mut self.inner).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(piece))) => self.decoder.feed(piece),
                Poll::Ready(Some(Err(error))) => {
                    return Poll::Ready(Some(Err(StreamError::Transport(error))));
                }
                Poll::Ready(None) => {
                    self.ended = Some(self.decoder.finish());
                    return Poll::Ready(None);
                }
            }
        }
    }
}

macro_rules! common_methods {
    ($ty:ident) => {
        impl<S> $ty<S> {
            /// Wraps a byte stream, with a default [`Decoder`].
            pub fn new(inner: S) -> Self {
                Self::with_decoder(inner, Decoder::new())
            }

            /// Wraps a byte stream, decoding with `decoder`: one with custom
            /// [`Limits`](crate::Limits), or the previous connection's
            /// decoder (after [`Decoder::finish`]) to keep its last event ID
            /// and reconnection time.
            pub fn with_decoder(inner: S, decoder: Decoder) -> Self {
                Self {
                    core: Core {
                        inner,
                        decoder,
                        ended: None,
                    },
                }
            }

            /// The decoder: [`Decoder::last_event_id`], [`Decoder::retry`],
            /// [`Decoder::limits`].
            pub fn decoder(&self) -> &Decoder {
                &self.core.decoder
            }

            /// `None` while the stream runs; once it has ended (`None` was
            /// yielded, or a decode error), what the body left undecoded.
            /// Anything but [`Leftover::Nothing`] means the body ended in the
            /// middle of an event.
            pub fn leftover(&self) -> Option<Leftover> {
                self.core.ended
            }

            /// The wrapped byte stream.
            pub fn get_ref(&self) -> &S {
                &self.core.inner
            }

            /// The wrapped byte stream. Pulling bytes from it directly skips
            /// them for the decoder.
            pub fn get_mut(&mut self) -> &mut S {
                &mut self.core.inner
            }

            /// The wrapped byte stream and the decoder (with any input it has
            /// not decoded yet).
            pub fn into_parts(self) -> (S, Decoder) {
                (self.core.inner, self.core.decoder)
            }
        }

        impl<S> FusedStream for $ty<S>
        where
            Self: Stream,
        {
            fn is_terminated(&self) -> bool {
                self.core.ended.is_some()
            }
        }
    };
}

common_methods!(SseStream);
common_methods!(FrameStream);

impl<S> SseStream<S> {
    /// Turns this stream into one that also yields comments and retries.
    pub fn into_frames(self) -> FrameStream<S> {
        FrameStream { core: self.core }
    }
}

impl<S, B, E> SseStream<S>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: Into<Bytes>,
{
    /// The next event, or `None` once the stream has ended: what
    /// `StreamExt::next` gives, without a stream-extension crate.
    pub async fn next(&mut self) -> Option<Result<Event, StreamError<E>>> {
        core::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl<S, B, E> FrameStream<S>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: Into<Bytes>,
{
    /// The next frame (event, comment or retry), or `None` once the stream
    /// has ended: what `StreamExt::next` gives, without a stream-extension
    /// crate.
    pub async fn next(&mut self) -> Option<Result<Frame, StreamError<E>>> {
        core::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl<S, B, E> Stream for SseStream<S>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: Into<Bytes>,
{
    type Item = Result<Event, StreamError<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().core.poll_with(cx, Decoder::next_event)
    }
}

impl<S, B, E> Stream for FrameStream<S>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: Into<Bytes>,
{
    type Item = Result<Frame, StreamError<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().core.poll_with(cx, Decoder::next_frame)
    }
}
