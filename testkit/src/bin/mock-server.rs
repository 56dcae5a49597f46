//! `mock-server`: a standalone loopback HTTP/1.1 server that streams a
//! corpus file as a chat-completion event stream, for the client benchmark
//! (`cargo xtask bench --only client`), or paced synthetic streams, for the
//! load benchmark (`cargo xtask load`).
//!
//! ```text
//! mock-server [--corpus FILE] [--port 0] [--write-size 16384] [--framing chunked|length]
//!             [--chunks 200] [--interval-ms 100] [--hold-ms MS] [--exit-with-stdin]
//! ```
//!
//! - `POST …/chat/completions` (any prefix): `200 text/event-stream`, the
//!   corpus file as the body, HTTP/1.1 chunked, one chunk of `--write-size`
//!   bytes per socket write, written as fast as the socket takes them (no
//!   pacing); with `--framing length` the body has a `content-length`
//!   instead and the writes carry no chunk framing, so the client's reads,
//!   not the chunks, decide how large the pieces it sees are;
//! - a path segment `chunked` or `length` (`/length/v1/chat/completions`)
//!   chooses the framing of that request, whatever `--framing` says;
//! - a path segment `first-N` (`/first-20/v1/chat/completions`) sends only
//!   the first `N` events of the corpus, followed by `data: [DONE]` if they
//!   did not include it — the short stream of the time-to-first-chunk
//!   measurement;
//! - a path segment `paced` (`/paced/v1/chat/completions`), or any chat
//!   request when no `--corpus` was given: a paced synthetic stream of
//!   `--chunks` chunks, one per `--interval-ms`, the second one `--hold-ms`
//!   after the first (see the `paced` module);
//! - `GET /health`: `200 ok`;
//! - `GET /stats`: the counters of the `stats` module as JSON (connections,
//!   paced streams started, finished and aborted, chunks sent);
//! - anything else: 404.
//!
//! It prints `listening on http://127.0.0.1:PORT/v1` on standard output once
//! bound (port 0 picks a free one) and serves until killed, or with
//! `--exit-with-stdin` until its standard input closes (so a benchmark that
//! dies never leaves it behind).
//!
//! # Why not the `mock` module's server
//!
//! The benchmark measures the client, on a two-core machine where the server
//! competes for the CPU, so the server must cost as little as possible and
//! write exactly what it is told: requests are parsed with `httparse`, and
//! the corpus's responses are cut once at start-up into ready-made writes
//! (chunks `{size:x}\r\n…\r\n`, or bare slices), each sent with one
//! `write_all`. hyper's server
//! would coalesce several chunks into one vectored write at its own
//! discretion, and the library's `PacedBody` yields to the scheduler after
//! every piece. Running in its own process keeps its CPU time and memory out
//! of the client's numbers (peak RSS, allocations).
//!
//! The listening socket asks for a backlog of [`BACKLOG`] (the kernel caps it
//! at `net.core.somaxconn`) so that a load client opening thousands of
//! connections at once is not refused while this single thread accepts.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

// A binary's root lives in `src/bin/`, where every file is a binary of its
// own: the modules live in the folder named after it.
#[path = "mock-server/paced.rs"]
mod paced;
#[path = "mock-server/stats.rs"]
mod stats;

use paced::Paced;
use stats::{OpenConnection, Stats};

const USAGE: &str = "usage: mock-server [--corpus FILE] [--port 0] [--write-size 16384] \
                     [--framing chunked|length] [--chunks 200] [--interval-ms 100] \
                     [--hold-ms MS] [--exit-with-stdin]";

/// The listen backlog asked for (the kernel lowers it to `somaxconn`).
const BACKLOG: u32 = 65_535;

/// The largest request head accepted.
const MAX_HEAD: usize = 64 * 1024;

/// The largest request body accepted (a chat request is a few hundred bytes).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// The head of every event-stream response, less its framing header.
const SSE_HEAD: &str = "HTTP/1.1 200 OK\r\n\
    content-type: text/event-stream\r\n\
    cache-control: no-cache\r\n\
    x-request-id: req_mock_server\r\n";

/// The command line.
#[derive(Debug)]
struct Options {
    corpus: Option<PathBuf>,
    port: u16,
    write_size: usize,
    chunked: bool,
    exit_with_stdin: bool,
    paced: paced::Settings,
}

