//! The request JSON, pinned: what is sent and what is not.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use chatstream_types::{
    ChatCompletionMessage, ChatCompletionRequest, ContentPart, ImageDetail, Prediction,
    ReasoningEffort, ResponseFormat, ServiceTier, Tool, ToolCall, ToolChoice,
};
use serde_json::{Value, json};

fn body(request: &ChatCompletionRequest) -> Value {
    serde_json::to_value(request).unwrap()
}

#[test]
fn a_bare_request_sends_only_model_and_messages() {
    let request = ChatCompletionRequest::new("gpt-4", vec![]);
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        r#"{"model":"gpt-4","messages":[]}"#
    );
}

#[test]
fn zero_and_false_values_are_sent() {
    let request = ChatCompletionRequest::new("gpt-4o", vec![ChatCompletionMessage::user("hi")])
        .temperature(0.0)
        .top_p(0.0)
        .presence_penalty(0.0)
        .frequency_penalty(0.0)
        .n(0)
        .seed(0)
        .store(false)
        .logprobs(false)
        .parallel_tool_calls(false)
        .stream(false);
    let body = body(&request);
    assert_eq!(body["temperature"], json!(0.0));
    assert_eq!(body["top_p"], json!(0.0));
    assert_eq!(body["presence_penalty"], json!(0.0));
    assert_eq!(body["frequency_penalty"], json!(0.0));
    assert_eq!(body["n"], json!(0));
    assert_eq!(body["seed"], json!(0));
    assert_eq!(body["store"], json!(false));
    assert_eq!(body["logprobs"], json!(false));
    assert_eq!(body["parallel_tool_calls"], json!(false));
    assert_eq!(body["stream"], json!(false));
}

#[test]
fn none_fields_are_absent() {
    let body = body(&ChatCompletionRequest::new("m", vec![]));
    let object = body.as_object().unwrap();
    assert_eq!(object.len(), 2, "{object:?}");
    for absent in [
        "stream",
        "temperature",
        "max_tokens",
        "tools",
        "tool_choice",
        "stream_options",
        "response_format",
        "service_tier",
        "reasoning_effort",
    ] {
        assert!(!object.contains_key(absent), "{absent} should be absent");
    }
}

#[test]
fn every_current_field_has_its_wire_name() {
    let request =
        ChatCompletionRequest::new("gpt-5", vec![ChatCompletionMessage::developer("be brief")])
            .max_completion_tokens(100)
            .max_tokens(50)
            .stop(vec!["END".to_owned()])
            .logit_bias([("50256".to_owned(), -100)].into_iter().collect())
            .top_logprobs(3)
            .user("u")
            .safety_identifier("hash")
            .prompt_cache_key("key")
            .metadata([("team".to_owned(), "a".to_owned())].into_iter().collect())
            .reasoning_effort(ReasoningEffort::Minimal)
            .verbosity(chatstream_types::Verbosity::Low)
            .service_tier(ServiceTier::Flex)
            .modalities(vec!["text".to_owned()])
            .prediction(Prediction::content("draft"))
            .guided_choice(vec!["yes".to_owned(), "no".to_owned()])
            .chat_template_kwargs(
                json!({"enable_thinking": false})
                    .as_object()
                    .unwrap()
                    .clone(),
            )
            .include_usage(true);
    let body = body(&request);
    assert_eq!(body["max_completion_tokens"], 100);
    assert_eq!(body["max_tokens"], 50);
    assert_eq!(body["stop"], json!(["END"]));
    assert_eq!(body["logit_bias"], json!({"50256": -100}));
    assert_eq!(body["top_logprobs"], 3);
    assert_eq!(body["user"], "u");
    assert_eq!(body["safety_identifier"], "hash");
    assert_eq!(body["prompt_cache_key"], "key");
    assert_eq!(body["metadata"], json!({"team": "a"}));
    assert_eq!(body["reasoning_effort"], "minimal");
    assert_eq!(body["verbosity"], "low");
    assert_eq!(body["service_tier"], "flex");
    assert_eq!(body["modalities"], json!(["text"]));
    assert_eq!(
        body["prediction"],
        json!({"type": "content", "content": "draft"})
    );
    assert_eq!(body["guided_choice"], json!(["yes", "no"]));
    assert_eq!(
        body["chat_template_kwargs"],
        json!({"enable_thinking": false})
    );
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    assert_eq!(
        body["messages"],
        json!([{"role": "developer", "content": "be brief"}])
    );
}

#[test]
fn extra_fields_are_merged_at_the_top_level() {
    let request = ChatCompletionRequest::new("m", vec![])
        .extra_field("provider", json!({"order": ["groq"]}))
        .extra_field("top_k", json!(40));
    let body = body(&request);
    assert_eq!(body["provider"], json!({"order": ["groq"]}));
    assert_eq!(body["top_k"], 40);
    assert!(body.get("extra").is_none());
}

