//! `client`: arbitrary response bodies through the whole client stream.
//!
//! The input is the response body (so the `.sse` fixtures are useful seeds as
//! they are). It is handed to a real [`chatstream::Client`] through
//! [`Client::stream_from_response`] as an in-memory body: no socket, but the
//! same code a network response goes through — the content-type dispatch,
//! the SSE decoder, `[DONE]` and in-stream error detection, chunk parsing,
//! the empty-event limit, the end-state logic (done, finished, truncated),
//! transport errors, and for error statuses the capped error-body reader.
//! A pseudo-random generator seeded with a hash of the input picks the piece
//! sizes, the limits (event size, empty-event run) and one of the other
//! response shapes.
//!
//! Checked:
//!
//! - nothing panics;
//! - the contract of the stream: chunks, then at most one error, then `None`
//!   for ever; `end_state()` is set exactly when it ended without an error;
//!   `timing().chunks()` counts the chunks delivered;
//! - split invariance: the body fed whole, in pseudo-random pieces, and one
//!   byte at a time (inputs up to 2 KiB) gives the same chunks, the same end
//!   state or error kind, and the same last payload;
//! - a transport error after the last byte: the chunks before it are all
//!   delivered (the same as without it), and the stream ends with that
//!   `Transport` error unless it had already ended at `[DONE]`;
//! - the other shapes (a JSON body with a 200, no content type, an HTML
//!   page, an error status) keep the contract and never panic; an error
//!   status is always an `Http` error;
//! - the response head is hostile too: every read carries headers the
//!   client interprets (`retry-after` in its three forms, `retry-after-ms`,
//!   `x-ratelimit-*`, `x-request-id`, `content-type`, `content-length`,
//!   `x-should-retry`) with values picked from absurd numbers and dates or cut
//!   from the input; reading them (`rate_limits`, `retry_after`,
//!   `request_id`) never panics, and a server-given wait is never past 60 s.

#![no_main]

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use std::time::Duration;

use bytes::Bytes;
use chatstream::{ChatCompletionStream, Client, EndState, ErrorKind};
use http::{HeaderName, HeaderValue};
use chatstream_types::ChatCompletionChunk;
use hyper::body::{Body, Frame};
use libfuzzer_sys::fuzz_target;

/// An in-memory body: the given pieces, then optionally an error.
struct Pieces {
    pieces: VecDeque<Bytes>,
    fail_at_end: bool,
}

#[derive(Debug)]
struct CutOff;

impl std::fmt::Display for CutOff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset (injected)")
    }
}

impl std::error::Error for CutOff {}

impl Body for Pieces {
    type Data = Bytes;
    type Error = CutOff;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, CutOff>>> {
        let this = self.get_mut();
        match this.pieces.pop_front() {
            Some(piece) => Poll::Ready(Some(Ok(Frame::data(piece)))),
            None if this.fail_at_end => {
                this.fail_at_end = false;
                Poll::Ready(Some(Err(CutOff)))
            }
            None => Poll::Ready(None),
        }
    }
}

/// What one read of a response produced.
#[derive(Debug, PartialEq)]
struct Outcome {
    chunks: Vec<ChatCompletionChunk>,
    /// The error kind (from `stream_from_response` or from the stream).
    error: Option<ErrorKind>,
    end: Option<EndState>,
    last_payload: Option<Bytes>,
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread runtime")
    })
}

/// Clients with limits small enough for short inputs to reach them, and the
/// default ones. Built once: building one loads the TLS roots.
fn clients() -> &'static [Client] {
    static CLIENTS: OnceLock<Vec<Client>> = OnceLock::new();
    CLIENTS.get_or_init(|| {
        let base = || {
            Client::builder()
                .api_key("sk-fuzz")
                .base_url("http://127.0.0.1:9/v1")
        };
        vec![
            base().build().expect("default client"),
            base()
                .max_event_size(4096)
                .empty_event_limit(3)
                .build()
                .expect("small client"),
            base()
                .max_event_size(96)
                .empty_event_limit(0)
                .build()
                .expect("tiny client"),
        ]
    })
}

