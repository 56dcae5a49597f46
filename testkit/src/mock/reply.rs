//! The scripted answer to one request: status, headers, body pieces, timing and
//! how the body ends.

use std::time::Duration;

use bytes::Bytes;

/// How a reply's body ends, once its pieces are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Ending {
    /// The body ends normally (HTTP/1.1: the terminating chunk, or all of
    /// `content-length`; HTTP/2: END_STREAM).
    #[default]
    Complete,
    /// The body fails after its pieces: hyper cuts the stream mid-body. Over
    /// HTTP/1.1 the connection is closed with the chunked body unterminated;
    /// over HTTP/2 the stream is reset (RST_STREAM), the connection survives.
    Abort,
    /// The body never ends: the response stays open sending nothing, until the
    /// client goes away or the server is dropped. For idle-timeout tests.
    Stall,
}

/// The answer to one request, built in a builder style:
///
/// ```
/// use chatstream_testkit::mock::{Ending, Reply};
/// use std::time::Duration;
///
/// let reply = Reply::sse("data: {\"a\":1}\n\ndata: [DONE]\n\n")
///     .header("x-request-id", "req_123")
///     .split_every(5)
///     .pace(Duration::from_millis(10))
///     .end(Ending::Abort);
/// assert_eq!(reply.status(), 200);
/// ```
///
/// The body is written as its pieces, each one a separate frame (HTTP/2) or
/// chunk and flush (HTTP/1.1), so a client sees them arrive separately; with
/// [`pace`](Reply::pace) they arrive at different times. Empty pieces are
/// skipped (an empty chunk would end an HTTP/1.1 body).
///
/// Replies made by [`json`](Reply::json), [`json_text`](Reply::json_text) and
/// [`text`](Reply::text) carry a `content-length` when they end with
/// [`Ending::Complete`]; [`sse`](Reply::sse) replies never do (HTTP/1.1
/// chunked), like real providers' streams.
#[derive(Clone, Debug)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    pieces: Vec<Bytes>,
    pace: Duration,
    head_delay: Duration,
    ending: Ending,
    known_length: bool,
}

impl Reply {
    fn new(status: u16, content_type: &str, body: Bytes, known_length: bool) -> Self {
        let headers = if content_type.is_empty() {
            Vec::new()
        } else {
            vec![("content-type".to_owned(), content_type.to_owned())]
        };
        Reply {
            status,
            headers,
            pieces: vec![body],
            pace: Duration::ZERO,
            head_delay: Duration::ZERO,
            ending: Ending::Complete,
            known_length,
        }
    }

    /// A 200 `text/event-stream` reply with `body` sent as given.
    pub fn sse(body: impl Into<Bytes>) -> Self {
        Reply::new(200, "text/event-stream", body.into(), false)
    }

    /// An `application/json` reply (e.g. an OpenAI error object with 400).
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Reply::new(status, "application/json", body.to_string().into(), true)
    }

    /// An `application/json` reply whose body is `body` verbatim, valid JSON
    /// or not.
    pub fn json_text(status: u16, body: &str) -> Self {
        Reply::new(status, "application/json", body.to_owned().into(), true)
    }

    /// A reply with any content type, e.g. the HTML 502 page of a proxy. An
    /// empty `content_type` sends no `content-type` header.
    pub fn text(status: u16, content_type: &str, body: impl Into<Bytes>) -> Self {
        Reply::new(status, content_type, body.into(), true)
    }

    /// Adds a response header (`x-request-id`, `x-ratelimit-*`,
    /// `retry-after` …). Headers are sent in the order added; the same name
    /// may be added twice. An invalid name or value makes the server answer
    /// 500 with the reason in the body.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Replaces the body by exactly these pieces, each written separately.
    pub fn pieces(mut self, pieces: Vec<Bytes>) -> Self {
        self.pieces = pieces;
        self
    }

    /// Cuts the body into pieces of `n` bytes (the last one shorter). `0`
    /// leaves the body whole.
    pub fn split_every(mut self, n: usize) -> Self {
        let body = self.body();
        self.pieces = if n == 0 {
            vec![body]
        } else {
            (0..body.len())
                .step_by(n)
                .map(|start| body.slice(start..body.len().min(start + n)))
                .collect()
        };
        self
    }

    /// Cuts the body into pieces of 1 to `max` bytes, sizes drawn from a
    /// generator seeded with `seed` (the same seed, the same cuts).
    pub fn split_random(mut self, seed: u64, max: usize) -> Self {
        let body = self.body();
        let max = max.max(1) as u64;
        let mut state = seed;
        let mut pieces = Vec::new();
        let mut start = 0;
        while start < body.len() {
            let size = usize::try_from(splitmix64(&mut state) % max + 1).unwrap_or(1);
            let end = body.len().min(start + size);
            pieces.push(body.slice(start..end));
            start = end;
        }
        self.pieces = pieces;
        self
    }

    /// Waits `pace` before each piece after the first.
    pub fn pace(mut self, pace: Duration) -> Self {
        self.pace = pace;
        self
    }

    /// Waits `delay` before sending the response head (time to first byte).
    pub fn delay_headers(mut self, delay: Duration) -> Self {
        self.head_delay = delay;
        self
    }

    /// How the body ends after its pieces (default [`Ending::Complete`]).
    pub fn end(mut self, ending: Ending) -> Self {
        self.ending = ending;
        self
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The headers, in order, as given.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The whole body (the pieces joined).
    pub fn body(&self) -> Bytes {
        match self.pieces.as_slice() {
            [one] => one.clone(),
            pieces => pieces.concat().into(),
        }
    }

    /// The body pieces as they will be written (empty ones included here).
    pub fn body_pieces(&self) -> &[Bytes] {
        &self.pieces
    }

    /// The pause between pieces.
    pub fn pace_duration(&self) -> Duration {
        self.pace
    }

    /// The pause before the response head.
    pub fn head_delay(&self) -> Duration {
        self.head_delay
    }

    /// How the body ends.
    pub fn ending(&self) -> Ending {
        self.ending
    }

    /// Whether the body length is announced (`content-length`).
    pub(crate) fn announces_length(&self) -> bool {
        self.known_length && self.ending == Ending::Complete
    }
}

/// One step of the SplitMix64 generator: small, deterministic, good enough
/// for choosing cut points.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_cover_the_body() {
        let reply = Reply::sse("abcdefghij").split_every(3);
        assert_eq!(reply.body_pieces(), ["abc", "def", "ghi", "j"]);
        assert_eq!(reply.body(), "abcdefghij");

        let a = Reply::sse("abcdefghijklmnopqrstuvwxyz").split_random(7, 4);
        let b = Reply::sse("abcdefghijklmnopqrstuvwxyz").split_random(7, 4);
        assert_eq!(a.body_pieces(), b.body_pieces());
        assert!(a.body_pieces().iter().all(|p| (1..=4).contains(&p.len())));
        assert_eq!(a.body(), "abcdefghijklmnopqrstuvwxyz");
    }

    #[test]
    fn length_is_announced_for_complete_non_sse_bodies() {
        assert!(Reply::json(400, serde_json::json!({})).announces_length());
        assert!(!Reply::sse("x").announces_length());
        assert!(
            !Reply::text(502, "text/html", "x")
                .end(Ending::Abort)
                .announces_length()
        );
    }
}
