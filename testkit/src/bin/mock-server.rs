//! `mock-server`: a standalone loopback HTTP server that streams a corpus
//! file as a chat-completion event stream, for the client benchmark
//! (`cargo xtask bench --only client`), or paced synthetic streams, for the
//! load benchmark (`cargo xtask load`), over HTTP/1.1 or HTTP/2, plain or
//! TLS.
//!
//! ```text
//! mock-server [--corpus FILE] [--port 0] [--write-size 16384] [--framing chunked|length]
//!             [--chunks 200] [--interval-ms 100] [--hold-ms MS]
//!             [--http2] [--max-concurrent-streams 100] [--tls --ca-out FILE]
//!             [--exit-with-stdin]
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
//!   HTTP/2 and TLS connections, paced streams started, finished and
//!   aborted, chunks sent);
//! - anything else: 404.
//!
//! It prints `listening on http://127.0.0.1:PORT/v1` on standard output once
//! bound (port 0 picks a free one) and serves until killed, or with
//! `--exit-with-stdin` until its standard input closes (so a benchmark that
//! dies never leaves it behind).
//!
//! # Protocols
//!
//! By default every connection is HTTP/1.1, served by hand (the `http1`
//! module), exactly as the client benchmark expects. `--http2` adds HTTP/2
//! served by hyper (the `http2` module), each connection allowing
//! `--max-concurrent-streams` streams at once, so the load benchmark can
//! show what a client does with more streams than one connection takes.
//! `--tls` puts TLS in front (rustls, a CA and certificate made at start-up,
//! ALPN `h2` with `--http2`, `http/1.1` without), writes the CA certificate
//! as PEM to the `--ca-out` file before it prints
//! `listening on https://localhost:PORT/v1`. Plain HTTP/1.1 is answered on
//! the same port in every mode, so `/health` and `/stats` need no TLS or
//! HTTP/2 client: how a connection is recognised is in the `protocol`
//! module.
//!
//! # Why not the `mock` module's server
//!
//! The benchmark measures the client, on a two-core machine where the server
//! competes for the CPU, so the server must cost as little as possible and
//! write exactly what it is told: HTTP/1.1 requests are parsed with
//! `httparse`, and the responses are cut once at start-up into ready-made
//! writes, each sent with one `write_all` (the `corpus` and `paced`
//! modules); hyper's HTTP/1.1 server would coalesce several chunks into one
//! vectored write at its own discretion, and the library's `PacedBody`
//! yields to the scheduler after every piece. HTTP/2 framing is hyper's, fed
//! the same ready-made bytes. Running in its own process keeps its CPU time
//! and memory out of the client's numbers (peak RSS, allocations).
//!
//! The listening socket asks for a backlog of [`BACKLOG`] (the kernel caps it
//! at `net.core.somaxconn`) so that a load client opening thousands of
//! connections at once is not refused while this single thread accepts.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};

// A binary's root lives in `src/bin/`, where every file is a binary of its
// own: the modules live in the folder named after it.
#[path = "mock-server/corpus.rs"]
mod corpus;
#[path = "mock-server/http1.rs"]
mod http1;
#[path = "mock-server/http2.rs"]
mod http2;
#[path = "mock-server/options.rs"]
mod options;
#[path = "mock-server/paced.rs"]
mod paced;
#[path = "mock-server/protocol.rs"]
mod protocol;
#[path = "mock-server/stats.rs"]
mod stats;

use corpus::Corpus;
use options::Options;
use paced::Paced;
use protocol::Listener;
use stats::{OpenConnection, Stats};

/// The listen backlog asked for (the kernel lowers it to `somaxconn`).
const BACKLOG: u32 = 65_535;

/// What the server sends, and how.
#[derive(Debug)]
struct Served {
    /// The corpus mode's responses.
    corpus: Corpus,
    /// The paced synthetic stream.
    paced: Paced,
    /// The protocols spoken besides plain HTTP/1.1.
    listener: Listener,
    /// What was served.
    stats: Stats,
}

fn main() -> ExitCode {
    let options = match options::parse_args() {
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

/// A listener on 127.0.0.1:`port` with a backlog of [`BACKLOG`].
fn listen(port: u16) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(BACKLOG)
}

async fn serve(options: Options) -> Result<(), String> {
    let (listener, ca_pem) =
        Listener::new(&options).map_err(|e| format!("cannot set up TLS: {e}"))?;
    if let (Some(path), Some(pem)) = (&options.ca_out, &ca_pem) {
        std::fs::write(path, pem).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let origin = listener.origin();
    let served = Arc::new(Served {
        corpus: Corpus::load(
            options.corpus.as_deref(),
            options.write_size,
            options.chunked,
        )?,
        paced: Paced::new(options.paced, corpus::SSE_HEAD),
        listener,
        stats: Stats::default(),
    });
    let socket = listen(options.port)
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", options.port))?;
    let port = socket.local_addr().map_err(|e| e.to_string())?.port();
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {origin}:{port}/v1")
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write to standard output: {e}"))?;
    drop(stdout);
    if options.exit_with_stdin {
        exit_with_stdin();
    }
    accept(socket, served).await
}

/// Ends the process when standard input closes: it is read on a thread of
/// its own (a blocking read); end of file, or an error, ends the process.
fn exit_with_stdin() {
    std::thread::spawn(|| {
        let mut sink = [0u8; 256];
        let mut stdin = std::io::stdin();
        while matches!(std::io::Read::read(&mut stdin, &mut sink), Ok(n) if n > 0) {}
        std::process::exit(0);
    });
}

/// Accepts connections for ever, each served by a task of its own.
async fn accept(socket: TcpListener, served: Arc<Served>) -> Result<(), String> {
    loop {
        match socket.accept().await {
            Ok((stream, _peer)) => {
                let _ = stream.set_nodelay(true);
                let served = Arc::clone(&served);
                tokio::spawn(async move {
                    let _open = OpenConnection::new(&served.stats);
                    if let Err(e) = protocol::connection(stream, &served).await {
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
