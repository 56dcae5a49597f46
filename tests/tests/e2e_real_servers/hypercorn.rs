//! Hypercorn (PyPI; HTTP/2 by the `h2` library, not hyper) allowing 10
//! concurrent streams per connection, with a stream that sends one chunk and
//! then holds for 4 s (`tests/data/real-servers/h2_slow_stream.py`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// 30 streams at once over h2c, three times the server's limit: every first
/// chunk arrives before any stream has ended — none waited for another —
/// and the client opened more than one connection for them.
#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn hypercorn_http2_streams_past_the_servers_limit_do_not_wait() {
    limit(60, async {
        let url = server("CHATSTREAM_E2E_HYPERCORN");
        let client = Client::builder()
            .base_url(&url)
            .api_key("sk-h2")
            .max_retries(0)
            .no_proxy()
            .http2_prior_knowledge()
            .build()
            .unwrap();
        let before = stats(&url).await;
        let ended = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..30)
            .map(|_| {
                let client = client.clone();
                let ended = Arc::clone(&ended);
                tokio::spawn(async move {
                    let mut stream = client
                        .create_chat_completion_stream(&ask("h2-slow", "hi"))
                        .await
                        .unwrap();
                    stream.next().await.unwrap().unwrap();
                    // How many streams had ended when this one's first chunk
                    // came: a stream queued behind the limit would see some.
                    let ended_before = ended.load(Ordering::SeqCst);
                    while let Some(chunk) = stream.next().await {
                        chunk.unwrap();
                    }
                    ended.fetch_add(1, Ordering::SeqCst);
                    (ended_before, stream.end_state())
                })
            })
            .collect();
        for task in tasks {
            let (ended_before, end) = task.await.unwrap();
            assert_eq!(ended_before, 0, "a first chunk came after a stream ended");
            assert_eq!(end, Some(EndState::Done));
        }
        let after = stats(&url).await;
        let requests =
            after["http2_requests"].as_u64().unwrap() - before["http2_requests"].as_u64().unwrap();
        assert_eq!(requests, 30, "every request over HTTP/2");
        let connections =
            after["connections"].as_u64().unwrap() - before["connections"].as_u64().unwrap();
        assert!(
            connections >= 3,
            "{connections} connection(s) for 30 streams"
        );
    })
    .await;
}

/// `GET /stats` of the app, over a plain HTTP/1.1 connection of its own.
async fn stats(base_url: &str) -> Value {
    let address = base_url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request = format!("GET /stats HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n");
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    socket.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8(response).unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap();
    serde_json::from_str(body).unwrap()
}
