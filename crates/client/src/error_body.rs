//! Reading a whole response body with a size cap, and turning a
//! non-success response into an [`Error`]: its status, headers, request id,
//! `Retry-After`, and the body parsed as an API error or kept raw (an nginx
//! HTML 502). Used before a stream starts, for a body that is not an event
//! stream, and by the non-streaming call.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::Response;
use hyper::body::Body;

use crate::builder::Config;
use crate::error::{BoxError, Error, ErrorKind, Result};
use crate::retry;
use crate::snippet::body_snippet;

/// The error for a non-success response: status, headers, and the body
/// parsed as an API error (or kept raw), read with a size cap.
pub(crate) async fn status_error<B>(config: &Config, response: Response<B>) -> Error
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    let (parts, body) = response.into_parts();
    let retry_after = retry::retry_after(&parts.headers);
    let base = |message: &str| {
        Error::new(ErrorKind::Http, message)
            .with_status(parts.status)
            .with_headers(parts.headers.clone())
            .with_retry_after(retry_after)
    };
    // The error body is small; wait for it no longer than the stream
    // would wait between bytes.
    let patience = config.idle_timeout.or(config.response_timeout);
    let body = match read_capped(body, config.max_error_body, patience).await {
        Ok(body) => body,
        Err(error) => {
            return base("request failed; the error body could not be read").with_source(error);
        }
    };
    match config.api_error_in(&body) {
        Some(api) => base("request failed").with_api(api),
        None => {
            let snippet = body_snippet(&body);
            let message = if snippet.is_empty() {
                "request failed with an empty body".to_owned()
            } else {
                format!("request failed: {snippet}")
            };
            base(&message).with_body(body)
        }
    }
}

/// Reads a whole body, keeping at most `limit` bytes (the rest is dropped).
pub(crate) async fn read_capped<B>(
    mut body: B,
    limit: usize,
    timeout: Option<Duration>,
) -> Result<Bytes>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    let read = async {
        let mut out = BytesMut::new();
        while let Some(frame) =
            std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
        {
            let frame = frame.map_err(|e| {
                Error::new(
                    ErrorKind::Transport,
                    "the connection broke while reading the body",
                )
                .with_source(e)
            })?;
            if let Ok(data) = frame.into_data() {
                let room = limit.saturating_sub(out.len());
                out.extend_from_slice(data.get(..room.min(data.len())).unwrap_or_default());
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out.freeze())
    };
    match timeout {
        Some(limit) => tokio::time::timeout(limit, read).await.unwrap_or_else(|_| {
            Err(Error::new(
                ErrorKind::Timeout,
                "timed out reading the response body",
            ))
        }),
        None => read.await,
    }
}
