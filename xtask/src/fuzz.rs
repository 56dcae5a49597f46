//! `cargo xtask fuzz`: run the libFuzzer targets of `fuzz/` with cargo-fuzz.
//!
//! `fuzz/` is its own Cargo workspace (the root one excludes it), so neither
//! `cargo build` nor `cargo test` compiles libFuzzer. cargo-fuzz needs nightly
//! flags (`-Zsanitizer`, `-Cpasses=sancov-module`); on a stable toolchain they
//! are allowed with `RUSTC_BOOTSTRAP=1`, which this command sets.
//!
//! Before a run the target's corpus (`fuzz/corpus/<target>`, gitignored) is
//! seeded from `tests/data` when it is missing or empty: the `.sse` fixtures
//! and the SSE conformance vectors for `sse`, the fixtures' `data:` payloads
//! (each alone, and each stream's joined by `0xFF`) for `chunk`, the
//! fixtures for `client`. (`accumulator` reads structured input and starts
//! empty.)
//! Crashes are written to `fuzz/artifacts/<target>/`; replay one with
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run <target> <file>` in `fuzz/`.

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::util::{cargo, run, workspace_root};

/// The targets: name and what it checks.
const TARGETS: &[(&str, &str)] = &[
    (
        "sse",
        "SSE decoder: no panic, split invariance, reference decoder, memory cap, UTF-8",
    ),
    (
        "chunk",
        "chunk parsing: no panic, parser/serde_json agreement, serialize round trip",
    ),
    (
        "accumulator",
        "accumulator: no panic, limits, folded text equals the deltas (model)",
    ),
    (
        "client",
        "client stream over an in-memory body: contract, split invariance, cuts",
    ),
];

const DEFAULT_SECONDS: u64 = 60;

/// Entry point for `cargo xtask fuzz <target> [--time SECONDS] [--jobs N]`
/// and `cargo xtask fuzz list`.
pub fn run_fuzz(args: &[String]) -> Result<(), String> {
    let Some((target, rest)) = args.split_first() else {
        return Err(format!(
            "usage: cargo xtask fuzz <target|list> [--time SECONDS] [--jobs N]\ntargets: {}",
            names()
        ));
    };
    if target == "list" {
        for (name, what) in TARGETS {
            println!("{name:<12} {what}");
        }
        return Ok(());
    }
    if !TARGETS.iter().any(|(name, _)| name == target) {
        return Err(format!(
            "unknown fuzz target `{target}` (targets: {})",
            names()
        ));
    }
    let mut seconds = DEFAULT_SECONDS;
    let mut jobs = 1u32;
    let mut rest = rest.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--time" => {
                let value = rest.next().ok_or("--time needs a number of seconds")?;
                seconds = value.parse().map_err(|e| format!("--time {value}: {e}"))?;
            }
            "--jobs" => {
                let value = rest.next().ok_or("--jobs needs a number")?;
                jobs = value.parse().map_err(|e| format!("--jobs {value}: {e}"))?;
                if jobs == 0 {
                    return Err("--jobs must be at least 1".to_owned());
                }
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }

    ensure_cargo_fuzz()?;
    let root = workspace_root();
    let fuzz_dir = root.join("fuzz");
    let corpus = fuzz_dir.join("corpus").join(target);
    seed(target, &root, &corpus)?;
    let artifacts = fuzz_dir.join("artifacts").join(target);
    let before = list(&artifacts);

    let mut command = cargo();
    command
        .current_dir(&fuzz_dir)
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", "run", target]);
    if jobs > 1 {
        command.arg(format!("--jobs={jobs}"));
    }
    command.args([
        "--".to_owned(),
        format!("-max_total_time={seconds}"),
        "-rss_limit_mb=2048".to_owned(),
        "-print_final_stats=1".to_owned(),
    ]);
    let (success, stats) = run_and_watch(&mut command)?;

    let after = list(&artifacts);
    let new: Vec<&PathBuf> = after.difference(&before).collect();
    let corpus_size = list(&corpus).len();
    println!("fuzz {target}: {seconds} s requested, {jobs} job(s)");
    println!(
        "  executions: {}",
        stats.execs.map_or("unknown".to_owned(), |n| n.to_string())
    );
    println!(
        "  exec/s:     {}",
        stats
            .exec_per_sec
            .map_or("unknown".to_owned(), |n| n.to_string())
    );
    println!("  corpus:     {corpus_size} files in {}", corpus.display());
    if new.is_empty() {
        println!("  crash artifact: none");
    } else {
        for path in &new {
            println!("  crash artifact: {}", path.display());
        }
    }
    match (success, new.is_empty()) {
        (true, true) => Ok(()),
        (_, false) => Err(format!(
            "fuzz target `{target}` failed; replay with `RUSTC_BOOTSTRAP=1 cargo fuzz run {target} {}` in fuzz/",
            new[0].display()
        )),
        (false, true) => Err(format!("`cargo fuzz run {target}` failed")),
    }
}

fn names() -> String {
    TARGETS
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Installs cargo-fuzz from crates.io when `cargo fuzz --version` fails.
fn ensure_cargo_fuzz() -> Result<(), String> {
    let present = cargo()
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if present {
        return Ok(());
    }
    run(cargo().args(["install", "cargo-fuzz", "--locked"]))
}

/// What libFuzzer reported at the end.
#[derive(Default)]
struct Stats {
    execs: Option<u64>,
    exec_per_sec: Option<u64>,
}

/// Runs `command`, echoing its standard error (where cargo and libFuzzer
/// write) line by line while picking out the final statistics.
fn run_and_watch(command: &mut Command) -> Result<(bool, Stats), String> {
    eprintln!("$ RUSTC_BOOTSTRAP=1 {}", describe(command));
    let mut child = command
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start cargo fuzz: {e}"))?;
    let mut stats = Stats::default();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).split(b'\n') {
            let line = line.map_err(|e| format!("reading cargo fuzz output: {e}"))?;
            let line = String::from_utf8_lossy(&line);
            eprintln!("{line}");
            read_stats(&line, &mut stats);
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for cargo fuzz: {e}"))?;
    Ok((status.success(), stats))
}

/// Reads `stat::number_of_executed_units: N` and
/// `stat::average_exec_per_sec: N` (`-print_final_stats=1`), falling back on
/// libFuzzer's progress lines (`#N ... exec/s: N`, also in fork mode).
fn read_stats(line: &str, stats: &mut Stats) {
    let number = |text: &str| text.trim().parse::<u64>().ok();
    if let Some(value) = line.strip_prefix("stat::number_of_executed_units:") {
        stats.execs = number(value);
    } else if let Some(value) = line.strip_prefix("stat::average_exec_per_sec:") {
        stats.exec_per_sec = number(value);
    } else if let Some(progress) = line.strip_prefix('#') {
        let digits: String = progress.chars().take_while(char::is_ascii_digit).collect();
        if let Some(n) = number(&digits) {
            stats.execs = Some(stats.execs.map_or(n, |old| old.max(n)));
        }
        if let Some(at) = line.find("exec/s") {
            let value: String = line[at + "exec/s".len()..]
                .trim_start_matches([':', ' '])
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Some(n) = number(&value) {
                stats.exec_per_sec = Some(n);
            }
        }
    }
}

fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// The files directly in `dir` (none if it does not exist).
fn list(dir: &Path) -> BTreeSet<PathBuf> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.is_file())
                .collect()
        })
        .unwrap_or_default()
}

/// Creates `corpus` from `tests/data` when it is missing or empty.
fn seed(target: &str, root: &Path, corpus: &Path) -> Result<(), String> {
    if !list(corpus).is_empty() {
        return Ok(());
    }
    fs::create_dir_all(corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    let fixtures = sse_files(&root.join("tests/data/fixtures"))?;
    let mut seeds: Vec<(String, Vec<u8>)> = Vec::new();
    match target {
        "sse" | "client" => {
            for path in &fixtures {
                let bytes = read(path)?;
                seeds.push((format!("fixture-{}", fnv1a(&bytes)), bytes));
            }
            let vectors = root.join("crates/sse/tests/data/sse-vectors.jsonl");
            let text =
                fs::read_to_string(&vectors).map_err(|e| format!("{}: {e}", vectors.display()))?;
            for line in text.lines().filter(|line| !line.trim().is_empty()) {
                let bytes = vector_input(line)
                    .ok_or_else(|| format!("{}: no chunks_hex in a line", vectors.display()))?;
                seeds.push((format!("vector-{}", fnv1a(&bytes)), bytes));
            }
        }
        "chunk" => {
            for path in &fixtures {
                let payloads = data_payloads(&read(path)?);
                // The whole stream too, its payloads joined by 0xFF (the
                // target's separator): one parser then sees payloads that
                // share a head and a tail, which is what its reuse of them
                // needs to be exercised.
                let stream = payloads.join(&[0xFF][..]);
                seeds.push((format!("stream-{}", fnv1a(&stream)), stream));
                for payload in payloads {
                    seeds.push((format!("payload-{}", fnv1a(&payload)), payload));
                }
            }
        }
        _ => {}
    }
    let mut written = BTreeSet::new();
    for (name, bytes) in &seeds {
        if written.insert(name.clone()) {
            let path = corpus.join(name);
            fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    eprintln!(
        "seeded {} with {} inputs from tests/data",
        corpus.display(),
        written.len()
    );
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The `.sse` files under `dir`, recursively, sorted.
fn sse_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "sse") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The values of the `data:` lines of an event stream (one space after the
/// colon removed), one per line.
fn data_payloads(body: &[u8]) -> Vec<Vec<u8>> {
    body.split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter_map(|line| line.strip_prefix(b"data:"))
        .map(|value| value.strip_prefix(b" ").unwrap_or(value).to_vec())
        .collect()
}

/// The input of one SSE vector: its `chunks_hex` strings, decoded and joined
/// (a small scan, so that xtask needs no JSON parser).
fn vector_input(line: &str) -> Option<Vec<u8>> {
    let start = line.find("\"chunks_hex\"")?;
    let list = &line[start..];
    let list = &list[list.find('[')? + 1..];
    let list = &list[..list.find(']')?];
    let mut bytes = Vec::new();
    for hex in list.split(',') {
        let hex = hex.trim().trim_matches('"');
        if hex.len() % 2 != 0 {
            return None;
        }
        for i in (0..hex.len()).step_by(2) {
            bytes.push(u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()?);
        }
    }
    Some(bytes)
}

fn fnv1a(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}
