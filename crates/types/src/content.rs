//! Message content: a plain string, or an array of typed parts.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::ParseLimit;
use crate::lenient::{Bound, Cx, Lenient, PushSeed, ValueSeed, deserialize_unlimited};
use serde_json::Value;

/// The `content` of a message or of a streamed delta.
///
/// OpenAI sends a string; a request may send an array of parts (text, images,
/// audio, files); some providers stream arrays too (Mistral's reasoning models
/// send `[{"type":"thinking","thinking":[{"type":"text","text":"…"}]}]`).
///
/// ```
/// use chatstream_types::{Content, ContentPart};
///
/// let plain: Content = serde_json::from_str(r#""Hello""#).unwrap();
/// assert_eq!(plain.as_text(), Some("Hello"));
///
/// let parts: Content = serde_json::from_str(
///     r#"[{"type":"thinking","thinking":[{"type":"text","text":"hmm"}]},{"type":"text","text":"Hi"}]"#,
/// ).unwrap();
/// let mut text = String::new();
/// let mut thinking = String::new();
/// parts.append_text_to(&mut text);
/// parts.append_thinking_to(&mut thinking);
/// assert_eq!((text.as_str(), thinking.as_str()), ("Hi", "hmm"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    /// A plain string.
    Text(String),
    /// An array of typed parts.
    Parts(Vec<ContentPart>),
}

