//! What one captured stream showed: [`observe_stream`] and [`StreamFacts`].
//!
//! The stream goes through the client's own protocol core
//! ([`StreamReader`]) and an [`Accumulator`], ending where and as the client
//! ends, so every fact here is something the client really met; a separate
//! pass of the SSE decoder only notes what the core does not report
//! (comments, and whether an error came as an `event: error`). Facts are taken from
//! the parsed chunks, never from the file name or the folder: a provider
//! that starts sending `reasoning` instead of `reasoning_content` changes
//! the table the day its capture is added.

use std::collections::BTreeSet;

use std::time::Instant;

use bytes::Bytes;
use chatstream::protocol::StreamReader;
use chatstream::{EndState, ErrorKind};
use chatstream_sse::{Decoder, Frame};
use chatstream_types::{Accumulator, ApiError, ChatCompletionChunk, ChunkChoice};
use serde_json::{Map, Value};

use super::tool_calls::{ToolCallQuirk, ToolCallTracker};
use crate::corpus::summarize;

/// How a stream ended, in the terms of `expected.jsonl`'s `outcome`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum End {
    /// `data: [DONE]` arrived (the client's `EndState::Done`).
    Done,
    /// No `[DONE]`, but every choice had finished (`EndState::Finished`).
    Finished,
    /// An `error` object arrived in an event's data (`ErrorKind::Api`).
    ErrorObject,
    /// An `event: error` event arrived (`ErrorKind::Api`).
    ErrorEvent,
    /// The body ended with a choice unfinished, or with no chunk at all
    /// (`ErrorKind::Truncated`).
    Truncated,
    /// The stream could not be read: a decoder limit, a payload that is not a
    /// chunk, or an accumulator limit (`ErrorKind::Decode`).
    Unreadable,
}

impl End {
    /// The `outcome` name of `expected.jsonl` (`None` for [`End::Unreadable`],
    /// which the corpus never expects).
    pub fn outcome(self) -> Option<&'static str> {
        match self {
            End::Done => Some("done"),
            End::Finished => Some("finished"),
            End::ErrorObject | End::ErrorEvent => Some("error"),
            End::Truncated => Some("truncated"),
            End::Unreadable => None,
        }
    }

    /// The words shown in the table.
    pub fn label(self) -> &'static str {
        match self {
            End::Done => "`done`",
            End::Finished => "`finished` (no `[DONE]`)",
            End::ErrorObject => "`error` (in-band `error` object)",
            End::ErrorEvent => "`error` (`event: error`)",
            End::Truncated => "`truncated`",
            End::Unreadable => "unreadable",
        }
    }
}

/// Where a stream's usage arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UsagePlacement {
    /// Once, on a chunk with no choices (OpenAI's `include_usage` chunk).
    UsageOnlyChunk,
    /// Once, on a chunk whose choices carry nothing: no text, reasoning,
    /// tool call or `finish_reason` (LiteLLM, OpenRouter).
    EmptyDeltaChunk,
    /// Once, on the chunk that carried a `finish_reason`.
    FinishChunk,
    /// Once, on a chunk with choices but no `finish_reason`.
    OtherChunk,
    /// On every chunk.
    EveryChunk,
    /// On more than one chunk, but not on all.
    SeveralChunks,
    /// Never (or only `"usage": null`).
    Absent,
}

impl UsagePlacement {
    /// The words shown in the table.
    pub fn label(self) -> &'static str {
        match self {
            UsagePlacement::UsageOnlyChunk => "usage-only chunk",
            UsagePlacement::EmptyDeltaChunk => "usage-only chunk (empty `delta`)",
            UsagePlacement::FinishChunk => "on the finish chunk",
            UsagePlacement::OtherChunk => "on a content chunk",
            UsagePlacement::EveryChunk => "on every chunk",
            UsagePlacement::SeveralChunks => "on several chunks",
            UsagePlacement::Absent => "none",
        }
    }
}

/// Where a stream carried Azure-style content-filter results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FilterResults {
    /// `prompt_filter_results` (or `prompt_annotations`) on a chunk.
    Prompt,
    /// `content_filter_results` on a choice.
    Output,
}

impl FilterResults {
    /// The words shown in the table.
    pub fn label(self) -> &'static str {
        match self {
            FilterResults::Prompt => "prompt",
            FilterResults::Output => "output",
        }
    }
}

