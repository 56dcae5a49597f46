//! [`NotAStream`]: a successful response to a streaming request whose body
//! is not an event stream, read whole.
//!
//! Some servers answer a streaming request with a whole JSON object (a
//! completion, or more often an error object with status 200), and proxies
//! with an HTML error page. Both are rare, so they are read by a future of
//! their own, boxed by the callers: the common path (an event stream) waits
//! for nothing before its first chunk, and every call's future stays small.

use std::fmt;
use std::sync::Arc;

use crate::builder::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::error_body::read_capped;
use crate::head_timer;
use crate::parser_pool::ParserPool;
use crate::response_body::ResponseBody;
use crate::snippet::body_snippet;
use crate::timing::StreamTiming;

use super::{ChatCompletionStream, MediaKind, StreamLimits};

/// A successful response whose body is not an event stream: a whole JSON
/// object (a completion or an error object) or an HTML page (a proxy's or
/// gateway's error page). See [`ChatCompletionStream::start`].
pub(crate) struct NotAStream {
    /// The response head.
    pub(super) parts: http::response::Parts,
    /// The body, unread.
    pub(super) body: ResponseBody,
    /// What the body is: [`MediaKind::Json`] or [`MediaKind::Html`].
    pub(super) kind: MediaKind,
    /// The stream's deadlines, for a JSON body that becomes a stream.
    pub(super) limits: StreamLimits,
    /// When things happened so far.
    pub(super) timing: StreamTiming,
    /// The response-head timer, handed to the stream's deadlines.
    pub(super) timer: Option<head_timer::Timer>,
    /// When the response head arrived.
    pub(super) head_at: tokio::time::Instant,
}

impl fmt::Debug for NotAStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotAStream")
            .field("status", &self.parts.status)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl NotAStream {
    /// Reads the body whole. A JSON error object fails the call with its
    /// [`ErrorKind::Api`] error (status and headers attached); a whole
    /// completion (a server that ignored `"stream": true`) becomes a stream
    /// of one chunk, then [`EndState::NotStreamed`](crate::EndState::NotStreamed).
    /// An HTML page fails the call with an [`ErrorKind::Http`] error holding
    /// as much of the page as fits the error-body cap.
    pub(crate) async fn read(
        self: Box<Self>,
        config: &Config,
        parsers: &Arc<ParserPool>,
    ) -> Result<ChatCompletionStream> {
        let this = *self;
        let parts = this.parts;
        if this.kind == MediaKind::Html {
            let body = read_capped(this.body, config.max_error_body, config.response_timeout)
                .await
                .unwrap_or_default();
            return Err(Error::new(
                ErrorKind::Http,
                format!(
                    "expected an event stream, got an HTML page: {}",
                    body_snippet(&body)
                ),
            )
            .with_status(parts.status)
            .with_headers(parts.headers)
            .with_body(body));
        }
        let limit = config.limits.max_event_size;
        let json = read_capped(this.body, limit, config.response_timeout)
            .await
            .map_err(|e| {
                e.with_status(parts.status)
                    .with_headers(parts.headers.clone())
            })?;
        let mut reader = ChatCompletionStream::reader(config, parsers, this.timing, this.head_at);
        reader.feed_json_body(json, tokio::time::Instant::now().into_std());
        if let Some(error) = reader.take_early_error() {
            return Err(error.with_status(parts.status).with_headers(parts.headers));
        }
        Ok(ChatCompletionStream::assemble(
            parts,
            None,
            reader,
            this.limits,
            this.timer,
            this.head_at,
        ))
    }
}
