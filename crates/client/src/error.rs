//! [`Error`]: one error type for everything the client reports, with
//! [`ErrorKind`] telling the cases apart.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use chatstream_types::{ApiError, ParseError, ParseLimit, ValidationError};

use crate::deadline::Deadline;
use http::{HeaderMap, StatusCode};

/// A `Result` with the client's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) type BoxError = Box<dyn StdError + Send + Sync>;

/// What went wrong, in a few stable classes (see [`Error::kind`]).
///
/// The stream's end states map onto these: a clean end is no error at all;
/// an error object inside the stream is [`Api`](ErrorKind::Api); a body that
/// stops early is [`Truncated`](ErrorKind::Truncated); a broken connection is
/// [`Transport`](ErrorKind::Transport); a payload that is not a chunk is
/// [`Decode`](ErrorKind::Decode); silence past the idle timeout is
/// [`Timeout`](ErrorKind::Timeout).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The client was configured wrongly (an invalid base URL or header).
    Builder,
    /// The credential provider failed, or gave a value that is not valid in
    /// HTTP; nothing was sent (see
    /// [`ClientBuilder::credential_provider`](crate::ClientBuilder::credential_provider)).
    Credential,
    /// The request failed the local checks before anything was sent
    /// (go-openai's `ErrChatCompletionInvalidModel`, and the reasoning-model
    /// rules when switched on); see [`Error::validation_error`].
    Validation,
    /// The request could not be encoded.
    Request,
    /// No connection could be made (DNS, refused, TLS handshake, proxy).
    Connect,
    /// A timeout: connecting, waiting for the response head, or (during the
    /// stream) no byte for longer than the idle timeout.
    Timeout,
    /// The server answered with a non-success status (or, on a 200, with a
    /// body that is neither a stream nor a completion); see
    /// [`Error::status`], [`Error::api_error`] and [`Error::body`].
    Http,
    /// The server sent an error object instead of (or in the middle of) the
    /// stream; every chunk before it was delivered. See [`Error::api_error`].
    Api,
    /// The body ended while a choice was unfinished, or before any chunk:
    /// the answer is incomplete (never reported as a normal end).
    Truncated,
    /// The connection broke while reading the body.
    Transport,
    /// A payload was not a valid chunk, an event broke the decoder's limits,
    /// or a payload broke the parse limits (see [`Error::parse_limit`]); see
    /// [`Error::payload`].
    Decode,
    /// Too many consecutive events with empty data (go-openai's
    /// `ErrTooManyEmptyStreamMessages`); comments and keep-alives are not
    /// counted.
    TooManyEmptyEvents,
}

