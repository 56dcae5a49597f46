//! `bench-corpus`: writes the benchmark corpora (see
//! [`chatstream_bench::corpus`]).
//!
//! ```text
//! bench-corpus <dir> [--chunks N] [--regen]
//! ```
//!
//! Run by `cargo xtask bench` before measuring; the files are kept between
//! runs unless `--regen` is given or `--chunks` changes.

use std::path::PathBuf;
use std::process::ExitCode;

use chatstream_bench::corpus;

const USAGE: &str = "usage: bench-corpus <dir> [--chunks N] [--regen]";

/// The number of JSON chunks per corpus when `--chunks` is not given.
const DEFAULT_CHUNKS: usize = 200_000;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench-corpus: {message}\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut dir = None;
    let mut chunks = DEFAULT_CHUNKS;
    let mut regen = false;
    let mut args = std::env::args().skip(1);
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
            other if other.starts_with('-') => return Err(format!("unknown flag `{other}`")),
            other => dir = Some(PathBuf::from(other)),
        }
    }
    let dir = dir.ok_or("no corpus folder given")?;
    corpus::ensure(&dir, chunks, regen)
}
