//! [`ParseLimits`], the caps a [`ChunkParser`](crate::ChunkParser) enforces
//! while it reads a payload, and the [`ParseError`] a payload past them (or
//! not JSON at all) gives. Why and how: see [`ParseLimits`].

use std::fmt;

mod within;

pub(crate) use within::WithinLimits;

/// Caps on what one payload may hold, checked while it is parsed.
///
/// # Why limits inside the parse
///
/// A few bytes of JSON can stand for a lot of memory: `{}` is three bytes of
/// an array but a whole [`ChunkChoice`](crate::ChunkChoice) (hundreds of
/// bytes) once parsed, so an 8 MiB event of empty objects would cost
/// gigabytes if it were parsed first and checked after. The parser therefore
/// checks as it goes: every array the models hold has a cap on its length,
/// every object kept as sent (an `extra` map, an object inside an unknown
/// field) a cap on its keys, and everything the parse allocates is counted
/// against a budget proportional to the payload's size, so a limit stops the
/// parse *before* the memory is spent.
///
/// # The memory bound
///
/// Parsing a payload of `N` bytes never holds more than **`4·N + 1 MiB`** of
/// heap, whatever the payload — counting everything: the models, the
/// `extra` maps, serde_json's scratch buffer, the parser's own buffers.
///
/// # Cheap
///
/// A payload of up to 2 KiB — nearly every chunk of a stream — cannot break
/// the bound whatever it holds (the largest element of any array is a few
/// hundred bytes for its three bytes of JSON), so it is parsed by the same
/// code with every charge compiled away, and its counts are checked after
/// the parse, only as far as its size lets it break them (none under 386
/// bytes with the defaults; only the number of choices under 770). A larger
/// payload is parsed under a budget: each allocation is charged before it is
/// made, each array element counted as it arrives, and serde_json's scratch
/// buffer (which the parser cannot charge) is reserved up front.
///
/// The counts are per array (or per object): `max_tool_calls` is the most
/// tool-call fragments in one delta, not in the chunk. The defaults are far
/// above what any real stream sends (all 59 captured provider streams pass
/// with room to spare), so only a hostile or broken server meets them.
///
/// The `Deserialize` impls of the models (`serde_json::from_slice`) apply no
/// limits: serde gives a type no way to know the size of its input. Parse
/// untrusted input with a [`ChunkParser`](crate::ChunkParser).
///
/// ```
/// use chatstream_types::{ChunkParser, ParseError, ParseLimit, ParseLimits};
///
/// let mut parser = ChunkParser::with_limits(ParseLimits::default().max_choices(2));
/// let error = parser
///     .parse_payload(br#"{"choices":[{"index":0},{"index":1},{"index":2}]}"#)
///     .unwrap_err();
/// assert_eq!(error.limit(), Some(ParseLimit::Choices));
/// assert_eq!(error.to_string(), "more than 2 choices (ParseLimits::max_choices)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseLimits {
    /// The most choices in one chunk or completion (default 128, the most
    /// `n` OpenAI accepts).
    pub max_choices: usize,
    /// The most tool calls (or fragments) in one delta or message (default
    /// 1024; models call a handful).
    pub max_tool_calls: usize,
    /// The most parts in one array `content` (default 1024).
    pub max_content_parts: usize,
    /// The most entries in `prompt_filter_results` (default 1024; Azure
    /// sends one per prompt).
    pub max_filter_results: usize,
    /// The most token entries in one logprobs list (default 131,072: a
    /// whole long answer's tokens, as a completion sent in one piece holds
    /// them).
    pub max_logprobs: usize,
    /// The most `top_logprobs` of one token (default 256; OpenAI allows 20).
    pub max_top_logprobs: usize,
    /// The most annotations (citations) in one delta or message (default
    /// 1024).
    pub max_annotations: usize,
    /// The most keys of one object kept as sent: each `extra` map, and every
    /// object inside an unknown field (default 1024).
    pub max_extra_keys: usize,
    /// Whether the memory bound applies (default `true`). Switch it off only
    /// for input you trust, such as a saved stream of your own.
    pub bound_memory: bool,
}

impl Default for ParseLimits {
    fn default() -> Self {
        Self {
            max_choices: 128,
            max_tool_calls: 1024,
            max_content_parts: 1024,
            max_filter_results: 1024,
            max_logprobs: 128 << 10,
            max_top_logprobs: 256,
            max_annotations: 1024,
            max_extra_keys: 1024,
            bound_memory: true,
        }
    }
}

