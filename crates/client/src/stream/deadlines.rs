//! [`StreamDeadlines`]: the time limits of a running stream — idle (between
//! bytes), chunk (between chunks) and total (the whole call) — on one timer.
//!
//! One timer, not three: each registered timer costs a slot in Tokio's
//! wheel and a reset costs a wheel operation, and a process holding 10,000
//! open streams pays that per stream. The timer is set to the earliest of
//! the deadlines that are on; when it fires, the deadline that passed is
//! named in the error ([`Deadline`]); if none has (the earliest moved on),
//! it is set again. The idle deadline moves with every read, the chunk
//! deadline with every chunk, the total deadline never; with only the idle
//! timeout on (the default), a read resets the timer once, as it always
//! did.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use crate::deadline::Deadline;
use crate::error::Error;
use crate::head_timer;

/// The limits a stream runs under (each off when `None`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Limits {
    /// No byte for this long ends the stream.
    pub(crate) idle: Option<Duration>,
    /// No chunk for this long ends the stream.
    pub(crate) chunk: Option<Duration>,
    /// The call ends at this instant; the limit it came from.
    pub(crate) total: Option<(Instant, Duration)>,
}

impl Limits {
    fn any(&self) -> bool {
        self.idle.is_some() || self.chunk.is_some() || self.total.is_some()
    }
}

/// The deadlines of one stream and the one timer that enforces them.
#[derive(Debug)]
pub(super) struct StreamDeadlines {
    limits: Limits,
    /// When the last bytes arrived (or the response head).
    last_read: Instant,
    /// When the bytes of the last chunk arrived (or the response head).
    last_chunk: Instant,
    timer: Option<Pin<Box<Sleep>>>,
    /// Whether the timer is set to the earliest deadline (it is from the
    /// first wait for the body on: until then it may still be the
    /// response-head timer, which the stream takes over).
    armed: bool,
}

impl StreamDeadlines {
    /// The deadlines of a stream whose head arrived at `now`, on `timer` (the
    /// response-head timer, when there is one) or a new one.
    pub(super) fn new(
        limits: Limits,
        timer: Option<head_timer::Timer>,
        reading: bool,
        now: Instant,
    ) -> Self {
        let timer = (reading && limits.any())
            .then(|| timer.unwrap_or_else(|| head_timer::start(Duration::MAX)));
        StreamDeadlines {
            limits,
            last_read: now,
            last_chunk: now,
            timer,
            armed: false,
        }
    }

    /// The earliest deadline that is on.
    fn earliest(&self) -> Option<Instant> {
        let idle = self
            .limits
            .idle
            .map(|limit| head_timer::deadline(self.last_read, limit));
        let chunk = self
            .limits
            .chunk
            .map(|limit| head_timer::deadline(self.last_chunk, limit));
        let total = self.limits.total.map(|(at, _)| at);
        [idle, chunk, total].into_iter().flatten().min()
    }

    /// Sets the timer to the earliest deadline, if it is armed.
    fn rearm(&mut self) {
        if let (true, Some(at)) = (self.armed, self.earliest()) {
            if let Some(timer) = &mut self.timer {
                timer.as_mut().reset(at);
            }
        }
    }

    /// Bytes arrived at `now`: the idle deadline moves.
    pub(super) fn on_read(&mut self, now: Instant) {
        self.last_read = now;
        if self.limits.idle.is_some() {
            self.rearm();
        }
    }

    /// A chunk was delivered, completed by the last bytes: the chunk
    /// deadline moves.
    pub(super) fn on_chunk(&mut self) {
        if self.limits.chunk.is_some() {
            self.last_chunk = self.last_read;
            self.rearm();
        }
    }

    /// The error for the deadline that passed by `now`, if one did (the
    /// total first: it is the one a caller set for the whole call).
    fn passed(&self, now: Instant) -> Option<Error> {
        if let Some((at, limit)) = self.limits.total {
            if now >= at {
                return Some(Error::timeout(
                    Deadline::Total,
                    format!("the call took longer than {limit:?} (total timeout)"),
                ));
            }
        }
        if let Some(limit) = self.limits.chunk {
            if now >= head_timer::deadline(self.last_chunk, limit) {
                return Some(Error::timeout(
                    Deadline::Chunk,
                    format!("no chunk for {limit:?} (chunk timeout)"),
                ));
            }
        }
        if let Some(limit) = self.limits.idle {
            if now >= head_timer::deadline(self.last_read, limit) {
                return Some(Error::timeout(
                    Deadline::Idle,
                    format!("no data for {limit:?} (idle timeout)"),
                ));
            }
        }
        None
    }

    /// Waits for a deadline: `Ready` with its error once one has passed.
    /// Arms the timer at the first wait.
    pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Error> {
        if self.timer.is_none() {
            return Poll::Pending;
        }
        if !self.armed {
            self.armed = true;
            self.rearm();
        }
        loop {
            let Some(timer) = &mut self.timer else {
                return Poll::Pending;
            };
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            if let Some(error) = self.passed(Instant::now()) {
                return Poll::Ready(error);
            }
            // The earliest deadline moved on since the timer was set.
            self.rearm();
        }
    }

    /// Lets go of the timer (the stream ended).
    pub(super) fn release(&mut self) {
        self.timer = None;
    }
}
