//! The 90 conformance vectors of `tests/data/sse-vectors.jsonl` (in this
//! crate, so that the published crate tests them too), fed as
//! their own chunks and at every split point (every 2- and 3-piece split for
//! inputs up to 64 bytes; pieces of 1, 2, 3, 7 and 64 bytes and the whole
//! input for longer ones). Each result is also checked against the naive
//! oracle, and the `Leftover` must not depend on the split.

#![allow(clippy::unwrap_used, clippy::expect_used)] // in tests, a panic is a failure

mod common;

use chatstream_sse::{Decoder, Leftover};
use common::{Item, Output, decode, decode_pieces, oracle, split_at};
use serde_json::Value;

const VECTORS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/sse-vectors.jsonl"
));

struct Vector {
    id: String,
    chunks: Vec<Vec<u8>>,
    events: Vec<Item>,
    retries: Vec<u64>,
    comments: Vec<String>,
}

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len() % 2 == 0, "odd hex length");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit"))
        .collect()
}

fn strings(value: &Value) -> impl Iterator<Item = &str> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("string"))
}

fn vectors() -> Vec<Vector> {
    VECTORS
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("valid JSON line");
            let text = |e: &Value, key: &str| e[key].as_str().expect(key).to_owned();
            Vector {
                id: text(&v, "id"),
                chunks: strings(&v["chunks_hex"]).map(hex).collect(),
                events: v["events"]
                    .as_array()
                    .expect("events")
                    .iter()
                    .map(|e| Item::Event {
                        ty: text(e, "type"),
                        data: text(e, "data"),
                        id: text(e, "id"),
                    })
                    .collect(),
                retries: v["retries"]
                    .as_array()
                    .expect("retries")
                    .iter()
                    .map(|r| r.as_u64().expect("retry"))
                    .collect(),
                comments: strings(&v["comments"]).map(str::to_owned).collect(),
            }
        })
        .collect()
}

/// Checks one decoding of `vector` against its expectations.
fn check(vector: &Vector, how: &str, output: &Output) {
    let id = &vector.id;
    assert!(
        !output.items.iter().any(|i| matches!(i, Item::Error(_))),
        "vector {id} ({how}): unexpected error in {:?}",
        output.items
    );
    let events: Vec<_> = output
        .items
        .iter()
        .filter(|i| matches!(i, Item::Event { .. }))
        .cloned()
        .collect();
    let retries: Vec<_> = output
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Retry(r) => Some(*r),
            _ => None,
        })
        .collect();
    let comments: Vec<_> = output
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Comment(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(events, vector.events, "vector {id} ({how}): events");
    assert_eq!(retries, vector.retries, "vector {id} ({how}): retries");
    assert_eq!(comments, vector.comments, "vector {id} ({how}): comments");
}

#[test]
fn vector_file_is_complete() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 90);
    let mut ids: Vec<_> = vectors.iter().map(|v| v.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 90, "duplicate vector ids");
}

#[test]
fn vectors_own_chunks() {
    for vector in vectors() {
        let pieces: Vec<&[u8]> = vector.chunks.iter().map(Vec::as_slice).collect();
        check(&vector, "own chunks", &decode(&pieces));
        let queued = decode_pieces(&mut Decoder::new(), &pieces, false);
        check(&vector, "own chunks, queued before draining", &queued);
        // An empty first piece must not defeat BOM detection.
        let mut with_empty = vec![&b""[..]];
        with_empty.extend(&pieces);
        check(&vector, "empty piece first", &decode(&with_empty));
    }
}

#[test]
fn vectors_match_the_oracle() {
    for vector in vectors() {
        let input = vector.chunks.concat();
        let expected = oracle(&input);
        check(&vector, "oracle", &expected);
        assert_eq!(
            decode(&[&input]),
            expected,
            "vector {} (whole) vs oracle",
            vector.id
        );
    }
}

#[test]
fn vectors_at_every_split() {
    let mut runs = 0usize;
    for vector in vectors() {
        let input = vector.chunks.concat();
        let whole = decode(&[&input]);
        let leftover: Leftover = whole.leftover;
        let mut run = |how: String, cuts: &[usize]| {
            let output = decode(&split_at(&input, cuts));
            check(&vector, &how, &output);
            assert_eq!(
                output, whole,
                "vector {} ({how}) differs from whole",
                vector.id
            );
            assert_eq!(output.leftover, leftover);
            runs += 1;
        };
        let n = input.len();
        if n <= 64 {
            for i in 0..=n {
                run(format!("split at {i}"), &[i]);
                for j in i..=n {
                    run(format!("split at {i}, {j}"), &[i, j]);
                }
            }
        } else {
            for size in [1, 2, 3, 7, 64] {
                let cuts: Vec<usize> = (size..n).step_by(size).collect();
                run(format!("pieces of {size} bytes"), &cuts);
            }
        }
    }
    assert!(runs > 10_000, "only {runs} runs");
}
