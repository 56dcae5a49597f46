//! End-to-end tests of how a `chatstream` stream ends: every clean end state,
//! every error path (API errors, truncation, broken connections, bad payloads,
//! timeouts, error statuses, connection failures), dropping a stream, what the
//! client puts on the wire, and that the API key never leaks into an error.
//!
//! Each test runs the real client against the loopback mock server and checks
//! the typed error (`error.kind()`), that every chunk sent before the fault was
//! delivered (count and content), and a generous time bound wherever a timeout
//! or a hang is involved. Retries are switched off here (`max_retries(0)`);
//! they have their own file, `client_retries.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::time::{Duration, Instant};

use bytes::Bytes;
use chatstream::RequestOptions;
use chatstream::types::{
    ChatCompletionChunk, ChatCompletionMessage, ChatCompletionRequest, ErrorCode, FinishReason,
};
use chatstream::{ChatCompletionStream, Client, ClientBuilder, EndState, Error, ErrorKind};
use chatstream_tests::mock::{Ending, MockServer, RawReply, Reply, Sequence};
use serde_json::json;

/// The key every client here uses: no error, `Debug` or `Display` output may
/// contain it.
const KEY: &str = "sk-SECRET-123";

/// A generous bound for anything that involves a short timeout or a hang.
const BOUND: Duration = Duration::from_secs(5);

fn request() -> ChatCompletionRequest {
    ChatCompletionRequest::new("gpt-4o-mini", vec![ChatCompletionMessage::user("hi")])
}

fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .base_url(server.url())
        .api_key(KEY)
        .max_retries(0)
        .no_proxy()
}

fn client(server: &MockServer) -> Client {
    builder(server).build().unwrap()
}

/// A client for a TLS mock, trusting only its CA.
fn tls_client(server: &MockServer) -> Client {
    builder(server)
        .tls_built_in_roots(false)
        .add_root_certificate_der(server.ca_cert_der().unwrap())
        .build()
        .unwrap()
}

async fn serve(reply: Reply) -> MockServer {
    MockServer::start(reply).await.unwrap()
}

/// One SSE event holding a chunk with one choice.
fn event(id: &str, index: u32, content: &str, finish: Option<&str>) -> String {
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
fn events(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| event(&format!("id{i}"), 0, &format!("c{i}"), None))
        .collect()
}

/// The text a chunk carries (every choice's content, joined).
fn text(chunk: &ChatCompletionChunk) -> String {
    chunk
        .choices
        .iter()
        .filter_map(|choice| choice.delta.content_text())
        .collect()
}

fn texts(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("c{i}")).collect()
}

