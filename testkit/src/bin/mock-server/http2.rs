//! The HTTP/2 side of `mock-server` (`--http2`): each HTTP/2 connection is
//! served by hyper's HTTP/2 server, with at most `--max-concurrent-streams`
//! streams open at once, so a benchmark can see what a client does when it
//! has more streams to open than one connection allows.
//!
//! The routes are those of the HTTP/1.1 side: the paced synthetic stream,
//! the corpus (whole, or its first `N` events), `/health` and `/stats`.
//!
//! # Why it stays cheap
//!
//! The server competes with the client for two cores. A paced stream is a
//! response body ([`PacedBody`]) that hyper's per-stream task polls: one
//! timer, re-armed at each chunk's absolute deadline, and a ready-made
//! `Bytes` (a reference count, no copy) per DATA frame — no task or channel
//! of its own. The `date` header is off, as it is on the HTTP/1.1 side.
//!
//! The stream counters are kept as on the HTTP/1.1 side: a stream is
//! started when its body is made, and finished or aborted when hyper drops
//! the body — after `[DONE]` went out with the end of the stream, or before,
//! when the client reset the stream or the connection failed.

use std::convert::Infallible;
use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::server::conn::http2;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep, sleep_until};

use crate::Served;
use crate::http1::MAX_BODY;
use crate::stats::Stats;

/// hyper's HTTP/2 server settings, made once.
pub(crate) type Builder = http2::Builder<TokioExecutor>;

/// The settings of every HTTP/2 connection: at most
/// `max_concurrent_streams` streams open at once, no `date` header.
pub(crate) fn builder(max_concurrent_streams: u32) -> Builder {
    let mut builder = http2::Builder::new(TokioExecutor::new());
    builder
        .max_concurrent_streams(max_concurrent_streams)
        .auto_date_header(false);
    builder
}

/// Serves one HTTP/2 connection (its preface not yet read) until it ends.
pub(crate) async fn connection<S>(
    stream: S,
    builder: &Builder,
    served: Arc<Served>,
) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    Stats::bump(&served.stats.connections_h2);
    let service = service_fn(move |request| respond(request, Arc::clone(&served)));
    builder
        .serve_connection(TokioIo::new(stream), service)
        .await
        .map_err(io_error)
}

/// The answer to one request (its body read and dropped first, as on the
/// HTTP/1.1 side, so the client has finished sending when the answer starts).
async fn respond(
    request: Request<Incoming>,
    served: Arc<Served>,
) -> Result<Response<Reply>, Infallible> {
    let (parts, body) = request.into_parts();
    if let Err(e) = Limited::new(body, MAX_BODY).collect().await {
        let message = format!("cannot read the request body: {e}");
        return Ok(text(StatusCode::PAYLOAD_TOO_LARGE, "text/plain", message));
    }
    let path = parts.uri.path();
    Ok(match (&parts.method, path) {
        (&Method::POST, path) if path.ends_with("/chat/completions") => {
            let body = if served.corpus.serves_paced(path) {
                Reply::Paced(PacedBody::new(Arc::clone(&served)))
            } else {
                Reply::Whole(Some(served.corpus.body(path)))
            };
            event_stream(body)
        }
        (&Method::GET, "/health") => text(StatusCode::OK, "text/plain", "ok\n".to_owned()),
        (&Method::GET, "/stats") => text(StatusCode::OK, "application/json", served.stats.json()),
        (method, path) => {
            let message = format!("no route for {method} {path}\n");
            text(StatusCode::NOT_FOUND, "text/plain", message)
        }
    })
}

/// A `200 text/event-stream` response with the headers of the HTTP/1.1 side.
fn event_stream(body: Reply) -> Response<Reply> {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        HeaderName::from_static("x-request-id"),
        HeaderValue::from_static("req_mock_server"),
    );
    response
}

/// A short response of `content_type` (static) with `status`.
fn text(status: StatusCode, content_type: &'static str, body: String) -> Response<Reply> {
    let mut response = Response::new(Reply::Whole(Some(Bytes::from(body))));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The error of a connection, as an I/O error of the same kind when an I/O
/// error caused it (the server's log leaves out clients that went away).
fn io_error(error: hyper::Error) -> io::Error {
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            return io::Error::new(io.kind(), error.to_string());
        }
        source = cause.source();
    }
    io::Error::other(error)
}

/// A response body: ready-made bytes, or a paced stream.
#[derive(Debug)]
pub(crate) enum Reply {
    /// One frame, then the end (`None` once sent).
    Whole(Option<Bytes>),
    /// The paced synthetic stream.
    Paced(PacedBody),
}

