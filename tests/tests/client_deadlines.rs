//! The stream's time limits, over the mock server: the chunk timeout cuts a
//! relay that keeps the connection busy with comments, the total timeout a
//! slow answer and a slow response head, each naming its deadline and with
//! every chunk before it delivered; per-call options override the client's
//! limits and retry count, on both calls.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use chatstream::Deadline;
use common::*;

/// One chunk, then keep-alive comments every 40 ms, forever.
fn chunk_then_comments() -> Reply {
    let mut pieces = vec![Bytes::from(event("c", 0, "first", None))];
    pieces.extend((0..200).map(|_| Bytes::from_static(b": OPENROUTER PROCESSING\n\n")));
    Reply::sse("")
        .pieces(pieces)
        .pace(Duration::from_millis(40))
        .end(Ending::Stall)
}

#[tokio::test]
async fn comments_forever_are_cut_by_the_chunk_timeout_not_the_idle_one() {
    let server = serve(chunk_then_comments()).await;
    let client = builder(&server)
        .idle_timeout(Duration::from_millis(300))
        .chunk_timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let (delivered, error, _) = tokio::time::timeout(BOUND, stream_through(&client))
        .await
        .unwrap();
    assert_eq!(delivered, ["first"], "the chunk before is delivered");
    let error = error.expect("a timeout");
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    assert_eq!(error.deadline(), Some(Deadline::Chunk), "{error:?}");
    assert!(error.to_string().contains("chunk timeout"), "{error}");
}

#[tokio::test]
async fn silence_is_still_the_idle_timeout() {
    let server = serve(
        Reply::sse("")
            .pieces(vec![Bytes::from(event("c", 0, "first", None))])
            .end(Ending::Stall),
    )
    .await;
    let client = builder(&server)
        .idle_timeout(Duration::from_millis(200))
        .chunk_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let (delivered, error, _) = tokio::time::timeout(BOUND, stream_through(&client))
        .await
        .unwrap();
    assert_eq!(delivered, ["first"]);
    assert_eq!(error.unwrap().deadline(), Some(Deadline::Idle));
}

#[tokio::test]
async fn a_slow_answer_is_cut_by_the_total_timeout_after_its_first_chunks() {
    // One event every 50 ms: 40 events would take 2 s.
    let pieces: Vec<Bytes> = events(40).into_iter().map(Bytes::from).collect();
    let server = serve(
        Reply::sse("")
            .pieces(pieces)
            .pace(Duration::from_millis(50))
            .end(Ending::Stall),
    )
    .await;
    let client = builder(&server)
        .total_timeout(Duration::from_millis(600))
        .build()
        .unwrap();
    let (delivered, error, _) = tokio::time::timeout(BOUND, stream_through(&client))
        .await
        .unwrap();
    let error = error.expect("a timeout");
    assert_eq!(error.deadline(), Some(Deadline::Total), "{error:?}");
    assert!(
        !delivered.is_empty() && delivered.len() < 40,
        "{delivered:?}"
    );
    assert_eq!(delivered, texts(delivered.len()), "in order, none lost");
}

#[tokio::test]
async fn the_total_timeout_bounds_the_response_head_too() {
    let server = serve(Reply::sse("data: [DONE]\n\n").delay_headers(Duration::from_secs(3))).await;
    let client = builder(&server)
        .total_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let (error, _) = tokio::time::timeout(BOUND, creation_error(&client))
        .await
        .unwrap();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert_eq!(error.deadline(), Some(Deadline::Total), "{error:?}");
}

#[tokio::test]
async fn the_total_timeout_stops_retries_that_could_not_finish_in_time() {
    let server = serve(Reply::json(503, json!({"error": {"message": "busy"}}))).await;
    let client = builder(&server)
        .max_retries(5)
        .retry_backoff(Duration::from_secs(2), Duration::from_secs(2))
        .total_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let (error, _) = tokio::time::timeout(BOUND, creation_error(&client))
        .await
        .unwrap();
    assert_eq!(error.deadline(), Some(Deadline::Total), "{error:?}");
    assert_eq!(server.requests().len(), 1, "no retry that could not finish");
}

#[tokio::test]
async fn per_call_options_override_the_clients_limits_and_retries() {
    // The client has no chunk timeout; this call does.
    let server = serve(chunk_then_comments()).await;
    let client = client(&server);
    let options = RequestOptions::new().chunk_timeout(Duration::from_millis(300));
    let mut stream = client
        .create_chat_completion_stream_with(&request(), &options)
        .await
        .unwrap();
    let (delivered, error) = tokio::time::timeout(BOUND, drain(&mut stream))
        .await
        .unwrap();
    assert_eq!(delivered, ["first"]);
    assert_eq!(error.unwrap().deadline(), Some(Deadline::Chunk));

    // The client retries twice; this call not at all.
    let busy = serve(Reply::json(503, json!({"error": {"message": "busy"}}))).await;
    let retrying = builder(&busy)
        .max_retries(2)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(1))
        .build()
        .unwrap();
    let once = RequestOptions::new().max_retries(0);
    let error = retrying
        .create_chat_completion_stream_with(&request(), &once)
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(busy.requests().len(), 1);
    let _ = retrying.create_chat_completion_stream(&request()).await;
    assert_eq!(
        busy.requests().len(),
        4,
        "the client's own count is unchanged"
    );
}

#[tokio::test]
async fn the_whole_completion_call_takes_options_too() {
    let completion = json!({
        "id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}]
    });
    let server =
        serve(Reply::json(200, completion).delay_headers(Duration::from_millis(800))).await;
    let client = client(&server);
    let options = RequestOptions::new()
        .header("x-trace-id", "t-1")
        .unwrap()
        .body_field("user", json!("u-7"));
    let answer = client
        .create_chat_completion_with(&request(), &options)
        .await
        .unwrap();
    assert_eq!(answer.choices[0].message.text().as_deref(), Some("Hi"));
    let sent = &server.requests()[0];
    assert!(
        sent.headers
            .iter()
            .any(|(n, v)| n == "x-trace-id" && v == "t-1")
    );
    let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body["user"], "u-7");
    // And its own deadline.
    let hurried = RequestOptions::new().response_timeout(Duration::from_millis(100));
    let error = client
        .create_chat_completion_with(&request(), &hurried)
        .await
        .unwrap_err();
    assert_eq!(error.deadline(), Some(Deadline::ResponseHead), "{error:?}");
}

#[tokio::test]
async fn query_parameters_reach_the_server_in_order() {
    let server = serve(Reply::sse("data: [DONE]\n\n")).await;
    let client = Client::builder()
        .base_url(format!("{}?team=a", server.url()))
        .default_query("route", "eu")
        .api_key(KEY)
        .no_proxy()
        .build()
        .unwrap();
    let options = RequestOptions::new().query("trace", "t 1");
    let mut stream = client
        .create_chat_completion_stream_with(&request(), &options)
        .await
        .unwrap();
    while stream.next().await.is_some() {}
    assert_eq!(
        server.requests()[0].path,
        "/v1/chat/completions?team=a&route=eu&trace=t%201"
    );
}
