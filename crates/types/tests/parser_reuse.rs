//! `ChunkParser` reuses what consecutive payloads share (the strings every
//! chunk repeats, the bytes a payload begins and ends with) and reads strings
//! as bytes when it can. None of that may show: a parser that has seen other
//! payloads must give exactly what a fresh one gives (errors included, to the
//! message), and that must be what `serde_json::from_slice` gives.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::path::Path;

use chatstream_types::{ChatCompletionChunk, ChunkParser, StreamPayload};

/// The outcome of a parse, comparable: the payload, or the error's message.
fn outcome(result: Result<StreamPayload, serde_json::Error>) -> Result<StreamPayload, String> {
    result.map_err(|error| error.to_string())
}

/// Parses `payload` with `parser` and checks it against a fresh parser and
/// against `serde_json::from_slice`.
fn check(parser: &mut ChunkParser, payload: &[u8]) -> bool {
    let shown = String::from_utf8_lossy(payload);
    let reused = outcome(parser.parse_payload(payload));
    let fresh = outcome(ChunkParser::new().parse_payload(payload));
    assert_eq!(reused, fresh, "reuse changed the result of {shown:?}");
    let direct = serde_json::from_slice::<ChatCompletionChunk>(payload);
    match (&fresh, &direct) {
        (Ok(StreamPayload::Chunk(chunk)), Ok(expected)) => {
            assert_eq!(chunk, expected, "parser vs from_slice on {shown:?}");
        }
        // By design the parser repairs lone surrogate escapes (a pair split
        // across chunks) with U+FFFD, where from_slice refuses them.
        (Ok(StreamPayload::Chunk(chunk)), Err(error))
            if error.to_string().contains("surrogate")
                || error.to_string().contains("hex escape") =>
        {
            assert!(
                format!("{chunk:?}").contains('\u{fffd}'),
                "a repaired payload shows U+FFFD: {shown:?}"
            );
        }
        (Ok(StreamPayload::Chunk(_)), Err(error)) => {
            panic!("the parser accepts what from_slice rejects ({error}): {shown:?}")
        }
        (Err(error), Ok(_)) => {
            panic!("the parser rejects what from_slice accepts ({error}): {shown:?}")
        }
        _ => {}
    }
    fresh.is_ok()
}

/// Each event's `data` in an SSE file (lines joined with `\n`).
fn payloads(text: &str) -> Vec<String> {
    let text = text.replace("\r\n", "\n");
    text.split("\n\n")
        .filter_map(|event| {
            let lines: Vec<&str> = event
                .lines()
                .filter_map(|line| line.strip_prefix("data:"))
                .map(|data| data.strip_prefix(' ').unwrap_or(data))
                .collect();
            (!lines.is_empty()).then(|| lines.join("\n"))
        })
        .collect()
}

fn sse_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sse_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "sse") {
            out.push(path);
        }
    }
}

#[test]
fn captured_streams_parse_as_each_payload_alone() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data");
    let mut files = Vec::new();
    sse_files(&dir, &mut files);
    let mut parsed = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let mut parser = ChunkParser::new();
        for payload in payloads(&text) {
            check(&mut parser, payload.as_bytes());
            parsed += 1;
        }
    }
    // The corpus is in the workspace, not in the published crate.
    assert!(files.is_empty() || parsed > 1000, "{parsed} payloads");
}

/// Pairs of consecutive payloads in the layouts the parser shortens.
const PAIRS: &[(&str, &str)] = &[
    // OpenAI: a head up to `delta`.
    (
        r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":17,"model":"gpt-4o","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":"Hel"},"logprobs":null,"finish_reason":null}]}"#,
        r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":17,"model":"gpt-4o","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":"lo"},"logprobs":null,"finish_reason":"stop"}]}"#,
    ),
    // Azure: a head through the filter results, a tail after the choices.
    (
        r#"{"choices":[{"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"}},"delta":{"content":"a"},"finish_reason":null,"index":0,"logprobs":null}],"created":17,"id":"c1","model":"gpt-4o","object":"chat.completion.chunk","system_fingerprint":"fp_2"}"#,
        r#"{"choices":[{"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"}},"delta":{"content":"b"},"finish_reason":null,"index":0,"logprobs":null}],"created":17,"id":"c1","model":"gpt-4o","object":"chat.completion.chunk","system_fingerprint":"fp_2"}"#,
    ),
    // Spaced JSON, a top-level head (an unknown key first), a tail.
    (
        "{ \"id\" : \"x\" , \"provider\" : \"P\" ,\n \"choices\" : [ { \"index\" : 0 , \"delta\" : { \"content\" : \"1\" } } ] , \"model\" : \"m\" , \"created\" : 5 }",
        "{ \"id\" : \"x\" , \"provider\" : \"P\" ,\n \"choices\" : [ { \"index\" : 0 , \"delta\" : { \"content\" : \"2\" } } ] , \"model\" : \"m\" , \"created\" : 5 }",
    ),
    // Tool calls, two choices, and a head that ends at the first choice.
    (
        r#"{"id":"t","choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\""}}]}},{"index":1,"delta":{}}],"service_tier":"default"}"#,
        r#"{"id":"t","choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"a\"}"}}]}},{"index":1,"delta":{}}],"service_tier":"default"}"#,
    ),
];

