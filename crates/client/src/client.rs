//! [`Client`]: sends chat-completion requests.

mod request;
mod send;

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use chatstream_types::{ChatCompletion, ChatCompletionRequest};
use http::{HeaderMap, Response};
use hyper::body::Body;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::builder::{ClientBuilder, Config, Connections};
use crate::connect;
use crate::error::{BoxError, Error, ErrorKind, Result};
use crate::error_body::{read_capped, status_error};
use crate::options::RequestOptions;
use crate::parser_pool::ParserPool;
use crate::pool::Pool;
use crate::response_body::ResponseBody;
use crate::retry;
use crate::settings::CallSettings;
use crate::stream::ChatCompletionStream;
use crate::timing::StreamTiming;
use crate::trace::CallTrace;
use request::{base_headers, chat_url};
use send::{total_timeout, wait_to_retry};

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
}

impl Client {
    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.config.base_url
    }
}

#[cfg(test)]
mod tests;
