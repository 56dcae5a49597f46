//! The paced synthetic mode of `mock-server`: streams that arrive the way a
//! model writes them, for the load benchmark (`cargo xtask load`).
//!
//! A model does not send its answer at once: it sends a role chunk, then a
//! few tokens at a time tens of milliseconds apart, then a chunk with the
//! `finish_reason`, then `data: [DONE]`. Between the pieces a client holds
//! an open, idle connection — and what one idle connection costs is what
//! decides how many streams a process can hold. So each request here gets:
//!
//! - the response head at once (`text/event-stream`; over HTTP/1.1 chunked,
//!   over HTTP/2 a stream's DATA frames, see the `http2` module);
//! - after a random delay below one interval (so that 10,000 streams do not
//!   all wake in the same millisecond), the role chunk;
//! - after the **hold** (default: one interval), the second chunk — a long
//!   hold keeps every stream idle after its first chunk while the client
//!   measures its memory;
//! - then one chunk per interval: content pieces, and last a chunk with
//!   `finish_reason: "stop"`, followed at once by `data: [DONE]` and the end
//!   of the chunked body.
//!
//! Over HTTP/1.1 every event is one HTTP chunk and one socket write (and a
//! flush, which sends the TLS record at once with `--tls`); over HTTP/2 it
//! is one body frame. Both forms are built once at start-up and shared by
//! every stream, so the server costs a timer and a `write` per chunk: on a
//! two-core machine the client being measured gets the rest. Deadlines are
//! absolute (`start + k × interval`), so a server that falls behind catches
//! up instead of drifting.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, sleep_until};

use crate::stats::Stats;

/// The tokens the content chunks carry, in turn (one to three words each,
/// like a tokenizer's pieces).
const PIECES: &[&str] = &[
    "The",
    " quick",
    " brown",
    " fox",
    " jumps over",
    " the lazy",
    " dog",
    ".",
    " Streaming",
    " keeps",
    " the connection",
    " open",
    " between",
    " tokens",
    ",",
    " so",
    " each",
    " idle",
    " stream",
    " costs",
    " memory",
    " while",
    " it",
    " waits",
    ".\n\n",
];

/// The command-line settings of the paced mode.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    /// Chunks per stream, the role and the final chunk included (≥ 2).
    pub(crate) chunks: usize,
    /// The time between two chunks.
    pub(crate) interval: Duration,
    /// The time between the first chunk and the second (default: the
    /// interval).
    pub(crate) hold: Option<Duration>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            chunks: 200,
            interval: Duration::from_millis(100),
            hold: None,
        }
    }
}

/// The ready-made writes of a paced stream, shared by every request.
#[derive(Debug)]
pub(crate) struct Paced {
    /// The HTTP/1.1 response head.
    head: Bytes,
    /// One HTTP/1.1 write per chunk event, each an HTTP chunk.
    events: Vec<Bytes>,
    /// `data: [DONE]` as an HTTP chunk, then the chunked body's end.
    done: Bytes,
    /// The chunk events alone (`data: {…}\n\n`): the HTTP/2 body frames.
    payloads: Vec<Bytes>,
    /// `data: [DONE]\n\n` alone.
    done_payload: Bytes,
    interval: Duration,
    /// The time between the first chunk and the second.
    gap: Duration,
}

