//! [`Deadline`]: which of the client's time limits a
//! [`Timeout`](crate::ErrorKind::Timeout) error hit.

use std::fmt;

/// Which time limit fired (see [`Error::deadline`](crate::Error::deadline)).
///
/// The limits mean different things to a caller — a server that never
/// answered, a stream gone silent, a model that is slow between tokens, an
/// answer that takes too long in all — so an error says which one it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Deadline {
    /// Connecting took longer than the connect timeout.
    Connect,
    /// The response head did not arrive within the response timeout.
    ResponseHead,
    /// No byte of the body arrived within the idle timeout (keep-alive
    /// comments count as bytes).
    Idle,
    /// No chunk arrived within the chunk timeout (comments and empty events
    /// do not count).
    Chunk,
    /// The whole call — connecting, retries, the response head and every
    /// chunk — took longer than the total timeout.
    Total,
}

impl Deadline {
    /// A short lowercase name (`"idle"`, `"chunk"`, …), stable for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Deadline::Connect => "connect",
            Deadline::ResponseHead => "response_head",
            Deadline::Idle => "idle",
            Deadline::Chunk => "chunk",
            Deadline::Total => "total",
        }
    }
}

impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