/// Reads `stream` to its end: the text of every chunk delivered, and the one
/// error it ended with (after which it must yield nothing and report no
/// clean end state).
async fn drain(stream: &mut ChatCompletionStream) -> (Vec<String>, Option<Error>) {
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
async fn stream_through(client: &Client) -> (Vec<String>, Option<Error>, Option<EndState>) {
    let mut stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    let (delivered, error) = drain(&mut stream).await;
    (delivered, error, stream.end_state())
}

/// Neither `Display` nor `Debug` of `error` shows the API key.
fn assert_no_secret(error: &Error) {
    let shown = error.to_string();
    let debugged = format!("{error:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(!debugged.contains("SECRET"), "{debugged}");
}

fn status(error: &Error) -> Option<u16> {
    error.status().map(|s| s.as_u16())
}

// ---------------------------------------------------------------------------
// Clean ends
// ---------------------------------------------------------------------------

#[tokio::test]
async fn done_is_a_clean_end() {
    let mut body = events(3);
    body.push(event("id3", 0, "", Some("stop")));
    body.push("data: [DONE]\n\n".to_owned());
    let server = serve(Reply::sse(body.concat()).split_every(17)).await;
    let (delivered, error, end) = stream_through(&client(&server)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered, [texts(3), vec![String::new()]].concat());
    assert_eq!(end, Some(EndState::Done));
}

#[tokio::test]
async fn body_ending_after_every_choice_finished_is_finished() {
    // No [DONE] (Perplexity, some proxies), but the choice has its reason.
    let mut body = events(2);
    body.push(event("id2", 0, "!", Some("stop")));
    let server = serve(Reply::sse(body.concat())).await;
    let (delivered, error, end) = stream_through(&client(&server)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered, ["c0", "c1", "!"]);
    assert_eq!(end, Some(EndState::Finished));
}

#[tokio::test]
async fn two_choices_both_finished_is_finished_one_unfinished_is_truncated() {
    // n = 2: the choices interleave; both finish, at different chunks.
    let both = [
        event("a", 0, "x0", None),
        event("a", 1, "y0", None),
        event("a", 1, "y1", Some("stop")),
        event("a", 0, "x1", None),
        event("a", 0, "", Some("length")),
    ];
    let server = serve(Reply::sse(both.concat())).await;
    let (delivered, error, end) = stream_through(&client(&server)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered, ["x0", "y0", "y1", "x1", ""]);
    assert_eq!(end, Some(EndState::Finished));

    // Choice 0 never finishes: the answer is incomplete.
    let one = [event("a", 0, "x0", None), event("a", 1, "y0", Some("stop"))];
    let server = serve(Reply::sse(one.concat())).await;
    let (delivered, error, end) = stream_through(&client(&server)).await;
    assert_eq!(delivered, ["x0", "y0"]);
    assert_eq!(error.unwrap().kind(), ErrorKind::Truncated);
    assert_eq!(end, None);
}

#[tokio::test]
async fn a_last_done_without_its_blank_line_after_finished_choices_is_finished() {
    // Azure's last `data: [DONE]` sometimes lacks its closing blank line: the
    // event is never dispatched, but every choice had finished.
    for tail in ["data: [DONE]", "data: [DONE]\n"] {
        let body = [
            event("a", 0, "hi", None),
            event("a", 0, "", Some("stop")),
            tail.to_owned(),
        ];
        let server = serve(Reply::sse(body.concat())).await;
        let (delivered, error, end) = stream_through(&client(&server)).await;
        assert!(error.is_none(), "{tail:?}: {error:?}");
        assert_eq!(delivered, ["hi", ""], "{tail:?}");
        assert_eq!(end, Some(EndState::Finished), "{tail:?}");
    }
}

fn completion_json() -> serde_json::Value {
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

#[tokio::test]
async fn a_json_completion_instead_of_a_stream_is_one_chunk_then_not_streamed() {
    let server = serve(Reply::json(200, completion_json())).await;
    let mut stream = client(&server)
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    let chunk = stream.next().await.unwrap().unwrap();
    assert_eq!(chunk.id, "chatcmpl-1");
    assert_eq!(text(&chunk), "The whole answer.");
    assert_eq!(chunk.choices[0].finish_reason, Some(FinishReason::Stop));
    assert_eq!(chunk.usage.as_ref().unwrap().total_tokens, 7);
    assert!(stream.next().await.is_none());
    assert!(stream.next().await.is_none());
    assert_eq!(stream.end_state(), Some(EndState::NotStreamed));
    assert_eq!(stream.timing().chunks(), 1);

    // Folded, it is the same completion.
    let collected = client(&server)
        .create_chat_completion_stream(&request())
        .await
        .unwrap()
        .collect_completion()
        .await;
    assert_eq!(collected.end.as_ref().ok(), Some(&EndState::NotStreamed));
    let completion = collected.completion;
    assert_eq!(
        completion.choices[0].message.text().as_deref(),
        Some("The whole answer.")
    );
    assert_eq!(
        completion.choices[0].finish_reason,
        Some(FinishReason::Stop)
    );
}

#[tokio::test]
async fn a_json_body_that_stalls_is_a_timeout_at_creation() {
    // The whole JSON body is read before the stream is returned, within the
    // response timeout.
    let json = completion_json().to_string();
    let server = serve(
        Reply::json(200, completion_json())
            .pieces(vec![Bytes::from(json[..20].to_owned())])
            .end(Ending::Stall),
    )
    .await;
    let client = builder(&server)
        .response_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    assert_eq!(status(&error), Some(200));
    assert!(started.elapsed() < BOUND);
}

#[tokio::test]
async fn collect_completion_folds_the_stream_and_reports_the_end() {
    let body = [
        event("a", 0, "Hello", None),
        event("a", 0, ", ", None),
        event("a", 0, "world", None),
        event("a", 0, "", Some("stop")),
        "data: [DONE]\n\n".to_owned(),
    ];
    let server = serve(Reply::sse(body.concat()).split_every(5)).await;
    let collected = client(&server)
        .create_chat_completion_stream(&request())
        .await
        .unwrap()
        .collect_completion()
        .await;
    assert_eq!(collected.end.as_ref().ok(), Some(&EndState::Done));
    assert_eq!(collected.timing.chunks(), 4);
    let completion = collected.into_result().unwrap();
    assert_eq!(completion.id, "a");
    assert_eq!(
        completion.choices[0].message.text().as_deref(),
        Some("Hello, world")
    );
    assert_eq!(
        completion.choices[0].finish_reason,
        Some(FinishReason::Stop)
    );

    // A cut-off stream: the partial completion, and the error.
    let server = serve(Reply::sse(body[..2].concat())).await;
    let collected = client(&server)
        .create_chat_completion_stream(&request())
        .await
        .unwrap()
        .collect_completion()
        .await;
    assert_eq!(
        collected.end.as_ref().unwrap_err().kind(),
        ErrorKind::Truncated
    );
    assert_eq!(
        collected.completion.choices[0].message.text().as_deref(),
        Some("Hello, ")
    );
    assert_eq!(collected.completion.choices[0].finish_reason, None);
    assert_eq!(
        collected.into_result().unwrap_err().kind(),
        ErrorKind::Truncated
    );
}

// ---------------------------------------------------------------------------
// Api: an error object from the server
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_error_object_mid_stream_after_three_chunks() {
    let mut body = events(3);
    body.push(
        "data: {\"error\":{\"message\":\"The model overloaded.\",\"type\":\"server_error\",\"param\":null,\"code\":\"overloaded\"}}\n\n"
            .to_owned(),
    );
    body.push("data: [DONE]\n\n".to_owned());
    let server = serve(Reply::sse(body.concat()).header("x-request-id", "req_mid")).await;
    let (delivered, error, end) = stream_through(&client(&server)).await;
    assert_eq!(delivered, texts(3), "every chunk before the error");
    assert_eq!(end, None);
    let error = error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Api);
    let api = error.api_error().unwrap();
    assert_eq!(api.message, "The model overloaded.");
    assert_eq!(api.code, Some(ErrorCode::String("overloaded".into())));
    assert_eq!(api.kind.as_deref(), Some("server_error"));
    assert_eq!(error.request_id(), Some("req_mid"));
    assert!(
        error
            .payload()
            .is_some_and(|p| p.starts_with(b"{\"error\":"))
    );
    assert_no_secret(&error);
}

#[tokio::test]
async fn an_error_event_with_a_json_error_object() {
    // Groq's `event: error` form.
    let body = [
        event("a", 0, "partial", None),
        "event: error\ndata: {\"error\":{\"message\":\"tool_use_failed\",\"type\":\"invalid_request_error\",\"code\":\"tool_use_failed\"}}\n\n".to_owned(),
    ];
    let server = serve(Reply::sse(body.concat())).await;
    let (delivered, error, _) = stream_through(&client(&server)).await;
    assert_eq!(delivered, ["partial"]);
    let error = error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Api);
    let api = error.api_error().unwrap();
    assert_eq!(api.message, "tool_use_failed");
    assert_eq!(api.code, Some(ErrorCode::String("tool_use_failed".into())));
}

#[tokio::test]
async fn an_error_event_with_plain_text_data() {
    let body = [
        event("a", 0, "one", None),
        event("a", 0, "two", None),
        "event: error\ndata: upstream connection lost\n\n".to_owned(),
    ];
    let server = serve(Reply::sse(body.concat())).await;
    let (delivered, error, _) = stream_through(&client(&server)).await;
    assert_eq!(delivered, ["one", "two"]);
    let error = error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(
        error.api_error().unwrap().message,
        "upstream connection lost"
    );
}

#[tokio::test]
async fn a_200_json_error_body_fails_the_creation_with_api() {
    let body = json!({"error": {"message": "Context too long", "type": "invalid_request_error", "code": "context_length_exceeded"}});
    let server = serve(Reply::json(200, body).header("x-request-id", "req_200")).await;
    let error = client(&server)
        .create_chat_completion_stream(&request())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(status(&error), Some(200));
    assert_eq!(error.request_id(), Some("req_200"));
    let api = error.api_error().unwrap();
    assert_eq!(api.message, "Context too long");
    assert_eq!(
        api.code,
        Some(ErrorCode::String("context_length_exceeded".into()))
    );
    assert_no_secret(&error);
}

#[tokio::test]
async fn an_error_object_whose_error_key_is_not_first() {
    // In the stream …
    let body = [
        event("a", 0, "before", None),
        "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"error\":{\"message\":\"late key\",\"code\":502}}\n\n".to_owned(),
    ];
    let server = serve(Reply::sse(body.concat())).await;
    let (delivered, error, _) = stream_through(&client(&server)).await;
    assert_eq!(delivered, ["before"]);
    let error = error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Api);
    let api = error.api_error().unwrap();
    assert_eq!(api.message, "late key");
    assert_eq!(api.code, Some(ErrorCode::Number(502)));

    // … and as a 200 JSON body.
    let server = serve(Reply::json(
        200,
        json!({"id": "x", "object": "error", "error": {"message": "late key in body"}}),
    ))
    .await;
    let error = client(&server)
        .create_chat_completion_stream(&request())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.api_error().unwrap().message, "late key in body");
}

