//! `load`: the load benchmark (`cargo xtask load`) — N concurrent streams
//! from one [`chatstream::Client`], against `mock-server` running in another
//! process in its paced mode, over HTTP/1.1 or HTTP/2, plain or TLS.
//!
//! ```text
//! load [--streams 10000] [--chunks 200] [--interval-ms 100] [--hold-ms H]
//!      [--open-concurrency 256] [--idle-timeout-s S] [--json FILE]
//!      [--http2] [--tls] [--max-concurrent-streams 100] [--bare]
//! load --url http://127.0.0.1:PORT/paced/v1 …   # a server started elsewhere
//! load --compare http1.1=A.json http2=B.json [--json FILE]
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
//! It answers four questions about the client:
//!
//! - **Does it lose anything under load?** Each stream reads to its end,
//!   counts its chunks and must end with `[DONE]`; the total is compared with
//!   what was expected (`streams × chunks`) and with what the server says it
//!   wrote (`GET /stats`).
//! - **Are all the streams really open at once?** Every stream must be open
//!   at the idle point (below), and the first-chunk spread — from the first
//!   stream's first chunk to the last one's — must stay under 2 s: a client
//!   that queues requests behind other streams (every stream on one HTTP/2
//!   connection, more of them than the server allows on one) still delivers
//!   every chunk, in waves, and only this shows it (see `report`).
//! - **What does an idle open stream cost?** Resident memory is read before
//!   the first stream opens and again when every stream is open and has
//!   received its first chunk — the server holds the second one back
//!   (`mock-server --hold-ms`), so at that point every stream is a live
//!   connection (or HTTP/2 stream) waiting for bytes, the state a process
//!   serving many slow model answers is in. The difference divided by the
//!   streams is the figure; the target is 16 KiB over HTTP/1.1 and 8 KiB
//!   over HTTP/2.
//! - **How long does it take, and what is the peak?** Wall time and `VmHWM`.
//!
//! Streams are opened through a semaphore of `--open-concurrency` permits,
//! each held until the stream's response head arrives: the server's accept
//! backlog (capped by `net.core.somaxconn`, 4096 here) never sees more
//! connection attempts than that at once, yet all streams end up open at the
//! same time. Retries are off, so a refused or reset connection is counted,
//! not hidden.
//!
//! # Protocols
//!
//! `--http2` starts the server with HTTP/2 (`--max-concurrent-streams`
//! streams per connection, default 100, as many servers allow) and has the
//! client speak it with prior knowledge; `--tls` puts TLS in front, the
//! client trusting the CA the server made, and HTTP/2 is then negotiated by
//! ALPN (the server offers only the protocol asked for). The protocol of the
//! run, and the connections it took, are the server's count; a run that
//! spoke another protocol than it asked for fails.
//!
//! With `--bare` the same streams are read by a bare hyper-util client
//! that keeps only the response body: the floor the HTTP/1.1 figure is read
//! against (plain HTTP/1.1 only).
//!
//! `--compare` runs nothing: it reads the results files of earlier runs
//! (`--json`), prints their main figures side by side and writes them into
//! one file — `cargo xtask load --http2` compares an HTTP/1.1 run with an
//! HTTP/2 run this way, each run in a process of its own so that their
//! memory figures do not mix.
//!
//! Exits with 1 when a chunk was lost, a stream failed, the streams were not
//! all open at once, or the protocol was not the one asked for; 2 for a
//! usage or set-up error.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chatstream::types::{ChatCompletionMessage, ChatCompletionRequest};
use chatstream::{Client, EndState};
use chatstream_testkit::process as proc;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

// A binary's root lives in `src/bin/`, where every file is a binary of its
// own: the modules live in the folder named after it.
#[path = "load/bare.rs"]
mod bare;
#[path = "load/compare.rs"]
mod compare;
#[path = "load/options.rs"]
mod options;
#[path = "load/progress.rs"]
mod progress;
#[path = "load/report.rs"]
mod report;
#[path = "load/server.rs"]
mod server;

use options::{Command, Options};
use progress::Progress;
use report::{Asked, Results};

/// Descriptors needed besides one per stream (standard streams, the
/// runtime's epoll and wakers, the stats connection).
const SPARE_DESCRIPTORS: u64 = 64;