/// Bytes that change the structure when put anywhere.
const MUTATIONS: &[u8] = b"\"\\,:{}[] \n\t0x-\x01\x0c\xff";

/// The second payload of each pair, after the first, with one byte changed,
/// deleted or inserted anywhere, or cut anywhere: whatever the parser
/// remembered from the first must not change how it reads the second.
#[test]
fn reuse_is_exact_whatever_the_next_payload() {
    for (first, second) in PAIRS {
        let (first, second) = (first.as_bytes(), second.as_bytes());
        let mut parser = ChunkParser::new();
        assert!(check(&mut parser, first));
        assert!(check(&mut parser, second));
        let mut variants = Vec::new();
        for at in 0..=second.len() {
            variants.push(second[..at].to_vec());
            if at < second.len() {
                let mut deleted = second.to_vec();
                deleted.remove(at);
                variants.push(deleted);
            }
            for &byte in MUTATIONS {
                if at < second.len() {
                    let mut replaced = second.to_vec();
                    replaced[at] = byte;
                    variants.push(replaced);
                }
                let mut inserted = second.to_vec();
                inserted.insert(at, byte);
                variants.push(inserted);
            }
        }
        for variant in variants {
            // From what the first payload left, and from a parser that has
            // seen the second whole before (its head and tail) as well.
            let mut after_first = ChunkParser::new();
            check(&mut after_first, first);
            check(&mut after_first, &variant);
            check(&mut parser, &variant);
            check(&mut parser, second);
        }
    }
}

/// Keys given again after the head, or before the tail: the last one wins,
/// as in a plain parse.
#[test]
fn repeated_keys_around_the_head_and_tail() {
    let first = r#"{"id":"a","model":"m","choices":[{"index":0,"content_filter_results":{"hate":{"filtered":false}},"delta":{"content":"x"}}],"created":1,"object":"o"}"#;
    let seconds = [
        r#"{"id":"a","model":"m","choices":[{"index":0,"content_filter_results":{"hate":{"filtered":false}},"delta":{"content":"y"},"index":2,"content_filter_results":null}],"created":1,"object":"o"}"#,
        r#"{"id":"a","model":"m","choices":[{"index":0,"content_filter_results":{"hate":{"filtered":false}},"delta":{"content":"y"},"content_filter_results":{"jailbreak":{"detected":true}}}],"created":1,"object":"o"}"#,
        r#"{"id":"a","model":"m","choices":[{"index":0,"content_filter_results":{"hate":{"filtered":false}},"delta":{"content":"y"},"delta":{"role":"tool"}}],"id":"b","choices":[],"created":1,"object":"o"}"#,
        r#"{"id":"a","model":"m","choices":[{"index":0,"content_filter_results":{"hate":{"filtered":false}},"delta":{"content":"y"}}],"created":2,"created":1,"object":"o"}"#,
        r#"{"id":"a","model":"m","choices":[{"index":0,"content_filter_results":{"hate":{"filtered":false}},"delta":{"content":"y"}}],"model":"n","error":{"message":"late"},"created":1,"object":"o"}"#,
        r#"{"id":"a","model":"m","choices":[{"index":0,"content_filter_results":{"hate":{"filtered":false}},"delta":{"content":"y"}}],"created":1,"object":"o"} "#,
        r#"{"id":"a","model":"m","choices":[{"index":0,"content_filter_results":{"hate":{"filtered":false}},"delta":{"content":"y"}}]  ,  "created":1,"object":"o"}"#,
        r#"{"id":"a","model":"m","choices":[{"index":0,"content_filter_results":{"hate":{"filtered":false}},"delta":{"content":"y"}}],"created":1,"object":"o"}}"#,
        r#"{"id":"a","model":"m","choices":[{"index":0,"content_filter_results":{"hate":{"filtered":false}},"delta":{"content":"y"}}]}"#,
        r#"{"id":"a","model":"m","choices":[{"index":0,"content_filter_results":{"hate":{"filtered":false}},"delta":{"content":"y"}}]"#,
        r#"{"id":"a","model":"m","choices":[{"index":0,"content_filter_results":{"hate":{"filtered":false}},"delta":{},"x":[{,"created":1,"object":"o"}"#,
        r#"{,"created":1,"object":"o"}"#,
        r#"{ ,"created":1,"object":"o"}"#,
        r#"{"k":[1,"created":1,"object":"o"}"#,
        r#"{"k":{"j":1,"created":1,"object":"o"}"#,
        r#"{"k":"a,"created":1,"object":"o"}"#,
        r#"{"created":1,"object":"o"}"#,
    ];
    for second in seconds {
        let mut parser = ChunkParser::new();
        check(&mut parser, first.as_bytes());
        check(&mut parser, second.as_bytes());
        check(&mut parser, first.as_bytes());
    }
}

