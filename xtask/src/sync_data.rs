//! `cargo xtask sync-data`: keep `tests/data` in step with `../shared`.
//!
//! The repository must work when cloned alone, so the tests read a copy of the
//! shared fixture corpus and SSE vectors kept under `tests/data`. When the
//! shared material grows, this command brings the copy up to date (new and
//! changed files are copied; files that vanished upstream are reported, not
//! deleted, since a local regression case may live beside them). `--check`
//! copies nothing and fails when the copy is behind.

use std::fs;
use std::path::{Path, PathBuf};

use crate::util::workspace_root;

/// What is copied: (source relative to the shared folder, destination relative
/// to the workspace root).
const ITEMS: &[(&str, &str)] = &[
    ("fixtures", "tests/data/fixtures"),
    (
        "sse-vectors.jsonl",
        "crates/sse/tests/data/sse-vectors.jsonl",
    ),
];

/// Entry point for `cargo xtask sync-data [--check] [--from DIR]`.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut check = false;
    let mut from = workspace_root().join("../shared");
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--from" => {
                let dir = args.next().ok_or("--from needs a directory")?;
                from = PathBuf::from(dir);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if !from.is_dir() {
        return Err(format!("no shared folder at {}", from.display()));
    }
    let root = workspace_root();
    let mut stale = Vec::new();
    let mut extra = Vec::new();
    for (source, destination) in ITEMS {
        let source = from.join(source);
        let destination = root.join(destination);
        for file in files_under(&source)? {
            let relative = file.strip_prefix(&source).unwrap_or(&file);
            let target = if relative.as_os_str().is_empty() {
                destination.clone()
            } else {
                destination.join(relative)
            };
            let wanted = read(&file)?;
            if fs::read(&target).ok().as_deref() != Some(wanted.as_slice()) {
                stale.push(target.clone());
                if !check {
                    if let Some(parent) = target.parent() {
                        fs::create_dir_all(parent)
                            .map_err(|e| format!("{}: {e}", parent.display()))?;
                    }
                    fs::write(&target, &wanted)
                        .map_err(|e| format!("{}: {e}", target.display()))?;
                }
            }
        }
        if destination.is_dir() {
            for file in files_under(&destination)? {
                let relative = file.strip_prefix(&destination).unwrap_or(&file);
                if !source.join(relative).exists() {
                    extra.push(file);
                }
            }
        }
    }
    for file in &extra {
        println!("only in the copy (kept): {}", file.display());
    }
    for file in &stale {
        let verb = if check { "out of date" } else { "updated" };
        println!("{verb}: {}", file.display());
    }
    if check && !stale.is_empty() {
        return Err(format!(
            "{} file(s) differ from {}; run `cargo xtask sync-data`",
            stale.len(),
            from.display()
        ));
    }
    println!("tests/data is in step with {}", from.display());
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Every regular file under `path` (or `path` itself if it is a file), sorted.
fn files_under(path: &Path) -> Result<Vec<PathBuf>, String> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}
