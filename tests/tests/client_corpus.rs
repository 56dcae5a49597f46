//! Every captured stream, served over real HTTP by the loopback mock server
//! and read by the real client — over HTTP/1.1, HTTP/2 and TLS, with random
//! write splits and pacing — folds to its expected result and ends in its
//! expected state.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::time::Duration;

use bytes::Bytes;
use chatstream::Client;
use chatstream::types::{ChatCompletionMessage, ChatCompletionRequest};
use chatstream_testkit::corpus::{Rng, comparable, expected, summarize_stream};
use chatstream_testkit::mock::{MockServer, Reply};
use chatstream_testkit::{data_dir, sse_files};
use serde_json::Value;

#[derive(Clone, Copy, Debug)]
enum Transport {
    Http1,
    Http2,
    Tls,
}

fn request() -> ChatCompletionRequest {
    ChatCompletionRequest::new("gpt-4o-mini", vec![ChatCompletionMessage::user("hi")])
}

/// Streams the mock server's reply through the client and summarizes it.
async fn stream_through(client: &Client) -> Value {
    let stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    summarize_stream(stream).await.unwrap()
}

async fn run_corpus(transport: Transport) {
    let dir = data_dir().join("fixtures");
    let expected = expected();
    let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ transport as u64);
    let mut failures = Vec::new();
    for file in sse_files(&dir) {
        let name = file.to_string_lossy().replace('\\', "/");
        let body = std::fs::read(dir.join(&file)).unwrap();
        let pieces: Vec<Bytes> = rng
            .split(&body, 700)
            .into_iter()
            .map(Bytes::copy_from_slice)
            .collect();
        let reply = Reply::sse(body.clone())
            .pieces(pieces)
            .pace(Duration::from_micros(rng.next_u64() % 200));
        let handler = move |_: &chatstream_testkit::mock::RecordedRequest| reply.clone();
        let server = match transport {
            Transport::Tls => MockServer::start_tls(handler).await,
            _ => MockServer::start(handler).await,
        }
        .unwrap();
        let mut builder = Client::builder()
            .base_url(server.url())
            .api_key("sk-test")
            .no_proxy();
        match transport {
            Transport::Http1 => {}
            Transport::Http2 => builder = builder.http2_prior_knowledge(),
            Transport::Tls => {
                builder = builder
                    .tls_built_in_roots(false)
                    .add_root_certificate_der(server.ca_cert_der().unwrap());
            }
        }
        let client = builder.build().unwrap();
        let got = stream_through(&client).await;
        let want = comparable(&expected[&name]);
        if got != want {
            failures.push(format!(
                "{name} over {transport:?}:\n  got      {got}\n  expected {want}"
            ));
        }
        let requests = server.requests();
        assert_eq!(requests.len(), 1, "{name}: one request, no retry");
        let version = &requests[0].version;
        match transport {
            Transport::Http1 => assert_eq!(version, "HTTP/1.1"),
            Transport::Http2 | Transport::Tls => assert_eq!(version, "HTTP/2.0", "{name}"),
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_over_http1() {
    run_corpus(Transport::Http1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_over_http2() {
    run_corpus(Transport::Http2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_over_tls_with_alpn() {
    run_corpus(Transport::Tls).await;
}
