//! The parser's reuse checked on every payload of the captured provider
//! streams (`tests/data/fixtures` of the workspace): alone, stream after
//! stream, and interleaved. The corpus is the workspace's, so this target is
//! not part of the published crate (its include list leaves it out).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

#[path = "../reuse/mod.rs"]
mod reuse;

use std::path::{Path, PathBuf};

use chatstream_types::ChunkParser;
use reuse::{check, check_all, payloads};

/// The workspace's captured streams.
fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data")
}

fn sse_files(dir: &Path, out: &mut Vec<PathBuf>) {
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
    let dir = corpus();
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
    assert!(parsed > 1000, "only {parsed} payloads in {}", dir.display());
}

/// Every captured payload through one parser, stream after stream and
/// streams interleaved: what one provider's layout left behind meets
/// another's payloads.
#[test]
fn captured_streams_through_one_parser() {
    let dir = corpus();
    let mut files = Vec::new();
    sse_files(&dir, &mut files);
    files.sort();
    let streams: Vec<Vec<String>> = files
        .iter()
        .map(|file| payloads(&std::fs::read_to_string(file).unwrap()))
        .collect();
    check_all(&streams.concat());
    let longest = streams.iter().map(Vec::len).max().unwrap_or(0);
    let interleaved: Vec<&String> = (0..longest)
        .flat_map(|at| streams.iter().filter_map(move |stream| stream.get(at)))
        .collect();
    check_all(&interleaved);
}
