//! Decodes an event stream from stdin and prints what it contains as JSON
//! Lines, for black-box tests:
//!
//! ```text
//! cargo run -q -p chatstream-sse --example sse-dump -- [--chunk-size N] < input
//! ```
//!
//! The input is fed to the decoder in pieces of `N` bytes (default: all at
//! once). Output, in stream order: `{"type": T, "data": D, "id": I}` for each
//! dispatched event (`I` is the last event ID string, `""` if none) and
//! `{"retry": N}` for each valid `retry` field. A decoder error prints
//! `{"error": "..."}` and exits with status 1; bad arguments exit with 2.

use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use bytes::Bytes;
use chatstream_sse::{Decoder, Frame};

fn main() -> ExitCode {
    let chunk_size = match parse_args(std::env::args().skip(1)) {
        Ok(size) => size,
        Err(message) => {
            eprintln!("sse-dump: {message}\nusage: sse-dump [--chunk-size N] < input");
            return ExitCode::from(2);
        }
    };
    let mut input = Vec::new();
    if let Err(error) = io::stdin().lock().read_to_end(&mut input) {
        eprintln!("sse-dump: reading stdin: {error}");
        return ExitCode::from(2);
    }
    match dump(Bytes::from(input), chunk_size) {
        Ok(code) => code,
        Err(error) => {
            // Most likely a closed pipe: nothing useful left to do.
            eprintln!("sse-dump: writing stdout: {error}");
            ExitCode::from(2)
        }
    }
}

/// `--chunk-size N` or `--chunk-size=N`, N ≥ 1; `None` means whole input.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<usize>, String> {
    let mut chunk_size = None;
    while let Some(arg) = args.next() {
        let value = match arg.strip_prefix("--chunk-size") {
            Some("") => args.next().ok_or("--chunk-size needs a value")?,
            Some(rest) if rest.starts_with('=') => rest[1..].to_owned(),
            _ => return Err(format!("unknown argument {arg:?}")),
        };
        match value.parse::<usize>() {
            Ok(n) if n > 0 => chunk_size = Some(n),
            _ => {
                return Err(format!(
                    "invalid chunk size {value:?} (want an integer >= 1)"
                ));
            }
        }
    }
    Ok(chunk_size)
}

fn dump(input: Bytes, chunk_size: Option<usize>) -> io::Result<ExitCode> {
    let mut out = BufWriter::new(io::stdout().lock());
    let mut decoder = Decoder::new();
    let size = chunk_size.unwrap_or(input.len()).max(1);
    let mut start = 0;
    while start < input.len() {
        let end = input.len().min(start + size);
        decoder.feed(input.slice(start..end));
        start = end;
        loop {
            match decoder.next_frame() {
                Ok(Some(Frame::Event(event))) => writeln!(
                    out,
                    "{{\"type\": {}, \"data\": {}, \"id\": {}}}",
                    json(event.event_type()),
                    json(event.data()),
                    json(event.id())
                )?,
                Ok(Some(Frame::Retry(retry))) => {
                    writeln!(out, "{{\"retry\": {}}}", retry.as_millis())?;
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(error) => {
                    writeln!(out, "{{\"error\": {}}}", json(&error.to_string()))?;
                    out.flush()?;
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    }
    decoder.finish();
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A JSON string literal.
fn json(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}
