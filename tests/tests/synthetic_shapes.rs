//! The shapes providers document but the captured corpus does not hold yet
//! (`tests/data/synthetic`, written by this project — see its README): audio,
//! annotations, custom tool calls, a tool call carrying a thought signature.
//! Each folds to its recorded message at every split, and the next request
//! built from that message sends back what the provider needs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::BTreeMap;

use chatstream::types::ChatCompletionRequest;
use chatstream_testkit::{data_dir, fold_stream, sse_files};
use serde_json::Value;

fn expected() -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(data_dir().join("synthetic/expected.jsonl")).unwrap();
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap();
            (value["file"].as_str().unwrap().to_owned(), value)
        })
        .collect()
}

#[test]
fn every_synthetic_shape_folds_and_goes_back_as_recorded() {
    let dir = data_dir().join("synthetic");
    let expected = expected();
    let files = sse_files(&dir);
    assert_eq!(files.len(), expected.len(), "one expected line per stream");
    for file in files {
        let name = file.to_string_lossy().replace('\\', "/");
        let want = &expected[&name];
        let body = std::fs::read(dir.join(&file)).unwrap();
        for size in [0, 1, 2, 3, 7, 64] {
            let pieces: Vec<&[u8]> = if size == 0 {
                vec![&body[..]]
            } else {
                body.chunks(size).collect()
            };
            let folded = fold_stream(pieces).unwrap_or_else(|e| panic!("{name}: {e}"));
            let at = format!("{name} in {size}-byte pieces");
            assert_eq!(folded.outcome.name(), want["outcome"], "{at}");
            assert_eq!(
                Value::from(folded.accumulator.chunk_count()),
                want["chunks"],
                "{at}"
            );
            let message = folded.accumulator.finish().choices[0].message.clone();
            assert_eq!(
                serde_json::to_value(&message).unwrap(),
                want["message"],
                "{at}"
            );
            let request = ChatCompletionRequest::new("next-turn", vec![message]);
            let sent = serde_json::to_value(&request).unwrap();
            assert_eq!(sent["messages"][0], want["request_message"], "{at}");
        }
    }
}
