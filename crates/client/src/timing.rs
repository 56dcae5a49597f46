//! [`StreamTiming`]: when things happened during a stream.

use std::time::{Duration, Instant};

/// When things happened during a stream, measured on the client: what a
/// latency dashboard needs and no peer reports.
///
/// All durations count from the moment the request was sent (the first
/// attempt, so retries are included). A chunk counts from when the bytes
/// that completed it were read from the connection, not from when the caller
/// asked for it: a slow consumer does not distort the gaps, and chunks that
/// arrived together show no gap between them.
#[derive(Clone, Debug)]
pub struct StreamTiming {
    pub(crate) started: Instant,
    pub(crate) response: Option<Duration>,
    pub(crate) first_byte: Option<Duration>,
    pub(crate) first_chunk: Option<Duration>,
    pub(crate) first_content: Option<Duration>,
    pub(crate) last_chunk: Option<Duration>,
    pub(crate) max_gap: Duration,
    pub(crate) chunks: u64,
    pub(crate) attempts: u32,
}

impl StreamTiming {
    pub(crate) fn new(started: Instant) -> Self {
        StreamTiming {
            started,
            response: None,
            first_byte: None,
            first_chunk: None,
            first_content: None,
            last_chunk: None,
            max_gap: Duration::ZERO,
            chunks: 0,
            attempts: 1,
        }
    }

    /// Bytes of the body were read at `now`.
    pub(crate) fn on_byte_at(&mut self, now: Instant) {
        if self.first_byte.is_none() {
            self.first_byte = Some(now.saturating_duration_since(self.started));
        }
    }

    /// A chunk completed by bytes read at `now` (see the type's docs).
    pub(crate) fn on_chunk_at(&mut self, now: Instant, has_content: bool) {
        let now = now.saturating_duration_since(self.started);
        if self.first_chunk.is_none() {
            self.first_chunk = Some(now);
        }
        if has_content && self.first_content.is_none() {
            self.first_content = Some(now);
        }
        if let Some(last) = self.last_chunk {
            self.max_gap = self.max_gap.max(now.saturating_sub(last));
        }
        self.last_chunk = Some(now);
        self.chunks += 1;
    }

    /// When the request was first sent.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Time to the response head (status and headers).
    pub fn time_to_response(&self) -> Option<Duration> {
        self.response
    }

    /// Time to the first byte of the body.
    pub fn time_to_first_byte(&self) -> Option<Duration> {
        self.first_byte
    }

    /// Time to the first chunk.
    pub fn time_to_first_chunk(&self) -> Option<Duration> {
        self.first_chunk
    }

    /// Time to the first chunk carrying answer text, reasoning, a refusal or
    /// a tool call: what a user perceives as "it started answering".
    pub fn time_to_first_token(&self) -> Option<Duration> {
        self.first_content
    }

    /// Time to the last chunk so far.
    pub fn time_to_last_chunk(&self) -> Option<Duration> {
        self.last_chunk
    }

    /// The longest gap between two chunks so far.
    pub fn max_gap(&self) -> Duration {
        self.max_gap
    }

    /// Chunks received so far.
    pub fn chunks(&self) -> u64 {
        self.chunks
    }

    /// Mean chunks per second between the first and the last chunk.
    pub fn chunks_per_second(&self) -> Option<f64> {
        let span = self
            .last_chunk?
            .checked_sub(self.first_chunk?)?
            .as_secs_f64();
        (self.chunks > 1 && span > 0.0).then(|| (self.chunks - 1) as f64 / span)
    }

    /// How many HTTP attempts the request took (1 without retries).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}
