//! `cargo xtask bench`: the decode benchmarks against the peers.
//!
//! Generates the corpora if they are missing (see [`crate::corpus`]), then
//! runs the `chatstream-bench` binary (package `benches/`) in release mode
//! over them. That package depends on the peers (async-openai,
//! eventsource-stream, sse-stream) and is deliberately not a default member
//! of the workspace, so `cargo build` and `cargo test` never compile them;
//! only this command does.
//!
//! The binary measures, for each corpus and in one process over the same
//! bytes: parsing each event's payload into our chunk type versus
//! async-openai's (issue 2), and decoding the Server-Sent Events framing
//! delivered in pieces of 1 KiB, 16 KiB and all at once versus sse-stream and
//! eventsource-stream (issue 3). It prints a table and writes
//! `target/bench-corpus/results.json`.

use crate::corpus;
use crate::util::{cargo, run, workspace_root};

/// The number of JSON chunks per corpus when `--chunks` is not given (the
/// size the reference measurements used).
const DEFAULT_CHUNKS: usize = 200_000;

/// Entry point for `cargo xtask bench [--chunks N] [--regen] [--only
/// types|sse] [--runs N]`.
pub fn run_bench(args: &[String]) -> Result<(), String> {
    let mut chunks = DEFAULT_CHUNKS;
    let mut regen = false;
    let mut passed: Vec<String> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--chunks" => {
                let value = args.next().ok_or("--chunks needs a number")?;
                chunks = value
                    .replace('_', "")
                    .parse()
                    .map_err(|e| format!("--chunks {value}: {e}"))?;
            }
            "--regen" => regen = true,
            "--only" => {
                let value = args.next().ok_or("--only needs `types` or `sse`")?;
                if value != "types" && value != "sse" {
                    return Err(format!("--only takes `types` or `sse`, got `{value}`"));
                }
                passed.extend(["--only".to_owned(), value.clone()]);
            }
            "--runs" => {
                let value = args.next().ok_or("--runs needs a number")?;
                value
                    .parse::<u32>()
                    .map_err(|e| format!("--runs {value}: {e}"))?;
                passed.extend(["--runs".to_owned(), value.clone()]);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let dir = "target/bench-corpus";
    corpus::ensure(&workspace_root().join(dir), chunks, regen)?;
    run(cargo()
        .args(["run", "--release", "-p", "chatstream-bench", "--", dir])
        .args(&passed)
        .args(["--json", "target/bench-corpus/results.json"]))
}
