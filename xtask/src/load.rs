//! `cargo xtask load`: the load benchmark — N concurrent streams (default
//! 10,000) from one client process against one server process, both on
//! loopback.
//!
//! The benchmark is the `load` binary of `chatstream-testkit`, which starts
//! `mock-server` in its paced mode, runs the streams and stops the server
//! (its docs say what it measures). This command only builds both in
//! release mode, raises the open-files limit for them, passes the
//! arguments on and picks where the results go (`target/load/results.json`,
//! or `results-bare.json` with `--bare`). It fails when the benchmark does:
//! a lost chunk, a failed stream, streams that were not all open at once,
//! or a protocol other than the one asked for.
//!
//! # HTTP/1.1 against HTTP/2
//!
//! `cargo xtask load --http2 [--tls] [ARGS]` runs the benchmark twice with
//! the same arguments — HTTP/1.1 first, then HTTP/2 (both over TLS with
//! `--tls`) — and prints the two side by side (`load --compare`), because an
//! HTTP/2 figure means little without the HTTP/1.1 one of the same streams
//! on the same machine: one connection per stream against streams
//! multiplexed over few connections, memory per idle stream, and whether
//! every stream was open at once when the server allows only
//! `--max-concurrent-streams` (default 100) per connection. Each run is a
//! process of its own, so that resident memory and its peak are each run's
//! alone. Each run's results go to `target/load/run-http1.1.json` and
//! `target/load/run-http2.json`, both together to
//! `target/load/results-http2.json`. Both runs always run; the command fails
//! if either does.
//!
//! # Recording the comparison for the report
//!
//! `cargo xtask load --http2 [--tls] --record [ARGS]`, once both runs have
//! passed, records the side-by-side results in `docs/bench/load-http2.json`
//! (with `--tls`, `docs/bench/load-http2-tls.json`), adding the date, commit
//! and machine the way `cargo xtask bench` records them with each group
//! (the `bench-record-load` binary of `chatstream-bench`), then regenerates
//! the benchmark report (`cargo xtask bench --report-only`), whose section
//! on many concurrent streams is made from those files. A failed run
//! records nothing. The report takes the streams, the chunks per stream and
//! the streams per connection from the results, but states the server's
//! pace (one chunk per 100 ms), which they do not carry: so `--record`
//! refuses `--interval-ms`.
//!
//! # The open-files limit
//!
//! 10,000 streams are 10,000 sockets in each process, more than the usual
//! soft limit of 1024. The limit is raised for the two processes only, never
//! for the machine: the benchmark is started through `sh -c 'ulimit -n
//! <hard>; exec …'`, which lifts the soft limit to the hard one (what any
//! process may do without privileges) and then becomes the binary; the
//! server it starts inherits the limit. The client checks the limit it got
//! and says so when it is still too low.
//!
//! # Why two processes
//!
//! The client's memory and CPU must be the client's alone: in one process
//! the server's 10,000 connections would count in the client's resident
//! memory. The server is deliberately cheap (one thread, ready-made writes;
//! see `testkit/src/bin/mock-server/paced.rs`), since on a two-core machine it
//! competes with the client for the CPU.

use std::path::PathBuf;
use std::process::Command;

use crate::bench::generate_report;
use crate::util::{build_tool_binaries, cargo, run, workspace_root};

/// Where the results go (relative to the workspace root).
const RESULTS: &str = "target/load/results.json";
/// Where the `--bare` run's results go.
const RESULTS_BARE: &str = "target/load/results-bare.json";
/// Where `--http2` puts both runs' results together.
const RESULTS_HTTP2: &str = "target/load/results-http2.json";
/// Where `--http2` puts the HTTP/1.1 run's results.
const RUN_HTTP1: &str = "target/load/run-http1.1.json";
/// Where `--http2` puts the HTTP/2 run's results.
const RUN_HTTP2: &str = "target/load/run-http2.json";
/// Where `--http2 --record` records both runs for the report.
const RECORDED: &str = "docs/bench/load-http2.json";
/// Where `--http2 --tls --record` records both runs for the report.
const RECORDED_TLS: &str = "docs/bench/load-http2-tls.json";

/// Raises the soft open-files limit to the hard one, then runs `$0 "$@"`.
/// An unlimited hard limit is taken as 1,048,576 (Linux's default
/// `nr_open`); if raising fails the binary still runs and reports the limit
/// it got. The server the binary starts inherits the limit.
const RAISE_LIMIT: &str = r#"hard=$(ulimit -H -n); [ "$hard" = unlimited ] && hard=1048576; ulimit -n "$hard" 2>/dev/null; exec "$0" "$@""#;

