//! Project automation, run as `cargo xtask <command>` (the alias lives in
//! `.cargo/config.toml`). Plain Rust with no dependencies, so it builds in a
//! second on a fresh machine, the way rust-analyzer's xtask does.
//!
//! Commands:
//!
//! - `bench [--chunks N] [--regen] [--only types|sse|client] [--runs N] [--client-runtime current|multi] [--report]` — generate
//!   the benchmark corpora if missing and run the benchmarks against the
//!   peers (package `benches/`, its `peers` feature on); with `--report`,
//!   publish the results to `docs/bench/results.json` and regenerate
//!   `BENCHMARKS.md`, the charts and the README section from them.
//! - `bench --report-only` — only regenerate the report from the committed
//!   `docs/bench/results.json`.
//! - `compat [--check]` — regenerate the README's provider compatibility
//!   table from the captured corpus (`--check`: fail if it is stale).
//! - `ci` — the checks `.ci/run` runs: tests (default features, the client
//!   without them and with `native-roots`), rustfmt, clippy and rustdoc with
//!   warnings denied, the dependency rules, the fuzz targets compiled, the
//!   published crates tested from their archives, and the end-to-end tiers.
//! - `deps` — the dependency rules alone, with the client's crate count.
//! - `e2e [--tier fast|model|all]` — install (cached outside the clone),
//!   start and stop the independent OpenAI-compatible servers, and run
//!   `tests/tests/e2e_real_servers/` against them.
//! - `fuzz <target|list> [--time SECONDS] [--jobs N]` — run a libFuzzer
//!   target of `fuzz/` with cargo-fuzz (`RUSTC_BOOTSTRAP=1`), seeding its
//!   corpus from `tests/data`.
//! - `package [--allow-dirty]` — `cargo package` the three published crates
//!   and run their tests and examples from the unpacked archives.
//! - `load [--streams N] [--chunks M] [--interval-ms T] [--hold-ms H] [--open-concurrency K] [--tls] [--bare]`
//!   — the load benchmark: N concurrent paced streams (default 10,000) from
//!   one client process against the loopback mock server in another;
//!   chunks delivered vs sent, errors, wall time, RSS per idle open stream.
//!   With `--http2 [--max-concurrent-streams S]`, an HTTP/1.1 run and an
//!   HTTP/2 run of the same streams, side by side; `--record` then records
//!   both in `docs/bench/load-http2.json` (`--tls`: `load-http2-tls.json`)
//!   with the machine's facts and regenerates `BENCHMARKS.md`.
//! - `sync-data [--check] [--from DIR]` — copy the shared fixture corpus and SSE
//!   vectors (default `../shared`) into `tests/data`, or with `--check` only
//!   report what differs.

use std::process::ExitCode;

mod bench;
mod ci;
mod compat;
mod deps;
mod e2e;
mod fuzz;
mod load;
mod package;
mod sync_data;
mod util;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{}", USAGE);
        return ExitCode::FAILURE;
    };
    let result = match command.as_str() {
        "bench" => bench::run_bench(rest),
        "ci" => ci::run_all(rest),
        "compat" => compat::run(rest),
        "deps" => deps::run(rest),
        "e2e" => e2e::run_e2e(rest),
        "fuzz" => fuzz::run_fuzz(rest),
        "load" => load::run_load(rest),
        "package" => package::run_package(rest),
        "sync-data" => sync_data::run(rest),
        "help" | "--help" | "-h" => {
            println!("{}", USAGE);
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo xtask <command>

commands:
  bench [--chunks N] [--regen] [--only types|sse|client] [--runs N] [--client-runtime current|multi] [--report]
                          generate the corpora (default 200000 chunks) and run
                          the decode benchmarks against the peers; --report
                          publishes docs/bench/results.json and regenerates
                          BENCHMARKS.md, docs/bench/*.svg and the README section
  bench --report-only     regenerate that report from docs/bench/results.json
                          (and the recorded load runs, docs/bench/load-http2*.json)
  compat [--check]        regenerate the README's provider compatibility table
                          from tests/data/fixtures (--check: fail if stale)
  ci                      run the CI checks (tests in each feature set, fmt, clippy,
                          doc, dependency rules, fuzz targets, packages, e2e)
  deps                    check the layers' dependency rules and count the client's crates
  e2e [--tier fast|model|all]
                          run the client against real servers on loopback
                          (default fast; installs are cached outside the clone)
  fuzz <target|list> [--time SECONDS] [--jobs N]
                          run a fuzz target (default 60 s) with cargo-fuzz;
                          `list` names the targets
  package [--allow-dirty] package the published crates and test them from
                          the unpacked archives
  load [--streams N] [--chunks M] [--interval-ms T] [--hold-ms H] [--open-concurrency K] [--tls] [--bare]
                          N concurrent paced streams (default 10000 × 200 chunks,
                          one per 100 ms) against the mock server in another
                          process: lost chunks, errors, RSS per idle stream
  load --http2 [--max-concurrent-streams S] [--tls] [--record] [ARGS]
                          the same streams over HTTP/1.1 then HTTP/2 (S streams
                          per server connection, default 100), side by side;
                          --record: once both pass, record them in
                          docs/bench/load-http2.json (--tls: load-http2-tls.json)
                          with the machine's facts and regenerate BENCHMARKS.md
  sync-data [--check] [--from DIR]
                          copy ../shared fixtures and SSE vectors into tests/data";