// ---------------------------------------------------------------------------
// Truncated: the body stopped early
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_body_ending_mid_choice_without_done_is_truncated() {
    let server = serve(Reply::sse(events(4).concat())).await;
    let (delivered, error, end) = stream_through(&client(&server)).await;
    assert_eq!(delivered, texts(4));
    assert_eq!(end, None);
    let error = error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Truncated);
    assert_eq!(status(&error), Some(200));
    assert_no_secret(&error);
}

#[tokio::test]
async fn an_empty_200_body_is_truncated_never_a_clean_end() {
    // llama-cpp-python answers a context overflow in stream mode with a 200
    // event stream and an empty body.
    let server = serve(
        Reply::sse(Bytes::new())
            .header("content-type", "text/event-stream; charset=utf-8")
            .header("x-request-id", "180e2591fd6948e4985925d53573ae08"),
    )
    .await;
    let mut stream = client(&server)
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    let first = stream.next().await;
    let error = match first {
        Some(Err(error)) => error,
        other => panic!("expected Truncated first, got {other:?}"),
    };
    assert_eq!(error.kind(), ErrorKind::Truncated);
    assert_eq!(error.request_id(), Some("180e2591fd6948e4985925d53573ae08"));
    assert!(stream.next().await.is_none());
    assert_eq!(stream.end_state(), None);
}

#[tokio::test]
async fn a_body_ending_in_the_middle_of_an_event_is_truncated() {
    // The last event is complete JSON, even with a finish reason, but its
    // blank line never came: it is not dispatched, the answer is cut.
    let last = event("a", 0, "lost", Some("stop"));
    let body = [
        event("a", 0, "kept", None),
        last.trim_end().to_owned(), // no blank line
    ];
    let server = serve(Reply::sse(body.concat())).await;
    let (delivered, error, _) = stream_through(&client(&server)).await;
    assert_eq!(delivered, ["kept"]);
    assert_eq!(error.unwrap().kind(), ErrorKind::Truncated);

    // Cut inside the JSON.
    let cut = &last[..last.len() / 2];
    let body = [event("a", 0, "kept", None), cut.to_owned()];
    let server = serve(Reply::sse(body.concat())).await;
    let (delivered, error, _) = stream_through(&client(&server)).await;
    assert_eq!(delivered, ["kept"]);
    assert_eq!(error.unwrap().kind(), ErrorKind::Truncated);
}

#[tokio::test]
async fn a_body_cut_inside_the_usage_chunk_after_finished_choices_is_truncated() {
    // With `stream_options.include_usage` OpenAI sends the usage in a last
    // chunk after the one with the finish reason. Cut inside that chunk, the
    // usage is lost: that is not a clean end. (Only a last `[DONE]` missing
    // its blank line may end a finished stream: see
    // a_last_done_without_its_blank_line_after_finished_choices_is_finished.)
    let body = [
        event("a", 0, "answer", None),
        event("a", 0, "", Some("stop")),
        "data: {\"id\":\"a\",\"choices\":[],\"usage\":{\"prompt_tok".to_owned(),
    ];
    let server = serve(Reply::sse(body.concat())).await;
    let (delivered, error, end) = stream_through(&client(&server)).await;
    assert_eq!(delivered, ["answer", ""]);
    assert_eq!(end, None, "not a clean end");
    assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::Truncated));
}

