//! Credentials from a provider: asked before every attempt, so a rotated key
//! or refreshed token is used at once; its failure is a typed error with
//! nothing sent; its value never printed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chatstream::Credential;
use common::*;

fn authorization(request: &chatstream_testkit::mock::RecordedRequest, name: &str) -> Vec<String> {
    request
        .headers
        .iter()
        .filter(|(header, _)| header == name)
        .map(|(_, value)| value.clone())
        .collect()
}

#[tokio::test]
async fn each_attempt_carries_the_providers_current_credential() {
    let server = MockServer::start(Sequence::new(vec![
        Reply::json(503, json!({"error": {"message": "busy"}})),
        Reply::sse("data: [DONE]\n\n"),
    ]))
    .await
    .unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let client = Client::builder()
        .base_url(server.url())
        .api_key("sk-fixed-SECRET")
        .max_retries(1)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(1))
        .credential_provider(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move { Credential::bearer(format!("tok-{n}-SECRET")) }
        })
        .no_proxy()
        .build()
        .unwrap();
    let mut stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    while stream.next().await.is_some() {}
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        authorization(&requests[0], "authorization"),
        ["Bearer tok-1-SECRET"]
    );
    assert_eq!(
        authorization(&requests[1], "authorization"),
        ["Bearer tok-2-SECRET"]
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(!format!("{client:?}").contains("SECRET"), "{client:?}");
}

#[tokio::test]
async fn a_custom_header_replaces_the_fixed_keys_header() {
    let server = serve(Reply::sse("data: [DONE]\n\n")).await;
    let client = Client::builder()
        .base_url(server.url())
        .azure("2024-10-21")
        .api_key("azure-fixed-SECRET")
        .credential_provider(|| async { Credential::bearer("entra-SECRET") })
        .no_proxy()
        .build()
        .unwrap();
    let mut stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    while stream.next().await.is_some() {}
    let sent = &server.requests()[0];
    assert_eq!(
        authorization(sent, "authorization"),
        ["Bearer entra-SECRET"]
    );
    assert!(
        authorization(sent, "api-key").is_empty(),
        "the fixed key is not sent"
    );
}

#[tokio::test]
async fn a_failing_provider_is_a_credential_error_and_nothing_is_sent() {
    let server = serve(Reply::sse("data: [DONE]\n\n")).await;
    let client = Client::builder()
        .base_url(server.url())
        .credential_provider(|| async {
            Err::<Credential, _>(std::io::Error::other("token endpoint unreachable"))
        })
        .no_proxy()
        .build()
        .unwrap();
    let error = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Credential, "{error:?}");
    assert!(server.requests().is_empty());

    let invalid = Credential::bearer("line\nbreak-SECRET").unwrap_err();
    assert_eq!(invalid.kind(), ErrorKind::Credential);
    assert!(!format!("{invalid:?} {invalid}").contains("SECRET"));
    let shown = format!("{:?}", Credential::header("x-api-key", "k-SECRET").unwrap());
    assert!(!shown.contains("SECRET"), "{shown}");
}
