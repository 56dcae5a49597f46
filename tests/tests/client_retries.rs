//! End-to-end tests of the client's retries: which failures are retried, how
//! long it waits (`retry-after-ms`, `Retry-After`, `x-should-retry`, the
//! exponential backoff), and that nothing is ever retried once the response
//! has started — a retry after the first byte would duplicate tokens.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use chatstream::{ChatCompletionStream, Client, ClientBuilder, EndState, Error, ErrorKind};
use chatstream_testkit::mock::{Ending, MockServer, RawReply, Reply, Sequence};
use common::{BOUND, KEY, creation_error, request};
use serde_json::json;

/// How long to keep watching for a retry that must not come.
const NO_RETRY_WATCH: Duration = Duration::from_millis(300);

/// A client with short backoffs (10 ms, then 20 ms, capped at 40 ms) and the
/// default retry count (2).
fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .base_url(server.url())
        .api_key(KEY)
        .retry_backoff(Duration::from_millis(10), Duration::from_millis(40))
        .no_proxy()
}

fn client(server: &MockServer) -> Client {
    builder(server).build().unwrap()
}

fn event(content: &str, finish: Option<&str>) -> String {
    let chunk = json!({
        "id": "chatcmpl-r",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
    });
    format!("data: {chunk}\n\n")
}

/// A complete stream: "a", "b", a stop, `[DONE]`.
fn success() -> Reply {
    Reply::sse(
        [
            event("a", None),
            event("b", None),
            event("", Some("stop")),
            "data: [DONE]\n\n".to_owned(),
        ]
        .concat(),
    )
}

fn error_reply(status: u16) -> Reply {
    Reply::json(
        status,
        json!({"error": {"message": format!("status {status}"), "type": "t", "code": null}}),
    )
}

async fn serve(replies: Vec<Reply>) -> MockServer {
    MockServer::start(Sequence::new(replies)).await.unwrap()
}

/// Reads `stream` to its end: the text of each chunk, and the error it ended
/// with.
async fn drain(stream: &mut ChatCompletionStream) -> (Vec<String>, Option<Error>) {
    let mut delivered = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(chunk) => delivered.push(
                chunk
                    .choices
                    .iter()
                    .filter_map(|c| c.delta.content_text())
                    .collect(),
            ),
            Err(error) => {
                assert!(stream.next().await.is_none(), "nothing after the error");
                return (delivered, Some(error));
            }
        }
    }
    (delivered, None)
}

/// Opens a stream, expects the complete `success()` answer.
async fn expect_success(client: &Client) -> ChatCompletionStream {
    let mut stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    let (delivered, error) = drain(&mut stream).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered, ["a", "b", ""]);
    assert_eq!(stream.end_state(), Some(EndState::Done));
    stream
}

/// After a failure: waits a while and checks no further request came.
async fn assert_no_more_requests(server: &MockServer, expected: usize) {
    assert!(
        !server.wait_requests(expected + 1, NO_RETRY_WATCH).await,
        "a request was retried"
    );
    assert_eq!(server.requests().len(), expected);
}

fn status(error: &Error) -> Option<u16> {
    error.status().map(|s| s.as_u16())
}

// ---------------------------------------------------------------------------
// Retried before the response starts
// ---------------------------------------------------------------------------

#[tokio::test]
async fn two_503s_then_success() {
    let server = serve(vec![error_reply(503), error_reply(503), success()]).await;
    let started = Instant::now();
    let stream = expect_success(&client(&server)).await;
    assert_eq!(server.requests().len(), 3);
    assert_eq!(stream.timing().attempts(), 3);
    assert!(started.elapsed() < BOUND);
    // Every attempt sent the same request.
    let bodies: Vec<Bytes> = server.requests().into_iter().map(|r| r.body).collect();
    assert!(bodies.iter().all(|b| *b == bodies[0]));
    assert_no_more_requests(&server, 3).await;
}

#[tokio::test]
async fn retry_after_ms_is_honoured() {
    let server = serve(vec![
        error_reply(429).header("retry-after-ms", "300"),
        success(),
    ])
    .await;
    let started = Instant::now();
    let stream = expect_success(&client(&server)).await;
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(290), "{elapsed:?}");
    assert!(elapsed < BOUND, "{elapsed:?}");
    assert_eq!(stream.timing().attempts(), 2);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn retry_after_in_seconds_is_honoured() {
    let server = serve(vec![error_reply(429).header("Retry-After", "1"), success()]).await;
    let started = Instant::now();
    let stream = expect_success(&client(&server)).await;
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    assert!(elapsed < BOUND, "{elapsed:?}");
    assert_eq!(stream.timing().attempts(), 2);
}

#[tokio::test]
async fn a_retry_after_of_an_hour_is_not_honoured() {
    // Over the 60 s cap: the short backoff applies instead.
    let server = serve(vec![
        error_reply(503).header("Retry-After", "3600"),
        success(),
    ])
    .await;
    let started = Instant::now();
    let stream = expect_success(&client(&server)).await;
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert_eq!(stream.timing().attempts(), 2);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn x_should_retry_overrides_the_status() {
    // `false` on a 503: not retried.
    let server = serve(vec![
        error_reply(503).header("x-should-retry", "false"),
        success(),
    ])
    .await;
    let error = client(&server)
        .create_chat_completion_stream(&request())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Http);
    assert_eq!(status(&error), Some(503));
    assert_eq!(error.api_error().unwrap().message, "status 503");
    assert_no_more_requests(&server, 1).await;

    // `true` on a 400: retried.
    let server = serve(vec![
        error_reply(400).header("x-should-retry", "true"),
        success(),
    ])
    .await;
    let stream = expect_success(&client(&server)).await;
    assert_eq!(stream.timing().attempts(), 2);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn client_errors_are_never_retried() {
    for code in [400u16, 401, 404] {
        let server = serve(vec![error_reply(code), success()]).await;
        let error = client(&server)
            .create_chat_completion_stream(&request())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Http, "{code}");
        assert_eq!(status(&error), Some(code));
        assert_eq!(server.requests().len(), 1, "{code}");
    }
}

