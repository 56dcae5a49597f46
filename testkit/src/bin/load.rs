//! `load`: the load benchmark (`cargo xtask load`) — N concurrent streams
//! from one [`chatstream::Client`], against `mock-server` running in another
//! process in its paced mode.
//!
//! ```text
//! load [--streams 10000] [--chunks 200] [--interval-ms 100] [--hold-ms H]
//!      [--open-concurrency 256] [--idle-timeout-s S] [--json FILE] [--bare]
//! load --url http://127.0.0.1:PORT/paced/v1 …   # a server started elsewhere
//! ```
//!
//! Without `--url` it starts `mock-server` (built next to it) itself, paced:
//! `--chunks` per stream, one per `--interval-ms`, and a hold of `--hold-ms`
//! after each stream's first chunk — by default long enough for every
//! stream to be opened (10,000 take 1.5 s here) before the first one
//! receives its second chunk. The server is stopped whatever happens. The
//! client's idle timeout is longer than the hold unless set, or the
//! benchmark would time its own streams out. The server inherits this
//! process's open-files limit, which `cargo xtask load` raises for it.
//!
//! It answers three questions about the client:
//!
//! - **Does it lose anything under load?** Each stream reads to its end,
//!   counts its chunks and must end with `[DONE]`; the total is compared with
//!   what was expected (`streams × chunks`) and with what the server says it
//!   wrote (`GET /stats`).
//! - **What does an idle open stream cost?** Resident memory is read before
//!   the first stream opens and again when every stream is open and has
//!   received its first chunk — the server holds the second one back
//!   (`mock-server --hold-ms`), so at that point every stream is a live
//!   connection waiting for bytes, the state a process serving many slow
//!   model answers is in. The difference divided by the streams is the
//!   figure; the target is 16 KiB.
//! - **How long does it take, and what is the peak?** Wall time and `VmHWM`.
//!
//! Streams are opened through a semaphore of `--open-concurrency` permits,
//! each held until the stream's response head arrives: the server's accept
//! backlog (capped by `net.core.somaxconn`, 4096 here) never sees more
//! connection attempts than that at once, yet all streams end up open at the
//! same time. Retries are off, so a refused or reset connection is counted,
//! not hidden.
//!
//! With `--bare` the same streams are read by a bare hyper-util client
//! that keeps only the response body: the floor the figure is read against.
//!
//! Exits with 1 when a chunk was lost, a stream failed, or the streams were
//! not all open at once; 2 for a usage or set-up error.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chatstream::types::{ChatCompletionMessage, ChatCompletionRequest};
use chatstream::{Client, EndState};
use chatstream_testkit::process as proc;
use tokio::sync::Semaphore;

// A binary's root lives in `src/bin/`, where every file is a binary of its
// own: the modules live in the folder named after it.
#[path = "load/bare.rs"]
mod bare;
#[path = "load/report.rs"]
mod report;
#[path = "load/server.rs"]
mod server;

use report::Results;

const USAGE: &str = "usage: load [--url http://127.0.0.1:PORT/paced/v1] [--streams 10000] \
                     [--chunks 200] [--interval-ms 100] [--hold-ms H] [--open-concurrency 256] \
                     [--idle-timeout-s S] [--json FILE] [--bare]";

/// Descriptors needed besides one per stream (standard streams, the
/// runtime's epoll and wakers, the stats connection).
const SPARE_DESCRIPTORS: u64 = 64;

/// The command line.
#[derive(Debug)]
struct Options {
    /// A server started elsewhere; `None`: start `mock-server` here.
    url: Option<String>,
    streams: u64,
    chunks: u64,
    interval_ms: u64,
    hold_ms: Option<u64>,
    open_concurrency: usize,
    idle_timeout: Option<Duration>,
    json: Option<PathBuf>,
    /// Read the streams with a bare hyper-util client instead (see `bare`).
    bare: bool,
}

impl Options {
    /// The hold after each stream's first chunk: long enough for every
    /// stream to be opened before the first one receives its second chunk,
    /// with room to spare for a slower machine.
    fn hold_ms(&self) -> u64 {
        self.hold_ms
            .unwrap_or(5_000 + self.streams + self.interval_ms)
    }

    /// The client's idle timeout: longer than a stream is ever silent.
    fn idle_timeout(&self) -> Duration {
        self.idle_timeout.unwrap_or(Duration::from_secs(
            (self.hold_ms() + self.interval_ms) / 1000 + 60,
        ))
    }
}