#[test]
fn tool_choice_shapes() {
    let shape = |choice: ToolChoice| serde_json::to_value(choice).unwrap();
    assert_eq!(shape(ToolChoice::None), json!("none"));
    assert_eq!(shape(ToolChoice::Auto), json!("auto"));
    assert_eq!(shape(ToolChoice::Required), json!("required"));
    assert_eq!(
        shape(ToolChoice::function("f")),
        json!({"type": "function", "function": {"name": "f"}})
    );
    let custom = json!({"type": "web_search", "search_context_size": "low"});
    assert_eq!(shape(ToolChoice::Other(custom.clone())), custom);
    // And back.
    for text in [
        r#""none""#,
        r#""auto""#,
        r#""required""#,
        r#"{"type":"function","function":{"name":"f"}}"#,
        r#"{"type":"custom","custom":{"name":"c"}}"#,
        r#"{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[]}}"#,
    ] {
        let choice: ToolChoice = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&choice).unwrap(), text);
        assert!(!matches!(choice, ToolChoice::Other(_)), "{text}");
    }
    let other: ToolChoice = serde_json::from_value(custom.clone()).unwrap();
    assert_eq!(other, ToolChoice::Other(custom));
}

#[test]
fn tools_and_response_formats() {
    let tool = Tool::function("get_weather", json!({"type": "object", "properties": {}}))
        .description("weather")
        .strict(true);
    assert_eq!(
        serde_json::to_value(&tool).unwrap(),
        json!({"type": "function", "function": {
            "name": "get_weather", "description": "weather",
            "parameters": {"type": "object", "properties": {}}, "strict": true}})
    );
    assert_eq!(
        serde_json::to_value(ResponseFormat::Text).unwrap(),
        json!({"type": "text"})
    );
    assert_eq!(
        serde_json::to_value(ResponseFormat::JsonObject).unwrap(),
        json!({"type": "json_object"})
    );
}

