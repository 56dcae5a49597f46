//! The structured input: chunk descriptions `arbitrary` builds from the
//! fuzzer's bytes.

use arbitrary::Arbitrary;
use serde_json::{Value, json};

pub(crate) const MAX_CHOICES: usize = 8;
pub(crate) const MAX_TOOL_CALLS: usize = 8;

#[derive(Arbitrary, Debug)]
pub(crate) struct Input {
    /// `None`: 64 KiB; `Some(n)`: `n % 2048` bytes.
    pub(crate) small_text_limit: Option<u16>,
    /// Stop pushing after the first error (otherwise push on).
    pub(crate) stop_at_error: bool,
    pub(crate) chunks: Vec<ChunkIn>,
}

#[derive(Arbitrary, Debug)]
pub(crate) struct ChunkIn {
    pub(crate) id: Option<Str>,
    pub(crate) model: Option<Str>,
    pub(crate) created: Option<i64>,
    /// `None`: no `choices` key; `Some(None)`: `"choices": null`.
    pub(crate) choices: Option<Option<Vec<ChoiceIn>>>,
    /// `Some(None)`: `"usage": null`.
    pub(crate) usage: Option<Option<(u32, u32, u32)>>,
}

#[derive(Arbitrary, Debug)]
pub(crate) struct ChoiceIn {
    pub(crate) index: IndexIn,
    /// `None`: no `delta` key (the fields below are then not sent).
    pub(crate) delta: Option<DeltaIn>,
    pub(crate) finish_reason: Option<FinishIn>,
}

#[derive(Arbitrary, Debug)]
pub(crate) struct DeltaIn {
    pub(crate) role: Option<Str>,
    pub(crate) content: Option<ContentIn>,
    pub(crate) refusal: Option<Option<TextIn>>,
    pub(crate) reasoning_content: Option<Option<TextIn>>,
    pub(crate) reasoning: Option<Option<TextIn>>,
    pub(crate) tool_calls: Option<Option<Vec<ToolCallIn>>>,
    pub(crate) function_call: Option<FunctionIn>,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub(crate) enum IndexIn {
    Absent,
    Small(u8),
    Huge(u32),
    Max,
}

impl IndexIn {
    /// The index sent (`None`: key absent).
    pub(crate) fn value(self) -> Option<u32> {
        match self {
            IndexIn::Absent => None,
            IndexIn::Small(n) => Some(u32::from(n % 12)),
            IndexIn::Huge(n) => Some(n),
            IndexIn::Max => Some(u32::MAX),
        }
    }
}

#[derive(Arbitrary, Debug)]
pub(crate) enum Str {
    Word(u8),
    Any(String),
}

pub(crate) const WORDS: &[&str] = &[
    "",
    "a",
    "call_1",
    "call_2",
    "function",
    "assistant",
    "get_weather",
    "{\"city\":",
    "\"Paris\"}",
    "é",
    "😀",
    "\u{0}",
];

impl Str {
    pub(crate) fn text(&self) -> String {
        match self {
            Str::Word(n) => WORDS[usize::from(*n) % WORDS.len()].to_owned(),
            Str::Any(s) => s.clone(),
        }
    }
}

/// A text, repeated up to a size that can reach the 64 KiB limit.
#[derive(Arbitrary, Debug)]
pub(crate) struct TextIn {
    pub(crate) text: Str,
    pub(crate) repeat: u8,
}

impl TextIn {
    pub(crate) fn text(&self) -> String {
        let text = self.text.text();
        let times = match self.repeat {
            0..=239 => 1,
            n => (usize::from(n - 239) * 4096 / text.len().max(1)).max(1),
        };
        text.repeat(times)
    }
}

#[derive(Arbitrary, Debug)]
pub(crate) enum ContentIn {
    Null,
    Text(TextIn),
    Parts(Vec<PartIn>),
}

#[derive(Arbitrary, Debug)]
pub(crate) enum PartIn {
    /// `{"type":"text","text":…}`
    Text(TextIn),
    /// A text part with an extra key (kept as `Other`, still text).
    TextWithExtra(TextIn),
    /// `{"type":"text","text":5}`: not text.
    TextNotString(i32),
    /// `{"type":"thinking","thinking":[{"type":"text","text":…},…]}`
    Thinking(Vec<TextIn>),
    /// `{"type":"image_url",…}`
    Image(String),
    /// `{"type":<anything>}`
    Unknown(String),
}

#[derive(Arbitrary, Debug)]
pub(crate) struct ToolCallIn {
    pub(crate) index: IndexIn,
    pub(crate) id: Option<Str>,
    pub(crate) kind: Option<Str>,
    /// `None`: no `function` key.
    pub(crate) function: Option<FunctionIn>,
}

#[derive(Arbitrary, Debug)]
pub(crate) struct FunctionIn {
    pub(crate) name: Option<Str>,
    pub(crate) arguments: Option<TextIn>,
}

#[derive(Arbitrary, Debug)]
pub(crate) enum FinishIn {
    Null,
    Stop,
    Length,
    ToolCalls,
    Empty,
    Other(String),
}

impl FinishIn {
    pub(crate) fn json(&self) -> Value {
        match self {
            FinishIn::Null => Value::Null,
            FinishIn::Stop => json!("stop"),
            FinishIn::Length => json!("length"),
            FinishIn::ToolCalls => json!("tool_calls"),
            FinishIn::Empty => json!(""),
            FinishIn::Other(s) => json!(s),
        }
    }
}
