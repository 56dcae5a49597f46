//! Read a whole stream into the final `ChatCompletion` with one call.
//!
//! ```text
//! cargo run -p chatstream --example collect
//! ```
//!
//! With `OPENAI_API_KEY` set it asks the real API (`OPENAI_BASE_URL` is
//! honoured). Without, it runs offline and says so on stderr: the client
//! reads a recorded OpenAI stream (`examples/data/openai-gpt4o-text-usage.sse`,
//! through [`Client::stream_from_response`](chatstream::Client::stream_from_response)),
//! paced like a model, so the timing is worth printing.
//!
//! `collect_completion()` returns a `Collected`: the folded completion (also
//! when the stream failed: then it is what arrived before the failure), how
//! the stream ended (`Ok(EndState)` or the one error), and its timing.

mod support;

use std::error::Error;
use std::time::Duration;

use chatstream::ClientBuilder;
use chatstream::types::{ChatCompletionMessage, ChatCompletionRequest};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let offline = support::offline(&support::TEXT, "");
    let client = ClientBuilder::from_env().build()?;

    let request = ChatCompletionRequest::new(
        "gpt-4o-mini",
        vec![ChatCompletionMessage::user("Say hello in three languages.")],
    )
    .include_usage(true);
    let stream = match offline {
        // Offline: the client reads the recording as it reads the API's answer.
        Some(recording) => client.stream_from_response(recording.response()).await?,
        None => client.create_chat_completion_stream(&request).await?,
    };
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
