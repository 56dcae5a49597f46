//! `cargo xtask load`: the load benchmark — N concurrent streams (default
//! 10,000) from one client process against one server process, both on
//! loopback.
//!
//! It builds the `mock-server` and `load` binaries of `chatstream-tests` in
//! release mode, starts the server in its paced mode (each stream a few
//! hundred chunks, one per interval, with a long hold after the first so
//! the client can measure every stream idle), waits for `/health`, runs the
//! client, and stops the server whatever happened. The client prints the
//! table (chunks sent, delivered, lost; errors; wall time; RSS at baseline,
//! with all streams open and idle, and peak; RSS per idle open stream) and
//! writes `target/load/results.json`; this command fails when the client
//! does: a lost chunk, a failed stream, or streams that were not all open
//! at once.
//!
//! # The open-files limit
//!
//! 10,000 streams are 10,000 sockets in each process, more than the usual
//! soft limit of 1024. The limit is raised for the two processes only, never
//! for the machine: each is started through `sh -c 'ulimit -n <hard>; exec
//! …'`, which lifts the soft limit to the hard one (what any process may do
//! without privileges) and then becomes the binary. The client checks the
//! limit it got and says so when it is still too low.
//!
//! # Why two processes
//!
//! The client's memory and CPU must be the client's alone: in one process
//! the server's 10,000 connections would count in the client's resident
//! memory. The server is deliberately cheap (one thread, ready-made writes;
//! see `tests/src/bin/mock-server/paced.rs`), since on a two-core machine it
//! competes with the client for the CPU.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::util::{build_tool_binaries, run, workspace_root};

/// The defaults: 10,000 streams of 200 chunks, one chunk per 100 ms (ten
/// chunks a second, a model's pace), so 100,000 chunks a second at the
/// busiest for 20 seconds.
const DEFAULT_STREAMS: u64 = 10_000;
const DEFAULT_CHUNKS: u64 = 200;
const DEFAULT_INTERVAL_MS: u64 = 100;

/// Where the client writes its results (relative to the workspace root).
const RESULTS: &str = "target/load/results.json";
/// Where the `--bare` run writes its results.
const RESULTS_BARE: &str = "target/load/results-bare.json";

/// Raises the soft open-files limit to the hard one, then runs `$0 "$@"`.
/// An unlimited hard limit is taken as 1,048,576 (Linux's default
/// `nr_open`); if raising fails the binary still runs and reports the limit
/// it got.
const RAISE_LIMIT: &str = r#"hard=$(ulimit -H -n); [ "$hard" = unlimited ] && hard=1048576; ulimit -n "$hard" 2>/dev/null; exec "$0" "$@""#;

/// The command line.
#[derive(Debug)]
struct Options {
    streams: u64,
    chunks: u64,
    interval_ms: u64,
    hold_ms: Option<u64>,
    open_concurrency: Option<u64>,
    /// Read the streams with a bare hyper-util client: the floor.
    bare: bool,
}

impl Options {
    /// The hold after each stream's first chunk: long enough for every
    /// stream to be opened (10,000 take 1.5 s here) before the first one
    /// receives its second chunk, with room to spare for a slower machine.
    fn hold_ms(&self) -> u64 {
        self.hold_ms
            .unwrap_or(5_000 + self.streams + self.interval_ms)
    }
}

/// Entry point for `cargo xtask load [--streams N] [--chunks M]
/// [--interval-ms T] [--hold-ms H] [--open-concurrency K] [--bare]`
/// (`--bare`: the same streams read by a bare hyper-util client, the floor
/// of the per-stream memory figure).
pub fn run_load(args: &[String]) -> Result<(), String> {
    let options = parse(args)?;
    build_tool_binaries(&["mock-server", "load"])?;
    let bin = workspace_root().join("target/release");
    let hold_ms = options.hold_ms();
    let server = Server::start(
        &bin.join("mock-server"),
        &[
            "--chunks".to_owned(),
            options.chunks.to_string(),
            "--interval-ms".to_owned(),
            options.interval_ms.to_string(),
            "--hold-ms".to_owned(),
            hold_ms.to_string(),
        ],
    )?;
    eprintln!(
        "xtask: {} streams × {} chunks, one per {} ms, held {} ms after the first; server at {}",
        options.streams, options.chunks, options.interval_ms, hold_ms, server.url
    );
    // A stream is idle for the hold: the client's idle timeout must be
    // longer, or the benchmark would time its own streams out.
    let idle_timeout_s = (hold_ms + options.interval_ms) / 1000 + 60;
    let results = if options.bare { RESULTS_BARE } else { RESULTS };
    let mut client = raised_limit(&bin.join("load"));
    client
        .current_dir(workspace_root())
        .args(["--url", &server.url])
        .args(["--streams", &options.streams.to_string()])
        .args(["--chunks", &options.chunks.to_string()])
        .args(["--idle-timeout-s", &idle_timeout_s.to_string()])
        .args(["--json", results]);
    if let Some(k) = options.open_concurrency {
        client.args(["--open-concurrency", &k.to_string()]);
    }
    if options.bare {
        client.arg("--bare");
    }
    let outcome = run(&mut client);
    // Stopped here, before the verdict, and by `Drop` on every early return.
    drop(server);
    outcome.map_err(|e| format!("{e}\n(the figures are in {results} when the client got that far)"))
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        streams: DEFAULT_STREAMS,
        chunks: DEFAULT_CHUNKS,
        interval_ms: DEFAULT_INTERVAL_MS,
        hold_ms: None,
        open_concurrency: None,
        bare: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            let value = args.next().ok_or(format!("{name} needs a number"))?;
            value
                .replace('_', "")
                .parse()
                .map_err(|e| format!("{name} {value}: {e}"))
        };
        match arg.as_str() {
            "--streams" => options.streams = number("--streams")?,
            "--chunks" => options.chunks = number("--chunks")?,
            "--interval-ms" => options.interval_ms = number("--interval-ms")?,
            "--hold-ms" => options.hold_ms = Some(number("--hold-ms")?),
            "--open-concurrency" => options.open_concurrency = Some(number("--open-concurrency")?),
            "--bare" => options.bare = true,
            other => {
                return Err(format!(
                    "unknown argument `{other}` (load takes --streams, --chunks, \
                     --interval-ms, --hold-ms, --open-concurrency, --bare)"
                ));
            }
        }
    }
    if options.streams == 0 {
        return Err("--streams must be at least 1".to_owned());
    }
    if options.chunks < 2 {
        return Err("--chunks must be at least 2 (the role and the final chunk)".to_owned());
    }
    Ok(options)
}

/// `program` started through `sh` with the soft open-files limit raised to
/// the hard one (see [`RAISE_LIMIT`]).
fn raised_limit(program: &Path) -> Command {
    let mut command = Command::new("sh");
    command.arg("-c").arg(RAISE_LIMIT).arg(program);
    command
}

// The one way the tools start `mock-server` (shared with `cargo xtask bench`).
#[path = "../../tests/src/mock_process.rs"]
mod mock_process;

use mock_process::MockServerProcess;

/// The mock server in its paced mode, stopped (killed by its process id and
/// reaped) when dropped.
struct Server {
    _process: MockServerProcess,
    url: String,
}

impl Server {
    fn start(binary: &Path, args: &[String]) -> Result<Server, String> {
        let mut command = raised_limit(binary);
        command.args(args);
        let process = MockServerProcess::start(command, Duration::from_secs(10))?;
        // `/paced/v1` is the paced mode whatever the server's defaults.
        let url = process.url().replace("/v1", "/paced/v1");
        Ok(Server {
            _process: process,
            url,
        })
    }
}
