//! Inputs from the `chunk` and `accumulator` fuzz targets (`fuzz/`, run with
//! `cargo xtask fuzz <target>`), replayed as plain tests: interesting inputs
//! the fuzzers kept, which must keep passing, and the minimized inputs of
//! their findings.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use chatstream_types::{
    AccumulateError, Accumulator, AccumulatorLimits, ChatCompletionChunk, ChoiceView, ChunkParser,
    StreamPayload,
};
use serde_json::{Value, json};

/// The `chunk` target's checks on one payload: the stream's parser, a fresh
/// parser and serde_json agree, and a parsed chunk survives a round trip
/// through its own serialization.
fn check_chunk(parser: &mut ChunkParser, payload: &[u8]) -> Option<ChatCompletionChunk> {
    let shown = String::from_utf8_lossy(payload);
    let cached = parser.parse_payload(payload).ok();
    let fresh = ChunkParser::new().parse_payload(payload).ok();
    assert_eq!(cached, fresh, "cache changed the result: {shown}");
    let direct = serde_json::from_slice::<ChatCompletionChunk>(payload).ok();
    let typed = parser.parse_chunk(payload).ok();
    assert_eq!(direct, typed, "parse_chunk vs from_slice: {shown}");
    if let Some(StreamPayload::Chunk(chunk)) = &cached {
        assert_eq!(
            Some(chunk),
            direct.as_ref(),
            "parse_payload vs from_slice: {shown}"
        );
    }
    let chunk = direct?;
    let json = serde_json::to_vec(&chunk).unwrap();
    let again: ChatCompletionChunk = serde_json::from_slice(&json).unwrap();
    assert_eq!(
        again,
        chunk,
        "round trip: {}",
        String::from_utf8_lossy(&json)
    );
    Some(chunk)
}

/// Verbatim entries of the `chunk` corpus after a 5-minute run (fixture
/// payloads with mutated keys and values).
const CORPUS: &[&str] = &[
    r#"{"id":"chatcmpl-a26691e4b481","object":"chat.completion.chunk","created":1795659395,"model":"via-fakellm","choices":[{"index":0,"de0lta":{},"finish_reason":";tool_calls"}]}"#,
    r#"{"id":"ebafdc26c32a-3.1-8b-instruct","choices":[{"index":0,"i.dex":{"cont":"Paris"},"finish_reason":null}],"system_fingerprintself_hsla_metrics":{"ttft_ms":274,"ts_us":1786507380308637}}"#,
    r#"{"id":"t-4o-2024-08-06","system_fingerprint":"fp_7568d46099","c`oices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"inburgh"}}]},"logprobs":null,"finish_reason":null}]}"#,
    r#"{"choices":[{"delta":{"content":"405**\n\nHere","refusal":"","role":"assistant","tool_calls":null},"intex":0,"logprobs":{"content":null,"refusal":null}}],"r":"","system_fingerprint":""}"#,
    r#"{"id": "chatcmpl-62c21323de4b", "object": "chat.completion.chunk", "created": 1795659198, "model": "gpt-4o-mini", "choices": [{"index": 0, "delta": {"content": " \ud83e\udd80"}, "finish_reason": null}]}"#,
    r#"{"choices":[],"created":0,"id":"","mxodel":"cla4-6","object":"chat.completion.chunk","service_tier":"","system_fingerprint":"","usage":{"completion_tokens":73,"completion_tokens_detatal_tokens":118}}"#,
    r#"{"id":"chatcmpl-;D825-04-14","service_tier":"default","system_fingerprint":"fp_de604bd877","choices":[{"index":0,"delta":{"content":" decorated"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":""}"#,
];

