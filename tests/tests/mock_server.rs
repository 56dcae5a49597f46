//! Tests of the loopback mock server itself (`chatstream_testkit::mock`), with a
//! plain hyper client: the project's client is not involved, so these pin
//! down what the mock really puts on the wire.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chatstream_testkit::data_dir;
use chatstream_testkit::mock::{
    Ending, MockServer, RawEnding, RawReply, RecordedRequest, ReplayHandler, Reply, Sequence,
    fixture_reply,
};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, Version};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

type Plain = Client<HttpConnector, Full<Bytes>>;
type Tls = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

fn http1_client() -> Plain {
    Client::builder(TokioExecutor::new()).build_http()
}

fn h2c_client() -> Plain {
    Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http()
}

/// A TLS client trusting only `ca_der`, offering `h2` and/or `http/1.1`.
fn tls_client(ca_der: &[u8], http1: bool, http2: bool) -> Tls {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(ca_der.to_vec()))
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_only();
    let connector = match (http1, http2) {
        (true, false) => builder.enable_http1().build(),
        (false, true) => builder.enable_http2().build(),
        _ => builder.enable_http1().enable_http2().build(),
    };
    Client::builder(TokioExecutor::new()).build(connector)
}

fn get(url: &str) -> Request<Full<Bytes>> {
    Request::get(url).body(Full::default()).unwrap()
}

fn post_json(url: &str, body: &serde_json::Value) -> Request<Full<Bytes>> {
    Request::post(url)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

/// The next data frame of `body` (trailers skipped): `None` at the end.
async fn next_data(body: &mut Incoming) -> Option<Result<Bytes, hyper::Error>> {
    loop {
        match body.frame().await? {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    return Some(Ok(data));
                }
            }
            Err(error) => return Some(Err(error)),
        }
    }
}

/// Every data frame with its arrival time, then the error that ended the
/// body, if one did.
async fn read_frames(
    response: Response<Incoming>,
) -> (Vec<(Instant, Bytes)>, Option<hyper::Error>) {
    let mut body = response.into_body();
    let mut frames = Vec::new();
    while let Some(next) = next_data(&mut body).await {
        match next {
            // An empty frame carries nothing (HTTP/2 may end a stream so).
            Ok(data) if data.is_empty() => {}
            Ok(data) => frames.push((Instant::now(), data)),
            Err(error) => return (frames, Some(error)),
        }
    }
    (frames, None)
}

fn joined(frames: &[(Instant, Bytes)]) -> Vec<u8> {
    frames.iter().flat_map(|(_, d)| d.to_vec()).collect()
}

const EVENTS: [&str; 3] = ["data: 1\n\n", "data: 2\n\n", "data: [DONE]\n\n"];

fn three_events() -> Reply {
    Reply::sse(Bytes::new()).pieces(
        EVENTS
            .iter()
            .map(|e| Bytes::from_static(e.as_bytes()))
            .collect(),
    )
}

#[tokio::test]
async fn http1_pieces_arrive_in_order_and_paced() {
    let server = MockServer::start(
        three_events()
            .header("x-request-id", "req_1")
            .pace(Duration::from_millis(120))
            .delay_headers(Duration::from_millis(80)),
    )
    .await
    .unwrap();
    let sent = Instant::now();
    let response = http1_client()
        .request(get(&format!("{}/chat/completions", server.url())))
        .await
        .unwrap();
    assert!(sent.elapsed() >= Duration::from_millis(60), "head delayed");
    assert_eq!(response.version(), Version::HTTP_11);
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(headers["x-request-id"], "req_1");
    assert_eq!(headers["transfer-encoding"], "chunked");
    assert!(headers.get("content-length").is_none());

    let (frames, error) = read_frames(response).await;
    assert!(error.is_none());
    let pieces: Vec<&[u8]> = frames.iter().map(|(_, d)| d.as_ref()).collect();
    assert_eq!(pieces, EVENTS.map(str::as_bytes), "one frame per piece");
    let gap = frames[2].0 - frames[0].0;
    assert!(gap >= Duration::from_millis(100), "paced: {gap:?}");
    assert!(server.url().starts_with("http://127.0.0.1:"));
    assert!(server.url().ends_with("/v1"));
}

