//! The response body hyper writes for a [`Reply`]: its pieces one at a time,
//! paced, then the chosen [`Ending`].

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

use super::reply::{Ending, Reply};

/// The error a body with [`Ending::Abort`] yields; hyper reacts by cutting
/// the connection (HTTP/1.1) or resetting the stream (HTTP/2).
#[derive(Debug)]
pub(crate) struct Aborted;

impl std::fmt::Display for Aborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("mock reply aborted mid-body")
    }
}

impl std::error::Error for Aborted {}

/// A body that hands hyper one piece per poll and returns `Pending` in
/// between (after a pause, or after waking itself at once), so that hyper
/// flushes each piece on its own instead of buffering several.
pub(crate) struct PacedBody {
    pieces: VecDeque<Bytes>,
    pace: Duration,
    ending: Ending,
    /// Set after a piece went out: the wait before the next one.
    wait: Option<Pin<Box<Sleep>>>,
    /// A piece went out and hyper has not polled again since.
    must_yield: bool,
    /// The length is announced (`content-length`); only with
    /// [`Ending::Complete`].
    announce: bool,
    done: bool,
}

impl PacedBody {
    pub(crate) fn new(reply: &Reply) -> Self {
        let pieces: VecDeque<Bytes> = reply
            .body_pieces()
            .iter()
            .filter(|p| !p.is_empty())
            .cloned()
            .collect();
        PacedBody {
            pieces,
            pace: reply.pace_duration(),
            ending: reply.ending(),
            wait: None,
            must_yield: false,
            announce: reply.announces_length(),
            done: false,
        }
    }

    /// A body of one piece, complete, with its length announced.
    pub(crate) fn full(body: impl Into<Bytes>) -> Self {
        let body = body.into();
        PacedBody {
            announce: true,
            pieces: VecDeque::from([body]),
            pace: Duration::ZERO,
            ending: Ending::Complete,
            wait: None,
            must_yield: false,
            done: false,
        }
    }
}

impl Body for PacedBody {
    type Data = Bytes;
    type Error = Aborted;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Aborted>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        if let Some(wait) = this.wait.as_mut() {
            if wait.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.wait = None;
        } else if this.must_yield {
            // Give hyper a `Pending` so it flushes the piece just written.
            this.must_yield = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if let Some(piece) = this.pieces.pop_front() {
            if !this.pace.is_zero() && !this.pieces.is_empty() {
                this.wait = Some(Box::pin(tokio::time::sleep(this.pace)));
            } else {
                this.must_yield = true;
            }
            return Poll::Ready(Some(Ok(Frame::data(piece))));
        }
        match this.ending {
            Ending::Complete => {
                this.done = true;
                Poll::Ready(None)
            }
            Ending::Abort => {
                this.done = true;
                Poll::Ready(Some(Err(Aborted)))
            }
            // Nothing will ever wake this: the connection ends when the
            // client goes away (hyper watches the socket) or the server is
            // dropped (the task is aborted).
            Ending::Stall => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        // Said as soon as the last piece is out, so that HTTP/2 sets
        // END_STREAM on it instead of sending an empty frame after it.
        self.done || (self.pieces.is_empty() && self.ending == Ending::Complete)
    }

    fn size_hint(&self) -> SizeHint {
        if self.announce {
            SizeHint::with_exact(self.pieces.iter().map(|p| p.len() as u64).sum())
        } else {
            SizeHint::default()
        }
    }
}