#[test]
fn messages_for_every_role() {
    let messages = vec![
        ChatCompletionMessage::system("s"),
        ChatCompletionMessage::developer("d"),
        ChatCompletionMessage::user("u").with_name("alice"),
        ChatCompletionMessage::user_parts(vec![
            ContentPart::text("look"),
            ContentPart::image_url_with_detail("https://x/y.png", ImageDetail::High),
            ContentPart::input_audio("AAAA", "wav"),
        ]),
        ChatCompletionMessage::assistant("a"),
        ChatCompletionMessage::assistant_tool_calls(vec![ToolCall::function("c1", "f", "{}")]),
        ChatCompletionMessage::tool("c1", "42"),
        ChatCompletionMessage::function("f", "42"),
    ];
    let json = serde_json::to_value(&messages).unwrap();
    assert_eq!(
        json,
        json!([
            {"role": "system", "content": "s"},
            {"role": "developer", "content": "d"},
            {"role": "user", "content": "u", "name": "alice"},
            {"role": "user", "content": [
                {"type": "text", "text": "look"},
                {"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "high"}},
                {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
            ]},
            {"role": "assistant", "content": "a"},
            {"role": "assistant", "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "content": "42", "tool_call_id": "c1"},
            {"role": "function", "content": "42", "name": "f"},
        ])
    );
    // Messages read back to the same values.
    let back: Vec<ChatCompletionMessage> = serde_json::from_value(json).unwrap();
    assert_eq!(back, messages);
}

#[test]
fn a_request_round_trips() {
    let request = ChatCompletionRequest::new("gpt-4o", vec![ChatCompletionMessage::user("hi")])
        .temperature(0.5)
        .tool(Tool::function("f", json!({})))
        .tool_choice(ToolChoice::function("f"))
        .response_format(ResponseFormat::json_schema(
            "s",
            json!({"type": "object"}),
            true,
        ))
        .extra_field("top_k", json!(5));
    let text = serde_json::to_string(&request).unwrap();
    let back: ChatCompletionRequest = serde_json::from_str(&text).unwrap();
    assert_eq!(back, request);
}

/// The request shapes of the current API read back from JSON into typed
/// values, and sent again as they came.
#[test]
fn current_api_values_are_typed_and_round_trip() {
    use chatstream_types::{
        PromptCacheMode, PromptCacheRetention, ResponseFormat, ServiceTier, Stop, ToolChoice,
    };

    let body = serde_json::json!({
        "model": "gpt-5.2",
        "messages": [],
        "stop": "END",
        "reasoning_effort": "xhigh",
        "service_tier": "priority",
        "prompt_cache_retention": "24h",
        "prompt_cache_options": {"mode": "explicit", "ttl": "30m"},
        "response_format": {"type": "regex", "regex": "[a-z]+"},
        "tool_choice": {"type": "allowed_tools", "allowed_tools": {"mode": "required",
            "tools": [{"type": "custom", "custom": {"name": "run_sql"}}]}},
        "tools": [{"type": "custom", "custom": {"name": "run_sql", "format": {"type": "text"}}}]
    });
    let request: ChatCompletionRequest = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(request.stop, Some(Stop::One("END".into())));
    assert_eq!(request.reasoning_effort, Some(ReasoningEffort::Xhigh));
    assert_eq!(request.service_tier, Some(ServiceTier::Priority));
    assert_eq!(
        request.prompt_cache_retention,
        Some(PromptCacheRetention::Hours24)
    );
    let cache = request.prompt_cache_options.as_ref().unwrap();
    assert_eq!(cache.mode, Some(PromptCacheMode::Explicit));
    assert_eq!(cache.ttl.as_deref(), Some("30m"));
    assert!(matches!(
        request.response_format,
        Some(ResponseFormat::Other(_))
    ));
    assert!(matches!(
        &request.tool_choice,
        Some(ToolChoice::AllowedTools { mode, tools }) if mode == "required" && tools.len() == 1
    ));
    let tools = request.tools.as_ref().unwrap();
    assert_eq!(tools[0].custom.as_ref().unwrap().name, "run_sql");
    assert_eq!(serde_json::to_value(&request).unwrap(), body);

    // The first spelling of the in-memory retention reads as the typed
    // value, which is sent as the API spells it now; `max` effort is typed.
    let old: ChatCompletionRequest = serde_json::from_value(serde_json::json!({
        "model": "m", "messages": [], "prompt_cache_retention": "in-memory",
        "reasoning_effort": "max"
    }))
    .unwrap();
    assert_eq!(
        old.prompt_cache_retention,
        Some(PromptCacheRetention::InMemory)
    );
    assert_eq!(old.reasoning_effort, Some(ReasoningEffort::Max));
    assert_eq!(
        serde_json::to_value(&old).unwrap()["prompt_cache_retention"],
        "in_memory"
    );

    let custom: ToolChoice =
        serde_json::from_value(serde_json::json!({"type": "custom", "custom": {"name": "x"}}))
            .unwrap();
    assert_eq!(custom, ToolChoice::custom("x"));
    // A shape with more than the known keys stays as given.
    let other = serde_json::json!({"type": "function", "function": {"name": "f", "x": 1}});
    let kept: ToolChoice = serde_json::from_value(other.clone()).unwrap();
    assert_eq!(kept, ToolChoice::Other(other));
}

#[test]
fn newer_usage_details_are_typed() {
    let usage: chatstream_types::Usage = serde_json::from_value(serde_json::json!({
        "prompt_tokens": 30, "completion_tokens": 5, "total_tokens": 35,
        "prompt_tokens_details": {"cached_tokens": 0, "text_tokens": 20, "image_tokens": 10},
        "completion_tokens_details": {"reasoning_tokens": 0, "text_tokens": 5}
    }))
    .unwrap();
    let prompt = usage.prompt_tokens_details.as_ref().unwrap();
    assert_eq!(
        (prompt.text_tokens, prompt.image_tokens),
        (Some(20), Some(10))
    );
    assert!(prompt.extra.is_empty());
    let completion = usage.completion_tokens_details.as_ref().unwrap();
    assert_eq!(completion.text_tokens, Some(5));
}

/// A custom voice by id, and an image at its original resolution, are typed
/// and sent back as they came.
#[test]
fn custom_voices_and_original_image_detail_are_typed() {
    use chatstream_types::{ContentPart, ImageDetail, Voice};

    let body = serde_json::json!({
        "model": "gpt-audio",
        "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "original"}}
        ]}],
        "audio": {"voice": {"id": "voice_123"}, "format": "aac"}
    });
    let request: ChatCompletionRequest = serde_json::from_value(body.clone()).unwrap();
    let audio = request.audio.as_ref().unwrap();
    assert_eq!(audio.voice, Voice::custom("voice_123"));
    let Some(chatstream_types::Content::Parts(parts)) = &request.messages[0].content else {
        panic!("parts expected");
    };
    assert!(matches!(
        &parts[0],
        ContentPart::ImageUrl { image_url } if image_url.detail == Some(ImageDetail::Original)
    ));
    assert_eq!(serde_json::to_value(&request).unwrap(), body);
    let named: chatstream_types::AudioOutput =
        serde_json::from_value(serde_json::json!({"voice": "marin", "format": "mp3"})).unwrap();
    assert_eq!(named.voice, Voice::from("marin"));
}