/// Strings read as bytes (keys, enum values, shared strings) are checked as
/// serde_json checks a `str`: invalid UTF-8, lone surrogates and raw control
/// characters are errors, escapes are not.
#[test]
fn strings_read_as_bytes_are_checked_like_text() {
    let cases: &[&[u8]] = &[
        br#"{"id":"a\u0000b","model":"\n","object":"\t\"\\\/"}"#,
        b"{\"id\":\"a\x01b\"}",
        b"{\"id\":\"a\nb\"}",
        b"{\"i\nd\":\"a\"}",
        b"{\"x\ty\":1}",
        br#"{"x\ny":1}"#,
        br#"{"x\ny":null}"#,
        b"{\"id\":\"\xff\"}",
        b"{\"\xff\":1}",
        b"{\"\xff\":null}",
        b"{\"choices\":[{\"finish_reason\":\"st\xc3\"}]}",
        b"{\"choices\":[{\"finish_reason\":\"sto\np\"}]}",
        br#"{"choices":[{"finish_reason":"st\u006fp","delta":{"role":"\u0061ssistant"}}]}"#,
        br#"{"choices":[{"finish_reason":"\ud800"}]}"#,
        br#"{"choices":[{"finish_reason":"\udc00x"}]}"#,
        br#"{"id":"\ud83d\ude00","model":"\ud83d"}"#,
        br#"{"\ud83d":1}"#,
        br#"{"\ud83d\ude00":1}"#,
        br#"{"\u0069d":"escaped key","ch\u006fices":[{"ind\u0065x":2}]}"#,
        b"{\"obfuscation\":\"\xff\x01\"}",
        br#"{"id":["a"],"model":1}"#,
        br#"{"choices":[{"finish_reason":["stop"]}]}"#,
        br#"{"choices":[{"finish_reason":{"a":1}}]}"#,
        br#"{"choices":[null]}"#,
        br#"{"choices":[{},null]}"#,
        br#"{"system_fingerprint":null,"id":null,"choices":null}"#,
        b"{\"id\":\"x\"}\x0c",
        b" \n{\"id\":\"x\"}\r\n",
    ];
    for case in cases {
        let mut parser = ChunkParser::new();
        check(&mut parser, case);
        let typed = parser.parse_chunk(case).ok();
        let direct = serde_json::from_slice::<ChatCompletionChunk>(case).ok();
        assert_eq!(typed, direct, "{:?}", String::from_utf8_lossy(case));
    }
}

/// A stream whose payloads share nothing for a while (a new `id` each time),
/// then everything, then change layout: every payload still parses as on
/// its own.
#[test]
fn streams_that_change_what_repeats() {
    let mut parser = ChunkParser::new();
    let mut payloads = Vec::new();
    for i in 0..100 {
        payloads.push(format!(
            r#"{{"id":"c{i}","model":"m","choices":[{{"index":0,"delta":{{"content":"{i}"}}}}]}}"#
        ));
    }
    for i in 0..100 {
        payloads.push(format!(
            r#"{{"id":"c","model":"m","choices":[{{"index":0,"delta":{{"content":"{i}"}}}}]}}"#
        ));
    }
    for i in 0..100 {
        payloads.push(match i % 3 {
            0 => format!(
                r#"{{"choices":[{{"content_filter_results":{{}},"delta":{{"content":"{i}"}}}}],"id":"c","model":"m"}}"#
            ),
            1 => format!(
                r#"{{"choices":[{{"delta":{{"content":"{i}"}}}}],"id":"c","model":"m","created":{i}}}"#
            ),
            _ => format!(r#"{{"id":"c","choices":[],"usage":{{"total_tokens":{i}}}}}"#),
        });
    }
    for payload in &payloads {
        assert!(check(&mut parser, payload.as_bytes()), "{payload}");
    }
}
