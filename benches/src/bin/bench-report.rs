//! `bench-report`: writes `BENCHMARKS.md`, `docs/bench/*.svg` and the
//! README's benchmark section from `docs/bench/results.json` and, when they
//! exist, the load benchmark's recorded runs (`docs/bench/load-http2.json`,
//! `docs/bench/load-http2-tls.json`).
//!
//! ```text
//! bench-report [--check] [--root DIR]
//! ```
//!
//! Run by `cargo xtask bench --report` (after a benchmark run),
//! `cargo xtask load --http2 --record` (after the load runs) and
//! `cargo xtask bench --report-only`. With `--check` it writes nothing and
//! exits 1, naming the files, if any would change: the same check as
//! `benches/tests/bench_report.rs`, for use without the test harness. `--root`
//! is the workspace root (default: the one this binary was built in). The
//! work is done by [`chatstream_bench::render`].

use std::path::PathBuf;
use std::process::ExitCode;

use chatstream_bench::render as bench_report;

const USAGE: &str = "usage: bench-report [--check] [--root DIR]";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("bench-report: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let mut check = false;
    let mut root = bench_report::workspace_root();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--root" => root = PathBuf::from(args.next().ok_or("--root needs a folder")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    let outputs = bench_report::render_at(&root)?;
    if check {
        let stale = bench_report::stale(&root, &outputs);
        if stale.is_empty() {
            println!("bench-report: up to date with {}", bench_report::RESULTS);
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!(
            "bench-report: stale (run `cargo xtask bench --report-only`): {}",
            stale.join(", ")
        );
        return Ok(ExitCode::FAILURE);
    }
    let changed = bench_report::write(&root, &outputs)?;
    if changed.is_empty() {
        println!("bench-report: everything already up to date");
    } else {
        for path in changed {
            println!("bench-report: wrote {path}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
