//! Replaying captured provider streams: for the corpus tests, which point a
//! real client at the mock and expect what a provider sent, paced like a
//! model.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde_json::json;

use super::handler::Handler;
use super::reply::Reply;
use super::request::RecordedRequest;

/// The pause between replayed events unless [`ReplayHandler::pace`] says
/// otherwise.
const DEFAULT_PACE: Duration = Duration::from_millis(15);

/// The request header that picks a replayed stream by file name.
pub const FIXTURE_HEADER: &str = "x-mock-fixture";

/// A captured `.sse` file as a 200 `text/event-stream` reply, bytes verbatim
/// and in one piece (re-cut it with [`Reply::pieces`], [`Reply::split_every`]
/// …, or use [`sse_events`]).
pub fn fixture_reply(path: &Path) -> io::Result<Reply> {
    Ok(Reply::sse(std::fs::read(path)?))
}

/// Cuts an SSE body into its events: each piece ends after a blank line
/// (`\n\n`, `\r\n\r\n` or `\r\r`); trailing bytes without one make the last
/// piece. Joined again, the pieces are `body`.
pub fn sse_events(body: &Bytes) -> Vec<Bytes> {
    let mut events = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < body.len() {
        let rest = &body[i..];
        let blank = if rest.starts_with(b"\r\n\r\n") {
            4
        } else if rest.starts_with(b"\n\n") || rest.starts_with(b"\r\r") {
            2
        } else {
            0
        };
        if blank > 0 {
            i += blank;
            events.push(body.slice(start..i));
            start = i;
        } else {
            i += 1;
        }
    }
    if start < body.len() {
        events.push(body.slice(start..));
    }
    events
}

/// One captured stream, cut into events (or why it could not be read).
#[derive(Debug)]
struct Capture {
    path: PathBuf,
    events: Result<Vec<Bytes>, String>,
}

impl Capture {
    fn read(path: PathBuf) -> Self {
        let events = std::fs::read(&path)
            .map(|body| sse_events(&Bytes::from(body)))
            .map_err(|error| format!("mock: cannot read {}: {error}", path.display()));
        Capture { path, events }
    }
}

/// A [`Handler`] replaying captured streams like an OpenAI-compatible server:
///
/// - `POST …/chat/completions` with `"stream": true` gets one of the captures,
///   one SSE event per piece, [`pace`](Self::pace) apart (15 ms by default),
///   with `x-mock-fixture: <file name>`. The capture is the one whose path
///   ends with the request's `x-mock-fixture` header when it has one (e.g.
///   `openai/gpt4o-parallel-tool-calls.sse`); otherwise it is chosen by a hash
///   of the last user message, so the same prompt replays the same stream
///   (with no user message, requests take the captures in turn).
/// - Without `"stream": true` it answers 400, with an OpenAI error object.
/// - `GET …/models` lists one model, `replay`.
/// - Anything else is a 404 error object.
///
/// Every answer carries `x-request-id: req_replay_<n>`, `n` counting requests
/// from 1.
#[derive(Debug)]
pub struct ReplayHandler {
    captures: Vec<Capture>,
    pace: Duration,
    served: AtomicUsize,
}

impl ReplayHandler {
    /// Reads the captures in `files`. A file that cannot be read is answered,
    /// when chosen, with a 500 error object naming it; with no files every
    /// chat request gets a 404. [`try_new`](Self::try_new) fails instead.
    pub fn new(files: Vec<PathBuf>) -> Self {
        ReplayHandler {
            captures: files.into_iter().map(Capture::read).collect(),
            pace: DEFAULT_PACE,
            served: AtomicUsize::new(0),
        }
    }

    /// Like [`new`](Self::new), but fails on an unreadable file or an empty
    /// list.
    pub fn try_new(files: Vec<PathBuf>) -> io::Result<Self> {
        if files.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "ReplayHandler needs at least one capture",
            ));
        }
        let handler = ReplayHandler::new(files);
        if let Some(Err(error)) = handler
            .captures
            .iter()
            .map(|c| &c.events)
            .find(|e| e.is_err())
        {
            return Err(io::Error::new(io::ErrorKind::NotFound, error.clone()));
        }
        Ok(handler)
    }

    /// The pause between events (zero replays at full speed).
    pub fn pace(mut self, pace: Duration) -> Self {
        self.pace = pace;
        self
    }

    /// The capture a chat request gets.
    fn choose(&self, request: &RecordedRequest, number: usize) -> Option<&Capture> {
        if let Some(wanted) = request.header(FIXTURE_HEADER) {
            return self.captures.iter().find(|c| c.path.ends_with(wanted));
        }
        let count = self.captures.len().max(1);
        let index = match request.last_user_text() {
            Some(text) => {
                usize::try_from(fnv1a(text.as_bytes()) % count as u64).unwrap_or_default()
            }
            None => number % count,
        };
        self.captures.get(index)
    }
}

impl Handler for ReplayHandler {
    fn reply(&self, request: &RecordedRequest) -> Reply {
        let number = self.served.fetch_add(1, Ordering::SeqCst) + 1;
        let request_id = format!("req_replay_{number}");
        let path = request.path_only();
        let reply = if request.method == "GET" && path.ends_with("/models") {
            Reply::json(
                200,
                json!({"object": "list", "data": [{
                    "id": "replay",
                    "object": "model",
                    "created": 0,
                    "owned_by": "chatstream-mock",
                }]}),
            )
        } else if request.method == "POST" && path.ends_with("/chat/completions") {
            self.chat(request, number)
        } else {
            error_reply(
                404,
                &format!("mock: no route for {} {path}", request.method),
            )
        };
        reply.header("x-request-id", &request_id)
    }
}

impl ReplayHandler {
    fn chat(&self, request: &RecordedRequest, number: usize) -> Reply {
        let streaming = request
            .json()
            .is_some_and(|body| body.get("stream") == Some(&serde_json::Value::Bool(true)));
        if !streaming {
            return error_reply(
                400,
                "mock: only streaming requests (\"stream\": true) replay",
            );
        }
        match self.choose(request, number) {
            Some(capture) => {
                let name = capture
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                match &capture.events {
                    Ok(events) => Reply::sse(Bytes::new())
                        .pieces(events.clone())
                        .pace(self.pace)
                        .header(FIXTURE_HEADER, &name),
                    Err(error) => error_reply(500, error).header(FIXTURE_HEADER, &name),
                }
            }
            None => error_reply(404, "mock: no capture to replay for this request"),
        }
    }
}

/// An OpenAI-style error reply.
fn error_reply(status: u16, message: &str) -> Reply {
    Reply::json(
        status,
        json!({"error": {
            "message": message,
            "type": "invalid_request_error",
            "param": null,
            "code": null,
        }}),
    )
}

/// FNV-1a, 64 bits: a stable hash (unlike `DefaultHasher`, which may change
/// between Rust releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_after_blank_lines() {
        let body = Bytes::from_static(b"data: a\n\ndata: b\r\n\r\n: c\r\rdata: tail");
        let events = sse_events(&body);
        assert_eq!(
            events,
            ["data: a\n\n", "data: b\r\n\r\n", ": c\r\r", "data: tail"]
        );
        assert_eq!(events.concat(), body.to_vec());
        assert!(sse_events(&Bytes::new()).is_empty());
    }
}
