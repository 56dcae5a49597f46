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

/// The agent loop with a real model, two turns: turn 1 forces a
/// `get_weather` call (as the tool-calling test above does) and folds it;
/// turn 2 sends the folded assistant message unchanged plus the tool's
/// result, and streams to a clean end, then an answer in text.
///
/// llama-cpp-python streams each fragment of the call twice, in
/// `tool_calls` and in the legacy `function_call`: the folded message keeps
/// both and sends both back, and the server accepts them.
///
/// What this server (0.3.36) can answer on turn 2 was measured, and read in
/// `llama_chat_format.chatml_function_calling`: the `gemma-3-270m-tools`
/// alias (chat format `chatml-function-calling`) renders the assistant's
/// call (`functions.get_weather:` and its arguments, HTML-escaped), but its
/// template has no branch for a `tool` message, which comes out as a bare
/// `<|im_start|>tool` line with neither content nor end marker. After it the
/// model ends its turn at once: a role chunk, an empty content delta,
/// `finish_reason: "stop"`, `[DONE]` — with `tool_choice: "none"` at
/// temperature 0 and 0.8, and with no tools at all. With `"auto"` it lets
/// the model choose `message:` and then holds the message to a grammar whose
/// only sentences are `functions.<name>:` or `<|im_end|>`, so an answer has
/// no words; with the function forced it calls the tool again. So turn 2 is
/// sent twice with the same messages: to `gemma-3-270m-tools` with
/// `tool_choice: "none"`, which must end cleanly without a call (its text
/// is not checked); then to `gemma-3-270m`, the same weights with the
/// `vicuna` format, which must end cleanly with text. That format keeps
/// only user and assistant messages' text, so neither alias shows the tool
/// result to the model: the test checks that text arrives, not what it
/// says.
#[tokio::test]
#[ignore = "needs the real servers: cargo xtask e2e"]
async fn llama_agent_loop_sends_the_folded_call_back_and_streams_an_answer() {
    let _turn = LLAMA_TURN.lock().await;
    limit(300, async {
        let client = llama();
        let mut request = ask("gemma-3-270m-tools", "What is the weather in Paris?")
            .tool(weather_tool())
            .tool_choice(ToolChoice::function("get_weather"))
            .temperature(0.0)
            .seed(42);
        let (first, end) = complete(&client, &request).await;
        assert_eq!(end, EndState::Done);
        assert_eq!(finish_of(&first, 0), Some(FinishReason::ToolCalls));
        let (name, _) = only_tool_call(&first);
        assert_eq!(name, "get_weather");
        let folded = &first.choice(0).unwrap().message;
        assert!(
            folded.function_call.is_some(),
            "the legacy function_call is folded too: {folded:?}"
        );

        let ids = send_back_with_results(
            &mut request,
            &first,
            r#"{"city":"Paris","temperature_c":18,"conditions":"light rain"}"#,
        );
        assert_eq!(ids.len(), 1);
        let sent = serde_json::to_value(&request).unwrap();
        assert_eq!(
            sent["messages"][1]["function_call"]["name"], "get_weather",
            "{sent}"
        );
        request.tool_choice = Some(ToolChoice::None);
        request.max_tokens = Some(48);

        // The alias that reads tool calls: a clean end, no call.
        let (second, end) = complete(&client, &request).await;
        assert_eq!(end, EndState::Done);
        assert_eq!(finish_of(&second, 0), Some(FinishReason::Stop));
        assert!(
            second.choice(0).unwrap().message.tool_calls.is_none(),
            "no call: {second:?}"
        );

        // The same messages to the alias that writes: a clean end, text.
        request.model = "gemma-3-270m".to_owned();
        let (answer, end) = complete(&client, &request).await;
        assert!(
            matches!(end, EndState::Done | EndState::Finished),
            "{end:?}"
        );
        let text = text_of(&answer, 0);
        assert!(!text.trim().is_empty(), "an answer in text: {text:?}");
        assert!(
            matches!(
                finish_of(&answer, 0),
                Some(FinishReason::Stop | FinishReason::Length)
            ),
            "{:?}",
            finish_of(&answer, 0)
        );
        assert!(answer.choice(0).unwrap().message.tool_calls.is_none());
    })
    .await;
}