#[tokio::test]
async fn max_retries_zero_sends_one_request() {
    let server = serve(vec![error_reply(503), success()]).await;
    let client = builder(&server).max_retries(0).build().unwrap();
    let error = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Http);
    assert_eq!(status(&error), Some(503));
    assert_no_more_requests(&server, 1).await;
}

#[tokio::test]
async fn by_default_a_persistent_503_is_tried_three_times() {
    let server = serve(vec![error_reply(503).header("x-request-id", "req_last")]).await;
    let (error, elapsed) = creation_error(&client(&server)).await;
    assert!(elapsed < BOUND);
    assert_eq!(error.kind(), ErrorKind::Http);
    assert_eq!(status(&error), Some(503));
    assert_eq!(error.api_error().unwrap().message, "status 503");
    assert_eq!(error.request_id(), Some("req_last"));
    assert!(!error.to_string().contains("SECRET"));
    assert!(!format!("{error:?}").contains("SECRET"));
    assert_no_more_requests(&server, 3).await;
}

#[tokio::test]
async fn connection_errors_are_retried() {
    // The server reads each request and closes without answering.
    let server = MockServer::start_raw(RawReply::close_immediately())
        .await
        .unwrap();
    let (error, elapsed) = creation_error(&client(&server)).await;
    assert!(elapsed < BOUND);
    // The connection was made and the request written, then closed before
    // any response byte: hyper's IncompleteMessage, which the client reports
    // as Transport (not Connect).
    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    assert!(!format!("{error:?}").contains("SECRET"));
    assert_eq!(server.requests().len(), 3, "tried three times");
    assert_eq!(server.connections_opened(), 3, "each on a new connection");
    assert_no_more_requests(&server, 3).await;
}

#[tokio::test]
async fn response_timeouts_are_retried() {
    let server = MockServer::start_raw(RawReply::never_answer())
        .await
        .unwrap();
    let client = builder(&server)
        .response_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let (error, elapsed) = creation_error(&client).await;
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(elapsed >= Duration::from_millis(600), "{elapsed:?}");
    assert!(elapsed < BOUND, "{elapsed:?}");
    assert_eq!(server.requests().len(), 3);
}

// ---------------------------------------------------------------------------
// Never retried once the response has started
// ---------------------------------------------------------------------------

/// A stream that fails after its first two chunks must deliver them, end
/// with `kind`, and leave the server with exactly one request.
async fn assert_not_retried(
    reply: Reply,
    client: impl FnOnce(&MockServer) -> Client,
    kind: ErrorKind,
) {
    // A second reply that would succeed, should the client (wrongly) retry.
    let server = serve(vec![reply, success()]).await;
    let client = client(&server);
    let started = Instant::now();
    let mut stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    let (delivered, error) = drain(&mut stream).await;
    assert!(started.elapsed() < BOUND);
    assert_eq!(delivered, ["a", "b"], "the chunks before the fault");
    assert_eq!(error.unwrap().kind(), kind);
    assert_eq!(stream.timing().attempts(), 1);
    assert_no_more_requests(&server, 1).await;
}

fn two_chunks() -> Reply {
    Reply::sse(Bytes::new()).pieces(vec![
        Bytes::from(event("a", None)),
        Bytes::from(event("b", None)),
    ])
}

#[tokio::test]
async fn an_abort_mid_body_is_not_retried() {
    assert_not_retried(
        two_chunks().end(Ending::Abort),
        client,
        ErrorKind::Transport,
    )
    .await;
}

#[tokio::test]
async fn an_idle_timeout_mid_stream_is_not_retried() {
    let short_idle = |server: &MockServer| {
        builder(server)
            .idle_timeout(Duration::from_millis(300))
            .build()
            .unwrap()
    };
    assert_not_retried(
        two_chunks().end(Ending::Stall),
        short_idle,
        ErrorKind::Timeout,
    )
    .await;
}

#[tokio::test]
async fn an_error_object_in_the_stream_is_not_retried() {
    let body = [
        event("a", None),
        event("b", None),
        "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n".to_owned(),
    ];
    assert_not_retried(Reply::sse(body.concat()), client, ErrorKind::Api).await;
}

#[tokio::test]
async fn a_truncated_stream_is_not_retried() {
    assert_not_retried(two_chunks(), client, ErrorKind::Truncated).await;
}

// ---------------------------------------------------------------------------
// The backoff
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_backoff_waits_between_attempts() {
    // 100 ms each time (the cap), shortened by at most 25% of jitter: two
    // waits of 75–100 ms.
    let server = serve(vec![error_reply(503), error_reply(503), success()]).await;
    let client = builder(&server)
        .retry_backoff(Duration::from_millis(100), Duration::from_millis(100))
        .build()
        .unwrap();
    let started = Instant::now();
    let stream = expect_success(&client).await;
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(150), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(stream.timing().attempts(), 3);
    assert_eq!(server.requests().len(), 3);
}