impl Paced {
    /// The writes for `settings`, with `head` (status line and headers, less
    /// the framing header and the blank line) as the response head.
    pub(crate) fn new(settings: Settings, head: &str) -> Paced {
        let count = settings.chunks.max(2);
        let payloads: Vec<Bytes> = (0..count)
            .map(|k| {
                // OpenAI's field order (serde_json's `json!` would sort the
                // keys), so the client parses what it parses in production.
                let (delta, finish) = if k == 0 {
                    (r#"{"role":"assistant","content":""}"#.to_owned(), "null")
                } else if k + 1 == count {
                    ("{}".to_owned(), r#""stop""#)
                } else {
                    let piece = serde_json::Value::from(PIECES[(k - 1) % PIECES.len()]);
                    (format!(r#"{{"content":{piece}}}"#), "null")
                };
                let chunk = format!(
                    r#"{{"id":"chatcmpl-paced","object":"chat.completion.chunk","created":1700000000,"model":"paced-model","system_fingerprint":"fp_paced","choices":[{{"index":0,"delta":{delta},"logprobs":null,"finish_reason":{finish}}}]}}"#
                );
                Bytes::from(format!("data: {chunk}\n\n"))
            })
            .collect();
        let done_payload = Bytes::from_static(b"data: [DONE]\n\n");
        Paced {
            head: Bytes::from(format!("{head}transfer-encoding: chunked\r\n\r\n")),
            events: payloads.iter().map(|p| http_chunk(p, false)).collect(),
            done: http_chunk(&done_payload, true),
            payloads,
            done_payload,
            interval: settings.interval,
            gap: settings.hold.unwrap_or(settings.interval),
        }
    }

    /// The chunk events of a stream alone, in order (the HTTP/2 body).
    pub(crate) fn payloads(&self) -> &[Bytes] {
        &self.payloads
    }

    /// `data: [DONE]\n\n`, the last of the HTTP/2 body.
    pub(crate) fn done_payload(&self) -> &Bytes {
        &self.done_payload
    }

    /// When the first chunk of stream `number` (counted from 0 since
    /// start-up) starting now is due: after a delay below one interval that
    /// spreads the streams' wake-ups.
    pub(crate) fn first_due(&self, number: u64) -> Instant {
        Instant::now() + jitter(number, self.interval)
    }

    /// When chunk `k` of a stream whose first chunk is due at `first` is
    /// due.
    pub(crate) fn deadline(&self, first: Instant, k: usize) -> Instant {
        match k {
            0 => first,
            _ => first + self.gap + self.interval.saturating_mul(saturating_u32(k - 1)),
        }
    }

    /// Writes one paced stream to `stream` as an HTTP/1.1 response (the
    /// request was read), counting in `stats` what was written.
    pub(crate) async fn serve<W>(&self, stream: &mut W, stats: &Stats) -> std::io::Result<()>
    where
        W: AsyncWrite + Unpin,
    {
        let number = stats
            .streams_started
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let outcome = self.write(stream, stats, number).await;
        match outcome {
            Ok(()) => Stats::bump(&stats.streams_finished),
            Err(_) => Stats::bump(&stats.streams_aborted),
        }
        outcome
    }

    async fn write<W>(&self, stream: &mut W, stats: &Stats, number: u64) -> std::io::Result<()>
    where
        W: AsyncWrite + Unpin,
    {
        stream.write_all(&self.head).await?;
        stream.flush().await?;
        let first = self.first_due(number);
        for (k, event) in self.events.iter().enumerate() {
            sleep_until(self.deadline(first, k)).await;
            stream.write_all(event).await?;
            stream.flush().await?;
            Stats::bump(&stats.chunks_sent);
        }
        stream.write_all(&self.done).await?;
        stream.flush().await
    }
}

/// `payload` as one chunk of the chunked encoding, followed by the
/// zero-size last chunk when `last`.
fn http_chunk(payload: &[u8], last: bool) -> Bytes {
    let mut write = BytesMut::with_capacity(payload.len() + 16);
    write.extend_from_slice(format!("{:x}\r\n", payload.len()).as_bytes());
    write.extend_from_slice(payload);
    write.extend_from_slice(b"\r\n");
    if last {
        write.extend_from_slice(b"0\r\n\r\n");
    }
    write.freeze()
}

/// A delay below `interval`, the same for the same stream `number` and
/// spread evenly over the interval across numbers (splitmix64: no random
/// number crate, and a run can be repeated exactly).
fn jitter(number: u64, interval: Duration) -> Duration {
    let nanos = u64::try_from(interval.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    let mut z = number.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    Duration::from_nanos(z % nanos)
}

fn saturating_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatstream_sse::Decoder;
    use chatstream_types::{ChunkParser, StreamPayload};

    /// The body of a stream: the chunked framing taken off the writes.
    fn body(paced: &Paced) -> Vec<u8> {
        let mut body = Vec::new();
        for write in paced.events.iter().chain([&paced.done]) {
            let text = std::str::from_utf8(write).unwrap();
            let (size, rest) = text.split_once("\r\n").unwrap();
            let size = usize::from_str_radix(size, 16).unwrap();
            body.extend_from_slice(&rest.as_bytes()[..size]);
            assert_eq!(&rest.as_bytes()[size..size + 2], b"\r\n");
        }
        assert!(paced.done.ends_with(b"\r\n0\r\n\r\n"));
        body
    }

    #[test]
    fn a_stream_is_role_content_finish_then_done() {
        let settings = Settings {
            chunks: 40,
            ..Settings::default()
        };
        let paced = Paced::new(settings, "HTTP/1.1 200 OK\r\n");
        assert!(paced.head.ends_with(b"transfer-encoding: chunked\r\n\r\n"));
        let mut decoder = Decoder::new();
        let mut parser = ChunkParser::new();
        decoder.feed(body(&paced));
        let mut events = Vec::new();
        while let Some(event) = decoder.next_event().unwrap() {
            events.push(event);
        }
        assert_eq!(events.len(), 41);
        let mut text = String::new();
        for (k, event) in events.iter().enumerate() {
            if k < 40 {
                // Valid JSON, in OpenAI's field order.
                let json: serde_json::Value = serde_json::from_str(event.data()).unwrap();
                assert_eq!(json["object"], "chat.completion.chunk");
                assert!(
                    event
                        .data()
                        .starts_with(r#"{"id":"chatcmpl-paced","object""#)
                );
            }
            let chunk = match parser.parse_payload(event.data().as_bytes()).unwrap() {
                StreamPayload::Chunk(chunk) => chunk,
                StreamPayload::Done => {
                    assert_eq!(k, 40);
                    continue;
                }
                StreamPayload::Error(error) => panic!("error event {error:?}"),
            };
            let choice = &chunk.choices[0];
            assert_eq!(choice.delta.role.is_some(), k == 0, "chunk {k}");
            assert_eq!(choice.finish_reason.is_some(), k == 39, "chunk {k}");
            text.push_str(&choice.delta.content_text().unwrap_or_default());
        }
        assert!(text.starts_with("The quick brown fox"), "{text}");
        // The HTTP/2 body is the same bytes without the chunked framing.
        let bare: Vec<u8> = paced
            .payloads()
            .iter()
            .chain([paced.done_payload()])
            .flat_map(|payload| payload.to_vec())
            .collect();
        assert_eq!(bare, body(&paced));
    }

    #[test]
    fn chunks_are_paced_after_the_hold() {
        let paced = Paced::new(
            Settings {
                chunks: 5,
                interval: Duration::from_millis(10),
                hold: Some(Duration::from_secs(3)),
            },
            "",
        );
        let first = Instant::now();
        let due: Vec<Duration> = (0..5).map(|k| paced.deadline(first, k) - first).collect();
        let ms = Duration::from_millis;
        assert_eq!(due, [ms(0), ms(3000), ms(3010), ms(3020), ms(3030)]);
        let unheld = Paced::new(
            Settings {
                hold: None,
                ..Settings::default()
            },
            "",
        );
        assert_eq!(unheld.deadline(first, 1) - first, ms(100));
        assert_eq!(unheld.deadline(first, 2) - first, ms(200));
    }

    #[test]
    fn jitter_is_below_the_interval_and_spread() {
        let interval = Duration::from_millis(100);
        let delays: Vec<Duration> = (0..1000).map(|n| jitter(n, interval)).collect();
        assert!(delays.iter().all(|d| *d < interval));
        let early = delays.iter().filter(|d| **d < interval / 2).count();
        assert!(
            (400..600).contains(&early),
            "{early} of 1000 in the first half"
        );
        assert_eq!(jitter(7, interval), jitter(7, interval));
        assert_eq!(jitter(7, Duration::ZERO), Duration::ZERO);
    }
}
