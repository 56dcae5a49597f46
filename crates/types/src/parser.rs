//! [`ChunkParser`]: parses the `data` of each event of a stream.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::lenient::budget::UNCHARGED_MAX;
use crate::lenient::{
    Bound, Budget, Cx, FieldSeed, Format, InternSeed, KeySeed, Lenient, LenientStruct,
    OptionalIntern, PushSeed, Unbounded, deserialize_fields_into, map_of, refuse_strings, seq_of,
};
use crate::parse_limits::{CheckFrom, WithinLimits};
use crate::reuse::{ChoiceHead, Recorder, Reuse};
use crate::{
    ApiError, ChatCompletion, ChatCompletionChunk, ChunkChoice, ErrorResponse, ParseError,
    ParseLimit, ParseLimits, SharedStr,
};

/// The parsed `data` of one event of a chat-completion stream.
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)] // Chunk is the common case; boxing it costs an allocation.
pub enum StreamPayload {
    /// A chunk.
    Chunk(ChatCompletionChunk),
    /// An error object: the payload's top level has a non-null `"error"`
    /// (`data: {"error": {...}}`, the way OpenAI, OpenRouter and LiteLLM
    /// report a failure after the response started). The stream should end
    /// here; everything before it was delivered.
    Error(ApiError),
    /// The `[DONE]` sentinel: the stream is complete.
    Done,
}

/// What [`ChunkParser::parse_payload_into`] found in a payload: the same
/// three cases as [`StreamPayload`], the chunk being in the caller's place.
#[derive(Clone, Debug, PartialEq)]
pub enum PayloadKind {
    /// A chunk, now in the place given.
    Chunk,
    /// An error object (see [`StreamPayload::Error`]).
    Error(ApiError),
    /// The `[DONE]` sentinel: the stream is complete.
    Done,
}

/// Parses the payloads of one stream, sharing the strings that repeat.
///
/// Use one parser per stream at a time: it remembers what the previous
/// payloads had in common with the next ones. A parser can go on to another
/// stream (keeping its allocations and the strings it learned; call
/// [`begin_stream`](Self::begin_stream) first): what it remembers is only
/// used after checking it against the bytes at hand, so the results are
/// those of a new parser.
///
/// # Fast
///
/// Every chunk of a stream repeats `id`, `object`, `model` and
/// `system_fingerprint`, and much of it repeats byte for byte: in OpenAI's
/// layout everything before the choice's `delta`; in Azure's (keys in
/// alphabetical order) the content-filter results before it and the
/// top-level fields after the choices. The parser uses all three:
///
/// - it remembers the last value of each of those strings and reuses it (a
///   [`SharedStr`] clone, no allocation) when the next chunk has the same
///   text;
/// - it remembers how a payload began, up to its first field that is not one
///   of those few (the `delta`, say), and what those bytes parsed to: a
///   payload that begins with the same bytes is parsed from there on (reading
///   left to right, the same bytes leave the parser in the same state);
/// - likewise it remembers a payload's last top-level fields when they are
///   only those few: a payload that ends with the same bytes after a comma is
///   parsed without them, and they are set afterwards.
///
/// The result is the same as parsing each payload on its own (with
/// `serde_json::from_slice`), errors included (a payload that fails is
/// parsed again whole, so the error points into it).
///
/// A text chunk costs two allocations — its `choices` vector and its text (a
/// stream's first chunk also allocates its strings); a tool-call chunk its
/// `tool_calls` vector too; an Azure chunk its boxed content-filter results.
/// Speed and allocations per chunk against async-openai's type are measured
/// by `cargo xtask bench --only types` and reported in the repository's
/// BENCHMARKS.md.
///
/// # Where `[DONE]` is handled
///
/// Here, in [`parse_payload`](Self::parse_payload): `[DONE]` is an OpenAI
/// convention carried in an event's `data`, so it belongs with the OpenAI
/// models, not with the Server-Sent Events decoder (which knows nothing of
/// OpenAI) and not in each client.
///
/// ```
/// use chatstream_types::{ChunkParser, StreamPayload};
///
/// let mut parser = ChunkParser::new();
/// let payloads: [&[u8]; 3] = [
///     br#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hel"}}]}"#,
///     br#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}"#,
///     b"[DONE]",
/// ];
/// let mut text = String::new();
/// for payload in payloads {
///     match parser.parse_payload(payload)? {
///         StreamPayload::Chunk(chunk) => {
///             for choice in &chunk.choices {
///                 text.push_str(choice.delta.content_text().as_deref().unwrap_or(""));
///             }
///         }
///         StreamPayload::Error(error) => panic!("API error: {error}"),
///         StreamPayload::Done => break,
///     }
/// }
/// assert_eq!(text, "Hello");
/// # Ok::<(), chatstream_types::ParseError>(())
/// ```
#[derive(Clone, Debug)]
pub struct ChunkParser {
    cache: Cache,
    /// How the last payloads began and ended.
    reuse: Reuse,
    /// The input of a shortened parse (kept to reuse its allocation).
    buffer: Vec<u8>,
    limits: ParseLimits,
    /// From what size the counts of a payload parsed without charges are
    /// checked (derived from `limits`).
    check_from: CheckFrom,
}

