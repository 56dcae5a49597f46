//! Folds a saved stream into the final completion.
//!
//! ```text
//! cargo run -q -p chatstream-types --example accumulate < payloads.jsonl
//! ```
//!
//! Standard input holds one chunk JSON payload per line (the `data` of each
//! Server-Sent Event, without `[DONE]` or error objects; blank lines are
//! skipped). Standard output gets one JSON object: the folded
//! `chat.completion`, in OpenAI's shape. A line that does not parse is
//! reported on standard error with its line number, and the exit status is 1.

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use chatstream_types::{Accumulator, ChunkParser};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("accumulate: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut parser = ChunkParser::new();
    let mut accumulator = Accumulator::new();
    let stdin = io::stdin();
    for (number, line) in stdin.lock().split(b'\n').enumerate() {
        let line = line.map_err(|e| format!("cannot read standard input: {e}"))?;
        let payload = line.trim_ascii();
        if payload.is_empty() {
            continue;
        }
        let chunk = parser
            .parse_chunk(payload)
            .map_err(|e| format!("line {}: not a chat.completion.chunk: {e}", number + 1))?;
        accumulator
            .push(&chunk)
            .map_err(|e| format!("line {}: {e}", number + 1))?;
    }
    let completion = accumulator.finish();
    let json = serde_json::to_string(&completion).map_err(|e| e.to_string())?;
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{json}").map_err(|e| format!("cannot write: {e}"))
}
