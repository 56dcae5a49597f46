//! The client against a hostile server: a raw loopback server that writes
//! whatever bytes a case says — absurd header values, floods inside one
//! event, floods across a stream, protocol oddities, retry storms — and the
//! client must meet each one with no panic, a typed end (or the right clean
//! end), within a time bound, and within a memory bound.
//!
//! Memory is measured as the kernel sees it: each case runs in a child
//! process of its own (this binary again, with `HOSTILE_CASE` set), which
//! reports the growth of its peak resident set (`VmHWM`) from just before
//! the client's call to the end of the case. A process of its own, because
//! the peak only rises and tests of one process run side by side; resident
//! pages, because they are what a machine pays, allocator overhead included.
//!
//! This file is its own test harness (`harness = false`): `cargo test` runs
//! every case (a name filter given on the command line selects cases), each
//! child in turn, and fails if any case does. The bounds, in words:
//!
//! - parsing one event of `N` bytes holds at most `4·N + 1 MiB` (the
//!   parser's bound); with the decoder holding the event itself and hyper's
//!   buffers, a case whose events are 8 MiB stays under 64 MiB (it took
//!   0.4–2.2 GB before the parse limits);
//! - folding a stream (`collect_completion`) holds at most the
//!   accumulator's 64 MiB plus a few MiB, whatever the stream;
//! - readers that fall behind over HTTP/2 hold at most the flow-control
//!   windows: 20 streams offered 16 MiB each stay under 16 MiB;
//! - everything else stays under 16 MiB.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::future::Future;
use std::pin::Pin;
use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chatstream::types::{ChatCompletionChunk, ChatCompletionMessage, ChatCompletionRequest};
use chatstream::{ChatCompletionStream, Client, ClientBuilder, Error};
use chatstream_testkit::mock::{MockServer, RawEnding, RawReply};
use chatstream_testkit::process;
use serde_json::{Value, json};

mod floods;
mod headers;
mod protocol;
mod retries;
mod slow_readers;
mod streams;

const MIB: u64 = 1 << 20;

/// The environment variable that makes this binary run one case as a child.
const CHILD: &str = "HOSTILE_CASE";

/// The prefix of the child's report line on standard output.
const REPORT: &str = "hostile-report: ";

/// One hostile server and what the client must do against it.
pub(crate) struct Case {
    pub(crate) name: &'static str,
    /// Runs the case (in the child), calling `Probe::start` just before the
    /// client's first call.
    pub(crate) run: fn(Probe) -> Pin<Box<dyn Future<Output = Observed>>>,
    /// Checks what happened (in the parent): `Err` says what is wrong.
    pub(crate) check: fn(&Observed) -> Result<(), String>,
    /// The most the child's peak resident set may grow, in bytes.
    pub(crate) memory: u64,
    /// The most the case may take.
    pub(crate) time: Duration,
    /// Environment variables of the child.
    pub(crate) env: &'static [(&'static str, &'static str)],
}

impl Case {
    /// A case with the default bounds: 16 MiB, 5 s.
    pub(crate) fn new(
        name: &'static str,
        run: fn(Probe) -> Pin<Box<dyn Future<Output = Observed>>>,
        check: fn(&Observed) -> Result<(), String>,
    ) -> Self {
        Case {
            name,
            run,
            check,
            memory: 16 * MIB,
            time: Duration::from_secs(5),
            env: &[],
        }
    }

    pub(crate) fn env(mut self, env: &'static [(&'static str, &'static str)]) -> Self {
        self.env = env;
        self
    }

    pub(crate) fn memory(mut self, bytes: u64) -> Self {
        self.memory = bytes;
        self
    }

    pub(crate) fn time(mut self, time: Duration) -> Self {
        self.time = time;
        self
    }
}

/// Marks the start of what a case measures (memory and time).
#[derive(Clone, Default)]
pub(crate) struct Probe {
    start: Arc<Mutex<Option<(u64, Instant)>>>,
}

