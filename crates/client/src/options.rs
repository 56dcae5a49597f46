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

    /// Adds a header (replacing a default header of the same name). A
    /// credential (`authorization`, `proxy-authorization`, `api-key`,
    /// `x-api-key`, `cookie`) is marked sensitive: `Debug` shows
    /// `Sensitive`, never the value.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Builder`] when the name or value is not valid in HTTP.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self> {
        let (name, value) = header_pair(name, value)?;
        self.headers.insert(name, value);
        Ok(self)
    }

    /// Adds a top-level body field, replacing a field of the request of the
    /// same name (`model`, `temperature`, …) — the body holds each key once.
    /// `stream` is the call's: `true` for a streaming call, whatever is set
    /// here.
    pub fn body_field(mut self, key: impl Into<String>, value: Value) -> Self {
        self.body.insert(key.into(), value);
        self
    }
}

/// Headers that carry credentials: their values are marked sensitive, so
/// that `Debug` (of the options, the builder, a header map) never shows them.
const CREDENTIALS: [&str; 5] = [
    "authorization",
    "proxy-authorization",
    "api-key",
    "x-api-key",
    "cookie",
];

/// Whether `name` carries credentials (see [`CREDENTIALS`]).
fn is_credential(name: &HeaderName) -> bool {
    CREDENTIALS.contains(&name.as_str())
}

/// Marks the credential headers of `headers` sensitive.
pub(crate) fn mark_credentials(headers: &mut HeaderMap) {
    for (name, value) in headers.iter_mut() {
        if is_credential(name) {
            value.set_sensitive(true);
        }
    }
}

/// Parses a header name and value (a credential's value marked sensitive).
pub(crate) fn header_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue)> {
    let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| {
        Error::new(ErrorKind::Builder, format!("invalid header name {name:?}")).with_source(e)
    })?;
    let mut value = HeaderValue::from_str(value).map_err(|e| {
        Error::new(
            ErrorKind::Builder,
            format!("invalid value for header {name}"),
        )
        .with_source(e)
    })?;
    if is_credential(&name) {
        value.set_sensitive(true);
    }
    Ok((name, value))
}
