//! The real `chatstream::Client` against independent OpenAI-compatible
//! servers that others wrote, on loopback: fakellm (PyPI), the LiteLLM proxy
//! (PyPI; mock models and fakellm as an upstream), @dwmkerr/mock-llm (npm),
//! llama-cpp-python's server with a real model (Gemma 3 270M), and Hypercorn
//! (PyPI) as an HTTP/2 server that limits its connections' streams.
//!
//! Run them with `cargo xtask e2e [--tier fast|model|all]`: it installs the
//! servers (cached outside the clone), starts them with the configs in
//! `tests/data/real-servers/`, runs these tests with `--ignored` and the
//! servers' URLs in `CHATSTREAM_E2E_*`, and stops the servers. A plain
//! `cargo test` skips them; with `--ignored` and no URL, a test fails (it never
//! passes without its server).
//!
//! One module per server. Test names start with the server they need (`fakellm_`, `litellm_`,
//! `mockllm_`, `hypercorn_`, `llama_`): that is how the xtask picks a tier. A test that
//! pins a known client bug would be named `…known_bug…` and marked
//! `#[ignore = "bug: …"]`; the xtask skips those. The expected
//! values come from the configs and from what each server really sends
//! (`shared/real-servers.md`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::future::Future;
use std::time::Duration;

use chatstream::types::{
    ChatCompletion, ChatCompletionMessage, ChatCompletionRequest, ErrorCode, FinishReason, Tool,
    ToolChoice,
};
use chatstream::{Client, EndState, Error, ErrorKind};
use serde_json::{Value, json};

const NEEDS_SERVERS: &str = "run with `cargo xtask e2e`, which installs and starts the servers";

/// The text fakellm's default rule and LiteLLM's `mock-gpt` answer with.
const CONFIGURED_TEXT: &str = "The quick brown fox jumps over the lazy dog. Héllo — ✓ 🦀";
/// `general_settings.master_key` of litellm-config.yaml.
const LITELLM_KEY: &str = "sk-test-1234";
/// `api_key` of llama-cpp-python-config.json.
const LLAMA_KEY: &str = "sk-llama-test";

/// The server's base URL from `var`; fails the test when it is missing.
fn server(var: &str) -> String {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => url,
        _ => panic!("{var} is not set: {NEEDS_SERVERS}"),
    }
}

fn client(url: &str, key: &str) -> Client {
    Client::builder()
        .base_url(url)
        .api_key(key)
        .max_retries(0)
        .idle_timeout(Duration::from_secs(60))
        .no_proxy()
        .build()
        .unwrap()
}

fn fakellm() -> Client {
    client(&server("CHATSTREAM_E2E_FAKELLM"), "sk-fakellm")
}

fn litellm() -> Client {
    client(&server("CHATSTREAM_E2E_LITELLM"), LITELLM_KEY)
}

fn mock_llm() -> Client {
    client(&server("CHATSTREAM_E2E_MOCKLLM"), "sk-mock")
}

fn llama() -> Client {
    client(&server("CHATSTREAM_E2E_LLAMA"), LLAMA_KEY)
}

/// One llama-cpp-python request at a time: the server holds one model and
/// swaps it when a request names the other alias, which cuts a running stream
/// short (seen: 3 tokens, then `[DONE]` with no finish_reason, while a
/// `gemma-3-270m-tools` request ran beside it). That is the server's doing;
/// the tests take turns so that they test the client.
static LLAMA_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn ask(model: &str, text: &str) -> ChatCompletionRequest {
    ChatCompletionRequest::new(model, vec![ChatCompletionMessage::user(text)])
}

fn weather_tool() -> Tool {
    Tool::function(
        "get_weather",
        json!({
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
            },
            "required": ["city"]
        }),
    )
    .description("The current weather in a city")
}

/// Runs a test body with a time limit: a server that hangs fails the test.
async fn limit<F: Future>(seconds: u64, body: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(seconds), body)
        .await
        .unwrap_or_else(|_| panic!("no result within {seconds} s"))
}

