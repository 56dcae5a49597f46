//! [`RequestOptions`]: per-request headers and body fields.

use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};

/// Per-request additions: headers and top-level body fields on top of the
/// client's defaults.
///
/// ```
/// use chatstream::RequestOptions;
/// use serde_json::json;
///
/// let options = RequestOptions::new()
///     .header("x-trace-id", "abc123")?
///     .body_field("provider", json!({"order": ["groq"]}));
/// # Ok::<(), chatstream::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct RequestOptions {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Map<String, Value>,
}

impl RequestOptions {
    /// No additions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a header (replacing a default header of the same name).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Builder`] when the name or value is not valid in HTTP.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self> {
        let (name, value) = header_pair(name, value)?;
        self.headers.insert(name, value);
        Ok(self)
    }

    /// Adds a top-level body field (replacing a request field of the same
    /// name).
    pub fn body_field(mut self, key: impl Into<String>, value: Value) -> Self {
        self.body.insert(key.into(), value);
        self
    }
}

/// Parses a header name and value.
pub(crate) fn header_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue)> {
    let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| {
        Error::new(ErrorKind::Builder, format!("invalid header name {name:?}")).with_source(e)
    })?;
    let value = HeaderValue::from_str(value).map_err(|e| {
        Error::new(
            ErrorKind::Builder,
            format!("invalid value for header {name}"),
        )
        .with_source(e)
    })?;
    Ok((name, value))
}
