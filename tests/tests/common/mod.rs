//! Helpers shared by the client's end-to-end test files: a client aimed at
//! the loopback mock server, SSE event builders, and assertions.

#![allow(dead_code, unused_imports)] // each test file uses a different subset
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

pub use std::time::{Duration, Instant};

pub use bytes::Bytes;
pub use chatstream::RequestOptions;
pub use chatstream::types::{
    ChatCompletionChunk, ChatCompletionMessage, ChatCompletionRequest, ErrorCode, FinishReason,
};
pub use chatstream::{ChatCompletionStream, Client, ClientBuilder, EndState, Error, ErrorKind};
pub use chatstream_testkit::mock::{Ending, MockServer, RawReply, Reply, Sequence};
pub use serde_json::json;

/// The key every client here uses: no error, `Debug` or `Display` output may
/// contain it.
pub const KEY: &str = "sk-SECRET-123";

/// A generous bound for anything that involves a short timeout or a hang.
pub const BOUND: Duration = Duration::from_secs(5);

pub fn request() -> ChatCompletionRequest {
    ChatCompletionRequest::new("gpt-4o-mini", vec![ChatCompletionMessage::user("hi")])
}

pub fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .base_url(server.url())
        .api_key(KEY)
        .max_retries(0)
        .no_proxy()
}

pub fn client(server: &MockServer) -> Client {
    builder(server).build().unwrap()
}

/// A client for a TLS mock, trusting only its CA.
pub fn tls_client(server: &MockServer) -> Client {
    builder(server)
        .tls_built_in_roots(false)
        .add_root_certificate_der(server.ca_cert_der().unwrap())
        .build()
        .unwrap()
}

pub async fn serve(reply: Reply) -> MockServer {
    MockServer::start(reply).await.unwrap()
}

/// One SSE event holding a chunk with one choice.
pub fn event(id: &str, index: u32, content: &str, finish: Option<&str>) -> String {
    let chunk = json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini",
        "choices": [{"index": index, "delta": {"content": content}, "finish_reason": finish}],
    });
    format!("data: {chunk}\n\n")
}

/// `n` events with content `c0`, `c1`, … and no finish reason.
pub fn events(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| event(&format!("id{i}"), 0, &format!("c{i}"), None))
        .collect()
}

/// The text a chunk carries (every choice's content, joined).
pub fn text(chunk: &ChatCompletionChunk) -> String {
    chunk
        .choices
        .iter()
        .filter_map(|choice| choice.delta.content_text())
        .collect()
}

pub fn texts(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("c{i}")).collect()
}

/// Sends the request and expects it to fail before any stream: the error
/// and how long it took.
pub async fn creation_error(client: &Client) -> (Error, Duration) {
    let started = Instant::now();
    let error = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap_err();
    (error, started.elapsed())
}

/// Reads `stream` to its end: the text of every chunk delivered, and the one
/// error it ended with (after which it must yield nothing and report no
/// clean end state).
pub async fn drain(stream: &mut ChatCompletionStream) -> (Vec<String>, Option<Error>) {
    let mut delivered = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(chunk) => delivered.push(text(&chunk)),
            Err(error) => {
                assert!(stream.next().await.is_none(), "nothing after the error");
                assert!(stream.next().await.is_none(), "still nothing");
                assert_eq!(stream.end_state(), None, "an error is not a clean end");
                assert!(stream.is_terminated());
                return (delivered, Some(error));
            }
        }
    }
    assert!(stream.is_terminated());
    (delivered, None)
}

/// Opens a stream on `client` and reads it to its end.
pub async fn stream_through(client: &Client) -> (Vec<String>, Option<Error>, Option<EndState>) {
    let mut stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    let (delivered, error) = drain(&mut stream).await;
    (delivered, error, stream.end_state())
}

/// Serves `reply` and streams it through a default client.
pub async fn serve_and_stream(reply: Reply) -> (Vec<String>, Option<Error>, Option<EndState>) {
    let server = serve(reply).await;
    stream_through(&client(&server)).await
}

/// Answers with the raw HTTP `response` bytes and streams them through a
/// default client.
pub async fn raw_and_stream(
    response: impl Into<Bytes>,
) -> (Vec<String>, Option<Error>, Option<EndState>) {
    let server = MockServer::start_raw(RawReply::response(response))
        .await
        .unwrap();
    stream_through(&client(&server)).await
}

/// Neither `Display` nor `Debug` of `error` shows the API key.
pub fn assert_no_secret(error: &Error) {
    let shown = error.to_string();
    let debugged = format!("{error:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(!debugged.contains("SECRET"), "{debugged}");
}

pub fn status(error: &Error) -> Option<u16> {
    error.status().map(|s| s.as_u16())
}

pub fn completion_json() -> serde_json::Value {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": "The whole answer."},
            "finish_reason": "stop",
        }],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
    })
}
