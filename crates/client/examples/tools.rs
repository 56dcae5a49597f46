//! Function calling: a `get_weather` tool, each call printed when it completes.
//!
//! ```text
//! cargo run -p chatstream --example tools
//! ```
//!
//! With `OPENAI_API_KEY` set it asks the real API (`OPENAI_BASE_URL` is
//! honoured). Without, it runs offline and says so on stderr: the client
//! reads a recorded OpenAI stream making two parallel tool calls
//! (`examples/data/openai-gpt4o-parallel-tool-calls.sse`, through
//! [`Client::stream_from_response`](chatstream::Client::stream_from_response));
//! that recording was made with other tools (`GetWeatherArgs`,
//! `get_stock_price`), so those are the calls printed.
//!
//! The arguments of a tool call arrive in fragments; `collect_completion_with`
//! folds them and reports `AccumulatorEvent::ToolCallArgumentsDone` once a
//! call is whole, which is when its arguments can be parsed as JSON.

mod support;

use std::error::Error;

use chatstream::ClientBuilder;
use chatstream::types::{
    AccumulatorEvent, ChatCompletionMessage, ChatCompletionRequest, Tool, ToolChoice,
};
use serde_json::{Value, json};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let offline = support::offline(&support::TOOL_CALLS, "; it was recorded with other tools");
    let client = ClientBuilder::from_env().build()?;

    let get_weather = Tool::function(
        "get_weather",
        json!({
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "City and country, e.g. Paris, France"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
            },
            "required": ["location"]
        }),
    )
    .description("Get the current weather in a given location");
    let request = ChatCompletionRequest::new(
        "gpt-4o-mini",
        vec![ChatCompletionMessage::user(
            "What is the weather like in Paris and in Tokyo?",
        )],
    )
    .tool(get_weather)
    .tool_choice(ToolChoice::Auto);

    let stream = match offline {
        // Offline: the client reads the recording as it reads the API's answer.
        Some(recording) => client.stream_from_response(recording.response()).await?,
        None => client.create_chat_completion_stream(&request).await?,
    };
    let collected = stream
        .collect_completion_with(|event| {
            if let AccumulatorEvent::ToolCallArgumentsDone {
                index,
                id,
                name,
                arguments,
                ..
            } = event
            {
                println!("tool call #{index} complete: {name} (id {id}) {arguments}");
            }
        })
        .await;
    let completion = collected.into_result()?;

    // The folded message holds every call; parse each one's arguments.
    for choice in &completion.choices {
        for call in choice.message.tool_calls.iter().flatten() {
            // A function call (a custom tool's call carries free text instead).
            let Some(function) = &call.function else {
                continue;
            };
            let args: Value = serde_json::from_str(&function.arguments)?;
            let fields: Vec<String> = match &args {
                Value::Object(map) => map.iter().map(|(k, v)| format!("{k} = {v}")).collect(),
                other => vec![other.to_string()],
            };
            println!("→ {}({})", function.name, fields.join(", "));
        }
        println!("finish_reason: {:?}", choice.finish_reason);
    }
    Ok(())
}
