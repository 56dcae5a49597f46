//! Raw mode: HTTP/1.1 without hyper, for the faults hyper will not produce
//! (a malformed head, a close in the middle of a chunk, a `content-length`
//! that lies, a server that never answers).
//!
//! One request per connection: the server reads the head up to the blank
//! line and then `content-length` bytes of body (1 MiB at most in all),
//! records the request, and writes the reply's bytes exactly as given. A
//! chunked request body is not decoded (recorded as empty).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::request::RecordedRequest;
use super::server::Shared;

/// The most a raw request (head and body) may take.
const REQUEST_LIMIT: usize = 1 << 20;
/// The most header lines a raw request may have.
const MAX_HEADERS: usize = 128;

/// Decides the raw bytes written for each request of a
/// [`MockServer::start_raw`](super::MockServer::start_raw) server. Closures
/// `Fn(&RecordedRequest) -> RawReply` implement it, and so does [`RawReply`]
/// (the same reply every time).
pub trait RawHandler: Send + Sync + 'static {
    /// The bytes to write in answer to `request`.
    fn reply(&self, request: &RecordedRequest) -> RawReply;
}

impl<F> RawHandler for F
where
    F: Fn(&RecordedRequest) -> RawReply + Send + Sync + 'static,
{
    fn reply(&self, request: &RecordedRequest) -> RawReply {
        self(request)
    }
}

impl RawHandler for RawReply {
    fn reply(&self, _request: &RecordedRequest) -> RawReply {
        self.clone()
    }
}

/// What a raw connection does once its bytes are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RawEnding {
    /// Close the connection (a clean TCP shutdown, FIN).
    #[default]
    Close,
    /// Keep the connection open, writing nothing more, until the client
    /// closes it or the server is dropped.
    Stall,
}

/// The bytes a raw server writes for one request, each write after its own
/// delay, then a [`RawEnding`].
///
/// ```
/// use bytes::Bytes;
/// use chatstream_testkit::mock::{RawEnding, RawReply};
/// use std::time::Duration;
///
/// // A chunked SSE response cut off in the middle of its second chunk.
/// let reply = RawReply::bytes(vec![
///     (Duration::ZERO, Bytes::from_static(
///         b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
///           transfer-encoding: chunked\r\n\r\n7\r\ndata: 1\r\n",
///     )),
///     (Duration::from_millis(20), Bytes::from_static(b"10\r\ndata: {\"par")),
/// ])
/// .then(RawEnding::Close);
/// assert_eq!(reply.writes().len(), 2);
/// ```
#[derive(Clone, Debug, Default)]
pub struct RawReply {
    writes: Vec<(Duration, Bytes)>,
    ending: RawEnding,
}

impl RawReply {
    /// Writes each `(delay, bytes)` in order, waiting `delay` before it, then
    /// closes (change with [`then`](Self::then)).
    pub fn bytes(writes: Vec<(Duration, Bytes)>) -> Self {
        RawReply {
            writes,
            ending: RawEnding::Close,
        }
    }

    /// Writes `bytes` at once, then closes.
    pub fn response(bytes: impl Into<Bytes>) -> Self {
        RawReply::bytes(vec![(Duration::ZERO, bytes.into())])
    }

    /// What to do after the writes.
    pub fn then(mut self, ending: RawEnding) -> Self {
        self.ending = ending;
        self
    }

    /// Reads the request, then never writes and keeps the connection open.
    pub fn never_answer() -> Self {
        RawReply::bytes(Vec::new()).then(RawEnding::Stall)
    }

    /// Reads the request, then closes without writing a byte.
    pub fn close_immediately() -> Self {
        RawReply::bytes(Vec::new()).then(RawEnding::Close)
    }

    /// The writes, in order.
    pub fn writes(&self) -> &[(Duration, Bytes)] {
        &self.writes
    }

    /// What happens after the writes.
    pub fn ending(&self) -> RawEnding {
        self.ending
    }
}

/// Serves one raw connection: one request, the handler's bytes, the ending.
pub(crate) async fn serve_raw(
    mut stream: TcpStream,
    handler: Arc<dyn RawHandler>,
    shared: Arc<Shared>,
) {
    let Ok(Some(request)) = read_request(&mut stream).await else {
        return;
    };
    shared.record(request.clone());
    let reply = handler.reply(&request);
    for (delay, bytes) in reply.writes {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if stream.write_all(&bytes).await.is_err() || stream.flush().await.is_err() {
            return;
        }
    }
    match reply.ending {
        RawEnding::Close => {
            let _ = stream.shutdown().await;
        }
        RawEnding::Stall => {
            // Discard whatever comes until the client closes.
            let mut sink = [0u8; 4096];
            while let Ok(1..) = stream.read(&mut sink).await {}
        }
    }
}

/// The parsed head of a request: its length in bytes and what is recorded.
struct Head {
    length: usize,
    method: String,
    path: String,
    version: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn content_length(&self) -> io::Result<usize> {
        match self
            .headers
            .iter()
            .find(|(name, _)| name == "content-length")
        {
            None => Ok(0),
            Some((_, value)) => value
                .trim()
                .parse()
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad content-length")),
        }
    }
}

/// Parses the head at the start of `buffer`; `None` while it is incomplete.
fn parse_head(buffer: &[u8]) -> io::Result<Option<Head>> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let length = match request.parse(buffer) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(error) => return Err(io::Error::new(io::ErrorKind::InvalidData, error)),
    };
    Ok(Some(Head {
        length,
        method: request.method.unwrap_or_default().to_owned(),
        path: request.path.unwrap_or_default().to_owned(),
        version: format!("HTTP/1.{}", request.version.unwrap_or(1)),
        headers: request
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_ascii_lowercase(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect(),
    }))
}

/// Reads one request; `Ok(None)` when the client closed first.
async fn read_request(stream: &mut TcpStream) -> io::Result<Option<RecordedRequest>> {
    let mut buffer = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    let head = loop {
        if let Some(head) = parse_head(&buffer)? {
            break head;
        }
        if buffer.len() >= REQUEST_LIMIT {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "head too long"));
        }
        match stream.read(&mut chunk).await? {
            0 => return Ok(None),
            n => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let end = head.length + head.content_length()?;
    if end > REQUEST_LIMIT {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "body too long"));
    }
    while buffer.len() < end {
        match stream.read(&mut chunk).await? {
            0 => return Ok(None),
            n => buffer.extend_from_slice(&chunk[..n]),
        }
    }
    buffer.truncate(end);
    let body = Bytes::from(buffer).slice(head.length..);
    Ok(Some(RecordedRequest {
        method: head.method,
        path: head.path,
        headers: head.headers,
        body,
        version: head.version,
    }))
}
