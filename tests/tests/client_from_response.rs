//! `Client::stream_from_response`: a response from a transport of the
//! caller's own, read exactly as the client reads its own — every captured
//! stream, error statuses, whole completions, cuts, the idle timeout. (The
//! `client` fuzz target drives the same entry point with arbitrary bodies.)

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chatstream::{Client, EndState, ErrorKind};
use chatstream_testkit::corpus::{Rng, comparable, expected, summarize_stream};
use chatstream_testkit::{data_dir, sse_files};
use hyper::body::{Body, Frame};

/// An in-memory body: its pieces, then an error or the end — or, with
/// `stall`, nothing more for ever.
struct Pieces {
    pieces: VecDeque<Bytes>,
    then: Then,
}

#[derive(Clone, Copy, PartialEq)]
enum Then {
    End,
    Fail,
    Stall,
}

#[derive(Debug)]
struct Reset;

impl std::fmt::Display for Reset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by peer")
    }
}

impl std::error::Error for Reset {}

impl Body for Pieces {
    type Data = Bytes;
    type Error = Reset;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Reset>>> {
        let this = self.get_mut();
        if let Some(piece) = this.pieces.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(piece))));
        }
        match this.then {
            Then::End => Poll::Ready(None),
            Then::Fail => {
                this.then = Then::End;
                Poll::Ready(Some(Err(Reset)))
            }
            // Never woken: only the idle timer can end the wait.
            Then::Stall => Poll::Pending,
        }
    }
}

fn response(
    status: u16,
    content_type: &str,
    pieces: Vec<Bytes>,
    then: Then,
) -> hyper::Response<Pieces> {
    hyper::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-request-id", "req_local")
        .body(Pieces {
            pieces: pieces.into(),
            then,
        })
        .unwrap()
}

fn client() -> Client {
    Client::builder()
        .api_key("sk-secret-from-response")
        .base_url("http://127.0.0.1:9/v1")
        .build()
        .unwrap()
}