impl ParseLimits {
    /// No limit at all, not even the memory bound: for input you trust.
    pub fn unlimited() -> Self {
        Self {
            max_choices: usize::MAX,
            max_tool_calls: usize::MAX,
            max_content_parts: usize::MAX,
            max_filter_results: usize::MAX,
            max_logprobs: usize::MAX,
            max_top_logprobs: usize::MAX,
            max_annotations: usize::MAX,
            max_extra_keys: usize::MAX,
            bound_memory: false,
        }
    }

    /// Sets [`max_choices`](Self::max_choices).
    pub fn max_choices(mut self, max: usize) -> Self {
        self.max_choices = max;
        self
    }

    /// Sets [`max_tool_calls`](Self::max_tool_calls).
    pub fn max_tool_calls(mut self, max: usize) -> Self {
        self.max_tool_calls = max;
        self
    }

    /// Sets [`max_content_parts`](Self::max_content_parts).
    pub fn max_content_parts(mut self, max: usize) -> Self {
        self.max_content_parts = max;
        self
    }

    /// Sets [`max_filter_results`](Self::max_filter_results).
    pub fn max_filter_results(mut self, max: usize) -> Self {
        self.max_filter_results = max;
        self
    }

    /// Sets [`max_logprobs`](Self::max_logprobs).
    pub fn max_logprobs(mut self, max: usize) -> Self {
        self.max_logprobs = max;
        self
    }

    /// Sets [`max_top_logprobs`](Self::max_top_logprobs).
    pub fn max_top_logprobs(mut self, max: usize) -> Self {
        self.max_top_logprobs = max;
        self
    }

    /// Sets [`max_annotations`](Self::max_annotations).
    pub fn max_annotations(mut self, max: usize) -> Self {
        self.max_annotations = max;
        self
    }

    /// Sets [`max_extra_keys`](Self::max_extra_keys).
    pub fn max_extra_keys(mut self, max: usize) -> Self {
        self.max_extra_keys = max;
        self
    }

    /// Sets [`bound_memory`](Self::bound_memory).
    pub fn bound_memory(mut self, on: bool) -> Self {
        self.bound_memory = on;
        self
    }

    /// The fewest bytes a payload needs to break `limit`: one element more
    /// than allowed, each as short as JSON allows with its comma — `{},`
    /// for the structs, `0,` for a content part, `"":0,` for a key (a lower
    /// bound: distinct keys are longer).
    fn fewest_bytes_to_break(&self, limit: ParseLimit) -> usize {
        let per_element = match limit {
            ParseLimit::ContentParts => 2,
            ParseLimit::ExtraKeys => 5,
            _ => 3,
        };
        self.max_of(limit, 0)
            .saturating_add(1)
            .saturating_mul(per_element)
            .saturating_sub(1)
    }

    /// From what size a parsed payload's counts need checking (see
    /// [`CheckFrom`]).
    pub(crate) fn check_from(&self) -> CheckFrom {
        let others = [
            ParseLimit::ToolCalls,
            ParseLimit::ContentParts,
            ParseLimit::FilterResults,
            ParseLimit::Logprobs,
            ParseLimit::TopLogprobs,
            ParseLimit::Annotations,
            ParseLimit::ExtraKeys,
        ];
        CheckFrom {
            choices: self.fewest_bytes_to_break(ParseLimit::Choices),
            all: others
                .into_iter()
                .map(|limit| self.fewest_bytes_to_break(limit))
                .min()
                .unwrap_or(usize::MAX),
        }
    }

    /// The value of `limit` (for [`ParseLimit::Memory`], the bound for a
    /// payload of `len` bytes).
    pub(crate) fn max_of(&self, limit: ParseLimit, len: usize) -> usize {
        match limit {
            ParseLimit::Choices => self.max_choices,
            ParseLimit::ToolCalls => self.max_tool_calls,
            ParseLimit::ContentParts => self.max_content_parts,
            ParseLimit::FilterResults => self.max_filter_results,
            ParseLimit::Logprobs => self.max_logprobs,
            ParseLimit::TopLogprobs => self.max_top_logprobs,
            ParseLimit::Annotations => self.max_annotations,
            ParseLimit::ExtraKeys => self.max_extra_keys,
            ParseLimit::Memory => memory_bound(len),
        }
    }
}

