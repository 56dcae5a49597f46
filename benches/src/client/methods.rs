//! The measured methods, each run in a child process of the bench binary
//! (so peak RSS is per method): ours, async-openai, bare hyper, and time to
//! first chunk.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chatstream::types::{ChatCompletionMessage, ChatCompletionRequest};
use futures::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use memchr::memmem;
use tokio::runtime::Runtime;

use crate::alloc::allocations;
use crate::measure::{Measured, Outcome, measure};

use super::*;

/// Runs one method in a child process (this binary, `--client-method`) and
/// parses its report.
pub(super) fn run_child(
    method: &str,
    url: &str,
    runs: u32,
    runtime: &str,
) -> Result<Report, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let mut command = Command::new(exe);
    command
        .args(["--client-method", method, "--url", url])
        .args(["--runs", &runs.to_string(), "--client-runtime", runtime])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    for var in PROXY_VARS {
        command.env_remove(var);
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot start the {method} child: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "client/{method}: the child failed ({})",
            output.status
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).map_err(|e| format!("client/{method}: bad report {line:?}: {e}"))
}

/// The child: `--client-method NAME --url URL [--runs N] [--client-runtime
/// multi|current]`. Measures one method and prints its [`Report`].
pub fn child_main(args: &[String]) -> Result<(), String> {
    let mut method = None;
    let mut url = None;
    let mut runs = 1;
    let mut kind = "current".to_owned();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().cloned().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--client-method" => method = Some(value("--client-method")?),
            "--url" => url = Some(value("--url")?),
            "--runs" => {
                let value = value("--runs")?;
                runs = value.parse().map_err(|e| format!("--runs {value}: {e}"))?;
            }
            "--client-runtime" => kind = value("--client-runtime")?,
            other => return Err(format!("unexpected argument `{other}` of a client child")),
        }
    }
    let method = method.ok_or("--client-method needs a value")?;
    let url = url.ok_or("a client child needs --url")?;
    let rt = runtime(&kind)?;
    let mut report = match method.as_str() {
        "baseline" => Report::default(),
        "ours" => to_report(ours(&rt, &url, runs)?),
        "async-openai" => to_report(async_openai(&rt, &url, runs)?),
        "hyper" => to_report(bare(&rt, &url, runs)),
        "ttfc" => ttfc(&rt, &url)?,
        other => return Err(format!("unknown client method `{other}`")),
    };
    drop(rt);
    report.peak_rss_kb = peak_rss_kb();
    let line = serde_json::to_string(&report).map_err(|e| e.to_string())?;
    println!("{line}");
    Ok(())
}

