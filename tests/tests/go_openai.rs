//! go-openai's streaming tests (chat_stream_test.go, and the black-box forms
//! of stream_reader_test.go), ported to the real client over loopback HTTP.
//!
//! Where chatstream deliberately differs from go-openai, the test asserts our
//! behaviour and says why.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::time::Duration;

use chatstream::types::{
    ChatCompletionMessage, ChatCompletionRequest, Content, ErrorCode, FinishReason, Role,
    StreamOptions, ValidationError,
};
use chatstream::{Client, EndState, ErrorKind};
use chatstream_testkit::mock::{MockServer, RecordedRequest, Reply};

fn request(model: &str) -> ChatCompletionRequest {
    ChatCompletionRequest::new(model, vec![ChatCompletionMessage::user("Hello!")])
}

async fn serve(reply: Reply) -> MockServer {
    MockServer::start(move |_: &RecordedRequest| reply.clone())
        .await
        .unwrap()
}

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.url())
        .api_key("sk-test")
        .max_retries(0)
        .no_proxy()
        .build()
        .unwrap()
}

#[tokio::test]
async fn wrong_model_is_refused_without_a_request() {
    // TestChatCompletionsStreamWrongModel.
    let server = serve(Reply::sse("data: [DONE]\n\n")).await;
    let error = client(&server)
        .create_chat_completion_stream(&request("ada").max_tokens(5))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert!(matches!(
        error.validation_error(),
        Some(ValidationError::InvalidModel { .. })
    ));
    assert!(server.requests().is_empty(), "no network call");
}