fuzz_target!(|input: &[u8]| {
    let body = Bytes::copy_from_slice(input);
    let mut rng = Rng(fnv1a(input) | 1);
    let client = &clients()[(rng.next() % 3) as usize];

    let headers = hostile_headers(&body, &mut rng);
    let read = |status: u16, content_type, pieces, fail_at_end| {
        read(client, status, content_type, &headers, pieces, fail_at_end)
    };
    let stream_type = ("content-type", "text/event-stream; charset=utf-8");
    let whole = read(200, Some(stream_type), vec![body.clone()], false);
    check_contract(&whole, None);

    let random = read(
        200,
        Some(stream_type),
        random_pieces(&body, &mut rng),
        false,
    );
    assert_eq!(whole, random, "random pieces differ from the whole body");
    if body.len() <= 2048 {
        let bytes = (0..body.len()).map(|i| body.slice(i..i + 1)).collect();
        let bytewise = read(200, Some(stream_type), bytes, false);
        assert_eq!(
            whole, bytewise,
            "one byte at a time differs from the whole body"
        );
    }

    let cut = read(
        200,
        Some(stream_type),
        random_pieces(&body, &mut rng),
        true,
    );
    check_contract(&cut, None);
    assert!(
        cut.chunks.len() <= whole.chunks.len()
            && cut.chunks[..] == whole.chunks[..cut.chunks.len()],
        "a transport error at the end changed the chunks before it"
    );
    if whole.end == Some(EndState::Done) {
        assert_eq!(cut, whole, "[DONE] ends the read before the cut");
    } else if cut.error == Some(ErrorKind::Transport) {
        // The read reached the end of the body: what the whole body decided
        // there (finished, truncated, a bare error body) gives way to the cut.
        assert_eq!(cut.chunks, whole.chunks, "a chunk was lost before the cut");
        assert!(
            matches!(
                whole.error,
                None | Some(ErrorKind::Truncated) | Some(ErrorKind::Api)
            ),
            "{whole:?} failed before the end, but the cut was read"
        );
    } else {
        // It failed before the end of the body: the cut is never read.
        assert_eq!(cut, whole);
        assert!(whole.error.is_some_and(|kind| kind != ErrorKind::Truncated));
    }

    // One other response shape.
    let (status, content_type) = match rng.next() % 6 {
        0 => (200, Some(("content-type", "application/json"))),
        1 => (200, None),
        2 => (200, Some(("content-type", "text/html; charset=utf-8"))),
        3 => (200, Some(("content-type", "text/plain"))),
        4 => (
            [400, 401, 404, 429, 500, 503][(rng.next() % 6) as usize],
            Some(("content-type", "application/json")),
        ),
        _ => (502, Some(("content-type", "text/html"))),
    };
    let other = read(
        status,
        content_type,
        random_pieces(&body, &mut rng),
        false,
    );
    check_contract(&other, (status != 200).then_some(ErrorKind::Http));
});

/// Values a hostile server might put in the headers the client reads.
const ABSURD: &[&str] = &[
    "1e20",
    "1e308",
    "-1",
    "-0",
    "NaN",
    "inf",
    "18446744073709551616",
    "99999999999999999999999999",
    "0.000000000000000000001",
    "Sun, 06 Nov 999999999999999999 08:49:37 GMT",
    "Sun, 06 Nov -9223372036854775808 08:49:37 GMT",
    "Fri, 31 Dec 9999 23:59:60 GMT",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "Sun, 99999999999999999999 Nov 2024 08:49:37 GMT",
    "1h2m3.5s",
    "99999999999999999999h",
    "1e400s",
    "6m0s",
    "",
    "true",
    "text/event-stream; charset=\"",
];

/// The headers the client interprets.
const NAMES: &[&str] = &[
    "retry-after",
    "retry-after-ms",
    "x-should-retry",
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
    "x-request-id",
];

