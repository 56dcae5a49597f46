//! Read a whole stream into the final `ChatCompletion` with one call.
//!
//! ```text
//! cargo run --example collect
//! ```
//!
//! With `OPENAI_API_KEY` set it asks the real API (`OPENAI_BASE_URL` is
//! honoured). Without, it starts a local replay server on 127.0.0.1 that
//! answers with a recorded OpenAI stream
//! (`tests/data/fixtures/openai/gpt4o-text-usage.sse`), paced like a model,
//! and says so on stderr.
//!
//! `collect_completion()` returns a `Collected`: the folded completion (also
//! when the stream failed: then it is what arrived before the failure), how
//! the stream ended (`Ok(EndState)` or the one error), and its timing.

use std::error::Error;
use std::time::Duration;

use chatstream::types::{ChatCompletionMessage, ChatCompletionRequest};
use chatstream_tests::mock::sse_events;
use chatstream_tests::offline::client_or_replay;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    // `_replay` keeps the local server (if any) alive for the whole run.
    let (client, _replay) = client_or_replay(
        "openai/gpt4o-text-usage.sse",
        |reply| {
            // One SSE event per body piece, 10 ms apart: timing worth printing.
            let pieces = sse_events(&reply.body());
            reply.pieces(pieces).pace(Duration::from_millis(10))
        },
        "",
    )
    .await?;

    let request = ChatCompletionRequest::new(
        "gpt-4o-mini",
        vec![ChatCompletionMessage::user("Say hello in three languages.")],
    )
    .include_usage(true);
    let stream = client.create_chat_completion_stream(&request).await?;
    let collected = stream.collect_completion().await;

    println!("{}", serde_json::to_string_pretty(&collected.completion)?);
    match &collected.end {
        Ok(state) => println!("ended: {state:?}"),
        Err(error) => println!("failed ({}): {error}", error.kind()),
    }
    let timing = &collected.timing;
    let ms = |d: Option<Duration>| d.map_or("-".to_owned(), |d| format!("{} ms", d.as_millis()));
    println!(
        "timing: first token {} · {} chunks · last chunk {} · max gap {} ms",
        ms(timing.time_to_first_token()),
        timing.chunks(),
        ms(timing.time_to_last_chunk()),
        timing.max_gap().as_millis(),
    );
    // Turn a failed stream into an error (exit status 1) after printing it.
    collected.into_result()?;
    Ok(())
}
