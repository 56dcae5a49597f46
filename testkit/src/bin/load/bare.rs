//! `--bare`: the same streams read by a bare hyper-util client, the floor
//! of what an idle open stream can cost on this stack.
//!
//! chatstream's transport is hyper-util's pooled client; a stream of ours is
//! one of its connections plus what chatstream keeps (decoder, parser,
//! headers, timers). Run with `--bare`, this binary opens the same requests
//! with a default `hyper_util::client::legacy::Client` and keeps only the
//! response body, counting events by their blank lines: the per-stream
//! figure is then what hyper, hyper-util and tokio cost by themselves, in
//! the same process layout and measured the same way.
//!
//! It speaks plain HTTP/1.1 only: it is the floor of the HTTP/1.1 figure,
//! and `load` refuses `--bare` with `--http2` or `--tls`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use chatstream::types::ChatCompletionRequest;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::Semaphore;

use crate::progress::Progress;

/// A bare hyper-util client and the request every stream sends.
pub(crate) struct Bare {
    client: Client<HttpConnector, Full<Bytes>>,
    uri: hyper::Uri,
    body: Bytes,
}

impl Bare {
    /// A default hyper-util client for `url` (`…/v1`), sending `request`
    /// with `"stream": true`.
    pub(crate) fn new(url: &str, request: &ChatCompletionRequest) -> Result<Self, String> {
        let uri = format!("{url}/chat/completions")
            .parse()
            .map_err(|e| format!("bad URL {url}: {e}"))?;
        let mut request = request.clone();
        request.stream = Some(true);
        let body = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build_http(),
            uri,
            body: body.into(),
        })
    }
}

/// Counts events by their blank line (`\n\n`; the mock server ends lines
/// with LF only), across body frames.
#[derive(Default)]
struct BlankLines {
    events: u64,
    after_lf: bool,
}

impl BlankLines {
    fn feed(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            let lf = byte == b'\n';
            if lf && self.after_lf {
                self.events += 1;
                self.after_lf = false;
            } else {
                self.after_lf = lf;
            }
        }
    }
}

/// Sends one request, holding an opening permit until its response head
/// arrives; `None` if it fails.
async fn open(bare: &Bare, opening: &Semaphore) -> Option<hyper::Response<Incoming>> {
    let _permit = opening.acquire().await;
    let request = hyper::Request::post(bare.uri.clone())
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .header("authorization", "Bearer sk-load")
        .body(Full::new(bare.body.clone()))
        .ok()?;
    // Boxed for the same reason as chatstream's: the request's state is
    // freed once the head has arrived.
    Box::pin(bare.client.request(request)).await.ok()
}

/// One stream with the bare client: the same bookkeeping as the chatstream
/// one (`[DONE]` is the last event, so chunks are events less one).
pub(crate) async fn stream(
    bare: Arc<Bare>,
    opening: Arc<Semaphore>,
    progress: Arc<Progress>,
    expected: u64,
) {
    // Opened by a function of its own, as chatstream's streams are: a local
    // of this scope would keep its room in the task for the whole stream.
    let Some(response) = open(&bare, &opening)
        .await
        .filter(|r| r.status() == hyper::StatusCode::OK)
    else {
        progress.fail("bare-request");
        progress.failed_early.fetch_add(1, Ordering::Relaxed);
        return;
    };
    progress.open.fetch_add(1, Ordering::Relaxed);
    let mut body = response.into_body();
    let mut counter = BlankLines::default();
    let mut failed = false;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            failed = true;
            break;
        };
        let before = counter.events;
        if let Some(data) = frame.data_ref() {
            counter.feed(data);
        }
        for seen in before + 1..=counter.events {
            progress.chunk(seen);
        }
    }
    progress.open.fetch_sub(1, Ordering::Relaxed);
    let chunks = counter.events.saturating_sub(1);
    progress.delivered.fetch_add(chunks, Ordering::Relaxed);
    if counter.events == 0 {
        progress.failed_early.fetch_add(1, Ordering::Relaxed);
    }
    if failed {
        progress.fail("bare-body");
    } else if chunks == expected {
        progress.complete.fetch_add(1, Ordering::Relaxed);
    } else {
        progress.fail("wrong-count");
    }
}
