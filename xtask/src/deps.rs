//! `cargo xtask deps`: the dependency rules of the layers.
//!
//! - `chatstream-types` depends on serde and serde_json only, so users who only
//!   want the models pay for nothing else;
//! - `chatstream-sse` depends on bytes and futures-core (and memchr where it
//!   earns its place) only: no tokio, no serde, usable in any transport;
//! - `chatstream` (the client) keeps its whole normal dependency graph small
//!   (peers pull 127–201 crates); the count with the default features is
//!   reported and capped; with `native-roots` instead of the bundled roots
//!   (the operating system's store: `rustls-native-certs` and
//!   `openssl-probe` in place of `webpki-roots`) it is reported;
//! - the `tracing` feature of `chatstream` adds no crate (tracing is in the
//!   graph already, through h2);
//! - `chatstream` with `default-features = false` (the protocol over any
//!   byte stream) pulls none of the transport: no hyper, rustls or tokio.

use crate::util::{cargo, output};

/// Direct normal dependencies allowed for each layer crate.
const RULES: &[(&str, &[&str])] = &[
    ("chatstream-types", &["serde", "serde_json"]),
    ("chatstream-sse", &["bytes", "futures-core", "memchr"]),
];

/// The most crates the client's normal dependency graph may hold.
const CLIENT_MAX_CRATES: usize = 60;

/// What `chatstream` without default features must not pull in.
const TRANSPORT: &[&str] = &[
    "hyper",
    "hyper-util",
    "hyper-rustls",
    "rustls",
    "tokio",
    "tower-service",
    "webpki-roots",
    "rustls-native-certs",
];

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
    let all = client_graph(&[])?;
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
    let traced = client_graph(&["--features", "tracing"])?;
    println!(
        "chatstream (--features tracing): {} crates (tracing is in the graph already)",
        traced.len()
    );
    if traced.len() > all.len() {
        broken.push(format!(
            "the tracing feature adds {} crates",
            traced.len() - all.len()
        ));
    }
    let native = client_graph(&["--no-default-features", "--features", "native-roots"])?;
    println!(
        "chatstream (native-roots instead of webpki-roots): {} crates",
        native.len()
    );
    let bare = client_graph(&["--no-default-features"])?;
    let transport: Vec<&String> = bare
        .iter()
        .filter(|name| TRANSPORT.contains(&name.as_str()))
        .collect();
    println!(
        "chatstream (--no-default-features): {} crates, {:?}",
        bare.len(),
        without(&bare, "chatstream")
    );
    if !transport.is_empty() {
        broken.push(format!(
            "chatstream without default features must not pull {transport:?}"
        ));
    }
    if broken.is_empty() {
        Ok(())
    } else {
        Err(broken.join("\n"))
    }
}

/// The crates of the client's normal dependency graph with `features`.
fn client_graph(features: &[&str]) -> Result<Vec<String>, String> {
    Ok(crate_names(&output(
        cargo()
            .args([
                "tree",
                "--quiet",
                "-p",
                "chatstream",
                "-e",
                "normal",
                "--prefix",
                "none",
            ])
            .args(features),
    )?))
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
