//! End-to-end tests of error statuses, of what the client puts on the wire
//! (headers, body fields, Azure URLs), and that the API key never leaks into
//! an error or a debug print.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;

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
    let (error, elapsed) = creation_error(&client).await;
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
