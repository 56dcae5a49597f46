//! Every captured provider stream folds to its recorded result, whatever the
//! network splits.
//!
//! The test walks `tests/data/fixtures`, so a new `.sse` file (with its line in
//! `expected.jsonl`) is picked up without code changes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::BTreeMap;

use chatstream_tests::{Outcome, data_dir, fold_stream, sse_files};
use serde_json::{Value, json};

fn expected() -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(data_dir().join("fixtures/expected.jsonl")).unwrap();
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap();
            (value["file"].as_str().unwrap().to_owned(), value)
        })
        .collect()
}

/// The folded stream in the shape of an `expected.jsonl` line.
fn summary(pieces: &[&[u8]]) -> Result<Value, String> {
    let folded = fold_stream(pieces.iter().copied())?;
    let accumulator = &folded.accumulator;
    let choices: Vec<Value> = accumulator
        .choices()
        .map(|choice| {
            let tool_calls: Vec<Value> = choice
                .tool_calls()
                .map(|call| {
                    json!({
                        "index": call.index(),
                        "id": call.id(),
                        "type": call.kind().map_or("", |k| k.as_str()),
                        "name": call.name(),
                        "arguments": call.arguments(),
                    })
                })
                .collect();
            json!({
                "index": choice.index(),
                "role": choice.role().map_or("", |r| r.as_str()),
                "content": choice.content(),
                "refusal": choice.refusal(),
                "reasoning": choice.reasoning(),
                "tool_calls": tool_calls,
                "finish_reason": choice.finish_reason().map(|r| r.as_str()),
            })
        })
        .collect();
    let usage = accumulator.usage().map(|usage| {
        json!({
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
        })
    });
    let error = match &folded.outcome {
        Outcome::Error(error) => {
            json!({"message": error.message, "code": error.code.as_ref().map(|c| c.to_string())})
        }
        _ => Value::Null,
    };
    Ok(json!({
        "outcome": folded.outcome.name(),
        "chunks": accumulator.chunk_count(),
        "id": accumulator.id(),
        "model": accumulator.model(),
        "choices": choices,
        "usage": usage,
        "error": error,
    }))
}

/// `expected` without the keys our summary does not produce, and with the
/// error code as text (it may be a number in the corpus).
fn comparable(expected: &Value) -> Value {
    let mut expected = expected.clone();
    let object = expected.as_object_mut().unwrap();
    object.remove("file");
    if let Some(error) = object.get_mut("error").filter(|e| !e.is_null()) {
        let code = match &error["code"] {
            Value::Null => Value::Null,
            Value::String(code) => Value::String(code.clone()),
            other => Value::String(other.to_string()),
        };
        error["code"] = code;
    }
    expected
}

/// Deterministic splits: a small xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn split_every(bytes: &[u8], size: usize) -> Vec<&[u8]> {
    bytes.chunks(size).collect()
}

fn split_randomly<'a>(bytes: &'a [u8], rng: &mut Rng) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let size = (1 + rng.next() % 300) as usize;
        let (piece, tail) = rest.split_at(size.min(rest.len()));
        pieces.push(piece);
        rest = tail;
    }
    pieces
}

#[test]
fn every_fixture_has_an_expected_result_and_the_corpus_is_whole() {
    let dir = data_dir().join("fixtures");
    let files = sse_files(&dir);
    let expected = expected();
    assert!(files.len() >= 59, "only {} .sse files found", files.len());
    for file in &files {
        let name = file.to_string_lossy().replace('\\', "/");
        assert!(
            expected.contains_key(&name),
            "{name} has no line in expected.jsonl"
        );
    }
    assert_eq!(
        files.len(),
        expected.len(),
        "expected.jsonl names files that are missing"
    );
}

#[test]
fn every_fixture_folds_to_its_expected_result_at_many_splits() {
    let dir = data_dir().join("fixtures");
    let expected = expected();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut failures = Vec::new();
    for file in sse_files(&dir) {
        let name = file.to_string_lossy().replace('\\', "/");
        let bytes = std::fs::read(dir.join(&file)).unwrap();
        let want = comparable(&expected[&name]);
        let mut splits: Vec<(String, Vec<&[u8]>)> = vec![("whole".into(), vec![&bytes[..]])];
        for size in [1, 2, 3, 7, 64, 1024] {
            splits.push((format!("{size}-byte pieces"), split_every(&bytes, size)));
        }
        for round in 0..4 {
            splits.push((
                format!("random split #{round}"),
                split_randomly(&bytes, &mut rng),
            ));
        }
        for (how, pieces) in splits {
            match summary(&pieces) {
                Ok(got) if got == want => {}
                Ok(got) => failures.push(format!(
                    "{name} ({how}):\n  got      {got}\n  expected {want}"
                )),
                Err(error) => failures.push(format!("{name} ({how}): {error}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
