//! The folded message goes back unchanged: what a provider streamed beside
//! the fields this crate names — on a tool call, its function, the delta,
//! the choice, the chunk — is folded onto the message, and a request built
//! from that message sends it back.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use chatstream_types::{
    Accumulator, ChatCompletionChunk, ChatCompletionMessage, ChatCompletionRequest, Role,
};
use serde_json::{Value, json};

fn fold(chunks: &[Value]) -> chatstream_types::ChatCompletion {
    let mut accumulator = Accumulator::new();
    for chunk in chunks {
        let chunk: ChatCompletionChunk = serde_json::from_value(chunk.clone()).unwrap();
        accumulator.push(&chunk).unwrap();
    }
    accumulator.finish()
}

/// Gemini's OpenAI-compatible endpoint, shaped after its documentation of
/// thought signatures: the signature arrives on the first fragment of a
/// tool call, and the next request must carry it on that call or Gemini
/// answers 400.
#[test]
fn a_thought_signature_on_a_tool_call_goes_back_with_it() {
    let signature = "CiQBcsjafGp5…opaque";
    let completion = fold(&[
        json!({"id": "g1", "model": "gemini-3-pro-preview", "choices": [{"index": 0, "delta": {
            "role": "assistant",
            "tool_calls": [{
                "index": 0,
                "id": "function-call-1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"city\":"},
                "extra_content": {"google": {"thought_signature": signature}}
            }]
        }}]}),
        json!({"id": "g1", "choices": [{"index": 0, "delta": {
            "tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]
        }, "finish_reason": "tool_calls"}]}),
    ]);
    let message = completion.choices[0].message.clone();
    let call = &message.tool_calls.as_ref().unwrap()[0];
    assert_eq!(
        call.function.as_ref().unwrap().arguments,
        "{\"city\":\"Paris\"}"
    );

    let request = ChatCompletionRequest::new(
        "gemini-3-pro-preview",
        vec![
            ChatCompletionMessage::user("Weather in Paris?"),
            message,
            ChatCompletionMessage::tool("function-call-1", "{\"celsius\":21}"),
        ],
    );
    let sent = serde_json::to_value(&request).unwrap();
    assert_eq!(
        sent["messages"][1],
        json!({
            "role": "assistant",
            "content": "",
            "tool_calls": [{
                "id": "function-call-1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
                "extra_content": {"google": {"thought_signature": signature}}
            }]
        })
    );
}

/// OpenRouter asks for `reasoning_details` back unchanged; they stream as
/// pieces of an array on the delta, and land on the message in order.
#[test]
fn reasoning_details_in_pieces_are_appended_onto_the_message() {
    let piece = |text: &str| {
        json!({"id": "o1", "choices": [{"index": 0, "delta": {
            "reasoning": text,
            "reasoning_details": [{"type": "reasoning.text", "text": text, "format": "unknown", "index": 0}]
        }}]})
    };
    let completion = fold(&[
        piece("Let"),
        piece(" me"),
        piece(" think"),
        json!({"id": "o1", "provider": "Anthropic", "choices": [{"index": 0,
            "delta": {"content": "Hi"}, "finish_reason": "stop", "native_finish_reason": "end_turn"}]}),
    ]);
    let choice = &completion.choices[0];
    assert_eq!(choice.message.reasoning.as_deref(), Some("Let me think"));
    let details = choice.message.extra["reasoning_details"]
        .as_array()
        .unwrap();
    let texts: Vec<&str> = details
        .iter()
        .map(|d| d["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Let", " me", " think"]);
    assert_eq!(choice.extra["native_finish_reason"], "end_turn");
    assert_eq!(completion.extra["provider"], "Anthropic");
    assert_eq!(choice.message.role, Role::Other(String::new()));
}

