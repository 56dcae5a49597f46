//! [`ProviderRow`]: what all the streams of one provider showed, and the
//! table cells that say it.
//!
//! A row is the union of its streams' facts (a feature is shown when at least
//! one stream had it), with counts where streams of one provider differ
//! (usage placement, the way streams ended), so that one odd capture is
//! visible instead of averaged away.

use std::collections::{BTreeMap, BTreeSet};

use super::observe::{End, FilterResults, StreamFacts, UsagePlacement};
use super::tool_calls::ToolCallQuirk;

/// Shown for a feature no stream of the provider had.
const ABSENT: &str = "—";
/// Shown for a feature some stream of the provider had.
const SEEN: &str = "✓";

/// The facts of every stream of one provider, merged.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProviderRow {
    /// The provider folder, or the server of a `real-servers/` capture.
    pub provider: String,
    /// The streams came from a server run on 127.0.0.1 (`real-servers/`).
    pub local: bool,
    /// How many streams were captured.
    pub streams: usize,
    /// How many folded exactly to their `expected.jsonl` line.
    pub folded_as_expected: usize,
    /// How many had answer text.
    pub text: usize,
    /// The fields reasoning came in.
    pub reasoning: BTreeSet<&'static str>,
    /// How many streams had tool calls.
    pub tool_call_streams: usize,
    /// The shapes of their fragments.
    pub tool_call_quirks: BTreeSet<ToolCallQuirk>,
    /// Where usage arrived, with the number of streams.
    pub usage: BTreeMap<UsagePlacement, usize>,
    /// Some stream had token log probabilities.
    pub logprobs: bool,
    /// The most choices one stream had.
    pub max_choices: usize,
    /// Some stream had refusal text.
    pub refusal: bool,
    /// Where content-filter results were.
    pub content_filter: BTreeSet<FilterResults>,
    /// How the streams ended, with the number of streams.
    pub ends: BTreeMap<End, usize>,
    /// The distinct comment lines.
    pub comments: BTreeSet<String>,
    /// Fields the types do not name.
    pub unnamed_fields: BTreeSet<String>,
}

impl ProviderRow {
    /// An empty row.
    pub fn new(provider: impl Into<String>, local: bool) -> Self {
        ProviderRow {
            provider: provider.into(),
            local,
            ..ProviderRow::default()
        }
    }

    /// Adds one stream; `as_expected` tells whether it folded to its
    /// `expected.jsonl` line.
    pub fn add(&mut self, facts: &StreamFacts, as_expected: bool) {
        self.streams += 1;
        self.folded_as_expected += usize::from(as_expected);
        self.text += usize::from(facts.text);
        self.reasoning.extend(facts.reasoning.iter().copied());
        if facts.tool_calls > 0 {
            self.tool_call_streams += 1;
        }
        self.tool_call_quirks
            .extend(facts.tool_call_quirks.iter().cloned());
        *self.usage.entry(facts.usage).or_default() += 1;
        self.logprobs |= facts.logprobs;
        self.max_choices = self.max_choices.max(facts.choices);
        self.refusal |= facts.refusal;
        self.content_filter
            .extend(facts.content_filter.iter().copied());
        *self.ends.entry(facts.end).or_default() += 1;
        self.comments.extend(facts.comments.iter().cloned());
        self.unnamed_fields
            .extend(facts.unnamed_fields.iter().cloned());
    }

    /// The table's column headers, in the order of [`cells`](Self::cells).
    pub fn headers() -> [&'static str; 13] {
        [
            "provider",
            "streams folded as expected",
            "text",
            "reasoning",
            "tool calls",
            "usage",
            "logprobs",
            "n > 1",
            "refusal",
            "content filter",
            "ends as",
            "keep-alive comments",
            "fields our types do not name",
        ]
    }

    /// The row's cells (Markdown, `|` escaped).
    pub fn cells(&self) -> [String; 13] {
        let provider = if self.local {
            format!("{} (local)", self.provider)
        } else {
            self.provider.clone()
        };
        let reasoning = list(self.reasoning.iter().map(|field| match *field {
            "thinking parts" => "`thinking` parts".to_owned(),
            field => code(field),
        }));
        let tool_calls = if self.tool_call_streams == 0 {
            ABSENT.to_owned()
        } else if self.tool_call_quirks.is_empty() {
            SEEN.to_owned()
        } else {
            list(self.tool_call_quirks.iter().map(ToolCallQuirk::label))
        };
        let n = if self.max_choices > 1 {
            format!("{SEEN} (up to {})", self.max_choices)
        } else {
            ABSENT.to_owned()
        };
        [
            escape(&provider),
            format!("{}/{}", self.folded_as_expected, self.streams),
            seen(self.text > 0).to_owned(),
            reasoning,
            tool_calls,
            counted(&self.usage, |placement| placement.label()),
            seen(self.logprobs).to_owned(),
            n,
            seen(self.refusal).to_owned(),
            list(self.content_filter.iter().map(|f| f.label().to_owned())),
            counted(&self.ends, |end| end.label()),
            list(self.comments.iter().map(|text| code(&format!(": {text}")))),
            list(self.unnamed_fields.iter().map(|key| code(key))),
        ]
    }
}

fn seen(yes: bool) -> &'static str {
    if yes { SEEN } else { ABSENT }
}

/// The items joined with commas, or [`ABSENT`] when there are none.
fn list(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        ABSENT.to_owned()
    } else {
        items.join(", ")
    }
}

/// The labels, each with its number of streams when they differ.
fn counted<K>(counts: &BTreeMap<K, usize>, label: impl Fn(&K) -> &'static str) -> String {
    if counts.len() == 1 {
        return list(counts.keys().map(|key| label(key).to_owned()));
    }
    list(
        counts
            .iter()
            .map(|(key, count)| format!("{} ×{count}", label(key))),
    )
}

/// `text` as a Markdown code span that is safe inside a table cell.
pub fn code(text: &str) -> String {
    let text = escape(text);
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

/// `text` with the characters that would break a table row escaped.
pub fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}
