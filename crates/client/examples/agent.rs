//! An agent loop: the model calls a tool, the program runs it and sends the
//! result back, the model answers.
//!
//! ```text
//! cargo run --example agent
//! cargo run --example agent -- --model gpt-4.1-mini
//! ```
//!
//! Each turn streams a request that offers one tool, `get_weather(city)`,
//! and folds the stream with `collect_completion_with`, printing the typed
//! events as they arrive: the answer's text piece by piece
//! (`AccumulatorEvent::ContentDelta`) and each tool call once its arguments
//! are whole (`AccumulatorEvent::ToolCallArgumentsDone`). When the folded
//! message calls tools, the program runs each one locally (`get_weather`
//! makes its weather up), appends the assistant message **unchanged** and
//! one `tool` message per call (`ChatCompletionMessage::tool`) to the
//! request's `messages`, and streams the next request. It stops when the
//! model answers without calling a tool, or fails after five turns.
//!
//! # Why the folded message goes back unchanged
//!
//! The fold keeps everything the provider streamed, the fields this crate
//! names and the others, on the message it builds. Some of those must come
//! back in the next request: Gemini's OpenAI-compatible endpoint puts a
//! thought signature on a tool call (`extra_content.google.thought_signature`)
//! and refuses the next request (400) when that call comes back without it;
//! OpenRouter asks for a reasoning model's `reasoning_details` back as they
//! came, so that the model goes on from its own reasoning. A message rebuilt
//! from each call's name and arguments loses them. Pushing the folded
//! `ChatCompletionMessage` as it is keeps them all, without the program
//! knowing about any.
//!
//! # Live and offline
//!
//! With `OPENAI_API_KEY` set it asks the real API (`OPENAI_BASE_URL` is
//! honoured; the model is `gpt-4o-mini` unless `--model` names another).
//! Without, it runs offline and says so on stderr: the client reads one
//! bundled stream per request, through
//! [`Client::stream_from_response`](chatstream::Client::stream_from_response):
//! `examples/data/agent-turn1-tool-call.sse` (a `get_weather` call for
//! Paris), then `examples/data/agent-turn2-answer.sse` (the answer in text).
//! Both are synthetic: written for this example in OpenAI's streaming format
//! (`examples/data/PROVENANCE.md`). Offline, the program also prints the
//! second request's `messages` as JSON on stderr, so that you can see the
//! folded message going back, and checks that the first turn's call is
//! answered there by its id (`tool_call_id`).

mod support;

use std::error::Error;
use std::io::Write;

use chatstream::ClientBuilder;
use chatstream::types::{
    AccumulatorEvent, ChatCompletionMessage, ChatCompletionRequest, Tool, ToolCall, ToolChoice,
};
use serde_json::{Value, json};

/// The model asked when `--model` names none.
const DEFAULT_MODEL: &str = "gpt-4o-mini";
/// Requests sent at most before giving up on an answer.
const MAX_TURNS: usize = 5;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let model = parse_args()?;
    let replay = support::offline_turns(&[support::AGENT_TOOL_CALL, support::AGENT_ANSWER], "");
    let client = ClientBuilder::from_env().build()?;

    let mut request = ChatCompletionRequest::new(
        model,
        vec![ChatCompletionMessage::user(
            "What's the weather like in Paris right now? Do I need an umbrella?",
        )],
    )
    .tool(weather_tool())
    .tool_choice(ToolChoice::Auto)
    .include_usage(true);
    // The ids of the calls the last turn made, answered in `request.messages`.
    let mut answered: Vec<String> = Vec::new();

    for turn in 1..=MAX_TURNS {
        println!("── turn {turn} ──");
        let stream = match replay {
            Some(recordings) => {
                let recording = recordings.get(turn - 1).ok_or(
                    "the bundled streams end here: the model went on calling tools after them",
                )?;
                if turn == 2 {
                    show_second_request(&request.messages, &answered)?;
                }
                // Offline: the client reads the recording as it reads the
                // API's answer.
                client.stream_from_response(recording.response()).await?
            }
            None => client.create_chat_completion_stream(&request).await?,
        };

        let mut text_printed = false;
        let collected = stream
            .collect_completion_with(|event| match event {
                AccumulatorEvent::ContentDelta {
                    choice: 0, delta, ..
                } => {
                    print!("{delta}");
                    // Shown as it arrives; a failed flush only delays it.
                    let _ = std::io::stdout().flush();
                    text_printed = true;
                }
                AccumulatorEvent::ToolCallArgumentsDone {
                    choice: 0,
                    id,
                    name,
                    arguments,
                    ..
                } => println!("→ {name}({arguments})  [call {id}]"),
                _ => {}
            })
            .await;
        if text_printed {
            println!();
        }
        let completion = collected.into_result()?;
        if let Some(usage) = &completion.usage {
            println!(
                "  ({} prompt tokens, {} completion tokens)",
                usage.prompt_tokens, usage.completion_tokens
            );
        }
        let choice = completion
            .choices
            .into_iter()
            .find(|choice| choice.index == 0)
            .ok_or("the answer has no choice 0")?;

        // Run every call the model made; each result becomes a `tool`
        // message that names its call.
        let results: Vec<ChatCompletionMessage> = choice
            .message
            .tool_calls
            .iter()
            .flatten()
            .map(|call| {
                let result = run_tool(call);
                println!("← {}: {result}", call.name());
                ChatCompletionMessage::tool(call.id.clone(), result)
            })
            .collect();
        if results.is_empty() {
            println!("(finish_reason: {:?})", choice.finish_reason);
            return Ok(());
        }
        answered = results
            .iter()
            .filter_map(|result| result.tool_call_id.clone())
            .collect();
        // The folded message, unchanged: whatever the provider attached to
        // it or to its calls goes back with it.
        request.messages.push(choice.message);
        request.messages.extend(results);
    }
    Err(format!("no answer after {MAX_TURNS} turns").into())
}

