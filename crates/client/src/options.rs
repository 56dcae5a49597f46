//! [`RequestOptions`]: what one call adds to or changes from the client's
//! settings — headers, body fields, timeouts, retries.

use std::sync::OnceLock;
use std::time::Duration;

use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};

/// What one call adds to or changes from the client's settings: headers,
/// query parameters and top-level body fields on top of the client's, and its own timeouts and
/// retry count (a batch job and a chat UI can share one client). Taken by
/// every call: [`Client::create_chat_completion_stream_with`] and
/// [`Client::create_chat_completion_with`].
///
/// [`Client::create_chat_completion_stream_with`]: crate::Client::create_chat_completion_stream_with
/// [`Client::create_chat_completion_with`]: crate::Client::create_chat_completion_with
///
/// ```
/// use std::time::Duration;
/// use chatstream::RequestOptions;
/// use serde_json::json;
///
/// let options = RequestOptions::new()
///     .header("x-trace-id", "abc123")?
///     .body_field("provider", json!({"order": ["groq"]}))
///     .chunk_timeout(Duration::from_secs(30))
///     .total_timeout(Duration::from_secs(120))
///     .max_retries(0);
/// # Ok::<(), chatstream::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct RequestOptions {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Map<String, Value>,
    /// Each `Some` replaces the client's setting (`Some(None)`: no limit).
    pub(crate) response_timeout: Option<Option<Duration>>,
    pub(crate) idle_timeout: Option<Option<Duration>>,
    pub(crate) chunk_timeout: Option<Option<Duration>>,
    pub(crate) total_timeout: Option<Option<Duration>>,
    pub(crate) max_retries: Option<u32>,
    pub(crate) query: Vec<(String, String)>,
}

impl RequestOptions {
    /// No additions.
    pub fn new() -> Self {
        Self::default()
    }

    /// The options of a call given none, made once: a `RequestOptions` holds
    /// a header map and a JSON map, whose making and dropping every plain
    /// call would pay (a few hundred instructions, on the way to the first
    /// chunk).
    pub(crate) fn none() -> &'static RequestOptions {
        static NONE: OnceLock<RequestOptions> = OnceLock::new();
        NONE.get_or_init(RequestOptions::default)
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

    /// Adds a query parameter to this call's URL (after the base URL's and
    /// the client's default ones); the key and value are percent-encoded.
    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// This call's response timeout (see
    /// [`ClientBuilder::response_timeout`](crate::ClientBuilder::response_timeout);
    /// `None`: no limit).
    pub fn response_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.response_timeout = Some(timeout.into());
        self
    }

    /// This call's idle timeout (see
    /// [`ClientBuilder::idle_timeout`](crate::ClientBuilder::idle_timeout);
    /// `None`: no limit).
    pub fn idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.idle_timeout = Some(timeout.into());
        self
    }

    /// This call's chunk timeout (see
    /// [`ClientBuilder::chunk_timeout`](crate::ClientBuilder::chunk_timeout);
    /// `None`: no limit).
    pub fn chunk_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.chunk_timeout = Some(timeout.into());
        self
    }

    /// This call's total timeout (see
    /// [`ClientBuilder::total_timeout`](crate::ClientBuilder::total_timeout);
    /// `None`: no limit).
    pub fn total_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.total_timeout = Some(timeout.into());
        self
    }

    /// This call's retry count (see
    /// [`ClientBuilder::max_retries`](crate::ClientBuilder::max_retries)).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
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
