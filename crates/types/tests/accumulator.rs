//! The accumulator's folding rules, events and limits.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use chatstream_types::{
    AccumulateError, Accumulator, AccumulatorEvent, AccumulatorLimits, ChatCompletionChunk,
    FinishReason, Role, ToolType,
};

fn chunk(json: &str) -> ChatCompletionChunk {
    serde_json::from_str(json).unwrap()
}

fn fold(chunks: &[&str]) -> Accumulator {
    let mut accumulator = Accumulator::new();
    for json in chunks {
        accumulator.push(&chunk(json)).unwrap();
    }
    accumulator
}

#[test]
fn repeated_role_id_and_name_are_not_concatenated() {
    let accumulator = fold(&[
        r#"{"id":"a","choices":[{"index":0,"delta":{"role":"assistant","content":"He","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"x\""}}]}}]}"#,
        r#"{"id":"a","choices":[{"index":0,"delta":{"role":"assistant","content":"llo","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":":1}"}}]}}]}"#,
        r#"{"id":"a","choices":[{"index":0,"delta":{"role":"","tool_calls":[{"index":0,"id":"","function":{"name":""}}]},"finish_reason":"tool_calls"}]}"#,
    ]);
    let choice = accumulator.choice(0).unwrap();
    assert_eq!(choice.role(), Some(&Role::Assistant));
    assert_eq!(choice.content(), "Hello");
    let call = choice.tool_calls().next().unwrap();
    assert_eq!(
        (call.id(), call.name(), call.arguments()),
        ("call_1", "f", r#"{"x":1}"#)
    );
    assert_eq!(
        accumulator.finish().choices[0].message.role,
        Role::Assistant
    );
}

#[test]
fn sparse_indices_stay_sparse_and_sorted() {
    let accumulator = fold(&[
        r#"{"choices":[{"index":2,"delta":{"content":"two"}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"b","function":{"name":"g","arguments":"{}"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":3,"id":"d","function":{"name":"h","arguments":"[]"}}]}}]}"#,
    ]);
    let indices: Vec<u32> = accumulator.choices().map(|c| c.index()).collect();
    assert_eq!(indices, [0, 2]);
    let calls: Vec<u32> = accumulator
        .choice(0)
        .unwrap()
        .tool_calls()
        .map(|t| t.index())
        .collect();
    assert_eq!(calls, [1, 3]);
    let completion = accumulator.finish();
    assert_eq!(completion.choices.len(), 2);
    assert_eq!(completion.choices[1].index, 2);
}

#[test]
fn tool_calls_without_index_join_by_id_or_start_a_new_call() {
    let accumulator = fold(&[
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{\"q\":"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"a","function":{"arguments":"1}"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"b","type":"function","function":{"name":"g","arguments":"{}"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"name":"h","arguments":"[]"}}]}}]}"#,
    ]);
    let calls: Vec<(u32, String, String, String)> = accumulator
        .choice(0)
        .unwrap()
        .tool_calls()
        .map(|t| {
            (
                t.index(),
                t.id().into(),
                t.name().into(),
                t.arguments().into(),
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            (0, "a".into(), "f".into(), r#"{"q":1}"#.into()),
            (1, "b".into(), "g".into(), "{}".into()),
            (2, "".into(), "h".into(), "[]".into()),
        ]
    );
}

#[test]
fn finish_reason_is_the_last_non_null_and_usage_the_last_non_null() {
    let accumulator = fold(&[
        r#"{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"length"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#,
        r#"{"choices":[{"index":0,"delta":{},"finish_reason":null}],"usage":null}"#,
        r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        r#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":6,"total_tokens":11}}"#,
    ]);
    assert_eq!(
        accumulator.choice(0).unwrap().finish_reason(),
        Some(&FinishReason::Stop)
    );
    assert_eq!(accumulator.usage().unwrap().total_tokens, 11);
    assert!(accumulator.all_choices_finished());
    assert_eq!(accumulator.chunk_count(), 4);
}

#[test]
fn reasoning_under_any_name_is_one_text() {
    let accumulator = fold(&[
        r#"{"choices":[{"index":0,"delta":{"reasoning_content":"a"}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"reasoning":"b"}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"content":[{"type":"thinking","thinking":[{"type":"text","text":"c"}]},{"type":"text","text":"answer"}]}}]}"#,
    ]);
    let choice = accumulator.choice(0).unwrap();
    assert_eq!(choice.reasoning(), "abc");
    assert_eq!(choice.content(), "answer");
    let message = &accumulator.finish().choices[0].message;
    assert_eq!(message.reasoning_text(), Some("abc"));

    let groq = fold(&[r#"{"choices":[{"index":0,"delta":{"reasoning":"r"}}]}"#]).finish();
    assert_eq!(groq.choices[0].message.reasoning.as_deref(), Some("r"));
    assert_eq!(groq.choices[0].message.reasoning_content, None);
}

#[test]
fn a_stream_without_role_or_finish_says_so() {
    let completion =
        fold(&[r#"{"id":"x","choices":[{"index":0,"delta":{"content":"cut"}}]}"#]).finish();
    let choice = &completion.choices[0];
    assert_eq!(choice.message.role, Role::Other(String::new()));
    assert_eq!(choice.finish_reason, None);
    assert_eq!(completion.object, "chat.completion");
    assert!(!fold(&[r#"{"choices":[]}"#]).all_choices_finished());
}

#[test]
fn logprobs_and_legacy_function_calls_are_folded() {
    let completion = fold(&[
        r#"{"choices":[{"index":0,"delta":{"function_call":{"name":"f","arguments":"{\"a\""}},"logprobs":{"content":[{"token":"x","logprob":-1.0,"top_logprobs":[]}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"function_call":{"arguments":":1}"}},"logprobs":{"content":[{"token":"y","logprob":-2.0,"top_logprobs":[]}]},"finish_reason":"function_call"}]}"#,
    ])
    .finish();
    let choice = &completion.choices[0];
    let call = choice.message.function_call.as_ref().unwrap();
    assert_eq!(
        (call.name.as_str(), call.arguments.as_str()),
        ("f", r#"{"a":1}"#)
    );
    let tokens: Vec<&str> = choice
        .logprobs
        .as_ref()
        .unwrap()
        .content
        .as_ref()
        .unwrap()
        .iter()
        .map(|t| t.token.as_str())
        .collect();
    assert_eq!(tokens, ["x", "y"]);
}

#[test]
fn events_follow_the_sdk_model() {
    let chunks = [
        r#"{"choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"think"}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"content":"Hi"}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"content":"!"}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","type":"function","function":{"name":"f","arguments":""}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"b","type":"function","function":{"name":"g","arguments":"[]"}}]}}]}"#,
        r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
        r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
    ];
    let mut accumulator = Accumulator::new();
    let mut log = Vec::new();
    for json in chunks {
        accumulator
            .push_with(&chunk(json), |event| {
                log.push(match event {
                    AccumulatorEvent::ReasoningDelta {
                        delta, snapshot, ..
                    } => format!("reasoning+{delta}={snapshot}"),
                    AccumulatorEvent::ReasoningDone { reasoning, .. } => {
                        format!("reasoning.done={reasoning}")
                    }
                    AccumulatorEvent::ContentDelta {
                        delta, snapshot, ..
                    } => format!("content+{delta}={snapshot}"),
                    AccumulatorEvent::ContentDone { content, .. } => {
                        format!("content.done={content}")
                    }
                    AccumulatorEvent::ToolCallArgumentsDelta {
                        index,
                        name,
                        delta,
                        arguments,
                        ..
                    } => format!("tool{index}:{name}+{delta}={arguments}"),
                    AccumulatorEvent::ToolCallArgumentsDone {
                        index,
                        id,
                        name,
                        arguments,
                        ..
                    } => format!("tool{index}.done:{id}:{name}={arguments}"),
                    AccumulatorEvent::ChoiceFinished { finish_reason, .. } => {
                        format!("finished:{finish_reason}")
                    }
                    other => format!("{other:?}"),
                });
            })
            .unwrap();
    }
    assert_eq!(
        log,
        [
            "reasoning+think=think",
            "content+Hi=Hi",
            "content+!=Hi!",
            "tool0:f+=",
            "tool0:f+{}={}",
            "tool0.done:a:f={}",
            "tool1:g+[]=[]",
            "reasoning.done=think",
            "content.done=Hi!",
            "tool1.done:b:g=[]",
            "finished:tool_calls",
        ]
    );
}

#[test]
fn hostile_indices_cost_one_slot_each_and_are_capped() {
    let mut accumulator = Accumulator::new();
    accumulator
        .push(&chunk(r#"{"choices":[{"index":4000000000,"delta":{"tool_calls":[{"index":4000000000,"function":{"arguments":"x"}}]}}]}"#))
        .unwrap();
    let choice = accumulator.choice(4_000_000_000).unwrap();
    assert_eq!(choice.tool_calls().len(), 1);

    let mut accumulator = Accumulator::with_limits(AccumulatorLimits::default().max_choices(3));
    for index in 0..3 {
        accumulator
            .push(&chunk(&format!(
                r#"{{"choices":[{{"index":{},"delta":{{}}}}]}}"#,
                index * 1_000_000
            )))
            .unwrap();
    }
    let err = accumulator
        .push(&chunk(r#"{"choices":[{"index":7,"delta":{}}]}"#))
        .unwrap_err();
    assert_eq!(err, AccumulateError::TooManyChoices { limit: 3 });
    assert_eq!(accumulator.choices().len(), 3, "nothing past the cap");

    let mut accumulator = Accumulator::with_limits(AccumulatorLimits::default().max_tool_calls(2));
    let err = accumulator
        .push(&chunk(r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0},{"index":9},{"index":99}]}}]}"#))
        .unwrap_err();
    assert_eq!(err, AccumulateError::TooManyToolCalls { limit: 2 });

    // Room for the choice and "abcd" (counted twice, as a growing string
    // may reserve as much again), not one byte more.
    let mut probe = Accumulator::new();
    probe
        .push(&chunk(
            r#"{"choices":[{"index":0,"delta":{"content":"abcd"}}]}"#,
        ))
        .unwrap();
    let room = probe.held_bytes();
    let mut accumulator = Accumulator::with_limits(AccumulatorLimits::default().max_bytes(room));
    accumulator
        .push(&chunk(
            r#"{"choices":[{"index":0,"delta":{"content":"abcd"}}]}"#,
        ))
        .unwrap();
    let err = accumulator
        .push(&chunk(
            r#"{"choices":[{"index":0,"delta":{"reasoning":"e"}}]}"#,
        ))
        .unwrap_err();
    assert_eq!(err, AccumulateError::TooLarge { limit: room });
    assert_eq!(accumulator.held_bytes(), room);
    assert_eq!(
        accumulator.finish().choices[0].message.text().as_deref(),
        Some("abcd")
    );
}

#[test]
fn missing_tool_type_is_reported_empty() {
    let completion = fold(&[r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{}"}}]}}]}"#]).finish();
    let call = &completion.choices[0].message.tool_calls.as_ref().unwrap()[0];
    assert_eq!(call.kind, ToolType::Other(String::new()));
}

#[test]
fn every_value_held_counts_against_max_bytes() {
    use serde_json::json;
    // Strings a server chooses the length of, kept by the fold: an unknown
    // finish reason, role, tool type, service tier, an unknown field.
    let long = "x".repeat(100_000);
    for chunk in [
        json!({"choices":[{"index":0,"delta":{},"finish_reason": long}]}),
        json!({"choices":[{"index":0,"delta":{"role": long}}]}),
        json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"type": long}]}}]}),
        json!({"service_tier": long, "choices":[]}),
        json!({"x_field": long, "choices":[]}),
        json!({"choices":[{"index":0,"x_field": long}]}),
    ] {
        let chunk: ChatCompletionChunk = serde_json::from_value(chunk).unwrap();
        let mut accumulator = Accumulator::new();
        accumulator.push(&chunk).unwrap();
        assert!(accumulator.held_bytes() > long.len(), "{chunk:?}");
        let mut capped = Accumulator::with_limits(AccumulatorLimits::default().max_bytes(50_000));
        assert!(
            matches!(capped.push(&chunk), Err(AccumulateError::TooLarge { .. })),
            "{chunk:?}"
        );
        assert!(capped.held_bytes() <= 50_000);
    }
}
