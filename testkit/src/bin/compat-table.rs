//! `compat-table`: the README's provider compatibility table, generated from
//! the captured corpus (`tests/data/fixtures`).
//!
//! ```text
//! compat-table            print the table (Markdown) on standard output
//! compat-table --write    rewrite the README block between the compat-table markers
//! compat-table --check    exit 1 if that block differs from the generated table
//! ```
//!
//! `cargo xtask compat` runs it with `--write`, `cargo xtask compat --check`
//! with `--check`; `tests/tests/compat_table.rs` makes the same comparison
//! under `cargo test`. Errors (unreadable corpus, missing markers) exit 2.

use std::process::ExitCode;

use chatstream_testkit::compat::{generate, readme, readme_path};

/// What the command line asked for.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Print,
    Write,
    Check,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => Mode::Print,
        ["--write"] => Mode::Write,
        ["--check"] => Mode::Check,
        _ => {
            eprintln!("usage: compat-table [--write | --check]");
            return ExitCode::from(2);
        }
    };
    match run(mode) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("compat-table: {message}");
            ExitCode::from(2)
        }
    }
}

/// Does what `mode` says; `Ok(false)` when `--check` finds the block stale.
fn run(mode: Mode) -> Result<bool, String> {
    let table = generate()?;
    if let Mode::Print = mode {
        print!("{table}");
        return Ok(true);
    }
    let path = readme_path();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let updated = readme::with_block(&text, &table)?;
    match mode {
        Mode::Check if updated != text => {
            eprintln!(
                "{}: the compatibility table is stale; run `cargo xtask compat`",
                path.display()
            );
            Ok(false)
        }
        Mode::Write if updated != text => {
            std::fs::write(&path, updated)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            eprintln!("{}: compatibility table updated", path.display());
            Ok(true)
        }
        _ => {
            eprintln!("{}: compatibility table up to date", path.display());
            Ok(true)
        }
    }
}
