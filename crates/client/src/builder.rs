//! [`ClientBuilder`]: every setting of a [`Client`], with documented defaults.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chatstream_sse::Limits;
use chatstream_types::{ApiError, ChatCompletion, ChunkParser, ParseError, ParseLimits};
use http::HeaderMap;
use http::header::{HeaderValue, USER_AGENT};

use crate::azure::{Azure, DeploymentMapper};
use crate::client::Client;
use crate::credential::{Credential, CredentialFuture, Provider};
use crate::error::{Error, ErrorKind, Result};
use crate::options::{header_pair, mark_credentials};
use crate::proxy;
use crate::tls::{self, TlsSettings};
use hyper_util::client::proxy::matcher::Matcher;

mod connections;

pub(crate) use connections::Connections;

/// The OpenAI API's base URL, the default.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

/// The resolved settings of a client.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) base_url: String,
    pub(crate) api_key: Option<HeaderValue>,
    pub(crate) credentials: Option<Provider>,
    pub(crate) organization: Option<HeaderValue>,
    pub(crate) project: Option<HeaderValue>,
    pub(crate) default_headers: HeaderMap,
    pub(crate) default_query: Vec<(String, String)>,
    pub(crate) user_agent: HeaderValue,
    pub(crate) azure: Option<Azure>,
    pub(crate) response_timeout: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) chunk_timeout: Option<Duration>,
    pub(crate) total_timeout: Option<Duration>,
    pub(crate) max_retries: u32,
    pub(crate) retry_before_first_chunk: bool,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) empty_event_limit: u32,
    pub(crate) limits: Limits,
    pub(crate) parse_limits: ParseLimits,
    pub(crate) validate: bool,
    pub(crate) validate_reasoning: bool,
    pub(crate) max_error_body: usize,
    pub(crate) proxies: Option<Arc<Matcher>>,
}

