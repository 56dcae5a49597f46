//! Error types: [`DecodeError`], [`EncodeError`] and [`StreamError`].

use std::fmt;

/// Why a [`Decoder`](crate::Decoder) stopped: a [`Limits`](crate::Limits) cap
/// was exceeded.
///
/// Nothing else is an error: per the spec, unknown fields, invalid `retry`
/// values, ids containing NUL and invalid UTF-8 (replaced by U+FFFD) are not
/// failures, and "need more bytes" is `Ok(None)`.
///
/// Errors are **sticky**: once [`Decoder::next_frame`](crate::Decoder::next_frame)
/// has returned one, every later call returns the same error and fed input is
/// dropped, until [`Decoder::finish`](crate::Decoder::finish) ends the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeError {
    /// A line (not counting its terminator) was longer than
    /// [`Limits::max_line_len`](crate::Limits::max_line_len). Usually a server
    /// that sends something other than `text/event-stream`, or never sends a
    /// newline.
    LineTooLong {
        /// The limit that was exceeded, in bytes.
        limit: usize,
    },
    /// An event's data was larger than
    /// [`Limits::max_event_size`](crate::Limits::max_event_size). Usually a
    /// huge payload, or a server that never sends the blank line that ends
    /// an event.
    EventTooLarge {
        /// The limit that was exceeded, in bytes.
        limit: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LineTooLong { limit } => {
                write!(
                    f,
                    "server-sent events line longer than the limit of {limit} bytes"
                )
            }
            Self::EventTooLarge { limit } => {
                write!(
                    f,
                    "server-sent event data larger than the limit of {limit} bytes"
                )
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Why an encoder refused a value: it cannot be represented in an event
/// stream, and writing it anyway would corrupt the stream (a line break would
/// start a new field; a NUL makes the decoder ignore the `id`).
///
/// Encoding checks everything before writing, so on error nothing has been
/// appended to the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncodeError {
    /// The event type contains a CR or LF.
    LineBreakInEventType,
    /// The id contains a CR or LF.
    LineBreakInId,
    /// The id contains U+0000 (a decoder ignores such an `id` field).
    NulInId,
    /// The comment text contains a CR or LF.
    LineBreakInComment,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::LineBreakInEventType => "event type contains a line break (CR or LF)",
            Self::LineBreakInId => "event id contains a line break (CR or LF)",
            Self::NulInId => "event id contains a NUL character",
            Self::LineBreakInComment => "comment contains a line break (CR or LF)",
        })
    }
}

impl std::error::Error for EncodeError {}

/// An error from [`SseStream`](crate::SseStream): either the underlying byte
/// stream failed, or the bytes could not be decoded.
#[derive(Debug)]
#[non_exhaustive]
pub enum StreamError<E> {
    /// The wrapped byte stream yielded this error; it is passed through as is.
    Transport(E),
    /// The decoder hit a limit. The adapter ends after reporting it.
    Decode(DecodeError),
}

impl<E> StreamError<E> {
    /// `true` for [`StreamError::Transport`].
    pub fn is_transport(&self) -> bool {
        matches!(self, Self::Transport(_))
    }

    /// `true` for [`StreamError::Decode`].
    pub fn is_decode(&self) -> bool {
        matches!(self, Self::Decode(_))
    }
}

impl<E> From<DecodeError> for StreamError<E> {
    fn from(error: DecodeError) -> Self {
        Self::Decode(error)
    }
}

/// `Transport` displays only this level ("error reading the event stream")
/// and returns the transport error from `source()`, as the Rust API guidelines
/// recommend; `Decode` is transparent (it displays the [`DecodeError`]).
impl<E> fmt::Display for StreamError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transport(_) => f.write_str("error reading the event stream"),
            Self::Decode(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for StreamError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Transport(e) => Some(e),
            Self::Decode(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_source() {
        let e = DecodeError::LineTooLong { limit: 10 };
        assert_eq!(
            e.to_string(),
            "server-sent events line longer than the limit of 10 bytes"
        );
        let s: StreamError<std::io::Error> = e.into();
        assert!(s.is_decode() && !s.is_transport());
        assert_eq!(s.to_string(), e.to_string());
        let io = StreamError::Transport(std::io::Error::other("reset"));
        assert_eq!(io.to_string(), "error reading the event stream");
        let source = std::error::Error::source(&io).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("reset"));
        assert_eq!(
            EncodeError::NulInId.to_string(),
            "event id contains a NUL character"
        );
    }
}
