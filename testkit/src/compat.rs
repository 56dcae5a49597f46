//! The provider compatibility table of the README, generated from the
//! captured corpus (`tests/data/fixtures`).
//!
//! A hand-typed "supports reasoning: yes" table goes stale the day a provider
//! changes its stream, and nobody can check it. This one is derived: every
//! `.sse` capture goes through the SSE decoder, [`ChunkParser`] and
//! [`Accumulator`] (the layers the client uses), and each provider's row says
//! what its streams actually showed — the field reasoning came in, the shape
//! of its tool-call fragments, where usage arrived, how the stream ended, the
//! fields our types do not name. Nothing is typed per provider: a new capture
//! changes the table, and `cargo test` (`tests/tests/compat_table.rs`)
//! fails until the README is regenerated with `cargo xtask compat`.
//!
//! The provider is a capture's first path component; the `real-servers/`
//! captures are grouped by the server they came from (see [`servers`]).
//!
//! [`ChunkParser`]: chatstream_types::ChunkParser
//! [`Accumulator`]: chatstream_types::Accumulator

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::corpus::comparable;
use crate::{data_dir, sse_files};

pub mod observe;
pub mod readme;
pub mod row;
pub mod servers;
pub mod table;
pub mod tool_calls;

pub use observe::{End, StreamFacts, observe_stream};
pub use row::ProviderRow;

/// The folder of the captures made against servers run locally, named
/// `<server>-<case>.<ext>`.
pub const LOCAL_SERVERS: &str = "real-servers";

/// The workspace's `README.md`.
pub fn readme_path() -> PathBuf {
    let testkit = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    testkit
        .parent()
        .map_or(testkit.clone(), Path::to_path_buf)
        .join("README.md")
}

/// The table (with its legend) for the corpus in `tests/data/fixtures`.
pub fn generate() -> Result<String, String> {
    let rows = corpus_rows(&data_dir().join("fixtures"))?;
    Ok(table::render(&rows))
}

/// One row per provider for the captures under `fixtures` (sorted: providers,
/// then local servers, each by name).
pub fn corpus_rows(fixtures: &Path) -> Result<Vec<ProviderRow>, String> {
    let expected = expected_lines(&fixtures.join("expected.jsonl"))?;
    let servers = local_server_names(&fixtures.join(LOCAL_SERVERS))?;
    let files = sse_files(fixtures);
    if files.is_empty() {
        return Err(format!("no .sse file under {}", fixtures.display()));
    }
    let mut rows: BTreeMap<(bool, String), ProviderRow> = BTreeMap::new();
    for file in files {
        let name = file.to_string_lossy().replace('\\', "/");
        let body = std::fs::read(fixtures.join(&file))
            .map_err(|e| format!("cannot read {}: {e}", fixtures.join(&file).display()))?;
        let facts = observe_stream(&body);
        let as_expected = match (&facts.summary, expected.get(&name)) {
            (Some(summary), Some(line)) => *summary == comparable(line),
            _ => false,
        };
        let (provider, local) = provider_of(&name, &servers);
        rows.entry((local, provider.clone()))
            .or_insert_with(|| ProviderRow::new(provider, local))
            .add(&facts, as_expected);
    }
    Ok(rows.into_values().collect())
}

/// The provider of a capture (its path relative to the fixtures folder, with
/// `/`), and whether it came from a local server.
pub fn provider_of(name: &str, servers: &BTreeMap<String, String>) -> (String, bool) {
    let mut parts = name.split('/');
    let first = parts.next().unwrap_or(name);
    match (first, parts.next()) {
        (LOCAL_SERVERS, Some(file)) => {
            let stem = servers::stem(file);
            let server = servers.get(stem).map_or(stem, String::as_str);
            (server.to_owned(), true)
        }
        _ => (first.to_owned(), false),
    }
}

/// The server of each capture stem in `folder` (empty if there is no such
/// folder).
fn local_server_names(folder: &Path) -> Result<BTreeMap<String, String>, String> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(format!("cannot list {}: {e}", folder.display())),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", folder.display()))?;
        if entry.path().is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    Ok(servers::server_names(
        names.iter().map(|n| servers::stem(n)),
    ))
}

/// `expected.jsonl`, keyed by `file`.
fn expected_lines(path: &Path) -> Result<BTreeMap<String, Value>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut lines = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line)
            .map_err(|e| format!("{}:{}: {e}", path.display(), number + 1))?;
        let file = value["file"]
            .as_str()
            .ok_or_else(|| format!("{}:{}: no \"file\"", path.display(), number + 1))?;
        lines.insert(file.to_owned(), value);
    }
    Ok(lines)
}