#[tokio::test]
async fn stream_with_event_fields_and_done() {
    // TestCreateChatCompletionStream.
    let body = "event: message\n\
        data: {\"id\":\"1\",\"object\":\"completion\",\"created\":1598069254,\"model\":\"gpt-3.5-turbo\",\"system_fingerprint\": \"fp_d9767fc5b9\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"response1\"},\"finish_reason\":\"max_tokens\"}]}\n\n\
        event: message\n\
        data: {\"id\":\"2\",\"object\":\"completion\",\"created\":1598069255,\"model\":\"gpt-3.5-turbo\",\"system_fingerprint\": \"fp_d9767fc5b9\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"response2\"},\"finish_reason\":\"max_tokens\"}]}\n\n\
        event: done\n\
        data: [DONE]\n\n";
    let server = serve(Reply::sse(body)).await;
    let mut stream = client(&server)
        .create_chat_completion_stream(&request("gpt-3.5-turbo"))
        .await
        .unwrap();
    for (id, created, text) in [
        ("1", 1598069254, "response1"),
        ("2", 1598069255, "response2"),
    ] {
        let chunk = stream.next().await.unwrap().unwrap();
        assert_eq!(chunk.id, id);
        assert_eq!(chunk.object, "completion");
        assert_eq!(chunk.created, created);
        assert_eq!(chunk.model, "gpt-3.5-turbo");
        assert_eq!(chunk.system_fingerprint.as_deref(), Some("fp_d9767fc5b9"));
        assert_eq!(
            chunk.choices[0].delta.content,
            Some(Content::Text(text.into()))
        );
        assert_eq!(
            chunk.choices[0].finish_reason,
            Some(FinishReason::Other("max_tokens".into()))
        );
    }
    assert!(stream.next().await.is_none());
    assert!(
        stream.next().await.is_none(),
        "repeated reads after [DONE] stay ended"
    );
    assert_eq!(stream.end_state(), Some(EndState::Done));

    // TestCreateResponseStream: the request asked for an event stream.
    let sent = &server.requests()[0];
    assert_eq!(sent.header("accept"), Some("text/event-stream"));
    assert_eq!(sent.json().unwrap()["stream"], true);
    assert_eq!(sent.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(sent.path, "/v1/chat/completions");
}

#[tokio::test]
async fn bare_json_error_body_with_an_event_stream_type() {
    // TestCreateChatCompletionStreamError: no `data:` lines at all.
    let body = "{\n\"error\": {\n\"message\": \"Incorrect API key provided: sk-***************************************\",\n\"type\": \"invalid_request_error\",\n\"param\": null,\n\"code\": \"invalid_api_key\"\n}\n}\n";
    let server = serve(Reply::sse(body)).await;
    let mut stream = client(&server)
        .create_chat_completion_stream(&request("gpt-3.5-turbo"))
        .await
        .unwrap();
    let error = stream.next().await.unwrap().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    let api = error.api_error().unwrap();
    assert_eq!(
        api.message,
        "Incorrect API key provided: sk-***************************************"
    );
    assert_eq!(api.kind.as_deref(), Some("invalid_request_error"));
    assert_eq!(api.code, Some(ErrorCode::String("invalid_api_key".into())));
    assert!(stream.next().await.is_none());
}

const SERVER_ERROR: &str = "data: {\"error\":{\"message\":\"The server had an error while processing your request. Sorry about that!\", \"type\":\"server_ error\", \"param\":null,\"code\":null}}\n\ndata: [DONE]\n\n";

#[tokio::test]
async fn headers_and_rate_limits_before_the_first_chunk() {
    // TestCreateChatCompletionStreamWithHeaders and ...WithRatelimitHeaders.
    let reply = Reply::sse(SERVER_ERROR)
        .header("X-CUSTOM-HEADER", "test")
        .header("x-ratelimit-limit-requests", "60")
        .header("x-ratelimit-limit-tokens", "150000")
        .header("x-ratelimit-remaining-requests", "59")
        .header("x-ratelimit-remaining-tokens", "149984")
        .header("x-ratelimit-reset-requests", "1s")
        .header("x-ratelimit-reset-tokens", "6m0s")
        .header("x-request-id", "req_123");
    let server = serve(reply).await;
    let stream = client(&server)
        .create_chat_completion_stream(&request("gpt-3.5-turbo"))
        .await
        .unwrap();
    assert_eq!(stream.headers()["x-custom-header"], "test");
    assert_eq!(stream.request_id(), Some("req_123"));
    let limits = stream.rate_limits();
    assert_eq!(limits.limit_requests, Some(60));
    assert_eq!(limits.limit_tokens, Some(150000));
    assert_eq!(limits.remaining_requests, Some(59));
    assert_eq!(limits.remaining_tokens, Some(149984));
    assert_eq!(limits.reset_requests.as_deref(), Some("1s"));
    assert_eq!(limits.reset_tokens_after(), Some(Duration::from_secs(360)));
}

#[tokio::test]
async fn in_stream_error_with_data_prefix() {
    // TestCreateChatCompletionStreamErrorWithDataPrefix. go-openai turns the
    // null code into int 0; we keep it absent.
    let server = serve(Reply::sse(SERVER_ERROR).header("x-request-id", "req_9")).await;
    let mut stream = client(&server)
        .create_chat_completion_stream(&request("gpt-3.5-turbo"))
        .await
        .unwrap();
    let error = stream.next().await.unwrap().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    let api = error.api_error().unwrap();
    assert_eq!(
        api.message,
        "The server had an error while processing your request. Sorry about that!"
    );
    assert_eq!(api.kind.as_deref(), Some("server_ error"));
    assert_eq!(api.param, None);
    assert_eq!(api.code, None);
    assert_eq!(error.request_id(), Some("req_9"));
    assert!(
        stream.next().await.is_none(),
        "the stream is over after the error"
    );
    assert_eq!(stream.end_state(), None);
}

#[tokio::test]
async fn rate_limit_status_is_an_http_error_at_creation() {
    // TestCreateChatCompletionStreamRateLimitError.
    let reply = Reply::json_text(
        429,
        r#"{"error":{"message": "You are sending requests too quickly.","type":"rate_limit_reached","param":null,"code":"rate_limit_reached"}}"#,
    );
    let server = serve(reply).await;
    let error = client(&server)
        .create_chat_completion_stream(&request("gpt-3.5-turbo"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Http);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    let api = error.api_error().unwrap();
    assert_eq!(
        api.code,
        Some(ErrorCode::String("rate_limit_reached".into()))
    );
    assert_eq!(api.message, "You are sending requests too quickly.");
}

fn envelope(id: &str, model: &str, choice: &str) -> String {
    format!(
        "data: {{\"id\":\"{id}\",\"object\":\"chat.completion.chunk\",\"created\":1729585728,\"model\":\"{model}\",\"system_fingerprint\":\"fp_d9767fc5b9\",\"choices\":[{choice}]}}\n\n"
    )
}

#[tokio::test]
async fn refusal_stream() {
    // TestCreateChatCompletionStreamWithRefusal.
    let model = "gpt-4o-mini-2024-07-18";
    let body = [
        envelope("1", model, r#"{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"finish_reason":null}"#),
        envelope("2", model, r#"{"index":0,"delta":{"refusal":"Hello"},"finish_reason":null}"#),
        envelope("3", model, r#"{"index":0,"delta":{"refusal":" World"},"finish_reason":null}"#),
        envelope("4", model, r#"{"index":0,"delta":{},"finish_reason":"stop"}"#),
        "data: [DONE]\n\n".to_owned(),
    ]
    .concat();
    let server = serve(Reply::sse(body)).await;
    let mut stream = client(&server)
        .create_chat_completion_stream(&request(model).max_tokens(2000))
        .await
        .unwrap();
    let mut chunks = Vec::new();
    while let Some(chunk) = stream.next().await {
        chunks.push(chunk.unwrap());
    }
    assert_eq!(chunks.len(), 4);
    let ids: Vec<&str> = chunks.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3", "4"]);
    assert_eq!(chunks[0].choices[0].delta.role, Some(Role::Assistant));
    assert_eq!(
        chunks[0].choices[0].delta.content,
        Some(Content::Text(String::new()))
    );
    assert_eq!(chunks[1].choices[0].delta.refusal.as_deref(), Some("Hello"));
    assert_eq!(
        chunks[2].choices[0].delta.refusal.as_deref(),
        Some(" World")
    );
    assert_eq!(chunks[3].choices[0].finish_reason, Some(FinishReason::Stop));
    assert_eq!(stream.end_state(), Some(EndState::Done));
}

#[tokio::test]
async fn logprobs_stream() {
    // TestCreateChatCompletionStreamWithLogprobs: the server's model wins.
    let model = "gpt-4o-mini-2024-07-18";
    let body = [
        envelope("1", model, r#"{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":{"content":[],"refusal":null},"finish_reason":null}"#),
        envelope("2", model, r#"{"index":0,"delta":{"content":"Hello"},"logprobs":{"content":[{"token":"Hello","logprob":-0.000020458236,"bytes":[72,101,108,108,111],"top_logprobs":[]}],"refusal":null},"finish_reason":null}"#),
        envelope("3", model, r#"{"index":0,"delta":{"content":" World"},"logprobs":{"content":[{"token":" World","logprob":-0.00055303273,"bytes":[32,87,111,114,108,100],"top_logprobs":[]}],"refusal":null},"finish_reason":null}"#),
        envelope("4", model, r#"{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}"#),
        "data: [DONE]\n\n".to_owned(),
    ]
    .concat();
    let server = serve(Reply::sse(body)).await;
    let mut stream = client(&server)
        .create_chat_completion_stream(&request("gpt-3.5-turbo").max_tokens(2000))
        .await
        .unwrap();
    let mut chunks = Vec::new();
    while let Some(chunk) = stream.next().await {
        chunks.push(chunk.unwrap());
    }
    assert_eq!(chunks.len(), 4);
    assert!(chunks.iter().all(|c| c.model == model));
    assert_eq!(
        chunks[0].choices[0].logprobs.as_ref().unwrap().content,
        Some(vec![])
    );
    let hello = &chunks[1].choices[0]
        .logprobs
        .as_ref()
        .unwrap()
        .content
        .as_ref()
        .unwrap()[0];
    assert_eq!(
        (hello.token.as_str(), hello.logprob),
        ("Hello", -0.000020458236)
    );
    assert_eq!(hello.bytes.as_deref(), Some(&b"Hello"[..]));
    let world = &chunks[2].choices[0]
        .logprobs
        .as_ref()
        .unwrap()
        .content
        .as_ref()
        .unwrap()[0];
    assert_eq!(world.bytes.as_deref(), Some(&b" World"[..]));
    assert!(chunks[3].choices[0].logprobs.is_none());
}

#[tokio::test]
async fn azure_rate_limit_error_with_a_string_code() {
    // TestAzureCreateChatCompletionStreamRateLimitError.
    let message = "Requests to the Creates a completion for the chat message Operation under Azure OpenAI API version 2023-03-15-preview have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 20 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.";
    let body = serde_json::json!({"error": {"code": "429", "message": message}});
    let server = serve(Reply::json(429, body)).await;
    let client = Client::builder()
        .base_url(server.url().trim_end_matches("/v1"))
        .api_key("azure-key")
        .azure("2023-05-15")
        .max_retries(0)
        .no_proxy()
        .build()
        .unwrap();
    let error = client
        .create_chat_completion_stream(&request("gpt-3.5-turbo"))
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    let api = error.api_error().unwrap();
    assert_eq!(api.code, Some(ErrorCode::String("429".into())));
    assert_eq!(api.message, message);
    assert_eq!(api.kind, None);
    let sent = &server.requests()[0];
    assert_eq!(
        sent.path,
        "/openai/deployments/gpt-35-turbo/chat/completions?api-version=2023-05-15"
    );
    assert_eq!(sent.header("api-key"), Some("azure-key"));
    assert_eq!(sent.header("authorization"), None);
}

#[tokio::test]
async fn stream_options_usage_chunk() {
    // TestCreateChatCompletionStreamStreamOptions.
    let body = "data: {\"id\":\"1\",\"object\":\"completion\",\"created\":1598069254,\"model\":\"gpt-3.5-turbo\",\"system_fingerprint\": \"fp_d9767fc5b9\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"response1\"},\"finish_reason\":\"max_tokens\"}],\"usage\":null}\n\n\
        data: {\"id\":\"2\",\"object\":\"completion\",\"created\":1598069255,\"model\":\"gpt-3.5-turbo\",\"system_fingerprint\": \"fp_d9767fc5b9\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"response2\"},\"finish_reason\":\"max_tokens\"}],\"usage\":null}\n\n\
        data: {\"id\":\"3\",\"object\":\"completion\",\"created\":1598069256,\"model\":\"gpt-3.5-turbo\",\"system_fingerprint\": \"fp_d9767fc5b9\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}\n\n\
        data: [DONE]\n\n";
    let server = serve(Reply::sse(body)).await;
    let mut request = request("gpt-3.5-turbo");
    request.stream_options = Some(StreamOptions {
        include_usage: Some(true),
        ..StreamOptions::default()
    });
    let mut stream = client(&server)
        .create_chat_completion_stream(&request)
        .await
        .unwrap();
    let first = stream.next().await.unwrap().unwrap();
    let second = stream.next().await.unwrap().unwrap();
    assert!(first.usage.is_none() && second.usage.is_none());
    let last = stream.next().await.unwrap().unwrap();
    assert!(last.choices.is_empty());
    let usage = last.usage.unwrap();
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (1, 1, 2)
    );
    assert!(stream.next().await.is_none());
    assert!(stream.next().await.is_none());
    assert_eq!(
        server.requests()[0].json().unwrap()["stream_options"],
        serde_json::json!({"include_usage": true})
    );
}

#[tokio::test]
async fn reasoning_model_stream() {
    // TestCreateChatCompletionStreamWithReasoningModel.
    let model = "o3-mini-2025-01-31";
    let chunk = |id: &str, choice: &str| {
        format!(
            "data: {{\"id\":\"{id}\",\"object\":\"chat.completion.chunk\",\"created\":1729585728,\"model\":\"{model}\",\"system_fingerprint\":\"fp_mini\",\"choices\":[{choice}]}}\n\n"
        )
    };
    let body = [
        chunk(
            "1",
            r#"{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}"#,
        ),
        chunk(
            "2",
            r#"{"index":0,"delta":{"content":"Hello"},"finish_reason":null}"#,
        ),
        chunk(
            "3",
            r#"{"index":0,"delta":{"content":" from"},"finish_reason":null}"#,
        ),
        chunk(
            "4",
            r#"{"index":0,"delta":{"content":" O3Mini"},"finish_reason":null}"#,
        ),
        chunk("5", r#"{"index":0,"delta":{},"finish_reason":"stop"}"#),
        "data: [DONE]\n\n".to_owned(),
    ]
    .concat();
    let server = serve(Reply::sse(body)).await;
    let collected = client(&server)
        .create_chat_completion_stream(&request(model).max_completion_tokens(2000))
        .await
        .unwrap()
        .collect_completion()
        .await;
    assert_eq!(collected.end.as_ref().ok(), Some(&EndState::Done));
    let completion = collected.completion;
    assert_eq!(completion.choices[0].message.role, Role::Assistant);
    assert_eq!(
        completion.choices[0].message.text().as_deref(),
        Some("Hello from O3Mini")
    );
    assert_eq!(collected.timing.chunks(), 5);
}

#[tokio::test]
async fn reasoning_validator_refuses_max_tokens_without_a_request() {
    // TestCreateChatCompletionStream{,O3,O4Mini}ReasoningValidatorFails:
    // go-openai runs the validator always; here it is opt-in.
    let server = serve(Reply::sse("data: [DONE]\n\n")).await;
    let checked = Client::builder()
        .base_url(server.url())
        .validate_reasoning_requests(true)
        .no_proxy()
        .build()
        .unwrap();
    for model in ["o3-mini", "o3", "o4-mini"] {
        let error = checked
            .create_chat_completion_stream(&request(model).max_tokens(100))
            .await
            .unwrap_err();
        assert_eq!(
            error.validation_error(),
            Some(&ValidationError::ReasoningMaxTokensDeprecated),
            "{model}"
        );
    }
    assert!(server.requests().is_empty());
    // By default (and switched off), the request goes out: the API decides.
    let _ = client(&server)
        .create_chat_completion_stream(&request("o3").max_tokens(100))
        .await;
    assert_eq!(server.requests().len(), 1);
    let unchecked = Client::builder()
        .base_url(server.url())
        .validate_requests(false)
        .validate_reasoning_requests(true)
        .no_proxy()
        .build()
        .unwrap();
    let _ = unchecked
        .create_chat_completion_stream(&request("o3").max_tokens(100))
        .await;
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn requests_the_api_accepts_are_sent_by_default() {
    // gpt-5-chat-latest takes a temperature; gpt-5.1 takes one with
    // reasoning_effort "none". The client does not second-guess the API.
    let server = serve(Reply::sse("data: [DONE]\n\n")).await;
    let client = client(&server);
    for model in ["gpt-5-chat-latest", "gpt-5.1", "gpt-5.2", "o3"] {
        let mut request = request(model);
        request.temperature = Some(0.7);
        let _ = client.create_chat_completion_stream(&request).await;
    }
    assert_eq!(server.requests().len(), 4, "all four were sent");
}

/// A client that tolerates at most three empty-data events in a row.
fn limited_to_three_empty_events(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.url())
        .empty_event_limit(3)
        .no_proxy()
        .build()
        .unwrap()
}

#[tokio::test]
async fn empty_lines_and_empty_events() {
    // stream_reader_test.go TestStreamReaderReturnsErrTooManyEmptyStreamMessages,
    // black-box. go-openai counts every non-data line, blank lines included,
    // so keep-alive comments trip it; we count only events whose data is
    // empty (the spec dispatches nothing for a bare blank line), so N+1 blank
    // lines are no events at all: the body ends with no chunk → truncated.
    let server = serve(Reply::sse("\n\n\n\n")).await;
    let limited = limited_to_three_empty_events(&server);
    let mut stream = limited
        .create_chat_completion_stream(&request("m"))
        .await
        .unwrap();
    assert_eq!(
        stream.next().await.unwrap().unwrap_err().kind(),
        ErrorKind::Truncated
    );

    // N+1 events with empty data do trip the limit …
    let server = serve(Reply::sse(
        "data:\n\ndata:\n\ndata:\n\ndata:\n\ndata: [DONE]\n\n",
    ))
    .await;
    let limited = limited_to_three_empty_events(&server);
    let mut stream = limited
        .create_chat_completion_stream(&request("m"))
        .await
        .unwrap();
    assert_eq!(
        stream.next().await.unwrap().unwrap_err().kind(),
        ErrorKind::TooManyEmptyEvents
    );

    // … and comments never count (OpenRouter's keep-alives).
    let keepalives = ": OPENROUTER PROCESSING\n\n".repeat(1000);
    let body = format!(
        "{keepalives}data: {{\"id\":\"a\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"ok\"}},\"finish_reason\":\"stop\"}}]}}\n\ndata: [DONE]\n\n"
    );
    let server = serve(Reply::sse(body)).await;
    let limited = limited_to_three_empty_events(&server);
    let collected = limited
        .create_chat_completion_stream(&request("m"))
        .await
        .unwrap()
        .collect_completion()
        .await;
    assert_eq!(collected.end.unwrap(), EndState::Done);
    assert_eq!(
        collected.completion.choices[0].message.text().as_deref(),
        Some("ok")
    );
}

#[tokio::test]
async fn raw_payloads() {
    // TestStreamReaderRecvRaw, black-box: the payload bytes after `data: `,
    // inner spacing kept. (go-openai returns a line without its blank line;
    // per the SSE rules an event needs its blank line to be dispatched.)
    let server = serve(Reply::sse("data: {\"key\": \"value\"}\n\ndata: [DONE]\n\n")).await;
    let mut stream = client(&server)
        .create_chat_completion_stream(&request("m"))
        .await
        .unwrap();
    let chunk = stream.next().await.unwrap().unwrap();
    assert_eq!(chunk.extra["key"], "value");
    assert_eq!(&stream.last_payload().unwrap()[..], b"{\"key\": \"value\"}");
}

#[tokio::test]
async fn a_body_without_events_is_truncated_not_a_clean_end() {
    // TestStreamReaderPropagatesReadErrorWhenErrorResponseIsEmpty: go-openai
    // reports a clean EOF for a body holding only `{}`. A stream that
    // delivered nothing did not finish: we report truncation.
    let server = serve(Reply::sse("{}\n")).await;
    let mut stream = client(&server)
        .create_chat_completion_stream(&request("m"))
        .await
        .unwrap();
    let error = stream.next().await.unwrap().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Truncated);
}

#[tokio::test]
async fn malformed_json_is_a_decode_error_with_the_payload() {
    // TestCreateResponseStreamMalformedEvent / TestCreateCompletionStreamBrokenJSONError.
    let body = "data: {\"id\":\"1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"id\":\"2\",\"object\":\"completion\",\"created\":1598069255,\"model\":\n\ndata: [DONE]\n\n";
    let server = serve(Reply::sse(body)).await;
    let mut stream = client(&server)
        .create_chat_completion_stream(&request("m"))
        .await
        .unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    let error = stream.next().await.unwrap().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(
        &error.payload().unwrap()[..],
        b"{\"id\":\"2\",\"object\":\"completion\",\"created\":1598069255,\"model\":"
    );
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn a_stream_ended_without_done_after_an_unfinished_choice_is_truncated() {
    // TestCreateCompletionStreamUnexpectedTerminatedError: go-openai returns
    // io.EOF, the same as a normal end. We do not.
    let body = "event: message\ndata: {\"id\":\"1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"response1\"},\"finish_reason\":null}]}\n\n";
    let server = serve(Reply::sse(body)).await;
    let mut stream = client(&server)
        .create_chat_completion_stream(&request("m"))
        .await
        .unwrap();
    assert!(
        stream.next().await.unwrap().is_ok(),
        "the chunk before the cut is delivered"
    );
    assert_eq!(
        stream.next().await.unwrap().unwrap_err().kind(),
        ErrorKind::Truncated
    );
}
