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

/// The agent loop, two turns: turn 1 streams fakellm's configured
/// `get_weather` call and folds it; turn 2 sends the folded assistant
/// message unchanged plus the tool's result, and streams to a clean end.
///
/// fakellm's weather rule matches on the offered tool alone
/// (`tools_include: get_weather`), not on the conversation: a second request
/// that still offers the tool gets the same call again (a loop would never
/// end), and fakellm ignores `tool_choice`. So turn 2 offers no tool, and
/// the default rule answers with its text. fakellm reads the history for
/// its own record of the conversation (keyed by the first user message):
/// that record must show the second turn and the tool result, so the test
/// knows the server read the messages sent back, not only accepted them.
#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn fakellm_agent_loop_sends_the_folded_call_back_and_streams_an_answer() {
    limit(30, async {
        let client = fakellm();
        // A conversation of its own: fakellm keys it by the first user
        // message, and the server outlives one test.
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let mut request = ask(
            "gpt-4o-mini",
            &format!("What is the weather in Paris? (agent loop {nonce})"),
        )
        .tool(weather_tool());
        let (first, end) = complete(&client, &request).await;
        assert_eq!(end, EndState::Done);
        assert_eq!(finish_of(&first, 0), Some(FinishReason::ToolCalls));
        let (name, arguments) = only_tool_call(&first);
        assert_eq!(name, "get_weather");
        assert_eq!(arguments, json!({"city": "Paris", "unit": "celsius"}));

        let result = r#"{"city":"Paris","temperature_c":18,"conditions":"light rain"}"#;
        let ids = send_back_with_results(&mut request, &first, result);
        assert_eq!(ids.len(), 1);
        request.tools = None;
        let stream = client
            .create_chat_completion_stream(&request)
            .await
            .unwrap();
        let conversation = stream
            .headers()
            .get("x-fakellm-conversation-id")
            .expect("fakellm names the conversation")
            .to_str()
            .unwrap()
            .to_owned();
        let collected = stream.collect_completion().await;
        assert_eq!(collected.end.unwrap(), EndState::Done);
        assert_eq!(text_of(&collected.completion, 0), CONFIGURED_TEXT);
        assert_eq!(
            finish_of(&collected.completion, 0),
            Some(FinishReason::Stop)
        );

        let url = server("CHATSTREAM_E2E_FAKELLM");
        let conversations = get_json(&format!(
            "{}/_fakellm/conversations",
            url.trim_end_matches('/').trim_end_matches("/v1")
        ))
        .await;
        assert_eq!(
            conversations[conversation.as_str()],
            json!({"turn": 2, "tool_results_seen": 1}),
            "{conversations}"
        );
    })
    .await;
}

/// `GET url`, its body parsed as JSON (fakellm's own endpoints).
async fn get_json(url: &str) -> Value {
    use http_body_util::BodyExt;
    let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let response = http.get(url.parse().unwrap()).await.unwrap();
    assert_eq!(response.status(), 200, "GET {url}");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&body).unwrap()
}