// ---------------------------------------------------------------------------
// Transport: the connection broke
// ---------------------------------------------------------------------------

fn aborted_after_two() -> Reply {
    Reply::sse(Bytes::new())
        .pieces(events(2).into_iter().map(Bytes::from).collect())
        .end(Ending::Abort)
}

async fn assert_two_chunks_then_transport(client: &Client) {
    let (delivered, error, end) = stream_through(client).await;
    assert_eq!(delivered, texts(2), "every chunk before the break");
    assert_eq!(end, None);
    let error = error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    assert_no_secret(&error);
}

#[tokio::test]
async fn an_abort_mid_body_over_http1_is_transport() {
    let server = serve(aborted_after_two()).await;
    assert_two_chunks_then_transport(&client(&server)).await;
    assert_eq!(server.requests()[0].version, "HTTP/1.1");
}

#[tokio::test]
async fn an_abort_mid_body_over_http2_is_transport() {
    let server = serve(aborted_after_two()).await;
    let client = builder(&server).http2_prior_knowledge().build().unwrap();
    assert_two_chunks_then_transport(&client).await;
    assert_eq!(server.requests()[0].version, "HTTP/2.0");
}

#[tokio::test]
async fn an_abort_mid_body_over_tls_is_transport() {
    let server = MockServer::start_tls(aborted_after_two()).await.unwrap();
    assert_two_chunks_then_transport(&tls_client(&server)).await;
    assert_eq!(server.requests()[0].version, "HTTP/2.0", "ALPN chose h2");
}

const SSE_HEAD: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";

fn http_chunk(data: &str) -> String {
    format!("{:x}\r\n{data}\r\n", data.len())
}

#[tokio::test]
async fn a_chunked_body_closed_mid_chunk_is_transport() {
    // hyper reports a chunked body cut inside a chunk (the connection closed
    // before the announced chunk size arrived) as a body error, never as a
    // clean end, so the client reports Transport, not Truncated.
    let second = event("b", 0, "c1", None);
    let bytes = format!(
        "{SSE_HEAD}{}{:x}\r\n{}",
        http_chunk(&event("a", 0, "c0", None)),
        second.len(),
        &second[..10],
    );
    let server = MockServer::start_raw(RawReply::response(bytes))
        .await
        .unwrap();
    let (delivered, error, _) = stream_through(&client(&server)).await;
    assert_eq!(delivered, ["c0"]);
    assert_eq!(error.unwrap().kind(), ErrorKind::Transport);

    // The same between chunks (no terminating zero-size chunk): also a body
    // error.
    let bytes = format!("{SSE_HEAD}{}", http_chunk(&event("a", 0, "c0", None)));
    let server = MockServer::start_raw(RawReply::response(bytes))
        .await
        .unwrap();
    let (delivered, error, _) = stream_through(&client(&server)).await;
    assert_eq!(delivered, ["c0"]);
    assert_eq!(error.unwrap().kind(), ErrorKind::Transport);
}

#[tokio::test]
async fn a_body_delimited_by_the_connection_close_ends_by_the_choices() {
    // Without content-length or chunked encoding, the body ends when the
    // server closes: hyper reports that as a clean end of body, so a cut is
    // seen only through the choices — Truncated when one is unfinished,
    // Finished when all are.
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
    let cut = format!("{head}{}{}", event("a", 0, "c0", None), "data: {\"id\":");
    let server = MockServer::start_raw(RawReply::response(cut))
        .await
        .unwrap();
    let (delivered, error, _) = stream_through(&client(&server)).await;
    assert_eq!(delivered, ["c0"]);
    assert_eq!(error.unwrap().kind(), ErrorKind::Truncated);

    let whole = format!("{head}{}", event("a", 0, "c0", Some("stop")));
    let server = MockServer::start_raw(RawReply::response(whole))
        .await
        .unwrap();
    let (delivered, error, end) = stream_through(&client(&server)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered, ["c0"]);
    assert_eq!(end, Some(EndState::Finished));
}

#[tokio::test]
async fn a_content_length_body_closed_early_is_transport() {
    let body = event("a", 0, "c0", None);
    let bytes = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\n\r\n{body}",
        body.len() + 100
    );
    let server = MockServer::start_raw(RawReply::response(bytes))
        .await
        .unwrap();
    let (delivered, error, _) = stream_through(&client(&server)).await;
    assert_eq!(delivered, ["c0"]);
    assert_eq!(error.unwrap().kind(), ErrorKind::Transport);
}

// ---------------------------------------------------------------------------
// Decode: payloads that are not chunks, events past the size limit
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_invalid_json_payload_is_decode_with_the_payload() {
    let body = [
        event("a", 0, "c0", None),
        event("a", 0, "c1", None),
        "data: {\"id\":\"a\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"oops}}]\n\n"
            .to_owned(),
        "data: [DONE]\n\n".to_owned(),
    ];
    let server = serve(Reply::sse(body.concat())).await;
    let (delivered, error, _) = stream_through(&client(&server)).await;
    assert_eq!(delivered, ["c0", "c1"]);
    let error = error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(
        &error.payload().unwrap()[..],
        b"{\"id\":\"a\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"oops}}]"
    );
    assert_no_secret(&error);
}

