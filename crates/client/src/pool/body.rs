//! [`PooledBody`]: a response body that gives its stream's place on the
//! connection back to the pool as soon as the body ends.
//!
//! The place is given back at the end of the body, not when the caller
//! drops the stream: a caller that keeps a finished stream around must not
//! keep a connection looking full. It is given back on drop too, for a body
//! dropped half-read.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};

use super::book::InFlight;

/// hyper's body, with its stream's count in the pool (none over HTTP/1.1).
#[derive(Debug)]
pub(crate) struct PooledBody {
    body: Incoming,
    in_flight: Option<InFlight>,
}

impl PooledBody {
    pub(super) fn new(body: Incoming, in_flight: Option<InFlight>) -> Self {
        PooledBody { body, in_flight }
    }
}

impl Body for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        if let Poll::Ready(None | Some(Err(_))) = polled {
            this.in_flight = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
