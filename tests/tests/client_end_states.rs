//! End-to-end tests of how a stream ends cleanly, and of the errors that end
//! it early: an API error object, and truncation. Each runs the real client
//! against the loopback mock server and checks the typed outcome and that
//! every chunk sent before the end was delivered. Retries are off here; they
//! have their own file, `client_retries.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;

// ---------------------------------------------------------------------------
// Clean ends
// ---------------------------------------------------------------------------

#[tokio::test]
async fn done_is_a_clean_end() {
    let mut body = events(3);
    body.push(event("id3", 0, "", Some("stop")));
    body.push("data: [DONE]\n\n".to_owned());
    let (delivered, error, end) = serve_and_stream(Reply::sse(body.concat()).split_every(17)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered, [texts(3), vec![String::new()]].concat());
    assert_eq!(end, Some(EndState::Done));
}

#[tokio::test]
async fn body_ending_after_every_choice_finished_is_finished() {
    // No [DONE] (Perplexity, some proxies), but the choice has its reason.
    let mut body = events(2);
    body.push(event("id2", 0, "!", Some("stop")));
    let (delivered, error, end) = serve_and_stream(Reply::sse(body.concat())).await;
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
    let (delivered, error, end) = serve_and_stream(Reply::sse(both.concat())).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered, ["x0", "y0", "y1", "x1", ""]);
    assert_eq!(end, Some(EndState::Finished));

    // Choice 0 never finishes: the answer is incomplete.
    let one = [event("a", 0, "x0", None), event("a", 1, "y0", Some("stop"))];
    let (delivered, error, end) = serve_and_stream(Reply::sse(one.concat())).await;
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
        let (delivered, error, end) = serve_and_stream(Reply::sse(body.concat())).await;
        assert!(error.is_none(), "{tail:?}: {error:?}");
        assert_eq!(delivered, ["hi", ""], "{tail:?}");
        assert_eq!(end, Some(EndState::Finished), "{tail:?}");
    }
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
    let (error, elapsed) = creation_error(&client).await;
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    assert_eq!(status(&error), Some(200));
    assert!(elapsed < BOUND);
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
    let (delivered, error, end) =
        serve_and_stream(Reply::sse(body.concat()).header("x-request-id", "req_mid")).await;
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
    let (delivered, error, _) = serve_and_stream(Reply::sse(body.concat())).await;
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
    let (delivered, error, _) = serve_and_stream(Reply::sse(body.concat())).await;
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
    let (delivered, error, _) = serve_and_stream(Reply::sse(body.concat())).await;
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
    let (delivered, error, end) = serve_and_stream(Reply::sse(events(4).concat())).await;
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
    let (delivered, error, _) = serve_and_stream(Reply::sse(body.concat())).await;
    assert_eq!(delivered, ["kept"]);
    assert_eq!(error.unwrap().kind(), ErrorKind::Truncated);

    // Cut inside the JSON.
    let cut = &last[..last.len() / 2];
    let body = [event("a", 0, "kept", None), cut.to_owned()];
    let (delivered, error, _) = serve_and_stream(Reply::sse(body.concat())).await;
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
    let (delivered, error, end) = serve_and_stream(Reply::sse(body.concat())).await;
    assert_eq!(delivered, ["answer", ""]);
    assert_eq!(end, None, "not a clean end");
    assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::Truncated));
}