impl Body for Reply {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let next = match self.get_mut() {
            Reply::Whole(bytes) => Poll::Ready(bytes.take()),
            Reply::Paced(paced) => paced.poll_next(cx),
        };
        next.map(|bytes| bytes.map(|bytes| Ok(Frame::data(bytes))))
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Reply::Whole(bytes) => bytes.is_none(),
            Reply::Paced(paced) => paced.is_done(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Reply::Whole(Some(bytes)) => SizeHint::with_exact(bytes.len() as u64),
            Reply::Whole(None) => SizeHint::with_exact(0),
            Reply::Paced(_) => SizeHint::default(),
        }
    }
}

/// The body of one paced stream: the chunk events at their deadlines, then
/// `[DONE]` with the end of the stream (see the `paced` module).
#[derive(Debug)]
pub(crate) struct PacedBody {
    served: Arc<Served>,
    /// When the first chunk is due.
    first: Instant,
    /// The next event to send: a chunk below the number of chunks, `[DONE]`
    /// at it, nothing above.
    next: usize,
    /// Fires when the next chunk is due.
    timer: Pin<Box<Sleep>>,
}

impl PacedBody {
    /// A new stream, counted as started.
    fn new(served: Arc<Served>) -> Self {
        let number = served.stats.streams_started.fetch_add(1, Ordering::Relaxed);
        let first = served.paced.first_due(number);
        PacedBody {
            served,
            first,
            next: 0,
            timer: Box::pin(sleep_until(first)),
        }
    }

    /// Whether `[DONE]` was handed over.
    fn is_done(&self) -> bool {
        self.next > self.served.paced.payloads().len()
    }

    /// The next event once it is due; `None` after `[DONE]`.
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        let paced = &self.served.paced;
        let payloads = paced.payloads();
        if let Some(payload) = payloads.get(self.next) {
            ready!(self.timer.as_mut().poll(cx));
            self.next += 1;
            Stats::bump(&self.served.stats.chunks_sent);
            if self.next < payloads.len() {
                let due = paced.deadline(self.first, self.next);
                self.timer.as_mut().reset(due);
            }
            return Poll::Ready(Some(payload.clone()));
        }
        if self.next == payloads.len() {
            self.next += 1;
            return Poll::Ready(Some(paced.done_payload().clone()));
        }
        Poll::Ready(None)
    }
}

impl Drop for PacedBody {
    fn drop(&mut self) {
        let stats = &self.served.stats;
        if self.is_done() {
            Stats::bump(&stats.streams_finished);
        } else {
            Stats::bump(&stats.streams_aborted);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{Corpus, SSE_HEAD};
    use crate::options::Options;
    use crate::paced::{Paced, Settings};
    use crate::protocol::Listener;
    use std::time::Duration;

    fn served(chunks: usize) -> Arc<Served> {
        let options = Options::default();
        let settings = Settings {
            chunks,
            interval: Duration::from_millis(1),
            hold: None,
        };
        Arc::new(Served {
            corpus: Corpus::load(None, 16, true).unwrap(),
            paced: Paced::new(settings, SSE_HEAD),
            listener: Listener::new(&options).unwrap().0,
            stats: Stats::default(),
        })
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_paced_body_is_the_events_then_done_and_is_counted() {
        let served = served(4);
        let bytes = runtime().block_on(async {
            let body = Reply::Paced(PacedBody::new(Arc::clone(&served)));
            assert!(!body.is_end_stream());
            body.collect().await.unwrap().to_bytes()
        });
        let expected: Vec<u8> = served
            .paced
            .payloads()
            .iter()
            .chain([served.paced.done_payload()])
            .flat_map(|payload| payload.to_vec())
            .collect();
        assert_eq!(bytes, expected);
        let stats: serde_json::Value = serde_json::from_str(&served.stats.json()).unwrap();
        assert_eq!(stats["streams_started"], 1);
        assert_eq!(stats["streams_finished"], 1);
        assert_eq!(stats["streams_aborted"], 0);
        assert_eq!(stats["chunks_sent"], 4);
    }

    #[test]
    fn a_body_dropped_before_done_is_an_aborted_stream() {
        let served = served(4);
        let first = runtime().block_on(async {
            let mut body = PacedBody::new(Arc::clone(&served));
            std::future::poll_fn(|cx| body.poll_next(cx)).await
        });
        assert_eq!(first.as_ref(), served.paced.payloads().first());
        let stats: serde_json::Value = serde_json::from_str(&served.stats.json()).unwrap();
        assert_eq!(stats["streams_finished"], 0);
        assert_eq!(stats["streams_aborted"], 1);
        assert_eq!(stats["chunks_sent"], 1);
    }
}
