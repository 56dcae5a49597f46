//! Azure OpenAI: deployment URLs, the `api-version` query and the `api-key`
//! header.
//!
//! ```text
//! cargo run --example azure
//! AZURE_OPENAI_ENDPOINT=https://NAME.openai.azure.com AZURE_OPENAI_API_KEY=… cargo run --example azure
//! ```
//!
//! With both `AZURE_OPENAI_*` variables set it talks to that resource (edit
//! the deployment name below to yours). Without, it starts a local server on
//! 127.0.0.1 that answers only on the Azure path
//! `/openai/deployments/my-deployment/chat/completions?api-version=2024-10-21`
//! and only with an `api-key` header, replaying a recorded Azure stream
//! (`tests/data/fixtures/azure/model-router-prompt-filter.sse`, with its
//! prompt filter results); then it prints what that server received. The
//! key's value is never printed.

use std::error::Error;

use chatstream::Client;
use chatstream::types::{ChatCompletionMessage, ChatCompletionRequest};
use chatstream_tests::data_dir;
use chatstream_tests::mock::{MockServer, RecordedRequest, Reply, fixture_reply};
use serde_json::json;

const API_VERSION: &str = "2024-10-21";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut server = None;
    let (endpoint, key) = match (env("AZURE_OPENAI_ENDPOINT"), env("AZURE_OPENAI_API_KEY")) {
        (Some(endpoint), Some(key)) => (endpoint, key),
        _ => {
            let fixture = data_dir().join("fixtures/azure/model-router-prompt-filter.sse");
            let stream = fixture_reply(&fixture)?;
            let expected = format!(
                "/openai/deployments/my-deployment/chat/completions?api-version={API_VERSION}"
            );
            let mock = MockServer::start(move |request: &RecordedRequest| {
                if request.path != expected {
                    Reply::json(
                        404,
                        json!({"error": {"code": "404", "message": "Resource not found"}}),
                    )
                } else if request.header("api-key").is_none() {
                    Reply::json(
                        401,
                        json!({"error": {"code": "401", "message": "Access denied"}}),
                    )
                } else {
                    stream.clone()
                }
            })
            .await?;
            eprintln!(
                "(no AZURE_OPENAI_ENDPOINT/AZURE_OPENAI_API_KEY: replaying {} from {})",
                fixture.display(),
                mock.origin()
            );
            let origin = mock.origin();
            server = Some(mock);
            (origin, "not-a-real-key".to_owned())
        }
    };

    let client = Client::builder()
        .base_url(&endpoint)
        .api_key(&key)
        .azure(API_VERSION)
        .azure_deployment("gpt-4o-mini", "my-deployment");
    // The local server is reached directly; a real endpoint honours HTTPS_PROXY.
    let client = if server.is_some() {
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

    if let Some(server) = &server {
        for request in server.requests() {
            println!(
                "server received: {} {} ({})",
                request.method, request.path, request.version
            );
            for (name, value) in &request.headers {
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
