//! [`ChunkParser`]: parses the `data` of each event of a stream.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::lenient::{
    FieldSeed, Format, InternSeed, KeySeed, LenientStruct, OptionalIntern, PushSeed,
    deserialize_fields_into,
};
use crate::reuse::{ChoiceHead, Recorder, Reuse};
use crate::{ApiError, ChatCompletionChunk, ChunkChoice, SharedStr, Usage};

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
/// Measured (`cargo xtask bench --only types`, 200,000 chunks per corpus): a
/// text chunk costs two allocations — its `choices` vector and its text (2.07
/// on average, as a stream's first chunk allocates its strings) against six
/// for async-openai's type, and parses about twice as fast (2.7 million
/// chunks per second); a tool-call chunk costs 3.4 allocations (its
/// `tool_calls` vector too) and parses 1.6 times as fast; an Azure chunk 3.1
/// (its content-filter results are boxed), about twice as fast.
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
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ChunkParser {
    cache: Cache,
    /// How the last payloads began and ended.
    reuse: Reuse,
    /// The input of a shortened parse (kept to reuse its allocation).
    buffer: Vec<u8>,
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
    /// A parser with nothing remembered yet.
    pub fn new() -> Self {
        Self::default()
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
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn begin_stream(&mut self) {
        self.reuse.forget_misses();
    }

    /// Parses one chunk. A top-level `"error"` is kept in `extra` like any
    /// other unknown field; use [`parse_payload`](Self::parse_payload) to have
    /// it recognised.
    pub fn parse_chunk(&mut self, json: &[u8]) -> Result<ChatCompletionChunk, serde_json::Error> {
        let mut chunk = ChatCompletionChunk::default();
        self.parse_into(json, &mut chunk, false)?;
        Ok(chunk)
    }

    /// Parses one event's `data`: the `[DONE]` sentinel (surrounding ASCII
    /// whitespace ignored), an error object, or a chunk.
    pub fn parse_payload(&mut self, data: &[u8]) -> Result<StreamPayload, serde_json::Error> {
        if data.trim_ascii() == b"[DONE]" {
            return Ok(StreamPayload::Done);
        }
        let mut chunk = ChatCompletionChunk::default();
        let parsed = match self.parse_into(data, &mut chunk, true) {
            Ok(parsed) => parsed,
            Err(error) => {
                // A server that cuts text by UTF-16 units (a JavaScript
                // `slice`) can split a surrogate pair across two chunks, each
                // holding a lone `\uD83E`-style escape, which strict JSON
                // parsers reject. Such a payload is parsed again with every
                // lone surrogate escape replaced by U+FFFD, as a UTF-8 decoder
                // treats an invalid sequence: the stream goes on, the rest of
                // the text is intact, and the split character shows as `�`.
                let Some(repaired) = replace_lone_surrogates(data) else {
                    return Err(error);
                };
                chunk = ChatCompletionChunk::default();
                self.parse_into(&repaired, &mut chunk, true)?
            }
        };
        Ok(match parsed {
            Some(error) => StreamPayload::Error(error),
            None => StreamPayload::Chunk(chunk),
        })
    }

    /// Reads the data of an `event: error` event, which is an error whatever
    /// it holds: `{"error": {...}}` (Groq), a bare error object, or plain
    /// text (then the message). Never fails.
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
            _ => serde_json::from_slice::<ApiError>(data).unwrap_or_else(|_| ApiError {
                message: String::from_utf8_lossy(data).into_owned(),
                ..ApiError::default()
            }),
        }
    }

    /// Parses `json` into `chunk` (which is empty), without the head and tail
    /// it shares with earlier payloads; returns the top-level error if
    /// `detect_error` and there is one.
    fn parse_into(
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
            format: Format::for_json(json),
            first_choice: None,
            recorder: &mut recorder,
        };
        let error = parse_with(seed, json)?;
        self.reuse.keep(recorder);
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
            format: Format::for_json(buffer),
            first_choice,
            recorder: &mut recorder,
        };
        let Ok(error) = parse_with(seed, buffer) else {
            *chunk = ChatCompletionChunk::default();
            return None;
        };
        plan.finish(chunk);
        self.reuse.keep(recorder);
        Some(error)
    }
}

