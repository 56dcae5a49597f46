//! Azure OpenAI: deployment URLs, the `api-version` query and the `api-key`
//! header.
//!
//! ```text
//! cargo run -p chatstream --example azure
//! AZURE_OPENAI_ENDPOINT=https://NAME.openai.azure.com AZURE_OPENAI_API_KEY=… cargo run -p chatstream --example azure
//! ```
//!
//! With both `AZURE_OPENAI_*` variables set it talks to that resource (edit
//! the deployment name below to yours). Without, it starts a stand-in server
//! on 127.0.0.1 (hyper, in this file) that answers only on the Azure path
//! `/openai/deployments/my-deployment/chat/completions?api-version=2024-10-21`
//! and only with an `api-key` header, with a recorded Azure stream bundled
//! with the examples (`examples/data/azure-model-router-prompt-filter.sse`,
//! with its prompt filter results); then it prints what that server
//! received. The key's value is never printed.

mod support;

use std::convert::Infallible;
use std::error::Error;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chatstream::Client;
use chatstream::types::{ChatCompletionMessage, ChatCompletionRequest};
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::json;
use support::Paced;

const API_VERSION: &str = "2024-10-21";

/// The request line and headers of each request the stand-in server got.
type Received = Arc<Mutex<Vec<(String, Vec<(String, String)>)>>>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut received = None;
    let (endpoint, key) = match (env("AZURE_OPENAI_ENDPOINT"), env("AZURE_OPENAI_API_KEY")) {
        (Some(endpoint), Some(key)) => (endpoint, key),
        _ => {
            let (origin, log) = stand_in().await?;
            eprintln!(
                "(no AZURE_OPENAI_ENDPOINT/AZURE_OPENAI_API_KEY: a stand-in server at {origin} replays {}, bundled with the examples)",
                support::AZURE.name
            );
            received = Some(log);
            (origin, "not-a-real-key".to_owned())
        }
    };

    let client = Client::builder()
        .base_url(&endpoint)
        .api_key(&key)
        .azure(API_VERSION)
        .azure_deployment("gpt-4o-mini", "my-deployment");
    // The local server is reached directly; a real endpoint honours HTTPS_PROXY.
    let client = if received.is_some() {
        client.no_proxy()
    } else {
        client
    }
    .build()?;
    let request = ChatCompletionRequest::new(
        "gpt-4o-mini",
        vec![ChatCompletionMessage::user("Say hello from Azure.")],
    )
    .include_usage(true);
    let mut stream = client.create_chat_completion_stream(&request).await?;
    println!(
        "status {} · request id {:?}",
        stream.status(),
        stream.request_id()
    );
    while let Some(chunk) = stream.next().await {
        for choice in &chunk?.choices {
            print!("{}", choice.delta.content_text().unwrap_or_default());
        }
    }
    println!("\nended: {:?}", stream.end_state());

    // Offline: what the stand-in server received.
    if let Some(log) = received {
        let log = log
            .lock()
            .map_err(|_| "the stand-in server's log is unreadable")?;
        for (line, headers) in log.iter() {
            println!("server received: {line}");
            for (name, value) in headers {
                let secret = name == "api-key" || name == "authorization";
                println!(
                    "  {name}: {}",
                    if secret { "<redacted>" } else { value.as_str() }
                );
            }
        }
    }
    Ok(())
}

/// Starts the stand-in for an Azure resource on 127.0.0.1; returns its
/// origin (`http://127.0.0.1:PORT`) and the log of what it receives.
async fn stand_in() -> Result<(String, Received), Box<dyn Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    let received = Received::default();
    let log = received.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let log = log.clone();
            let service = service_fn(move |request| {
                let reply = answer(&request, &log);
                async move { Ok::<_, Infallible>(reply) }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(tcp), service));
        }
    });
    Ok((origin, received))
}

/// What Azure would answer: 404 off the deployment's path, 401 without an
/// `api-key`, else the recorded stream.
fn answer(request: &Request<Incoming>, log: &Received) -> Response<Paced> {
    let line = format!(
        "{} {} ({:?})",
        request.method(),
        request.uri(),
        request.version()
    );
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.to_string(), value)
        })
        .collect();
    if let Ok(mut log) = log.lock() {
        log.push((line, headers));
    }
    let expected =
        format!("/openai/deployments/my-deployment/chat/completions?api-version={API_VERSION}");
    let path = request.uri().path_and_query().map(|p| p.as_str());
    let (status, message) = if path != Some(expected.as_str()) {
        (StatusCode::NOT_FOUND, "Resource not found")
    } else if !request.headers().contains_key("api-key") {
        (StatusCode::UNAUTHORIZED, "Access denied")
    } else {
        return support::AZURE.response();
    };
    let body = json!({"error": {"code": status.as_str(), "message": message}});
    let mut response = Response::new(Paced::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