impl Probe {
    /// Call just before the client's first call: the baseline (the peak
    /// is reset to the resident set now, so that what the case built before,
    /// and freed, does not hide what the client takes).
    pub(crate) fn start(&self) {
        process::reset_peak().unwrap();
        let now = process::memory().unwrap().rss;
        *self.start.lock().unwrap() = Some((now, Instant::now()));
    }
}

/// What a case saw, reported by the child to the parent as JSON.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Observed {
    /// `done`, `finished`, `not_streamed`, or the error kind
    /// (`ErrorKind::as_str`).
    pub(crate) end: String,
    /// The error's `Display`, if it ended with one.
    pub(crate) message: String,
    /// The parse limit behind a decode error (its `Debug`).
    pub(crate) parse_limit: Option<String>,
    /// Chunks delivered before the end.
    pub(crate) chunks: usize,
    /// Requests the server saw.
    pub(crate) requests: usize,
    /// Whatever else the case reports.
    pub(crate) detail: Value,
    /// Measured by the harness: time from `Probe::start`, and growth of the
    /// peak resident set from there.
    pub(crate) elapsed: Duration,
    pub(crate) memory: u64,
}

impl Observed {
    fn to_json(&self) -> Value {
        json!({
            "end": self.end, "message": self.message, "parse_limit": self.parse_limit,
            "chunks": self.chunks, "requests": self.requests, "detail": self.detail,
            "elapsed_ms": self.elapsed.as_millis() as u64, "memory": self.memory,
        })
    }

    fn from_json(value: &Value) -> Observed {
        Observed {
            end: value["end"].as_str().unwrap_or_default().to_owned(),
            message: value["message"].as_str().unwrap_or_default().to_owned(),
            parse_limit: value["parse_limit"].as_str().map(str::to_owned),
            chunks: value["chunks"].as_u64().unwrap_or(0) as usize,
            requests: value["requests"].as_u64().unwrap_or(0) as usize,
            detail: value["detail"].clone(),
            elapsed: Duration::from_millis(value["elapsed_ms"].as_u64().unwrap_or(0)),
            memory: value["memory"].as_u64().unwrap_or(0),
        }
    }

    /// Notes how a stream ended: its error, or its clean end state.
    fn ended(&mut self, stream: &ChatCompletionStream, error: Option<&Error>) {
        match error {
            Some(error) => self.failed(error),
            None => {
                self.end = match stream.end_state() {
                    Some(chatstream::EndState::Done) => "done",
                    Some(chatstream::EndState::Finished) => "finished",
                    Some(chatstream::EndState::NotStreamed) => "not_streamed",
                    _ => "running",
                }
                .to_owned();
            }
        }
    }

    /// Notes an error.
    pub(crate) fn failed(&mut self, error: &Error) {
        self.end = error.kind().as_str().to_owned();
        self.message = error.to_string();
        self.parse_limit = error.parse_limit().map(|limit| format!("{limit:?}"));
    }
}

// ---------------------------------------------------------------------------
// What cases build on.

/// A request for the cases.
pub(crate) fn request() -> ChatCompletionRequest {
    ChatCompletionRequest::new("gpt-4o-mini", vec![ChatCompletionMessage::user("hi")])
}

/// A client for `server` with no retries, no proxy, and `configure` applied.
pub(crate) fn client(server: &MockServer, configure: fn(ClientBuilder) -> ClientBuilder) -> Client {
    let builder = Client::builder()
        .base_url(server.url())
        .api_key("sk-hostile")
        .max_retries(0)
        .no_proxy();
    configure(builder).build().unwrap()
}

/// A raw server answering every request with `reply`.
pub(crate) async fn raw(reply: RawReply) -> MockServer {
    MockServer::start_raw(reply).await.unwrap()
}

