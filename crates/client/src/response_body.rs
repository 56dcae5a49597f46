//! [`ResponseBody`]: the response body a [`ChatCompletionStream`] reads —
//! hyper's own, or any body handed to
//! [`Client::stream_from_response`](crate::Client::stream_from_response).
//!
//! An enum rather than a boxed trait object for both: the common case (a
//! response from this client's hyper connection) costs no allocation and no
//! dynamic call per frame; only bodies from elsewhere are boxed.
//!
//! [`ChatCompletionStream`]: crate::ChatCompletionStream

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

use crate::error::BoxError;
use crate::pool::PooledBody;

/// A body from elsewhere, its error boxed.
type BoxedBody = Pin<Box<dyn Body<Data = Bytes, Error = BoxError> + Send + Sync>>;

/// The body of a response being read.
pub(crate) enum ResponseBody {
    /// From this client's connection.
    Hyper(PooledBody),
    /// Handed in by the caller.
    Boxed(BoxedBody),
}

impl ResponseBody {
    /// Wraps any body whose frames are [`Bytes`].
    pub(crate) fn boxed<B>(body: B) -> Self
    where
        B: Body<Data = Bytes> + Send + Sync + 'static,
        B::Error: Into<BoxError>,
    {
        ResponseBody::Boxed(Box::pin(ErrInto {
            inner: Box::pin(body),
        }))
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            ResponseBody::Hyper(body) => Pin::new(body)
                .poll_frame(cx)
                .map(|frame| frame.map(|result| result.map_err(BoxError::from))),
            ResponseBody::Boxed(body) => body.as_mut().poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResponseBody::Hyper(body) => body.is_end_stream(),
            ResponseBody::Boxed(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Hyper(body) => body.size_hint(),
            ResponseBody::Boxed(body) => body.size_hint(),
        }
    }
}

/// A body with its error converted into [`BoxError`]. The inner body is
/// pinned in its own box, so this wrapper is `Unpin` and needs no pin
/// projection (and no `unsafe`).
struct ErrInto<B> {
    inner: Pin<Box<B>>,
}

impl<B> Body for ErrInto<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.get_mut()
            .inner
            .as_mut()
            .poll_frame(cx)
            .map(|frame| frame.map(|result| result.map_err(Into::into)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
