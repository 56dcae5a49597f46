//! Parsing chunks, payloads and errors; round trips.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use chatstream_types::{
    ApiError, ChatCompletion, ChatCompletionChunk, ChunkParser, Content, ContentPart, ErrorCode,
    ErrorResponse, FilterSeverity, FinishReason, Role, ServiceTier, StreamPayload, ToolType,
};
use serde_json::json;

#[test]
fn go_openai_refusal_stream_chunks() {
    // chat_stream_test.go TestCreateChatCompletionStreamWithRefusal.
    let first: ChatCompletionChunk = serde_json::from_str(r#"{"id":"1","object":"chat.completion.chunk","created":1729585728,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_d9767fc5b9","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"finish_reason":null}]}"#).unwrap();
    assert_eq!(first.id, "1");
    assert_eq!(first.object, "chat.completion.chunk");
    assert_eq!(first.created, 1729585728);
    assert_eq!(first.system_fingerprint.as_deref(), Some("fp_d9767fc5b9"));
    let delta = &first.choices[0].delta;
    assert_eq!(delta.role, Some(Role::Assistant));
    assert_eq!(delta.content, Some(Content::Text(String::new())));
    assert_eq!(delta.refusal, None);
    assert_eq!(first.choices[0].finish_reason, None);

    let last: ChatCompletionChunk = serde_json::from_str(r#"{"id":"4","object":"chat.completion.chunk","created":1729585728,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_d9767fc5b9","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#).unwrap();
    assert_eq!(last.choices[0].finish_reason, Some(FinishReason::Stop));
    assert_eq!(last.choices[0].delta, Default::default());
}

#[test]
fn go_openai_logprobs_chunks() {
    let chunk: ChatCompletionChunk = serde_json::from_str(r#"{"id":"2","object":"chat.completion.chunk","created":1729585728,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_d9767fc5b9","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":{"content":[{"token":"Hello","logprob":-0.000020458236,"bytes":[72,101,108,108,111],"top_logprobs":[]}],"refusal":null},"finish_reason":null}]}"#).unwrap();
    let logprobs = chunk.choices[0].logprobs.as_ref().unwrap();
    let entry = &logprobs.content.as_ref().unwrap()[0];
    assert_eq!(entry.token, "Hello");
    assert_eq!(entry.logprob, -0.000020458236);
    assert_eq!(entry.bytes.as_deref(), Some(&b"Hello"[..]));
    assert!(entry.top_logprobs.is_empty());
    assert_eq!(logprobs.refusal, None);

    let empty: ChatCompletionChunk = serde_json::from_str(r#"{"id":"1","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":{"content":[],"refusal":null},"finish_reason":null}]}"#).unwrap();
    assert_eq!(
        empty.choices[0].logprobs.as_ref().unwrap().content,
        Some(vec![])
    );
}

#[test]
fn go_openai_stream_options_usage_chunk() {
    let chunk: ChatCompletionChunk = serde_json::from_str(r#"{"id":"1","object":"completion","created":1598069254,"model":"gpt-3.5-turbo","system_fingerprint": "fp_d9767fc5b9","choices":[{"index":0,"delta":{"content":"response1"},"finish_reason":"max_tokens"}],"usage":null}"#).unwrap();
    assert_eq!(chunk.usage, None);
    assert_eq!(
        chunk.choices[0].finish_reason,
        Some(FinishReason::Other("max_tokens".into()))
    );
    let usage: ChatCompletionChunk = serde_json::from_str(r#"{"id":"3","object":"completion","created":1598069256,"model":"gpt-3.5-turbo","system_fingerprint": "fp_d9767fc5b9","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#).unwrap();
    assert!(usage.choices.is_empty());
    let usage = usage.usage.unwrap();
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ),
        (1, 1, 2)
    );
}

#[test]
fn missing_and_null_fields_default() {
    let chunk: ChatCompletionChunk = serde_json::from_str(
        r#"{"choices":[{"delta":null,"finish_reason":""},{"index":null}],"created":null,"id":null,"model":null,"object":null,"system_fingerprint":null,"usage":null}"#,
    )
    .unwrap();
    assert_eq!(chunk.id, "");
    assert_eq!(chunk.created, 0);
    assert_eq!(chunk.choices.len(), 2);
    assert_eq!(chunk.choices[0].index, 0);
    assert_eq!(
        chunk.choices[0].finish_reason,
        Some(FinishReason::Other(String::new()))
    );
    assert!(chunk.extra.is_empty(), "null unknowns are not kept");
    let empty: ChatCompletionChunk = serde_json::from_str("{}").unwrap();
    assert_eq!(empty, ChatCompletionChunk::default());
}

#[test]
fn unknown_fields_are_kept_at_every_level() {
    let chunk: ChatCompletionChunk = serde_json::from_str(r#"{
        "id":"gen-1","provider":"Minimax","citations":["https://a"],"obfuscation":"xyz",
        "x_groq":{"id":"req_1"},"service_tier":"on_demand",
        "choices":[{"index":0,"native_finish_reason":"length","stop_reason":null,
            "delta":{"reasoning":"We","reasoning_details":[{"type":"reasoning.text","text":"We"}],"channel":"analysis",
                     "tool_calls":[{"index":0,"function":{"arguments":"{","extra_key":1}}]}}],
        "usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"cost":0.5,
                 "prompt_tokens_details":{"cached_tokens":1,"cache_write_tokens":4}}}"#).unwrap();
    assert_eq!(chunk.extra["provider"], "Minimax");
    assert_eq!(chunk.extra["citations"], json!(["https://a"]));
    assert_eq!(chunk.extra["x_groq"]["id"], "req_1");
    assert!(!chunk.extra.contains_key("obfuscation"));
    assert_eq!(
        chunk.service_tier,
        Some(ServiceTier::Other("on_demand".into()))
    );
    let choice = &chunk.choices[0];
    assert_eq!(choice.extra["native_finish_reason"], "length");
    assert!(!choice.extra.contains_key("stop_reason"));
    assert_eq!(choice.delta.extra["channel"], "analysis");
    assert_eq!(choice.delta.extra["reasoning_details"][0]["text"], "We");
    let call = &choice.delta.tool_calls.as_ref().unwrap()[0];
    assert_eq!(call.function.as_ref().unwrap().extra["extra_key"], 1);
    let usage = chunk.usage.as_ref().unwrap();
    assert_eq!(usage.extra["cost"], 0.5);
    let details = usage.prompt_tokens_details.as_ref().unwrap();
    assert_eq!(details.cached_tokens, Some(1));
    assert_eq!(details.cache_write_tokens, Some(4));
    assert!(details.extra.is_empty());
}

#[test]
fn mistral_content_parts() {
    let chunk: ChatCompletionChunk = serde_json::from_str(r#"{"id":"x","choices":[{"index":0,"delta":{"content":[{"type":"thinking","thinking":[{"type":"text","text":"Let me think."}]},{"type":"text","text":"Answer"}]}}]}"#).unwrap();
    let delta = &chunk.choices[0].delta;
    assert_eq!(delta.content_text().as_deref(), Some("Answer"));
    assert_eq!(delta.reasoning_text().as_deref(), Some("Let me think."));
    match &delta.content {
        Some(Content::Parts(parts)) => {
            assert!(matches!(parts[0], ContentPart::Thinking { .. }));
            assert_eq!(parts[1], ContentPart::text("Answer"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_enum_values_are_kept() {
    let chunk: ChatCompletionChunk = serde_json::from_str(r#"{"choices":[{"index":3,"delta":{"role":"model","tool_calls":[{"id":"t","type":"code_interpreter"}]},"finish_reason":"eos"}]}"#).unwrap();
    let choice = &chunk.choices[0];
    assert_eq!(choice.index, 3);
    assert_eq!(choice.delta.role, Some(Role::Other("model".into())));
    assert_eq!(
        choice.finish_reason,
        Some(FinishReason::Other("eos".into()))
    );
    let call = &choice.delta.tool_calls.as_ref().unwrap()[0];
    assert_eq!(call.kind, Some(ToolType::Other("code_interpreter".into())));
    assert_eq!(call.index, None);
}

#[test]
fn azure_filter_results_are_typed() {
    let chunk: ChatCompletionChunk = serde_json::from_str(r#"{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"jailbreak":{"filtered":false,"detected":false},"custom_blocklists":{"filtered":false,"details":[]}}}]}"#).unwrap();
    let results = &chunk.prompt_filter_results.as_ref().unwrap()[0];
    let filters = results.content_filter_results.as_ref().unwrap();
    assert_eq!(
        filters.hate.as_ref().unwrap().severity,
        Some(FilterSeverity::Safe)
    );
    assert!(!filters.jailbreak.as_ref().unwrap().detected);
    assert_eq!(filters.extra["custom_blocklists"]["filtered"], false);
}

#[test]
fn chunks_round_trip() {
    let text = r#"{"id":"c","object":"chat.completion.chunk","created":7,"model":"m","system_fingerprint":"fp","choices":[{"index":1,"delta":{"role":"assistant","content":"hi","tool_calls":[{"index":0,"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]},"logprobs":{"content":[{"token":"hi","logprob":-0.5,"bytes":[104,105],"top_logprobs":[{"token":"hi","logprob":-0.5}]}]},"finish_reason":"stop","native_finish_reason":"STOP"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},"citations":["u"]}"#;
    let chunk: ChatCompletionChunk = serde_json::from_str(text).unwrap();
    let again: ChatCompletionChunk =
        serde_json::from_str(&serde_json::to_string(&chunk).unwrap()).unwrap();
    assert_eq!(again, chunk);
    assert_eq!(
        serde_json::to_value(&chunk).unwrap(),
        serde_json::from_str::<serde_json::Value>(text).unwrap()
    );
}

#[test]
fn completions_round_trip() {
    let text = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}],"annotations":[]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"completion_tokens_details":{"reasoning_tokens":0,"accepted_prediction_tokens":0}},"service_tier":"default"}"#;
    let completion: ChatCompletion = serde_json::from_str(text).unwrap();
    let choice = completion.choice(0).unwrap();
    assert_eq!(choice.finish_reason, Some(FinishReason::ToolCalls));
    assert_eq!(choice.message.content, None);
    assert_eq!(choice.message.annotations, Some(Vec::new()));
    assert_eq!(completion.service_tier, Some(ServiceTier::Default));
    let again: ChatCompletion =
        serde_json::from_str(&serde_json::to_string(&completion).unwrap()).unwrap();
    assert_eq!(again, completion);
}

#[test]
fn payloads_tell_chunks_errors_and_done_apart() {
    let mut parser = ChunkParser::new();
    assert_eq!(
        parser.parse_payload(b"[DONE]").unwrap(),
        StreamPayload::Done
    );
    assert_eq!(
        parser.parse_payload(b" [DONE] ").unwrap(),
        StreamPayload::Done
    );
    // go-openai TestCreateChatCompletionStreamErrorWithDataPrefix.
    let payload = br#"{"error":{"message":"The server had an error while processing your request. Sorry about that!", "type":"server_ error", "param":null,"code":null}}"#;
    match parser.parse_payload(payload).unwrap() {
        StreamPayload::Error(error) => {
            assert_eq!(
                error.message,
                "The server had an error while processing your request. Sorry about that!"
            );
            assert_eq!(error.kind.as_deref(), Some("server_ error"));
            assert_eq!(error.param, None);
            assert_eq!(error.code, None);
        }
        other => panic!("{other:?}"),
    }
    // OpenRouter: error after other fields, with usage beside it.
    let payload = br#"{"id":"gen-1","object":"chat.completion.chunk","usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2},"error":{"code":400,"message":"Token limit reached"},"choices":[]}"#;
    match parser.parse_payload(payload).unwrap() {
        StreamPayload::Error(error) => {
            assert_eq!(error.code, Some(ErrorCode::Number(400)));
            assert_eq!(error.message, "Token limit reached");
        }
        other => panic!("{other:?}"),
    }
    // "error": null is no error.
    assert!(matches!(
        parser
            .parse_payload(br#"{"id":"a","error":null,"choices":[]}"#)
            .unwrap(),
        StreamPayload::Chunk(_)
    ));
    // A bare string error.
    match parser
        .parse_payload(br#"{"error":"upstream timed out"}"#)
        .unwrap()
    {
        StreamPayload::Error(error) => assert_eq!(error.message, "upstream timed out"),
        other => panic!("{other:?}"),
    }
    // Not JSON, not an object, trailing garbage: errors, not panics.
    for bad in [
        &b"{not-json}"[..],
        b"42",
        b"",
        b"{\"id\":\"a\"} x",
        b"\xff\xfe",
    ] {
        assert!(parser.parse_payload(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn the_parser_shares_repeated_strings() {
    let mut parser = ChunkParser::new();
    let a = parser
        .parse_chunk(br#"{"id":"same","model":"m","object":"chat.completion.chunk","choices":[]}"#)
        .unwrap();
    let b = parser
        .parse_chunk(br#"{"id":"same","model":"m2","object":"chat.completion.chunk","choices":[]}"#)
        .unwrap();
    assert!(std::ptr::eq(a.id.as_str(), b.id.as_str()));
    assert!(std::ptr::eq(a.object.as_str(), b.object.as_str()));
    assert_eq!(b.model, "m2");
    // Escaped text is compared after unescaping.
    let c = parser
        .parse_chunk(br#"{"id":"s\u0061me","choices":[]}"#)
        .unwrap();
    assert!(std::ptr::eq(a.id.as_str(), c.id.as_str()));
}

#[test]
fn api_errors_follow_go_openai_rules() {
    let cases = [
        (
            r#"{"message":"m","type":"t","param":"p","code":"c"}"#,
            "m",
            Some(ErrorCode::String("c".into())),
        ),
        (
            r#"{"code":"429","message":"rate"}"#,
            "rate",
            Some(ErrorCode::String("429".into())),
        ),
        (
            r#"{"code":418,"message":"teapot"}"#,
            "teapot",
            Some(ErrorCode::Number(418)),
        ),
        (r#"{"code":null,"message":["a","b"]}"#, "a, b", None),
        (r#"{}"#, "", None),
    ];
    for (text, message, code) in cases {
        let error: ApiError = serde_json::from_str(text).unwrap();
        assert_eq!(error.message, message, "{text}");
        assert_eq!(error.code, code, "{text}");
    }
    let azure: ErrorResponse = serde_json::from_str(r#"{"error":{"code":"content_filter","message":"filtered","param":"prompt","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":true,"severity":"high"}}}}}"#).unwrap();
    let error = azure.error.unwrap();
    let inner = error.inner_error.as_ref().unwrap();
    assert_eq!(inner.code.as_deref(), Some("ResponsibleAIPolicyViolation"));
    let hate = inner
        .content_filter_result
        .as_ref()
        .unwrap()
        .hate
        .as_ref()
        .unwrap();
    assert!(hate.filtered);
    assert_eq!(hate.severity, Some(FilterSeverity::High));
    assert_eq!(error.extra["status"], 400);
    assert_eq!(error.to_string(), "filtered (code: content_filter)");
    let empty: ErrorResponse = serde_json::from_str(r#"{"error":null}"#).unwrap();
    assert_eq!(empty.error, None);
}

#[test]
fn api_error_display_is_one_safe_line() {
    let error: ApiError = serde_json::from_str(
        r#"{"message":"bad\nINFO forged line\u001b[31m\u202e","code":"x\ry","type":"t\u2028"}"#,
    )
    .unwrap();
    let shown = error.to_string();
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
    assert_eq!(
        shown,
        r"bad\nINFO forged line\u{1b}[31m\u{202e} (code: x\ry, type: t\u{2028})"
    );
    // The fields keep everything.
    assert!(error.message.contains('\n'));
    let long = ApiError {
        message: "é".repeat(5000),
        ..ApiError::default()
    };
    let shown = long.to_string();
    assert_eq!(shown.chars().count(), ApiError::DISPLAY_MAX + 1);
    assert!(shown.ends_with('…'));
}
