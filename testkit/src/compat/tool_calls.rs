//! What the tool-call fragments of one stream looked like.
//!
//! Providers stream tool calls in visibly different ways (one fragment per
//! call, or `id` and `name` first and the arguments in pieces; `index`
//! missing; `name`, `id` or `type` sent again on every fragment). The table
//! reports those shapes because each one is a way a naive fold goes wrong
//! (concatenated names, calls merged or split), and the client's fold must
//! survive all of them.

use std::collections::{BTreeMap, BTreeSet};

use chatstream_types::ToolCallDelta;

/// A shape seen in a stream's tool-call fragments.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ToolCallQuirk {
    /// A whole call (id, name and arguments) arrived in one fragment.
    WholeCallInOneChunk,
    /// A call's arguments arrived over several fragments.
    ArgumentsStreamed,
    /// A choice held more than one call.
    Parallel,
    /// A fragment had no `index`.
    NoIndex,
    /// The first fragment of a choice had this `index`, not 0.
    FirstIndex(u32),
    /// A call's non-empty `id` was sent on more than one fragment.
    IdRepeated,
    /// A call's non-empty `name` was sent on more than one fragment.
    NameRepeated,
    /// A later fragment of a call carried `name: ""`.
    EmptyNameOnContinuation,
    /// A call's `type` was sent on more than one fragment.
    TypeRepeated,
}

impl ToolCallQuirk {
    /// The words shown in the table.
    pub fn label(&self) -> String {
        match self {
            ToolCallQuirk::WholeCallInOneChunk => "whole call in one chunk".into(),
            ToolCallQuirk::ArgumentsStreamed => "arguments streamed".into(),
            ToolCallQuirk::Parallel => "parallel calls".into(),
            ToolCallQuirk::NoIndex => "no `index`".into(),
            ToolCallQuirk::FirstIndex(index) => format!("first `index` {index}"),
            ToolCallQuirk::IdRepeated => "`id` repeated".into(),
            ToolCallQuirk::NameRepeated => "`name` repeated".into(),
            ToolCallQuirk::EmptyNameOnContinuation => "`name: \"\"` on continuations".into(),
            ToolCallQuirk::TypeRepeated => "`type` repeated".into(),
        }
    }
}

/// How often one call's fields were sent.
#[derive(Clone, Debug, Default)]
struct CallCounts {
    fragments: usize,
    ids: usize,
    names: usize,
    empty_names_later: usize,
    types: usize,
    argument_pieces: usize,
    first_fragment_complete: bool,
}

/// The tool-call fragments of one stream, keyed the way the fold keys them.
#[derive(Clone, Debug, Default)]
pub struct ToolCallTracker {
    /// Per choice: the calls by key, and which key each non-empty id has.
    choices: BTreeMap<u32, ChoiceCalls>,
    quirks: BTreeSet<ToolCallQuirk>,
}

#[derive(Clone, Debug, Default)]
struct ChoiceCalls {
    calls: BTreeMap<u32, CallCounts>,
    ids: BTreeMap<String, u32>,
}

impl ToolCallTracker {
    /// Records one fragment of choice `choice`.
    ///
    /// A fragment without `index` joins the call with the same non-empty
    /// `id`, else starts a new call after the highest key (the rule of
    /// `tests/data/fixtures/README.md`).
    pub fn record(&mut self, choice: u32, delta: &ToolCallDelta) {
        let calls = self.choices.entry(choice).or_default();
        let id = delta.id.as_deref().filter(|id| !id.is_empty());
        let key = match delta.index {
            Some(index) => index,
            None => {
                self.quirks.insert(ToolCallQuirk::NoIndex);
                match id.and_then(|id| calls.ids.get(id)) {
                    Some(&key) => key,
                    None => calls
                        .calls
                        .keys()
                        .next_back()
                        .map_or(0, |last| last.saturating_add(1)),
                }
            }
        };
        if calls.calls.is_empty() {
            if let Some(index) = delta.index.filter(|&index| index != 0) {
                self.quirks.insert(ToolCallQuirk::FirstIndex(index));
            }
        }
        if let Some(id) = id {
            calls.ids.entry(id.to_owned()).or_insert(key);
        }
        let counts = calls.calls.entry(key).or_default();
        let name = delta.function.as_ref().and_then(|f| f.name.as_deref());
        let arguments = delta.function.as_ref().and_then(|f| f.arguments.as_deref());
        if counts.fragments == 0 {
            counts.first_fragment_complete = id.is_some()
                && name.is_some_and(|n| !n.is_empty())
                && arguments.is_some_and(|a| !a.is_empty());
        } else if name == Some("") {
            counts.empty_names_later += 1;
        }
        counts.fragments += 1;
        counts.ids += usize::from(id.is_some());
        counts.names += usize::from(name.is_some_and(|n| !n.is_empty()));
        counts.types += usize::from(delta.kind.is_some());
        counts.argument_pieces += usize::from(arguments.is_some_and(|a| !a.is_empty()));
    }

    /// How many calls were seen, over all choices.
    pub fn call_count(&self) -> usize {
        self.choices.values().map(|c| c.calls.len()).sum()
    }

    /// The shapes seen.
    pub fn quirks(&self) -> BTreeSet<ToolCallQuirk> {
        let mut quirks = self.quirks.clone();
        for choice in self.choices.values() {
            if choice.calls.len() > 1 {
                quirks.insert(ToolCallQuirk::Parallel);
            }
            for call in choice.calls.values() {
                if call.fragments == 1 && call.first_fragment_complete {
                    quirks.insert(ToolCallQuirk::WholeCallInOneChunk);
                }
                if call.argument_pieces > 1 {
                    quirks.insert(ToolCallQuirk::ArgumentsStreamed);
                }
                if call.ids > 1 {
                    quirks.insert(ToolCallQuirk::IdRepeated);
                }
                if call.names > 1 {
                    quirks.insert(ToolCallQuirk::NameRepeated);
                }
                if call.empty_names_later > 0 {
                    quirks.insert(ToolCallQuirk::EmptyNameOnContinuation);
                }
                if call.types > 1 {
                    quirks.insert(ToolCallQuirk::TypeRepeated);
                }
            }
        }
        quirks
    }
}