/// Entry point for `cargo xtask load [ARGS]`: the `load` binary's arguments
/// (`--streams N`, `--chunks M`, `--interval-ms T`, `--hold-ms H`,
/// `--open-concurrency K`, `--tls`, `--max-concurrent-streams S`, `--bare`),
/// and `--http2`, which compares an HTTP/1.1 run with an HTTP/2 one, with
/// `--record` to record that comparison for the report.
pub fn run_load(args: &[String]) -> Result<(), String> {
    check_args(args)?;
    build_tool_binaries(&["mock-server", "load"])?;
    if args.iter().any(|arg| arg == "--http2") {
        let common: Vec<String> = args
            .iter()
            .filter(|a| !["--http2", "--record"].contains(&a.as_str()))
            .cloned()
            .collect();
        compare_protocols(&common)?;
        return if args.iter().any(|arg| arg == "--record") {
            record(args.iter().any(|arg| arg == "--tls"))
        } else {
            Ok(())
        };
    }
    let results = if args.iter().any(|arg| arg == "--bare") {
        RESULTS_BARE
    } else {
        RESULTS
    };
    run(&mut load(args, results))
        .map_err(|e| format!("{e}\n(the figures are in {results} when the benchmark got that far)"))
}

/// Refuses the arguments `cargo xtask load` chooses itself and those that
/// do not go together.
fn check_args(args: &[String]) -> Result<(), String> {
    let has = |flag: &str| args.iter().any(|arg| arg == flag);
    if ["--json", "--url", "--compare"].into_iter().any(has) {
        return Err(
            "`cargo xtask load` chooses --json, starts the server itself and compares runs \
             with --http2"
                .to_owned(),
        );
    }
    if has("--http2") && has("--bare") {
        return Err("--bare reads plain HTTP/1.1 only: it cannot be compared with --http2".into());
    }
    if has("--record") && !has("--http2") {
        return Err("--record records the comparison of --http2: add --http2".into());
    }
    if has("--record") && has("--interval-ms") {
        return Err(
            "--record publishes runs at the report's pace (one chunk per 100 ms), which the \
             results do not carry: drop --interval-ms"
                .into(),
        );
    }
    Ok(())
}

/// Copies both runs' results, with the facts of the machine, to
/// `docs/bench` for the report (`tls`: the runs were over TLS), then
/// regenerates the report.
fn record(tls: bool) -> Result<(), String> {
    let recorded = if tls { RECORDED_TLS } else { RECORDED };
    let root = workspace_root();
    run(cargo()
        .args([
            "run",
            "-q",
            "-p",
            "chatstream-bench",
            "--bin",
            "bench-record-load",
            "--",
        ])
        .arg(root.join(RESULTS_HTTP2))
        .arg(root.join(recorded)))?;
    generate_report()
}

/// The HTTP/1.1 run, then the HTTP/2 run, with the same `args`; then both
/// side by side.
fn compare_protocols(args: &[String]) -> Result<(), String> {
    let root = workspace_root();
    let mut outcomes = Vec::new();
    for (label, results, extra) in [
        ("HTTP/1.1", RUN_HTTP1, None),
        ("HTTP/2", RUN_HTTP2, Some("--http2")),
    ] {
        // A stale file would pass for this run's figures if the run stopped
        // before writing its own.
        let _ = std::fs::remove_file(root.join(results));
        eprintln!("xtask: the {label} run");
        let mut command = load(args, results);
        command.args(extra);
        outcomes.push(run(&mut command).map_err(|e| format!("the {label} run: {e}")));
    }
    run(Command::new(binary())
        .current_dir(&root)
        .arg("--compare")
        .arg(format!("http1.1={RUN_HTTP1}"))
        .arg(format!("http2={RUN_HTTP2}"))
        .args(["--json", RESULTS_HTTP2]))?;
    let failed: Vec<String> = outcomes.into_iter().filter_map(Result::err).collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("\n"))
    }
}

/// The `load` binary (built in release mode).
fn binary() -> PathBuf {
    workspace_root().join("target/release/load")
}

/// `load ARGS --json RESULTS`, run with the open-files limit raised.
fn load(args: &[String], results: &str) -> Command {
    let mut load = Command::new("sh");
    load.arg("-c")
        .arg(RAISE_LIMIT)
        .arg(binary())
        .current_dir(workspace_root())
        .args(args)
        .args(["--json", results]);
    load
}
