//! Floods inside one event: an 8 MiB event (half the client's default 16 MiB
//! cap) of the smallest JSON that costs the most once parsed — empty objects
//! as choices, tool calls, filter results, logprobs, content parts; keys and
//! nested arrays in an unknown field; deep nesting; one huge string. The
//! parse stops at a typed limit before the memory is spent (or, for the
//! string, succeeds within the bound): parsing holds at most `4·N + 1 MiB`.

use super::*;

/// The size of each flood event.
const EVENT: usize = 8 << 20;

/// The bound for a case with one `EVENT`-sized event: the parse (`4·N + 1
/// MiB`), the decoder holding the event, hyper's buffers.
const BOUND: u64 = 6 * EVENT as u64 + 16 * MIB;

pub(crate) fn cases() -> Vec<Case> {
    let flood = |name, run, check| Case::new(name, run, check).memory(BOUND);
    vec![
        flood(
            "flood_choices_of_empty_objects",
            |probe| {
                boxed(one_event(
                    probe,
                    |items| format!(r#"{{"choices":[{items}]}}"#),
                    "{}",
                ))
            },
            |observed| broke_limit(observed, "Choices"),
        ),
        flood(
            "flood_tool_calls_of_empty_objects",
            |probe| {
                boxed(one_event(
                    probe,
                    |items| format!(r#"{{"choices":[{{"delta":{{"tool_calls":[{items}]}}}}]}}"#),
                    "{}",
                ))
            },
            |observed| broke_limit(observed, "ToolCalls"),
        ),
        flood(
            "flood_prompt_filter_results",
            |probe| {
                boxed(one_event(
                    probe,
                    |items| format!(r#"{{"prompt_filter_results":[{items}]}}"#),
                    "{}",
                ))
            },
            |observed| broke_limit(observed, "FilterResults"),
        ),
        flood(
            "flood_logprob_entries",
            |probe| {
                boxed(one_event(
                    probe,
                    |items| format!(r#"{{"choices":[{{"logprobs":{{"content":[{items}]}}}}]}}"#),
                    "{}",
                ))
            },
            |observed| broke_limit(observed, "Logprobs"),
        ),
        flood(
            "flood_top_logprobs",
            |probe| {
                boxed(one_event(
                    probe,
                    |items| {
                        format!(
                            r#"{{"choices":[{{"logprobs":{{"content":[{{"top_logprobs":[{items}]}}]}}}}]}}"#
                        )
                    },
                    "{}",
                ))
            },
            |observed| broke_limit(observed, "TopLogprobs"),
        ),
        flood(
            "flood_content_parts",
            |probe| {
                boxed(one_event(
                    probe,
                    |items| format!(r#"{{"choices":[{{"delta":{{"content":[{items}]}}}}]}}"#),
                    "{}",
                ))
            },
            |observed| broke_limit(observed, "ContentParts"),
        ),
        flood(
            "flood_keys_of_an_unknown_field",
            |probe| boxed(unknown_keys(probe)),
            |observed| broke_limit(observed, "ExtraKeys"),
        ),
        flood(
            "flood_nested_arrays_in_an_unknown_field",
            |probe| {
                boxed(one_event(
                    probe,
                    |items| format!(r#"{{"x":[{items}]}}"#),
                    "[]",
                ))
            },
            |observed| broke_limit(observed, "Memory"),
        ),
        flood(
            "flood_empty_strings_in_an_unknown_field",
            |probe| {
                boxed(one_event(
                    probe,
                    |items| format!(r#"{{"x":[{items}]}}"#),
                    r#""""#,
                ))
            },
            |observed| broke_limit(observed, "Memory"),
        ),
        flood(
            "flood_error_message_of_arrays",
            |probe| {
                boxed(one_event(
                    probe,
                    |items| format!(r#"{{"error":{{"message":[{items}]}}}}"#),
                    "[]",
                ))
            },
            // Parsing the error object hits the bound; the payload is still
            // an error the server sent, reported as a decode failure.
            |observed| broke_limit(observed, "Memory"),
        ),
        flood(
            "flood_deep_nesting",
            |probe| boxed(deep_nesting(probe)),
            |observed| ended_with(observed, "decode"),
        ),
        flood(
            "flood_one_huge_escaped_string",
            |probe| boxed(huge_string(probe)),
            |observed| {
                ended_with(observed, "done")?;
                ensure(observed.chunks == 1, "not one chunk", observed)
            },
        ),
    ]
}

/// One event made by `wrap` around `item` repeated to [`EVENT`] bytes.
async fn one_event(probe: Probe, wrap: fn(&str) -> String, item: &'static str) -> Observed {
    let payload = wrap(&repeated(item, EVENT));
    let server = raw(RawReply::response(sse(format!("data: {payload}\n\n")))).await;
    drop(payload);
    let client = client(&server, |builder| builder);
    probe.start();
    stream_through(&client, &server).await
}

async fn unknown_keys(probe: Probe) -> Observed {
    let mut payload = String::from("{");
    let mut at = 0;
    while payload.len() < EVENT {
        payload.push_str(&format!("\"k{at}\":0,"));
        at += 1;
    }
    payload.push_str("\"z\":0}");
    let server = raw(RawReply::response(sse(format!("data: {payload}\n\n")))).await;
    drop(payload);
    let client = client(&server, |builder| builder);
    probe.start();
    stream_through(&client, &server).await
}

async fn deep_nesting(probe: Probe) -> Observed {
    let depth = EVENT / 2;
    let payload = format!(r#"{{"x":{}{}}}"#, "[".repeat(depth), "]".repeat(depth));
    let server = raw(RawReply::response(sse(format!("data: {payload}\n\n")))).await;
    drop(payload);
    let client = client(&server, |builder| builder);
    probe.start();
    stream_through(&client, &server).await
}

async fn huge_string(probe: Probe) -> Observed {
    let text = "a\\n".repeat(EVENT / 3);
    let chunk = format!(
        r#"{{"id":"c","choices":[{{"index":0,"delta":{{"content":"{text}"}},"finish_reason":"stop"}}]}}"#
    );
    let server = raw(RawReply::response(sse(format!(
        "data: {chunk}\n\ndata: [DONE]\n\n"
    ))))
    .await;
    drop((text, chunk));
    let client = client(&server, |builder| builder);
    probe.start();
    stream_through(&client, &server).await
}