impl Content {
    /// The text when the content is a plain string.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Content::Text(text) => Some(text),
            Content::Parts(_) => None,
        }
    }

    /// Appends the answer text: the string itself, or the `text` parts of an
    /// array (top level only; `thinking` parts are reasoning, not answer).
    pub fn append_text_to(&self, out: &mut String) {
        match self {
            Content::Text(text) => out.push_str(text),
            Content::Parts(parts) => {
                for part in parts {
                    if let Some(text) = part.as_text() {
                        out.push_str(text);
                    }
                }
            }
        }
    }

    /// Appends the reasoning text carried in `thinking` parts (with their
    /// nested `text` parts), as Mistral's reasoning models send it.
    pub fn append_thinking_to(&self, out: &mut String) {
        if let Content::Parts(parts) = self {
            for part in parts {
                match part {
                    ContentPart::Thinking { thinking } => {
                        for inner in thinking {
                            if let Some(text) = inner.as_text() {
                                out.push_str(text);
                            }
                        }
                    }
                    ContentPart::Other(value)
                        if value.get("type").and_then(Value::as_str) == Some("thinking") =>
                    {
                        let inner = value.get("thinking").and_then(Value::as_array);
                        for item in inner.into_iter().flatten() {
                            if item.get("type").and_then(Value::as_str) == Some("text") {
                                if let Some(text) = item.get("text").and_then(Value::as_str) {
                                    out.push_str(text);
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

impl From<&str> for Content {
    fn from(text: &str) -> Self {
        Content::Text(text.to_owned())
    }
}

impl From<String> for Content {
    fn from(text: String) -> Self {
        Content::Text(text)
    }
}

impl From<Vec<ContentPart>> for Content {
    fn from(parts: Vec<ContentPart>) -> Self {
        Content::Parts(parts)
    }
}

impl Serialize for Content {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Content::Text(text) => serializer.serialize_str(text),
            Content::Parts(parts) => parts.serialize(serializer),
        }
    }
}

impl Lenient for Content {
    fn deserialize_in<'de, D: Deserializer<'de>, B: Bound>(
        deserializer: D,
        cx: Cx<B>,
    ) -> Result<Self, D::Error> {
        struct ContentVisitor<B>(Cx<B>);
        impl<'de, B: Bound> Visitor<'de> for ContentVisitor<B> {
            type Value = Content;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of content parts")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Content, E> {
                self.0.bound.charge(v.len())?;
                Ok(Content::Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Content, E> {
                self.0.bound.charge(v.capacity())?;
                Ok(Content::Text(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Content, A::Error> {
                let mut parts = Vec::new();
                while let Some(()) = seq.next_element_seed(PushSeed {
                    vec: &mut parts,
                    cx: self.0,
                })? {}
                Ok(Content::Parts(parts))
            }
        }
        deserializer.deserialize_any(ContentVisitor(cx))
    }
}

impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_unlimited(deserializer)
    }
}

/// One part of an array [`Content`].
///
/// Part kinds this crate does not name are kept whole as [`ContentPart::Other`]
/// and sent back unchanged.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ContentPart {
    /// `{"type":"text","text":…}`
    Text {
        /// The text.
        text: String,
    },
    /// `{"type":"image_url","image_url":{"url":…,"detail":…}}`
    ImageUrl {
        /// The image.
        image_url: ImageUrl,
    },
    /// `{"type":"input_audio","input_audio":{"data":…,"format":…}}`
    InputAudio {
        /// The audio.
        input_audio: InputAudio,
    },
    /// `{"type":"file","file":{…}}`
    File {
        /// The file.
        file: FileInput,
    },
    /// `{"type":"refusal","refusal":…}` (assistant messages)
    Refusal {
        /// The refusal text.
        refusal: String,
    },
    /// `{"type":"thinking","thinking":[…]}`: Mistral's reasoning parts.
    Thinking {
        /// The nested parts (usually `text`).
        thinking: Vec<ContentPart>,
    },
    /// A part of another kind, kept as sent.
    Other(Value),
}

impl ContentPart {
    /// The text of a `text` part (also one kept as `Other` because it carried
    /// fields this crate does not name).
    pub fn as_text(&self) -> Option<&str> {
        match self {
            ContentPart::Text { text } => Some(text),
            ContentPart::Other(value)
                if value.get("type").and_then(Value::as_str) == Some("text") =>
            {
                value.get("text").and_then(Value::as_str)
            }
            _ => None,
        }
    }

    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        ContentPart::Text { text: text.into() }
    }

    /// An image part from a URL (or a `data:` URL).
    pub fn image_url(url: impl Into<String>) -> Self {
        ContentPart::ImageUrl {
            image_url: ImageUrl {
                url: url.into(),
                detail: None,
            },
        }
    }

    /// An image part with a detail level.
    pub fn image_url_with_detail(url: impl Into<String>, detail: ImageDetail) -> Self {
        ContentPart::ImageUrl {
            image_url: ImageUrl {
                url: url.into(),
                detail: Some(detail),
            },
        }
    }

    /// An audio part: base64 `data` in `format` (`wav`, `mp3`).
    pub fn input_audio(data: impl Into<String>, format: impl Into<String>) -> Self {
        ContentPart::InputAudio {
            input_audio: InputAudio {
                data: data.into(),
                format: format.into(),
            },
        }
    }
}

impl Serialize for ContentPart {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let ContentPart::Other(value) = self {
            return value.serialize(serializer);
        }
        let mut map = serializer.serialize_map(Some(2))?;
        match self {
            ContentPart::Text { text } => {
                map.serialize_entry("type", "text")?;
                map.serialize_entry("text", text)?;
            }
            ContentPart::ImageUrl { image_url } => {
                map.serialize_entry("type", "image_url")?;
                map.serialize_entry("image_url", image_url)?;
            }
            ContentPart::InputAudio { input_audio } => {
                map.serialize_entry("type", "input_audio")?;
                map.serialize_entry("input_audio", input_audio)?;
            }
            ContentPart::File { file } => {
                map.serialize_entry("type", "file")?;
                map.serialize_entry("file", file)?;
            }
            ContentPart::Refusal { refusal } => {
                map.serialize_entry("type", "refusal")?;
                map.serialize_entry("refusal", refusal)?;
            }
            ContentPart::Thinking { thinking } => {
                map.serialize_entry("type", "thinking")?;
                map.serialize_entry("thinking", thinking)?;
            }
            ContentPart::Other(_) => {}
        }
        map.end()
    }
}

impl Lenient for ContentPart {
    const COUNT: Option<ParseLimit> = Some(ParseLimit::ContentParts);

    /// Read as a `Value` and converted; the conversion's new vectors (of
    /// nested `thinking` parts) are charged first, and what the part becomes
    /// is checked as a parse without charges checks it.
    fn deserialize_in<'de, D: Deserializer<'de>, B: Bound>(
        deserializer: D,
        cx: Cx<B>,
    ) -> Result<Self, D::Error> {
        let value = ValueSeed::converted(cx).deserialize(deserializer)?;
        if B::CHARGED {
            cx.bound.charge(conversion_cost(&value))?;
        }
        let part = ContentPart::from_value(value);
        cx.bound.check_after(&part)?;
        Ok(part)
    }
}

impl<'de> Deserialize<'de> for ContentPart {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_unlimited(deserializer)
    }
}

/// The part kinds this crate names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    ImageUrl,
    InputAudio,
    File,
    Refusal,
    Thinking,
}

impl Kind {
    /// The kind of a part with exactly the two keys a typed part has
    /// (`type` and its field), if it names one.
    fn of(value: &Value) -> Option<Kind> {
        let object = value.as_object()?;
        if object.len() != 2 {
            return None;
        }
        Some(match object.get("type")?.as_str()? {
            "text" => Kind::Text,
            "image_url" => Kind::ImageUrl,
            "input_audio" => Kind::InputAudio,
            "file" => Kind::File,
            "refusal" => Kind::Refusal,
            "thinking" => Kind::Thinking,
            _ => return None,
        })
    }

    /// The key of the part's field.
    fn field(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::ImageUrl => "image_url",
            Kind::InputAudio => "input_audio",
            Kind::File => "file",
            Kind::Refusal => "refusal",
            Kind::Thinking => "thinking",
        }
    }

    /// Whether `field` has the shape the typed part needs (checked before
    /// the field is moved out, so that a field of another shape stays in an
    /// `Other` part; by hand, so that no error message copies a server's
    /// text).
    fn fits(self, field: &Value) -> bool {
        let string_or_null =
            |value: Option<&Value>| value.is_none_or(|v| v.is_null() || v.is_string());
        match self {
            Kind::Text | Kind::Refusal => field.is_string(),
            Kind::ImageUrl => field.as_object().is_some_and(|object| {
                object.get("url").is_some_and(Value::is_string)
                    && object.get("detail").is_none_or(|detail| {
                        detail.is_null()
                            || matches!(detail.as_str(), Some("auto" | "low" | "high" | "original"))
                    })
            }),
            Kind::InputAudio => field.as_object().is_some_and(|object| {
                object.get("data").is_some_and(Value::is_string)
                    && object.get("format").is_some_and(Value::is_string)
            }),
            Kind::File => field.as_object().is_some_and(|object| {
                ["file_id", "filename", "file_data"]
                    .iter()
                    .all(|key| string_or_null(object.get(*key)))
            }),
            Kind::Thinking => field.is_array(),
        }
    }
}

/// What converting `value` into a part allocates beyond the value: the
/// vectors of nested `thinking` parts.
fn conversion_cost(value: &Value) -> usize {
    let Some(Kind::Thinking) = Kind::of(value) else {
        return 0;
    };
    let items = value
        .get("thinking")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    items.iter().fold(
        items.len().saturating_mul(size_of::<ContentPart>()),
        |total, item| total.saturating_add(conversion_cost(item)),
    )
}

impl ContentPart {
    /// Reads a part from JSON; anything not of a known shape becomes `Other`.
    /// Strings and nested parts are moved out of `value`, not copied.
    fn from_value(mut value: Value) -> Self {
        let Some(kind) = Kind::of(&value) else {
            return ContentPart::Other(value);
        };
        let field = kind.field();
        let fits = value.get(field).is_some_and(|field| kind.fits(field));
        let taken = match value.as_object_mut() {
            Some(object) if fits => object.remove(field),
            _ => None,
        };
        let Some(field) = taken else {
            return ContentPart::Other(value);
        };
        let part = match (kind, field) {
            (Kind::Text, Value::String(text)) => Some(ContentPart::Text { text }),
            (Kind::Refusal, Value::String(refusal)) => Some(ContentPart::Refusal { refusal }),
            (Kind::Thinking, Value::Array(items)) => Some(ContentPart::Thinking {
                thinking: items.into_iter().map(ContentPart::from_value).collect(),
            }),
            (Kind::ImageUrl, field) => serde_json::from_value(field)
                .ok()
                .map(|image_url| ContentPart::ImageUrl { image_url }),
            (Kind::InputAudio, field) => serde_json::from_value(field)
                .ok()
                .map(|input_audio| ContentPart::InputAudio { input_audio }),
            (Kind::File, field) => serde_json::from_value(field)
                .ok()
                .map(|file| ContentPart::File { file }),
            _ => None,
        };
        // The shapes were checked: a conversion cannot fail.
        part.unwrap_or(ContentPart::Other(value))
    }
}

/// An image given by URL (`image_url` part).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageUrl {
    /// An `https:` URL or a `data:` URL with base64 image data.
    pub url: String,
    /// How closely the model looks at the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<ImageDetail>,
}

/// The detail level of an image input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageDetail {
    /// `auto`
    Auto,
    /// `low`
    Low,
    /// `high`
    High,
    /// `original`: the image at its own resolution.
    Original,
}

/// Base64 audio input (`input_audio` part).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputAudio {
    /// Base64-encoded audio.
    pub data: String,
    /// Its format: `wav` or `mp3`.
    pub format: String,
}

/// A file input (`file` part): an uploaded file id or inline base64 data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FileInput {
    /// The id of an uploaded file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
    /// The file name, with inline data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Base64 file data (a `data:` URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_data: Option<String>,
}