/// Bytes that are neither text nor SSE: NUL, invalid UTF-8, controls, no
/// line end.
fn garbage() -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut bytes = vec![0u8, 0xFF, 0xFE, 0xC3, 0x28, 0x80];
    while bytes.len() < 4096 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let byte = (state >> 56) as u8;
        if byte != b'\n' && byte != b'\r' {
            bytes.push(byte);
        }
    }
    bytes
}

#[tokio::test]
async fn garbage_bytes_as_the_body() {
    // No line end at all: nothing was ever dispatched when the body ends.
    let server = serve(Reply::sse(garbage()).split_every(1000)).await;
    let (delivered, error, _) = stream_through(&client(&server)).await;
    assert!(delivered.is_empty());
    let error = error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Truncated);
    assert_no_secret(&error);

    // Blank lines inside the garbage: per the SSE rules a line without a
    // `data` field dispatches nothing (it is an unknown field), so this is
    // still a body without a single event.
    let mut with_blanks = garbage();
    with_blanks.splice(2000..2000, *b"\n\n");
    with_blanks.extend_from_slice(b"\n\n");
    let server = serve(Reply::sse(with_blanks)).await;
    let (delivered, error, _) = stream_through(&client(&server)).await;
    assert!(delivered.is_empty());
    assert_eq!(error.unwrap().kind(), ErrorKind::Truncated);

    // Garbage as the data of an event: a Decode error carrying it (after
    // U+FFFD replacement of the invalid UTF-8).
    let mut as_data = b"data: ".to_vec();
    as_data.extend_from_slice(&garbage());
    as_data.extend_from_slice(b"\n\n");
    let server = serve(Reply::sse(as_data)).await;
    let (delivered, error, _) = stream_through(&client(&server)).await;
    assert!(delivered.is_empty());
    let error = error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Decode);
    let payload = error.payload().unwrap();
    assert!(payload.starts_with(b"\0\xEF\xBF\xBD"), "NUL, then U+FFFD");
    assert!(
        std::str::from_utf8(payload).is_ok(),
        "replaced, valid UTF-8"
    );
    assert!(payload.len() >= 4000);
}

#[tokio::test]
async fn invalid_utf8_inside_a_json_string_becomes_replacement_characters() {
    let mut body = b"data: {\"id\":\"a\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ab\xFF\xFEcd\"},\"finish_reason\":null}]}\n\n".to_vec();
    body.extend_from_slice(event("a", 0, "", Some("stop")).as_bytes());
    body.extend_from_slice(b"data: [DONE]\n\n");
    let server = serve(Reply::sse(body).split_every(7)).await;
    let (delivered, error, end) = stream_through(&client(&server)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered.len(), 2);
    assert!(delivered[0].contains('\u{FFFD}'), "{:?}", delivered[0]);
    assert!(delivered[0].starts_with("ab") && delivered[0].ends_with("cd"));
    assert_eq!(end, Some(EndState::Done));
}

#[tokio::test]
async fn a_bom_at_the_start_is_ignored() {
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend_from_slice(event("a", 0, "c0", None).as_bytes());
    body.extend_from_slice(b"data: [DONE]\n\n");
    // Split inside the BOM too.
    let server = serve(Reply::sse(body).split_every(2)).await;
    let (delivered, error, end) = stream_through(&client(&server)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered, ["c0"]);
    assert_eq!(end, Some(EndState::Done));
}

#[tokio::test]
async fn a_100_mib_line_fails_fast_with_bounded_memory() {
    // A line with no end, 100 MiB as 1600 clones of one 64 KiB buffer, with a
    // 1 MiB event limit: Decode after about 1 MiB. The pieces are 2 ms apart,
    // so the server needs at least 3.2 s to send them all; an error well
    // before that proves the client neither waited for (nor buffered) the
    // whole line.
    let piece = Bytes::from(vec![b'a'; 64 * 1024]);
    let mut pieces = vec![Bytes::from_static(b"data: ")];
    pieces.extend(std::iter::repeat_n(piece, 1600));
    let server = serve(
        Reply::sse(Bytes::new())
            .pieces(pieces)
            .pace(Duration::from_millis(2)),
    )
    .await;
    let client = builder(&server).max_event_size(1 << 20).build().unwrap();
    let started = Instant::now();
    let mut stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    let (delivered, error) = drain(&mut stream).await;
    let elapsed = started.elapsed();
    assert!(delivered.is_empty());
    let error = error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Decode, "{error:?}");
    assert_no_secret(&error);
    assert!(
        elapsed < Duration::from_millis(3000),
        "the error must come before the server could send it all: {elapsed:?}"
    );
    assert!(
        stream.timing().time_to_first_byte().is_some(),
        "bytes were read"
    );
    drop(stream);
    assert!(
        server.wait_connections_closed(1, BOUND).await,
        "the client hung up"
    );
}

// ---------------------------------------------------------------------------
// Timeout
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_stall_after_one_chunk_is_an_idle_timeout() {
    let server = serve(Reply::sse(event("a", 0, "c0", None)).end(Ending::Stall)).await;
    let client = builder(&server)
        .idle_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let (delivered, error, _) = stream_through(&client).await;
    let elapsed = started.elapsed();
    assert_eq!(delivered, ["c0"]);
    let error = error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(error.is_timeout());
    assert_no_secret(&error);
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < BOUND, "{elapsed:?}");
}

