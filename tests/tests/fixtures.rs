//! Every captured provider stream folds to its recorded result, whatever the
//! network splits.
//!
//! The test walks `tests/data/fixtures`, so a new `.sse` file (with its line in
//! `expected.jsonl`) is picked up without code changes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use chatstream_testkit::corpus::{Rng, comparable, expected, summarize};
use chatstream_testkit::{Outcome, data_dir, fold_stream, sse_files};
use serde_json::Value;

/// The folded stream in the shape of an `expected.jsonl` line.
fn summary(pieces: &[&[u8]]) -> Result<Value, String> {
    let folded = fold_stream(pieces.iter().copied())?;
    let error = match &folded.outcome {
        Outcome::Error(error) => Some(error),
        _ => None,
    };
    Ok(summarize(folded.outcome.name(), &folded.accumulator, error))
}

fn split_every(bytes: &[u8], size: usize) -> Vec<&[u8]> {
    bytes.chunks(size).collect()
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
            splits.push((format!("random split #{round}"), rng.split(&bytes, 300)));
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
