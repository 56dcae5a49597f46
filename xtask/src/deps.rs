//! `cargo xtask deps`: the dependency rules of the layers.
//!
//! - `chatstream-types` depends on serde and serde_json only, so users who only
//!   want the models pay for nothing else;
//! - `chatstream-sse` depends on bytes and futures-core (and memchr where it
//!   earns its place) only: no tokio, no serde, usable in any transport;
//! - `chatstream` (the client) keeps its whole normal dependency graph small
//!   (peers pull 127–201 crates); the count is reported and capped.

use crate::util::{cargo, output};

/// Direct normal dependencies allowed for each layer crate.
const RULES: &[(&str, &[&str])] = &[
    ("chatstream-types", &["serde", "serde_json"]),
    ("chatstream-sse", &["bytes", "futures-core", "memchr"]),
];

/// The most crates the client's normal dependency graph may hold.
const CLIENT_MAX_CRATES: usize = 60;

/// Prints the dependency report.
pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("`deps` takes no arguments, got `{arg}`"));
    }
    check()
}

/// Checks the rules, printing what it found; fails if one is broken.
pub fn check() -> Result<(), String> {
    let mut broken = Vec::new();
    for (krate, allowed) in RULES {
        let direct = crate_names(&output(cargo().args([
            "tree", "--quiet", "-p", krate, "-e", "normal", "--depth", "1", "--prefix", "none",
        ]))?);
        let extra: Vec<&String> = direct
            .iter()
            .filter(|name| name.as_str() != *krate && !allowed.contains(&name.as_str()))
            .collect();
        println!("{krate}: direct dependencies {:?}", without(&direct, krate));
        if !extra.is_empty() {
            broken.push(format!("{krate} must not depend on {extra:?}"));
        }
    }
    let all = crate_names(&output(cargo().args([
        "tree",
        "--quiet",
        "-p",
        "chatstream",
        "-e",
        "normal",
        "--prefix",
        "none",
    ]))?);
    println!(
        "chatstream: {} crates in the normal dependency graph (limit {CLIENT_MAX_CRATES})",
        all.len()
    );
    if all.len() > CLIENT_MAX_CRATES {
        broken.push(format!(
            "chatstream pulls {} crates, more than {CLIENT_MAX_CRATES}",
            all.len()
        ));
    }
    if broken.is_empty() {
        Ok(())
    } else {
        Err(broken.join("\n"))
    }
}

/// The distinct crate names in `cargo tree --prefix none` output.
fn crate_names(tree: &str) -> Vec<String> {
    let mut names: Vec<String> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

fn without(names: &[String], krate: &str) -> Vec<String> {
    names
        .iter()
        .filter(|n| n.as_str() != krate)
        .cloned()
        .collect()
}
