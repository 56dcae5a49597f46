//! Over every captured provider stream: each field our types do not name —
//! on the chunk, a choice, its delta, a tool call or its function — reaches
//! the folded completion at the same place, whatever the network splits,
//! and nothing repeated on every chunk is multiplied.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::BTreeSet;
use std::time::Instant;

use bytes::Bytes;
use chatstream::protocol::StreamReader;
use chatstream_testkit::{data_dir, sse_files};
use chatstream_types::{Accumulator, ChatCompletion, ChatCompletionChunk};
use serde_json::{Map, Value};

/// The chunks of `body` fed in pieces of `size` bytes (the whole body for
/// 0), up to the end or the first error.
fn chunks(body: &[u8], size: usize) -> Vec<ChatCompletionChunk> {
    let mut reader = StreamReader::new();
    let pieces: Vec<&[u8]> = if size == 0 {
        vec![body]
    } else {
        body.chunks(size).collect()
    };
    let mut out = Vec::new();
    for piece in pieces {
        reader.feed(Bytes::copy_from_slice(piece), Instant::now());
        while let Some(Ok(chunk)) = reader.next_item() {
            out.push(chunk);
        }
    }
    reader.end_of_body();
    while let Some(Ok(chunk)) = reader.next_item() {
        out.push(chunk);
    }
    out
}

fn fold(chunks: &[ChatCompletionChunk]) -> ChatCompletion {
    let mut accumulator = Accumulator::new();
    for chunk in chunks {
        accumulator.push(chunk).unwrap();
    }
    accumulator.finish()
}

fn note(seen: &mut BTreeSet<String>, place: &str, extra: &Map<String, Value>) {
    for (key, value) in extra {
        if !value.is_null() {
            seen.insert(format!("{place}.{key}"));
        }
    }
}

/// Where each unnamed field was sent.
fn sent(chunks: &[ChatCompletionChunk]) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for chunk in chunks {
        note(&mut seen, "chunk", &chunk.extra);
        for choice in &chunk.choices {
            let at = choice.index;
            note(&mut seen, &format!("choice{at}"), &choice.extra);
            note(&mut seen, &format!("message{at}"), &choice.delta.extra);
            for call in choice.delta.tool_calls.iter().flatten() {
                let call_at = call.index.unwrap_or(0);
                note(&mut seen, &format!("call{at}.{call_at}"), &call.extra);
                if let Some(function) = &call.function {
                    note(
                        &mut seen,
                        &format!("function{at}.{call_at}"),
                        &function.extra,
                    );
                }
            }
        }
    }
    seen
}

/// Where each unnamed field is in the fold.
fn folded(completion: &ChatCompletion) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    note(&mut seen, "chunk", &completion.extra);
    for choice in &completion.choices {
        let at = choice.index;
        note(&mut seen, &format!("choice{at}"), &choice.extra);
        note(&mut seen, &format!("message{at}"), &choice.message.extra);
        for (position, call) in choice.message.tool_calls.iter().flatten().enumerate() {
            // Captured calls are numbered from 0 in order.
            note(&mut seen, &format!("call{at}.{position}"), &call.extra);
            if let Some(function) = &call.function {
                note(
                    &mut seen,
                    &format!("function{at}.{position}"),
                    &function.extra,
                );
            }
        }
    }
    seen
}

#[test]
fn every_unnamed_field_reaches_the_fold_at_every_split() {
    let dir = data_dir().join("fixtures");
    let files = sse_files(&dir);
    assert!(files.len() >= 59);
    let mut with_extras = 0;
    for file in files {
        let body = std::fs::read(dir.join(&file)).unwrap();
        let whole = chunks(&body, 0);
        let completion = fold(&whole);
        let sent = sent(&whole);
        with_extras += usize::from(!sent.is_empty());
        assert_eq!(folded(&completion), sent, "{}", file.display());
        for size in [1, 7, 64] {
            assert_eq!(
                fold(&chunks(&body, size)),
                completion,
                "{} in {size}-byte pieces",
                file.display()
            );
        }
    }
    assert!(
        with_extras >= 10,
        "only {with_extras} captures carry unnamed fields"
    );
}

#[test]
fn a_value_repeated_on_every_chunk_is_folded_once() {
    let dir = data_dir().join("fixtures");
    for file in sse_files(&dir) {
        let whole = chunks(&std::fs::read(dir.join(&file)).unwrap(), 0);
        let completion = fold(&whole);
        for (key, value) in &completion.extra {
            let sent: Vec<&Value> = whole.iter().filter_map(|c| c.extra.get(key)).collect();
            if sent.len() > 1 && sent.iter().all(|v| *v == sent[0]) {
                assert_eq!(value, sent[0], "{}: `{key}`", file.display());
            }
        }
    }
}

/// The next request built from each capture's folded messages carries every
/// unnamed field of the message and of its tool calls, as folded.
#[test]
fn the_next_request_carries_what_the_fold_kept() {
    let dir = data_dir().join("fixtures");
    for file in sse_files(&dir) {
        let completion = fold(&chunks(&std::fs::read(dir.join(&file)).unwrap(), 0));
        let messages: Vec<_> = completion
            .choices
            .iter()
            .map(|choice| choice.message.clone())
            .collect();
        let request = chatstream_types::ChatCompletionRequest::new("next", messages.clone());
        let sent = serde_json::to_value(&request).unwrap();
        for (at, message) in messages.iter().enumerate() {
            let sent = &sent["messages"][at];
            for (key, value) in &message.extra {
                assert_eq!(&sent[key], value, "{}: message `{key}`", file.display());
            }
            for (position, call) in message.tool_calls.iter().flatten().enumerate() {
                for (key, value) in &call.extra {
                    assert_eq!(
                        &sent["tool_calls"][position][key],
                        value,
                        "{}: tool call `{key}`",
                        file.display()
                    );
                }
            }
        }
    }
}
