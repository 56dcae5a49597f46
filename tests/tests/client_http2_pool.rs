//! HTTP/2 connection pooling: no stream waits for another stream's answer.
//!
//! The mock server announces a small `SETTINGS_MAX_CONCURRENT_STREAMS`; its
//! streams send one chunk and then never end, so a stream the client queued
//! behind the limit would never get its first chunk. Each test opens several
//! times the limit at once from one client and requires every first chunk
//! (within a bound meant for hangs, not for speed), and counts the
//! connections the pool opened for them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;

/// One chunk, then the stream stays open and silent.
fn endless() -> Reply {
    Reply::sse(event("c", 0, "hi", None)).end(Ending::Stall)
}

fn done() -> Reply {
    Reply::sse(event("c", 0, "hi", Some("stop")) + "data: [DONE]\n\n")
}

/// Opens `n` streams at once; returns them (still open) once each has
/// delivered its first chunk. Panics if any first chunk does not come.
async fn first_chunks(client: &Client, n: usize) -> Vec<ChatCompletionStream> {
    let opening = (0..n).map(|_| {
        let client = client.clone();
        tokio::spawn(async move {
            let mut stream = client
                .create_chat_completion_stream(&request())
                .await
                .unwrap();
            stream.next().await.unwrap().unwrap();
            stream
        })
    });
    let all = futures_join(opening.collect());
    tokio::time::timeout(BOUND, all)
        .await
        .expect("a stream waited for another one to end")
}

async fn futures_join(
    tasks: Vec<tokio::task::JoinHandle<ChatCompletionStream>>,
) -> Vec<ChatCompletionStream> {
    let mut streams = Vec::with_capacity(tasks.len());
    for task in tasks {
        streams.push(task.await.unwrap());
    }
    streams
}

fn all_http2(server: &MockServer) -> bool {
    server.requests().iter().all(|r| r.version == "HTTP/2.0")
}

#[tokio::test]
async fn over_h2c_streams_past_the_servers_limit_open_another_connection() {
    let server = MockServer::start_with_stream_limit(endless(), Some(3))
        .await
        .unwrap();
    let client = builder(&server).http2_prior_knowledge().build().unwrap();
    let streams = first_chunks(&client, 9).await;
    assert_eq!(streams.len(), 9);
    assert!(all_http2(&server));
    assert_eq!(
        server.connections_opened(),
        3,
        "three connections of three streams"
    );
}

#[tokio::test]
async fn over_tls_with_alpn_streams_past_the_servers_limit_open_another_connection() {
    let server = MockServer::start_tls_with_stream_limit(endless(), Some(2))
        .await
        .unwrap();
    let client = tls_client(&server);
    let streams = first_chunks(&client, 7).await;
    assert_eq!(streams.len(), 7);
    assert!(all_http2(&server));
    assert_eq!(server.connections_opened(), 4);
}

#[tokio::test]
async fn the_clients_cap_applies_below_the_servers_limit() {
    let server = MockServer::start_with_stream_limit(endless(), None)
        .await
        .unwrap();
    let client = builder(&server)
        .http2_prior_knowledge()
        .http2_max_streams_per_connection(2)
        .build()
        .unwrap();
    let _streams = first_chunks(&client, 6).await;
    assert_eq!(server.connections_opened(), 3);
}

/// A finished stream gives its place back when its body ends, not when the
/// caller drops it: finished streams kept around do not make the pool open
/// connections.
#[tokio::test]
async fn a_finished_stream_gives_its_place_back_at_once() {
    let server = MockServer::start_with_stream_limit(done(), Some(1))
        .await
        .unwrap();
    let client = builder(&server).http2_prior_knowledge().build().unwrap();
    let mut kept = Vec::new();
    for _ in 0..4 {
        let mut stream = client
            .create_chat_completion_stream(&request())
            .await
            .unwrap();
        let (_, error) = drain(&mut stream).await;
        assert!(error.is_none(), "{error:?}");
        assert_eq!(stream.end_state(), Some(EndState::Done));
        kept.push(stream);
    }
    assert_eq!(server.connections_opened(), 1);
}

/// The extra connections a burst needed are closed once idle for the pool's
/// idle timeout.
#[tokio::test]
async fn extra_connections_close_when_idle() {
    let server = MockServer::start_with_stream_limit(endless(), Some(2))
        .await
        .unwrap();
    let client = builder(&server)
        .http2_prior_knowledge()
        .pool_idle_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let streams = first_chunks(&client, 6).await;
    assert_eq!(server.connections_opened(), 3);
    drop(streams);
    assert!(
        server.wait_connections_closed(3, BOUND).await,
        "{} of 3 closed",
        server.connections_closed()
    );
    // The pool starts over: a new burst opens what it needs again.
    let _again = first_chunks(&client, 3).await;
    assert_eq!(server.connections_opened(), 5);
}

/// Over HTTP/1.1 nothing changes: one connection per concurrent stream.
#[tokio::test]
async fn http1_opens_a_connection_per_concurrent_stream_as_before() {
    let server = serve(endless()).await;
    let _streams = first_chunks(&client(&server), 5).await;
    assert_eq!(server.connections_opened(), 5);
    assert!(server.requests().iter().all(|r| r.version == "HTTP/1.1"));
}

/// A server that allows no stream at all cannot make the client open
/// connections without end: at most one per request, and each request fails
/// — refused (the first, sent before the server's SETTINGS arrived) or at
/// its response timeout (the others, held for a stream that never frees).
#[tokio::test]
async fn a_server_allowing_no_stream_costs_at_most_a_connection_per_request() {
    let server = MockServer::start_with_stream_limit(done(), Some(0))
        .await
        .unwrap();
    let client = builder(&server)
        .http2_prior_knowledge()
        .response_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.create_chat_completion_stream(&request()).await })
        })
        .collect();
    for task in tasks {
        let error = tokio::time::timeout(BOUND, task)
            .await
            .expect("the response timeout ends the request")
            .unwrap()
            .expect_err("no stream is allowed");
        assert!(
            matches!(error.kind(), ErrorKind::Timeout | ErrorKind::Transport),
            "{error}"
        );
    }
    assert!(
        server.connections_opened() <= 4,
        "{}",
        server.connections_opened()
    );
    assert!(server.requests().is_empty());
}

/// Over TLS the protocol is known once the first connection is made: a
/// burst that starts before then waits for it, learns HTTP/1.1, and then
/// opens a connection per stream as HTTP/1.1 always does.
#[tokio::test]
async fn over_tls_a_burst_to_an_http1_server_learns_it_and_opens_a_connection_each() {
    let server = MockServer::start_tls_http1(endless()).await.unwrap();
    let streams = first_chunks(&tls_client(&server), 6).await;
    assert_eq!(streams.len(), 6);
    assert_eq!(server.connections_opened(), 6);
    assert!(server.requests().iter().all(|r| r.version == "HTTP/1.1"));
}
