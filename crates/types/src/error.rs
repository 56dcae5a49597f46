//! The error body of the API (`{"error": {...}}`).

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ContentFilterResults;
use crate::lenient::{Format, KeySeed};

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

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str("the server reported an error without a message")?;
        } else {
            f.write_str(&self.message)?;
        }
        match (&self.code, &self.kind) {
            (Some(code), Some(kind)) => write!(f, " (code: {code}, type: {kind})"),
            (Some(code), None) => write!(f, " (code: {code})"),
            (None, Some(kind)) => write!(f, " (type: {kind})"),
            (None, None) => Ok(()),
        }
    }
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
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InnerError {
    /// The inner code, such as `ResponsibleAIPolicyViolation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The content-filter results behind the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_filter_result: Option<ContentFilterResults>,
}

/// An error response body: `{"error": {...}}` (go-openai's `ErrorResponse`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The error; `None` when the body had none (or `null`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
}

fn text_of(value: Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text,
        Value::Array(items) => items
            .into_iter()
            .map(text_of)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn code_of(value: Value) -> Option<ErrorCode> {
    match value {
        Value::Null => None,
        Value::String(code) => Some(ErrorCode::String(code)),
        Value::Number(number) => Some(match number.as_i64() {
            Some(code) => ErrorCode::Number(code),
            None => ErrorCode::String(number.to_string()),
        }),
        other => Some(ErrorCode::String(other.to_string())),
    }
}

fn optional_text(value: Value) -> Option<String> {
    match value {
        Value::Null => None,
        other => Some(text_of(other)),
    }
}

impl<'de> Deserialize<'de> for ApiError {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ApiErrorVisitor;
        impl<'de> Visitor<'de> for ApiErrorVisitor {
            type Value = ApiError;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an error object or an error message")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ApiError, E> {
                Ok(ApiError {
                    message: v.to_owned(),
                    ..ApiError::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ApiError, A::Error> {
                let mut error = ApiError::default();
                while let Some(key) = map.next_key_seed(KeySeed(Format::Any))? {
                    match key.bytes() {
                        b"message" => error.message = text_of(map.next_value()?),
                        b"type" => error.kind = optional_text(map.next_value()?),
                        b"param" => error.param = optional_text(map.next_value()?),
                        b"code" => error.code = code_of(map.next_value()?),
                        b"innererror" => error.inner_error = map.next_value()?,
                        _ => key.store_in(&mut map, &mut error.extra)?,
                    }
                }
                Ok(error)
            }
        }
        deserializer.deserialize_any(ApiErrorVisitor)
    }
}