/// A few of [`NAMES`] with absurd values or bytes cut from `body` (those
/// that are valid header values).
fn hostile_headers(body: &Bytes, rng: &mut Rng) -> Vec<(HeaderName, HeaderValue)> {
    let count = rng.next() % 6;
    (0..count)
        .filter_map(|_| {
            let name = NAMES[(rng.next() % NAMES.len() as u64) as usize];
            let value = if rng.next() % 2 == 0 || body.is_empty() {
                HeaderValue::from_static(ABSURD[(rng.next() % ABSURD.len() as u64) as usize])
            } else {
                let start = (rng.next() % body.len() as u64) as usize;
                let len = 1 + (rng.next() % 48) as usize;
                let end = (start + len).min(body.len());
                HeaderValue::from_bytes(&body[start..end]).ok()?
            };
            Some((HeaderName::from_static(name), value))
        })
        .collect()
}

/// Reads the response to its end.
fn read(
    client: &Client,
    status: u16,
    content_type: Option<(&str, &str)>,
    headers: &[(HeaderName, HeaderValue)],
    pieces: Vec<Bytes>,
    fail_at_end: bool,
) -> Outcome {
    let mut response = http::Response::builder().status(status);
    if let Some((name, value)) = content_type {
        response = response.header(name, value);
    }
    for (name, value) in headers {
        response = response.header(name, value);
    }
    let response = response
        .body(Pieces {
            pieces: pieces.into(),
            fail_at_end,
        })
        .expect("a valid response head");
    runtime().block_on(async {
        let mut stream: ChatCompletionStream = match client.stream_from_response(response).await {
            Ok(stream) => stream,
            Err(error) => {
                let wait = error.retry_after();
                assert!(wait.is_none_or(|wait| wait <= Duration::from_secs(60)));
                let _ = (error.request_id(), error.to_string(), format!("{error:?}"));
                return Outcome {
                    chunks: Vec::new(),
                    error: Some(error.kind()),
                    end: None,
                    last_payload: None,
                };
            }
        };
        let limits = stream.rate_limits();
        let _ = (
            limits.reset_requests_after(),
            limits.reset_tokens_after(),
            stream.request_id(),
        );
        let mut chunks = Vec::new();
        let mut error = None;
        while let Some(item) = stream.next().await {
            assert!(error.is_none(), "an item after the error");
            match item {
                Ok(chunk) => chunks.push(chunk),
                Err(e) => error = Some(e.kind()),
            }
        }
        for _ in 0..2 {
            assert!(stream.next().await.is_none(), "an item after the end");
        }
        assert!(stream.is_terminated());
        assert_eq!(stream.timing().chunks(), chunks.len() as u64);
        let end = stream.end_state();
        assert_eq!(
            end.is_some(),
            error.is_none(),
            "end state {end:?} with error {error:?}"
        );
        Outcome {
            chunks,
            error,
            end,
            last_payload: stream.last_payload().cloned(),
        }
    })
}

fn check_contract(outcome: &Outcome, expected_error: Option<ErrorKind>) {
    assert_eq!(
        outcome.end.is_some(),
        outcome.error.is_none(),
        "{outcome:?}"
    );
    if let Some(kind) = expected_error {
        assert_eq!(outcome.error, Some(kind), "{outcome:?}");
        assert!(outcome.chunks.is_empty());
    }
}

fn random_pieces(body: &Bytes, rng: &mut Rng) -> Vec<Bytes> {
    let mut pieces = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let len = match rng.next() % 4 {
            0 => 1 + (rng.next() % 4) as usize,
            1 => 1 + (rng.next() % 64) as usize,
            2 => 1 + (rng.next() % 1024) as usize,
            _ => 1 + (rng.next() % 16384) as usize,
        };
        let end = (at + len).min(body.len());
        pieces.push(body.slice(at..end));
        at = end;
    }
    pieces
}

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
