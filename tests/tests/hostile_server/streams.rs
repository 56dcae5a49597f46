//! Floods across a stream, folded by `collect_completion` with the default
//! limits: logprobs on every chunk, filter results on every chunk, a new
//! unknown key with a large value on every chunk, a new tool call with a
//! large id on every chunk, a new choice on every chunk. Each chunk is small
//! and valid; what grows is what the fold holds, and the accumulator's
//! budget (64 MiB) stops it with a typed error: the memory stays under the
//! budget plus a constant, whatever the stream.

use serde_json::json;

use super::*;

/// The accumulator's default budget, and room for the rest (the decoder,
/// one chunk's parse, hyper, the allocator's slack).
const BOUND: u64 = 64 * MIB + 32 * MIB;

pub(crate) fn cases() -> Vec<Case> {
    let fold = |name, run, check| {
        Case::new(name, run, check)
            .memory(BOUND)
            .time(Duration::from_secs(30))
    };
    vec![
        fold(
            "fold_logprobs_on_every_chunk",
            |probe| boxed(chunks(probe, 60, logprobs_chunk)),
            over_the_budget,
        ),
        fold(
            "fold_filter_results_on_every_chunk",
            |probe| boxed(chunks(probe, 100, filter_results_chunk)),
            over_the_budget,
        ),
        fold(
            "fold_a_new_unknown_key_on_every_chunk",
            |probe| boxed(chunks(probe, 70, unknown_key_chunk)),
            over_the_budget,
        ),
        fold(
            "fold_a_new_tool_call_with_a_large_id_on_every_chunk",
            |probe| boxed(chunks(probe, 600, tool_call_chunk)),
            over_the_budget,
        ),
        fold(
            "fold_a_new_choice_on_every_chunk",
            |probe| boxed(chunks(probe, 300, choice_chunk)),
            // The end-state tracker (and the accumulator) hold 128 choices.
            |observed| broke_limit(observed, "Choices"),
        ),
    ]
}

/// A stream of `count` chunks made by `chunk`, folded.
async fn chunks(probe: Probe, count: usize, chunk: fn(usize) -> Value) -> Observed {
    let mut body = String::new();
    for at in 0..count {
        body.push_str(&event(&chunk(at)));
    }
    body.push_str("data: [DONE]\n\n");
    let server = raw(RawReply::response(sse(body))).await;
    let client = client(&server, |builder| builder);
    probe.start();
    collect_through(&client, &server).await
}

fn over_the_budget(observed: &Observed) -> Result<(), String> {
    ended_with(observed, "decode")?;
    ensure(
        observed.message.contains("accumulator"),
        "not the accumulator's limit",
        observed,
    )
}

fn base(at: usize) -> Value {
    json!({"id": "c", "object": "chat.completion.chunk", "model": "m",
        "choices": [{"index": 0, "delta": {"content": format!("t{at}")}}]})
}

/// 1,000 logprob entries of 20 alternatives each.
fn logprobs_chunk(at: usize) -> Value {
    let top: Vec<Value> = (0..20)
        .map(|i| json!({"token": format!("x{i}"), "logprob": -1.5, "bytes": [120]}))
        .collect();
    let entries: Vec<Value> = (0..1000)
        .map(|i| json!({"token": format!("t{i}"), "logprob": -0.5, "bytes": [116], "top_logprobs": top}))
        .collect();
    let mut chunk = base(at);
    chunk["choices"][0]["logprobs"] = json!({"content": entries});
    chunk
}

/// 1,000 prompt filter results with a kept field each.
fn filter_results_chunk(at: usize) -> Value {
    let results: Vec<Value> = (0..1000)
        .map(|i| json!({"prompt_index": i, "note": "x".repeat(64)}))
        .collect();
    let mut chunk = base(at);
    chunk["prompt_filter_results"] = json!(results);
    chunk
}

/// A new unknown key with a 1 MiB value.
fn unknown_key_chunk(at: usize) -> Value {
    let mut chunk = base(at);
    chunk[format!("x_field_{at}")] = json!("v".repeat(1 << 20));
    chunk
}

/// A new tool call whose id is 128 KiB.
fn tool_call_chunk(at: usize) -> Value {
    let mut chunk = base(at);
    chunk["choices"][0]["delta"]["tool_calls"] = json!([{"index": at,
        "id": format!("{at}{}", "i".repeat(128 << 10)), "type": "function",
        "function": {"name": "f", "arguments": "{}"}}]);
    chunk
}

/// A new choice index.
fn choice_chunk(at: usize) -> Value {
    let mut chunk = base(at);
    chunk["choices"][0]["index"] = json!(at);
    chunk
}