impl Default for ChunkParser {
    fn default() -> Self {
        Self::with_limits(ParseLimits::default())
    }
}

/// The last values of the strings every chunk repeats.
#[derive(Clone, Debug, Default)]
struct Cache {
    id: Option<SharedStr>,
    object: Option<SharedStr>,
    model: Option<SharedStr>,
    system_fingerprint: Option<SharedStr>,
}

impl ChunkParser {
    /// A parser with nothing remembered yet and the default [`ParseLimits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A parser with nothing remembered yet and `limits`.
    pub fn with_limits(limits: ParseLimits) -> Self {
        Self {
            cache: Cache::default(),
            reuse: Reuse::default(),
            buffer: Vec::new(),
            limits,
            check_from: limits.check_from(),
        }
    }

    /// The limits every payload is parsed under.
    pub fn limits(&self) -> &ParseLimits {
        &self.limits
    }

    /// Changes the limits for the payloads that follow. Setting the limits
    /// the parser already has costs a comparison (a pooled parser is given
    /// its client's limits at every stream).
    pub fn set_limits(&mut self, limits: ParseLimits) {
        if self.limits != limits {
            self.limits = limits;
            self.check_from = limits.check_from();
        }
    }

    /// Readies the parser for the payloads of another stream: it keeps its
    /// buffers and what it remembered (checked before any use, so never
    /// wrong, only sometimes of no help) but forgets that recent payloads
    /// had nothing in common, so that it looks for what the new stream's
    /// payloads share from the first one on.
    ///
    /// ```
    /// use chatstream_types::{ChunkParser, StreamPayload};
    ///
    /// let mut parser = ChunkParser::new();
    /// parser.parse_payload(br#"{"id":"a","choices":[]}"#)?;
    /// parser.begin_stream();
    /// let StreamPayload::Chunk(chunk) = parser.parse_payload(br#"{"id":"b","choices":[]}"#)? else {
    ///     unreachable!()
    /// };
    /// assert_eq!(chunk.id, "b");
    /// # Ok::<(), chatstream_types::ParseError>(())
    /// ```
    pub fn begin_stream(&mut self) {
        self.reuse.forget_misses();
    }

    /// Parses one chunk. A top-level `"error"` is kept in `extra` like any
    /// other unknown field; use [`parse_payload`](Self::parse_payload) to have
    /// it recognised.
    pub fn parse_chunk(&mut self, json: &[u8]) -> Result<ChatCompletionChunk, ParseError> {
        let mut chunk = ChatCompletionChunk::default();
        self.parse_into(json, &mut chunk, false, 0)?;
        Ok(chunk)
    }

    /// Parses one event's `data`: the `[DONE]` sentinel (surrounding ASCII
    /// whitespace ignored), an error object, or a chunk.
    pub fn parse_payload(&mut self, data: &[u8]) -> Result<StreamPayload, ParseError> {
        let mut chunk = ChatCompletionChunk::default();
        Ok(match self.payload_into(data, &mut chunk)? {
            PayloadKind::Chunk => StreamPayload::Chunk(chunk),
            PayloadKind::Error(error) => StreamPayload::Error(error),
            PayloadKind::Done => StreamPayload::Done,
        })
    }

