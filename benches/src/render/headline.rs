//! The headline: the ratio tables that open `BENCHMARKS.md` and fill the
//! README's benchmark section, and the one-line account of the targets.
//!
//! Ratios, not absolute times: a ratio of two methods measured in the same
//! run over the same bytes carries over to another machine far better than a
//! rate does. Every ratio is ours ÷ the peer's for the quantity named on its
//! row, so above 1 means "more of it" — better for rates, worse for memory
//! and time, which the row says.

use super::format;
use super::markdown::table;
use super::model::Results;
use super::targets::{self, Target};

/// The ratio tables (parsing and SSE by corpus, then the client), or a
/// line saying no group was measured.
pub fn tables(results: &Results) -> String {
    let mut out = String::new();
    let decode = decode_table(results);
    if !decode.is_empty() {
        out.push_str(&decode);
    }
    let client = client_table(results);
    if !client.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&client);
    }
    if out.is_empty() {
        out.push_str("No group has been measured yet: run `cargo xtask bench --report`.\n");
    }
    out
}

/// Parsing and SSE decoding: one row per comparison, one column per corpus.
fn decode_table(results: &Results) -> String {
    let mut corpora: Vec<&str> = Vec::new();
    for name in ["types", "sse"] {
        for corpus in results.group(name).map(|g| g.corpora()).unwrap_or_default() {
            if !corpora.contains(&corpus) {
                corpora.push(corpus);
            }
        }
    }
    let comparisons = [
        (
            "types",
            "payloads",
            "ours",
            "async-openai",
            "payload parsing, chunks/s",
        ),
        (
            "types",
            "payloads",
            "ours+fold",
            "async-openai",
            "parsing + folding, chunks/s",
        ),
        (
            "sse",
            "16KiB",
            "ours",
            "sse-stream",
            "SSE decoding at 16 KiB, events/s",
        ),
        (
            "sse",
            "16KiB",
            "ours",
            "eventsource-stream",
            "SSE decoding at 16 KiB, events/s",
        ),
    ];
    let mut rows = Vec::new();
    for (name, piece, method, peer, what) in comparisons {
        let Some(group) = results.group(name) else {
            continue;
        };
        let cells: Vec<String> = corpora
            .iter()
            .map(|corpus| {
                group
                    .rate_ratio(corpus, piece, method, peer)
                    .map_or("—".to_owned(), format::ratio)
            })
            .collect();
        if cells.iter().all(|c| c == "—") {
            continue;
        }
        let label = if method == "ours" {
            format!("{what}: ours ÷ {peer}")
        } else {
            format!("{what}: {method} ÷ {peer}")
        };
        let mut row = vec![label];
        row.extend(cells);
        rows.push(row);
    }
    if rows.is_empty() {
        return String::new();
    }
    let mut head = vec![("higher is better (same run, same bytes)".to_owned(), false)];
    head.extend(corpora.iter().map(|c| (format!("`{c}`"), true)));
    table(&head, &rows)
}

/// The client: one row per quantity, a column per peer.
fn client_table(results: &Results) -> String {
    let Some(group) = results.group("client") else {
        return String::new();
    };
    let peers = ["async-openai", "hyper"];
    let mut rows = Vec::new();
    let mut memory_rows = Vec::new();
    for piece in group.pieces().into_iter().filter(|p| *p != "ttfc") {
        let corpus = group
            .rows
            .iter()
            .find(|r| r.piece == piece)
            .map_or("", |r| r.corpus.as_str());
        let rate = |peer: &str| {
            group
                .rate_ratio(corpus, piece, "ours", peer)
                .map_or("—".to_owned(), format::ratio)
        };
        let mut row = vec![format!(
            "chunks/s, {} (higher is better)",
            format::piece(piece)
        )];
        row.extend(peers.iter().map(|p| rate(p)));
        rows.push(row);
        let memory = |peer: &str| {
            let ours = group.row(corpus, piece, "ours")?.metric("peak_rss_mb")?;
            let theirs = group.row(corpus, piece, peer)?.metric("peak_rss_mb")?;
            (theirs > 0.0).then(|| format::ratio(ours / theirs))
        };
        let mut row = vec![format!(
            "peak RSS, {} (lower is better)",
            format::piece(piece)
        )];
        row.extend(peers.iter().map(|p| memory(p).unwrap_or("—".to_owned())));
        memory_rows.push(row);
    }
    rows.extend(memory_rows);
    let first = |method: &str| group.ttfc_median_us(method);
    if let Some(ours) = first("ours") {
        let mut row = vec!["time to first chunk, median (lower is better)".to_owned()];
        row.extend(peers.iter().map(|p| {
            first(p)
                .filter(|t| *t > 0.0)
                .map_or("—".to_owned(), |t| format::ratio(ours / t))
        }));
        rows.push(row);
    }
    if rows.is_empty() {
        return String::new();
    }
    let corpus = group.rows.first().map_or("text", |r| r.corpus.as_str());
    let head = [
        (
            format!("client over loopback HTTP, `{corpus}` corpus: ours ÷ peer"),
            false,
        ),
        ("async-openai".to_owned(), true),
        ("bare hyper".to_owned(), true),
    ];
    table(&head, &rows)
}

/// `N of M targets met`, then (with `list_missed`) one line per missed
/// target, as Markdown.
pub fn target_summary(results: &Results, list_missed: bool) -> String {
    let all = targets::all(results);
    if all.is_empty() {
        return String::new();
    }
    let met = all.iter().filter(|t| t.met()).count();
    let mut out = format!(
        "Performance targets (parsing, SSE decoding, client): **{met} of {} met** in these numbers.",
        all.len()
    );
    let missed: Vec<&Target> = all.iter().filter(|t| !t.met()).collect();
    if missed.is_empty() {
        out.push('\n');
        return out;
    }
    if !list_missed {
        out.push_str(&format!(
            " The {} missed are listed in [BENCHMARKS.md](BENCHMARKS.md#headline).\n",
            missed.len()
        ));
        return out;
    }
    out.push_str(" Missed:\n\n");
    for t in missed {
        out.push_str(&format!(
            "- `{}`, {}: {}: **{}** (target {})\n",
            t.group, t.scope, t.what, t.measured_text, t.goal_text
        ));
    }
    out
}

/// The README section between the `bench-report` markers.
pub fn readme_block(results: &Results, charts: &[(String, String)]) -> String {
    let mut out = String::from("\n");
    out.push_str(
        "Measured by `cargo xtask bench` against the crates chatstream replaces; within each \
         group every method ran in the same run over the same bytes. Full tables, allocations, \
         the targets, the machine and how to rerun: [BENCHMARKS.md](BENCHMARKS.md).\n\n",
    );
    out.push_str(&tables(results));
    let summary = target_summary(results, false);
    if !summary.is_empty() {
        out.push('\n');
        out.push_str(&summary);
    }
    for (file, alt) in charts {
        out.push_str(&format!("\n![{alt}](docs/bench/{file})\n"));
    }
    out.push('\n');
    out
}