/// Payloads in the spirit of the corpus, for the edges it reached: escaped
/// and duplicate keys, unknown and null fields, odd content parts, errors,
/// `[DONE]` with whitespace, numbers at the edges of their types.
const PAYLOADS: &[&str] = &[
    r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}"#,
    r#"{"\u0069d":"escaped key","model":"m\u00e9\ud83e\udd80","choices":[]}"#,
    r#"{"id":"a","id":"b","choices":[{"index":1,"index":4294967295,"delta":{"content":"x"}}]}"#,
    r#"{"choices":[{"index":4294967296,"delta":{}}]}"#,
    r#"{"choices":[{"index":-1}]}"#,
    r#"{"created":-9223372036854775808,"choices":null,"usage":null,"x_groq":{"id":"req"},"stop_reason":null}"#,
    r#"{"created":1.5}"#,
    r#"{"choices":[{"delta":{"content":[{"type":"text","text":"a"},{"type":"text","text":5},{"type":"text","text":"b","annotations":[]},{"type":"thinking","thinking":[{"type":"text","text":"t"}]},{"type":"thinking"},{"type":"image_url","image_url":{"url":"u","detail":"huge"}},{"type":7},[],null]}}]}"#,
    r#"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"{\""}},{"index":3,"id":"","type":"","function":{"name":null}}],"function_call":{"name":"f","arguments":"{}"}},"finish_reason":""}]}"#,
    r#"{"choices":[{"delta":{"reasoning_content":"r","reasoning":"s","refusal":"no"},"logprobs":{"content":[{"token":"a","logprob":-0.5,"bytes":[97],"top_logprobs":[]}],"refusal":null},"finish_reason":"length","native_finish_reason":"max_tokens"}]}"#,
    r#"{"usage":{"prompt_tokens":18446744073709551615,"completion_tokens":0,"total_tokens":1,"prompt_tokens_details":{"cached_tokens":2},"completion_tokens_details":null}}"#,
    r#"{"service_tier":"","system_fingerprint":null,"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}],"obfuscation":"xyz"}"#,
    r#"{"error":{"message":"boom","type":"server_error","code":500}}"#,
    r#"{"error":null,"id":"x"}"#,
    r#"{"error":"not an object"}"#,
    "  [DONE]\n",
    "[DONE] x",
    "",
    "{}",
    "[]",
    "{\"id\":\"a\"} trailing",
];

#[test]
fn chunk_corpus_inputs_agree_and_round_trip() {
    let mut parser = ChunkParser::new();
    for payload in CORPUS {
        check_chunk(&mut parser, payload.as_bytes()).expect("corpus entry parses");
    }
    let mut parsed = 0;
    for payload in PAYLOADS {
        parsed += usize::from(check_chunk(&mut parser, payload.as_bytes()).is_some());
    }
    assert!(parsed >= 12, "only {parsed} payloads parsed");
}

#[test]
fn chunk_parser_cache_across_payloads() {
    // One parser, the same strings repeated then changed (the cache's path).
    let mut parser = ChunkParser::new();
    for payload in [
        r#"{"id":"c1","object":"chat.completion.chunk","model":"m","system_fingerprint":"fp"}"#,
        r#"{"id":"c1","object":"chat.completion.chunk","model":"m","system_fingerprint":"fp"}"#,
        r#"{"id":"c2","object":"","model":"m2","system_fingerprint":null}"#,
        r#"{"id":"c1","model":"m"}"#,
    ] {
        check_chunk(&mut parser, payload.as_bytes()).unwrap();
    }
}

fn small_limits(bytes: usize) -> AccumulatorLimits {
    AccumulatorLimits::default()
        .max_choices(8)
        .max_tool_calls(8)
        .max_bytes(bytes)
}

/// What an accumulator holds after `chunk` alone: the room it needs.
fn room_for(chunk: &ChatCompletionChunk) -> usize {
    let mut accumulator = Accumulator::new();
    accumulator.push(chunk).unwrap();
    accumulator.held_bytes()
}

fn chunk(value: Value) -> ChatCompletionChunk {
    serde_json::from_value(value).unwrap()
}

/// A choice's tool calls as `(index, id, name, arguments)`.
fn tool_calls(choice: &ChoiceView<'_>) -> Vec<(u32, String, String, String)> {
    choice
        .tool_calls()
        .map(|t| {
            (
                t.index(),
                t.id().to_owned(),
                t.name().to_owned(),
                t.arguments().to_owned(),
            )
        })
        .collect()
}

