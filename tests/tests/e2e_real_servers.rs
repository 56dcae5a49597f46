//! The real `chatstream::Client` against independent OpenAI-compatible
//! servers that others wrote, on loopback: fakellm (PyPI), the LiteLLM proxy
//! (PyPI; mock models and fakellm as an upstream), @dwmkerr/mock-llm (npm) and
//! llama-cpp-python's server with a real model (Gemma 3 270M).
//!
//! Run them with `cargo xtask e2e [--tier fast|model|all]`: it installs the
//! servers (cached outside the clone), starts them with the configs in
//! `tests/data/real-servers/`, runs these tests with `--ignored` and the
//! servers' URLs in `CHATSTREAM_E2E_*`, and stops the servers. A plain
//! `cargo test` skips them; with `--ignored` and no URL, a test fails (it never
//! passes without its server).
//!
//! Test names start with the server they need (`fakellm_`, `litellm_`,
//! `mockllm_`, `llama_`): that is how the xtask picks a tier. A test that
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
    let arguments: Value = serde_json::from_str(&call.function.arguments)
        .unwrap_or_else(|e| panic!("arguments {:?}: {e}", call.function.arguments));
    (call.function.name.clone(), arguments)
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

// ---------------------------------------------------------------- fakellm

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn fakellm_streams_the_configured_text() {
    limit(30, async {
        let client = fakellm();
        let mut stream = client
            .create_chat_completion_stream(&ask("gpt-4o-mini", "Hello!"))
            .await
            .unwrap();
        assert_eq!(stream.status(), 200);
        let mut text = String::new();
        let mut chunks = 0;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            chunks += 1;
            for choice in &chunk.choices {
                text.push_str(&choice.delta.content_text().unwrap_or_default());
            }
        }
        assert_eq!(text, CONFIGURED_TEXT);
        assert!(chunks > 5, "word by word: {chunks} chunks");
        assert_eq!(stream.end_state(), Some(EndState::Done));
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn fakellm_ignores_include_usage() {
    limit(30, async {
        let request = ask("gpt-4o-mini", "Hello!").include_usage(true);
        let (completion, end) = complete(&fakellm(), &request).await;
        assert_eq!(end, EndState::Done);
        assert_eq!(text_of(&completion, 0), CONFIGURED_TEXT);
        assert_eq!(finish_of(&completion, 0), Some(FinishReason::Stop));
        assert_eq!(completion.usage, None, "fakellm sends no usage chunk");
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn fakellm_streams_a_tool_call_that_folds_to_json() {
    limit(30, async {
        let request = ask("gpt-4o-mini", "What is the weather in Paris?").tool(weather_tool());
        let (completion, end) = complete(&fakellm(), &request).await;
        assert_eq!(end, EndState::Done);
        assert_eq!(finish_of(&completion, 0), Some(FinishReason::ToolCalls));
        let (name, arguments) = only_tool_call(&completion);
        assert_eq!(name, "get_weather");
        assert_eq!(arguments, json!({"city": "Paris", "unit": "celsius"}));
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn fakellm_bad_key_rule_is_a_401_without_streaming() {
    limit(30, async {
        let client = client(&server("CHATSTREAM_E2E_FAKELLM"), "bad-key");
        let error = client
            .create_chat_completion(&ask("gpt-4o-mini", "Hello!"))
            .await
            .unwrap_err();
        assert_http(&error, 401, "Incorrect API key provided");
        assert_eq!(
            error.api_error().unwrap().kind.as_deref(),
            Some("mock_error")
        );

        // fakellm ignores a rule's status when streaming: the same request
        // streams its generic mock answer instead (what the server really
        // does, not a client bug).
        let (completion, end) = complete(&client, &ask("gpt-4o-mini", "Hello!")).await;
        assert_eq!(end, EndState::Done);
        assert_generic_fakellm_answer(&text_of(&completion, 0));
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn fakellm_rate_limit_rule_is_a_429_without_streaming() {
    limit(30, async {
        let client = fakellm();
        let error = client
            .create_chat_completion(&ask("gpt-4o-mini", "please trigger-429 now"))
            .await
            .unwrap_err();
        assert_http(&error, 429, "Rate limit exceeded");

        // Ignored when streaming, as above.
        let (completion, end) =
            complete(&client, &ask("gpt-4o-mini", "please trigger-429 now")).await;
        assert_eq!(end, EndState::Done);
        assert_generic_fakellm_answer(&text_of(&completion, 0));
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn fakellm_non_streaming_completion() {
    limit(30, async {
        let completion = fakellm()
            .create_chat_completion(&ask("gpt-4o-mini", "Hello!"))
            .await
            .unwrap();
        assert_eq!(completion.object, "chat.completion");
        assert_eq!(text_of(&completion, 0), CONFIGURED_TEXT);
        assert_eq!(finish_of(&completion, 0), Some(FinishReason::Stop));
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn fakellm_accepts_any_model() {
    limit(30, async {
        let (completion, end) = complete(&fakellm(), &ask("no-such-model", "Hello!")).await;
        assert_eq!(end, EndState::Done);
        assert_eq!(text_of(&completion, 0), CONFIGURED_TEXT);
    })
    .await;
}

// ---------------------------------------------------------------- LiteLLM

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn litellm_streams_the_mock_text() {
    limit(60, async {
        let client = litellm();
        let mut stream = client
            .create_chat_completion_stream(&ask("mock-gpt", "Hello!"))
            .await
            .unwrap();
        assert!(stream.headers().contains_key("x-litellm-call-id"));
        let first = stream.next().await.unwrap().unwrap();
        // LiteLLM sends the role and the first text together.
        assert!(first.choices[0].delta.role.is_some());
        let mut text = first.choices[0]
            .delta
            .content_text()
            .unwrap_or_default()
            .into_owned();
        while let Some(chunk) = stream.next().await {
            for choice in &chunk.unwrap().choices {
                text.push_str(&choice.delta.content_text().unwrap_or_default());
            }
        }
        assert_eq!(text, CONFIGURED_TEXT);
        assert_eq!(stream.end_state(), Some(EndState::Done));
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn litellm_include_usage_gives_a_usage_chunk() {
    limit(60, async {
        let request = ask("mock-gpt", "Hello!").include_usage(true);
        let (completion, end) = complete(&litellm(), &request).await;
        assert_eq!(end, EndState::Done);
        assert_eq!(text_of(&completion, 0), CONFIGURED_TEXT);
        assert_eq!(finish_of(&completion, 0), Some(FinishReason::Stop));
        let usage = completion.usage.expect("a usage chunk");
        assert!(usage.completion_tokens > 0, "{usage:?}");
        assert!(usage.prompt_tokens > 0, "{usage:?}");
        assert_eq!(
            usage.total_tokens,
            usage.prompt_tokens + usage.completion_tokens
        );
        assert!(usage.extra.contains_key("cost"), "LiteLLM adds a cost");
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn litellm_restreams_fakellm_tool_calls() {
    limit(60, async {
        for usage in [false, true] {
            let request = ask("via-fakellm", "What is the weather in Paris?")
                .tool(weather_tool())
                .include_usage(usage);
            let (completion, end) = complete(&litellm(), &request).await;
            assert_eq!(end, EndState::Done);
            assert_eq!(finish_of(&completion, 0), Some(FinishReason::ToolCalls));
            let (name, arguments) = only_tool_call(&completion);
            assert_eq!(name, "get_weather");
            assert_eq!(arguments["city"], "Paris");
            assert_eq!(arguments, json!({"city": "Paris", "unit": "celsius"}));
            assert_eq!(completion.usage.is_some(), usage, "usage asked: {usage}");
        }
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn litellm_streams_fakellm_text_with_counted_usage() {
    limit(60, async {
        let request = ask("via-fakellm", "Hello!").include_usage(true);
        let (completion, end) = complete(&litellm(), &request).await;
        assert_eq!(end, EndState::Done);
        assert_eq!(text_of(&completion, 0), CONFIGURED_TEXT);
        // fakellm sends no usage; LiteLLM counts the tokens itself.
        assert!(completion.usage.expect("usage").completion_tokens > 0);
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn litellm_wrong_or_missing_key_is_a_typed_error() {
    limit(60, async {
        let url = server("CHATSTREAM_E2E_LITELLM");
        // Without a database any key but the master key gets this 400.
        let error = start_error(&client(&url, "sk-wrong"), &ask("mock-gpt", "Hello!")).await;
        assert_http(&error, 400, "No connected db.");
        assert_eq!(
            error.api_error().unwrap().kind.as_deref(),
            Some("no_db_connection")
        );

        let error = start_error(&client(&url, ""), &ask("mock-gpt", "Hello!")).await;
        assert_http(&error, 401, "No api key passed in");
        let api = error.api_error().unwrap();
        assert_eq!(api.kind.as_deref(), Some("auth_error"));
        assert_eq!(api.code, Some(ErrorCode::String("401".into())));
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn litellm_unknown_model_is_a_400() {
    limit(60, async {
        let error = start_error(&litellm(), &ask("no-such-model", "Hello!")).await;
        assert_http(
            &error,
            400,
            "Invalid model name passed in model=no-such-model",
        );
        assert_eq!(
            error.api_error().unwrap().kind.as_deref(),
            Some("invalid_request_error")
        );
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn litellm_rate_limit_is_a_429_before_the_stream() {
    limit(60, async {
        // `mock_response: litellm.RateLimitError`: a plain JSON 429 although
        // a stream was asked for.
        let error = start_error(&litellm(), &ask("mock-error", "Hello!")).await;
        assert_http(&error, 429, "this is a mock rate limit error");
        let api = error.api_error().unwrap();
        assert_eq!(api.kind.as_deref(), Some("throttling_error"));
        assert_eq!(api.code, Some(ErrorCode::String("429".into())));
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn litellm_error_in_the_first_chunk_is_a_529_with_no_reason_phrase() {
    limit(60, async {
        // LiteLLM reads the first chunk before it sends the head, so the
        // mid-stream mock error becomes `HTTP/1.1 529 ` (empty reason).
        let error = start_error(&litellm(), &ask("mock-midstream-error", "Hello!")).await;
        assert_http(&error, 529, "This is a mock error raised mid-stream");
        assert_eq!(
            error.api_error().unwrap().kind.as_deref(),
            Some("internal_server_error")
        );
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn litellm_non_streaming_completion() {
    limit(60, async {
        let completion = litellm()
            .create_chat_completion(&ask("mock-gpt", "Hello!"))
            .await
            .unwrap();
        assert_eq!(text_of(&completion, 0), CONFIGURED_TEXT);
        assert!(completion.usage.is_some());
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn litellm_n_2_streams_two_choices() {
    limit(60, async {
        // fakellm and mock-llm ignore `n`; LiteLLM's mock interleaves two
        // choices in each chunk. It sends a finish_reason for choice 0 only
        // (its quirk), then [DONE].
        let request = ask("mock-gpt", "Hello!").n(2).include_usage(true);
        let (completion, end) = complete(&litellm(), &request).await;
        assert_eq!(end, EndState::Done);
        assert_eq!(completion.choices.len(), 2);
        assert_eq!(text_of(&completion, 0), CONFIGURED_TEXT);
        assert_eq!(text_of(&completion, 1), CONFIGURED_TEXT);
        assert_eq!(finish_of(&completion, 0), Some(FinishReason::Stop));
        assert_eq!(finish_of(&completion, 1), None, "LiteLLM sends none");
        assert!(completion.usage.is_some());

        let whole = litellm()
            .create_chat_completion(&ask("mock-gpt", "Hello!").n(2))
            .await
            .unwrap();
        assert_eq!(whole.choices.len(), 2);
        for index in [0, 1] {
            assert_eq!(text_of(&whole, index), CONFIGURED_TEXT);
            assert_eq!(finish_of(&whole, index), Some(FinishReason::Stop));
        }
    })
    .await;
}

// --------------------------------------------------------------- mock-llm

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn mockllm_echoes_in_small_chunks() {
    limit(30, async {
        // mock-llm-small-chunks.yaml cuts the echo into 8 UTF-16 units.
        let prompt = "Héllo wörld — unicode ✓ and more words";
        let client = mock_llm();
        let mut stream = client
            .create_chat_completion_stream(&ask("gpt-4o-mini", prompt))
            .await
            .unwrap();
        let mut pieces = Vec::new();
        let mut finish = None;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            assert_eq!(chunk.created, 0, "mock-llm sends no `created`");
            let choice = &chunk.choices[0];
            pieces.push(choice.delta.content_text().unwrap_or_default().into_owned());
            finish = choice.finish_reason.clone().or(finish);
        }
        assert_eq!(pieces.concat(), prompt);
        assert_eq!(pieces[0], "Héllo wö");
        assert!(pieces.len() >= 5, "{pieces:?}");
        assert_eq!(finish, Some(FinishReason::Stop));
        assert_eq!(stream.end_state(), Some(EndState::Done));

        let request = ask("gpt-4o-mini", "usage please").include_usage(true);
        let (completion, end) = complete(&client, &request).await;
        assert_eq!(end, EndState::Done);
        assert_eq!(text_of(&completion, 0), "usage please");
        assert_eq!(completion.usage, None, "mock-llm ignores include_usage");
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn mockllm_in_band_error_event_without_done_is_an_api_error() {
    limit(30, async {
        // The config's `error-401` rule: with stream:true, mock-llm answers
        // 200 text/event-stream, one `data: {"error":…}` event, no [DONE].
        let mut stream = mock_llm()
            .create_chat_completion_stream(&ask("gpt-4o-mini", "please error-401"))
            .await
            .expect("a 200 event stream");
        assert_eq!(stream.status(), 200);
        let error = stream.next().await.unwrap().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Api, "{error:?}");
        let api = error.api_error().unwrap();
        assert_eq!(api.message, "Incorrect API key provided.");
        assert_eq!(api.kind.as_deref(), Some("invalid_request_error"));
        assert_eq!(api.code, Some(ErrorCode::String("invalid_api_key".into())));
        assert!(stream.next().await.is_none());
        assert_eq!(stream.end_state(), None, "an error is not a clean end");
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn mockllm_error_rule_without_streaming_is_a_401() {
    limit(30, async {
        let error = mock_llm()
            .create_chat_completion(&ask("gpt-4o-mini", "please error-401"))
            .await
            .unwrap_err();
        assert_http(&error, 401, "Incorrect API key provided.");
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn mockllm_split_surrogate_pair_becomes_replacement_characters() {
    limit(30, async {
        // 8 UTF-16 units per chunk: "1234567" and the crab's high surrogate
        // end the first chunk, its low surrogate starts the second, each as a
        // lone `\uXXXX` escape that strict JSON refuses. The client replaces
        // each lone surrogate with U+FFFD (as a UTF-8 decoder treats an
        // invalid sequence): the stream completes and the rest of the text
        // is intact.
        let prompt = "1234567🦀 crab";
        let collected = mock_llm()
            .create_chat_completion_stream(&ask("gpt-4o-mini", prompt))
            .await
            .unwrap()
            .collect_completion()
            .await;
        let text = collected.completion.choices[0]
            .message
            .text()
            .unwrap_or_default();
        assert!(collected.end.is_ok(), "{:?}", collected.end);
        assert!(text.contains("1234567\u{FFFD}\u{FFFD} crab"), "{text:?}");
    })
    .await;
}

// ---------------------------------------------------- llama-cpp-python

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn llama_streams_real_tokens() {
    let _turn = LLAMA_TURN.lock().await;
    limit(180, async {
        let request = ask("gemma-3-270m", "Tell me about the history of Paris.")
            .max_tokens(32)
            .temperature(0.0)
            .seed(42);
        let client = llama();
        let stream = client
            .create_chat_completion_stream(&request)
            .await
            .unwrap();
        let collected = stream.collect_completion().await;
        let end = collected.end.unwrap();
        assert_eq!(end, EndState::Done);
        let completion = collected.completion;
        let text = text_of(&completion, 0);
        assert!(!text.trim().is_empty(), "real tokens: {text:?}");
        assert!(
            matches!(
                finish_of(&completion, 0),
                Some(FinishReason::Length | FinishReason::Stop)
            ),
            "{:?}",
            finish_of(&completion, 0)
        );
        // One delta per token: many content chunks for up to 32 tokens.
        assert!(
            collected.timing.chunks() > 3,
            "{} chunks",
            collected.timing.chunks()
        );
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn llama_tool_call_deltas_repeating_id_and_name_fold_into_one_call() {
    let _turn = LLAMA_TURN.lock().await;
    limit(240, async {
        let request = ask("gemma-3-270m-tools", "What is the weather in Paris?")
            .tool(weather_tool())
            .tool_choice(ToolChoice::function("get_weather"))
            .temperature(0.0)
            .seed(42);
        let client = llama();
        let mut stream = client
            .create_chat_completion_stream(&request)
            .await
            .unwrap();
        let mut accumulator = chatstream::types::Accumulator::new();
        let mut deltas_with_id = 0;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            for choice in &chunk.choices {
                for call in choice.delta.tool_calls.iter().flatten() {
                    if call.id.is_some() {
                        deltas_with_id += 1;
                    }
                }
            }
            accumulator.push(&chunk).unwrap();
        }
        assert_eq!(stream.end_state(), Some(EndState::Done));
        assert!(
            deltas_with_id > 1,
            "llama-cpp-python repeats the id on every delta ({deltas_with_id})"
        );
        let completion = accumulator.finish();
        assert_eq!(finish_of(&completion, 0), Some(FinishReason::ToolCalls));
        let (name, arguments) = only_tool_call(&completion);
        assert_eq!(name, "get_weather");
        assert!(
            arguments.get("city").is_some_and(Value::is_string),
            "{arguments}"
        );
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn llama_context_overflow_is_truncated_never_success() {
    let _turn = LLAMA_TURN.lock().await;
    limit(180, async {
        // n_ctx is 2048: 3000 words are well past it. The server answers
        // 200 text/event-stream with an empty body (the exception is only in
        // its log): no chunk, no [DONE], so the client must say Truncated.
        let long = "Paris is the capital of France. ".repeat(600);
        let client = llama();
        let request = ask("gemma-3-270m", &long).max_tokens(16);
        let mut stream = client
            .create_chat_completion_stream(&request)
            .await
            .expect("the server answers 200");
        assert_eq!(stream.status(), 200);
        let error = stream.next().await.unwrap().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Truncated, "{error:?}");
        assert!(stream.next().await.is_none());
        assert_eq!(stream.end_state(), None);

        // A new client: the server closes the connection after this answer
        // although it said keep-alive, so a pooled connection could be dead
        // (with retries off, that request would fail as Transport).
        let collected = llama()
            .create_chat_completion_stream(&request)
            .await
            .unwrap()
            .collect_completion()
            .await;
        assert_eq!(collected.end.unwrap_err().kind(), ErrorKind::Truncated);
        assert_eq!(collected.completion.choices.len(), 0, "nothing arrived");
    })
    .await;
}

#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn llama_wrong_key_is_a_401_with_the_body() {
    let _turn = LLAMA_TURN.lock().await;
    limit(60, async {
        let client = client(&server("CHATSTREAM_E2E_LLAMA"), "sk-wrong");
        let error = start_error(&client, &ask("gemma-3-270m", "Hello")).await;
        assert_eq!(error.kind(), ErrorKind::Http);
        assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
        // FastAPI's `{"detail": …}`, not an OpenAI error object.
        let body = String::from_utf8_lossy(error.body().expect("the raw body")).into_owned();
        assert!(body.contains("Invalid API key"), "{body}");
        assert!(error.to_string().contains("Invalid API key"), "{error}");
    })
    .await;
}
