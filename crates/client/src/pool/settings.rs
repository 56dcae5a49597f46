//! [`FirstSettings`]: reads the server's first HTTP/2 frame for the one
//! value the pool needs, `SETTINGS_MAX_CONCURRENT_STREAMS`.
//!
//! hyper does not say how many streams a server allows on a connection, yet
//! the pool must know it to open another connection *before* a request
//! would queue behind the limit. The value is in the server's connection
//! preface, which RFC 9113 §3.4 requires to be a SETTINGS frame and the
//! first frame the server sends; this decoder is fed the first bytes the
//! server sends (after TLS), byte slices of any size, and answers once that
//! frame is complete. It is sans-I/O, holds no buffer (a frame header of
//! nine bytes and one six-byte setting at most) and never fails: a first
//! frame that is not SETTINGS is a protocol error hyper reports on its own,
//! and is answered here as the most conservative limit.

/// The SETTINGS frame type (RFC 9113 §6.5).
const SETTINGS: u8 = 0x4;
/// The identifier of `SETTINGS_MAX_CONCURRENT_STREAMS` (RFC 9113 §6.5.2).
const MAX_CONCURRENT_STREAMS: u16 = 0x3;
/// A frame header: length (3 bytes), type, flags, stream identifier (4).
const HEADER: usize = 9;
/// One setting: identifier (2 bytes), value (4).
const ENTRY: usize = 6;

/// What the server's first frame says about concurrent streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StreamLimit {
    /// The server set `SETTINGS_MAX_CONCURRENT_STREAMS` to this value.
    Limited(u32),
    /// The server's SETTINGS did not name a limit: unlimited (RFC 9113
    /// §6.5.2's initial value).
    Unlimited,
}

/// The decoder: fed bytes until it answers.
#[derive(Debug, Default)]
pub(crate) struct FirstSettings {
    header: [u8; HEADER],
    header_len: usize,
    /// Payload bytes of the SETTINGS frame not yet fed.
    payload_left: usize,
    entry: [u8; ENTRY],
    entry_len: usize,
    limit: Option<u32>,
}

impl FirstSettings {
    /// Feeds the next bytes the server sent. `Some` once the first frame is
    /// complete; bytes after it are not looked at, and the decoder must not
    /// be fed again.
    pub(crate) fn feed(&mut self, mut bytes: &[u8]) -> Option<StreamLimit> {
        if self.header_len < HEADER {
            let take = (HEADER - self.header_len).min(bytes.len());
            let (head, rest) = bytes.split_at(take);
            self.header[self.header_len..self.header_len + take].copy_from_slice(head);
            self.header_len += take;
            bytes = rest;
            if self.header_len < HEADER {
                return None;
            }
            if self.header[3] != SETTINGS {
                // Not a connection preface: hyper fails the connection; until
                // it does, nothing more is sent on it.
                return Some(StreamLimit::Limited(0));
            }
            let [a, b, c] = [self.header[0], self.header[1], self.header[2]];
            self.payload_left = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
        }
        let take = self.payload_left.min(bytes.len());
        for &byte in &bytes[..take] {
            self.entry[self.entry_len] = byte;
            self.entry_len += 1;
            if self.entry_len == ENTRY {
                self.entry_len = 0;
                let [i0, i1, v0, v1, v2, v3] = self.entry;
                if u16::from_be_bytes([i0, i1]) == MAX_CONCURRENT_STREAMS {
                    self.limit = Some(u32::from_be_bytes([v0, v1, v2, v3]));
                }
            }
        }
        self.payload_left -= take;
        let limit = match self.limit {
            Some(limit) => StreamLimit::Limited(limit),
            None => StreamLimit::Unlimited,
        };
        (self.payload_left == 0).then_some(limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let len = payload.len();
        let mut out = vec![
            (len >> 16) as u8,
            (len >> 8) as u8,
            len as u8,
            kind,
            0,
            0,
            0,
            0,
            0,
        ];
        out.extend_from_slice(payload);
        out
    }

    fn setting(id: u16, value: u32) -> Vec<u8> {
        let mut out = id.to_be_bytes().to_vec();
        out.extend_from_slice(&value.to_be_bytes());
        out
    }

    /// A SETTINGS frame (header table size, then the limit, then the initial
    /// window) followed by a WINDOW_UPDATE, fed in every split of two and
    /// one byte at a time: the answer is the same and comes exactly at the
    /// frame's last byte.
    #[test]
    fn reads_the_limit_however_the_bytes_are_cut() {
        let mut payload = setting(0x1, 4096);
        payload.extend(setting(MAX_CONCURRENT_STREAMS, 10));
        payload.extend(setting(0x4, 65_535));
        let settings = frame(SETTINGS, &payload);
        let mut wire = settings.clone();
        wire.extend(frame(0x8, &[0, 0, 0x10, 0]));
        for cut in 0..=wire.len() {
            let mut decoder = FirstSettings::default();
            let (a, b) = wire.split_at(cut);
            let answer = decoder.feed(a).or_else(|| decoder.feed(b));
            assert_eq!(answer, Some(StreamLimit::Limited(10)), "cut at {cut}");
        }
        let mut decoder = FirstSettings::default();
        for (i, byte) in settings.iter().enumerate() {
            let answer = decoder.feed(std::slice::from_ref(byte));
            let last = i + 1 == settings.len();
            assert_eq!(answer.is_some(), last, "byte {i}");
        }
    }

    #[test]
    fn no_limit_named_is_unlimited_and_the_last_value_wins() {
        let mut decoder = FirstSettings::default();
        assert_eq!(
            decoder.feed(&frame(SETTINGS, &setting(0x4, 1 << 20))),
            Some(StreamLimit::Unlimited)
        );
        let mut decoder = FirstSettings::default();
        assert_eq!(
            decoder.feed(&frame(SETTINGS, &[])),
            Some(StreamLimit::Unlimited)
        );
        let mut payload = setting(MAX_CONCURRENT_STREAMS, 1000);
        payload.extend(setting(MAX_CONCURRENT_STREAMS, 3));
        let mut decoder = FirstSettings::default();
        assert_eq!(
            decoder.feed(&frame(SETTINGS, &payload)),
            Some(StreamLimit::Limited(3))
        );
    }

    /// Whatever the server sends first, the decoder answers without panic:
    /// another frame type at once, a truncated setting when the frame's
    /// length is not a multiple of six, a length of 16 MiB fed in pieces.
    #[test]
    fn odd_first_frames_are_answered_without_panic() {
        let mut decoder = FirstSettings::default();
        assert_eq!(
            decoder.feed(&frame(0x0, b"hello")),
            Some(StreamLimit::Limited(0))
        );
        let mut decoder = FirstSettings::default();
        assert_eq!(
            decoder.feed(&frame(SETTINGS, &[0, 3, 0, 0])),
            Some(StreamLimit::Unlimited)
        );
        let mut decoder = FirstSettings::default();
        assert_eq!(
            decoder.feed(&[0xff, 0xff, 0xff, SETTINGS, 0, 0, 0, 0, 0]),
            None
        );
        let piece = vec![0u8; 1 << 16];
        let answered_at = (1..=256).find(|_| decoder.feed(&piece).is_some());
        assert_eq!(answered_at, Some(256));
    }
}
