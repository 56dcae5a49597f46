//! [`Client`]: sends chat-completion requests.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use chatstream_types::{
    ChatCompletion, ChatCompletionRequest, check_chat_model, validate_reasoning_request,
};
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use http::{HeaderMap, Method, Request, Response};
use hyper::body::Body;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use serde_json::{Map, Value};

use tokio::time::Instant as TokioInstant;

use crate::body::RequestBody;
use crate::builder::{ClientBuilder, Config, Connections};
use crate::connect;
use crate::credential::Credential;
use crate::deadline::Deadline;
use crate::error::{BoxError, Error, ErrorKind, Result};
use crate::error_body::{read_capped, status_error};
use crate::head_timer;
use crate::options::RequestOptions;
use crate::parser_pool::ParserPool;
use crate::pool::{Pool, PooledBody, Sending};
use crate::response_body::ResponseBody;
use crate::retry;
use crate::settings::CallSettings;
use crate::stream::ChatCompletionStream;
use crate::timing::StreamTiming;
use crate::trace::CallTrace;

/// A client for the chat-completions API of OpenAI or any compatible server.
///
/// It holds a connection pool: create one and reuse it (cloning is cheap and
/// shares the pool). See the [crate docs](crate) for a complete example.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    http: Pool,
    /// The headers every request carries, built once.
    base_headers: HeaderMap,
    /// The chat-completions URL when it does not depend on the model (not
    /// Azure), parsed once.
    chat_uri: Option<http::Uri>,
    /// Chunk parsers kept between streams (see `stream::ParserPool`).
    parsers: Arc<ParserPool>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.inner.config;
        f.debug_struct("Client")
            .field("base_url", &config.base_url)
            .field("api_key", &config.api_key.as_ref().map(|_| "<redacted>"))
            .field("azure", &config.azure)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the OpenAI API with `api_key` and the defaults of
    /// [`ClientBuilder`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Builder`] when the key is not a valid header value.
    pub fn new(api_key: impl AsRef<str>) -> Result<Client> {
        ClientBuilder::new().api_key(api_key).build()
    }

    /// A client configured from `OPENAI_API_KEY`, `OPENAI_BASE_URL`,
    /// `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID` (see
    /// [`ClientBuilder::from_env`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Builder`] when a variable holds an invalid value.
    pub fn from_env() -> Result<Client> {
        ClientBuilder::from_env().build()
    }

    /// A builder for every setting.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    pub(crate) fn from_parts(
        config: Config,
        tls: rustls::ClientConfig,
        connections: &Connections,
    ) -> Client {
        let connector =
            connect::connector(tls, config.proxies.clone(), connections.connect_timeout);
        let mut builder = HyperClient::builder(TokioExecutor::new());
        builder
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(connections.pool_idle_timeout)
            .http2_only(connections.http2_prior_knowledge)
            .http2_initial_stream_window_size(connections.http2_stream_window)
            .http2_initial_connection_window_size(connections.http2_connection_window);
        // A plain `http://` origin speaks HTTP/1.1 unless told otherwise
        // (hyper does not upgrade to h2c); one over TLS says so by ALPN.
        let plain_http1 = !connections.http2_prior_knowledge
            && config
                .base_url
                .get(..7)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"));
        let http = Pool::new(
            builder,
            connector,
            connections.http2_prior_knowledge,
            plain_http1,
            connections.http2_max_streams(),
        );
        let base_headers = base_headers(&config);
        let chat_uri = match config.azure {
            Some(_) => None,
            None => chat_url(&config, "", &[]).parse().ok(),
        };
        Client {
            inner: Arc::new(Inner {
                http,
                config,
                base_headers,
                chat_uri,
                parsers: Arc::default(),
            }),
        }
    }

    /// Starts a streamed chat completion.
    ///
    /// Checks the request first (the legacy-model check unless
    /// [`validate_requests(false)`](ClientBuilder::validate_requests); the
    /// reasoning-model rules if
    /// [`validate_reasoning_requests(true)`](ClientBuilder::validate_reasoning_requests)), forces
    /// `"stream": true`, sends the request (retrying connection failures and
    /// retryable statuses, never once the response has started), and returns
    /// when the response head has arrived: the headers, rate limits and
    /// request id are then readable on the stream, before the first chunk.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Validation`] before sending; [`ErrorKind::Connect`] or
    /// [`ErrorKind::Timeout`]; [`ErrorKind::Http`] for an error status, with
    /// the status, headers, request id and the parsed [`ApiError`](chatstream_types::ApiError)
    /// (or the raw body when it is not JSON); [`ErrorKind::Api`] for a 200
    /// whose body is an error object.
    pub async fn create_chat_completion_stream(
        &self,
        request: &ChatCompletionRequest,
    ) -> Result<ChatCompletionStream> {
        self.create_chat_completion_stream_with(request, RequestOptions::none())
            .await
    }

    /// [`create_chat_completion_stream`](Self::create_chat_completion_stream)
    /// with per-request headers and body fields.
    ///
    /// # Errors
    ///
    /// As [`create_chat_completion_stream`](Self::create_chat_completion_stream).
    pub async fn create_chat_completion_stream_with(
        &self,
        request: &ChatCompletionRequest,
        options: &RequestOptions,
    ) -> Result<ChatCompletionStream> {
        let config = &self.inner.config;
        let started = Instant::now();
        let settings = CallSettings::start(config, options);
        let mut trace = CallTrace::start(&request.model, &config.base_url, config.azure.is_some());
        if config.retry_before_first_chunk {
            // Boxed: its state (a whole stream, held across the read-ahead)
            // would otherwise enlarge every call's future, retrying or not.
            let retrying = self.stream_retrying_early(request, options, &settings, trace, started);
            return Box::pin(retrying).await;
        }
        let opened = self
            .open_stream(request, options, &settings, &trace, started, 0)
            .await;
        match opened {
            Ok(stream) => Ok(stream.traced(trace)),
            Err((error, attempts)) => {
                trace.end(attempts, error.kind().as_str(), true);
                Err(error)
            }
        }
    }

    /// Sends the request (with the retries of failed responses left after
    /// `earlier_attempts`) and starts its stream; on failure, the error and
    /// the attempts made when known.
    async fn open_stream(
        &self,
        request: &ChatCompletionRequest,
        options: &RequestOptions,
        settings: &CallSettings,
        trace: &CallTrace,
        started: Instant,
        earlier_attempts: u32,
    ) -> std::result::Result<ChatCompletionStream, (Error, Option<u32>)> {
        let config = &self.inner.config;
        // Retries of failed responses and early retries share one budget.
        let budget = CallSettings {
            max_retries: settings.max_retries.saturating_sub(earlier_attempts),
            ..*settings
        };
        let (response, attempts, timer) = self
            .send(request, options, &budget, trace, true)
            .await
            .map_err(|error| (error, None))?;
        let attempts = earlier_attempts.saturating_add(attempts);
        let mut timing = StreamTiming::new(started);
        timing.response = Some(started.elapsed());
        timing.attempts = attempts;
        let whole = match ChatCompletionStream::start(
            response.map(ResponseBody::Hyper),
            config,
            settings.stream_limits(),
            timing,
            &self.inner.parsers,
            timer,
        ) {
            Ok(stream) => return Ok(stream),
            Err(whole) => whole,
        };
        // Boxed, and after the match (a named result would stay in this
        // future's state): the rare case (see `ChatCompletionStream::start`).
        Box::pin(whole.read(config, &self.inner.parsers))
            .await
            .map_err(|error| (error, Some(attempts)))
    }

    /// The streaming call with the retry before the first chunk (see
    /// [`ClientBuilder::retry_before_first_chunk`]).
    async fn stream_retrying_early(
        &self,
        request: &ChatCompletionRequest,
        options: &RequestOptions,
        settings: &CallSettings,
        mut trace: CallTrace,
        started: Instant,
    ) -> Result<ChatCompletionStream> {
        let config = &self.inner.config;
        let mut earlier_attempts = 0u32;
        loop {
            let opened = self
                .open_stream(
                    request,
                    options,
                    settings,
                    &trace,
                    started,
                    earlier_attempts,
                )
                .await;
            let mut stream = match opened {
                Ok(stream) => stream,
                Err((error, attempts)) => {
                    trace.end(attempts, error.kind().as_str(), true);
                    return Err(error);
                }
            };
            let attempts = stream.timing().attempts();
            if attempts > settings.max_retries {
                return Ok(stream.traced(trace));
            }
            let wait = match stream.peek_first().await {
                Some(Err(error)) if retry::retryable_first_error(error) => error
                    .retry_after()
                    .or_else(|| retry::retry_after(stream.headers()))
                    .unwrap_or_else(|| {
                        retry::backoff(
                            attempts.saturating_sub(1),
                            config.initial_backoff,
                            config.max_backoff,
                        )
                    }),
                _ => return Ok(stream.traced(trace)),
            };
            // Dropped before the wait: the connection goes back or closes.
            drop(stream);
            trace.retry(attempts, wait, "an error before the first chunk");
            if let Err(error) = wait_to_retry(wait, settings).await {
                trace.end(Some(attempts), error.kind().as_str(), true);
                return Err(error);
            }
            earlier_attempts = attempts;
        }
    }

    /// Reads a chat-completion response that arrived some other way — a
    /// transport of your own, a recorded response, a test — exactly as this
    /// client reads its own: the same end states, limits, empty-event limit,
    /// idle timeout and error handling. Nothing is sent.
    ///
    /// A non-success status becomes the same [`ErrorKind::Http`] error that
    /// [`create_chat_completion_stream`](Self::create_chat_completion_stream)
    /// returns (the body parsed as an API error, read with the size cap); a
    /// success is read by its content type (an event stream, or a whole JSON
    /// completion or error object). [`StreamTiming`] counts from this call.
    ///
    /// Like every method of the client it must run inside a Tokio runtime
    /// with the time driver enabled when the client has an idle or response
    /// timeout (the default has an idle timeout).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> chatstream::Result<()> {
    /// use bytes::Bytes;
    /// use chatstream::{Client, EndState};
    ///
    /// // Any `http_body::Body<Data = Bytes>` works: `http_body_util::Full`,
    /// // a hyper `Incoming`, a channel-fed body… Here, one frame:
    /// # struct Once(Option<Bytes>);
    /// # impl hyper::body::Body for Once {
    /// #     type Data = Bytes;
    /// #     type Error = std::convert::Infallible;
    /// #     fn poll_frame(
    /// #         self: std::pin::Pin<&mut Self>,
    /// #         _: &mut std::task::Context<'_>,
    /// #     ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
    /// #         let frame = self.get_mut().0.take().map(|b| Ok(hyper::body::Frame::data(b)));
    /// #         std::task::Poll::Ready(frame)
    /// #     }
    /// # }
    /// let body = Once(Some(Bytes::from_static(
    ///     b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: [DONE]\n\n",
    /// )));
    /// let response = http::Response::builder()
    ///     .header("content-type", "text/event-stream")
    ///     .body(body)
    ///     .unwrap();
    /// let client = Client::builder().api_key("unused").build()?;
    /// let mut stream = client.stream_from_response(response).await?;
    /// let chunk = stream.next().await.unwrap()?;
    /// assert_eq!(chunk.choices[0].delta.content_text().as_deref(), Some("Hi"));
    /// assert!(stream.next().await.is_none());
    /// assert_eq!(stream.end_state(), Some(EndState::Done));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Http`] for a non-success status; for a success, what
    /// [`create_chat_completion_stream`](Self::create_chat_completion_stream)
    /// returns for the same response.
    pub async fn stream_from_response<B>(
        &self,
        response: Response<B>,
    ) -> Result<ChatCompletionStream>
    where
        B: Body<Data = Bytes> + Send + Sync + 'static,
        B::Error: Into<BoxError>,
    {
        let config = &self.inner.config;
        let started = Instant::now();
        let response = response.map(ResponseBody::boxed);
        if !response.status().is_success() {
            return Err(status_error(config, response).await);
        }
        let mut timing = StreamTiming::new(started);
        timing.response = Some(started.elapsed());
        let settings = CallSettings::start(config, RequestOptions::none());
        let whole = match ChatCompletionStream::start(
            response,
            config,
            settings.stream_limits(),
            timing,
            &self.inner.parsers,
            None,
        ) {
            Ok(stream) => return Ok(stream),
            Err(whole) => whole,
        };
        Box::pin(whole.read(config, &self.inner.parsers)).await
    }

    /// Creates a chat completion without streaming (the request's `stream`
    /// must not be `true`, as in go-openai).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Validation`] for `stream: true` or a refused model; the
    /// errors of [`create_chat_completion_stream`](Self::create_chat_completion_stream);
    /// [`ErrorKind::Decode`] when the body is not a completion.
    pub async fn create_chat_completion(
        &self,
        request: &ChatCompletionRequest,
    ) -> Result<ChatCompletion> {
        self.create_chat_completion_with(request, RequestOptions::none())
            .await
    }

    /// [`create_chat_completion`](Self::create_chat_completion) with
    /// per-call headers, body fields, timeouts and retry count.
    ///
    /// # Errors
    ///
    /// As [`create_chat_completion`](Self::create_chat_completion).
    pub async fn create_chat_completion_with(
        &self,
        request: &ChatCompletionRequest,
        options: &RequestOptions,
    ) -> Result<ChatCompletion> {
        if request.stream == Some(true) {
            return Err(Error::new(
                ErrorKind::Validation,
                "streaming is not supported with this method, please use create_chat_completion_stream",
            ));
        }
        let settings = CallSettings::start(&self.inner.config, options);
        let config = &self.inner.config;
        let mut trace = CallTrace::start(&request.model, &config.base_url, config.azure.is_some());
        let result = self.complete(request, options, &settings, &trace).await;
        match &result {
            Ok((completion, attempts)) => {
                trace.on_completion(completion);
                trace.end(Some(*attempts), "done", false);
            }
            Err(error) => trace.end(None, error.kind().as_str(), true),
        }
        result.map(|(completion, _)| completion)
    }

    /// The non-streaming call's request and body: the completion and the
    /// number of attempts.
    async fn complete(
        &self,
        request: &ChatCompletionRequest,
        options: &RequestOptions,
        settings: &CallSettings,
        trace: &CallTrace,
    ) -> Result<(ChatCompletion, u32)> {
        let (response, attempts, _) = self.send(request, options, settings, trace, false).await?;
        let (parts, body) = response.into_parts();
        let limit = self.inner.config.limits.max_event_size;
        let read = read_capped(body, limit, settings.response_timeout);
        let read = match settings.total {
            Some((at, total)) => tokio::time::timeout_at(at, read)
                .await
                .unwrap_or_else(|_| Err(total_timeout(total))),
            None => read.await,
        };
        let body = read.map_err(|e| {
            e.with_status(parts.status)
                .with_headers(parts.headers.clone())
        })?;
        if let Some(api) = self.inner.config.api_error_in(&body) {
            return Err(
                Error::new(ErrorKind::Api, "the server answered with an error")
                    .with_status(parts.status)
                    .with_headers(parts.headers)
                    .with_api(api),
            );
        }
        let completion = self.inner.config.completion_in(&body).map_err(|e| {
            Error::new(ErrorKind::Decode, "the body is not a chat.completion")
                .with_source(e)
                .with_status(parts.status)
                .with_headers(parts.headers)
                .with_body(body)
        })?;
        Ok((completion, attempts))
    }

    /// Validates, encodes and sends the request, with retries; returns a
    /// successful response, the number of attempts and the response-head
    /// timer (for the stream to take over, see `head_timer`).
    async fn send(
        &self,
        request: &ChatCompletionRequest,
        options: &RequestOptions,
        settings: &CallSettings,
        trace: &CallTrace,
        stream: bool,
    ) -> Result<(Response<PooledBody>, u32, Option<head_timer::Timer>)> {
        let config = &self.inner.config;
        if config.validate {
            check_chat_model(&request.model).map_err(Error::validation)?;
            if config.validate_reasoning {
                validate_reasoning_request(request).map_err(Error::validation)?;
            }
        }
        let body = encode_body(request, options, stream)?;
        let uri = self.url(&request.model, &options.query)?;
        let mut attempt = 0u32;
        let mut timer: Option<head_timer::Timer> = None;
        loop {
            // Asked before each attempt; its failure sends nothing.
            let credential = match &config.credentials {
                Some(provider) => Some(provider.credential().await?),
                None => None,
            };
            // Fixed before the request is handed over (see `head_timer`).
            let head = head_deadline(settings);
            let sent = self.send_attempt(&uri, options, body.clone(), stream, credential);
            let outcome = match head {
                Some((at, deadline, limit)) => {
                    let timer = match &mut timer {
                        Some(timer) => {
                            timer.as_mut().reset(at);
                            timer
                        }
                        None => timer.insert(head_timer::start_at(at)),
                    };
                    match head_timer::within(sent, timer).await {
                        Some(outcome) => outcome.map_err(classify_send_error),
                        None => Err(head_timeout(deadline, limit)),
                    }
                }
                None => sent.await.map_err(classify_send_error),
            };
            let retries_left = attempt < settings.max_retries;
            match outcome {
                Ok(response) if response.status().is_success() => {
                    return Ok((response, attempt + 1, timer));
                }
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers();
                    if retries_left && retry::should_retry(status, headers) {
                        let wait = retry::retry_after(headers).unwrap_or_else(|| {
                            retry::backoff(attempt, config.initial_backoff, config.max_backoff)
                        });
                        drop(response);
                        trace.retry(attempt + 1, wait, status.as_str());
                        wait_to_retry(wait, settings).await?;
                        attempt += 1;
                        continue;
                    }
                    // Boxed: reading an error body is the rare path, and
                    // its state would otherwise enlarge every call's future.
                    let error = Box::pin(status_error(config, response.map(ResponseBody::Hyper)));
                    return Err(error.await);
                }
                Err(error)
                    if retries_left
                        && error.kind() != ErrorKind::Request
                        && error.deadline() != Some(Deadline::Total) =>
                {
                    let wait = retry::backoff(attempt, config.initial_backoff, config.max_backoff);
                    trace.retry(attempt + 1, wait, error.kind().as_str());
                    wait_to_retry(wait, settings).await?;
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// The chat-completions URL for `model`, with this call's `query`.
    fn url(&self, model: &str, query: &[(String, String)]) -> Result<http::Uri> {
        if let (Some(uri), true) = (&self.inner.chat_uri, query.is_empty()) {
            return Ok(uri.clone());
        }
        let url = chat_url(&self.inner.config, model, query);
        url.parse().map_err(|e| {
            Error::new(ErrorKind::Request, format!("invalid request URL {url:?}")).with_source(e)
        })
    }

    /// Hands one attempt's request to the pool. Not inline in `send`: the
    /// request and credential would stay in its future's state across every
    /// wait (a few hundred bytes in every call's future).
    fn send_attempt(
        &self,
        uri: &http::Uri,
        options: &RequestOptions,
        body: Bytes,
        stream: bool,
        credential: Option<Credential>,
    ) -> Sending<'_> {
        let mut http_request = self.http_request(uri, options, body, stream);
        if let Some(credential) = credential {
            http_request
                .headers_mut()
                .insert(credential.name, credential.value);
        }
        self.inner.http.request(http_request)
    }

    fn http_request(
        &self,
        uri: &http::Uri,
        options: &RequestOptions,
        body: Bytes,
        stream: bool,
    ) -> Request<RequestBody> {
        let config = &self.inner.config;
        let mut request = Request::new(RequestBody::new(body));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = uri.clone();
        let mut headers = self.inner.base_headers.clone();
        if !stream {
            headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        }
        if let Some(proxies) = &config.proxies {
            if uri.scheme_str() == Some("http") {
                if let Some(auth) = proxies.intercept(uri).and_then(|i| i.basic_auth().cloned()) {
                    headers.insert(http::header::PROXY_AUTHORIZATION, auth);
                }
            }
        }
        for (name, value) in &options.headers {
            headers.insert(name, value.clone());
        }
        *request.headers_mut() = headers;
        request
    }
}

/// The headers every request carries: content type, user agent, the key
/// (unless a credential provider gives one per attempt), organization, project, the configured default headers (after those, so
/// they can override them), and `Accept` for a stream (a request for a whole
/// completion replaces it).
fn base_headers(config: &Config) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(USER_AGENT, config.user_agent.clone());
    // A credential provider's credential replaces the fixed key.
    let key = config
        .api_key
        .as_ref()
        .filter(|_| config.credentials.is_none());
    if let Some(key) = key {
        if config.azure.is_some() {
            headers.insert(HeaderName::from_static("api-key"), key.clone());
        } else {
            let mut bearer = BytesMut::with_capacity(7 + key.len());
            bearer.extend_from_slice(b"Bearer ");
            bearer.extend_from_slice(key.as_bytes());
            // The key was checked to be a valid header value when it was set,
            // so the prefixed value is valid too.
            if let Ok(mut value) = HeaderValue::from_maybe_shared(bearer.freeze()) {
                value.set_sensitive(true);
                headers.insert(AUTHORIZATION, value);
            }
        }
    }
    if let Some(organization) = &config.organization {
        headers.insert(
            HeaderName::from_static("openai-organization"),
            organization.clone(),
        );
    }
    if let Some(project) = &config.project {
        headers.insert(HeaderName::from_static("openai-project"), project.clone());
    }
    for (name, value) in &config.default_headers {
        headers.insert(name, value.clone());
    }
    // After the default headers, as when it was set per request: the client
    // reads what it asked for.
    headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    headers
}

