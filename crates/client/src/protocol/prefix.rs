//! The first bytes of a body, kept until its first event.
//!
//! A server that ignores `stream: true` may answer an error with a bare JSON
//! object under `text/event-stream` (go-openai's
//! `TestCreateChatCompletionStreamError`): no event ever comes, and at the
//! end of the body those bytes are the error. They are kept by reference
//! (the frames as received, no copy) up to [`PREFIX_CAP`] bytes, and dropped
//! at the first event. The first frame has a slot of its own, so the usual
//! stream — its first frame holds an event — keeps nothing on the heap.

use bytes::Bytes;

/// How much of the body is kept until the first event.
pub(crate) const PREFIX_CAP: usize = 64 * 1024;

/// The body's first frames, until the first event or [`PREFIX_CAP`] bytes.
#[derive(Debug)]
pub(crate) struct Prefix {
    first: Option<Bytes>,
    rest: Vec<Bytes>,
    held: usize,
    /// Still keeping (no event yet, under the cap).
    on: bool,
}

impl Prefix {
    /// Keeping, nothing kept yet.
    pub(crate) fn new() -> Self {
        Prefix {
            first: None,
            rest: Vec::new(),
            held: 0,
            on: true,
        }
    }

    /// Keeps a frame (a reference to it), or stops keeping if it would pass
    /// the cap.
    pub(crate) fn push(&mut self, data: &Bytes) {
        if !self.on {
            return;
        }
        if self.held + data.len() > PREFIX_CAP {
            self.stop();
            return;
        }
        self.held += data.len();
        if self.first.is_none() {
            self.first = Some(data.clone());
        } else {
            self.rest.push(data.clone());
        }
    }

    /// Stops keeping and lets go of what was kept.
    pub(crate) fn stop(&mut self) {
        if self.on {
            self.on = false;
            self.first = None;
            self.rest = Vec::new();
        }
    }

    /// What was kept, as one buffer (`None` if keeping stopped), and stops.
    pub(crate) fn take(&mut self) -> Option<Bytes> {
        if !self.on {
            return None;
        }
        let kept = match (self.first.take(), self.rest.is_empty()) {
            (Some(first), true) => first,
            (first, _) => {
                let mut all = Vec::with_capacity(self.held);
                for frame in first.iter().chain(&self.rest) {
                    all.extend_from_slice(frame);
                }
                Bytes::from(all)
            }
        };
        self.stop();
        Some(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_come_back_joined_in_order() {
        let mut prefix = Prefix::new();
        for frame in ["{\"error\":", "{\"message\":\"no\"", "}}"] {
            prefix.push(&Bytes::from_static(frame.as_bytes()));
        }
        assert_eq!(
            prefix.take().as_deref(),
            Some(&b"{\"error\":{\"message\":\"no\"}}"[..])
        );
        assert_eq!(prefix.take(), None, "taking stops keeping");
    }

    #[test]
    fn one_frame_comes_back_as_it_is() {
        let frame = Bytes::from_static(b"{\"error\":{}}");
        let mut prefix = Prefix::new();
        prefix.push(&frame);
        let kept = prefix.take();
        assert_eq!(kept.as_deref().map(<[u8]>::as_ptr), Some(frame.as_ptr()));
    }

    #[test]
    fn nothing_kept_is_an_empty_body() {
        assert_eq!(Prefix::new().take().as_deref(), Some(&b""[..]));
    }

    #[test]
    fn an_event_or_the_cap_stops_keeping() {
        let mut prefix = Prefix::new();
        prefix.push(&Bytes::from_static(b"data: {}"));
        prefix.stop();
        prefix.push(&Bytes::from_static(b"more"));
        assert_eq!(prefix.take(), None);

        let mut prefix = Prefix::new();
        prefix.push(&Bytes::from(vec![b' '; PREFIX_CAP]));
        prefix.push(&Bytes::from_static(b"!"));
        assert_eq!(prefix.take(), None);
    }
}