#[tokio::test]
async fn one_byte_every_50_ms_never_trips_a_300_ms_idle_timeout() {
    let body = "data:{\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\ndata:[DONE]\n\n";
    let server = serve(
        Reply::sse(body)
            .split_every(1)
            .pace(Duration::from_millis(50)),
    )
    .await;
    let client = builder(&server)
        .idle_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let (delivered, error, end) = stream_through(&client).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered, ["ok"]);
    assert_eq!(end, Some(EndState::Done));
    // 57 pieces, 56 pauses: longer than the idle timeout many times over.
    assert!(started.elapsed() >= Duration::from_millis(56 * 50));
}

#[tokio::test]
async fn a_late_response_head_is_a_timeout_at_creation() {
    let server = serve(Reply::sse("data: [DONE]\n\n").delay_headers(Duration::from_secs(2))).await;
    let client = builder(&server)
        .response_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert_no_secret(&error);
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(1900),
        "did not wait for the head: {elapsed:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout_at_creation() {
    let server = MockServer::start_raw(RawReply::never_answer())
        .await
        .unwrap();
    let client = builder(&server)
        .response_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(started.elapsed() < BOUND);
    assert_eq!(server.requests().len(), 1);
}

/// A listener whose accept queue is full (backlog 0, one connection never
/// accepted): Linux drops further SYNs, so a new connection hangs. Returns
/// the address and what must stay alive.
#[cfg(target_os = "linux")]
async fn unconnectable() -> (
    std::net::SocketAddr,
    tokio::net::TcpListener,
    Vec<tokio::net::TcpStream>,
) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    for _ in 0..16 {
        let connect = tokio::net::TcpStream::connect(addr);
        match tokio::time::timeout(Duration::from_millis(200), connect).await {
            Ok(Ok(stream)) => held.push(stream),
            _ => return (addr, listener, held),
        }
    }
    panic!("the accept queue never filled");
}

#[cfg(target_os = "linux")]
async fn connect_timeout_error() -> (Error, Duration) {
    let (addr, _listener, _held) = unconnectable().await;
    let client = Client::builder()
        .base_url(format!("http://{addr}/v1"))
        .api_key(KEY)
        .connect_timeout(Duration::from_millis(200))
        .max_retries(0)
        .no_proxy()
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap_err();
    (error, started.elapsed())
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_connection_that_hangs_times_out() {
    let (error, elapsed) = connect_timeout_error().await;
    assert!(error.is_timeout(), "{error:?}");
    assert!(
        matches!(error.kind(), ErrorKind::Connect | ErrorKind::Timeout),
        "{error:?}"
    );
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    assert!(elapsed < BOUND, "{elapsed:?}");
    assert_no_secret(&error);
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_connect_timeout_is_the_timeout_kind() {
    let (error, _) = connect_timeout_error().await;
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
}

#[tokio::test]
async fn keep_alive_comments_keep_the_idle_timer_alive() {
    // One comment every 100 ms for a second, idle timeout 300 ms: the
    // comments are bytes, so no timeout; then the answer.
    let mut pieces: Vec<Bytes> = (0..10)
        .map(|_| Bytes::from_static(b": OPENROUTER PROCESSING\n\n"))
        .collect();
    pieces.extend(events(2).into_iter().map(Bytes::from));
    pieces.push(Bytes::from(event("a", 0, "", Some("stop"))));
    pieces.push(Bytes::from_static(b"data: [DONE]\n\n"));
    let server = serve(
        Reply::sse(Bytes::new())
            .pieces(pieces)
            .pace(Duration::from_millis(100)),
    )
    .await;
    let client = builder(&server)
        .idle_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let (delivered, error, end) = stream_through(&client).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered, ["c0", "c1", ""]);
    assert_eq!(end, Some(EndState::Done));
    assert!(started.elapsed() >= Duration::from_millis(1000));
}

// ---------------------------------------------------------------------------
// Http: error statuses
// ---------------------------------------------------------------------------

#[tokio::test]
async fn error_statuses_with_json_bodies() {
    for code in [401u16, 403, 404, 429, 500, 503] {
        let body = json!({"error": {
            "message": format!("failure {code}"),
            "type": "some_error",
            "param": null,
            "code": format!("code_{code}"),
        }});
        let mut reply = Reply::json(code, body).header("x-request-id", &format!("req_{code}"));
        if code == 429 {
            reply = reply.header("Retry-After", "7");
        }
        let server = serve(reply).await;
        let error = client(&server)
            .create_chat_completion_stream(&request())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Http, "{code}");
        assert!(error.is_http());
        assert_eq!(status(&error), Some(code));
        assert_eq!(error.request_id(), Some(&*format!("req_{code}")));
        let api = error.api_error().unwrap();
        assert_eq!(api.message, format!("failure {code}"));
        assert_eq!(api.code, Some(ErrorCode::String(format!("code_{code}"))));
        assert!(error.to_string().contains(&format!("failure {code}")));
        let expected_wait = (code == 429).then(|| Duration::from_secs(7));
        assert_eq!(error.retry_after(), expected_wait, "{code}");
        assert_no_secret(&error);
        assert_eq!(server.requests().len(), 1, "{code}: no retry configured");
    }
}

#[tokio::test]
async fn an_html_502_from_a_proxy_keeps_the_body() {
    let html = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    let server = serve(Reply::text(502, "text/html", html)).await;
    let error = client(&server)
        .create_chat_completion_stream(&request())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Http);
    assert_eq!(status(&error), Some(502));
    assert!(error.api_error().is_none());
    assert_eq!(&error.body().unwrap()[..], html.as_bytes());
    assert!(error.to_string().contains("502 Bad Gateway"));
    assert_no_secret(&error);
}