/// The request body: the request with `stream` forced, and the per-request
/// fields merged at the top level.
fn encode_body(
    request: &ChatCompletionRequest,
    options: &RequestOptions,
    stream: bool,
) -> Result<Bytes> {
    let encode_error = |e: serde_json::Error| {
        Error::new(ErrorKind::Request, "cannot encode the request").with_source(e)
    };
    if options.body.is_empty() && (!stream || request.stream == Some(true)) {
        return serde_json::to_vec(request)
            .map(Bytes::from)
            .map_err(encode_error);
    }
    if options.body.is_empty() && request.stream.is_none() {
        // The common case: `"stream":true` as the first member, written
        // before the request instead of copying the whole request to set the
        // field: `{"stream":true` + `{"model":…}`, then the request's `{`
        // becomes the comma.
        let mut json = Vec::with_capacity(256);
        json.extend_from_slice(STREAM_MEMBER);
        serde_json::to_writer(&mut json, request).map_err(encode_error)?;
        if let Some(json) = join_stream_member(json) {
            return Ok(Bytes::from(json));
        }
        // Not an object (a request always is): set the field below.
    }
    // Per-request fields replace the request's own of the same name (a
    // field set twice is invalid JSON to some servers, and which one wins
    // differs between them), so they are merged into the serialized object.
    let mut body = match serde_json::to_value(request).map_err(encode_error)? {
        Value::Object(body) => body,
        _ => Map::new(),
    };
    for (key, value) in &options.body {
        body.insert(key.clone(), value.clone());
    }
    if stream {
        body.insert("stream".to_owned(), Value::Bool(true));
    }
    serde_json::to_vec(&body)
        .map(Bytes::from)
        .map_err(encode_error)
}

