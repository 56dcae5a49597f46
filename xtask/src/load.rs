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
//! a lost chunk, a failed stream, or streams that were not all open at once.
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

use std::process::Command;

use crate::util::{build_tool_binaries, run, workspace_root};

/// Where the results go (relative to the workspace root).
const RESULTS: &str = "target/load/results.json";
/// Where the `--bare` run's results go.
const RESULTS_BARE: &str = "target/load/results-bare.json";

/// Raises the soft open-files limit to the hard one, then runs `$0 "$@"`.
/// An unlimited hard limit is taken as 1,048,576 (Linux's default
/// `nr_open`); if raising fails the binary still runs and reports the limit
/// it got. The server the binary starts inherits the limit.
const RAISE_LIMIT: &str = r#"hard=$(ulimit -H -n); [ "$hard" = unlimited ] && hard=1048576; ulimit -n "$hard" 2>/dev/null; exec "$0" "$@""#;

/// Entry point for `cargo xtask load [ARGS]`: the `load` binary's arguments
/// (`--streams N`, `--chunks M`, `--interval-ms T`, `--hold-ms H`,
/// `--open-concurrency K`, `--bare`).
pub fn run_load(args: &[String]) -> Result<(), String> {
    if args.iter().any(|arg| arg == "--json" || arg == "--url") {
        return Err("`cargo xtask load` chooses --json and starts the server itself".to_owned());
    }
    build_tool_binaries(&["mock-server", "load"])?;
    let binary = workspace_root().join("target/release/load");
    let results = if args.iter().any(|arg| arg == "--bare") {
        RESULTS_BARE
    } else {
        RESULTS
    };
    let mut load = Command::new("sh");
    load.arg("-c")
        .arg(RAISE_LIMIT)
        .arg(binary)
        .current_dir(workspace_root())
        .args(args)
        .args(["--json", results]);
    run(&mut load)
        .map_err(|e| format!("{e}\n(the figures are in {results} when the benchmark got that far)"))
}
