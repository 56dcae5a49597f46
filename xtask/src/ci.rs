//! `cargo xtask ci`: the same checks as `.ci/run`, for running locally
//! (including the end-to-end tier against real servers, `cargo xtask e2e`).
//!
//! The list is kept short and identical to `.ci/run` on purpose: a check that
//! only CI runs is a check developers learn about too late.

use crate::deps;
use crate::util::{cargo, run};

/// Runs every CI check in order and stops at the first failure.
pub fn run_all(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("`ci` takes no arguments, got `{arg}`"));
    }
    // The README's test command.
    run(cargo().arg("test"))?;
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo()
        .args(["doc", "--workspace", "--no-deps"])
        .env("RUSTDOCFLAGS", "-Dwarnings"))?;
    deps::check()?;
    // End-to-end tests against independent servers (installs cached outside
    // the clone).
    crate::e2e::run_e2e(&["--tier".to_owned(), "all".to_owned()])
}