/// Tokio's multi-thread runtime (default worker count), or the
/// current-thread one; both with I/O and time drivers.
pub fn runtime(kind: &str) -> Result<Runtime, String> {
    let mut builder = match kind {
        "multi" => tokio::runtime::Builder::new_multi_thread(),
        "current" => tokio::runtime::Builder::new_current_thread(),
        other => {
            return Err(format!(
                "--client-runtime takes current or multi, got {other}"
            ));
        }
    };
    builder
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

pub(super) fn to_report(measured: Measured) -> Report {
    Report {
        best_s: measured.best.as_secs_f64(),
        allocations: measured.allocations,
        items: measured.outcome.items,
        failures: measured.outcome.failures,
        checksum: measured.outcome.checksum,
        first_failure: measured.outcome.first_failure,
        ..Report::default()
    }
}

/// The peak resident set of this process so far, in KiB (`VmHWM`), or 0.
pub(super) fn peak_rss_kb() -> u64 {
    chatstream_bench::machine::proc_kib("/proc/self/status", "VmHWM:")
}

pub(super) fn our_client(rt: &Runtime, url: &str) -> Result<chatstream::Client, String> {
    rt.block_on(async {
        chatstream::Client::builder()
            .base_url(url)
            .api_key("x")
            .no_proxy()
            .build()
    })
    .map_err(|e| format!("ours: cannot build the client: {e}"))
}

pub(super) fn our_request() -> ChatCompletionRequest {
    ChatCompletionRequest::new(MODEL, vec![ChatCompletionMessage::user(PROMPT)])
}

/// Our client: `runs` whole streams over one client.
pub(super) fn ours(rt: &Runtime, url: &str, runs: u32) -> Result<Measured, String> {
    let client = our_client(rt, url)?;
    let request = our_request();
    Ok(measure(runs, || {
        rt.block_on(async {
            let mut out = Outcome::default();
            let mut stream = match client.create_chat_completion_stream(&request).await {
                Ok(stream) => stream,
                Err(e) => {
                    out.fail(|| format!("request: {e}"));
                    return out;
                }
            };
            while let Some(item) = stream.next().await {
                match item {
                    Ok(chunk) => {
                        out.items += 1;
                        for choice in &chunk.choices {
                            if let Some(text) = choice.delta.content_text() {
                                out.checksum += text.len() as u64;
                            }
                        }
                    }
                    Err(e) => out.fail(|| format!("stream: {e}")),
                }
            }
            if out.failures == 0 && stream.end_state() != Some(chatstream::EndState::Done) {
                out.fail(|| format!("ended with {:?}, not [DONE]", stream.end_state()));
            }
            out
        })
    }))
}

/// async-openai's client: `runs` whole streams over one client.
pub(super) fn async_openai(rt: &Runtime, url: &str, runs: u32) -> Result<Measured, String> {
    use async_openai::config::OpenAIConfig;
    use async_openai::types::chat::{
        ChatCompletionRequestUserMessageArgs, CreateChatCompletionRequestArgs,
    };

    let message = ChatCompletionRequestUserMessageArgs::default()
        .content(PROMPT)
        .build()
        .map_err(|e| format!("async-openai: {e}"))?;
    let request = CreateChatCompletionRequestArgs::default()
        .model(MODEL)
        .messages([message.into()])
        .build()
        .map_err(|e| format!("async-openai: {e}"))?;
    let client = rt.block_on(async {
        async_openai::Client::with_config(OpenAIConfig::new().with_api_base(url).with_api_key("x"))
    });
    Ok(measure(runs, || {
        rt.block_on(async {
            let mut out = Outcome::default();
            let mut stream = match client.chat().create_stream(request.clone()).await {
                Ok(stream) => stream,
                Err(e) => {
                    out.fail(|| format!("request: {e}"));
                    return out;
                }
            };
            while let Some(item) = stream.next().await {
                match item {
                    Ok(response) => {
                        out.items += 1;
                        for choice in &response.choices {
                            if let Some(text) = &choice.delta.content {
                                out.checksum += text.len() as u64;
                            }
                        }
                    }
                    Err(e) => out.fail(|| format!("stream: {e}")),
                }
            }
            out
        })
    }))
}

type Bare = HyperClient<HttpConnector, Full<Bytes>>;

pub(super) fn bare_client(rt: &Runtime) -> Bare {
    let _entered = rt.enter();
    HyperClient::builder(TokioExecutor::new()).build_http()
}

pub(super) fn bare_request(uri: &str) -> Result<hyper::Request<Full<Bytes>>, String> {
    hyper::Request::post(uri)
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .header("authorization", "Bearer x")
        .body(Full::new(Bytes::from_static(RAW_REQUEST)))
        .map_err(|e| format!("hyper: {e}"))
}

/// The bare hyper request: `runs` whole bodies, scanned for separators.
/// `items` are the events less `[DONE]`, `checksum` the body bytes.
pub(super) fn bare(rt: &Runtime, url: &str, runs: u32) -> Measured {
    let client = bare_client(rt);
    let uri = format!("{url}/chat/completions");
    measure(runs, || {
        rt.block_on(async {
            let mut out = Outcome::default();
            match bare_once(&client, &uri, None).await {
                Ok((events, bytes)) => {
                    out.items = events.saturating_sub(1);
                    out.checksum = bytes;
                }
                Err(e) => out.fail(|| e),
            }
            out
        })
    })
}

/// One bare request read to its end: the events and bytes of the body.
/// With `first`, the time from the call to the first body byte is stored
/// there.
pub(super) async fn bare_once(
    client: &Bare,
    uri: &str,
    mut first: Option<&mut Duration>,
) -> Result<(u64, u64), String> {
    let start = Instant::now();
    let response = client
        .request(bare_request(uri)?)
        .await
        .map_err(|e| format!("hyper: {e}"))?;
    if response.status() != 200 {
        return Err(format!("hyper: status {}", response.status()));
    }
    let mut body = response.into_body();
    let mut counter = EventCounter::default();
    let mut bytes = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("hyper: body: {e}"))?;
        if let Some(data) = frame.data_ref() {
            if !data.is_empty() {
                if let Some(first) = first.take() {
                    *first = start.elapsed();
                }
                bytes += data.len() as u64;
                counter.feed(data);
            }
        }
    }
    Ok((counter.events, bytes))
}