/// Streams `request` to its end and folds it; fails on any error.
async fn complete(client: &Client, request: &ChatCompletionRequest) -> (ChatCompletion, EndState) {
    let stream = client
        .create_chat_completion_stream(request)
        .await
        .expect("the stream starts");
    let collected = stream.collect_completion().await;
    let end = collected
        .end
        .unwrap_or_else(|e| panic!("the stream failed: {e:?}"));
    (collected.completion, end)
}

fn text_of(completion: &ChatCompletion, index: u32) -> String {
    completion
        .choice(index)
        .unwrap_or_else(|| panic!("no choice {index}"))
        .message
        .text()
        .unwrap_or_default()
}

fn finish_of(completion: &ChatCompletion, index: u32) -> Option<FinishReason> {
    completion.choice(index)?.finish_reason.clone()
}

/// The one tool call of choice 0: its name, and its arguments parsed as JSON.
fn only_tool_call(completion: &ChatCompletion) -> (String, Value) {
    let calls = completion.choice(0).unwrap().message.tool_calls.as_ref();
    let calls = calls.expect("a tool call");
    assert_eq!(calls.len(), 1, "exactly one call: {calls:?}");
    let call = &calls[0];
    assert!(!call.id.is_empty(), "the call has an id");
    let function = call.function.as_ref().expect("a function call");
    let arguments: Value = serde_json::from_str(&function.arguments)
        .unwrap_or_else(|e| panic!("arguments {:?}: {e}", function.arguments));
    (function.name.clone(), arguments)
}

/// The agent loop's step between two requests: appends to `request` the
/// assistant message of `completion`'s choice 0, folded and unchanged, then
/// one `tool` message per call with `result`. Returns the calls' ids, after
/// checking that the request's JSON carries each call (id, name, arguments)
/// as it was folded, and its answer by that id.
fn send_back_with_results(
    request: &mut ChatCompletionRequest,
    completion: &ChatCompletion,
    result: &str,
) -> Vec<String> {
    let message = completion.choice(0).expect("choice 0").message.clone();
    let calls = message
        .tool_calls
        .clone()
        .expect("the folded message calls a tool");
    let at = request.messages.len();
    request.messages.push(message);
    for call in &calls {
        request
            .messages
            .push(ChatCompletionMessage::tool(call.id.clone(), result));
    }
    let sent = serde_json::to_value(&*request).unwrap();
    let sent_calls = sent["messages"][at]["tool_calls"].as_array().unwrap();
    assert_eq!(sent_calls.len(), calls.len(), "{sent}");
    for (k, (call, sent_call)) in calls.iter().zip(sent_calls).enumerate() {
        let function = call.function.as_ref().expect("a function call");
        assert_eq!(sent_call["id"], call.id.as_str(), "{sent_call}");
        assert_eq!(sent_call["function"]["name"], function.name.as_str());
        assert_eq!(
            sent_call["function"]["arguments"],
            function.arguments.as_str()
        );
        let answer = &sent["messages"][at + 1 + k];
        assert_eq!(answer["role"], "tool");
        assert_eq!(answer["tool_call_id"], call.id.as_str());
    }
    calls.into_iter().map(|call| call.id).collect()
}

/// An error at stream creation.
async fn start_error(client: &Client, request: &ChatCompletionRequest) -> Error {
    client
        .create_chat_completion_stream(request)
        .await
        .expect_err("the server refuses the request")
}

fn assert_http(error: &Error, status: u16, message: &str) {
    assert_eq!(error.kind(), ErrorKind::Http, "{error:?}");
    assert_eq!(
        error.status().map(|s| s.as_u16()),
        Some(status),
        "{error:?}"
    );
    let api = error.api_error().expect("the server's error object");
    assert!(
        api.message.contains(message),
        "message {:?} should contain {message:?}",
        api.message
    );
    assert!(error.to_string().contains(message), "Display: {error}");
}

/// What fakellm streams for a request whose rule has an error status: its
/// generic answer, `[mock response for MODEL, fingerprint HEX]`.
fn assert_generic_fakellm_answer(text: &str) {
    assert!(
        text.starts_with("[mock response for gpt-4o-mini, fingerprint ") && text.ends_with(']'),
        "{text:?}"
    );
}

mod fakellm;
mod hypercorn;
mod litellm;
mod llama;
mod mockllm;
