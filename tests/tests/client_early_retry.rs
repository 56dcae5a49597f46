//! The opt-in retry before the first chunk: a stream whose first event is a
//! busy or failed server's error, or whose connection breaks before any
//! chunk, is sent again — never once a chunk was delivered, never an error
//! the request caused, and not at all by default.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;

fn overloaded() -> Reply {
    Reply::sse(
        "data: {\"error\":{\"message\":\"Overloaded\",\"type\":\"overloaded_error\",\"code\":529}}\n\n",
    )
}

fn answer() -> Reply {
    Reply::sse(event("c", 0, "Hi", Some("stop")) + "data: [DONE]\n\n")
}

fn retrying(server: &MockServer) -> Client {
    builder(server)
        .max_retries(2)
        .retry_before_first_chunk(true)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(1))
        .build()
        .unwrap()
}

async fn serve_sequence(replies: Vec<Reply>) -> MockServer {
    MockServer::start(Sequence::new(replies)).await.unwrap()
}

#[tokio::test]
async fn a_first_event_overload_is_retried_when_switched_on() {
    let server = serve_sequence(vec![overloaded(), answer()]).await;
    let mut stream = retrying(&server)
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    let (delivered, error) = drain(&mut stream).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered, ["Hi"]);
    assert_eq!(stream.end_state(), Some(EndState::Done));
    assert_eq!(stream.timing().attempts(), 2);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn by_default_the_first_event_error_is_the_streams() {
    let server = serve_sequence(vec![overloaded(), answer()]).await;
    let (delivered, error, _) = stream_through(&client(&server)).await;
    assert!(delivered.is_empty());
    assert_eq!(error.unwrap().kind(), ErrorKind::Api);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn an_in_band_rate_limit_and_a_broken_connection_are_retried() {
    let rate_limited = Reply::sse(
        "event: error\ndata: {\"error\":{\"message\":\"Rate limit reached\",\"code\":\"rate_limit_exceeded\"}}\n\n",
    );
    let broken = Reply::sse("").end(Ending::Abort);
    let server = serve_sequence(vec![rate_limited, broken, answer()]).await;
    let mut stream = retrying(&server)
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    let (delivered, error) = drain(&mut stream).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered, ["Hi"]);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn an_error_after_a_delivered_chunk_is_never_retried() {
    let late = Reply::sse(
        event("c", 0, "partial", None)
            + "data: {\"error\":{\"message\":\"Overloaded\",\"type\":\"overloaded_error\"}}\n\n",
    );
    let server = serve_sequence(vec![late, answer()]).await;
    let mut stream = retrying(&server)
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    let (delivered, error) = drain(&mut stream).await;
    assert_eq!(delivered, ["partial"]);
    assert_eq!(error.unwrap().kind(), ErrorKind::Api);
    assert_eq!(
        server.requests().len(),
        1,
        "a delivered chunk is never sent twice"
    );
}

#[tokio::test]
async fn an_error_the_request_caused_is_not_retried_and_the_budget_holds() {
    let invalid = Reply::sse(
        "data: {\"error\":{\"message\":\"Invalid tool\",\"type\":\"invalid_request_error\",\"code\":\"tool_use_failed\"}}\n\n",
    );
    let server = serve_sequence(vec![invalid]).await;
    let mut stream = retrying(&server)
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    let (_, error) = drain(&mut stream).await;
    assert_eq!(error.unwrap().kind(), ErrorKind::Api);
    assert_eq!(server.requests().len(), 1);

    // Always overloaded: the budget (2 retries) is spent, then
    // the error is the stream's.
    let busy = serve_sequence(vec![overloaded()]).await;
    let mut stream = retrying(&busy)
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    let (delivered, error) = drain(&mut stream).await;
    assert!(delivered.is_empty());
    assert_eq!(error.unwrap().kind(), ErrorKind::Api);
    assert_eq!(busy.requests().len(), 3);
    assert_eq!(stream.timing().attempts(), 3);
}
