//! `ParseLimits`: every count is enforced, by both ways a payload is parsed
//! (a small one without charges and checked after, a large one charged as it
//! is read) with the same outcome, and nothing a server sends makes the
//! error itself large.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use chatstream_types::{
    ChatCompletionChunk, ChunkParser, ParseError, ParseLimit, ParseLimits, StreamPayload,
};
use serde_json::{Value, json};

/// `payload` padded with spaces past the size under which it is parsed
/// without charges (whitespace changes nothing else).
fn large(payload: &str) -> String {
    format!("{payload}{}", " ".repeat(4096))
}

/// The outcome of a parse, comparable across the two ways.
fn outcome(result: Result<StreamPayload, ParseError>) -> Result<StreamPayload, Option<ParseLimit>> {
    result.map_err(|error| error.limit())
}

/// Parses `payload` small and large under `limits`: the outcomes agree.
fn both_ways(payload: &str, limits: ParseLimits) -> Result<StreamPayload, Option<ParseLimit>> {
    let small = outcome(ChunkParser::with_limits(limits).parse_payload(payload.as_bytes()));
    let padded = large(payload);
    let large = outcome(ChunkParser::with_limits(limits).parse_payload(padded.as_bytes()));
    assert_eq!(small, large, "the two ways disagree on {payload}");
    small
}

#[test]
fn each_count_is_enforced_both_ways() {
    let narrow = ParseLimits::default()
        .max_choices(2)
        .max_tool_calls(2)
        .max_content_parts(2)
        .max_filter_results(2)
        .max_logprobs(2)
        .max_top_logprobs(2)
        .max_annotations(2)
        .max_extra_keys(2);
    let cases: [(Value, Option<ParseLimit>); 18] = [
        (json!({"choices": [{}, {}]}), None),
        (json!({"choices": [{}, {}, {}]}), Some(ParseLimit::Choices)),
        (
            json!({"choices": [{"delta": {"tool_calls": [{}, {}]}}]}),
            None,
        ),
        (
            json!({"choices": [{"delta": {"tool_calls": [{}, {}, {}]}}]}),
            Some(ParseLimit::ToolCalls),
        ),
        (
            json!({"choices": [{"delta": {"content": [{"type": "text", "text": "a"}, 1]}}]}),
            None,
        ),
        (
            json!({"choices": [{"delta": {"content": [1, 2, 3]}}]}),
            Some(ParseLimit::ContentParts),
        ),
        (
            json!({"choices": [{"delta": {"content": [{"type": "thinking", "thinking": [1, 2, 3]}]}}]}),
            Some(ParseLimit::ContentParts),
        ),
        (
            json!({"prompt_filter_results": [{}, {}, {}]}),
            Some(ParseLimit::FilterResults),
        ),
        (
            json!({"choices": [{"logprobs": {"content": [{}, {}, {}]}}]}),
            Some(ParseLimit::Logprobs),
        ),
        (
            json!({"choices": [{"logprobs": {"content": [{"top_logprobs": [{}, {}, {}]}]}}]}),
            Some(ParseLimit::TopLogprobs),
        ),
        (
            json!({"choices": [{"delta": {"annotations": [{}, {}]}}]}),
            None,
        ),
        (
            json!({"choices": [{"delta": {"annotations": [{}, {}, {}]}}]}),
            Some(ParseLimit::Annotations),
        ),
        (json!({"a": 1, "b": 2}), None),
        (json!({"a": 1, "b": 2, "c": 3}), Some(ParseLimit::ExtraKeys)),
        (
            json!({"x": {"a": 1, "b": 2, "c": 3}}),
            Some(ParseLimit::ExtraKeys),
        ),
        // A typed content part is not kept as sent: its keys do not count.
        (
            json!({"choices": [{"delta": {"content": [{"type": "text", "text": "a"}]}}]}),
            None,
        ),
        // An unknown part is kept as sent: its keys count.
        (
            json!({"choices": [{"delta": {"content": [{"type": "x", "a": 1, "b": 2}]}}]}),
            Some(ParseLimit::ExtraKeys),
        ),
        // An error's loose fields become text: their objects do not count.
        (
            json!({"error": {"message": {"a": 1, "b": 2, "c": 3}}}),
            None,
        ),
    ];
    for (payload, expected) in cases {
        let payload = payload.to_string();
        let got = both_ways(&payload, narrow);
        assert_eq!(
            got.as_ref().err().copied().flatten(),
            expected,
            "{payload}: {got:?}"
        );
        if expected.is_none() {
            assert!(got.is_ok(), "{payload}: {got:?}");
        }
    }
}

#[test]
fn a_typed_content_part_with_two_keys_passes_a_one_key_limit_both_ways() {
    let payload = json!({"choices": [{"delta": {"content": [{"type": "text", "text": "hi"}]}}]});
    let limits = ParseLimits::default().max_extra_keys(1);
    assert!(both_ways(&payload.to_string(), limits).is_ok());
}

#[test]
fn a_huge_string_where_a_number_or_an_object_belongs_makes_a_short_error() {
    let junk = "\u{7f}".repeat(1 << 20);
    for payload in [
        format!(r#"{{"choices":[{{"index":"{junk}"}}]}}"#),
        format!(r#"{{"choices":"{junk}"}}"#),
        format!(r#"{{"choices":[{{"delta":"{junk}"}}]}}"#),
        format!(r#"{{"usage":{{"prompt_tokens":"{junk}"}}}}"#),
        format!(r#""{junk}""#),
    ] {
        let error = ChunkParser::new()
            .parse_payload(payload.as_bytes())
            .unwrap_err();
        let shown = error.to_string();
        assert!(shown.len() < 300, "a {}-byte message", shown.len());
    }
}

#[test]
fn serde_jsons_private_number_key_is_an_ordinary_key() {
    for payload in [
        r#"{"x":{"$serde_json::private::Number":"[[],[],[]]"}}"#,
        r#"{"x":{"$serde_json::private::Number":1}}"#,
        r#"{"x":{"$serde_json::private::Number":{"a":[1]}}}"#,
    ] {
        let expected: ChatCompletionChunk = serde_json::from_str(payload).unwrap();
        for payload in [payload.to_owned(), large(payload)] {
            let chunk = ChunkParser::new().parse_chunk(payload.as_bytes()).unwrap();
            assert_eq!(chunk, expected, "{payload}");
            assert!(chunk.extra["x"].is_object());
        }
    }
}

#[test]
fn completions_and_error_bodies_are_bounded_at_any_size() {
    // A completion's choice is larger than a chunk's: even a small body of
    // empty choices is charged, and stops at the count.
    let body = format!(r#"{{"choices":[{}]}}"#, vec!["{}"; 600].join(","));
    let error = ChunkParser::new()
        .parse_completion(body.as_bytes())
        .unwrap_err();
    assert_eq!(error.limit(), Some(ParseLimit::Choices));
    let body = format!(
        r#"{{"error":{{"message":[{}]}}}}"#,
        vec!["[]"; 300_000].join(",")
    );
    let error = ChunkParser::new()
        .parse_error_response(body.as_bytes())
        .unwrap_err();
    assert_eq!(error.limit(), Some(ParseLimit::Memory));
    let ok = ChunkParser::with_limits(ParseLimits::unlimited())
        .parse_error_response(body.as_bytes())
        .unwrap();
    assert!(ok.error.is_some());
}
