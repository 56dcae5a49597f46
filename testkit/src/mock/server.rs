//! The server: a loopback listener, one task per connection, hyper (plain or
//! TLS) or the raw writer behind it, and what it records.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::body::PacedBody;
use super::handler::Handler;
use super::raw::{RawHandler, serve_raw};
use super::reply::Reply;
use super::request::{RecordedRequest, version_name};
use super::tls;

/// What a TLS server offers by ALPN unless told otherwise.
const BOTH: &[&[u8]] = &[b"h2", b"http/1.1"];

/// What the server has seen, shared by its connection tasks and the test.
pub(crate) struct Shared {
    requests: Mutex<Vec<RecordedRequest>>,
    request_count: watch::Sender<usize>,
    opened: AtomicUsize,
    closed: watch::Sender<usize>,
}

impl Shared {
    fn new() -> Self {
        Shared {
            requests: Mutex::new(Vec::new()),
            request_count: watch::Sender::new(0),
            opened: AtomicUsize::new(0),
            closed: watch::Sender::new(0),
        }
    }

    /// Records a request (before its handler runs).
    pub(crate) fn record(&self, request: RecordedRequest) {
        // A handler that panicked cannot leave the list half-updated, so a
        // poisoned lock still holds a good list.
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request);
        self.request_count.send_modify(|count| *count += 1);
    }
}

/// Counts a connection closed when its task ends, however it ends (done,
/// failed, panicked or aborted).
struct ConnectionGuard(Arc<Shared>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.closed.send_modify(|count| *count += 1);
    }
}

/// A mock OpenAI-compatible server on `127.0.0.1`, on a port of its own.
///
/// Dropping it stops the server: the listener and every connection task are
/// aborted, so a client still reading a stalled body sees the connection
/// close. Must be started inside a Tokio runtime (any flavour).
pub struct MockServer {
    addr: SocketAddr,
    url: String,
    ca_cert_der: Option<Vec<u8>>,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("url", &self.url)
            .field("tls", &self.ca_cert_der.is_some())
            .field("connections_opened", &self.connections_opened())
            .field("connections_closed", &self.connections_closed())
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts a plain-TCP server speaking HTTP/1.1 and HTTP/2 with prior
    /// knowledge (h2c) on the same port; [`url`](Self::url) is
    /// `http://127.0.0.1:PORT/v1`.
    pub async fn start(handler: impl Handler) -> io::Result<MockServer> {
        Self::start_with_stream_limit(handler, None).await
    }

    /// Like [`start`](Self::start), with HTTP/2 connections announcing
    /// `SETTINGS_MAX_CONCURRENT_STREAMS` = `limit` (`None`: hyper's default,
    /// 200): a client must open another connection to run more streams than
    /// that at once.
    pub async fn start_with_stream_limit(
        handler: impl Handler,
        limit: Option<u32>,
    ) -> io::Result<MockServer> {
        let handler: Arc<dyn Handler> = Arc::new(handler);
        Self::launch("http", "127.0.0.1", None, move |stream, shared| {
            serve_hyper(stream, Arc::clone(&handler), shared, limit)
        })
        .await
    }

    /// Starts a TLS server (ALPN `h2` and `http/1.1`) whose certificate is
    /// valid for `localhost` and `127.0.0.1`, signed by a CA made for this
    /// server ([`ca_cert_der`](Self::ca_cert_der)); [`url`](Self::url) is
    /// `https://localhost:PORT/v1`.
    pub async fn start_tls(handler: impl Handler) -> io::Result<MockServer> {
        Self::start_tls_with(handler, &["localhost", "127.0.0.1"], None, BOTH).await
    }

    /// Like [`start_tls`](Self::start_tls), but ALPN offers `http/1.1` only,
    /// as a server that does not speak HTTP/2: a client learns the protocol
    /// only once its first connection is made.
    pub async fn start_tls_http1(handler: impl Handler) -> io::Result<MockServer> {
        Self::start_tls_with(handler, &["localhost", "127.0.0.1"], None, &[b"http/1.1"]).await
    }

    /// Like [`start_tls`](Self::start_tls), with HTTP/2 connections limited
    /// to `limit` concurrent streams (see
    /// [`start_with_stream_limit`](Self::start_with_stream_limit)).
    pub async fn start_tls_with_stream_limit(
        handler: impl Handler,
        limit: Option<u32>,
    ) -> io::Result<MockServer> {
        Self::start_tls_with(handler, &["localhost", "127.0.0.1"], limit, BOTH).await
    }

    /// Like [`start_tls`](Self::start_tls), but the certificate is valid only
    /// for `name` (a DNS name or an IP address). [`url`](Self::url) still says
    /// `https://localhost:PORT/v1`, so a client using it should refuse the
    /// certificate unless `name` is `localhost`.
    pub async fn start_tls_for_name(handler: impl Handler, name: &str) -> io::Result<MockServer> {
        Self::start_tls_with(handler, &[name], None, BOTH).await
    }

    async fn start_tls_with(
        handler: impl Handler,
        names: &[&str],
        limit: Option<u32>,
        alpn: &[&[u8]],
    ) -> io::Result<MockServer> {
        let identity = tls::identity(names, alpn)?;
        let handler: Arc<dyn Handler> = Arc::new(handler);
        let acceptor = identity.acceptor;
        let server = Self::launch(
            "https",
            "localhost",
            Some(identity.ca_cert_der),
            move |stream, shared| {
                let acceptor = acceptor.clone();
                let handler = Arc::clone(&handler);
                async move {
                    // A client that refuses the certificate ends here.
                    if let Ok(stream) = acceptor.accept(stream).await {
                        serve_hyper(stream, handler, shared, limit).await;
                    }
                }
            },
        )
        .await?;
        Ok(server)
    }

