//! fakellm (PyPI): its configured rules.

use super::*;

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
