//! [`EndState`]: the ways a stream ends cleanly.

/// How a stream ended cleanly (see [`StreamReader::end_state`] and
/// `ChatCompletionStream::end_state`).
///
/// Every other ending is an [`Error`](crate::Error): an error object from
/// the server ([`ErrorKind::Api`](crate::ErrorKind::Api)), a body that stopped
/// early ([`ErrorKind::Truncated`](crate::ErrorKind::Truncated)), a broken
/// connection ([`ErrorKind::Transport`](crate::ErrorKind::Transport)), a bad
/// payload ([`ErrorKind::Decode`](crate::ErrorKind::Decode)), silence
/// ([`ErrorKind::Timeout`](crate::ErrorKind::Timeout)).
///
/// [`StreamReader::end_state`]: super::StreamReader::end_state
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EndState {
    /// `data: [DONE]` arrived.
    Done,
    /// The body ended without `[DONE]` after every choice had its
    /// `finish_reason` (Perplexity and some proxies never send `[DONE]`;
    /// Azure's last `[DONE]` may lack its closing blank line).
    Finished,
    /// The server ignored `"stream": true` and sent a whole completion, which
    /// was delivered as a single chunk.
    NotStreamed,
}
