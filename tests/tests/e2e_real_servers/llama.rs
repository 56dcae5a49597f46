//! llama-cpp-python's server with a real model (Gemma 3 270M).

use super::*;

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
