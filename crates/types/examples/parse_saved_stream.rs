//! Fold a saved stream with `chatstream-types` alone: no SSE crate, no I/O
//! crate, no async runtime.
//!
//! ```text
//! cargo run -p chatstream-types --example parse_saved_stream                # a bundled stream
//! cargo run -p chatstream-types --example parse_saved_stream -- FILE.sse    # any saved stream
//! ```
//!
//! The bundled stream is `examples/data/openrouter-reasoning-claude-sonnet.sse`,
//! recorded from Claude through OpenRouter: reasoning, then the answer, with
//! OpenRouter's `: OPENROUTER PROCESSING` comment lines in between.
//!
//! It reads a saved `text/event-stream` body, takes each line starting with
//! `data:` as one payload, parses it with `ChunkParser::parse_payload`
//! (a chunk, an error object, or `[DONE]`), folds the chunks with
//! `Accumulator::push_with`, and prints the reasoning and the answer
//! separately, then the usage.
//!
//! Simplification: one `data:` line per event is what chat-completion
//! providers send, but Server-Sent Events also allow multi-line data, `\r`
//! line ends, comments, `event:`/`id:` fields and events split across reads.
//! For real decoding use `chatstream-sse` (`Decoder`, `SseStream`).

use std::error::Error;

use chatstream_types::{Accumulator, AccumulatorEvent, ChunkParser, StreamPayload};

/// The stream folded when no file is named.
const BUNDLED: &str = include_str!("data/openrouter-reasoning-claude-sonnet.sse");

fn main() -> Result<(), Box<dyn Error>> {
    let (name, text) = match std::env::args().nth(1) {
        Some(path) => {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
            (path, text)
        }
        None => (
            "openrouter-reasoning-claude-sonnet.sse (bundled)".to_owned(),
            BUNDLED.to_owned(),
        ),
    };

    let mut parser = ChunkParser::new();
    let mut accumulator = Accumulator::new();
    let mut done = false;
    for line in text.lines() {
        let Some(data) = line.strip_prefix("data:") else {
            continue;
        };
        let data = data.strip_prefix(' ').unwrap_or(data);
        match parser.parse_payload(data.as_bytes())? {
            StreamPayload::Chunk(chunk) => accumulator.push_with(&chunk, |event| {
                if let AccumulatorEvent::ChoiceFinished {
                    choice,
                    finish_reason,
                } = event
                {
                    eprintln!("(choice {choice} finished: {finish_reason:?})");
                }
            })?,
            StreamPayload::Error(error) => {
                return Err(format!("the stream reported an error: {error}").into());
            }
            StreamPayload::Done => {
                done = true;
                break;
            }
        }
    }

    let chunks = accumulator.chunk_count();
    let completion = accumulator.finish();
    println!(
        "{name} · {} · {chunks} chunks · [DONE] seen: {done}",
        completion.model
    );
    for choice in &completion.choices {
        let reasoning = choice.message.reasoning_text().unwrap_or_default();
        println!(
            "\n--- reasoning ({} chars) ---\n{reasoning}",
            reasoning.chars().count()
        );
        println!(
            "\n--- answer ---\n{}",
            choice.message.text().unwrap_or_default()
        );
    }
    if let Some(usage) = &completion.usage {
        let reasoning = usage
            .completion_tokens_details
            .as_ref()
            .and_then(|d| d.reasoning_tokens);
        println!(
            "\n[usage] prompt {} + completion {} (reasoning {}) = {} tokens",
            usage.prompt_tokens,
            usage.completion_tokens,
            reasoning.map_or("-".to_owned(), |n| n.to_string()),
            usage.total_tokens
        );
    }
    Ok(())
}
