//! `cargo xtask package`: the published crates as crates.io would hold them,
//! tested from their archives.
//!
//! `cargo package` can build each crate from its archive, but only its
//! library: a test or example that reads a file the archive leaves out (the
//! workspace's captured streams, say) would pass in the repository and fail
//! for everyone who runs `cargo test` on the published crate. So the archives
//! are unpacked into a workspace of their own (`target/package-check`), each
//! one's dependency on the others patched to the unpacked copy — they are
//! not on crates.io yet — and their tests and examples run there.

use std::fs;
use std::path::Path;

use crate::util::{cargo, run, workspace_root};

/// The published crates, in dependency order.
const CRATES: &[&str] = &["chatstream-types", "chatstream-sse", "chatstream"];

/// Entry point for `cargo xtask package [--allow-dirty]`.
pub fn run_package(args: &[String]) -> Result<(), String> {
    let mut allow_dirty = false;
    for arg in args {
        match arg.as_str() {
            "--allow-dirty" => allow_dirty = true,
            other => return Err(format!("`package` takes only --allow-dirty, got `{other}`")),
        }
    }
    let root = workspace_root();
    // `--no-verify`: the archives are built and tested below, in the
    // workspace's target folder, which is both more than `cargo package`'s
    // verification (a library build) and cheaper than its fresh build of
    // every dependency.
    let mut package = cargo();
    package.args(["package", "--locked", "--no-verify"]);
    for name in CRATES {
        package.args(["-p", name]);
    }
    if allow_dirty {
        package.arg("--allow-dirty");
    }
    run(&mut package)?;
    let check = root.join("target/package-check");
    if check.exists() {
        fs::remove_dir_all(&check).map_err(|e| format!("{}: {e}", check.display()))?;
    }
    fs::create_dir_all(&check).map_err(|e| format!("{}: {e}", check.display()))?;
    let version = workspace_version(&root)?;
    let mut members = Vec::new();
    for name in CRATES {
        let archive = root.join(format!("target/package/{name}-{version}.crate"));
        run(std::process::Command::new("tar")
            .arg("-xzf")
            .arg(&archive)
            .arg("-C")
            .arg(&check))?;
        members.push(format!("{name}-{version}"));
    }
    fs::write(check.join("Cargo.toml"), manifest(&members, &version))
        .map_err(|e| format!("{}: {e}", check.display()))?;
    // The repository's lock file: the unpacked crates build against the
    // same dependency versions as the repository's own.
    fs::copy(root.join("Cargo.lock"), check.join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    let manifest_path = check.join("Cargo.toml");
    let target_dir = root.join("target");
    for features in [&["--all-features"][..], &["--no-default-features"]] {
        let mut test = cargo();
        test.arg("test")
            .arg("--manifest-path")
            .arg(&manifest_path)
            .arg("--target-dir")
            .arg(&target_dir)
            .args(["--workspace", "--all-targets"])
            .args(features);
        run(&mut test)?;
    }
    let mut doc_tests = cargo();
    doc_tests
        .arg("test")
        .arg("--manifest-path")
        .arg(&manifest_path)
        .arg("--target-dir")
        .arg(&target_dir)
        .args(["--workspace", "--doc"]);
    run(&mut doc_tests)?;
    eprintln!(
        "the archives of {} pass their tests unpacked ({})",
        CRATES.join(", "),
        check.display()
    );
    Ok(())
}

/// The workspace manifest of the unpacked crates.
fn manifest(members: &[String], version: &str) -> String {
    let quoted: Vec<String> = members.iter().map(|m| format!("\"{m}\"")).collect();
    let mut text = format!(
        "# Made by `cargo xtask package`: the published archives, unpacked.\n\
         [workspace]\nresolver = \"3\"\nmembers = [{}]\n\n[patch.crates-io]\n",
        quoted.join(", ")
    );
    for name in CRATES {
        text.push_str(&format!("{name} = {{ path = \"{name}-{version}\" }}\n"));
    }
    text
}

/// The `version` of `[workspace.package]` in the root manifest.
fn workspace_version(root: &Path) -> Result<String, String> {
    let text =
        fs::read_to_string(root.join("Cargo.toml")).map_err(|e| format!("Cargo.toml: {e}"))?;
    let mut in_package = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[workspace.package]";
        } else if in_package {
            if let Some(value) = line.strip_prefix("version") {
                let value = value.trim_start().trim_start_matches('=').trim();
                return Ok(value.trim_matches('"').to_owned());
            }
        }
    }
    Err("no version in [workspace.package] of Cargo.toml".to_owned())
}