/// Everything the table reports about one stream.
#[derive(Clone, Debug)]
pub struct StreamFacts {
    /// How it ended.
    pub end: End,
    /// Why it was [`End::Unreadable`].
    pub problem: Option<String>,
    /// The fold in the shape of an `expected.jsonl` line (see
    /// [`summarize`]); `None` when unreadable.
    pub summary: Option<Value>,
    /// Some choice got answer text.
    pub text: bool,
    /// The fields reasoning came in: `reasoning_content`, `reasoning`,
    /// `thinking` parts.
    pub reasoning: BTreeSet<&'static str>,
    /// How many tool calls were folded.
    pub tool_calls: usize,
    /// The shapes of their fragments.
    pub tool_call_quirks: BTreeSet<ToolCallQuirk>,
    /// Where usage arrived.
    pub usage: UsagePlacement,
    /// Some choice carried log probabilities of at least one token.
    pub logprobs: bool,
    /// How many choices (distinct `index` values) were seen.
    pub choices: usize,
    /// Some choice got refusal text.
    pub refusal: bool,
    /// Where content-filter results were.
    pub content_filter: BTreeSet<FilterResults>,
    /// The text of each distinct comment line (keep-alives).
    pub comments: BTreeSet<String>,
    /// Fields our types do not name, as `key` (chunk), `choice.key`,
    /// `delta.key`, `usage.key`, `tool_call.key`.
    pub unnamed_fields: BTreeSet<String>,
}

impl StreamFacts {
    fn new() -> Self {
        StreamFacts {
            end: End::Truncated,
            problem: None,
            summary: None,
            text: false,
            reasoning: BTreeSet::new(),
            tool_calls: 0,
            tool_call_quirks: BTreeSet::new(),
            usage: UsagePlacement::Absent,
            logprobs: false,
            choices: 0,
            refusal: false,
            content_filter: BTreeSet::new(),
            comments: BTreeSet::new(),
            unnamed_fields: BTreeSet::new(),
        }
    }
}

/// Where usage was seen while reading.
#[derive(Debug, Default)]
struct UsageSeen {
    chunks: usize,
    with_usage: usize,
    last: Option<UsagePlacement>,
}

/// Reads one whole stream body and reports what it showed.
///
/// The body is read and folded as the client reads it, until `[DONE]`, an
/// error or its end; comments are noted on the way.
pub fn observe_stream(body: &[u8]) -> StreamFacts {
    let mut facts = StreamFacts::new();
    let error_event = note_frames(&mut facts, body);
    let mut reader = StreamReader::new();
    reader.feed(Bytes::copy_from_slice(body), Instant::now());
    reader.end_of_body();
    let mut accumulator = Accumulator::new();
    let mut tools = ToolCallTracker::default();
    let mut usage = UsageSeen::default();
    let mut error: Option<ApiError> = None;
    let mut ended = None;
    while let Some(item) = reader.next_item() {
        match item {
            Ok(chunk) => {
                if let Err(e) = accumulator.push(&chunk) {
                    facts.problem = Some(format!("accumulator: {e}"));
                    ended = Some(End::Unreadable);
                    break;
                }
                note_chunk(&mut facts, &mut tools, &mut usage, &chunk);
            }
            Err(e) if e.kind() == ErrorKind::Api => {
                error = e.api_error().cloned();
                ended = Some(if error_event {
                    End::ErrorEvent
                } else {
                    End::ErrorObject
                });
            }
            Err(e) if e.kind() == ErrorKind::Truncated => ended = Some(End::Truncated),
            Err(e) => {
                facts.problem = Some(crate::problem(&e));
                ended = Some(End::Unreadable);
            }
        }
    }
    let end = ended.unwrap_or(match reader.end_state() {
        Some(EndState::Done) => End::Done,
        Some(EndState::Finished) => End::Finished,
        _ => End::Unreadable,
    });
    facts.end = end;
    facts.usage = match usage.with_usage {
        0 => UsagePlacement::Absent,
        1 => usage.last.unwrap_or(UsagePlacement::Absent),
        n if n == usage.chunks => UsagePlacement::EveryChunk,
        _ => UsagePlacement::SeveralChunks,
    };
    facts.tool_calls = tools.call_count();
    facts.tool_call_quirks = tools.quirks();
    facts.choices = accumulator.choices().len();
    for choice in accumulator.choices() {
        facts.text |= !choice.content().is_empty();
        facts.refusal |= !choice.refusal().is_empty();
    }
    facts.summary = end
        .outcome()
        .map(|outcome| summarize(outcome, &accumulator, error.as_ref()));
    facts
}