    /// [`parse_payload`](Self::parse_payload), with the chunk written to
    /// `chunk` instead of returned: for a caller that hands chunks on by value
    /// through several layers (a `Stream` of them), where each layer would
    /// copy it (a chunk is a couple of hundred bytes), so that it is parsed
    /// straight into the place it is handed on from.
    ///
    /// Whatever `chunk` held is replaced. Unless the result is
    /// `Ok(PayloadKind::Chunk)`, `chunk` is left at its default.
    ///
    /// ```
    /// use chatstream_types::{ChatCompletionChunk, ChunkParser, PayloadKind};
    ///
    /// let mut parser = ChunkParser::new();
    /// let mut chunk = ChatCompletionChunk::default();
    /// let kind = parser.parse_payload_into(br#"{"id":"c1","choices":[]}"#, &mut chunk)?;
    /// assert_eq!((kind, chunk.id.as_str()), (PayloadKind::Chunk, "c1"));
    /// assert_eq!(parser.parse_payload_into(b"[DONE]", &mut chunk)?, PayloadKind::Done);
    /// assert_eq!(chunk, ChatCompletionChunk::default());
    /// # Ok::<(), chatstream_types::ParseError>(())
    /// ```
    pub fn parse_payload_into(
        &mut self,
        data: &[u8],
        chunk: &mut ChatCompletionChunk,
    ) -> Result<PayloadKind, ParseError> {
        fn clear(chunk: &mut ChatCompletionChunk) {
            if !chunk.is_default() {
                *chunk = ChatCompletionChunk::default();
            }
        }
        clear(chunk);
        let kind = self.payload_into(data, chunk);
        if !matches!(kind, Ok(PayloadKind::Chunk)) {
            clear(chunk);
        }
        kind
    }

    /// Parses `data` into `chunk`, which is at its default. Inlined into
    /// both callers, so that `parse_payload`, the hot path, stays one
    /// function (measured: called, parsing took up to 5 % longer).
    #[inline(always)]
    fn payload_into(
        &mut self,
        data: &[u8],
        chunk: &mut ChatCompletionChunk,
    ) -> Result<PayloadKind, ParseError> {
        if data.trim_ascii() == b"[DONE]" {
            return Ok(PayloadKind::Done);
        }
        let parsed = match self.parse_into(data, chunk, true, 0) {
            Ok(parsed) => parsed,
            Err(error) => {
                // A server that cuts text by UTF-16 units (a JavaScript
                // `slice`) can split a surrogate pair across two chunks, each
                // holding a lone `\uD83E`-style escape, which strict JSON
                // parsers reject. Such a payload is parsed again with every
                // lone surrogate escape replaced by U+FFFD, as a UTF-8 decoder
                // treats an invalid sequence: the stream goes on, the rest of
                // the text is intact, and the split character shows as `�`.
                // (The copy counts against the second parse's memory bound.)
                // What the failed parse left is dropped before the copy.
                *chunk = ChatCompletionChunk::default();
                let repaired = match error {
                    ParseError::Json(_) => replace_lone_surrogates(data),
                    ParseError::Limit { .. } => None,
                };
                let Some(repaired) = repaired else {
                    return Err(error);
                };
                self.parse_into(&repaired, chunk, true, repaired.len())?
            }
        };
        Ok(match parsed {
            Some(error) => PayloadKind::Error(error),
            None => PayloadKind::Chunk,
        })
    }

    /// Reads the data of an `event: error` event, which is an error whatever
    /// it holds: `{"error": {...}}` (Groq), a bare error object, or plain
    /// text (then the message; also what a payload past the limits gives).
    /// Never fails.
    ///
    /// ```
    /// use chatstream_types::ChunkParser;
    ///
    /// let mut parser = ChunkParser::new();
    /// let wrapped = parser.parse_error_event(br#"{"error":{"message":"boom","code":"tool_use_failed"}}"#);
    /// let bare = parser.parse_error_event(br#"{"message":"boom"}"#);
    /// let text = parser.parse_error_event(b"boom");
    /// assert!([wrapped, bare, text].iter().all(|e| e.message == "boom"));
    /// ```
    pub fn parse_error_event(&mut self, data: &[u8]) -> ApiError {
        match self.parse_payload(data) {
            Ok(StreamPayload::Error(error)) => error,
            _ => self.parse::<ApiError>(data).unwrap_or_else(|_| ApiError {
                message: String::from_utf8_lossy(data).into_owned(),
                ..ApiError::default()
            }),
        }
    }

