//! [`ChunkParser`]: parses the `data` of each event of a stream.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::lenient::{InternSeed, Key, OptionalIntern, insert_extra};
use crate::{ApiError, ChatCompletionChunk, SharedStr};

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
/// Every chunk of a stream repeats `id`, `object`, `model` and
/// `system_fingerprint`. The parser remembers the previous chunk's values and
/// reuses them (a [`SharedStr`] clone) when the next chunk has the same text,
/// so a typical text chunk costs two allocations: its `choices` and its
/// `content`. Use one parser per stream.
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
}

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

    /// Parses one chunk. A top-level `"error"` is kept in `extra` like any
    /// other unknown field; use [`parse_payload`](Self::parse_payload) to have
    /// it recognised.
    pub fn parse_chunk(&mut self, json: &[u8]) -> Result<ChatCompletionChunk, serde_json::Error> {
        let mut deserializer = serde_json::Deserializer::from_slice(json);
        let parsed = ChunkSeed {
            cache: &mut self.cache,
            detect_error: false,
        }
        .deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(parsed.chunk)
    }

    /// Parses one event's `data`: the `[DONE]` sentinel (surrounding ASCII
    /// whitespace ignored), an error object, or a chunk.
    pub fn parse_payload(&mut self, data: &[u8]) -> Result<StreamPayload, serde_json::Error> {
        if data.trim_ascii() == b"[DONE]" {
            return Ok(StreamPayload::Done);
        }
        let mut deserializer = serde_json::Deserializer::from_slice(data);
        let parsed = ChunkSeed {
            cache: &mut self.cache,
            detect_error: true,
        }
        .deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(match parsed.error {
            Some(error) => StreamPayload::Error(error),
            None => StreamPayload::Chunk(parsed.chunk),
        })
    }
}

impl<'de> de::Deserialize<'de> for ChatCompletionChunk {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut cache = Cache::default();
        ChunkSeed {
            cache: &mut cache,
            detect_error: false,
        }
        .deserialize(deserializer)
        .map(|parsed| parsed.chunk)
    }
}

struct Parsed {
    chunk: ChatCompletionChunk,
    error: Option<ApiError>,
}

struct ChunkSeed<'c> {
    cache: &'c mut Cache,
    detect_error: bool,
}

impl<'de> DeserializeSeed<'de> for ChunkSeed<'_> {
    type Value = Parsed;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Parsed, D::Error> {
        deserializer.deserialize_map(self)
    }
}

fn interned<'de, A: MapAccess<'de>>(
    map: &mut A,
    cache: &mut Option<SharedStr>,
) -> Result<Option<SharedStr>, A::Error> {
    map.next_value_seed(OptionalIntern(InternSeed::new(cache)))
}

impl<'de> Visitor<'de> for ChunkSeed<'_> {
    type Value = Parsed;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a chat.completion.chunk object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parsed, A::Error> {
        let cache = self.cache;
        let mut chunk = ChatCompletionChunk::default();
        let mut error = None;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match &*key.0 {
                "id" => chunk.id = interned(&mut map, &mut cache.id)?.unwrap_or_default(),
                "object" => {
                    chunk.object = interned(&mut map, &mut cache.object)?.unwrap_or_default()
                }
                "model" => chunk.model = interned(&mut map, &mut cache.model)?.unwrap_or_default(),
                "system_fingerprint" => {
                    chunk.system_fingerprint = interned(&mut map, &mut cache.system_fingerprint)?
                }
                "created" => chunk.created = map.next_value::<Option<i64>>()?.unwrap_or_default(),
                "choices" => chunk.choices = map.next_value::<Option<_>>()?.unwrap_or_default(),
                "usage" => chunk.usage = map.next_value()?,
                "service_tier" => chunk.service_tier = map.next_value()?,
                "prompt_filter_results" => chunk.prompt_filter_results = map.next_value()?,
                "prompt_annotations" => chunk.prompt_annotations = map.next_value()?,
                "obfuscation" => {
                    map.next_value::<IgnoredAny>()?;
                }
                "error" if self.detect_error => error = map.next_value::<Option<ApiError>>()?,
                _ => {
                    let value = map.next_value::<serde_json::Value>()?;
                    insert_extra(&mut chunk.extra, key.0, value);
                }
            }
        }
        Ok(Parsed { chunk, error })
    }
}