/// Builds a [`Client`].
///
/// Defaults, and why:
///
/// | setting | default | why |
/// |---|---|---|
/// | base URL | `https://api.openai.com/v1` | |
/// | connect timeout | 10 s | a connection that takes longer is not coming |
/// | HTTP/2 | by ALPN over TLS; streams per connection as the server allows (at most 256), then another connection | no stream waits for another's answer (see [`http2_max_streams_per_connection`](Self::http2_max_streams_per_connection)) |
/// | HTTP/2 flow-control windows | 64 KiB per stream, 16 MiB per connection | a reader that falls behind costs at most 64 KiB and cannot stall the connection's other streams |
/// | idle connections | closed after 90 s | |
/// | response timeout (until the response head) | 10 min | reasoning models may think before answering |
/// | idle timeout (no byte while streaming) | 10 min | the same, between chunks; a dead connection is still caught |
/// | chunk timeout (no chunk while streaming; comments do not count) | none | a relay that sends keep-alives forever is caught only by this, but how long a model may think is the caller's call |
/// | total timeout (the whole call) | none | a long answer is not an error |
/// | retries | 2, with exponential backoff from 0.5 s to 8 s and jitter | only before the response starts: a retry after the first byte would duplicate tokens |
/// | credentials | the fixed key ([`api_key`](Self::api_key)) | a [`credential_provider`](Self::credential_provider) is asked before each attempt instead |
/// | retry before the first chunk | off | safe (nothing was delivered) but it makes a call wait for the first chunk |
/// | empty-event limit | 300 | go-openai's default; only events with empty `data` count, never comments |
/// | max event size | 16 MiB | bounds memory whatever the server sends |
/// | parse limits | [`ParseLimits::default`] (128 choices, memory `4·N + 1 MiB` per payload of `N` bytes, …) | bounds what one payload may cost to parse, whatever the server sends |
/// | request checks | legacy models refused; reasoning-model rules off | the first is always right; the second is a client-side list that goes stale |
/// | proxies | from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY` (and lowercase) | as curl and reqwest |
///
/// Setters take and return the builder; an invalid value is remembered and
/// reported by [`build`](Self::build), so a chain never needs `?` midway.
///
/// ```
/// use std::time::Duration;
///
/// let client = chatstream::Client::builder()
///     .api_key("sk-...")
///     .base_url("https://api.groq.com/openai/v1")
///     .idle_timeout(Duration::from_secs(60))
///     .max_retries(3)
///     .build()?;
/// # Ok::<(), chatstream::Error>(())
/// ```
pub struct ClientBuilder {
    config: Config,
    connections: Connections,
    tls: TlsSettings,
    proxy_from_env: bool,
    proxy_url: Option<String>,
    error: Option<Error>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientBuilder {
    /// A builder with the defaults above and no API key.
    pub fn new() -> Self {
        ClientBuilder {
            config: Config {
                base_url: OPENAI_BASE_URL.to_owned(),
                api_key: None,
                credentials: None,
                organization: None,
                project: None,
                default_headers: HeaderMap::new(),
                default_query: Vec::new(),
                user_agent: HeaderValue::from_static(concat!(
                    "chatstream/",
                    env!("CARGO_PKG_VERSION")
                )),
                azure: None,
                response_timeout: Some(Duration::from_secs(600)),
                idle_timeout: Some(Duration::from_secs(600)),
                chunk_timeout: None,
                total_timeout: None,
                max_retries: 2,
                retry_before_first_chunk: false,
                initial_backoff: Duration::from_millis(500),
                max_backoff: Duration::from_secs(8),
                empty_event_limit: crate::protocol::DEFAULT_EMPTY_EVENT_LIMIT,
                limits: Limits::default(),
                parse_limits: ParseLimits::default(),
                validate: true,
                validate_reasoning: false,
                max_error_body: 64 * 1024,
                proxies: None,
            },
            connections: Connections::default(),
            tls: TlsSettings::default(),
            proxy_from_env: true,
            proxy_url: None,
            error: None,
        }
    }

    fn fail(mut self, error: Error) -> Self {
        self.error.get_or_insert(error);
        self
    }

    fn sensitive(value: &str, what: &str) -> Result<HeaderValue> {
        let mut value = HeaderValue::from_str(value).map_err(|_| {
            Error::new(
                ErrorKind::Builder,
                format!("the {what} is not a valid header value"),
            )
        })?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// The API key, sent as `Authorization: Bearer <key>` (or, for Azure, as
    /// `api-key: <key>`). An empty key sends no authorization header (local
    /// servers). The key is marked sensitive and never printed.
    pub fn api_key(mut self, key: impl AsRef<str>) -> Self {
        let key = key.as_ref();
        if key.is_empty() {
            self.config.api_key = None;
            return self;
        }
        match Self::sensitive(key, "API key") {
            Ok(value) => {
                self.config.api_key = Some(value);
                self
            }
            Err(error) => self.fail(error),
        }
    }

    /// Asks `provider` for the credential before each attempt (retries
    /// included) instead of using a fixed key: a rotated key or a refreshed
    /// Entra ID token is picked up without rebuilding the client. The
    /// credential replaces [`api_key`](Self::api_key)'s header (and any
    /// default or per-call header of the same name). If the provider fails,
    /// the call fails with [`ErrorKind::Credential`] before anything is
    /// sent. The value is marked sensitive and never printed.
    ///
    /// ```no_run
    /// use chatstream::{Client, Credential};
    ///
    /// # async fn fetch_entra_token() -> Result<String, std::io::Error> { Ok(String::new()) }
    /// let client = Client::builder()
    ///     .base_url("https://my-resource.openai.azure.com")
    ///     .azure("2024-10-21")
    ///     .credential_provider(|| async {
    ///         // Your token source; it caches and refreshes as it sees fit.
    ///         Credential::bearer(fetch_entra_token().await?)
    ///             .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
    ///     })
    ///     .build()?;
    /// # Ok::<(), chatstream::Error>(())
    /// ```
    pub fn credential_provider<F, Fut, E>(mut self, provider: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = std::result::Result<Credential, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    {
        let provider = move || -> CredentialFuture {
            let credential = provider();
            Box::pin(async move { credential.await.map_err(Into::into) })
        };
        self.config.credentials = Some(Provider(std::sync::Arc::new(provider)));
        self
    }

    /// The base URL, up to and including the version segment:
    /// `https://api.openai.com/v1`, `http://127.0.0.1:8000/v1`,
    /// `https://openrouter.ai/api/v1`; for Azure, the resource endpoint
    /// `https://NAME.openai.azure.com`. A trailing `/` is ignored. A query
    /// string is kept and stays last: `https://gw.example/v1?team=a` sends to
    /// `https://gw.example/v1/chat/completions?team=a`.
    pub fn base_url(mut self, url: impl AsRef<str>) -> Self {
        // A query string stays at the end: the path goes before it.
        let (path, query) = url.as_ref().split_once('?').unwrap_or((url.as_ref(), ""));
        let path = path.trim_end_matches('/');
        let url = if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        };
        match url.parse::<http::Uri>() {
            Ok(uri)
                if matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some() =>
            {
                self.config.base_url = url;
                self
            }
            _ => self.fail(Error::new(
                ErrorKind::Builder,
                format!("invalid base URL {url:?}: expected http:// or https:// with a host"),
            )),
        }
    }

    /// A query parameter every request carries (a gateway's routing key, a
    /// deployment's `api-version`), after any the base URL holds; the key
    /// and value are percent-encoded.
    pub fn default_query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.default_query.push((key.into(), value.into()));
        self
    }

    /// The organization, sent as `OpenAI-Organization`.
    pub fn organization(mut self, organization: impl AsRef<str>) -> Self {
        match Self::sensitive(organization.as_ref(), "organization") {
            Ok(value) => {
                self.config.organization = Some(value);
                self
            }
            Err(error) => self.fail(error),
        }
    }

    /// The project, sent as `OpenAI-Project`.
    pub fn project(mut self, project: impl AsRef<str>) -> Self {
        match Self::sensitive(project.as_ref(), "project") {
            Ok(value) => {
                self.config.project = Some(value);
                self
            }
            Err(error) => self.fail(error),
        }
    }

    /// A header sent with every request. A credential (`authorization`,
    /// `proxy-authorization`, `api-key`, `x-api-key`, `cookie`) is marked
    /// sensitive: never shown by `Debug`.
    pub fn default_header(mut self, name: &str, value: &str) -> Self {
        match header_pair(name, value) {
            Ok((name, value)) => {
                self.config.default_headers.insert(name, value);
                self
            }
            Err(error) => self.fail(error),
        }
    }

    /// Headers sent with every request (added to those already set).
    /// Credentials among them (`authorization`, `proxy-authorization`,
    /// `api-key`, `x-api-key`, `cookie`) are marked sensitive, as with
    /// [`default_header`](Self::default_header).
    pub fn default_headers(mut self, mut headers: HeaderMap) -> Self {
        mark_credentials(&mut headers);
        for (name, value) in &headers {
            self.config.default_headers.insert(name, value.clone());
        }
        self
    }

    /// The `User-Agent` (default `chatstream/<version>`).
    pub fn user_agent(mut self, user_agent: &str) -> Self {
        match HeaderValue::from_str(user_agent) {
            Ok(value) => {
                self.config.user_agent = value;
                self
            }
            Err(e) => {
                self.fail(Error::new(ErrorKind::Builder, "invalid User-Agent").with_source(e))
            }
        }
    }

    /// Talks to Azure OpenAI with this `api-version` (e.g. `2024-10-21`):
    /// deployment URLs, the `api-key` header. Models map to deployments by
    /// [`azure_deployment`](Self::azure_deployment), else by
    /// [`azure_deployment_mapper`](Self::azure_deployment_mapper), else by
    /// go-openai's default mapper ([`azure_default_deployment`](crate::azure_default_deployment)).
    pub fn azure(mut self, api_version: impl Into<String>) -> Self {
        let api_version = api_version.into();
        match &mut self.config.azure {
            Some(azure) => azure.api_version = api_version,
            None => self.config.azure = Some(Azure::new(api_version)),
        }
        self
    }

    /// Azure: requests for `model` go to `deployment`.
    pub fn azure_deployment(
        mut self,
        model: impl Into<String>,
        deployment: impl Into<String>,
    ) -> Self {
        self.config
            .azure
            .get_or_insert_with(|| Azure::new("2024-10-21".to_owned()))
            .deployments
            .insert(model.into(), deployment.into());
        self
    }

    /// Azure: derive deployments from model names with `mapper`.
    pub fn azure_deployment_mapper(
        mut self,
        mapper: impl Fn(&str) -> String + Send + Sync + 'static,
    ) -> Self {
        let mapper: DeploymentMapper = Arc::new(mapper);
        self.config
            .azure
            .get_or_insert_with(|| Azure::new("2024-10-21".to_owned()))
            .mapper = Some(mapper);
        self
    }

    /// How long to wait from sending the request to the response head
    /// (`None`: no limit).
    pub fn response_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.config.response_timeout = timeout.into();
        self
    }