    /// Starts a plain-TCP HTTP/1.1 server without hyper: it reads one request
    /// per connection (head, then `content-length` bytes, at most 1 MiB),
    /// records it, and writes what the [`RawHandler`] returns, byte for byte.
    /// [`url`](Self::url) is `http://127.0.0.1:PORT/v1`.
    pub async fn start_raw(handler: impl RawHandler) -> io::Result<MockServer> {
        let handler: Arc<dyn RawHandler> = Arc::new(handler);
        Self::launch("http", "127.0.0.1", None, move |stream, shared| {
            serve_raw(stream, Arc::clone(&handler), shared)
        })
        .await
    }

    async fn launch<F, Fut>(
        scheme: &str,
        host: &str,
        ca_cert_der: Option<Vec<u8>>,
        serve: F,
    ) -> io::Result<MockServer>
    where
        F: Fn(TcpStream, Arc<Shared>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new());
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared), serve));
        Ok(MockServer {
            addr,
            url: format!("{scheme}://{host}:{}/v1", addr.port()),
            ca_cert_der,
            shared,
            task,
        })
    }

    /// The base URL, including `/v1`: `http://127.0.0.1:PORT/v1`, or
    /// `https://localhost:PORT/v1` for TLS servers.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The base URL without `/v1`, e.g. `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        self.url.trim_end_matches("/v1").to_owned()
    }

    /// The address the server listens on (always `127.0.0.1`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The CA certificate (DER) that signed a TLS server's certificate, for
    /// the client's root store; `None` for plain servers.
    pub fn ca_cert_der(&self) -> Option<Vec<u8>> {
        self.ca_cert_der.clone()
    }

    /// Every request received so far, in the order they arrived.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits until at least `n` requests were received; `false` on timeout.
    pub async fn wait_requests(&self, n: usize, timeout: Duration) -> bool {
        let mut count = self.shared.request_count.subscribe();
        tokio::time::timeout(timeout, count.wait_for(|count| *count >= n))
            .await
            .is_ok_and(|waited| waited.is_ok())
    }

    /// How many TCP connections were accepted so far.
    pub fn connections_opened(&self) -> usize {
        self.shared.opened.load(Ordering::SeqCst)
    }

    /// How many connections have ended so far (counted when the connection's
    /// task ends, e.g. once hyper notices the client went away).
    pub fn connections_closed(&self) -> usize {
        *self.shared.closed.borrow()
    }

    /// Waits until at least `n` connections have closed; `false` on timeout.
    pub async fn wait_connections_closed(&self, n: usize, timeout: Duration) -> bool {
        let mut closed = self.shared.closed.subscribe();
        tokio::time::timeout(timeout, closed.wait_for(|count| *count >= n))
            .await
            .is_ok_and(|waited| waited.is_ok())
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every
        // connection task.
        self.task.abort();
    }
}

async fn accept_loop<F, Fut>(listener: TcpListener, shared: Arc<Shared>, serve: F)
where
    F: Fn(TcpStream, Arc<Shared>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    // Small paced pieces must not wait for Nagle.
                    let _ = stream.set_nodelay(true);
                    shared.opened.fetch_add(1, Ordering::SeqCst);
                    let guard = ConnectionGuard(Arc::clone(&shared));
                    let connection = serve(stream, Arc::clone(&shared));
                    connections.spawn(async move {
                        let _guard = guard;
                        connection.await;
                    });
                }
                // Out of descriptors or the like: back off, keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Serves one connection with hyper, HTTP/1.1 or HTTP/2 as the client's
/// first bytes say; HTTP/2 with at most `limit` concurrent streams.
async fn serve_hyper<I>(io: I, handler: Arc<dyn Handler>, shared: Arc<Shared>, limit: Option<u32>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request: Request<Incoming>| {
        let handler = Arc::clone(&handler);
        let shared = Arc::clone(&shared);
        async move { respond(request, handler.as_ref(), &shared).await }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    if limit.is_some() {
        builder.http2().max_concurrent_streams(limit);
    }
    // Errors (the client went away, a body aborted on purpose) just end the
    // connection, which is what the tests observe.
    let _ = builder.serve_connection(TokioIo::new(io), service).await;
}

async fn respond(
    request: Request<Incoming>,
    handler: &dyn Handler,
    shared: &Shared,
) -> Result<Response<PacedBody>, hyper::Error> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    let recorded = RecordedRequest {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        version: version_name(parts.version),
    };
    shared.record(recorded.clone());
    let reply = handler.reply(&recorded);
    if !reply.head_delay().is_zero() {
        tokio::time::sleep(reply.head_delay()).await;
    }
    Ok(response(&reply))
}

/// The hyper response for `reply`, or a 500 saying why it cannot be sent.
fn response(reply: &Reply) -> Response<PacedBody> {
    let mut builder = Response::builder().status(reply.status());
    for (name, value) in reply.headers() {
        builder = builder.header(name.as_str(), value.as_str());
    }
    match builder.body(PacedBody::new(reply)) {
        Ok(response) => response,
        Err(error) => {
            let mut response = Response::new(PacedBody::full(format!(
                "mock reply cannot be sent: {error}\n"
            )));
            *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            response
        }
    }
}
