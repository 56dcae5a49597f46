//! The demo: streams a chat completion and prints it as it arrives.
//!
//! ```text
//! cargo run -p chatstream --example chat -- "Why is the sky blue?"
//! cargo run -p chatstream --example chat -- --json "hi"    # one JSON object at the end
//! cargo run -p chatstream --example chat -- --raw "hi"     # each payload as received
//! cargo run -p chatstream --example chat -- --base-url http://127.0.0.1:8000/v1 --model my-model "hi"
//! ```
//!
//! With `OPENAI_API_KEY` or `OPENAI_BASE_URL` set, or with `--base-url`, it
//! talks to that API. With none of them it runs offline: it answers from a
//! recorded provider stream bundled with the examples (`examples/data/`: a
//! reasoning stream or a plain text one, picked by the prompt), read by the
//! client through
//! [`Client::stream_from_response`](chatstream::Client::stream_from_response)
//! with the body paced like a real model, and says so on stderr.
//!
//! Output: reasoning dimmed, the answer as it streams, tool calls as they
//! complete, then usage and timing. With `--json`, nothing is printed while
//! streaming; then the folded `chat.completion`, plus `"error": {"kind",
//! "message", "status"}` when the stream did not end cleanly (exit status 1).

mod support;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use chatstream::types::{
    Accumulator, AccumulatorEvent, ChatCompletionMessage, ChatCompletionRequest,
};
use chatstream::{ClientBuilder, Error};
use serde_json::{Value, json};
use support::Recording;