/// Notes the comment lines of `body` (keep-alives); returns whether it holds
/// an `event: error` event. Decoding stops where the decoder's limits would
/// stop the client.
fn note_frames(facts: &mut StreamFacts, body: &[u8]) -> bool {
    let mut decoder = Decoder::new();
    decoder.feed(Bytes::copy_from_slice(body));
    let mut error_event = false;
    while let Ok(Some(frame)) = decoder.next_frame() {
        match frame {
            Frame::Comment(comment) => {
                facts.comments.insert(comment.text().to_owned());
            }
            Frame::Event(event) => error_event |= event.event_type() == "error",
            _ => {}
        }
    }
    error_event
}

/// Notes what one folded chunk shows.
fn note_chunk(
    facts: &mut StreamFacts,
    tools: &mut ToolCallTracker,
    usage: &mut UsageSeen,
    chunk: &ChatCompletionChunk,
) {
    usage.chunks += 1;
    if let Some(chunk_usage) = &chunk.usage {
        usage.with_usage += 1;
        usage.last = Some(if chunk.choices.is_empty() {
            UsagePlacement::UsageOnlyChunk
        } else if chunk.choices.iter().any(|c| c.finish_reason.is_some()) {
            UsagePlacement::FinishChunk
        } else if chunk.choices.iter().all(carries_nothing) {
            UsagePlacement::EmptyDeltaChunk
        } else {
            UsagePlacement::OtherChunk
        });
        note_keys(facts, "usage.", &chunk_usage.extra);
    }
    if chunk.prompt_filter_results.is_some() || chunk.prompt_annotations.is_some() {
        facts.content_filter.insert(FilterResults::Prompt);
    }
    note_keys(facts, "", &chunk.extra);
    for choice in &chunk.choices {
        note_keys(facts, "choice.", &choice.extra);
        note_keys(facts, "delta.", &choice.delta.extra);
        if choice.content_filter_results.is_some() {
            facts.content_filter.insert(FilterResults::Output);
        }
        if let Some(logprobs) = &choice.logprobs {
            let tokens = [&logprobs.content, &logprobs.refusal]
                .into_iter()
                .flatten()
                .any(|entries| !entries.is_empty());
            facts.logprobs |= tokens;
        }
        let delta = &choice.delta;
        if delta
            .reasoning_content
            .as_deref()
            .is_some_and(|r| !r.is_empty())
        {
            facts.reasoning.insert("reasoning_content");
        }
        if delta.reasoning.as_deref().is_some_and(|r| !r.is_empty()) {
            facts.reasoning.insert("reasoning");
        }
        if let Some(content) = &delta.content {
            let mut thinking = String::new();
            content.append_thinking_to(&mut thinking);
            if !thinking.is_empty() {
                facts.reasoning.insert("thinking parts");
            }
        }
        for call in delta.tool_calls.iter().flatten() {
            tools.record(choice.index, call);
            note_keys(facts, "tool_call.", &call.extra);
        }
    }
}

/// Whether a choice's update adds nothing to the fold: no text, refusal,
/// reasoning or tool call (a `role` alone does not count).
fn carries_nothing(choice: &ChunkChoice) -> bool {
    let delta = &choice.delta;
    let empty = |text: &Option<String>| text.as_deref().is_none_or(str::is_empty);
    delta.content_text().is_none_or(|text| text.is_empty())
        && delta.reasoning_text().is_none_or(|text| text.is_empty())
        && empty(&delta.refusal)
        && delta.tool_calls.as_ref().is_none_or(Vec::is_empty)
        && delta.function_call.is_none()
}

fn note_keys(facts: &mut StreamFacts, prefix: &str, extra: &Map<String, Value>) {
    for key in extra.keys() {
        facts.unnamed_fields.insert(format!("{prefix}{key}"));
    }
}
