//! The performance targets of parsing, SSE decoding and the client,
//! checked against the measured numbers.
//!
//! Each target is computed from the rows of the results file, never typed
//! in: the report says *met* or *missed* from the numbers of the run it
//! shows, so a slower run cannot keep a stale "met". A target whose rows are
//! absent (a group not measured, a peer that failed) is left out rather than
//! guessed.
//!
//! - `types` (payload parsing): parse at ≥ 1.3× async-openai's chunks/s; ≤ 3
//!   allocations per chunk of the `text` corpus; folding adds ≤ 10 % to the
//!   time of parsing.
//! - `sse` (SSE decoding): ≥ 1.5× sse-stream's events/s (at every piece size);
//!   ≥ 20× eventsource-stream's at 16 KiB; the whole buffer within 15 % of
//!   16 KiB pieces (linear in the piece size); 0 allocations per event when
//!   every event lies inside one piece (the whole-buffer run; the decoder's
//!   own setup is a constant, so "0" is read as under 0.001 per event).
//! - `client` (client over loopback HTTP): ≥ 10× async-openai's chunks/s at no more peak
//!   memory (each framing); time to first chunk within 5 % of a bare hyper
//!   request.

use super::format;
use super::model::{Group, Results};

/// A bound a measured value must respect.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Goal {
    /// The value must be at least this.
    AtLeast(f64),
    /// The value must be at most this.
    AtMost(f64),
}

impl Goal {
    /// Whether `value` meets the bound (a NaN never does).
    pub fn met_by(self, value: f64) -> bool {
        match self {
            Goal::AtLeast(bound) => value >= bound,
            Goal::AtMost(bound) => value <= bound,
        }
    }
}

/// One target of one corpus (or setting), with what was measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// The group: `types`, `sse` or `client`.
    pub group: String,
    /// The corpus, or for the client the framing.
    pub scope: String,
    /// What is compared, in words.
    pub what: String,
    /// The value checked against [`Target::goal`].
    pub measured: f64,
    /// The measured value as the report shows it (with its context).
    pub measured_text: String,
    /// The bound.
    pub goal: Goal,
    /// The bound as the report shows it.
    pub goal_text: String,
}

impl Target {
    /// Whether the measured value meets the goal.
    pub fn met(&self) -> bool {
        self.goal.met_by(self.measured)
    }

    /// `met` or `**missed**` (bold in Markdown, so a miss stands out).
    pub fn verdict(&self) -> &'static str {
        verdict(self.met())
    }
}

/// `met` or `**missed**`, as every target of the report reads.
pub fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

/// Every target of every group present in `results`, in report order.
pub fn all(results: &Results) -> Vec<Target> {
    ["types", "sse", "client"]
        .into_iter()
        .filter_map(|name| results.group(name))
        .flat_map(of_group)
        .collect()
}

/// The targets of one group.
pub fn of_group(group: &Group) -> Vec<Target> {
    match group.name.as_str() {
        "types" => types(group),
        "sse" => sse(group),
        "client" => client(group),
        _ => Vec::new(),
    }
}

/// The targets of one group, as they are found.
struct Found<'a> {
    group: &'a Group,
    targets: Vec<Target>,
}

impl<'a> Found<'a> {
    fn new(group: &'a Group) -> Self {
        Found {
            group,
            targets: Vec::new(),
        }
    }

    /// Adds a target of `scope`: `measured` (the value and how the report
    /// shows it) checked against `goal` (the bound and how it is shown).
    fn add(&mut self, scope: &str, what: &str, measured: (f64, String), goal: (Goal, &str)) {
        self.targets.push(Target {
            group: self.group.name.clone(),
            scope: scope.to_owned(),
            what: what.to_owned(),
            measured: measured.0,
            measured_text: measured.1,
            goal: goal.0,
            goal_text: goal.1.to_owned(),
        });
    }
}