#[tokio::test]
async fn http2_prior_knowledge_is_served() {
    let server = MockServer::start(three_events().pace(Duration::from_millis(30)))
        .await
        .unwrap();
    let response = h2c_client()
        .request(get(&format!("{}/chat/completions", server.url())))
        .await
        .unwrap();
    assert_eq!(response.version(), Version::HTTP_2);
    let (frames, error) = read_frames(response).await;
    assert!(error.is_none());
    assert_eq!(frames.len(), 3);
    assert_eq!(joined(&frames), EVENTS.concat().as_bytes());
    assert_eq!(server.requests()[0].version, "HTTP/2.0");
}

#[tokio::test]
async fn tls_serves_h2_and_http1_by_alpn() {
    let server = MockServer::start_tls(Reply::json(200, serde_json::json!({"ok": true})))
        .await
        .unwrap();
    assert!(server.url().starts_with("https://localhost:"));
    let ca = server.ca_cert_der().unwrap();
    for (http1, http2, version) in [
        (true, true, Version::HTTP_2),
        (false, true, Version::HTTP_2),
        (true, false, Version::HTTP_11),
    ] {
        let response = tls_client(&ca, http1, http2)
            .request(get(&format!("{}/models", server.url())))
            .await
            .unwrap();
        assert_eq!(response.version(), version);
        assert_eq!(response.headers()["content-length"], "11");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, r#"{"ok":true}"#);
    }
    let versions: Vec<String> = server.requests().into_iter().map(|r| r.version).collect();
    assert_eq!(versions, ["HTTP/2.0", "HTTP/2.0", "HTTP/1.1"]);
    // The certificate also names 127.0.0.1.
    let by_ip = format!("https://127.0.0.1:{}/v1/models", server.addr().port());
    let response = tls_client(&ca, true, true)
        .request(get(&by_ip))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn tls_certificate_for_another_name_is_refused() {
    let server =
        MockServer::start_tls_for_name(Reply::json(200, serde_json::json!({})), "other.invalid")
            .await
            .unwrap();
    let ca = server.ca_cert_der().unwrap();
    let error = tls_client(&ca, true, true)
        .request(get(&format!("{}/models", server.url())))
        .await
        .unwrap_err();
    let text = format!("{error:?}");
    assert!(text.contains("NotValidForName"), "{text}");
    assert!(server.requests().is_empty());
    // Another CA's certificate is refused too.
    let other = MockServer::start_tls(Reply::json(200, serde_json::json!({})))
        .await
        .unwrap();
    let error = tls_client(&ca, true, true)
        .request(get(&format!("{}/models", other.url())))
        .await
        .unwrap_err();
    assert!(format!("{error:?}").contains("UnknownIssuer"), "{error:?}");
}

#[tokio::test]
async fn abort_fails_the_body_after_its_pieces() {
    let server = MockServer::start(three_events().end(Ending::Abort))
        .await
        .unwrap();
    let url = format!("{}/chat/completions", server.url());

    let response = http1_client().request(get(&url)).await.unwrap();
    let (frames, error) = read_frames(response).await;
    assert!(error.is_some(), "HTTP/1.1 body must fail");
    assert!(EVENTS.concat().as_bytes().starts_with(&joined(&frames)));
    assert!(!frames.is_empty());

    // HTTP/2: the stream is reset, the connection lives on.
    let client = h2c_client();
    let response = client.request(get(&url)).await.unwrap();
    let (frames, error) = read_frames(response).await;
    assert!(error.is_some(), "HTTP/2 body must fail");
    assert!(EVENTS.concat().as_bytes().starts_with(&joined(&frames)));
    let opened = server.connections_opened();
    let response = client.request(get(&url)).await.unwrap();
    assert!(read_frames(response).await.1.is_some());
    assert_eq!(server.connections_opened(), opened, "h2 connection reused");
}

#[tokio::test]
async fn stall_keeps_the_body_open() {
    let server = MockServer::start(Reply::sse("data: 1\n\n").end(Ending::Stall))
        .await
        .unwrap();
    let response = http1_client()
        .request(get(&format!("{}/chat/completions", server.url())))
        .await
        .unwrap();
    let mut body = response.into_body();
    assert_eq!(next_data(&mut body).await.unwrap().unwrap(), "data: 1\n\n");
    let waited = tokio::time::timeout(Duration::from_millis(300), next_data(&mut body)).await;
    assert!(waited.is_err(), "the body must stay open: {waited:?}");

    // Dropping the server ends it.
    drop(server);
    let ended = tokio::time::timeout(Duration::from_secs(2), next_data(&mut body)).await;
    assert!(matches!(ended, Ok(None | Some(Err(_)))), "{ended:?}");
}

/// Reads one frame of a response from a fresh client, then drops both, and
/// expects the server to see the connection close.
async fn drop_mid_body(server: &MockServer, client: Plain) {
    let response = client
        .request(get(&format!("{}/chat/completions", server.url())))
        .await
        .unwrap();
    let mut body = response.into_body();
    assert!(next_data(&mut body).await.unwrap().is_ok());
    assert_eq!(server.connections_closed(), 0);
    drop(body);
    drop(client);
    assert!(
        server
            .wait_connections_closed(1, Duration::from_secs(2))
            .await,
        "connection still open: {server:?}"
    );
    assert_eq!(server.connections_opened(), 1);
}

#[tokio::test]
async fn client_drop_mid_body_closes_the_connection() {
    let long = Reply::sse("data: x\n\n".repeat(200))
        .split_every(9)
        .pace(Duration::from_millis(20));
    drop_mid_body(&MockServer::start(long).await.unwrap(), http1_client()).await;

    let stalled = || Reply::sse("data: x\n\n").end(Ending::Stall);
    drop_mid_body(&MockServer::start(stalled()).await.unwrap(), http1_client()).await;
    drop_mid_body(&MockServer::start(stalled()).await.unwrap(), h2c_client()).await;
}

#[tokio::test]
async fn requests_are_recorded() {
    let server = MockServer::start(|request: &RecordedRequest| {
        Reply::json(200, serde_json::json!({"echo": request.json()}))
    })
    .await
    .unwrap();
    let body = serde_json::json!({"model": "m", "stream": true,
        "messages": [{"role": "user", "content": "hi"}]});
    let mut request = post_json(
        &format!("{}/chat/completions?api-version=1", server.url()),
        &body,
    );
    request
        .headers_mut()
        .insert("Authorization", "Bearer sk-test".parse().unwrap());
    let response = http1_client().request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let echoed: serde_json::Value =
        serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(echoed["echo"], body);

    let recorded = server.requests();
    assert_eq!(recorded.len(), 1);
    let request = &recorded[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/chat/completions?api-version=1");
    assert_eq!(request.path_only(), "/v1/chat/completions");
    assert_eq!(request.version, "HTTP/1.1");
    assert_eq!(request.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(request.header("Content-Type"), Some("application/json"));
    assert!(request.headers.iter().all(|(n, _)| *n == n.to_lowercase()));
    assert_eq!(request.json(), Some(body));
    assert_eq!(request.last_user_text().as_deref(), Some("hi"));
}

#[tokio::test]
async fn sequence_serves_replies_in_order() {
    let sequence = Sequence::new(vec![
        Reply::json(429, serde_json::json!({"error": {"message": "slow down"}}))
            .header("retry-after", "1"),
        Reply::text(502, "text/html", "<html>Bad Gateway</html>"),
        Reply::sse("data: [DONE]\n\n"),
    ]);
    let server = MockServer::start(sequence).await.unwrap();
    let client = http1_client();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = client.request(get(&server.url())).await.unwrap();
        statuses.push(response.status().as_u16());
        response.into_body().collect().await.unwrap();
    }
    assert_eq!(statuses, [429, 502, 200, 200]);

    let empty = MockServer::start(Sequence::new(Vec::new())).await.unwrap();
    let response = client.request(get(&empty.url())).await.unwrap();
    assert_eq!(response.status(), 500);
}

#[tokio::test]
async fn invalid_reply_header_becomes_a_500() {
    let server = MockServer::start(Reply::sse("x").header("bad header", "v"))
        .await
        .unwrap();
    let response = http1_client().request(get(&server.url())).await.unwrap();
    assert_eq!(response.status(), 500);
}

#[tokio::test]
async fn raw_writes_a_hand_written_response() {
    let server = MockServer::start_raw(RawReply::bytes(vec![
        (
            Duration::ZERO,
            Bytes::from_static(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"),
        ),
        (
            Duration::from_millis(20),
            Bytes::from_static(b"content-length: 9\r\n\r\ndata: 1\n\n"),
        ),
    ]))
    .await
    .unwrap();
    let body = serde_json::json!({"stream": true});
    let response = http1_client()
        .request(post_json(
            &format!("{}/chat/completions", server.url()),
            &body,
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let got = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(got, "data: 1\n\n");
    let recorded = server.requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].method, "POST");
    assert_eq!(recorded[0].path, "/v1/chat/completions");
    assert_eq!(recorded[0].version, "HTTP/1.1");
    assert_eq!(recorded[0].json(), Some(body));
    assert!(
        server
            .wait_connections_closed(1, Duration::from_secs(2))
            .await
    );
}

#[tokio::test]
async fn raw_close_mid_chunk_fails_the_body() {
    let server = MockServer::start_raw(
        RawReply::bytes(vec![
            (
                Duration::ZERO,
                Bytes::from_static(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                      transfer-encoding: chunked\r\n\r\n5\r\ndata:\r\n",
                ),
            ),
            (
                Duration::from_millis(20),
                Bytes::from_static(b"10\r\n{\"par"),
            ),
        ])
        .then(RawEnding::Close),
    )
    .await
    .unwrap();
    let response = http1_client().request(get(&server.url())).await.unwrap();
    assert_eq!(response.status(), 200);
    let (frames, error) = read_frames(response).await;
    assert!(error.is_some(), "an unterminated chunked body must fail");
    let data = joined(&frames);
    assert!(data.starts_with(b"data:"), "{data:?}");
    assert!(b"data:{\"par".starts_with(&data));
}

#[tokio::test]
async fn raw_never_answer_and_close_immediately() {
    let silent = MockServer::start_raw(RawReply::never_answer())
        .await
        .unwrap();
    let waited = tokio::time::timeout(
        Duration::from_millis(300),
        http1_client().request(get(&silent.url())),
    )
    .await;
    assert!(waited.is_err(), "no answer expected");
    assert_eq!(silent.requests().len(), 1);
    assert!(
        silent
            .wait_connections_closed(1, Duration::from_secs(2))
            .await
    );

    let closing = MockServer::start_raw(RawReply::close_immediately())
        .await
        .unwrap();
    let result = http1_client().request(get(&closing.url())).await;
    assert!(result.is_err(), "{result:?}");
    assert!(closing.wait_requests(1, Duration::from_secs(1)).await);
}

#[tokio::test]
async fn replay_serves_captures_one_event_per_piece() {
    let dir = data_dir().join("fixtures");
    let files = chatstream_testkit::sse_files(&dir);
    assert!(files.len() >= 2);
    let chosen = files[1].clone();
    let handler = ReplayHandler::try_new(files.iter().take(3).map(|f| dir.join(f)).collect())
        .unwrap()
        .pace(Duration::ZERO);
    let server = MockServer::start(handler).await.unwrap();
    let client = http1_client();

    let models = client
        .request(get(&format!("{}/models", server.url())))
        .await
        .unwrap();
    assert_eq!(models.headers()["x-request-id"], "req_replay_1");
    let list: serde_json::Value =
        serde_json::from_slice(&models.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(list["object"], "list");

    let body = serde_json::json!({"model": "m", "stream": true,
        "messages": [{"role": "user", "content": "hello"}]});
    let mut request = post_json(&format!("{}/chat/completions", server.url()), &body);
    request
        .headers_mut()
        .insert("x-mock-fixture", chosen.to_string_lossy().parse().unwrap());
    let response = client.request(request).await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "req_replay_2");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let (frames, error) = read_frames(response).await;
    assert!(error.is_none());
    let expected = fixture_reply(&dir.join(&chosen)).unwrap().body();
    assert_eq!(joined(&frames), expected.to_vec());
    assert!(frames.len() > 1, "one piece per event");

    // The same prompt without the header replays the same capture twice.
    let mut names = Vec::new();
    for _ in 0..2 {
        let request = post_json(&format!("{}/chat/completions", server.url()), &body);
        let response = client.request(request).await.unwrap();
        names.push(response.headers()["x-mock-fixture"].clone());
        response.into_body().collect().await.unwrap();
    }
    assert_eq!(names[0], names[1]);

    let not_streaming = serde_json::json!({"model": "m", "messages": []});
    let request = post_json(
        &format!("{}/chat/completions", server.url()),
        &not_streaming,
    );
    assert_eq!(client.request(request).await.unwrap().status(), 400);
}

#[tokio::test]
async fn replay_reports_missing_captures() {
    let missing = data_dir().join("fixtures/no-such-capture.sse");
    assert!(ReplayHandler::try_new(vec![missing.clone()]).is_err());
    assert!(ReplayHandler::try_new(Vec::new()).is_err());
    let server = MockServer::start(ReplayHandler::new(vec![missing]))
        .await
        .unwrap();
    let body = serde_json::json!({"stream": true, "messages": [{"role": "user", "content": "x"}]});
    let request = post_json(&format!("{}/chat/completions", server.url()), &body);
    let response = http1_client().request(request).await.unwrap();
    assert_eq!(response.status(), 500);
    let error: serde_json::Value =
        serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("no-such-capture"), "{message}");
}