    /// Parses a whole `chat.completion` (the body of a request that was not
    /// streamed, or a server's answer in one piece) under the same limits.
    ///
    /// ```
    /// use chatstream_types::{ChunkParser, Content};
    ///
    /// let completion = ChunkParser::new().parse_completion(
    ///     br#"{"id":"c1","object":"chat.completion","model":"m",
    ///         "choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}]}"#,
    /// )?;
    /// assert_eq!(completion.choices[0].message.content, Some(Content::Text("Hi".into())));
    /// # Ok::<(), chatstream_types::ParseError>(())
    /// ```
    pub fn parse_completion(&self, json: &[u8]) -> Result<ChatCompletion, ParseError> {
        self.parse(json)
    }

    /// Parses an error response body (`{"error": {...}}`) under the same
    /// limits.
    pub fn parse_error_response(&self, json: &[u8]) -> Result<ErrorResponse, ParseError> {
        self.parse(json)
    }

    /// Parses all of `json` as a `T` (a completion, an error body), within
    /// the limits: always charged, whatever its size — a completion's choice
    /// is larger than a chunk's, so the size under which a chunk cannot break
    /// the memory bound does not hold for it (and these are not the hot path).
    /// With no limits at all, without charges.
    fn parse<T: Lenient + WithinLimits>(&self, json: &[u8]) -> Result<T, ParseError> {
        fn run<T: Lenient, B: Bound>(
            json: &[u8],
            format: Format,
            bound: B,
        ) -> Result<T, serde_json::Error> {
            let mut deserializer = serde_json::Deserializer::from_slice(json);
            let value = T::deserialize_in(&mut deserializer, Cx::new(format, bound))?;
            deserializer.end()?;
            Ok(value)
        }
        let format = Format::for_json(json);
        if self.limits == ParseLimits::unlimited() {
            return Ok(run(json, format, Unbounded)?);
        }
        let budget = Budget::for_input(&self.limits, json);
        run(json, format, &budget).map_err(|error| budget.error(error))
    }

    /// Whether the chunk `json` is parsed without charges, its counts checked
    /// after: when it is too small to break the memory bound (see
    /// [`ParseLimits`]), or there are no limits at all. (With only the memory
    /// bound off, a larger payload is still counted as it is read.)
    fn uncharged(&self, json: &[u8]) -> bool {
        json.len() <= UNCHARGED_MAX || self.limits == ParseLimits::unlimited()
    }

    /// Parses `json` into `chunk` (which is empty); returns the top-level
    /// error if `detect_error` and there is one.
    ///
    /// Two ways, with the same outcome but for which limit is named when a
    /// payload breaks several (or repeats a field, which the charged way
    /// checks each time and the other only in its last value): a payload
    /// small enough that it cannot break
    /// the memory bound is parsed without charges — skipping the head and
    /// tail it shares with earlier payloads — and its counts are checked
    /// once it is parsed; a larger one is parsed whole under a budget that
    /// stops it before it allocates past a limit (`held` bytes, a repaired
    /// copy of the payload, count against its memory bound).
    fn parse_into(
        &mut self,
        json: &[u8],
        chunk: &mut ChatCompletionChunk,
        detect_error: bool,
        held: usize,
    ) -> Result<Option<ApiError>, ParseError> {
        if self.uncharged(json) {
            let error = self.parse_reusing(json, chunk, detect_error)?;
            self.check_counts(json.len(), chunk, &error)?;
            return Ok(error);
        }
        self.parse_charged(json, chunk, detect_error, held)
    }

    /// Parses `json` whole under a budget (see [`parse_into`](Self::parse_into)).
    #[cold]
    #[inline(never)]
    fn parse_charged(
        &mut self,
        json: &[u8],
        chunk: &mut ChatCompletionChunk,
        detect_error: bool,
        held: usize,
    ) -> Result<Option<ApiError>, ParseError> {
        let budget = Budget::for_input(&self.limits, json);
        (&budget)
            .charge(held)
            .map_err(|error| budget.error(error))?;
        let seed = ChunkSeed {
            cache: &mut self.cache,
            chunk,
            detect_error,
            cx: Cx::new(Format::for_json(json), &budget),
            first_choice: None,
            recorder: &mut Recorder::off(),
        };
        parse_with(seed, json).map_err(|error| budget.error(error))
    }