    /// How long a stream may go without receiving a single byte before it
    /// fails with [`ErrorKind::Timeout`] (`None`: no limit). Keep-alive
    /// comments count as bytes.
    pub fn idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.config.idle_timeout = timeout.into();
        self
    }

    /// How long a stream may go without a chunk before it fails with
    /// [`ErrorKind::Timeout`] ([`Deadline::Chunk`](crate::Deadline::Chunk);
    /// `None`, the default: no limit). Counted from the response head, then
    /// from each chunk's arrival; keep-alive comments and empty events do
    /// not reset it — which is what catches a relay that keeps a connection
    /// busy with comments while nothing is generated (the idle timeout,
    /// which counts bytes, cannot). Every chunk before it is delivered.
    pub fn chunk_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.config.chunk_timeout = timeout.into();
        self
    }

    /// How long a whole call may take — connecting, retries and their
    /// waits, the response head, the whole stream — before it fails with
    /// [`ErrorKind::Timeout`] ([`Deadline::Total`](crate::Deadline::Total);
    /// `None`, the default: no limit, as a long answer is not an error).
    /// Every chunk before it is delivered.
    pub fn total_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.config.total_timeout = timeout.into();
        self
    }

    /// How many times to retry a request that failed before its response
    /// started (connection errors, 408, 409, 429, 5xx). `0` disables retries.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.config.max_retries = retries;
        self
    }

    /// Whether to retry a stream that fails before its first chunk (default
    /// `false`): the server answered 200 but its first event is an error
    /// saying it is busy or failed (a 429 or 5xx code, a rate-limit or
    /// overload error, as providers and proxies send them in-band), or the
    /// connection broke before any chunk. Nothing was delivered, so a retry
    /// cannot duplicate tokens; it shares the retry budget
    /// ([`max_retries`](Self::max_retries)), the backoff and the total
    /// timeout with the retries of failed responses, and never happens once
    /// a chunk was delivered. An error the request itself caused (a bad
    /// parameter, a context too long) is not retried.
    ///
    /// The cost: with it on, a streaming call returns when the first chunk
    /// has arrived (read ahead and still yielded first), not as soon as the
    /// response head has; off by default for that reason.
    pub fn retry_before_first_chunk(mut self, retry: bool) -> Self {
        self.config.retry_before_first_chunk = retry;
        self
    }

    /// The backoff between retries: `initial`, doubling up to `max`, each
    /// shortened by up to 25% of random jitter. A `Retry-After` or
    /// `retry-after-ms` header of up to 60 s takes precedence.
    pub fn retry_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.config.initial_backoff = initial;
        self.config.max_backoff = max.max(initial);
        self
    }

    /// How many consecutive events with empty `data` a stream tolerates
    /// before failing with [`ErrorKind::TooManyEmptyEvents`] (default 300).
    pub fn empty_event_limit(mut self, limit: u32) -> Self {
        self.config.empty_event_limit = limit;
        self
    }

    /// The largest event (and line) the decoder accepts, in bytes (default
    /// 16 MiB). A larger one fails the stream with [`ErrorKind::Decode`].
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.config.limits = Limits::new()
            .with_max_line_len(bytes)
            .with_max_event_size(bytes);
        self
    }

    /// The limits every payload (each chunk, a whole completion, an error
    /// body) is parsed under: counts of choices, tool calls, content parts,
    /// logprobs and keys, and the memory bound (see [`ParseLimits`]). A
    /// payload past them fails the stream with [`ErrorKind::Decode`], the
    /// typed [`ParseError`] as its source (see [`Error::parse_limit`]).
    /// `max_choices` is also the most distinct choices a stream may use.
    pub fn parse_limits(mut self, limits: ParseLimits) -> Self {
        self.config.parse_limits = limits;
        self
    }

    /// Whether to check requests before sending (default `true`): a legacy
    /// completions model (`text-davinci-003`, `ada`… — go-openai's
    /// `ErrChatCompletionInvalidModel`) fails at once with
    /// [`ErrorKind::Validation`], with no network call. Turn off for
    /// providers whose model names collide with those. `false` also turns off
    /// [`validate_reasoning_requests`](Self::validate_reasoning_requests).
    pub fn validate_requests(mut self, validate: bool) -> Self {
        self.config.validate = validate;
        self
    }

    /// Whether to refuse, before sending, parameters that reasoning models
    /// do not take (default `false`): go-openai's reasoning-model validator,
    /// updated for today's models — see
    /// [`validate_reasoning_request`](chatstream_types::validate_reasoning_request).
    ///
    /// Off by default because it is a client-side list of what each model
    /// accepts, and OpenAI changes that every few months: a list that
    /// refuses what the API would accept (it did, for `gpt-5-chat-latest`
    /// with a temperature) is worse than the API's own error. Turn it on to
    /// fail fast in development, knowing it is a best-effort list as of
    /// December 2026.
    pub fn validate_reasoning_requests(mut self, validate: bool) -> Self {
        self.config.validate_reasoning = validate;
        self
    }

    /// Trusts this certificate (DER) as a root, besides the built-in roots.
    /// A certificate rustls cannot read makes [`build`](Self::build) fail.
    pub fn add_root_certificate_der(mut self, der: Vec<u8>) -> Self {
        self.tls.der_roots.push(der);
        self
    }

    /// Trusts the certificates of this PEM text (one or more `BEGIN
    /// CERTIFICATE` blocks: a corporate CA bundle, a proxy's CA) as roots,
    /// besides the built-in roots. PEM without a certificate, or one rustls
    /// cannot read, makes [`build`](Self::build) fail.
    ///
    /// ```no_run
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let pem = std::fs::read("/etc/ssl/certs/corporate-ca.pem")?;
    /// let client = chatstream::Client::builder().add_root_certificate_pem(pem).build()?;
    /// # Ok(()) }
    /// ```
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls.pem_roots.push(pem.into());
        self
    }

    /// Uses this rustls configuration for every TLS connection instead of
    /// the one the builder makes: for client certificates (mutual TLS), a
    /// custom certificate verifier, another crypto provider, other protocol
    /// versions. Its ALPN list is replaced with `h2` and `http/1.1` (the
    /// client speaks both and must know which was negotiated); everything
    /// else is used as given. The configuration carries its own roots, so
    /// combining it with [`add_root_certificate_der`](Self::add_root_certificate_der),
    /// [`add_root_certificate_pem`](Self::add_root_certificate_pem) or
    /// [`tls_built_in_roots(false)`](Self::tls_built_in_roots) makes
    /// [`build`](Self::build) fail rather than ignore them.
    ///
    /// The `rustls` version is this crate's, re-exported as
    /// [`chatstream::rustls`](crate::rustls).
    pub fn tls_config(mut self, config: rustls::ClientConfig) -> Self {
        self.tls.given = Some(config);
        self
    }

    /// Whether to trust the built-in roots (default `true`).
    pub fn tls_built_in_roots(mut self, trust: bool) -> Self {
        self.tls.no_built_in_roots = !trust;
        self
    }

    /// Uses this proxy for every request (an `http://` URL, with optional
    /// `user:password@`), instead of the environment's. A URL the client
    /// cannot speak (`socks5://`, `https://`, not a URL) makes
    /// [`build`](Self::build) fail: requests never go around a proxy that was
    /// asked for.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy_url = Some(url.into());
        self
    }

    /// Ignores the proxy environment variables.
    pub fn no_proxy(mut self) -> Self {
        self.proxy_from_env = false;
        self.proxy_url = None;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Builder`] for the first invalid setting, when the TLS
    /// configuration cannot be built (an unparseable root certificate), or
    /// for a proxy the client cannot speak — given to [`proxy`](Self::proxy)
    /// or in the environment (`HTTPS_PROXY=socks5://…`, an unparseable
    /// URL): the client fails closed rather than connect around it.
    pub fn build(self) -> Result<Client> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let mut config = self.config;
        let tls = tls::tls_config(&self.tls).map_err(|e| {
            Error::new(ErrorKind::Builder, "cannot build the TLS configuration").with_source(e)
        })?;
        config.proxies = proxy::matcher(self.proxy_url.as_deref(), self.proxy_from_env)?;
        if let Some(headers) = config.default_headers.get(USER_AGENT) {
            config.user_agent = headers.clone();
        }
        Ok(Client::from_parts(config, tls, &self.connections))
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.config.base_url)
            .field(
                "api_key",
                &self.config.api_key.as_ref().map(|_| "<redacted>"),
            )
            .field("azure", &self.config.azure)
            .field("credential_provider", &self.config.credentials.is_some())
            .finish_non_exhaustive()
    }
}

impl Config {
    /// A parser under the configured [`ParseLimits`].
    pub(crate) fn parser(&self) -> ChunkParser {
        ChunkParser::with_limits(self.parse_limits)
    }

    /// The error object of an error body (`{"error": {...}}`), if it holds
    /// one, parsed within the limits.
    pub(crate) fn api_error_in(&self, body: &[u8]) -> Option<ApiError> {
        self.parser().parse_error_response(body).ok()?.error
    }

    /// A whole `chat.completion` body, parsed within the limits.
    pub(crate) fn completion_in(&self, body: &[u8]) -> Result<ChatCompletion, ParseError> {
        self.parser().parse_completion(body)
    }
}