/// `--model NAME`, else [`DEFAULT_MODEL`].
fn parse_args() -> Result<String, String> {
    let mut model = DEFAULT_MODEL.to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--model" => model = args.next().ok_or("--model needs a name")?,
            "-h" | "--help" => return Err("usage: agent [--model NAME]".to_owned()),
            other => {
                return Err(format!(
                    "unknown argument `{other}`; usage: agent [--model NAME]"
                ));
            }
        }
    }
    Ok(model)
}

/// The tool the model is offered.
fn weather_tool() -> Tool {
    Tool::function(
        "get_weather",
        json!({
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city, e.g. Paris"}
            },
            "required": ["city"]
        }),
    )
    .description("Get the current weather in a city")
}

/// Runs one call locally and returns what goes back to the model. The name
/// and the arguments come from the model: a call this program cannot run
/// gets an error object as its result, which the model can read and act on.
fn run_tool(call: &ToolCall) -> String {
    let Some(function) = &call.function else {
        return json!({"error": format!("`{}` is not a function tool", call.name())}).to_string();
    };
    if function.name != "get_weather" {
        return json!({"error": format!("there is no tool named `{}`", function.name)}).to_string();
    }
    let arguments: Value = match serde_json::from_str(&function.arguments) {
        Ok(arguments) => arguments,
        Err(error) => {
            return json!({"error": format!("the arguments are not JSON: {error}")}).to_string();
        }
    };
    match arguments.get("city").and_then(Value::as_str) {
        Some(city) => get_weather(city).to_string(),
        None => json!({"error": "`city` must be a string"}).to_string(),
    }
}

/// The tool itself: made-up weather, the same for every city.
fn get_weather(city: &str) -> Value {
    json!({
        "city": city,
        "temperature_c": 18,
        "conditions": "light rain",
        "humidity_percent": 82
    })
}

/// Offline: prints the second request's `messages` on stderr, and fails
/// unless each call of the first turn is in them, made by the assistant
/// message and answered by a `tool` message with its id.
fn show_second_request(
    messages: &[ChatCompletionMessage],
    call_ids: &[String],
) -> Result<(), Box<dyn Error>> {
    eprintln!(
        "(the second request's messages, as the client sends them:)\n{}",
        serde_json::to_string_pretty(messages)?
    );
    let sent = serde_json::to_value(messages)?;
    let messages = sent.as_array().map(Vec::as_slice).unwrap_or_default();
    for id in call_ids {
        let called = messages.iter().any(|message| {
            message["role"] == "assistant"
                && message["tool_calls"]
                    .as_array()
                    .is_some_and(|calls| calls.iter().any(|call| call["id"] == id.as_str()))
        });
        let answered = messages
            .iter()
            .any(|message| message["role"] == "tool" && message["tool_call_id"] == id.as_str());
        if !(called && answered) {
            return Err(format!(
                "the second request does not carry call {id} of the first turn \
                 (made: {called}, answered: {answered})"
            )
            .into());
        }
    }
    if call_ids.is_empty() {
        return Err("the first turn made no call to send back".into());
    }
    Ok(())
}