#[tokio::test]
async fn a_litellm_529_with_an_empty_reason_phrase() {
    let json = r#"{"error":{"message":"litellm.APIError: APIError: OpenAIException - litellm.MockException: This is a mock error raised mid-stream","type":"internal_server_error","param":null,"code":"529"}}"#;
    let bytes = format!(
        "HTTP/1.1 529 \r\ncontent-type: application/json\r\ncontent-length: {}\r\nx-request-id: req_529\r\n\r\n{json}",
        json.len()
    );
    let server = MockServer::start_raw(RawReply::response(bytes))
        .await
        .unwrap();
    let error = client(&server)
        .create_chat_completion_stream(&request())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Http, "{error:?}");
    assert_eq!(status(&error), Some(529));
    assert_eq!(error.request_id(), Some("req_529"));
    let api = error.api_error().unwrap();
    assert!(
        api.message.starts_with("litellm.APIError"),
        "{}",
        api.message
    );
    assert_eq!(api.code, Some(ErrorCode::String("529".into())));
    assert_eq!(api.kind.as_deref(), Some("internal_server_error"));
}

#[tokio::test]
async fn an_error_body_that_stalls_honours_the_configured_timeouts() {
    // A 503 head, then the body stops half-way and the connection stays
    // open (a hung proxy). With 300 ms timeouts configured the caller must
    // get the Http error promptly, not after 30 s.
    let server = serve(
        Reply::json(503, json!({}))
            .pieces(vec![Bytes::from_static(b"{\"error\":{\"message\":")])
            .end(Ending::Stall)
            .header("x-request-id", "req_hung"),
    )
    .await;
    let client = builder(&server)
        .response_timeout(Duration::from_millis(300))
        .idle_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::Http);
    assert_eq!(status(&error), Some(503));
    assert_eq!(error.request_id(), Some("req_hung"));
    assert!(elapsed < BOUND, "took {elapsed:?}");
}

#[tokio::test]
async fn a_200_html_page_is_an_http_error_with_the_body() {
    let html = "<!DOCTYPE html><html><body>Please sign in</body></html>";
    let server = serve(Reply::text(200, "text/html; charset=utf-8", html)).await;
    let error = client(&server)
        .create_chat_completion_stream(&request())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Http);
    assert_eq!(status(&error), Some(200));
    assert_eq!(&error.body().unwrap()[..], html.as_bytes());
    assert!(error.api_error().is_none());
}

// ---------------------------------------------------------------------------
// Connect
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_refused_connection_is_connect() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}/v1"))
        .api_key(KEY)
        .max_retries(0)
        .no_proxy()
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connect, "{error:?}");
    assert!(error.is_connect());
    assert!(error.status().is_none());
    assert!(started.elapsed() < BOUND);
    assert_no_secret(&error);
}

#[tokio::test]
async fn a_certificate_for_another_name_is_connect() {
    let server = MockServer::start_tls_for_name(Reply::sse("data: [DONE]\n\n"), "example.com")
        .await
        .unwrap();
    let error = tls_client(&server)
        .create_chat_completion_stream(&request())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connect, "{error:?}");
    assert!(
        server.requests().is_empty(),
        "no request over a refused TLS"
    );
    assert_no_secret(&error);
}

// ---------------------------------------------------------------------------
// Dropping a stream
// ---------------------------------------------------------------------------

fn stalled_after_one() -> Reply {
    Reply::sse(event("a", 0, "c0", None)).end(Ending::Stall)
}

#[tokio::test]
async fn dropping_a_stream_closes_the_http1_connection() {
    let server = serve(stalled_after_one()).await;
    let client = client(&server);
    let mut stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    assert_eq!(text(&stream.next().await.unwrap().unwrap()), "c0");
    assert_eq!(server.connections_closed(), 0);
    drop(stream);
    // The client is still alive: the close comes from dropping the stream.
    assert!(
        server
            .wait_connections_closed(1, Duration::from_secs(2))
            .await,
        "the server never saw the close: {server:?}"
    );
    drop(client);
}

#[tokio::test]
async fn dropping_a_stream_resets_the_http2_stream() {
    // Over HTTP/2 dropping the stream resets that stream only (the connection
    // is shared and stays pooled): a second request reuses the connection.
    // Once the client goes too, the connection closes — which it could not do
    // with the stalled stream still open.
    let server = MockServer::start(Sequence::new(vec![
        stalled_after_one(),
        Reply::sse("data: [DONE]\n\n"),
    ]))
    .await
    .unwrap();
    let client = builder(&server).http2_prior_knowledge().build().unwrap();
    let mut stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    assert_eq!(text(&stream.next().await.unwrap().unwrap()), "c0");
    drop(stream);
    let (delivered, error, end) = stream_through(&client).await;
    assert!(delivered.is_empty() && error.is_none());
    assert_eq!(end, Some(EndState::Done));
    assert_eq!(server.connections_opened(), 1, "one shared connection");
    assert_eq!(server.requests()[1].version, "HTTP/2.0");
    drop(client);
    assert!(
        server
            .wait_connections_closed(1, Duration::from_secs(2))
            .await,
        "the server never saw the close: {server:?}"
    );
}

// ---------------------------------------------------------------------------
// The API key never shows
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_key_is_not_in_debug_output_of_the_client_or_the_stream() {
    let server = serve(Reply::sse(event("a", 0, "c0", None)).header("x-request-id", "req_k")).await;
    let client = client(&server);
    let shown = format!("{client:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
    let mut stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    let before = format!("{stream:?}");
    assert!(!before.contains("SECRET"), "{before}");
    let (delivered, error) = drain(&mut stream).await;
    assert_eq!(delivered, ["c0"]);
    let after = format!("{stream:?}");
    assert!(!after.contains("SECRET"), "{after}");
    // The server did get it.
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some("Bearer sk-SECRET-123")
    );
    let error = error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Truncated);
    assert_no_secret(&error);
}

