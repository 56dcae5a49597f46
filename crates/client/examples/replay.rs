//! Bring your own HTTP stack: a recorded stream read through
//! [`chatstream::ChunkStream`], which takes any stream of byte buffers. No
//! hyper, no tokio: this example builds with the crate's default features
//! off.
//!
//! ```text
//! cargo run -p chatstream --no-default-features --example replay            # a bundled reasoning stream
//! cargo run -p chatstream --no-default-features --example replay -- FILE.sse  # any recorded stream
//! cargo run -p chatstream --no-default-features --example replay -- --fast FILE.sse  # no pacing
//! ```
//!
//! The default stream is `examples/data/openrouter-reasoning-claude-sonnet.sse`
//! (Claude through OpenRouter: reasoning, then the answer). The body is handed
//! to `ChunkStream` in small uneven pieces with a short pause between them, the
//! way a network delivers it, so events straddle the pieces; the output shows
//! what a UI would render from the accumulator's events, then how the stream
//! ended and the folded `chat.completion`.
//!
//! Here the byte stream is a file. Over HTTP it is the response body: with
//! reqwest (its `stream` feature) that is
//! `ChunkStream::new(Box::pin(response.bytes_stream()))` — the same loop, with
//! the runtime you already have instead of the little `block_on` below.

use std::convert::Infallible;
use std::error::Error;
use std::future::Future;
use std::io::Write;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use chatstream::ChunkStream;
use chatstream::types::{Accumulator, AccumulatorEvent};
use futures_core::Stream;

/// The stream replayed when no file is named.
const DEFAULT: &[u8] = include_bytes!("data/openrouter-reasoning-claude-sonnet.sse");

fn main() -> Result<(), Box<dyn Error>> {
    let mut pause = Duration::from_millis(2);
    let mut file = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--fast" => pause = Duration::ZERO,
            "-h" | "--help" => return Err("usage: replay [--fast] [FILE.sse]".into()),
            _ => file = Some(arg),
        }
    }
    let (name, body) = match file {
        Some(path) => {
            let body = std::fs::read(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
            (path, Bytes::from(body))
        }
        None => (
            "openrouter-reasoning-claude-sonnet.sse (bundled)".to_owned(),
            Bytes::from_static(DEFAULT),
        ),
    };
    println!("replaying {name} ({} bytes)", body.len());
    block_on(replay(Pieces::new(body, pause)))
}

/// Reads the stream chunk by chunk and folds it, rendering as it goes.
async fn replay(body: Pieces) -> Result<(), Box<dyn Error>> {
    let mut chunks = ChunkStream::new(body);
    let mut accumulator = Accumulator::new();
    let mut out = std::io::stdout().lock();
    let mut section = "";
    let mut failure = None;
    while let Some(item) = chunks.next().await {
        match item {
            Ok(chunk) => {
                accumulator.push_with(&chunk, |event| render(&mut out, &mut section, event))?;
                out.flush()?;
            }
            // The stream's one error (an error object from the server, a body
            // cut off mid-answer, …); what was folded before it is kept.
            Err(error) => failure = Some(error),
        }
    }
    let ended = match (&failure, chunks.end_state()) {
        (Some(error), _) => format!("failed ({}): {error}", error.kind()),
        (None, Some(state)) => format!("{state:?}"),
        (None, None) => "unknown".to_owned(),
    };
    let count = accumulator.chunk_count();
    let completion = accumulator.finish();
    println!("\n\n--- {count} chunks, end: {ended}");
    let json = serde_json::to_string_pretty(&completion)?;
    let shown: Vec<&str> = json.lines().take(40).collect();
    println!(
        "--- folded chat.completion (first 40 lines):\n{}",
        shown.join("\n")
    );
    Ok(())
}

/// Prints each change to the answer as it arrives, under a heading for each
/// part (reasoning, answer, refusal, tool call).
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

/// A recorded body as a byte stream: pieces of 1 to 97 bytes, uneven so that
/// lines and events straddle them, each after a short pause.
struct Pieces {
    rest: Bytes,
    step: usize,
    pause: Duration,
}

impl Pieces {
    fn new(body: Bytes, pause: Duration) -> Self {
        Pieces {
            rest: body,
            step: 0,
            pause,
        }
    }
}

impl Stream for Pieces {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.rest.is_empty() {
            return Poll::Ready(None);
        }
        // The pause stands in for the network. A blocking sleep is fine here:
        // nothing else runs on this thread (an async body would return
        // `Poll::Pending` and wake the task later instead).
        std::thread::sleep(this.pause);
        this.step += 1;
        let size = (this.step * 37 % 97 + 1).min(this.rest.len());
        Poll::Ready(Some(Ok(this.rest.split_to(size))))
    }
}

/// Runs `future` to completion on this thread. Enough for a body that is
/// always ready, like this one; a network body needs a real executor (tokio,
/// smol, `futures::executor`), since its `Pending` must wait for a wake-up.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}