struct Args {
    prompt: String,
    base_url: Option<String>,
    model: Option<String>,
    json: bool,
    raw: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        prompt: "Why is the sky blue?".to_owned(),
        base_url: None,
        model: None,
        json: false,
        raw: false,
    };
    let mut words = Vec::new();
    let mut iter = std::env::args().skip(1);
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--json" => args.json = true,
            "--raw" => args.raw = true,
            "--base-url" => args.base_url = Some(iter.next().ok_or("--base-url needs a URL")?),
            "--model" => args.model = Some(iter.next().ok_or("--model needs a name")?),
            "-h" | "--help" => {
                return Err(
                    "usage: chat [--base-url URL] [--model M] [--json] [--raw] [PROMPT]".into(),
                );
            }
            _ => words.push(arg),
        }
    }
    if !words.is_empty() {
        args.prompt = words.join(" ");
    }
    Ok(args)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let json = args.json;
    match run(args).await {
        Ok(code) => code,
        Err(message) if json => {
            // Every outcome is one JSON object under --json, this one too.
            println!(
                "{}",
                json!({"error": {"kind": "setup", "message": message}})
            );
            ExitCode::FAILURE
        }
        Err(message) => {
            eprintln!("chat: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<ExitCode, String> {
    let env_set = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty());
    let model = args.model.as_deref().unwrap_or("gpt-4o-mini");
    let mut builder = ClientBuilder::from_env();
    let mut offline = None;
    if let Some(url) = &args.base_url {
        builder = builder.base_url(url);
    } else if !env_set("OPENAI_API_KEY") && !env_set("OPENAI_BASE_URL") {
        let recording = recording_for(&args.prompt);
        eprintln!(
            "(no OPENAI_API_KEY: answering from {}, a recorded stream bundled with the examples, paced like a model)",
            recording.name
        );
        offline = Some(recording);
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let request = ChatCompletionRequest::new(
        model,
        vec![ChatCompletionMessage::user(args.prompt.as_str())],
    )
    .include_usage(true);

    let opened = match offline {
        // Offline: the client reads the recording exactly as it reads an
        // answer from the API; nothing is sent.
        Some(recording) => client.stream_from_response(recording.response()).await,
        None => client.create_chat_completion_stream(&request).await,
    };
    let mut stream = match opened {
        Ok(stream) => stream,
        Err(error) => return Ok(report_failure(&args, None, &Failure::of(&error))),
    };
    let mut accumulator = Accumulator::new();
    let mut out = std::io::stdout().lock();
    let dim = std::io::stdout().is_terminal();
    let mut in_reasoning = false;
    let mut failure = None;
    while let Some(item) = stream.next().await {
        let chunk = match item {
            Ok(chunk) => chunk,
            Err(error) => {
                failure = Some(Failure::of(&error));
                break;
            }
        };
        if args.raw {
            if let Some(payload) = stream.last_payload() {
                let _ = writeln!(out, "{}", String::from_utf8_lossy(payload));
            }
        }
        let pushed = accumulator.push_with(&chunk, |event| {
            if args.json || args.raw {
                return;
            }
            render(&mut out, event, dim, &mut in_reasoning);
        });
        if let Err(error) = pushed {
            // A stream past the accumulator's limits: reported like any
            // other failure, with what was folded so far.
            failure = Some(Failure {
                kind: "limit",
                message: error.to_string(),
                status: None,
                request_id: stream.request_id().map(str::to_owned),
            });
            break;
        }
        let _ = out.flush();
    }
    let completion = accumulator.finish();
    if let Some(error) = failure {
        if !args.json {
            let _ = writeln!(out);
        }
        return Ok(report_failure(&args, Some(&completion), &error));
    }
    if args.json {
        let json = serde_json::to_string(&completion).map_err(|e| e.to_string())?;
        let _ = writeln!(out, "{json}");
        return Ok(ExitCode::SUCCESS);
    }
    let timing = stream.timing();
    let _ = writeln!(out);
    if let Some(usage) = &completion.usage {
        let _ = writeln!(
            out,
            "\n[usage] prompt {} + completion {} = {} tokens",
            usage.prompt_tokens, usage.completion_tokens, usage.total_tokens
        );
    }
    let ms = |d: Option<Duration>| d.map_or("-".to_owned(), |d| format!("{} ms", d.as_millis()));
    let _ = writeln!(
        out,
        "[timing] first token {} · {} chunks · {} · longest gap {} ms · ended: {:?}",
        ms(timing.time_to_first_token()),
        timing.chunks(),
        timing
            .chunks_per_second()
            .map_or("-".to_owned(), |rate| format!("{rate:.0} chunks/s")),
        timing.max_gap().as_millis(),
        stream.end_state(),
    );
    Ok(ExitCode::SUCCESS)
}

fn render(out: &mut impl Write, event: AccumulatorEvent<'_>, dim: bool, in_reasoning: &mut bool) {
    let (start, end) = if dim {
        ("\x1b[2m", "\x1b[0m")
    } else {
        ("", "")
    };
    let _ = match event {
        AccumulatorEvent::ReasoningDelta { delta, .. } => {
            *in_reasoning = true;
            write!(out, "{start}{delta}{end}")
        }
        AccumulatorEvent::ContentDelta { delta, .. } => {
            if std::mem::take(in_reasoning) {
                let _ = write!(out, "\n\n");
            }
            write!(out, "{delta}")
        }
        AccumulatorEvent::RefusalDelta { delta, .. } => write!(out, "[refusal] {delta}"),
        AccumulatorEvent::ToolCallArgumentsDone {
            name, arguments, ..
        } => {
            writeln!(out, "\n→ tool call {name}({arguments})")
        }
        _ => Ok(()),
    };
}

/// Why a stream did not end cleanly, as the demo reports it.
struct Failure {
    /// [`chatstream::ErrorKind::as_str`] of the client's error, or `limit` for a stream
    /// past the accumulator's limits.
    kind: &'static str,
    message: String,
    status: Option<u16>,
    request_id: Option<String>,
}

impl Failure {
    fn of(error: &Error) -> Self {
        Failure {
            kind: error.kind().as_str(),
            message: error.to_string(),
            status: error.status().map(|status| status.as_u16()),
            request_id: error.request_id().map(str::to_owned),
        }
    }
}

/// Reports a stream that did not end cleanly; returns the exit status.
fn report_failure(
    args: &Args,
    completion: Option<&chatstream::types::ChatCompletion>,
    failure: &Failure,
) -> ExitCode {
    if args.json {
        let mut value = completion
            .and_then(|c| serde_json::to_value(c).ok())
            .unwrap_or_else(|| json!({}));
        if let Value::Object(map) = &mut value {
            map.insert(
                "error".to_owned(),
                json!({
                    "kind": failure.kind,
                    "message": failure.message,
                    "status": failure.status,
                    "request_id": failure.request_id,
                }),
            );
        }
        println!("{value}");
    } else {
        eprintln!("error ({}): {}", failure.kind, failure.message);
        if let Some(id) = &failure.request_id {
            eprintln!("request id: {id}");
        }
    }
    ExitCode::FAILURE
}

/// The recording the offline demo answers `prompt` with: the reasoning
/// stream or the plain text one, the same for the same prompt.
fn recording_for(prompt: &str) -> &'static Recording {
    // FNV-1a: a stable hash, so a prompt always gets the same answer.
    let hash = prompt
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    if hash % 2 == 0 {
        &support::REASONING
    } else {
        &support::TEXT
    }
}