/// Fields repeated on every chunk are kept once; labels that change keep
/// the last value; objects sent in parts are merged.
#[test]
fn repeated_changing_and_partial_fields_fold_by_the_rule() {
    let completion = fold(&[
        json!({"id": "p1", "citations": ["https://a.example", "https://b.example"],
               "x_groq": {"id": "req_1"},
               "choices": [{"index": 0, "delta": {"role": "assistant", "channel": "analysis", "content": "a"}}]}),
        json!({"id": "p1", "citations": ["https://a.example", "https://b.example"],
               "choices": [{"index": 0, "delta": {"channel": "final", "content": "b"}}]}),
        json!({"id": "p1", "citations": ["https://a.example", "https://b.example"],
               "x_groq": {"usage": {"queue_time": 0.01}},
               "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
    ]);
    assert_eq!(
        completion.extra["citations"],
        json!(["https://a.example", "https://b.example"])
    );
    assert_eq!(
        completion.extra["x_groq"],
        json!({"id": "req_1", "usage": {"queue_time": 0.01}})
    );
    assert_eq!(completion.choices[0].message.extra["channel"], "final");
}

/// OpenAI's custom tools (`"type": "custom"`): the input streams in pieces
/// of `custom.input`; the folded call has no `function` object and goes back
/// as it came.
#[test]
fn a_custom_tool_call_folds_its_input_and_goes_back_without_a_function() {
    let chunks = [
        json!({"id": "c1", "model": "gpt-5", "choices": [{"index": 0, "delta": {"role": "assistant",
            "tool_calls": [{"index": 0, "id": "call_9", "type": "custom",
                            "custom": {"name": "run_sql", "input": ""}}]}}]}),
        json!({"id": "c1", "choices": [{"index": 0, "delta": {
            "tool_calls": [{"index": 0, "custom": {"input": "SELECT count(*) "}}]}}]}),
        json!({"id": "c1", "choices": [{"index": 0, "delta": {
            "tool_calls": [{"index": 0, "custom": {"input": "FROM users"}}]}}]}),
        json!({"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}),
    ];
    let mut accumulator = Accumulator::new();
    let mut events = Vec::new();
    for chunk in &chunks {
        let chunk: ChatCompletionChunk = serde_json::from_value(chunk.clone()).unwrap();
        accumulator
            .push_with(&chunk, |event| match event {
                chatstream_types::AccumulatorEvent::CustomToolInputDelta { delta, .. } => {
                    events.push(format!("delta {delta:?}"));
                }
                chatstream_types::AccumulatorEvent::CustomToolInputDone { name, input, .. } => {
                    events.push(format!("done {name}: {input}"));
                }
                chatstream_types::AccumulatorEvent::ToolCallArgumentsDelta { .. }
                | chatstream_types::AccumulatorEvent::ToolCallArgumentsDone { .. } => {
                    events.push("a function event".to_owned());
                }
                _ => {}
            })
            .unwrap();
    }
    assert_eq!(
        events,
        [
            "delta \"\"",
            "delta \"SELECT count(*) \"",
            "delta \"FROM users\"",
            "done run_sql: SELECT count(*) FROM users",
        ]
    );
    let message = accumulator.finish().choices[0].message.clone();
    let call = &message.tool_calls.as_ref().unwrap()[0];
    assert_eq!(call.name(), "run_sql");
    assert!(call.function.is_none());
    let sent = serde_json::to_value(&message).unwrap();
    assert_eq!(
        sent["tool_calls"][0],
        json!({"id": "call_9", "type": "custom",
               "custom": {"name": "run_sql", "input": "SELECT count(*) FROM users"}})
    );
    // And it parses back as it was sent.
    let parsed: ChatCompletionMessage = serde_json::from_value(sent).unwrap();
    assert_eq!(parsed, message);
}

/// OpenAI's audio output, as `gpt-4o-audio-preview` streams it: the id
/// first, then pieces of base64 data and of the transcript, `expires_at` at
/// the end. The next request refers to the audio by its id alone.
#[test]
fn audio_is_folded_and_goes_back_as_a_reference() {
    let piece = |audio: Value| {
        json!({"id": "a1", "model": "gpt-4o-audio-preview",
               "choices": [{"index": 0, "delta": {"audio": audio}}]})
    };
    let chunks = [
        json!({"id": "a1", "choices": [{"index": 0, "delta": {"role": "assistant", "content": null,
               "audio": {"id": "audio_123", "transcript": "Hel"}}}]}),
        piece(json!({"data": "UklG", "transcript": "lo"})),
        piece(json!({"data": "RiQA"})),
        piece(json!({"transcript": "!", "expires_at": 1_729_018_505})),
        json!({"id": "a1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
    ];
    let mut accumulator = Accumulator::new();
    let mut transcript = Vec::new();
    for chunk in &chunks {
        let chunk: ChatCompletionChunk = serde_json::from_value(chunk.clone()).unwrap();
        accumulator
            .push_with(&chunk, |event| {
                if let chatstream_types::AccumulatorEvent::AudioTranscriptDelta { delta, .. } =
                    event
                {
                    transcript.push(delta.to_owned());
                }
            })
            .unwrap();
    }
    assert_eq!(transcript, ["Hel", "lo", "!"]);
    let message = accumulator.finish().choices[0].message.clone();
    let audio = message.audio.as_ref().unwrap();
    assert_eq!(
        (
            audio.id.as_str(),
            audio.data.as_str(),
            audio.transcript.as_str()
        ),
        ("audio_123", "UklGRiQA", "Hello!")
    );
    assert_eq!(audio.expires_at, Some(1_729_018_505));
    // The answer itself serialises whole…
    assert_eq!(
        serde_json::to_value(&message).unwrap()["audio"]["data"],
        "UklGRiQA"
    );
    // …and a request sends the reference.
    let request = ChatCompletionRequest::new("gpt-4o-audio-preview", vec![message]);
    let sent = serde_json::to_value(&request).unwrap();
    assert_eq!(sent["messages"][0]["audio"], json!({"id": "audio_123"}));
}

/// Web-search models' citations arrive in `delta.annotations`; they are
/// appended in order, reported one by one, and not sent back.
#[test]
fn annotations_are_appended_reported_and_kept_out_of_requests() {
    let citation = |url: &str, start: u64| {
        json!({"type": "url_citation", "url_citation":
               {"url": url, "title": "T", "start_index": start, "end_index": start + 4}})
    };
    let chunks = [
        json!({"id": "s1", "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Rust 1.85"}}]}),
        json!({"id": "s1", "choices": [{"index": 0, "delta": {"annotations": [citation("https://a.example", 0)]}}]}),
        json!({"id": "s1", "choices": [{"index": 0, "delta": {"annotations": [citation("https://b.example", 5)]},
               "finish_reason": "stop"}]}),
    ];
    let mut accumulator = Accumulator::new();
    let mut added = Vec::new();
    for chunk in &chunks {
        let chunk: ChatCompletionChunk = serde_json::from_value(chunk.clone()).unwrap();
        accumulator
            .push_with(&chunk, |event| {
                if let chatstream_types::AccumulatorEvent::AnnotationAdded { annotation, .. } =
                    event
                {
                    added.push(annotation.url_citation.as_ref().unwrap().url.clone());
                }
            })
            .unwrap();
    }
    assert_eq!(added, ["https://a.example", "https://b.example"]);
    let message = accumulator.finish().choices[0].message.clone();
    let annotations = message.annotations.as_ref().unwrap();
    assert_eq!(annotations.len(), 2);
    assert_eq!(annotations[1].url_citation.as_ref().unwrap().start_index, 5);
    let request = ChatCompletionRequest::new("gpt-4o-search-preview", vec![message]);
    let sent = serde_json::to_value(&request).unwrap();
    assert!(sent["messages"][0].get("annotations").is_none());
    assert_eq!(sent["messages"][0]["content"], "Rust 1.85");
}