    /// Checks the counts of a payload of `len` bytes parsed without
    /// charges, as far as its size lets it break them (see [`CheckFrom`]).
    #[inline]
    fn check_counts(
        &self,
        len: usize,
        chunk: &ChatCompletionChunk,
        error: &Option<ApiError>,
    ) -> Result<(), ParseError> {
        if len < self.check_from.choices && len < self.check_from.all {
            return Ok(());
        }
        self.check_counts_of(len, chunk, error)
    }

    #[cold]
    #[inline(never)]
    fn check_counts_of(
        &self,
        len: usize,
        chunk: &ChatCompletionChunk,
        error: &Option<ApiError>,
    ) -> Result<(), ParseError> {
        if len >= self.check_from.all {
            chunk.check(&self.limits)?;
            return error.check(&self.limits);
        }
        // Only the number of choices can be too large.
        if chunk.choices.len() > self.limits.max_choices {
            return Err(ParseError::Limit {
                limit: ParseLimit::Choices,
                max: self.limits.max_choices,
            });
        }
        Ok(())
    }

    /// Parses `json` without charges, skipping the head and tail it shares
    /// with earlier payloads if it can.
    fn parse_reusing(
        &mut self,
        json: &[u8],
        chunk: &mut ChatCompletionChunk,
        detect_error: bool,
    ) -> Result<Option<ApiError>, serde_json::Error> {
        let mut buffer = std::mem::take(&mut self.buffer);
        let shortened = self.parse_shortened(json, chunk, detect_error, &mut buffer);
        self.buffer = buffer;
        if let Some(error) = shortened {
            return Ok(error);
        }
        // No head or tail to skip, or the shortened payload failed: parse it
        // whole (then an error points into it).
        let record = self.reuse.worth_recording();
        let mut recorder = Recorder::new(json, record, record);
        let seed = ChunkSeed {
            cache: &mut self.cache,
            chunk,
            detect_error,
            cx: Cx::new(Format::for_json(json), Unbounded),
            first_choice: None,
            recorder: &mut recorder,
        };
        let error = parse_with(seed, json)?;
        self.reuse.keep(&mut recorder);
        Ok(error)
    }

    /// Parses `json` without the head and tail it shares with earlier
    /// payloads, in `buffer`; `None` if it shares neither or does not parse
    /// that way.
    fn parse_shortened(
        &mut self,
        json: &[u8],
        chunk: &mut ChatCompletionChunk,
        detect_error: bool,
        buffer: &mut Vec<u8>,
    ) -> Option<Option<ApiError>> {
        let plan = self.reuse.plan(json)?;
        let first_choice = plan.prepare(json, buffer, chunk);
        let mut recorder = plan.recorder(buffer);
        let seed = ChunkSeed {
            cache: &mut self.cache,
            chunk,
            detect_error,
            cx: Cx::new(Format::for_json(buffer), Unbounded),
            first_choice,
            recorder: &mut recorder,
        };
        let Ok(error) = parse_with(seed, buffer) else {
            *chunk = ChatCompletionChunk::default();
            return None;
        };
        plan.finish(chunk);
        self.reuse.keep(&mut recorder);
        Some(error)
    }
}

/// Runs `seed` over all of `json`.
fn parse_with<B: Bound>(
    seed: ChunkSeed<'_, '_, B>,
    json: &[u8],
) -> Result<Option<ApiError>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let error = seed.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(error)
}

impl<'de> de::Deserialize<'de> for ChatCompletionChunk {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut cache = Cache::default();
        let mut chunk = ChatCompletionChunk::default();
        ChunkSeed {
            cache: &mut cache,
            chunk: &mut chunk,
            detect_error: false,
            cx: Cx::new(Format::Any, Unbounded),
            first_choice: None,
            recorder: &mut Recorder::off(),
        }
        .deserialize(deserializer)?;
        Ok(chunk)
    }
}