fn main() -> ExitCode {
    let options = match options::parse_args() {
        Ok(Command::Run(options)) => options,
        Ok(Command::Compare { runs, json }) => return compare::run(&runs, json.as_deref()),
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
    match runtime.block_on(run(&options)) {
        Ok(results) => verdict(&results, options.json.as_deref()),
        Err(message) => {
            eprintln!("load: {message}");
            ExitCode::from(2)
        }
    }
}

/// Prints the results, writes them to `json` if given, and says whether the
/// run passed.
fn verdict(results: &Results, json: Option<&Path>) -> ExitCode {
    print!("{}", results.table());
    for warning in results.warnings() {
        eprintln!("load: warning: {warning}");
    }
    if let Some(path) = json {
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
    let server = match &options.url {
        Some(_) => None,
        None => Some(server::start(server_settings(options))?),
    };
    let url = match (&options.url, &server) {
        (Some(url), _) => url.clone(),
        (None, Some(server)) => server.paced_url(),
        (None, None) => return Err("no server to run against".to_owned()),
    };
    eprintln!(
        "load: {} streams × {} chunks, one per {} ms, held {} ms after the first; server at {url}",
        options.streams,
        options.chunks,
        options.interval_ms,
        options.hold_ms()
    );
    let client = client(options, &url, server.as_ref().and_then(|s| s.ca_pem()))?;
    measure(options, &url, &client).await
}

/// The server this run starts, as the options say.
fn server_settings(options: &Options) -> server::Settings {
    server::Settings {
        chunks: options.chunks,
        interval_ms: options.interval_ms,
        hold_ms: options.hold_ms(),
        http2: options.http2,
        tls: options.tls,
        max_concurrent_streams: options.max_concurrent_streams,
    }
}

/// The client under test: no retries, an idle timeout longer than the hold,
/// HTTP/2 with prior knowledge on a plain URL with `--http2`, and the
/// server's CA trusted with TLS.
fn client(options: &Options, url: &str, ca_pem: Option<&[u8]>) -> Result<Client, String> {
    let mut builder = Client::builder()
        .base_url(url)
        .api_key("sk-load")
        .no_proxy()
        .max_retries(0)
        .idle_timeout(options.idle_timeout());
    if options.http2 && url.starts_with("http://") {
        builder = builder.http2_prior_knowledge();
    }
    if let Some(pem) = ca_pem {
        builder = builder.add_root_certificate_pem(pem);
    }
    builder
        .build()
        .map_err(|e| format!("cannot build the client: {e}"))
}

/// Opens the streams, takes the idle point, reads them to their end.
async fn measure(options: &Options, url: &str, client: &Client) -> Result<Results, String> {
    let address = server::address(url)?;
    let request = Arc::new(ChatCompletionRequest::new(
        "paced-model",
        vec![ChatCompletionMessage::user("Say something, slowly.")],
    ));
    let server_before = server::stats(&address).await?;
    let bare = if options.bare {
        Some(Arc::new(bare::Bare::new(url, &request)?))
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
        asked: options.url.is_none().then_some(Asked {
            http2: options.http2,
            tls: options.tls,
            max_concurrent_streams: options.max_concurrent_streams,
        }),
        baseline: proc::memory()?,
        ..Results::default()
    };
    let progress = Arc::new(Progress::new());
    let started = Instant::now();
    let tasks = spawn_streams(options, client, &request, bare.as_ref(), &progress);
    idle_point(options.streams, &progress, &mut results, started).await?;

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
    results.first_chunk_spread = progress.first_chunk_spread();
    results.errors = progress
        .errors
        .lock()
        .map_err(|_| "a stream task panicked while counting an error")?
        .clone();
    results.streams_failed = results.errors.values().sum();
    Ok(results)
}

/// One task per stream, chatstream's or the bare client's.
fn spawn_streams(
    options: &Options,
    client: &Client,
    request: &Arc<ChatCompletionRequest>,
    bare: Option<&Arc<bare::Bare>>,
    progress: &Arc<Progress>,
) -> Vec<JoinHandle<()>> {
    let opening = Arc::new(Semaphore::new(options.open_concurrency));
    let mut tasks = Vec::with_capacity(usize::try_from(options.streams).unwrap_or(0));
    for _ in 0..options.streams {
        let opening = Arc::clone(&opening);
        let progress = Arc::clone(progress);
        tasks.push(match bare {
            Some(bare) => tokio::spawn(bare::stream(
                Arc::clone(bare),
                opening,
                progress,
                options.chunks,
            )),
            None => tokio::spawn(stream(
                client.clone(),
                Arc::clone(request),
                opening,
                progress,
                options.chunks,
            )),
        });
    }
    tasks
}

/// Waits until every stream has its first chunk (or has failed), then
/// takes the idle point's figures.
async fn idle_point(
    streams: u64,
    progress: &Progress,
    results: &mut Results,
    started: Instant,
) -> Result<(), String> {
    loop {
        let ready =
            progress.first.load(Ordering::Relaxed) + progress.failed_early.load(Ordering::Relaxed);
        if ready >= streams {
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
    Ok(())
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
    // Opened by a function of its own: a local of this function's scope
    // would keep its room in the task for the whole function (the compiler
    // lays an async function's state out by scope, not by last use), so an
    // `opened` result and the stream would each hold a copy of the stream's
    // 1.8 KB. The figure is what an open stream costs, not this task's
    // layout.
    let mut stream = match open(&client, &request, &opening).await {
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
                progress.chunk(chunks);
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

/// Opens one stream, holding an opening permit until its response head
/// arrives.
async fn open(
    client: &Client,
    request: &ChatCompletionRequest,
    opening: &Semaphore,
) -> chatstream::Result<chatstream::ChatCompletionStream> {
    let _permit = opening.acquire().await;
    // Boxed so that the request's state machine, which is done with once the
    // head has arrived, is freed then instead of living inside this task for
    // as long as the stream.
    Box::pin(client.create_chat_completion_stream(request)).await
}

/// Writes `json` to `path`, creating its folder.
pub(crate) fn write_json(path: &Path, json: &serde_json::Value) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(json).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}
