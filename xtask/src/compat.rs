//! `cargo xtask compat [--check]`: the README's provider compatibility table.
//!
//! The table is derived from the captured corpus by the `compat-table` binary
//! of `chatstream-testkit` (which has the decoder, the parser and the
//! accumulator at hand; this crate has no dependencies and stays that way),
//! so this command only runs it: `--write` rewrites the README block,
//! `--check` fails if the block is stale (`cargo test` checks the same).

use crate::util::{cargo, run as run_command};

/// Regenerates the README block, or with `--check` verifies it.
pub fn run(args: &[String]) -> Result<(), String> {
    let mode = match args {
        [] => "--write",
        [flag] if flag == "--check" => "--check",
        [other, ..] => {
            return Err(format!(
                "`compat` takes only `--check`, got `{other}`\nusage: cargo xtask compat [--check]"
            ));
        }
    };
    run_command(cargo().args([
        "run",
        "-q",
        "-p",
        "chatstream-testkit",
        "--bin",
        "compat-table",
        "--",
        mode,
    ]))
}