/// Deserializes a chunk into `chunk` (in place: a chunk is a few hundred
/// bytes, not worth moving through every layer of `Result`), and returns the
/// top-level `"error"` if `detect_error` and there was a non-null one.
struct ChunkSeed<'c, 'i, B> {
    cache: &'c mut Cache,
    chunk: &'c mut ChatCompletionChunk,
    detect_error: bool,
    cx: Cx<B>,
    /// Resuming after a head that ends in the first choice: what it set.
    first_choice: Option<&'c ChoiceHead>,
    recorder: &'c mut Recorder<'i>,
}

impl<'de, B: Bound> DeserializeSeed<'de> for ChunkSeed<'_, '_, B> {
    type Value = Option<ApiError>;
    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Option<ApiError>, D::Error> {
        map_of::<B, _, _>(deserializer, self)
    }
}

impl<'de, B: Bound> Visitor<'de> for ChunkSeed<'_, '_, B> {
    type Value = Option<ApiError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a chat.completion.chunk object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<ApiError>, A::Error> {
        let Self {
            cache,
            chunk,
            detect_error,
            cx,
            mut first_choice,
            recorder,
        } = self;
        let mut error = None;
        while let Some(key) = map.next_key_seed(KeySeed(cx))? {
            recorder.top_key(&key, chunk);
            match key.bytes() {
                b"id" => chunk.id = interned(&mut map, &mut cache.id, cx)?,
                b"object" => chunk.object = interned(&mut map, &mut cache.object, cx)?,
                b"created" => chunk.created = map.next_value_seed(FieldSeed::new(cx))?,
                b"model" => chunk.model = interned(&mut map, &mut cache.model, cx)?,
                b"system_fingerprint" => {
                    chunk.system_fingerprint = map.next_value_seed(OptionalIntern(
                        InternSeed::new(&mut cache.system_fingerprint, cx),
                    ))?
                }
                b"choices" => {
                    chunk.choices = map.next_value_seed(ChoicesSeed {
                        cx,
                        first: first_choice.take(),
                        recorder: &mut *recorder,
                    })?;
                    recorder.left_choices();
                }
                b"usage" => chunk.usage = map.next_value_seed(FieldSeed::new(cx))?,
                b"service_tier" => chunk.service_tier = map.next_value_seed(FieldSeed::new(cx))?,
                b"prompt_filter_results" => {
                    chunk.prompt_filter_results = map.next_value_seed(FieldSeed::new(cx))?
                }
                b"prompt_annotations" => {
                    chunk.prompt_annotations = map.next_value_seed(FieldSeed::new(cx))?
                }
                b"obfuscation" => {
                    map.next_value::<IgnoredAny>()?;
                }
                // `null` is no error, and (like a `null` unknown field kept
                // in `extra`) does not undo an earlier one.
                b"error" if detect_error => {
                    if let Some(found) =
                        map.next_value_seed(FieldSeed::<_, Option<ApiError>>::new(cx))?
                    {
                        error = Some(found);
                    }
                }
                _ => key.store_in(&mut map, &mut chunk.extra, cx)?,
            }
        }
        recorder.end(chunk);
        Ok(error)
    }

    refuse_strings!();
}

/// A string field shared through `cache` (`null` gives `""`).
fn interned<'de, A: MapAccess<'de>, B: Bound>(
    map: &mut A,
    cache: &mut Option<SharedStr>,
    cx: Cx<B>,
) -> Result<SharedStr, A::Error> {
    let value = map.next_value_seed(OptionalIntern(InternSeed::new(cache, cx)))?;
    Ok(value.unwrap_or_default())
}

/// The top-level `choices` (`null` gives none). The first choice continues
/// `first` when resuming after a head that ends in it.
struct ChoicesSeed<'c, 'i, B> {
    cx: Cx<B>,
    first: Option<&'c ChoiceHead>,
    recorder: &'c mut Recorder<'i>,
}

impl<'de, B: Bound> DeserializeSeed<'de> for ChoicesSeed<'_, '_, B> {
    type Value = Vec<ChunkChoice>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, B: Bound> Visitor<'de> for ChoicesSeed<'_, '_, B> {
    type Value = Vec<ChunkChoice>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence of choices")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        seq_of::<B, _, _>(deserializer, self)
    }

    refuse_strings!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let cx = self.cx;
        let mut choices = Vec::new();
        let first = FirstChoiceSeed {
            cx,
            choices: &mut choices,
            choice: self.first,
            recorder: self.recorder,
        };
        if seq.next_element_seed(first)?.is_some() {
            while let Some(()) = seq.next_element_seed(PushSeed {
                vec: &mut choices,
                cx,
            })? {}
        }
        Ok(choices)
    }
}