/// What the server sends.
#[derive(Debug)]
struct Served {
    /// The corpus as given (empty without `--corpus`).
    corpus: Bytes,
    /// Whether a corpus was given: without one, every chat request is paced.
    has_corpus: bool,
    /// The corpus's chunked response: head, then one element per write (see
    /// [`response`]).
    chunked: Vec<Bytes>,
    /// The corpus's response with a `content-length`.
    length: Vec<Bytes>,
    write_size: usize,
    /// The framing of requests whose path does not choose one.
    default_chunked: bool,
    /// The paced synthetic stream.
    paced: Paced,
    /// What was served.
    stats: Stats,
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("mock-server: {message}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("mock-server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mock-server: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut options = Options {
        corpus: None,
        port: 0,
        write_size: 16 * 1024,
        chunked: true,
        exit_with_stdin: false,
        paced: paced::Settings::default(),
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--corpus" => options.corpus = Some(PathBuf::from(value("--corpus")?)),
            "--port" => {
                let port = value("--port")?;
                options.port = port.parse().map_err(|e| format!("--port {port}: {e}"))?;
            }
            "--write-size" => {
                let size = value("--write-size")?;
                options.write_size = size
                    .parse()
                    .map_err(|e| format!("--write-size {size}: {e}"))?;
                if options.write_size == 0 {
                    return Err("--write-size must be at least 1".to_owned());
                }
            }
            "--framing" => {
                options.chunked = match value("--framing")?.as_str() {
                    "chunked" => true,
                    "length" => false,
                    other => return Err(format!("--framing takes chunked or length, got {other}")),
                };
            }
            "--chunks" => {
                let chunks = value("--chunks")?;
                options.paced.chunks = chunks
                    .parse()
                    .map_err(|e| format!("--chunks {chunks}: {e}"))?;
                if options.paced.chunks < 2 {
                    return Err("--chunks must be at least 2 (the role and the final chunk)".into());
                }
            }
            "--interval-ms" => options.paced.interval = millis(&value("--interval-ms")?)?,
            "--hold-ms" => options.paced.hold = Some(millis(&value("--hold-ms")?)?),
            "--exit-with-stdin" => options.exit_with_stdin = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    Ok(options)
}

/// A number of milliseconds.
fn millis(value: &str) -> Result<Duration, String> {
    value
        .parse()
        .map(Duration::from_millis)
        .map_err(|e| format!("{value} ms: {e}"))
}

/// A listener on 127.0.0.1:`port` with a backlog of [`BACKLOG`].
fn listen(port: u16) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(BACKLOG)
}

async fn serve(options: Options) -> Result<(), String> {
    let corpus = match &options.corpus {
        Some(path) => {
            Bytes::from(std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        None => Bytes::new(),
    };
    let served = Arc::new(Served {
        chunked: response(&corpus, options.write_size, true),
        length: response(&corpus, options.write_size, false),
        corpus,
        has_corpus: options.corpus.is_some(),
        write_size: options.write_size,
        default_chunked: options.chunked,
        paced: Paced::new(options.paced, SSE_HEAD),
        stats: Stats::default(),
    });
    let listener = listen(options.port)
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", options.port))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://127.0.0.1:{port}/v1")
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write to standard output: {e}"))?;
    drop(stdout);
    if options.exit_with_stdin {
        // Standard input is read on a thread of its own (a blocking read);
        // end of file, or an error, ends the process.
        std::thread::spawn(|| {
            let mut sink = [0u8; 256];
            let mut stdin = std::io::stdin();
            while matches!(std::io::Read::read(&mut stdin, &mut sink), Ok(n) if n > 0) {}
            std::process::exit(0);
        });
    }
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                let _ = stream.set_nodelay(true);
                let served = Arc::clone(&served);
                tokio::spawn(async move {
                    let _open = OpenConnection::new(&served.stats);
                    if let Err(e) = connection(stream, &served).await {
                        // A client going away mid-body is normal (a
                        // benchmark that stops reading); anything else is
                        // worth a line.
                        if !matches!(
                            e.kind(),
                            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
                        ) {
                            eprintln!("mock-server: connection: {e}");
                        }
                    }
                });
            }
            Err(e) => {
                // Out of file descriptors, most likely: wait for some
                // connections to close rather than spin.
                eprintln!("mock-server: accept: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// The event-stream response for `body`, one element per write: the head,
/// then `size` bytes of the body per write. Chunked: each write one chunk
/// (`{size:x}\r\n…\r\n`), the terminating zero-size chunk appended to the
/// last; otherwise the head announces the length and the writes are bare
/// slices of the body (no copy).
fn response(body: &Bytes, size: usize, chunked: bool) -> Vec<Bytes> {
    let framing = if chunked {
        "transfer-encoding: chunked".to_owned()
    } else {
        format!("content-length: {}", body.len())
    };
    let mut writes = Vec::with_capacity(body.len() / size + 2);
    writes.push(Bytes::from(format!("{SSE_HEAD}{framing}\r\n\r\n")));
    if !chunked {
        writes.extend((0..body.len()).step_by(size).map(|start| {
            let end = body.len().min(start + size);
            body.slice(start..end)
        }));
        return writes;
    }
    let pieces = body.chunks(size);
    let count = pieces.len();
    for (i, piece) in pieces.enumerate() {
        let mut write = BytesMut::with_capacity(piece.len() + 16);
        write.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        write.extend_from_slice(piece);
        write.extend_from_slice(b"\r\n");
        if i + 1 == count {
            write.extend_from_slice(b"0\r\n\r\n");
        }
        writes.push(write.freeze());
    }
    if count == 0 {
        writes.push(Bytes::from_static(b"0\r\n\r\n"));
    }
    writes
}

/// The request head, as much of it as the routing needs.
#[derive(Debug)]
struct Head {
    method: String,
    path: String,
    length: usize,
    chunked: bool,
    close: bool,
}

/// Serves the requests of one connection, one after the other (keep-alive).
async fn connection(mut stream: TcpStream, served: &Served) -> std::io::Result<()> {
    let mut buffer = BytesMut::with_capacity(8 * 1024);
    loop {
        // The head.
        let (head, head_len) = loop {
            match parse_head(&buffer) {
                Ok(Some(parsed)) => break parsed,
                Ok(None) if buffer.len() > MAX_HEAD => {
                    return reply_and_close(&mut stream, 431, "request head too large").await;
                }
                Ok(None) => {}
                Err(message) => return reply_and_close(&mut stream, 400, &message).await,
            }
            if stream.read_buf(&mut buffer).await? == 0 {
                return Ok(());
            }
        };
        if head.chunked {
            return reply_and_close(&mut stream, 501, "chunked request bodies are not supported")
                .await;
        }
        if head.length > MAX_BODY {
            return reply_and_close(&mut stream, 413, "request body too large").await;
        }
        // The body, read and dropped.
        let _ = buffer.split_to(head_len);
        while buffer.len() < head.length {
            if stream.read_buf(&mut buffer).await? == 0 {
                return Ok(());
            }
        }
        let _ = buffer.split_to(head.length);

        let path = head.path.split('?').next().unwrap_or_default();
        match (head.method.as_str(), path) {
            ("POST", path)
                if path.ends_with("/chat/completions")
                    && (!served.has_corpus || path.split('/').any(|s| s == "paced")) =>
            {
                served.paced.serve(&mut stream, &served.stats).await?;
            }
            ("POST", path) if path.ends_with("/chat/completions") => {
                let chunked = framing(path).unwrap_or(served.default_chunked);
                let short;
                let writes = match first_events(path) {
                    Some(n) => {
                        let body = first(&served.corpus, n);
                        short = response(&body, served.write_size, chunked);
                        &short
                    }
                    None if chunked => &served.chunked,
                    None => &served.length,
                };
                for write in writes {
                    stream.write_all(write).await?;
                }
            }
            ("GET", "/health") => {
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nok\n")
                    .await?;
            }
            ("GET", "/stats") => {
                let body = served.stats.json();
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                stream.write_all((head + &body).as_bytes()).await?;
            }
            _ => {
                let message = format!("no route for {} {}", head.method, head.path);
                reply(&mut stream, 404, &message).await?;
            }
        }
        if head.close {
            return stream.shutdown().await;
        }
    }
}

/// Parses a complete request head at the start of `buffer`: `None` while
/// it is incomplete.
fn parse_head(buffer: &[u8]) -> Result<Option<(Head, usize)>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    let len = match request.parse(buffer) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(format!("bad request head: {e}")),
    };
    let mut head = Head {
        method: request.method.unwrap_or_default().to_owned(),
        path: request.path.unwrap_or_default().to_owned(),
        length: 0,
        chunked: false,
        close: request.version == Some(0),
    };
    for header in request.headers.iter() {
        let value = String::from_utf8_lossy(header.value);
        if header.name.eq_ignore_ascii_case("content-length") {
            head.length = value
                .trim()
                .parse()
                .map_err(|e| format!("content-length {value}: {e}"))?;
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = true;
        } else if header.name.eq_ignore_ascii_case("connection") {
            let value = value.to_ascii_lowercase();
            head.close = value.contains("close") || (head.close && !value.contains("keep-alive"));
        }
    }
    Ok(Some((head, len)))
}

/// `N` when a segment of `path` is `first-N`.
fn first_events(path: &str) -> Option<usize> {
    path.split('/')
        .find_map(|segment| segment.strip_prefix("first-")?.parse().ok())
}

/// `Some(true)` when a segment of `path` is `chunked`, `Some(false)` when
/// one is `length`.
fn framing(path: &str) -> Option<bool> {
    path.split('/').find_map(|segment| match segment {
        "chunked" => Some(true),
        "length" => Some(false),
        _ => None,
    })
}

/// The first `n` events of `corpus`, then `data: [DONE]` unless it was
/// among them.
fn first(corpus: &[u8], n: usize) -> Bytes {
    let mut end = 0;
    let mut events = 0;
    while events < n {
        match corpus[end..].windows(2).position(|w| w == b"\n\n") {
            Some(at) => {
                end += at + 2;
                events += 1;
            }
            None => break,
        }
    }
    let mut body = corpus[..end].to_vec();
    if !body.ends_with(b"data: [DONE]\n\n") {
        body.extend_from_slice(b"data: [DONE]\n\n");
    }
    Bytes::from(body)
}

/// A short `text/plain` reply with a known length.
async fn reply(stream: &mut TcpStream, status: u16, message: &str) -> std::io::Result<()> {
    let reason = match status {
        400 => "Bad Request",
        404 => "Not Found",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        _ => "Not Implemented",
    };
    let body = format!("{message}\n");
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all((head + &body).as_bytes()).await
}

/// [`reply`], then close the connection (the request could not be framed).
async fn reply_and_close(
    stream: &mut TcpStream,
    status: u16,
    message: &str,
) -> std::io::Result<()> {
    reply(stream, status, message).await?;
    stream.shutdown().await
}