/// One client reads all of them in turn, so each stream parses with the
/// parser the previous stream gave back to the client's pool: this also
/// checks that a parser carried from one provider's stream to another's
/// parses exactly.
#[tokio::test]
async fn every_fixture_folds_as_expected_from_an_in_memory_body() {
    let dir = data_dir().join("fixtures");
    let expected = expected();
    let client = client();
    let mut rng = Rng(0x5EED_F00D);
    let mut failures = Vec::new();
    let files = sse_files(&dir);
    assert!(files.len() >= 59, "the corpus is missing files");
    for file in files {
        let name = file.to_string_lossy().replace('\\', "/");
        let body = std::fs::read(dir.join(&file)).unwrap();
        let pieces = rng
            .split(&body, 300)
            .into_iter()
            .map(Bytes::copy_from_slice)
            .collect();
        let stream = client
            .stream_from_response(response(200, "text/event-stream", pieces, Then::End))
            .await
            .unwrap();
        assert_eq!(stream.request_id(), Some("req_local"));
        let got = summarize_stream(stream).await.unwrap();
        let want = comparable(&expected[&name]);
        if got != want {
            failures.push(format!("{name}:\n  got      {got}\n  expected {want}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn an_error_status_is_the_same_http_error_as_over_the_network() {
    let body = Bytes::from_static(
        br#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#,
    );
    let mut answer = response(429, "application/json", vec![body], Then::End);
    answer
        .headers_mut()
        .insert("retry-after", "7".parse().unwrap());
    let error = client().stream_from_response(answer).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Http);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(error.request_id(), Some("req_local"));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    let api = error.api_error().expect("the parsed API error");
    assert_eq!(api.message, "Rate limit reached");
    assert!(!format!("{error} {error:?}").contains("sk-secret-from-response"));
}

#[tokio::test]
async fn a_whole_completion_is_delivered_as_one_chunk() {
    let body = Bytes::from_static(
        br#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}]}"#,
    );
    let mut stream = client()
        .stream_from_response(response(200, "application/json", vec![body], Then::End))
        .await
        .unwrap();
    let chunk = stream.next().await.unwrap().unwrap();
    assert_eq!(
        chunk.choices[0].delta.content_text().as_deref(),
        Some("Hello")
    );
    assert!(stream.next().await.is_none());
    assert_eq!(stream.end_state(), Some(EndState::NotStreamed));
}

#[tokio::test]
async fn a_cut_after_some_chunks_keeps_them_and_is_a_transport_error() {
    let events = [
        r#"data: {"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}"#,
        r#"data: {"id":"c","choices":[{"index":0,"delta":{"content":"lo"}}]}"#,
    ];
    let pieces = events
        .iter()
        .map(|event| Bytes::from(format!("{event}\n\n")))
        .collect();
    let mut stream = client()
        .stream_from_response(response(200, "text/event-stream", pieces, Then::Fail))
        .await
        .unwrap();
    let mut text = String::new();
    let error = loop {
        match stream.next().await.unwrap() {
            Ok(chunk) => text.push_str(&chunk.choices[0].delta.content_text().unwrap_or_default()),
            Err(error) => break error,
        }
    };
    assert_eq!(text, "Hello");
    assert_eq!(error.kind(), ErrorKind::Transport);
    let source = std::error::Error::source(&error).map(ToString::to_string);
    assert_eq!(source.as_deref(), Some("connection reset by peer"));
    assert!(stream.next().await.is_none());
    assert_eq!(stream.end_state(), None);
}

/// Found by the `client` fuzz target: a 200 event stream whose body is a bare
/// error object is an `Api` error when the body ends — but when the
/// connection breaks instead of ending, it is that `Transport` error (the
/// error object was never confirmed complete).
#[tokio::test]
async fn a_bare_error_body_then_a_reset_is_a_transport_error() {
    let body = Bytes::from_static(br#"{"error":{"message":"overloaded","type":"server_error"}}"#);
    async fn read(body: Bytes, then: Then) -> chatstream::Error {
        client()
            .stream_from_response(response(200, "text/event-stream", vec![body], then))
            .await
            .unwrap()
            .next()
            .await
            .unwrap()
            .unwrap_err()
    }
    let ended = read(body.clone(), Then::End).await;
    assert_eq!(ended.kind(), ErrorKind::Api);
    assert_eq!(ended.api_error().unwrap().message, "overloaded");
    assert_eq!(read(body, Then::Fail).await.kind(), ErrorKind::Transport);
}

#[tokio::test]
async fn the_idle_timeout_applies_to_a_body_from_elsewhere() {
    let client = Client::builder()
        .api_key("sk-test")
        .idle_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let first = Bytes::from_static(
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n",
    );
    let mut stream = client
        .stream_from_response(response(200, "text/event-stream", vec![first], Then::Stall))
        .await
        .unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    let started = Instant::now();
    let error = stream.next().await.unwrap().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(started.elapsed() >= Duration::from_millis(90));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the stall was not cut"
    );
}

#[test]
fn the_stream_can_cross_threads() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<chatstream::ChatCompletionStream>();
}

/// Whether `inner` lies inside `outer` in memory.
fn points_into(inner: &[u8], outer: &[u8]) -> bool {
    outer.as_ptr_range().contains(&inner.as_ptr())
}

/// hyper hands out header values as slices of the connection's read buffer;
/// a stream that waits for its body, or has ended, must not keep that whole
/// buffer alive for the few bytes of its headers (10,000 idle streams would
/// hold 10,000 read buffers).
#[tokio::test]
async fn a_waiting_or_ended_stream_holds_no_slice_of_the_read_buffer() {
    let read_buffer = Bytes::from_static(b"text/event-stream req_shared");
    let chunk = Bytes::from_static(
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":\"stop\"}]}\n\n",
    );
    for then in [Then::Stall, Then::End] {
        let mut answer = response(200, "text/event-stream", vec![chunk.clone()], then);
        for (name, range) in [("content-type", 0..17), ("x-request-id", 18..28)] {
            let value = hyper::header::HeaderValue::from_maybe_shared(read_buffer.slice(range));
            answer.headers_mut().insert(name, value.unwrap());
        }
        let mut stream = client().stream_from_response(answer).await.unwrap();
        assert!(stream.next().await.unwrap().is_ok());
        if then == Then::Stall {
            // The body has nothing more: the stream waits (and stays open).
            let wait = tokio::time::timeout(Duration::from_millis(20), stream.next()).await;
            assert!(wait.is_err(), "the stalled stream ended: {wait:?}");
        } else {
            assert!(stream.next().await.is_none());
            assert_eq!(stream.end_state(), Some(EndState::Finished));
        }
        assert_eq!(stream.request_id(), Some("req_shared"));
        for value in stream.headers().values() {
            assert!(
                !points_into(value.as_bytes(), &read_buffer),
                "{value:?} still points into the read buffer"
            );
        }
    }
}