/// The first choice, pushed onto `choices` (a vector of capacity one: it is
/// usually the only one) and read there in place, from `choice` (as a head
/// left it) or from the default.
struct FirstChoiceSeed<'v, 'c, 'i, B> {
    cx: Cx<B>,
    choices: &'v mut Vec<ChunkChoice>,
    choice: Option<&'c ChoiceHead>,
    recorder: &'c mut Recorder<'i>,
}

impl<'de, B: Bound> DeserializeSeed<'de> for FirstChoiceSeed<'_, '_, '_, B> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let Self {
            cx,
            choices,
            choice,
            recorder,
        } = self;
        cx.bound.check_count(ParseLimit::Choices, 0)?;
        cx.bound.reserve_first(choices)?;
        // Pushed as the default and restored in place: a choice is a few
        // hundred bytes, not worth building aside and copying in.
        choices.push(ChunkChoice::default());
        let Some(place) = choices.last_mut() else {
            return Ok(());
        };
        if let Some(choice) = choice {
            choice.restore(place);
        }
        if !recorder.in_first_choice() {
            return deserialize_fields_into(deserializer, place, cx);
        }
        map_of::<B, _, _>(
            deserializer,
            FirstChoiceVisitor {
                cx,
                place,
                recorder,
            },
        )
    }
}

/// The first choice while its head may end in it.
struct FirstChoiceVisitor<'p, 'c, 'i, B> {
    cx: Cx<B>,
    place: &'p mut ChunkChoice,
    recorder: &'c mut Recorder<'i>,
}

impl<'de, B: Bound> Visitor<'de> for FirstChoiceVisitor<'_, '_, '_, B> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(ChunkChoice::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Self {
            cx,
            place,
            recorder,
        } = self;
        while let Some(key) = map.next_key_seed(KeySeed(cx))? {
            recorder.first_choice_key(&key, place);
            place.visit_field(key, &mut map, cx)?;
        }
        recorder.left_choices();
        Ok(())
    }

    refuse_strings!();
}

/// `json` with every lone UTF-16 surrogate escape (`\uD800`–`\uDFFF` not part
/// of a high-low pair) inside a string replaced by `\uFFFD`; `None` when
/// there is none (so nothing to retry).
fn replace_lone_surrogates(json: &[u8]) -> Option<Vec<u8>> {
    fn escape_at(json: &[u8], at: usize) -> Option<u16> {
        let digits = json.get(at..at + 6)?;
        if digits.first() != Some(&b'\\') || digits.get(1) != Some(&b'u') {
            return None;
        }
        let text = std::str::from_utf8(digits.get(2..)?).ok()?;
        u16::from_str_radix(text, 16).ok()
    }
    let mut out = Vec::with_capacity(json.len());
    let mut replaced = false;
    let mut in_string = false;
    let mut at = 0;
    while let Some(&byte) = json.get(at) {
        if !in_string {
            in_string = byte == b'"';
            out.push(byte);
            at += 1;
            continue;
        }
        match byte {
            b'"' => {
                in_string = false;
                out.push(byte);
                at += 1;
            }
            b'\\' => match escape_at(json, at) {
                Some(0xD800..=0xDBFF)
                    if escape_at(json, at + 6)
                        .is_some_and(|low| (0xDC00..=0xDFFF).contains(&low)) =>
                {
                    out.extend_from_slice(json.get(at..at + 12).unwrap_or_default());
                    at += 12;
                }
                Some(0xD800..=0xDFFF) => {
                    out.extend_from_slice(b"\\ufffd");
                    replaced = true;
                    at += 6;
                }
                _ => {
                    // Any other escape: copy the backslash and the escaped byte.
                    out.extend_from_slice(json.get(at..at + 2).unwrap_or(&json[at..]));
                    at += 2;
                }
            },
            _ => {
                out.push(byte);
                at += 1;
            }
        }
    }
    replaced.then_some(out)
}

#[cfg(test)]
mod tests;
