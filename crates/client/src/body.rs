//! [`RequestBody`]: the request body, one buffer sent as one frame.
//!
//! Written here rather than taken from `http-body-util` (whose `Full` does
//! the same), to keep the client's dependency graph within its budget.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

/// A body made of one buffer (cheap to clone for retries).
#[derive(Clone, Debug)]
pub(crate) struct RequestBody {
    data: Option<Bytes>,
}

impl RequestBody {
    pub(crate) fn new(data: Bytes) -> Self {
        RequestBody {
            data: (!data.is_empty()).then_some(data),
        }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.get_mut().data.take().map(|data| Ok(Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.as_ref().map_or(0, |data| data.len() as u64))
    }
}