#[test]
fn accumulator_fuzz_sequence_folds_like_the_model() {
    // Choices at huge indices, tool calls without index joining by id or
    // starting after the highest (saturating at u32::MAX), content as a
    // string and as parts, reasoning under both names and in thinking parts.
    let mut accumulator = Accumulator::with_limits(small_limits(64 * 1024));
    let chunks = [
        json!({"choices":[{"index":u32::MAX,"delta":{"role":"","content":"a"}}]}),
        json!({"choices":[{"index":u32::MAX,"delta":{"role":"assistant","content":[
            {"type":"text","text":"b"},{"type":"text","text":5},
            {"type":"text","text":"c","annotations":[]},
            {"type":"thinking","thinking":[{"type":"text","text":"t"}]}],
            "reasoning_content":"r","reasoning":"s"}}]}),
        json!({"choices":[{"index":u32::MAX,"delta":{"tool_calls":[
            {"index":u32::MAX,"id":"call_1","function":{"name":"f","arguments":"{"}},
            {"id":"call_1","function":{"arguments":"}"}},
            {"function":{"name":"g","arguments":"x"}}]}}]}),
        json!({"choices":[{"index":0,"delta":{"tool_calls":[
            {"id":"call_2","function":{"name":"","arguments":"1"}},
            {"function":{"name":"h","arguments":"2"}},
            {"id":"call_2","function":{"name":"i","arguments":"3"}}]},"finish_reason":null}]}),
        json!({"choices":[{"index":0,"delta":{},"finish_reason":""}]}),
    ];
    for value in chunks {
        accumulator.push(&chunk(value)).unwrap();
    }
    let views: Vec<_> = accumulator.choices().collect();
    assert_eq!(views.len(), 2);
    let (first, last) = (&views[0], &views[1]);
    assert_eq!((first.index(), last.index()), (0, u32::MAX));
    assert_eq!(last.content(), "abc");
    assert_eq!(last.reasoning(), "rst");
    assert_eq!(last.role().map(|r| r.as_str()), Some("assistant"));
    let calls = tool_calls(last);
    // The fragment without index or id goes after the highest index, which
    // saturates at u32::MAX: it joins that call.
    assert_eq!(
        calls,
        [(u32::MAX, "call_1".into(), "f".into(), "{}x".into())]
    );
    let calls = tool_calls(first);
    assert_eq!(
        calls,
        [
            (0, "call_2".into(), "i".into(), "13".into()),
            (1, String::new(), "h".into(), "2".into())
        ]
    );
    assert_eq!(first.finish_reason().map(|r| r.as_str()), Some(""));
    let snapshot = accumulator.snapshot();
    assert_eq!(snapshot, accumulator.finish());
}

#[test]
fn accumulator_limit_errors_as_the_fuzz_model_predicts() {
    // A ninth choice, a ninth tool call, and string text past the limit: each
    // push fails with its limit, and string text is not kept.
    let mut accumulator = Accumulator::with_limits(small_limits(1 << 20));
    for index in 0..8u32 {
        accumulator
            .push(&chunk(json!({"choices":[{"index":index * 1000}]})))
            .unwrap();
    }
    let ninth = accumulator.push(&chunk(json!({"choices":[{"index":5}]})));
    assert_eq!(ninth, Err(AccumulateError::TooManyChoices { limit: 8 }));
    assert_eq!(accumulator.choices().len(), 8);

    let calls: Vec<Value> = (0..9).map(|i| json!({"index": i * 7})).collect();
    let tools = accumulator.push(&chunk(json!({"choices":[{"delta":{"tool_calls":calls}}]})));
    assert_eq!(tools, Err(AccumulateError::TooManyToolCalls { limit: 8 }));
    assert_eq!(accumulator.choice(0).unwrap().tool_calls().len(), 8);

    // Room for the choice and four bytes of text, counted twice.
    let room = room_for(&chunk(json!({"choices":[{"delta":{"content":"hell"}}]})));
    let mut accumulator = Accumulator::with_limits(small_limits(room));
    let text = accumulator.push(&chunk(json!({"choices":[{"delta":{"content":"hello"}}]})));
    assert_eq!(text, Err(AccumulateError::TooLarge { limit: room }));
    assert_eq!(accumulator.choice(0).unwrap().content(), "");
    assert!(accumulator.held_bytes() <= room);
}

