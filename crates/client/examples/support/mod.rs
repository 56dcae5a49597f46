//! What the examples share to run offline: a few streams bundled in
//! `examples/data/` (recorded from real providers, except the two synthetic
//! ones of the agent example), and a response body that hands one out the way
//! a network delivers a model's answer.
//!
//! Offline, an example builds an [`http::Response`] from a [`Recording`] and
//! gives it to [`chatstream::Client::stream_from_response`]: the client reads
//! it exactly as it reads the API's answer (same end states, limits, idle
//! timeout). Nothing is sent anywhere.
//!
//! Not every example uses every item here.
#![allow(dead_code)]

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use hyper::body::{Body, Frame};

/// A response body bundled with the examples: recorded from a real provider,
/// or written for the examples in a provider's format when `synthetic` (see
/// `examples/data/PROVENANCE.md`).
#[derive(Clone, Copy, Debug)]
pub struct Recording {
    /// The file name under `examples/data/`.
    pub name: &'static str,
    /// The body, byte for byte.
    pub body: &'static [u8],
    /// Written for the examples, not recorded.
    pub synthetic: bool,
}

/// A plain text answer from the OpenAI API, with a usage chunk.
pub const TEXT: Recording = Recording {
    name: "openai-gpt4o-text-usage.sse",
    body: include_bytes!("../data/openai-gpt4o-text-usage.sse"),
    synthetic: false,
};

/// An answer with its reasoning first, from Claude through OpenRouter (with
/// OpenRouter's `: OPENROUTER PROCESSING` comment lines).
pub const REASONING: Recording = Recording {
    name: "openrouter-reasoning-claude-sonnet.sse",
    body: include_bytes!("../data/openrouter-reasoning-claude-sonnet.sse"),
    synthetic: false,
};

/// Two parallel tool calls from the OpenAI API, their arguments in fragments.
pub const TOOL_CALLS: Recording = Recording {
    name: "openai-gpt4o-parallel-tool-calls.sse",
    body: include_bytes!("../data/openai-gpt4o-parallel-tool-calls.sse"),
    synthetic: false,
};

/// Azure OpenAI: a prompt-filter chunk first, content filter results on
/// every choice.
pub const AZURE: Recording = Recording {
    name: "azure-model-router-prompt-filter.sse",
    body: include_bytes!("../data/azure-model-router-prompt-filter.sse"),
    synthetic: false,
};

/// The agent example's first turn: one `get_weather` call, its arguments in
/// fragments, in OpenAI's streaming format (synthetic).
pub const AGENT_TOOL_CALL: Recording = Recording {
    name: "agent-turn1-tool-call.sse",
    body: include_bytes!("../data/agent-turn1-tool-call.sse"),
    synthetic: true,
};

/// The agent example's second turn: the answer in text, once the tool's
/// result is back, in OpenAI's streaming format (synthetic).
pub const AGENT_ANSWER: Recording = Recording {
    name: "agent-turn2-answer.sse",
    body: include_bytes!("../data/agent-turn2-answer.sse"),
    synthetic: true,
};

/// The pause before each event of a replayed stream.
const PACE: Duration = Duration::from_millis(15);

impl Recording {
    /// What it is, for the offline notices.
    fn describe(&self) -> &'static str {
        if self.synthetic {
            "a synthetic stream in OpenAI's format, bundled with the examples"
        } else {
            "a recorded stream bundled with the examples"
        }
    }

    /// A `200 text/event-stream` response with this recording as its body,
    /// one event at a time, paced like a model.
    pub fn response(&self) -> http::Response<Paced> {
        let mut response = http::Response::new(Paced::new(Bytes::from_static(self.body)));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        response
    }
}

/// Whether the examples talk to the API: `OPENAI_API_KEY` is set (and not
/// empty). `ClientBuilder::from_env` then also reads `OPENAI_BASE_URL`.
pub fn live() -> bool {
    std::env::var("OPENAI_API_KEY").is_ok_and(|key| !key.is_empty())
}

/// `None` when [`live`]; otherwise `recording`, after saying on standard
/// error that it is replayed (with `note` appended).
pub fn offline(recording: &'static Recording, note: &str) -> Option<&'static Recording> {
    if live() {
        return None;
    }
    eprintln!(
        "(no OPENAI_API_KEY: replaying {}, {}{note})",
        recording.name,
        recording.describe()
    );
    Some(recording)
}

/// `None` when [`live`]; otherwise `recordings`, one per request in turn,
/// after saying on standard error that they are replayed (with `note`
/// appended).
pub fn offline_turns(recordings: &'static [Recording], note: &str) -> Option<&'static [Recording]> {
    if live() {
        return None;
    }
    let names: Vec<String> = recordings
        .iter()
        .map(|recording| {
            if recording.synthetic {
                format!("{} (synthetic, in OpenAI's format)", recording.name)
            } else {
                format!("{} (recorded)", recording.name)
            }
        })
        .collect();
    eprintln!(
        "(no OPENAI_API_KEY: replaying one stream bundled with the examples per request: {}{note})",
        names.join(", then ")
    );
    Some(recordings)
}

/// A response body that yields its bytes one Server-Sent Event at a time
/// (each piece ends after a blank line, `\n\n`: the recordings here end their
/// lines with `\n`), with a short pause before each, the way a model's answer
/// arrives.
pub struct Paced {
    rest: Bytes,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Paced {
    /// `body`, paced.
    pub fn new(body: Bytes) -> Self {
        Paced {
            rest: body,
            pause: None,
        }
    }
}

impl Body for Paced {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.rest.is_empty() {
            return Poll::Ready(None);
        }
        let pause = this
            .pause
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(PACE)));
        ready!(pause.as_mut().poll(cx));
        this.pause = None;
        let end = this
            .rest
            .windows(2)
            .position(|pair| pair == b"\n\n")
            .map_or(this.rest.len(), |at| at + 2);
        Poll::Ready(Some(Ok(Frame::data(this.rest.split_to(end)))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty()
    }
}