/// The first member of a streamed request's body, with the object's `{`.
const STREAM_MEMBER: &[u8] = b"{\"stream\":true";

/// [`STREAM_MEMBER`] followed by a serialized object, made one object with
/// the stream member first: the object's `{` becomes the comma (or goes, for
/// `{}`). `None` when no object follows.
fn join_stream_member(mut json: Vec<u8>) -> Option<Vec<u8>> {
    let at = STREAM_MEMBER.len();
    match json.get(at..at + 2) {
        Some(b"{}") => {
            json.truncate(at);
            json.push(b'}');
            Some(json)
        }
        Some([b'{', _]) => {
            *json.get_mut(at)? = b',';
            Some(json)
        }
        _ => None,
    }
}

/// The response head's deadline for an attempt starting now: the response
/// timeout's or the total's, whichever comes first (with which it is and its
/// limit); `None` when neither is set.
fn head_deadline(settings: &CallSettings) -> Option<(TokioInstant, Deadline, Duration)> {
    let response = settings.response_timeout.map(|limit| {
        let at = head_timer::deadline(TokioInstant::now(), limit);
        (at, Deadline::ResponseHead, limit)
    });
    let total = settings
        .total
        .map(|(at, limit)| (at, Deadline::Total, limit));
    match (response, total) {
        (Some(response), Some(total)) => Some(if total.0 < response.0 {
            total
        } else {
            response
        }),
        (response, total) => response.or(total),
    }
}