// ---------------------------------------------------------------------------
// What the client sends
// ---------------------------------------------------------------------------

#[tokio::test]
async fn request_headers_and_body_fields() {
    let server = serve(Reply::sse("data: [DONE]\n\n")).await;
    let client = builder(&server)
        .organization("org-42")
        .project("proj-7")
        .default_header("x-default", "everywhere")
        .build()
        .unwrap();
    let options = RequestOptions::new()
        .header("x-trace-id", "trace-1")
        .unwrap()
        .body_field("top_k", json!(5));
    let mut stream = client
        .create_chat_completion_stream_with(&request(), &options)
        .await
        .unwrap();
    assert!(stream.next().await.is_none());
    let sent = &server.requests()[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.header("authorization"), Some("Bearer sk-SECRET-123"));
    assert_eq!(sent.header("openai-organization"), Some("org-42"));
    assert_eq!(sent.header("openai-project"), Some("proj-7"));
    assert_eq!(sent.header("accept"), Some("text/event-stream"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert!(
        sent.header("user-agent")
            .is_some_and(|ua| ua.starts_with("chatstream/")),
        "{:?}",
        sent.header("user-agent")
    );
    assert_eq!(sent.header("x-default"), Some("everywhere"));
    assert_eq!(sent.header("x-trace-id"), Some("trace-1"));
    assert!(sent.header("api-key").is_none());
    let body = sent.json().unwrap();
    assert_eq!(body["top_k"], 5);
    assert_eq!(body["stream"], true);
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(sent.last_user_text().as_deref(), Some("hi"));

    // Without options, the default header is still there, the other not.
    let mut stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    assert!(stream.next().await.is_none());
    let sent = &server.requests()[1];
    assert_eq!(sent.header("x-default"), Some("everywhere"));
    assert!(sent.header("x-trace-id").is_none());
    assert!(sent.json().unwrap().get("top_k").is_none());
}

#[tokio::test]
async fn azure_deployment_urls_and_the_api_key_header() {
    let server = serve(Reply::sse("data: [DONE]\n\n")).await;
    let client = Client::builder()
        .base_url(server.origin())
        .api_key(KEY)
        .azure("2024-10-21")
        .azure_deployment("gpt-4o-mini", "prod-mini")
        .max_retries(0)
        .no_proxy()
        .build()
        .unwrap();
    let mut stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    assert!(stream.next().await.is_none());
    assert_eq!(stream.end_state(), Some(EndState::Done));
    let sent = &server.requests()[0];
    assert_eq!(
        sent.path,
        "/openai/deployments/prod-mini/chat/completions?api-version=2024-10-21"
    );
    assert_eq!(sent.header("api-key"), Some(KEY));
    assert!(sent.header("authorization").is_none());
    assert!(!format!("{client:?}").contains("SECRET"));
}

// ---------------------------------------------------------------------------
// Without streaming
// ---------------------------------------------------------------------------

#[tokio::test]
async fn create_chat_completion_reads_a_json_completion() {
    let server = serve(Reply::json(200, completion_json())).await;
    let completion = client(&server)
        .create_chat_completion(&request())
        .await
        .unwrap();
    assert_eq!(completion.id, "chatcmpl-1");
    assert_eq!(
        completion.choices[0].message.text().as_deref(),
        Some("The whole answer.")
    );
    assert_eq!(completion.usage.unwrap().total_tokens, 7);
    let sent = &server.requests()[0];
    assert_eq!(sent.header("accept"), Some("application/json"));
    assert!(
        sent.json().unwrap().get("stream").is_none(),
        "stream is not forced on"
    );
}

#[tokio::test]
async fn create_chat_completion_refuses_stream_true_without_a_request() {
    let server = serve(Reply::json(200, completion_json())).await;
    let mut streaming = request();
    streaming.stream = Some(true);
    let error = client(&server)
        .create_chat_completion(&streaming)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert!(error.is_validation());
    assert!(server.requests().is_empty(), "nothing was sent");
}

// ---------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------

#[tokio::test]
async fn timing_of_a_paced_stream() {
    let mut body = events(4);
    body.push(event("a", 0, "", Some("stop")));
    body.push("data: [DONE]\n\n".to_owned());
    let server = serve(
        Reply::sse(Bytes::new())
            .pieces(body.into_iter().map(Bytes::from).collect())
            .pace(Duration::from_millis(20)),
    )
    .await;
    let mut stream = client(&server)
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    let (delivered, error) = drain(&mut stream).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered.len(), 5);
    assert_eq!(stream.end_state(), Some(EndState::Done));
    let timing = stream.timing();
    assert_eq!(timing.chunks(), 5);
    assert_eq!(timing.attempts(), 1);
    let response = timing.time_to_response().unwrap();
    let first_byte = timing.time_to_first_byte().unwrap();
    let first = timing.time_to_first_chunk().unwrap();
    let last = timing.time_to_last_chunk().unwrap();
    assert!(response <= first_byte, "{timing:?}");
    assert!(first_byte <= first, "{timing:?}");
    assert!(first <= last, "{timing:?}");
    assert!(timing.time_to_first_token().unwrap() >= first);
    assert!(last > first, "the chunks were paced: {timing:?}");
    assert!(timing.max_gap() > Duration::ZERO);
    assert!(last < BOUND);
}