/// Runs `seed` over all of `json`.
fn parse_with(seed: ChunkSeed<'_, '_>, json: &[u8]) -> Result<Option<ApiError>, serde_json::Error> {
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
            format: Format::Any,
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
struct ChunkSeed<'c, 'i> {
    cache: &'c mut Cache,
    chunk: &'c mut ChatCompletionChunk,
    detect_error: bool,
    format: Format,
    /// Resuming after a head that ends in the first choice: what it set.
    first_choice: Option<&'c ChoiceHead>,
    recorder: &'c mut Recorder<'i>,
}

impl<'de> DeserializeSeed<'de> for ChunkSeed<'_, '_> {
    type Value = Option<ApiError>;
    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Option<ApiError>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ChunkSeed<'_, '_> {
    type Value = Option<ApiError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a chat.completion.chunk object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<ApiError>, A::Error> {
        let Self {
            cache,
            chunk,
            detect_error,
            format,
            mut first_choice,
            recorder,
        } = self;
        let mut error = None;
        while let Some(key) = map.next_key_seed(KeySeed(format))? {
            recorder.top_key(&key, chunk);
            match key.bytes() {
                b"id" => chunk.id = interned(&mut map, &mut cache.id, format)?,
                b"object" => chunk.object = interned(&mut map, &mut cache.object, format)?,
                b"created" => chunk.created = map.next_value_seed(FieldSeed::new(format))?,
                b"model" => chunk.model = interned(&mut map, &mut cache.model, format)?,
                b"system_fingerprint" => {
                    chunk.system_fingerprint = map.next_value_seed(OptionalIntern(
                        InternSeed::new(&mut cache.system_fingerprint, format),
                    ))?
                }
                b"choices" => {
                    chunk.choices = map.next_value_seed(ChoicesSeed {
                        format,
                        first: first_choice.take(),
                        recorder: &mut *recorder,
                    })?;
                    recorder.left_choices();
                }
                b"usage" => {
                    chunk.usage = map
                        .next_value_seed(FieldSeed::<Option<Usage>>::new(format))?
                        .map(Box::new);
                }
                b"service_tier" => {
                    chunk.service_tier = map.next_value_seed(FieldSeed::new(format))?
                }
                b"prompt_filter_results" => {
                    chunk.prompt_filter_results = map.next_value_seed(FieldSeed::new(format))?
                }
                b"prompt_annotations" => {
                    chunk.prompt_annotations = map.next_value_seed(FieldSeed::new(format))?
                }
                b"obfuscation" => {
                    map.next_value::<IgnoredAny>()?;
                }
                // `null` is no error, and (like a `null` unknown field kept
                // in `extra`) does not undo an earlier one.
                b"error" if detect_error => {
                    if let Some(found) = map.next_value::<Option<ApiError>>()? {
                        error = Some(found);
                    }
                }
                _ => key.store_in(&mut map, &mut chunk.extra)?,
            }
        }
        recorder.end(chunk);
        Ok(error)
    }
}

/// A string field shared through `cache` (`null` gives `""`).
fn interned<'de, A: MapAccess<'de>>(
    map: &mut A,
    cache: &mut Option<SharedStr>,
    format: Format,
) -> Result<SharedStr, A::Error> {
    let value = map.next_value_seed(OptionalIntern(InternSeed::new(cache, format)))?;
    Ok(value.unwrap_or_default())
}

/// The top-level `choices` (`null` gives none). The first choice continues
/// `first` when resuming after a head that ends in it.
struct ChoicesSeed<'c, 'i> {
    format: Format,
    first: Option<&'c ChoiceHead>,
    recorder: &'c mut Recorder<'i>,
}

impl<'de> DeserializeSeed<'de> for ChoicesSeed<'_, '_> {
    type Value = Vec<ChunkChoice>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ChoicesSeed<'_, '_> {
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
        deserializer.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let format = self.format;
        let mut choices = Vec::new();
        let first = FirstChoiceSeed {
            format,
            choices: &mut choices,
            choice: self.first,
            recorder: self.recorder,
        };
        if seq.next_element_seed(first)?.is_some() {
            while let Some(()) = seq.next_element_seed(PushSeed {
                vec: &mut choices,
                format,
            })? {}
        }
        Ok(choices)
    }
}

/// The first choice, pushed onto `choices` (a vector of capacity one: it is
/// usually the only one) and read there in place, from `choice` (as a head
/// left it) or from the default.
struct FirstChoiceSeed<'v, 'c, 'i> {
    format: Format,
    choices: &'v mut Vec<ChunkChoice>,
    choice: Option<&'c ChoiceHead>,
    recorder: &'c mut Recorder<'i>,
}

impl<'de> DeserializeSeed<'de> for FirstChoiceSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let Self {
            format,
            choices,
            choice,
            recorder,
        } = self;
        choices.reserve_exact(1);
        choices.push(choice.map(ChoiceHead::restore).unwrap_or_default());
        let Some(place) = choices.last_mut() else {
            return Ok(());
        };
        if !recorder.in_first_choice() {
            return deserialize_fields_into(deserializer, place, format);
        }
        deserializer.deserialize_map(FirstChoiceVisitor {
            format,
            place,
            recorder,
        })
    }
}

/// The first choice while its head may end in it.
struct FirstChoiceVisitor<'p, 'c, 'i> {
    format: Format,
    place: &'p mut ChunkChoice,
    recorder: &'c mut Recorder<'i>,
}

impl<'de> Visitor<'de> for FirstChoiceVisitor<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(ChunkChoice::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Self {
            format,
            place,
            recorder,
        } = self;
        while let Some(key) = map.next_key_seed(KeySeed(format))? {
            recorder.first_choice_key(&key, place);
            place.visit_field(key, &mut map, format)?;
        }
        recorder.left_choices();
        Ok(())
    }
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