/// The error for a response head that did not arrive by `deadline`.
fn head_timeout(deadline: Deadline, limit: Duration) -> Error {
    match deadline {
        Deadline::Total => total_timeout(limit),
        _ => Error::timeout(deadline, format!("no response within {limit:?}")),
    }
}

/// The error for a call past its total timeout.
fn total_timeout(limit: Duration) -> Error {
    Error::timeout(
        Deadline::Total,
        format!("the call took longer than {limit:?} (total timeout)"),
    )
}

/// Waits `wait` before a retry, unless the call's total deadline comes
/// first: then there is no point in waiting, and the call fails now.
async fn wait_to_retry(wait: Duration, settings: &CallSettings) -> Result<()> {
    if let Some((at, limit)) = settings.total {
        if head_timer::deadline(TokioInstant::now(), wait) >= at {
            return Err(total_timeout(limit));
        }
    }
    tokio::time::sleep(wait).await;
    Ok(())
}

fn classify_send_error(error: hyper_util::client::legacy::Error) -> Error {
    if crate::error::timed_out(&error) {
        Error::timeout(Deadline::Connect, "timed out connecting").with_source(error)
    } else if error.is_connect() {
        Error::new(ErrorKind::Connect, "cannot connect").with_source(error)
    } else {
        Error::new(ErrorKind::Transport, "the request failed before a response").with_source(error)
    }
}