// ---------------------------------------------------------------------------
// Findings.

#[test]
fn parts_content_past_the_text_limit_is_not_kept() {
    // Found by `accumulator` (one chunk whose `content` parts carry 65 537
    // bytes of text against the 64 KiB limit): text and thinking parts were
    // appended before the budget was checked, so a failed push left the text
    // in place and repeated pushes grew it without bound. Now the parts are
    // taken back when they do not fit.
    let room = room_for(&chunk(json!({"choices":[{"delta":{"content":"hell"}}]})));
    let mut accumulator = Accumulator::with_limits(small_limits(room));
    let parts = chunk(json!({"choices":[{"delta":{"content":[
        {"type":"text","text":"hello"},
        {"type":"thinking","thinking":[{"type":"text","text":"world"}]}]}}]}));
    let error = accumulator.push(&parts);
    assert_eq!(error, Err(AccumulateError::TooLarge { limit: room }));
    let _ = accumulator.push(&parts);
    let choice = accumulator.choice(0).unwrap();
    let held = choice.content().len() + choice.reasoning().len();
    assert!(held <= 4, "holds {held} bytes of text past the room for 4");
    assert!(accumulator.held_bytes() <= room);
}

#[test]
fn an_unknown_key_of_a_closed_struct_must_be_text_too() {
    // Found by `chunk` (a fixture's logprobs entry with a byte of its key
    // mutated to 0x89): the logprobs structs skip keys they do not name, and
    // the parser reads keys as bytes, so the skipped key was never checked
    // for UTF-8 — where serde_json refuses the payload. Now it is checked.
    let payload = b"{\"choices\":[{\"index\":0,\"logprobs\":{\"content\":[{\"token\":\"!\",\"logpr\x89b\":-0.2}]}}]}";
    assert!(serde_json::from_slice::<ChatCompletionChunk>(payload).is_err());
    assert!(ChunkParser::new().parse_chunk(payload).is_err());
    assert!(ChunkParser::new().parse_payload(payload).is_err());
    let mut parser = ChunkParser::new();
    assert_eq!(check_chunk(&mut parser, payload), None);
}

#[test]
fn chunk_parser_rejects_raw_control_characters_like_serde_json() {
    // Found by `chunk` (a fixture payload with a NUL byte mutated into the
    // `id`), on a working-tree version of the parser's byte-level fast path
    // (`KeySeed` / `FieldSeed` with `Format::Json`), since fixed (payloads
    // holding a raw control byte take the strict path): a raw U+0000..U+001F is
    // invalid inside a JSON string (RFC 8259 §7), and
    // `serde_json::from_slice::<ChatCompletionChunk>` rejects it ("control
    // character (\u0000-\u001F) found while parsing a string"), but
    // `ChunkParser` accepted it in every key and in the values it reads as
    // bytes (`id`, `object`, `model`, `system_fingerprint`, `service_tier`,
    // `role`, `finish_reason`). Values read as `String` (content, tool-call
    // ids, unknown fields) were still rejected.
    let payloads: [&[u8]; 6] = [
        b"{\"id\":\"a\x00b\"}",
        b"{\"model\":\"a\nb\"}",
        b"{\"i\x00d\":\"x\"}",
        b"{\"choices\":[{\"ind\x00ex\":0}]}",
        b"{\"choices\":[{\"finish_reason\":\"stop\x1f\"}]}",
        b"{\"choices\":[{\"delta\":{\"role\":\"assistant\x00\"}}]}",
    ];
    for payload in payloads {
        let shown = String::from_utf8_lossy(payload);
        assert!(
            serde_json::from_slice::<ChatCompletionChunk>(payload).is_err(),
            "serde_json accepts {shown:?}"
        );
        let parsed = ChunkParser::new().parse_chunk(payload);
        assert!(parsed.is_err(), "ChunkParser accepts {shown:?}: {parsed:?}");
        let payload_result = ChunkParser::new().parse_payload(payload);
        assert!(payload_result.is_err(), "parse_payload accepts {shown:?}");
    }
}
