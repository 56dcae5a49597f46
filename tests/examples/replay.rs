//! The demo: replays a captured provider stream through the SSE decoder and
//! the accumulator, printing the answer as it arrives, then the folded result.
//!
//! ```text
//! cargo run -p chatstream-tests --example replay                 # a DeepSeek reasoning stream
//! cargo run -p chatstream-tests --example replay -- --list       # the captured streams
//! cargo run -p chatstream-tests --example replay -- openai/gpt4o-parallel-tool-calls.sse
//! cargo run -p chatstream-tests --example replay -- --fast FILE  # no pacing
//! ```
//!
//! The bytes are fed in small uneven pieces with a short pause between them,
//! the way a network delivers a stream, so the output shows what a UI would
//! render from the accumulator's events. Everything runs offline from the
//! captures under `tests/data/fixtures`.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use chatstream_sse::Decoder;
use chatstream_tests::{data_dir, sse_files};
use chatstream_types::{Accumulator, AccumulatorEvent, ChunkParser, StreamPayload};

const DEFAULT: &str = "deepseek/reasoner-reasoning-content.sse";

fn main() -> ExitCode {
    let mut fast = false;
    let mut file = DEFAULT.to_owned();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--fast" => fast = true,
            "--list" => {
                for file in sse_files(&data_dir().join("fixtures")) {
                    println!("{}", file.display());
                }
                return ExitCode::SUCCESS;
            }
            other => file = other.to_owned(),
        }
    }
    match replay(&file, fast) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("replay: {message}");
            ExitCode::FAILURE
        }
    }
}

fn replay(file: &str, fast: bool) -> Result<(), String> {
    let path = data_dir().join("fixtures").join(file);
    let body = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("replaying {file} ({} bytes)\n", body.len());

    let mut decoder = Decoder::new();
    let mut parser = ChunkParser::new();
    let mut accumulator = Accumulator::new();
    let mut out = std::io::stdout().lock();
    let mut section = "";
    let mut ended = None;
    let mut rest = &body[..];
    let mut step = 0usize;
    'feed: while !rest.is_empty() {
        // Uneven pieces, 1 to 97 bytes: events straddle them all the time.
        step += 1;
        let size = (step * 37 % 97 + 1).min(rest.len());
        let (piece, tail) = rest.split_at(size);
        rest = tail;
        decoder.feed(piece.to_vec());
        while let Some(event) = decoder.next_event().map_err(|e| e.to_string())? {
            let payload = if event.event_type() == "error" {
                StreamPayload::Error(parser.parse_error_event(event.data_bytes()))
            } else {
                parser
                    .parse_payload(event.data_bytes())
                    .map_err(|e| e.to_string())?
            };
            match payload {
                StreamPayload::Done => {
                    ended = Some("[DONE]".to_owned());
                    break 'feed;
                }
                StreamPayload::Error(error) => {
                    ended = Some(format!("API error: {error}"));
                    break 'feed;
                }
                StreamPayload::Chunk(chunk) => {
                    accumulator
                        .push_with(&chunk, |event| render(&mut out, &mut section, event))
                        .map_err(|e| e.to_string())?;
                }
            }
        }
        let _ = out.flush();
        if !fast {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let ended = ended.unwrap_or_else(|| {
        if accumulator.all_choices_finished() {
            "body ended after every choice finished (no [DONE])".to_owned()
        } else {
            "TRUNCATED: body ended with a choice unfinished".to_owned()
        }
    });
    let chunks = accumulator.chunk_count();
    let completion = accumulator.finish();
    println!("\n\n--- {chunks} chunks, end: {ended}");
    let json = serde_json::to_string_pretty(&completion).map_err(|e| e.to_string())?;
    let shown: String = json.lines().take(40).collect::<Vec<_>>().join("\n");
    println!("--- folded chat.completion (first 40 lines):\n{shown}");
    Ok(())
}

fn render(out: &mut impl Write, section: &mut &'static str, event: AccumulatorEvent<'_>) {
    let mut enter = |out: &mut dyn Write, name: &'static str| {
        if *section != name {
            let _ = write!(out, "\n[{name}] ");
            *section = name;
        }
    };
    let _ = match event {
        AccumulatorEvent::ReasoningDelta { delta, .. } => {
            enter(out, "reasoning");
            write!(out, "{delta}")
        }
        AccumulatorEvent::ContentDelta { delta, .. } => {
            enter(out, "answer");
            write!(out, "{delta}")
        }
        AccumulatorEvent::RefusalDelta { delta, .. } => {
            enter(out, "refusal");
            write!(out, "{delta}")
        }
        AccumulatorEvent::ToolCallArgumentsDone {
            name, arguments, ..
        } => {
            enter(out, "tool call");
            write!(out, "{name}({arguments}) ")
        }
        AccumulatorEvent::ChoiceFinished {
            choice,
            finish_reason,
        } => write!(out, "\n[choice {choice} finished: {finish_reason}]"),
        _ => Ok(()),
    };
}