/// Counts `\n\n` separators over a body arriving in pieces, including one
/// split across two pieces.
#[derive(Debug, Default)]
pub(super) struct EventCounter {
    pub(super) events: u64,
    /// The previous piece ended with a `\n` that no match consumed.
    pub(super) pending: bool,
}

impl EventCounter {
    pub(super) fn feed(&mut self, piece: &[u8]) {
        let Some(&last) = piece.last() else { return };
        let mut start = 0;
        if self.pending && piece[0] == b'\n' {
            self.events += 1;
            start = 1;
        }
        let mut end = start;
        for at in memmem::find_iter(&piece[start..], b"\n\n") {
            self.events += 1;
            end = start + at + 2;
        }
        self.pending = piece.len() > end && last == b'\n';
    }
}

/// Time to first chunk: requests of `ours` and of the bare client for the
/// short stream, alternated (which goes first alternates too), after
/// warm-up requests that open and pool both connections.
pub(super) fn ttfc(rt: &Runtime, url: &str) -> Result<Report, String> {
    let origin = url.strip_suffix("/v1").unwrap_or(url);
    let short = format!("{origin}/first-{TTFC_EVENTS}/v1");
    let uri = format!("{short}/chat/completions");
    let ours_client = our_client(rt, &short)?;
    let request = our_request();
    let bare_client = bare_client(rt);
    let mut report = Report::default();
    for i in 0..TTFC_WARMUP + TTFC_REQUESTS {
        let timed = i >= TTFC_WARMUP;
        for ours_now in [i % 2 == 0, i % 2 != 0] {
            let before = allocations();
            let (elapsed, chunks) = if ours_now {
                rt.block_on(ours_first(&ours_client, &request))?
            } else {
                let mut first = Duration::ZERO;
                let (events, _) = rt.block_on(bare_once(&bare_client, &uri, Some(&mut first)))?;
                (first, events.saturating_sub(1))
            };
            let allocated = allocations() - before;
            if chunks != TTFC_EVENTS {
                return Err(format!(
                    "ttfc: read {chunks} chunks of the short stream, expected {TTFC_EVENTS}"
                ));
            }
            if timed {
                let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
                if ours_now {
                    report.ours_ns.push(nanos);
                    report.ours_allocs.push(allocated);
                } else {
                    report.hyper_ns.push(nanos);
                    report.hyper_allocs.push(allocated);
                }
            }
        }
    }
    Ok(report)
}

/// One short stream with our client: the time from the call to the first
/// chunk, and the chunks read to the end.
pub(super) async fn ours_first(
    client: &chatstream::Client,
    request: &ChatCompletionRequest,
) -> Result<(Duration, u64), String> {
    let start = Instant::now();
    let mut stream = client
        .create_chat_completion_stream(request)
        .await
        .map_err(|e| format!("ours: {e}"))?;
    let first = stream.next().await;
    let elapsed = start.elapsed();
    match first {
        Some(Ok(_)) => {}
        Some(Err(e)) => return Err(format!("ours: {e}")),
        None => return Err("ours: no chunk".to_owned()),
    }
    let mut chunks = 1;
    while let Some(item) = stream.next().await {
        item.map_err(|e| format!("ours: {e}"))?;
        chunks += 1;
    }
    Ok((elapsed, chunks))
}