/// An HTTP/1.1 response head, closed by the server after the body.
pub(crate) fn head(status_line: &str, headers: &[(&str, &str)]) -> String {
    let mut head = format!("HTTP/1.1 {status_line}\r\nconnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// A `200` event stream with `body`, the connection closed after it.
pub(crate) fn sse(body: impl AsRef<[u8]>) -> Bytes {
    let mut bytes = head("200 OK", &[("content-type", "text/event-stream")]).into_bytes();
    bytes.extend_from_slice(body.as_ref());
    Bytes::from(bytes)
}

/// One event holding `chunk`.
pub(crate) fn event(chunk: &Value) -> String {
    format!("data: {chunk}\n\n")
}

/// A short, complete stream: one chunk and `[DONE]`.
pub(crate) fn short_stream() -> String {
    event(
        &json!({"id": "c1", "object": "chat.completion.chunk", "model": "m",
        "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}]}),
    ) + "data: [DONE]\n\n"
}

/// `item` repeated, comma-separated, to about `bytes` bytes.
pub(crate) fn repeated(item: &str, bytes: usize) -> String {
    let count = bytes / (item.len() + 1);
    let mut out = String::with_capacity(bytes + item.len());
    for at in 0..count {
        if at > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out
}

/// Opens a stream on `client` and reads it to its end, noting what it saw.
pub(crate) async fn stream_through(client: &Client, server: &MockServer) -> Observed {
    let mut observed = match client.create_chat_completion_stream(&request()).await {
        Ok(mut stream) => read_to_end(&mut stream, |_| {}).await,
        Err(error) => {
            let mut observed = Observed::default();
            observed.failed(&error);
            observed
        }
    };
    observed.requests = server.requests().len();
    observed
}

/// Serves `reply` to a default client and reads its stream to the end (the
/// probe started just before the client's call).
pub(crate) async fn answer(probe: Probe, reply: RawReply) -> Observed {
    let server = raw(reply).await;
    let client = client(&server, |builder| builder);
    probe.start();
    stream_through(&client, &server).await
}

/// Serves `reply` to a default client and opens its stream (the probe
/// started just before the call); the server comes back with it, to keep
/// serving while the stream is read.
pub(crate) async fn open(probe: Probe, reply: RawReply) -> (MockServer, ChatCompletionStream) {
    let server = raw(reply).await;
    let client = client(&server, |builder| builder);
    probe.start();
    let stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    (server, stream)
}

/// Reads `stream` to its end (its one error, or its clean end), showing
/// each chunk to `on_chunk`; the stream stays alive.
pub(crate) async fn read_to_end(
    stream: &mut ChatCompletionStream,
    mut on_chunk: impl FnMut(&ChatCompletionChunk),
) -> Observed {
    let mut observed = Observed::default();
    let error = loop {
        match stream.next().await {
            Some(Ok(chunk)) => {
                observed.chunks += 1;
                on_chunk(&chunk);
            }
            Some(Err(error)) => break Some(error),
            None => break None,
        }
    };
    observed.ended(stream, error.as_ref());
    observed
}

/// Opens a stream on `client` and folds it (`collect_completion`).
pub(crate) async fn collect_through(client: &Client, server: &MockServer) -> Observed {
    let mut observed = Observed::default();
    let stream = match client.create_chat_completion_stream(&request()).await {
        Ok(stream) => stream,
        Err(error) => {
            observed.failed(&error);
            return observed;
        }
    };
    let collected = stream.collect_completion().await;
    match &collected.end {
        Ok(state) => observed.end = format!("{state:?}").to_lowercase(),
        Err(error) => observed.failed(error),
    }
    observed.chunks = collected.timing.chunks() as usize;
    observed.requests = server.requests().len();
    observed
}

// Checks.

/// The case ended with an error of `kind`.
pub(crate) fn ended_with(observed: &Observed, kind: &str) -> Result<(), String> {
    if observed.end == kind {
        Ok(())
    } else {
        Err(format!("expected a {kind} end, got {observed:?}"))
    }
}

/// `Ok` if `holds`; otherwise `what` went wrong, with what was observed.
pub(crate) fn ensure(holds: bool, what: &str, observed: &Observed) -> Result<(), String> {
    if holds {
        Ok(())
    } else {
        Err(format!("{what}: {observed:?}"))
    }
}

/// The case ended with a decode error from the parse limit `limit`.
pub(crate) fn broke_limit(observed: &Observed, limit: &str) -> Result<(), String> {
    ended_with(observed, "decode")?;
    match observed.parse_limit.as_deref() {
        Some(found) if found == limit => Ok(()),
        _ => Err(format!("expected the {limit} limit, got {observed:?}")),
    }
}

// ---------------------------------------------------------------------------
// The harness.

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(headers::cases());
    cases.extend(floods::cases());
    cases.extend(streams::cases());
    cases.extend(protocol::cases());
    cases.extend(retries::cases());
    cases.extend(slow_readers::cases());
    cases
}

fn main() -> ExitCode {
    if let Ok(name) = std::env::var(CHILD) {
        return run_child(&name);
    }
    // `cargo test` passes its own flags; a word that is not a flag filters.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|case| filters.is_empty() || filters.iter().any(|f| case.name.contains(f)))
        .collect();
    let names: std::collections::HashSet<_> = cases.iter().map(|case| case.name).collect();
    assert_eq!(names.len(), cases.len(), "case names are unique");
    println!("\nrunning {} hostile-server cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        match run_parent(case) {
            Ok(observed) => println!(
                "case {:<44} ok   {:>6} ms {:>8.1} MiB  {}",
                case.name,
                observed.elapsed.as_millis(),
                observed.memory as f64 / MIB as f64,
                observed.end,
            ),
            Err(why) => {
                println!("case {:<44} FAILED: {why}", case.name);
                failures.push(case.name);
            }
        }
    }
    if failures.is_empty() {
        println!("\nhostile-server result: ok. {} passed", cases.len());
        ExitCode::SUCCESS
    } else {
        println!("\nhostile-server result: FAILED: {failures:?}");
        ExitCode::FAILURE
    }
}

/// Runs `case` in a child process and checks its report.
fn run_parent(case: &Case) -> Result<Observed, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let started = Instant::now();
    let output = Command::new(exe)
        .env(CHILD, case.name)
        .envs(case.env.iter().copied())
        .output()
        .map_err(|e| format!("cannot run the child: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(line) = stdout.lines().find_map(|line| line.strip_prefix(REPORT)) else {
        return Err(format!(
            "the child reported nothing (status {}, after {:?}); stderr:\n{}",
            output.status,
            started.elapsed(),
            String::from_utf8_lossy(&output.stderr)
        ));
    };
    let value: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    if value["hung"].as_bool() == Some(true) {
        return Err(format!("no end within {:?}", case.time));
    }
    let observed = Observed::from_json(&value);
    (case.check)(&observed)?;
    if observed.elapsed > case.time {
        return Err(format!("took {:?} > {:?}", observed.elapsed, case.time));
    }
    if observed.memory > case.memory {
        return Err(format!(
            "peak memory grew by {:.1} MiB > {:.1} MiB",
            observed.memory as f64 / MIB as f64,
            case.memory as f64 / MIB as f64
        ));
    }
    Ok(observed)
}

/// Runs the case `name` here and prints its report.
fn run_child(name: &str) -> ExitCode {
    let Some(case) = cases().into_iter().find(|case| case.name == name) else {
        eprintln!("no case {name}");
        return ExitCode::FAILURE;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let probe = Probe::default();
    let limit = case.time + Duration::from_secs(5);
    let outcome =
        runtime.block_on(async { tokio::time::timeout(limit, (case.run)(probe.clone())).await });
    let report = match outcome {
        Ok(mut observed) => {
            let started = probe.start.lock().unwrap().take();
            let (baseline, at) = started.expect("the case calls Probe::start");
            observed.elapsed = at.elapsed();
            let peak = process::memory().unwrap().peak;
            observed.memory = peak.saturating_sub(baseline);
            observed.to_json()
        }
        Err(_) => json!({"hung": true}),
    };
    println!("{REPORT}{report}");
    // The runtime may hold connections the case left open; do not wait.
    runtime.shutdown_background();
    ExitCode::SUCCESS
}

/// Boxes a case's future (for the `run` field).
pub(crate) fn boxed(
    future: impl Future<Output = Observed> + 'static,
) -> Pin<Box<dyn Future<Output = Observed>>> {
    Box::pin(future)
}

/// A reply that writes `bytes` and then keeps the connection open.
pub(crate) fn then_stall(bytes: Bytes) -> RawReply {
    RawReply::response(bytes).then(RawEnding::Stall)
}
