//! @dwmkerr/mock-llm (npm): small chunks, the in-band error event, a split surrogate pair.

use super::*;

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
