//! Fold a saved stream with `chatstream-types` alone: no SSE crate, no I/O
//! crate, no async runtime.
//!
//! ```text
//! cargo run -p chatstream-types --example parse_saved_stream -- tests/data/fixtures/deepseek/reasoner-reasoning-content.sse
//! cargo run -p chatstream-types --example parse_saved_stream   # the same DeepSeek capture
//! ```
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
use std::path::PathBuf;

use chatstream_types::{Accumulator, AccumulatorEvent, ChunkParser, StreamPayload};

fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::args_os().nth(1).map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/data/fixtures/deepseek/reasoner-reasoning-content.sse")
        },
        PathBuf::from,
    );
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;

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
        "{} · {} · {chunks} chunks · [DONE] seen: {done}",
        path.display(),
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
