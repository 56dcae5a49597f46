//! `ChunkParser` reuses what consecutive payloads share (the strings every
//! chunk repeats, the bytes a payload begins and ends with) and reads strings
//! as bytes when it can. None of that may show: a parser that has seen other
//! payloads must give exactly what a fresh one gives (errors included, to the
//! message), and that must be what `serde_json::from_slice` gives.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod reuse;

use chatstream_types::{ChatCompletionChunk, ChunkParser};
use reuse::{check, check_all};

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

/// A head ends after a comma (before the next key), but a shortened payload
/// starts again with `{`: whatever closes the object right after the head is
/// a trailing comma in the payload, an empty object in the buffer.
#[test]
fn a_head_followed_by_the_end_of_its_object() {
    let cases: &[(&str, &[&str])] = &[
        (
            r#"{"id":"a","provider":"p","choices":[]}"#,
            &[r#"{"id":"a",}"#, "{\"id\":\"a\", }", r#"{"id":"a","}"#],
        ),
        (
            r#"{"id":"a","choices":[{"index":0,"delta":{"content":"x"}}]}"#,
            &[
                r#"{"id":"a","choices":[{"index":0,}]}"#,
                r#"{"id":"a","choices":[{"index":0, }]}"#,
                r#"{"id":"a","choices":[{"index":0,]}"#,
            ],
        ),
    ];
    for (first, seconds) in cases {
        for second in *seconds {
            let mut parser = ChunkParser::new();
            assert!(check(&mut parser, first.as_bytes()));
            check(&mut parser, second.as_bytes());
        }
    }
}

/// Payloads of the layouts the parser shortens, for [`splices`].
const SPLICED: &[&str] = &[
    r#"{"id":"c1","object":"chat.completion.chunk","created":17,"model":"m","system_fingerprint":"fp","choices":[{"index":0,"delta":{"content":"a"},"logprobs":null,"finish_reason":null}]}"#,
    r#"{"id":"c1","object":"chat.completion.chunk","created":17,"model":"m","system_fingerprint":"fp","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}"#,
    r#"{"choices":[{"content_filter_results":{"hate":{"filtered":false}},"delta":{"content":"a"},"index":0}],"created":17,"id":"c1","model":"m","object":"chat.completion.chunk"}"#,
    r#"{"choices":[],"created":17,"id":"c1","model":"m","usage":{"total_tokens":3}}"#,
    r#"{"id":"c1","model":"m","provider":"P","choices":[{"index":0,"delta":{"role":"assistant"}}]}"#,
    r#"{"choices":[{"delta":{"content":""},"index":0}],"created":0,"id":"","service_tier":"","system_fingerprint":null}"#,
    r#"{"id":"c1","error":{"message":"boom"}}"#,
    "{ \"id\" : \"c1\" , \"choices\" : [ { \"index\" : 1 , \"delta\" : { } } ] , \"created\" : 17 }",
    r#"{"id":"c1","model":"m\u00e9","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":[1]}"}}]}},{"index":1,"delta":{}}],"usage":{"total_tokens":1}}"#,
];

/// Where [`splices`] cuts a payload: between two JSON tokens.
fn token_cuts(payload: &[u8]) -> Vec<usize> {
    (0..=payload.len())
        .filter(|&at| {
            at == 0
                || at == payload.len()
                || b"{[,:".contains(&payload[at - 1])
                || b"}]".contains(&payload[at])
        })
        .collect()
}

/// The beginning of one payload joined to the end of another (or of itself),
/// after a parser saw both: the result shares the first one's head and the
/// second one's tail, with any JSON between (or none: trailing commas,
/// duplicate keys, closed or unclosed objects).
#[test]
fn splices() {
    for first in SPLICED {
        for second in SPLICED {
            let (first, second) = (first.as_bytes(), second.as_bytes());
            let mut seen = ChunkParser::new();
            check(&mut seen, second);
            check(&mut seen, first);
            for i in token_cuts(first) {
                for j in token_cuts(second) {
                    let spliced = [&first[..i], &second[j..]].concat();
                    check(&mut seen.clone(), &spliced);
                }
            }
        }
    }
}

/// Keys given twice, one of them in the head or the tail and the other in
/// what is parsed: the last one wins, as in a plain parse.
#[test]
fn duplicate_keys_across_the_head_and_the_tail() {
    let first = r#"{"id":"a","created":1,"provider":"p","choices":[],"model":"m"}"#;
    for second in [
        r#"{"id":"a","created":1,"id":"b","created":2,"choices":[],"model":"m"}"#,
        r#"{"id":"a","created":1,"provider":"p","model":"n","choices":[],"model":"m"}"#,
        r#"{"id":"a","created":1,"provider":"p","choices":[],"id":null,"model":"m"}"#,
        r#"{"id":"a","created":1,"system_fingerprint":"f","system_fingerprint":null,"model":"m"}"#,
        r#"{"id":"a","created":1,"service_tier":"flex","service_tier":null,"model":"m"}"#,
        r#"{"id":"a","created":1,"choices":[],"choices":[{"index":0,"delta":{}}],"model":"m","model":"m"}"#,
        r#"{"id":"a","created":1,"error":{"message":"x"},"error":{"message":"y"},"model":"m"}"#,
        r#"{"id":"a","created":1,"error":{"message":"x"},"error":null,"model":"m"}"#,
        r#"{"id":"a","created":1,"provider":"p","provider":null,"choices":[],"model":"m"}"#,
    ] {
        check_all(&[first, second, first, second]);
    }
}

/// The same text in other bytes (escapes, spacing) is another head; the
/// head's own escapes are reused as parsed.
#[test]
fn equal_text_in_other_bytes() {
    check_all(&[
        r#"{"id":"\u00e9","model":"a\/b","choices":[{"index":0,"delta":{"content":"1"}}]}"#,
        r#"{"id":"é","model":"a/b","choices":[{"index":0,"delta":{"content":"2"}}]}"#,
        r#"{"id":"\u00e9","model":"a\/b","choices":[{"index":0,"delta":{"content":"3"}}]}"#,
        r#"{"id":"\u00E9","model":"a\/b","choices":[{"index":0,"delta":{"content":"4"}}]}"#,
        r#"{"id":"\u00e9" ,"model":"a\/b","choices":[{"index":0,"delta":{"content":"5"}}]}"#,
        r#"{"\u0069d":"\u00e9","model":"a\/b","choices":[{"index":0,"delta":{"content":"6"}}]}"#,
        r#"{"\u0069d":"\u00e9","model":"a\/b","choices":[{"index":0,"delta":{"content":"7"}}]}"#,
    ]);
}

/// A head or tail that ends in a number: the next payload's number may go
/// on where the remembered one stopped.
#[test]
fn numbers_that_go_on_past_the_remembered_ones() {
    let first = r#"{"created":17,"provider":"p","choices":[],"id":"a","created":17}"#;
    for second in [
        r#"{"created":170,"provider":"p","choices":[],"id":"a","created":17}"#,
        r#"{"created":17.5,"provider":"p","choices":[],"id":"a","created":17}"#,
        r#"{"created":17,"provider":"p","choices":[],"id":"a","created":170}"#,
        r#"{"created":17,"provider":"p","choices":[],"id":"a","created":317}"#,
        r#"{"created":17,"provider":"p","choices":[],"id":"a","created":-17}"#,
        r#"{"created":17,"provider":"p","choices":[],"x":"id":"a","created":17}"#,
        r#"{"created":17,"provider":"p","choices":[1,"id":"a","created":17}"#,
        r#"{"created":17,"provider":"p","choices":[],"x":1e,"id":"a","created":17}"#,
        r#"{"created":17,"provider":"p","choices":[],"x":tru,"id":"a","created":17}"#,
        r#"{"created":17,"provider":"p","choices":[],"x":"\u00,"id":"a","created":17}"#,
        r#"{"created":17,"provider":"p","choices":[],"x":"\","id":"a","created":17}"#,
    ] {
        check_all(&[first, second, first]);
    }
}

/// Payloads cut anywhere in the remembered head (inside a multi-byte
/// character too), alone or closed right there.
#[test]
fn payloads_cut_inside_the_head() {
    let first = r#"{"id":"a","model":"modèle-🦀","system_fingerprint":"fp","choices":[{"index":0,"delta":{"content":"x"}}]}"#.as_bytes();
    let head_end = first.windows(7).position(|w| w == b"\"delta\"").unwrap();
    let mut parser = ChunkParser::new();
    check(&mut parser, first);
    for at in 0..=head_end {
        for end in [
            &b""[..],
            b"}",
            b"\"}",
            b"\"delta\":{}}]}",
            b"\xff\"delta\":{}}]}",
        ] {
            check(&mut parser, &[&first[..at], end].concat());
        }
    }
}

/// `[DONE]`, errors, empty and broken payloads before, between and after
/// chunks that share a head and a tail, through `parse_payload` and
/// `parse_chunk` alike.
#[test]
fn other_payloads_between_chunks() {
    let chunk = |n: u32| {
        format!(
            r#"{{"choices":[{{"content_filter_results":{{}},"delta":{{"content":"{n}"}}}}],"id":"a","model":"m"}}"#
        )
    };
    let others = [
        "[DONE]",
        " [DONE]\n",
        "",
        " ",
        "{}",
        "null",
        "[]",
        "{",
        "}",
        r#"{"id":"a","model""#,
        r#"{"error":{"message":"x"}}"#,
        r#"{"id":"a","error":"late"}"#,
        r#"{"choices":[{"content_filter_results":{},"error":1}],"id":"a","model":"m"}"#,
        r#"{"choices":[{"content_filter_results":{}}],"error":{"message":"x"},"id":"a","model":"m"}"#,
    ];
    for other in others {
        let sequence = [
            other.to_owned(),
            chunk(1),
            chunk(2),
            other.to_owned(),
            chunk(3),
        ];
        check_all(&sequence);
        let mut parser = ChunkParser::new();
        for payload in &sequence {
            let typed = parser
                .parse_chunk(payload.as_bytes())
                .map_err(|e| e.to_string());
            let fresh = ChunkParser::new().parse_chunk(payload.as_bytes());
            assert_eq!(typed, fresh.map_err(|e| e.to_string()), "{payload:?}");
            check(&mut parser, payload.as_bytes());
        }
    }
}

/// Control bytes (newlines as whitespace) only in the head or the tail: the
/// payload is read in `Format::Any`, its shortened copy in `Format::Json`.
#[test]
fn control_bytes_only_where_the_head_or_tail_is() {
    let first = "{\n\"id\":\"a\",\n\"provider\":\"p\",\"choices\":[]\n,\n\"model\":\"m\"\n}";
    for second in [
        "{\n\"id\":\"a\",\n\"provider\":\"q\\u0001\\n\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\t\"}}]\n,\n\"model\":\"m\"\n}",
        "{\n\"id\":\"a\",\n\"provider\":\"q\x01\",\"choices\":[]\n,\n\"model\":\"m\"\n}",
        "{\n\"id\":\"a\",\n\"provider\":\"p\",\"choices\":[{\"delta\":{\"content\":\"a\tb\"}}]\n,\n\"model\":\"m\"\n}",
        "{\n\"id\":\"a\",\n\"provider\":\"p\",\"choices\":[]\x0c,\n\"model\":\"m\"\n}",
        "{\n\"id\":\"a\",\n\"x\ty\":1,\"choices\":[]\n,\n\"model\":\"m\"\n}",
        "{\n\"id\":\"a\",\n\"provider\":\"p\",\"choices\":[],\"created\":1\n,\n\"model\":\"m\"\n}",
    ] {
        check_all(&[first, second, first, second]);
    }
}

/// A remembered tail that the next payload ends with, but inside a nested
/// object or array, or after `usage`: only top-level members are a tail.
#[test]
fn lookalike_tails() {
    let first = r#"{"choices":[],"usage":{"x":1},"created":1,"object":"o"}"#;
    for second in [
        r#"{"choices":[],"usage":{"x":1},"usage":{"y":2,"created":1,"object":"o"}"#,
        r#"{"choices":[{"index":0,"delta":{"content":"a","created":1,"object":"o"}"#,
        r#"{"choices":["x","created":1,"object":"o"}"#,
        r#"{"choices":[],"usage":null,"created":1,"object":"o"}"#,
        r#"{"usage":{"total_tokens":1},"choices":[{"index":0}],"created":1,"object":"o"}"#,
        r#"{"choices":[],"usage":{"x":{"created":1,"object":"o"}}"#,
        r#"["created":1,"object":"o"}"#,
        r#"{"choices":[]},"created":1,"object":"o"}"#,
        r#""x","created":1,"object":"o"}"#,
    ] {
        check_all(&[first, second, first]);
    }
}

/// Long ids, texts and choice lists around a remembered head and tail.
#[test]
fn long_payloads() {
    let id = "i".repeat(10_000);
    let text = "é🦀\\n".repeat(100_000);
    let many: Vec<String> = (0..100)
        .map(|i| format!(r#"{{"index":{i},"delta":{{"content":"{i}"}}}}"#))
        .collect();
    let choices = many.join(",");
    let model = "m".repeat(100_000);
    check_all(&[
        format!(r#"{{"id":"{id}","choices":[{{"index":0,"delta":{{}}}}],"model":"{model}"}}"#),
        format!(
            r#"{{"id":"{id}","choices":[{{"index":0,"delta":{{"content":"{text}"}}}}],"model":"{model}"}}"#
        ),
        format!(r#"{{"id":"{id}","choices":[{choices}],"model":"{model}"}}"#),
        format!(r#"{{"id":"{id}","choices":[{{"index":0,"delta":{{}}}}],"model":"{model}x"}}"#),
    ]);
}

/// Lone surrogate escapes (repaired to U+FFFD) after, in and before a
/// remembered head.
#[test]
fn lone_surrogates_around_a_remembered_head() {
    check_all(&[
        r#"{"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"y"}}]}"#,
        r#"{"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"x\ud83e"}}]}"#,
        r#"{"id":"\ud83e","model":"m","choices":[{"index":0,"delta":{"content":"z"}}]}"#,
        r#"{"id":"\ufffd","model":"m","choices":[{"index":0,"delta":{"content":"z"}}]}"#,
        r#"{"id":"\ud83e","model":"m","choices":[{"index":0,"delta":{"content":"z"}}]}"#,
        r#"{"id":"\ufffd","model":"m\udd80","choices":[{"index":0,"delta":{"content":"z"}}]}"#,
    ]);
}

/// The same fields in another order from one chunk to the next.
#[test]
fn key_orders_that_change_between_chunks() {
    check_all(&[
        r#"{"id":"a","object":"o","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"1"}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"content":"2"}}],"created":1,"id":"a","model":"m","object":"o"}"#,
        r#"{"object":"o","id":"a","created":1,"model":"m","choices":[{"delta":{"content":"3"},"index":0}]}"#,
        r#"{"choices":[{"delta":{"content":"4"},"index":0}],"id":"a","object":"o","created":1,"model":"m"}"#,
        r#"{"id":"a","object":"o","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"5"}}]}"#,
        r#"{"choices":[{"index":0,"delta":{"content":"6"}}],"object":"o","created":1,"id":"a","model":"m"}"#,
    ]);
}
