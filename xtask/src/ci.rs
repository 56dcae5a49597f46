//! `cargo xtask ci`: the same checks as `.ci/run`, for running locally
//! (including the end-to-end tier against real servers, `cargo xtask e2e`).
//!
//! The list is kept short and identical to `.ci/run` on purpose: a check that
//! only CI runs is a check developers learn about too late.

use crate::deps;
use crate::util::{cargo, run, workspace_root};

/// Runs every CI check in order and stops at the first failure.
pub fn run_all(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("`ci` takes no arguments, got `{arg}`"));
    }
    // The lock file must be current: every later step builds what it pins.
    run(cargo().args(["fetch", "--locked"]))?;
    // The README's test command.
    run(cargo().arg("test"))?;
    // The client in its other feature sets: the protocol alone (no hyper,
    // rustls or tokio), and the operating system's roots.
    run(cargo().args([
        "test",
        "--locked",
        "-p",
        "chatstream",
        "--no-default-features",
    ]))?;
    run(cargo().args([
        "test",
        "--locked",
        "-p",
        "chatstream",
        "--no-default-features",
        "--features",
        "native-roots",
    ]))?;
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    // Every feature on: the benchmarks' peers and both root stores.
    run(cargo().args([
        "clippy",
        "--locked",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo().args([
        "clippy",
        "--locked",
        "-p",
        "chatstream",
        "--no-default-features",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo()
        .args(["doc", "--locked", "--workspace", "--no-deps"])
        .env("RUSTDOCFLAGS", "-Dwarnings"))?;
    deps::check()?;
    // The fuzz targets (their own workspace) must keep compiling against the
    // crates' API; running them is `cargo xtask fuzz`.
    // In the workspace's target folder, so that what both build is built once.
    let root = workspace_root();
    run(cargo()
        .args(["check", "--locked", "--bins", "--manifest-path"])
        .arg(root.join("fuzz/Cargo.toml"))
        .arg("--target-dir")
        .arg(root.join("target")))?;
    crate::package::run_package(&[])?;
    // End-to-end tests against independent servers (installs cached outside
    // the clone).
    crate::e2e::run_e2e(&["--tier".to_owned(), "all".to_owned()])
}