fn types(group: &Group) -> Vec<Target> {
    let mut found = Found::new(group);
    for corpus in group.corpora() {
        if let Some(ratio) = group.rate_ratio(corpus, "payloads", "ours", "async-openai") {
            found.add(
                corpus,
                "parse: ours ÷ async-openai, chunks/s",
                (ratio, format::ratio(ratio)),
                (Goal::AtLeast(1.3), "≥ 1.3×"),
            );
        }
        if corpus == "text" {
            if let Some(ours) = group.row(corpus, "payloads", "ours") {
                let allocs = ours.allocs_per_item;
                found.add(
                    corpus,
                    "parse: allocations per chunk (ours)",
                    (allocs, format::allocs(allocs)),
                    (Goal::AtMost(3.0), "≤ 3"),
                );
            }
        }
        if let Some(ratio) = group.rate_ratio(corpus, "payloads", "ours", "ours+fold") {
            // Parsing and folding take `ratio` times as long as parsing.
            let added = (ratio - 1.0) * 100.0;
            found.add(
                corpus,
                "fold: time added to parsing",
                (added, format::percent(added)),
                (Goal::AtMost(10.0), "≤ +10 %"),
            );
        }
    }
    found.targets
}

fn sse(group: &Group) -> Vec<Target> {
    let mut found = Found::new(group);
    for corpus in group.corpora() {
        for piece in group.pieces() {
            if let Some(ratio) = group.rate_ratio(corpus, piece, "ours", "sse-stream") {
                let what = format!("ours ÷ sse-stream, events/s, {}", format::piece(piece));
                found.add(
                    corpus,
                    &what,
                    (ratio, format::ratio(ratio)),
                    (Goal::AtLeast(1.5), "≥ 1.5×"),
                );
            }
        }
        if let Some(ratio) = group.rate_ratio(corpus, "16KiB", "ours", "eventsource-stream") {
            found.add(
                corpus,
                "ours ÷ eventsource-stream, events/s, 16 KiB",
                (ratio, format::ratio(ratio)),
                (Goal::AtLeast(20.0), "≥ 20×"),
            );
        }
        if let (Some(whole), Some(at16)) = (
            group.row(corpus, "whole", "ours"),
            group.row(corpus, "16KiB", "ours"),
        ) {
            let ratio = whole.rate / at16.rate;
            found.add(
                corpus,
                "linear: ours whole buffer ÷ ours 16 KiB, events/s",
                (ratio, format::ratio(ratio)),
                (Goal::AtLeast(0.85), "≥ 0.85× (within 15 %)"),
            );
        }
        if let Some(whole) = group.row(corpus, "whole", "ours") {
            let allocs = whole.allocs_per_item;
            found.add(
                corpus,
                "allocations per event inside one piece (whole buffer)",
                (allocs, format::allocs(allocs)),
                (Goal::AtMost(0.001), "0 (< 0.001)"),
            );
        }
    }
    found.targets
}

fn client(group: &Group) -> Vec<Target> {
    let mut found = Found::new(group);
    for framing in group.pieces().into_iter().filter(|p| *p != "ttfc") {
        let scope = format::piece(framing);
        let ours = group
            .rows
            .iter()
            .find(|r| r.piece == framing && r.method == "ours");
        let peer = group
            .rows
            .iter()
            .find(|r| r.piece == framing && r.method == "async-openai");
        let (Some(ours), Some(peer)) = (ours, peer) else {
            continue;
        };
        if peer.rate > 0.0 {
            let ratio = ours.rate / peer.rate;
            found.add(
                &scope,
                "ours ÷ async-openai, chunks/s",
                (ratio, format::ratio(ratio)),
                (Goal::AtLeast(10.0), "≥ 10×"),
            );
        }
        if let (Some(mine), Some(theirs)) = (ours.metric("peak_rss_mb"), peer.metric("peak_rss_mb"))
        {
            if theirs > 0.0 {
                let ratio = mine / theirs;
                let shown = format!(
                    "{} ({} vs {})",
                    format::ratio(ratio),
                    format::megabytes(mine),
                    format::megabytes(theirs)
                );
                found.add(
                    &scope,
                    "peak RSS: ours ÷ async-openai",
                    (ratio, shown),
                    (Goal::AtMost(1.0), "≤ 1×"),
                );
            }
        }
    }
    let first = |method: &str| group.ttfc_median_us(method);
    if let (Some(ours), Some(bare)) = (first("ours"), first("hyper")) {
        if bare > 0.0 {
            let extra = (ours / bare - 1.0) * 100.0;
            let shown = format!(
                "{} ({} vs {})",
                format::percent(extra),
                format::micros(ours),
                format::micros(bare)
            );
            found.add(
                "first chunk",
                "time to first chunk: ours vs bare hyper (median)",
                (extra, shown),
                (Goal::AtMost(5.0), "≤ +5 %"),
            );
        }
    }
    found.targets
}
