//! Proxies: a forwarding proxy for `http://` targets (requests in absolute
//! form, `Proxy-Authorization` from the proxy URL) and a CONNECT tunnel for
//! `https://` targets.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const STREAM: &str = "data: {\"id\":\"p\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"via proxy\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";

/// Streams one completion through `client` and checks it arrived whole.
async fn assert_streams_via_proxy(client: &Client) {
    let collected = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap()
        .collect_completion()
        .await;
    assert_eq!(collected.end.unwrap(), EndState::Done);
    assert_eq!(
        collected.completion.choices[0].message.text().as_deref(),
        Some("via proxy")
    );
}

#[tokio::test]
async fn a_plain_http_target_goes_through_the_forwarding_proxy() {
    // The mock server plays the proxy: it receives the request meant for
    // another host, in absolute form.
    let proxy = serve(Reply::sse(STREAM)).await;
    let proxy_url = proxy
        .url()
        .replace("http://", "http://alice:s3cret@")
        .replace("/v1", "");
    let client = Client::builder()
        .base_url("http://api.example.invalid/v1")
        .proxy(proxy_url)
        .max_retries(0)
        .build()
        .unwrap();
    assert_streams_via_proxy(&client).await;
    let seen = &proxy.requests()[0];
    assert_eq!(seen.header("host"), Some("api.example.invalid"));
    assert_eq!(seen.path_only(), "/v1/chat/completions");
    // Basic auth for "alice:s3cret".
    assert_eq!(
        seen.header("proxy-authorization"),
        Some("Basic YWxpY2U6czNjcmV0")
    );
}

/// A minimal CONNECT proxy: records the CONNECT target, then relays bytes.
async fn connect_proxy(upstream: std::net::SocketAddr) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                log.lock()
                    .unwrap()
                    .push(head.lines().next().unwrap_or("").to_owned());
                let mut server = TcpStream::connect(upstream).await.unwrap();
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    (url, seen)
}

#[tokio::test]
async fn an_https_target_goes_through_a_connect_tunnel() {
    let server = MockServer::start_tls(Reply::sse(STREAM)).await.unwrap();
    let (proxy_url, seen) = connect_proxy(server.addr()).await;
    let client = Client::builder()
        .base_url(server.url())
        .tls_built_in_roots(false)
        .add_root_certificate_der(server.ca_cert_der().unwrap())
        .proxy(proxy_url)
        .max_retries(0)
        .build()
        .unwrap();
    assert_streams_via_proxy(&client).await;
    let port = server.addr().port();
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [format!("CONNECT localhost:{port} HTTP/1.1")]
    );
    assert_eq!(
        server.requests().len(),
        1,
        "the request went through the tunnel"
    );
}

#[tokio::test]
async fn no_proxy_connects_directly() {
    let server = serve(Reply::sse(STREAM)).await;
    let client = Client::builder()
        .base_url(server.url())
        .no_proxy()
        .build()
        .unwrap();
    let collected = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap()
        .collect_completion()
        .await;
    assert_eq!(collected.end.unwrap(), EndState::Done);
}