/// The chat-completions URL: the base URL's path, the endpoint (Azure's
/// deployment path for `model`), then the query — the base URL's own, Azure's
/// `api-version`, the client's default parameters, the call's `query`.
fn chat_url(config: &Config, model: &str, query: &[(String, String)]) -> String {
    let (base, base_query) = config
        .base_url
        .split_once('?')
        .unwrap_or((&config.base_url, ""));
    let mut url = match &config.azure {
        Some(azure) => format!(
            "{base}/openai/deployments/{}/chat/completions",
            percent_encode_segment(&azure.deployment(model))
        ),
        None => format!("{base}/chat/completions"),
    };
    let mut all = base_query.to_owned();
    let mut add = |key: &str, value: &str| {
        if !all.is_empty() {
            all.push('&');
        }
        all.push_str(&percent_encode_segment(key));
        all.push('=');
        all.push_str(&percent_encode_segment(value));
    };
    if let Some(azure) = &config.azure {
        add("api-version", &azure.api_version);
    }
    for (key, value) in config.default_query.iter().chain(query) {
        add(key, value);
    }
    if !all.is_empty() {
        url.push('?');
        url.push_str(&all);
    }
    url
}

/// Percent-encodes a URL path segment or query value (RFC 3986 unreserved
/// characters pass).
fn percent_encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl Client {
    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.config.base_url
    }
}

#[cfg(test)]
mod tests;
