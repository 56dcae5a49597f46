//! The corpus mode of `mock-server`: a captured stream served as fast as the
//! connection takes it, for the client benchmark (`cargo xtask bench --only
//! client`).
//!
//! Over HTTP/1.1 the response is cut once at start-up into ready-made
//! writes (chunks `{size:x}\r\n…\r\n`, or bare slices under a
//! `content-length`), each sent with one `write_all`: the benchmark decides
//! how large the pieces the client sees are. Over HTTP/2 the body goes to
//! hyper whole, and the framing segments of the path mean nothing (HTTP/2
//! has neither chunks nor a length header to choose).

use std::borrow::Cow;
use std::path::Path;

use bytes::{Bytes, BytesMut};

/// The head of every HTTP/1.1 event-stream response, less its framing
/// header.
pub(crate) const SSE_HEAD: &str = "HTTP/1.1 200 OK\r\n\
    content-type: text/event-stream\r\n\
    cache-control: no-cache\r\n\
    x-request-id: req_mock_server\r\n";

/// The corpus and its ready-made responses.
#[derive(Debug)]
pub(crate) struct Corpus {
    /// The corpus as given (empty without `--corpus`).
    body: Bytes,
    /// Whether a corpus was given: without one, every chat request is paced.
    given: bool,
    /// The chunked response: head, then one element per write (see
    /// [`response`]).
    chunked: Vec<Bytes>,
    /// The response with a `content-length`.
    length: Vec<Bytes>,
    write_size: usize,
    /// The framing of requests whose path does not choose one.
    default_chunked: bool,
}

impl Corpus {
    /// Reads the corpus at `path` (none: an empty corpus, every chat request
    /// paced) and cuts its responses into writes of `write_size` bytes.
    pub(crate) fn load(
        path: Option<&Path>,
        write_size: usize,
        default_chunked: bool,
    ) -> Result<Corpus, String> {
        let body = match path {
            Some(path) => {
                Bytes::from(std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?)
            }
            None => Bytes::new(),
        };
        Ok(Corpus {
            chunked: response(&body, write_size, true),
            length: response(&body, write_size, false),
            body,
            given: path.is_some(),
            write_size,
            default_chunked,
        })
    }

    /// Whether a chat request to `path` gets the paced synthetic stream: a
    /// path segment `paced`, or no corpus at all.
    pub(crate) fn serves_paced(&self, path: &str) -> bool {
        !self.given || path.split('/').any(|segment| segment == "paced")
    }

    /// The HTTP/1.1 writes of the response to a chat request for `path`.
    pub(crate) fn writes(&self, path: &str) -> Cow<'_, [Bytes]> {
        let chunked = framing(path).unwrap_or(self.default_chunked);
        match first_events(path) {
            Some(n) => Cow::Owned(response(&first(&self.body, n), self.write_size, chunked)),
            None if chunked => Cow::Borrowed(&self.chunked),
            None => Cow::Borrowed(&self.length),
        }
    }

    /// The HTTP/2 body of the response to a chat request for `path`.
    pub(crate) fn body(&self, path: &str) -> Bytes {
        match first_events(path) {
            Some(n) => first(&self.body, n),
            None => self.body.clone(),
        }
    }
}

/// The event-stream response for `body`, one element per write: the head,
/// then `size` bytes of the body per write. Chunked: each write one chunk
/// (`{size:x}\r\n…\r\n`), the terminating zero-size chunk appended to the
/// last; otherwise the head announces the length and the writes are bare
/// slices of the body (no copy).
fn response(body: &Bytes, size: usize, chunked: bool) -> Vec<Bytes> {
    let framing = if chunked {
        "transfer-encoding: chunked".to_owned()
    } else {
        format!("content-length: {}", body.len())
    };
    let mut writes = Vec::with_capacity(body.len() / size + 2);
    writes.push(Bytes::from(format!("{SSE_HEAD}{framing}\r\n\r\n")));
    if !chunked {
        writes.extend((0..body.len()).step_by(size).map(|start| {
            let end = body.len().min(start + size);
            body.slice(start..end)
        }));
        return writes;
    }
    let pieces = body.chunks(size);
    let count = pieces.len();
    for (i, piece) in pieces.enumerate() {
        let mut write = BytesMut::with_capacity(piece.len() + 16);
        write.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        write.extend_from_slice(piece);
        write.extend_from_slice(b"\r\n");
        if i + 1 == count {
            write.extend_from_slice(b"0\r\n\r\n");
        }
        writes.push(write.freeze());
    }
    if count == 0 {
        writes.push(Bytes::from_static(b"0\r\n\r\n"));
    }
    writes
}

/// `N` when a segment of `path` is `first-N`.
fn first_events(path: &str) -> Option<usize> {
    path.split('/')
        .find_map(|segment| segment.strip_prefix("first-")?.parse().ok())
}

/// `Some(true)` when a segment of `path` is `chunked`, `Some(false)` when
/// one is `length`.
fn framing(path: &str) -> Option<bool> {
    path.split('/').find_map(|segment| match segment {
        "chunked" => Some(true),
        "length" => Some(false),
        _ => None,
    })
}

/// The first `n` events of `corpus`, then `data: [DONE]` unless it was
/// among them.
fn first(corpus: &[u8], n: usize) -> Bytes {
    let mut end = 0;
    let mut events = 0;
    while events < n {
        match corpus[end..].windows(2).position(|w| w == b"\n\n") {
            Some(at) => {
                end += at + 2;
                events += 1;
            }
            None => break,
        }
    }
    let mut body = corpus[..end].to_vec();
    if !body.ends_with(b"data: [DONE]\n\n") {
        body.extend_from_slice(b"data: [DONE]\n\n");
    }
    Bytes::from(body)
}