/// From what payload size the counts of a payload parsed without charges
/// need checking: below [`choices`](Self::choices) none can be broken, below
/// [`all`](Self::all) only the number of choices can (with the default
/// limits, a payload under 386 bytes — most stream chunks — needs no check,
/// and one under 770 bytes only that of its choices).
#[derive(Clone, Copy, Debug)]
pub(crate) struct CheckFrom {
    pub(crate) choices: usize,
    pub(crate) all: usize,
}

/// The most heap a parse of `len` bytes may hold: `4·len + 1 MiB`.
pub(crate) fn memory_bound(len: usize) -> usize {
    len.saturating_mul(4).saturating_add(1 << 20)
}

/// Which of the [`ParseLimits`] a payload broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseLimit {
    /// [`ParseLimits::max_choices`].
    Choices,
    /// [`ParseLimits::max_tool_calls`].
    ToolCalls,
    /// [`ParseLimits::max_content_parts`].
    ContentParts,
    /// [`ParseLimits::max_filter_results`].
    FilterResults,
    /// [`ParseLimits::max_logprobs`].
    Logprobs,
    /// [`ParseLimits::max_top_logprobs`].
    TopLogprobs,
    /// [`ParseLimits::max_annotations`].
    Annotations,
    /// [`ParseLimits::max_extra_keys`].
    ExtraKeys,
    /// The memory bound ([`ParseLimits::bound_memory`]).
    Memory,
}

impl ParseLimit {
    /// What the limit counts, for messages ("choices").
    fn counts(self) -> &'static str {
        match self {
            ParseLimit::Choices => "choices",
            ParseLimit::ToolCalls => "tool calls in one delta or message",
            ParseLimit::ContentParts => "content parts in one content",
            ParseLimit::FilterResults => "prompt filter results",
            ParseLimit::Logprobs => "tokens in one logprobs list",
            ParseLimit::TopLogprobs => "top logprobs for one token",
            ParseLimit::Annotations => "annotations in one delta or message",
            ParseLimit::ExtraKeys => "keys in one object of unknown fields",
            ParseLimit::Memory => "bytes of memory",
        }
    }

    /// The name of the setting, for messages.
    fn setting(self) -> &'static str {
        match self {
            ParseLimit::Choices => "max_choices",
            ParseLimit::ToolCalls => "max_tool_calls",
            ParseLimit::ContentParts => "max_content_parts",
            ParseLimit::FilterResults => "max_filter_results",
            ParseLimit::Logprobs => "max_logprobs",
            ParseLimit::TopLogprobs => "max_top_logprobs",
            ParseLimit::Annotations => "max_annotations",
            ParseLimit::ExtraKeys => "max_extra_keys",
            ParseLimit::Memory => "bound_memory",
        }
    }
}

/// Why a payload could not be parsed: it is not a valid chunk (or
/// completion), or it broke one of the [`ParseLimits`].
#[derive(Debug)]
#[non_exhaustive]
pub enum ParseError {
    /// Not valid JSON, or not of the expected shape.
    Json(serde_json::Error),
    /// The payload went past a limit; the parse stopped there, before
    /// allocating more.
    Limit {
        /// Which limit.
        limit: ParseLimit,
        /// Its value (for [`ParseLimit::Memory`], the bound in bytes for this
        /// payload).
        max: usize,
    },
}

impl ParseError {
    /// The limit the payload broke, if that is what happened.
    pub fn limit(&self) -> Option<ParseLimit> {
        match self {
            ParseError::Limit { limit, .. } => Some(*limit),
            ParseError::Json(_) => None,
        }
    }

    /// Whether the payload broke a limit (rather than being invalid).
    pub fn is_limit(&self) -> bool {
        self.limit().is_some()
    }

    /// The JSON error, if the payload was invalid.
    pub fn json_error(&self) -> Option<&serde_json::Error> {
        match self {
            ParseError::Json(error) => Some(error),
            ParseError::Limit { .. } => None,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Json(error) => fmt::Display::fmt(error, f),
            ParseError::Limit {
                limit: ParseLimit::Memory,
                max,
            } => write!(
                f,
                "parsing the payload would take more than {max} bytes of memory \
                 (4 times its size + 1 MiB; ParseLimits::bound_memory)"
            ),
            ParseError::Limit { limit, max } => write!(
                f,
                "more than {max} {} (ParseLimits::{})",
                limit.counts(),
                limit.setting()
            ),
        }
    }
}

impl std::error::Error for ParseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ParseError::Json(error) => Some(error),
            ParseError::Limit { .. } => None,
        }
    }
}

impl From<serde_json::Error> for ParseError {
    fn from(error: serde_json::Error) -> Self {
        ParseError::Json(error)
    }
}