/// The counters every stream task updates.
#[derive(Debug, Default)]
struct Progress {
    /// Streams whose response head arrived and that have not ended.
    open: AtomicU64,
    /// Streams that received their first chunk.
    first: AtomicU64,
    /// Streams that received their second chunk.
    second: AtomicU64,
    /// Streams that failed before their first chunk (they will never count
    /// in `first`).
    failed_early: AtomicU64,
    /// Chunks delivered.
    delivered: AtomicU64,
    /// Streams that ended with `[DONE]` after every chunk.
    complete: AtomicU64,
    /// Failures by kind.
    errors: Mutex<BTreeMap<String, u64>>,
}

impl Progress {
    fn fail(&self, kind: &str) {
        if let Ok(mut errors) = self.errors.lock() {
            *errors.entry(kind.to_owned()).or_default() += 1;
        }
    }
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("load: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("load: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let results = match runtime.block_on(run(&options)) {
        Ok(results) => results,
        Err(message) => {
            eprintln!("load: {message}");
            return ExitCode::from(2);
        }
    };
    print!("{}", results.table());
    for warning in results.warnings() {
        eprintln!("load: warning: {warning}");
    }
    if let Some(path) = &options.json {
        if let Err(message) = write_json(path, &results.json()) {
            eprintln!("load: {message}");
            return ExitCode::from(2);
        }
        println!("  results written to {}", path.display());
    }
    let failures = results.failures();
    for failure in &failures {
        eprintln!("load: FAILED: {failure}");
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn parse_args() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut options = Options {
        url: None,
        streams: 10_000,
        chunks: 200,
        interval_ms: 100,
        hold_ms: None,
        open_concurrency: 256,
        idle_timeout: None,
        json: None,
        bare: false,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value\n{USAGE}"));
        let number = |name: &str, text: String| -> Result<u64, String> {
            let n: u64 = text
                .replace('_', "")
                .parse()
                .map_err(|e| format!("{name} {text}: {e}"))?;
            if n == 0 {
                return Err(format!("{name} must be at least 1"));
            }
            Ok(n)
        };
        match arg.as_str() {
            "--url" => options.url = Some(value("--url")?),
            "--streams" => options.streams = number("--streams", value("--streams")?)?,
            "--chunks" => options.chunks = number("--chunks", value("--chunks")?)?,
            "--interval-ms" => {
                options.interval_ms = number("--interval-ms", value("--interval-ms")?)?;
            }
            "--hold-ms" => options.hold_ms = Some(number("--hold-ms", value("--hold-ms")?)?),
            "--open-concurrency" => {
                let n = number("--open-concurrency", value("--open-concurrency")?)?;
                options.open_concurrency = usize::try_from(n).map_err(|e| e.to_string())?;
            }
            "--idle-timeout-s" => {
                options.idle_timeout = Some(Duration::from_secs(number(
                    "--idle-timeout-s",
                    value("--idle-timeout-s")?,
                )?));
            }
            "--json" => options.json = Some(PathBuf::from(value("--json")?)),
            "--bare" => options.bare = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    if options.chunks < 2 {
        return Err("--chunks must be at least 2 (the role and the final chunk)".to_owned());
    }
    Ok(options)
}

async fn run(options: &Options) -> Result<Results, String> {
    let needed = options.streams + SPARE_DESCRIPTORS;
    if let Some(limit) = proc::open_files_limit()? {
        if limit < needed {
            return Err(format!(
                "the open-files limit is {limit}, {} streams need {needed}: raise it \
                 (`ulimit -n`), or run through `cargo xtask load`, which does",
                options.streams
            ));
        }
    }
    // Kept until the end of the run: dropping it stops the server.
    let (url, _server) = match &options.url {
        Some(url) => (url.clone(), None),
        None => {
            let server = server::start(options.chunks, options.interval_ms, options.hold_ms())?;
            (server.paced_url(), Some(server))
        }
    };
    eprintln!(
        "load: {} streams × {} chunks, one per {} ms, held {} ms after the first; server at {url}",
        options.streams,
        options.chunks,
        options.interval_ms,
        options.hold_ms()
    );
    let address = server::address(&url)?;
    let client = Client::builder()
        .base_url(&url)
        .api_key("sk-load")
        .no_proxy()
        .max_retries(0)
        .idle_timeout(options.idle_timeout())
        .build()
        .map_err(|e| format!("cannot build the client: {e}"))?;
    let request = Arc::new(ChatCompletionRequest::new(
        "paced-model",
        vec![ChatCompletionMessage::user("Say something, slowly.")],
    ));
    let server_before = server::stats(&address).await?;
    let progress = Arc::new(Progress::default());
    let opening = Arc::new(Semaphore::new(options.open_concurrency));

    let bare = if options.bare {
        Some(Arc::new(bare::Bare::new(&url, &request)?))
    } else {
        None
    };
    let mut results = Results {
        client: if options.bare {
            "bare hyper-util (the floor)"
        } else {
            "chatstream"
        },
        streams: options.streams,
        chunks_per_stream: options.chunks,
        open_concurrency: options.open_concurrency,
        baseline: proc::memory()?,
        ..Results::default()
    };
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(usize::try_from(options.streams).unwrap_or(0));
    for _ in 0..options.streams {
        let opening = Arc::clone(&opening);
        let progress = Arc::clone(&progress);
        tasks.push(match &bare {
            Some(bare) => tokio::spawn(bare::stream(
                Arc::clone(bare),
                opening,
                progress,
                options.chunks,
            )),
            None => tokio::spawn(stream(
                client.clone(),
                Arc::clone(&request),
                opening,
                progress,
                options.chunks,
            )),
        });
    }

    // The idle point: every stream has its first chunk (or has failed).
    loop {
        let ready =
            progress.first.load(Ordering::Relaxed) + progress.failed_early.load(Ordering::Relaxed);
        if ready >= options.streams {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    results.at_idle = proc::memory()?;
    results.open_time = started.elapsed();
    results.open_at_idle = progress.open.load(Ordering::Relaxed);
    results.past_first_at_idle = progress.second.load(Ordering::Relaxed);
    results.descriptors_at_idle = proc::open_descriptors()?;
    eprintln!(
        "load: {} streams open after {:.2} s; RSS {:.1} MiB (baseline {:.1} MiB); reading to the end",
        results.open_at_idle,
        results.open_time.as_secs_f64(),
        results.at_idle.rss as f64 / 1048576.0,
        results.baseline.rss as f64 / 1048576.0,
    );

    for task in tasks {
        if task.await.is_err() {
            progress.fail("panic");
        }
    }
    results.wall = started.elapsed();
    results.at_end = proc::memory()?;
    results.server = server::stats(&address).await?.since(server_before);
    results.delivered = progress.delivered.load(Ordering::Relaxed);
    results.streams_complete = progress.complete.load(Ordering::Relaxed);
    results.errors = progress
        .errors
        .lock()
        .map_err(|_| "a stream task panicked while counting an error")?
        .clone();
    results.streams_failed = results.errors.values().sum();
    Ok(results)
}

/// One stream: open it (holding an opening permit until the response head
/// arrives), read it to the end, count.
async fn stream(
    client: Client,
    request: Arc<ChatCompletionRequest>,
    opening: Arc<Semaphore>,
    progress: Arc<Progress>,
    expected: u64,
) {
    let permit = opening.acquire_owned().await;
    // Boxed so that the request's state machine, which is done with once
    // the head has arrived, is freed then instead of living inside this
    // task for as long as the stream: the figure is what an open stream
    // costs, not what sending a request did.
    let opened = Box::pin(client.create_chat_completion_stream(&request)).await;
    drop(permit);
    let mut stream = match opened {
        Ok(stream) => stream,
        Err(error) => {
            progress.fail(error.kind().as_str());
            progress.failed_early.fetch_add(1, Ordering::Relaxed);
            return;
        }
    };
    progress.open.fetch_add(1, Ordering::Relaxed);
    let mut chunks = 0u64;
    let mut failure = None;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(_) => {
                chunks += 1;
                match chunks {
                    1 => progress.first.fetch_add(1, Ordering::Relaxed),
                    2 => progress.second.fetch_add(1, Ordering::Relaxed),
                    _ => 0,
                };
            }
            Err(error) => failure = Some(error.kind().as_str()),
        }
    }
    progress.open.fetch_sub(1, Ordering::Relaxed);
    progress.delivered.fetch_add(chunks, Ordering::Relaxed);
    if chunks == 0 {
        progress.failed_early.fetch_add(1, Ordering::Relaxed);
    }
    match (failure, stream.end_state()) {
        (Some(kind), _) => progress.fail(kind),
        (None, Some(EndState::Done)) if chunks == expected => {
            progress.complete.fetch_add(1, Ordering::Relaxed);
        }
        (None, Some(EndState::Done)) => progress.fail("wrong-count"),
        (None, _) => progress.fail("not-done"),
    }
}

fn write_json(path: &std::path::Path, json: &serde_json::Value) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(json).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}
