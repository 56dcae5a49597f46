//! The LiteLLM proxy (PyPI): mock models and fakellm as an upstream.

use super::*;

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
