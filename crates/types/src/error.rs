//! The error body of the API (`{"error": {...}}`).

use std::fmt;

use serde::Serialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::ContentFilterResults;
use crate::lenient::{Bound, Cx, FieldSeed, KeySeed, Lenient, ValueSeed, lenient_struct, text_of};

/// The error object a server sends, in an error response body or inside a
/// stream (go-openai's `APIError`).
///
/// Parsing follows go-openai's rules and goes further: `message` may be a
/// string or an array of strings (joined with `", "`, as some proxies send
/// validation errors); `code` a string (Azure's `"429"`), a number or `null`;
/// `param` a string or `null`; Azure's `innererror` is typed; anything else
/// (`failed_generation`, `status_code`, OpenRouter's `metadata`, …) is kept in
/// [`extra`](Self::extra). A bare string where an object was expected becomes
/// the message.
///
/// ```
/// use chatstream_types::{ApiError, ErrorCode};
///
/// let azure: ApiError = serde_json::from_str(r#"{"code":"429","message":"Rate limit"}"#).unwrap();
/// assert_eq!(azure.code, Some(ErrorCode::String("429".into())));
///
/// let listed: ApiError = serde_json::from_str(r#"{"message":["a is required","b is too long"]}"#).unwrap();
/// assert_eq!(listed.message, "a is required, b is too long");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ApiError {
    /// What went wrong, for people.
    pub message: String,
    /// The error class (`type`), such as `invalid_request_error`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The request parameter at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// A machine-readable code, such as `invalid_api_key` or (Azure) `"429"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<ErrorCode>,
    /// Azure: details of a content-filter decision.
    #[serde(rename = "innererror", skip_serializing_if = "Option::is_none")]
    pub inner_error: Option<Box<InnerError>>,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Displays as `message (code: …, type: …)`, one line whatever the server
/// sent: control characters (and line separators, bidirectional overrides)
/// are escaped (`\n`, `\u{1b}`), so that a server's text cannot forge log
/// lines or terminal sequences, and each part
/// is cut after [`ApiError::DISPLAY_MAX`] characters (the fields keep
/// everything).
impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str("the server reported an error without a message")?;
        } else {
            write_escaped(f, &self.message)?;
        }
        let code = self.code.as_ref().map(ErrorCode::to_text);
        match (code.as_deref(), self.kind.as_deref()) {
            (Some(code), Some(kind)) => {
                f.write_str(" (code: ")?;
                write_escaped(f, code)?;
                f.write_str(", type: ")?;
                write_escaped(f, kind)?;
                f.write_str(")")
            }
            (Some(code), None) => {
                f.write_str(" (code: ")?;
                write_escaped(f, code)?;
                f.write_str(")")
            }
            (None, Some(kind)) => {
                f.write_str(" (type: ")?;
                write_escaped(f, kind)?;
                f.write_str(")")
            }
            (None, None) => Ok(()),
        }
    }
}

impl ApiError {
    /// The most characters of each field that [`Display`](fmt::Display)
    /// shows.
    pub const DISPLAY_MAX: usize = 1024;
}

/// `text` with control characters escaped, cut after
/// [`ApiError::DISPLAY_MAX`] characters (then `…`).
fn write_escaped(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    for (at, c) in text.chars().enumerate() {
        if at == ApiError::DISPLAY_MAX {
            return f.write_str("…");
        }
        // Line and paragraph separators and bidirectional overrides would
        // break or reorder a log line as much as a control character.
        let line_breaking = matches!(c, '\u{2028}' | '\u{2029}');
        let reordering = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if c.is_control() || line_breaking || reordering {
            write!(f, "{}", c.escape_default())?;
        } else {
            f.write_fmt(format_args!("{c}"))?;
        }
    }
    Ok(())
}

impl std::error::Error for ApiError {}

/// An error `code`: APIs send strings, numbers, or both for the same error.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum ErrorCode {
    /// A string code (`"invalid_api_key"`, Azure's `"429"`).
    String(String),
    /// A numeric code (OpenRouter's `400`).
    Number(i64),
}

impl ErrorCode {
    /// The code as text, whichever form it came in.
    pub fn to_text(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorCode::String(code) => f.write_str(code),
            ErrorCode::Number(code) => write!(f, "{code}"),
        }
    }
}

/// Azure's `innererror`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct InnerError {
    /// The inner code, such as `ResponsibleAIPolicyViolation`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The content-filter results behind the decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_filter_result: Option<ContentFilterResults>,
}

lenient_struct!(
    InnerError,
    "an inner error",
    closed {
        code: "code",
        content_filter_result: "content_filter_result",
    }
);

/// An error response body: `{"error": {...}}` (go-openai's `ErrorResponse`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ErrorResponse {
    /// The error; `None` when the body had none (or `null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
}

lenient_struct!(
    ErrorResponse,
    "an error response",
    closed { error: "error" }
);

fn code_of<E: de::Error, B: Bound>(value: Value, cx: Cx<B>) -> Result<Option<ErrorCode>, E> {
    Ok(match value {
        Value::Null => None,
        Value::String(code) => Some(ErrorCode::String(code)),
        Value::Number(number) => Some(match number.as_i64() {
            Some(code) => ErrorCode::Number(code),
            None => ErrorCode::String(number.to_string()),
        }),
        other => Some(ErrorCode::String(text_of(other, cx.bound)?)),
    })
}

fn optional_text<E: de::Error, B: Bound>(value: Value, cx: Cx<B>) -> Result<Option<String>, E> {
    match value {
        Value::Null => Ok(None),
        other => text_of(other, cx.bound).map(Some),
    }
}

impl Lenient for ApiError {
    fn deserialize_in<'de, D: Deserializer<'de>, B: Bound>(
        deserializer: D,
        cx: Cx<B>,
    ) -> Result<Self, D::Error> {
        struct ApiErrorVisitor<B>(Cx<B>);
        impl<'de, B: Bound> Visitor<'de> for ApiErrorVisitor<B> {
            type Value = ApiError;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an error object or an error message")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ApiError, E> {
                self.0.bound.charge(v.len())?;
                Ok(ApiError {
                    message: v.to_owned(),
                    ..ApiError::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ApiError, A::Error> {
                let cx = self.0;
                let mut error = ApiError::default();
                // The loose fields become text: not kept as sent.
                let value = |map: &mut A| map.next_value_seed(ValueSeed::converted(cx));
                while let Some(key) = map.next_key_seed(KeySeed(cx))? {
                    match key.bytes() {
                        b"message" => error.message = text_of(value(&mut map)?, cx.bound)?,
                        b"type" => error.kind = optional_text(value(&mut map)?, cx)?,
                        b"param" => error.param = optional_text(value(&mut map)?, cx)?,
                        b"code" => error.code = code_of(value(&mut map)?, cx)?,
                        b"innererror" => {
                            error.inner_error = map.next_value_seed(FieldSeed::new(cx))?
                        }
                        _ => key.store_in(&mut map, &mut error.extra, cx)?,
                    }
                }
                Ok(error)
            }
        }
        deserializer.deserialize_any(ApiErrorVisitor(cx))
    }
}

impl<'de> de::Deserialize<'de> for ApiError {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::lenient::deserialize_unlimited(deserializer)
    }
}
