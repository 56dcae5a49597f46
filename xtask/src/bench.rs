//! `cargo xtask bench`: the benchmarks against the peers.
//!
//! Everything benchmark lives in the package `benches/` (`chatstream-bench`);
//! this command only runs its binaries: `bench-corpus` writes the corpora if
//! they are missing, then `chatstream-bench` measures over them in release
//! mode. The peers (async-openai, eventsource-stream, sse-stream) sit behind
//! that package's `peers` feature, which only this command turns on, so
//! `cargo build` and `cargo test` never compile them.
//!
//! The binary measures, for each corpus and in one process over the same
//! bytes: parsing each event's payload into our chunk type versus
//! async-openai's, and decoding the Server-Sent Events framing
//! delivered in pieces of 1 KiB, 16 KiB and all at once versus sse-stream and
//! eventsource-stream. Group `client` streams the `text` corpus
//! over loopback HTTP from the `mock-server` binary of `chatstream-testkit`
//! (built here in release mode, next to the bench binary) to our client,
//! async-openai's and a bare hyper request. It prints a table and writes
//! `target/bench-corpus/results.json`.

use crate::util::{build_tool_binaries, cargo, run, workspace_root};

/// Where the bench binary writes its results.
const RESULTS: &str = "target/bench-corpus/results.json";

/// The committed copy the report is generated from.
const PUBLISHED: &str = "docs/bench/results.json";

/// Entry point for `cargo xtask bench [--chunks N] [--regen] [--only
/// types|sse|client] [--runs N] [--client-runtime current|multi] [--report]`
/// and `cargo xtask bench --report-only`.
pub fn run_bench(args: &[String]) -> Result<(), String> {
    if args.iter().any(|arg| arg == "--report-only") {
        if args.len() > 1 {
            return Err("--report-only takes no other argument".to_owned());
        }
        return generate_report();
    }
    let mut report = false;
    // `--chunks` and `--regen` go to `bench-corpus`, which reads and checks
    // them (and knows the default size); the rest to `chatstream-bench`.
    let mut corpus_args: Vec<String> = Vec::new();
    let mut passed: Vec<String> = Vec::new();
    let mut only = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--chunks" => {
                let value = args.next().ok_or("--chunks needs a number")?;
                corpus_args.extend(["--chunks".to_owned(), value.clone()]);
            }
            "--regen" => corpus_args.push("--regen".to_owned()),
            "--report" => report = true,
            "--only" => {
                let value = args
                    .next()
                    .ok_or("--only needs `types`, `sse` or `client`")?;
                if !["types", "sse", "client"].contains(&value.as_str()) {
                    return Err(format!(
                        "--only takes `types`, `sse` or `client`, got `{value}`"
                    ));
                }
                passed.extend(["--only".to_owned(), value.clone()]);
                only = Some(value.as_str());
            }
            "--runs" => {
                let value = args.next().ok_or("--runs needs a number")?;
                value
                    .parse::<u32>()
                    .map_err(|e| format!("--runs {value}: {e}"))?;
                passed.extend(["--runs".to_owned(), value.clone()]);
            }
            "--client-runtime" => {
                let value = args
                    .next()
                    .ok_or("--client-runtime needs current or multi")?;
                passed.extend(["--client-runtime".to_owned(), value.clone()]);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let dir = "target/bench-corpus";
    run(cargo()
        .args([
            "run",
            "-q",
            "--release",
            "-p",
            "chatstream-bench",
            "--bin",
            "bench-corpus",
            "--",
        ])
        .arg(workspace_root().join(dir))
        .args(&corpus_args))?;
    if only.is_none_or(|group| group == "client") {
        build_tool_binaries(&["mock-server"])?;
    }
    run(cargo()
        .args([
            "run",
            "--release",
            "-p",
            "chatstream-bench",
            "--features",
            "peers",
            "--bin",
            "chatstream-bench",
            "--",
            dir,
        ])
        .args(&passed)
        .args(["--json", RESULTS]))?;
    if report {
        let root = workspace_root();
        let published = root.join(PUBLISHED);
        if let Some(parent) = published.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::copy(root.join(RESULTS), &published)
            .map_err(|e| format!("copying {RESULTS} to {PUBLISHED}: {e}"))?;
        eprintln!("copied {RESULTS} to {PUBLISHED}");
        generate_report()?;
    }
    Ok(())
}

/// Regenerates `BENCHMARKS.md`, `docs/bench/*.svg` and the README section
/// from the committed `docs/bench/results.json` (and the load benchmark's
/// recorded runs, `docs/bench/load-http2*.json`).
pub fn generate_report() -> Result<(), String> {
    run(cargo().args([
        "run",
        "-q",
        "-p",
        "chatstream-bench",
        "--bin",
        "bench-report",
    ]))
}
