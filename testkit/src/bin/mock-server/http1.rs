//! The hand-written HTTP/1.1 side of `mock-server`: requests parsed with
//! `httparse`, responses written as ready-made bytes, one `write_all` per
//! piece.
//!
//! hyper's HTTP/1.1 server would coalesce several chunks into one vectored
//! write at its own discretion, and the benchmarks measure a client that
//! must see exactly the writes it is sent. The same code serves a plain
//! connection and a TLS one (`--tls` without `--http2`); each response, and
//! each paced event, is flushed so that TLS sends its record at once (on a
//! plain socket a flush does nothing).

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::Served;

/// The largest request head accepted.
const MAX_HEAD: usize = 64 * 1024;

/// The largest request body accepted (a chat request is a few hundred bytes).
pub(crate) const MAX_BODY: usize = 16 * 1024 * 1024;

/// The request head, as much of it as the routing needs.
#[derive(Debug)]
struct Head {
    method: String,
    path: String,
    length: usize,
    chunked: bool,
    close: bool,
}

/// Serves the requests of one connection, one after the other (keep-alive).
pub(crate) async fn connection<S>(mut stream: S, served: &Served) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buffer = BytesMut::with_capacity(8 * 1024);
    loop {
        let Some(head) = read_request(&mut stream, &mut buffer).await? else {
            return Ok(());
        };
        respond(&mut stream, &head, served).await?;
        stream.flush().await?;
        if head.close {
            return stream.shutdown().await;
        }
    }
}

/// Reads the next request's head and body (dropped): `None` when the
/// connection ended, or when the request could not be framed (it was
/// answered and the connection closed).
async fn read_request<S>(stream: &mut S, buffer: &mut BytesMut) -> std::io::Result<Option<Head>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (head, head_len) = loop {
        match parse_head(buffer) {
            Ok(Some(parsed)) => break parsed,
            Ok(None) if buffer.len() > MAX_HEAD => {
                return refuse(stream, 431, "request head too large").await;
            }
            Ok(None) => {}
            Err(message) => return refuse(stream, 400, &message).await,
        }
        if stream.read_buf(buffer).await? == 0 {
            return Ok(None);
        }
    };
    if head.chunked {
        return refuse(stream, 501, "chunked request bodies are not supported").await;
    }
    if head.length > MAX_BODY {
        return refuse(stream, 413, "request body too large").await;
    }
    // The body, read and dropped.
    let _ = buffer.split_to(head_len);
    while buffer.len() < head.length {
        if stream.read_buf(buffer).await? == 0 {
            return Ok(None);
        }
    }
    let _ = buffer.split_to(head.length);
    Ok(Some(head))
}

/// Writes the response to the request `head`.
async fn respond<S>(stream: &mut S, head: &Head, served: &Served) -> std::io::Result<()>
where
    S: AsyncWrite + Unpin,
{
    let path = head.path.split('?').next().unwrap_or_default();
    match (head.method.as_str(), path) {
        ("POST", path)
            if path.ends_with("/chat/completions") && served.corpus.serves_paced(path) =>
        {
            served.paced.serve(stream, &served.stats).await
        }
        ("POST", path) if path.ends_with("/chat/completions") => {
            for write in served.corpus.writes(path).iter() {
                stream.write_all(write).await?;
            }
            Ok(())
        }
        ("GET", "/health") => {
            stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nok\n",
                )
                .await
        }
        ("GET", "/stats") => {
            let body = served.stats.json();
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            stream.write_all((head + &body).as_bytes()).await
        }
        _ => {
            let message = format!("no route for {} {}", head.method, head.path);
            reply(stream, 404, &message).await
        }
    }
}

/// Parses a complete request head at the start of `buffer`: `None` while
/// it is incomplete.
fn parse_head(buffer: &[u8]) -> Result<Option<(Head, usize)>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    let len = match request.parse(buffer) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(format!("bad request head: {e}")),
    };
    let mut head = Head {
        method: request.method.unwrap_or_default().to_owned(),
        path: request.path.unwrap_or_default().to_owned(),
        length: 0,
        chunked: false,
        close: request.version == Some(0),
    };
    for header in request.headers.iter() {
        let value = String::from_utf8_lossy(header.value);
        if header.name.eq_ignore_ascii_case("content-length") {
            head.length = value
                .trim()
                .parse()
                .map_err(|e| format!("content-length {value}: {e}"))?;
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = true;
        } else if header.name.eq_ignore_ascii_case("connection") {
            let value = value.to_ascii_lowercase();
            head.close = value.contains("close") || (head.close && !value.contains("keep-alive"));
        }
    }
    Ok(Some((head, len)))
}

/// A short `text/plain` reply with a known length.
async fn reply<S>(stream: &mut S, status: u16, message: &str) -> std::io::Result<()>
where
    S: AsyncWrite + Unpin,
{
    let reason = match status {
        400 => "Bad Request",
        404 => "Not Found",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        _ => "Not Implemented",
    };
    let body = format!("{message}\n");
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all((head + &body).as_bytes()).await
}

/// [`reply`], then close the connection (the request could not be framed):
/// no request to serve.
async fn refuse<S>(stream: &mut S, status: u16, message: &str) -> std::io::Result<Option<Head>>
where
    S: AsyncWrite + Unpin,
{
    reply(stream, status, message).await?;
    stream.shutdown().await?;
    Ok(None)
}