impl ErrorKind {
    /// A short lowercase name (`"api"`, `"truncated"`, …), stable for logs and
    /// machine-readable output.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Builder => "builder",
            ErrorKind::Credential => "credential",
            ErrorKind::Validation => "validation",
            ErrorKind::Request => "request",
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Http => "http",
            ErrorKind::Api => "api",
            ErrorKind::Truncated => "truncated",
            ErrorKind::Transport => "transport",
            ErrorKind::Decode => "decode",
            ErrorKind::TooManyEmptyEvents => "too_many_empty_events",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error of the client.
///
/// One type for every failure, in the style of hyper and reqwest: ask
/// [`kind`](Error::kind) or an `is_*` predicate what happened, and the
/// accessors for what is known (HTTP status, response headers, request id,
/// the server's [`ApiError`], the raw body or payload).
///
/// The API key never appears in an error: neither in `Display` nor in
/// `Debug` (request headers are not kept; response headers cannot hold it).
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    source: Option<BoxError>,
    status: Option<StatusCode>,
    headers: Option<HeaderMap>,
    api: Option<ApiError>,
    body: Option<Bytes>,
    payload: Option<Bytes>,
    validation: Option<ValidationError>,
    retry_after: Option<Duration>,
    deadline: Option<Deadline>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                source: None,
                status: None,
                headers: None,
                api: None,
                body: None,
                payload: None,
                validation: None,
                retry_after: None,
                deadline: None,
            }),
        }
    }

    /// A [`Timeout`](ErrorKind::Timeout) for `deadline`.
    #[cfg(feature = "transport")]
    pub(crate) fn timeout(deadline: Deadline, message: impl Into<String>) -> Self {
        let mut error = Error::new(ErrorKind::Timeout, message);
        error.inner.deadline = Some(deadline);
        error
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    #[cfg(feature = "transport")]
    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.inner.status = Some(status);
        self
    }

    #[cfg(feature = "transport")]
    pub(crate) fn with_headers(mut self, headers: HeaderMap) -> Self {
        self.inner.headers = Some(headers);
        self
    }

    /// Sets the response head an error of a stream belongs to, in place.
    #[cfg(feature = "transport")]
    pub(crate) fn set_head(&mut self, status: StatusCode, headers: &HeaderMap) {
        self.inner.status = Some(status);
        self.inner.headers = Some(headers.clone());
    }

    pub(crate) fn with_api(mut self, api: ApiError) -> Self {
        self.inner.api = Some(api);
        self
    }

    pub(crate) fn with_body(mut self, body: Bytes) -> Self {
        self.inner.body = Some(body);
        self
    }

    pub(crate) fn with_payload(mut self, payload: Bytes) -> Self {
        self.inner.payload = Some(payload);
        self
    }

    #[cfg(feature = "transport")]
    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.inner.retry_after = retry_after;
        self
    }

    #[cfg(feature = "transport")]
    pub(crate) fn validation(error: ValidationError) -> Self {
        let mut this = Error::new(ErrorKind::Validation, error.to_string());
        this.inner.validation = Some(error);
        this
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// The response headers, when the server answered.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.inner.headers.as_ref()
    }

    /// The request id the server assigned (`x-request-id`), for support
    /// requests.
    pub fn request_id(&self) -> Option<&str> {
        self.inner
            .headers
            .as_ref()?
            .get("x-request-id")?
            .to_str()
            .ok()
    }

    /// The server's error object: from an error response body, or sent inside
    /// the stream (Azure's string codes and array messages are parsed too).
    pub fn api_error(&self) -> Option<&ApiError> {
        self.inner.api.as_ref()
    }

    /// The raw response body when it was not a JSON error object (an HTML
    /// page from a proxy, say), capped in size.
    pub fn body(&self) -> Option<&Bytes> {
        self.inner.body.as_ref()
    }

    /// The event payload that could not be parsed (for
    /// [`ErrorKind::Decode`]).
    pub fn payload(&self) -> Option<&Bytes> {
        self.inner.payload.as_ref()
    }

    /// The local check that refused the request (for
    /// [`ErrorKind::Validation`]).
    pub fn validation_error(&self) -> Option<&ValidationError> {
        self.inner.validation.as_ref()
    }

    /// The parse limit a payload broke, when that is why the stream (or the
    /// call) failed with [`ErrorKind::Decode`]: a chunk with too many
    /// choices, an event that would take too much memory to parse, … (see
    /// [`ParseLimits`](chatstream_types::ParseLimits)).
    pub fn parse_limit(&self) -> Option<ParseLimit> {
        self.source()?.downcast_ref::<ParseError>()?.limit()
    }

    /// How long the server asked to wait before retrying (`retry-after-ms` or
    /// `Retry-After`), when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// For a [`Timeout`](ErrorKind::Timeout): which time limit fired.
    ///
    /// ```no_run
    /// # #[cfg(feature = "transport")] mod example {
    /// # async fn run(client: chatstream::Client, request: chatstream::types::ChatCompletionRequest) {
    /// use chatstream::Deadline;
    ///
    /// let mut stream = client.create_chat_completion_stream(&request).await.unwrap();
    /// while let Some(chunk) = stream.next().await {
    ///     match chunk {
    ///         Ok(chunk) => { /* … */ }
    ///         Err(error) if error.deadline() == Some(Deadline::Chunk) => {
    ///             eprintln!("the model stalled: {error}");
    ///         }
    ///         Err(error) => eprintln!("{error}"),
    ///     }
    /// }
    /// # }
    /// # }
    /// ```
    pub fn deadline(&self) -> Option<Deadline> {
        self.inner.deadline
    }

    /// The request failed the local checks.
    pub fn is_validation(&self) -> bool {
        self.kind() == ErrorKind::Validation
    }

    /// The client configuration was invalid.
    pub fn is_builder(&self) -> bool {
        self.kind() == ErrorKind::Builder
    }

    /// No connection could be made.
    pub fn is_connect(&self) -> bool {
        self.kind() == ErrorKind::Connect
    }

    /// A timeout elapsed (also when a timeout is found down the source chain).
    pub fn is_timeout(&self) -> bool {
        if self.kind() == ErrorKind::Timeout {
            return true;
        }
        self.source().is_some_and(timed_out)
    }

    /// The server answered with an error status.
    pub fn is_http(&self) -> bool {
        self.kind() == ErrorKind::Http
    }

    /// The server sent an error object in the stream.
    pub fn is_api(&self) -> bool {
        self.kind() == ErrorKind::Api
    }

    /// The stream ended early.
    pub fn is_truncated(&self) -> bool {
        self.kind() == ErrorKind::Truncated
    }

    /// The connection broke while reading the body.
    pub fn is_transport(&self) -> bool {
        self.kind() == ErrorKind::Transport
    }

    /// A payload could not be decoded.
    pub fn is_decode(&self) -> bool {
        self.kind() == ErrorKind::Decode
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        if let Some(status) = inner.status {
            write!(f, "HTTP {status}: ")?;
        }
        f.write_str(&inner.message)?;
        if let Some(api) = &inner.api {
            write!(f, ": {api}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let mut debug = f.debug_struct("Error");
        debug.field("kind", &inner.kind);
        debug.field("message", &inner.message);
        if let Some(status) = inner.status {
            debug.field("status", &status);
        }
        if let Some(deadline) = inner.deadline {
            debug.field("deadline", &deadline);
        }
        if let Some(id) = self.request_id() {
            debug.field("request_id", &id);
        }
        if let Some(api) = &inner.api {
            debug.field("api_error", api);
        }
        if let Some(body) = &inner.body {
            debug.field("body", &String::from_utf8_lossy(body));
        }
        if let Some(payload) = &inner.payload {
            debug.field("payload", &String::from_utf8_lossy(payload));
        }
        if let Some(source) = &inner.source {
            debug.field("source", source);
        }
        debug.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}

/// Whether `error` or an error down its source chain is an I/O timeout.
pub(crate) fn timed_out(error: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        current = error.source();
    }
    false
}
