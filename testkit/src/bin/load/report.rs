//! The figures of a load run: the verdict, the table, the JSON.
//!
//! The verdict is about correctness only — every stream ended with
//! `[DONE]`, every chunk the server wrote arrived, all streams were open at
//! once, the run spoke the protocol it asked for. Memory is a figure to read
//! against its target (per idle open stream: 16 KiB over HTTP/1.1, where
//! every stream has a connection of its own; 8 KiB over HTTP/2, where
//! streams share them), not a pass/fail: it depends on the allocator and
//! the kernel as much as on the client.
//!
//! "All open at once" is checked twice. At the idle point every stream must
//! be open; and the **first-chunk spread** — from the first stream's first
//! chunk to the last stream's — must stay under [`FIRST_CHUNK_SPREAD_LIMIT`].
//! The server sends each stream's first chunk within one interval of its
//! request, so a wide spread means requests waited for other streams to
//! end before they were sent: what happens when a client multiplexes every
//! stream over one HTTP/2 connection and the server allows fewer streams
//! per connection than there are. The streams still complete, in waves, so
//! only this figure (and the wall time) shows it.
//!
//! The protocol is the server's count (the client's stream does not expose
//! the HTTP version it negotiated): how many connections it accepted during
//! the run, how many spoke HTTP/2 and how many TLS.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::server::ServerStats;
use chatstream_testkit::load_targets;
use chatstream_testkit::process::Memory;

/// The widest first-chunk spread of a run whose streams were all open at
/// once (opening 10,000 HTTP/1.1 streams takes about 1 s here, and the
/// server adds less than one interval).
pub(crate) const FIRST_CHUNK_SPREAD_LIMIT: Duration = Duration::from_secs(2);

/// The protocol a run asked for (of a server it started itself).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Asked {
    /// HTTP/2: every connection must speak it; otherwise none may.
    pub(crate) http2: bool,
    /// TLS: every connection must speak it; otherwise none may.
    pub(crate) tls: bool,
    /// The server's limit of streams open at once on one HTTP/2 connection.
    pub(crate) max_concurrent_streams: u32,
}

/// Everything a run measured.
#[derive(Debug, Default)]
pub(crate) struct Results {
    /// Which client read the streams (`chatstream`, or the bare floor).
    pub(crate) client: &'static str,
    /// Streams opened.
    pub(crate) streams: u64,
    /// Chunks each stream should deliver.
    pub(crate) chunks_per_stream: u64,
    /// At most this many streams waited for their response head at once.
    pub(crate) open_concurrency: usize,
    /// The protocol asked for (`None`: a server started elsewhere, whose
    /// protocol is reported but not checked).
    pub(crate) asked: Option<Asked>,
    /// From the first stream's first chunk to the last stream's (`None`: no
    /// stream received a chunk).
    pub(crate) first_chunk_spread: Option<Duration>,
    /// Chunks the client delivered, all streams together.
    pub(crate) delivered: u64,
    /// Streams that ended with `[DONE]` after exactly `chunks_per_stream`
    /// chunks.
    pub(crate) streams_complete: u64,
    /// Streams that failed, or ended any other way.
    pub(crate) streams_failed: u64,
    /// Failures by kind (`connect`, `timeout`, `truncated`, `short`, …).
    pub(crate) errors: BTreeMap<String, u64>,
    /// What the server says it did during the run.
    pub(crate) server: ServerStats,
    /// Streams open (response head received, not yet ended) at the idle
    /// point.
    pub(crate) open_at_idle: u64,
    /// Streams that had already received a second chunk at the idle point
    /// (0 when the server's hold was long enough).
    pub(crate) past_first_at_idle: u64,
    /// File descriptors of this process at the idle point.
    pub(crate) descriptors_at_idle: usize,
    /// Memory before the first stream was opened.
    pub(crate) baseline: Memory,
    /// Memory when every stream was open and had received its first chunk.
    pub(crate) at_idle: Memory,
    /// Memory once every stream had ended.
    pub(crate) at_end: Memory,
    /// From the first stream opened to the idle point.
    pub(crate) open_time: Duration,
    /// From the first stream opened to the last one ended.
    pub(crate) wall: Duration,
}

impl Results {
    /// `streams × chunks_per_stream`.
    pub(crate) fn expected(&self) -> u64 {
        self.streams * self.chunks_per_stream
    }

    /// Resident memory per idle open stream above the baseline, in bytes.
    pub(crate) fn bytes_per_idle_stream(&self) -> f64 {
        let above = self.at_idle.rss.saturating_sub(self.baseline.rss);
        above as f64 / self.streams.max(1) as f64
    }

    /// The protocol the server saw: `HTTP/2 over TLS`, `HTTP/1.1`, or a
    /// mix.
    pub(crate) fn protocol(&self) -> String {
        let server = &self.server;
        let all = server.connections;
        let version = match server.connections_h2 {
            _ if all == 0 => return "none (no connection)".to_owned(),
            0 => "HTTP/1.1".to_owned(),
            h2 if h2 == all => "HTTP/2".to_owned(),
            h2 => format!("mixed ({h2} of {all} connections HTTP/2)"),
        };
        match server.connections_tls {
            0 => version,
            tls if tls == all => format!("{version} over TLS"),
            tls => format!("{version}, {tls} of {all} connections TLS"),
        }
    }

    /// Whether the streams' first chunks were further apart than
    /// [`FIRST_CHUNK_SPREAD_LIMIT`].
    fn spread_too_wide(&self) -> bool {
        self.first_chunk_spread
            .is_some_and(|spread| spread > FIRST_CHUNK_SPREAD_LIMIT)
    }

    /// Whether a wide spread fails the run: over HTTP/2 (or against a server
    /// started elsewhere), where it means streams queued behind others. Over
    /// HTTP/1.1 every stream has a connection of its own and cannot queue;
    /// the spread is the time to open 10,000 connections (with TLS, 10,000
    /// handshakes on both sides of a two-core machine: over 2 s), reported
    /// with a warning.
    fn spread_is_checked(&self) -> bool {
        self.asked.is_none_or(|asked| asked.http2)
    }

    /// What makes the run a failure (empty: it passed).
    pub(crate) fn failures(&self) -> Vec<String> {
        let mut failures = self.delivery_failures();
        failures.extend(self.concurrency_failures());
        failures.extend(self.protocol_failure());
        failures
    }

    /// Chunks lost, streams failed.
    fn delivery_failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        if self.delivered != self.expected() {
            failures.push(format!(
                "{} chunks delivered, {} expected",
                self.delivered,
                self.expected()
            ));
        }
        if self.server.chunks_sent != self.delivered {
            failures.push(format!(
                "the server sent {} chunks, the client delivered {}",
                self.server.chunks_sent, self.delivered
            ));
        }
        if self.streams_failed > 0 {
            failures.push(format!(
                "{} of {} streams failed: {:?}",
                self.streams_failed, self.streams, self.errors
            ));
        }
        if self.server.streams_finished != self.streams {
            failures.push(format!(
                "the server finished {} of {} streams ({} aborted)",
                self.server.streams_finished, self.streams, self.server.streams_aborted
            ));
        }
        failures
    }

    /// Streams that were not all open at once.
    fn concurrency_failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        if self.spread_too_wide() && self.spread_is_checked() {
            let spread = self.first_chunk_spread.unwrap_or_default();
            failures.push(format!(
                "the first chunks of the streams arrived over {:.2} s (limit {} s): streams \
                 waited for others to end before they were sent (the server accepted {} \
                 connection(s) for {} streams)",
                spread.as_secs_f64(),
                FIRST_CHUNK_SPREAD_LIMIT.as_secs(),
                self.server.connections,
                self.streams
            ));
        }
        if self.open_at_idle != self.streams && self.streams_failed == 0 {
            let hint = if self.spread_too_wide() && self.spread_is_checked() {
                "see the first-chunk spread"
            } else {
                "raise --hold-ms"
            };
            failures.push(format!(
                "only {} of {} streams were open at once: {hint}",
                self.open_at_idle, self.streams
            ));
        }
        failures
    }

    /// A protocol other than the one asked for.
    fn protocol_failure(&self) -> Option<String> {
        let asked = self.asked?;
        let all = self.server.connections;
        let want = |yes: bool| if yes { all } else { 0 };
        let server = &self.server;
        if server.connections_h2 == want(asked.http2) && server.connections_tls == want(asked.tls) {
            return None;
        }
        Some(format!(
            "asked for {}{}, the server saw {}",
            if asked.http2 { "HTTP/2" } else { "HTTP/1.1" },
            if asked.tls { " over TLS" } else { "" },
            self.protocol()
        ))
    }

    /// What makes the memory figure doubtful.
    pub(crate) fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.past_first_at_idle > 0 {
            warnings.push(format!(
                "{} streams had received their second chunk at the idle point: raise --hold-ms \
                 above the opening time ({:.1} s)",
                self.past_first_at_idle,
                self.open_time.as_secs_f64()
            ));
        }
        if self.spread_too_wide() && !self.spread_is_checked() {
            warnings.push(format!(
                "the first chunks arrived over {:.2} s (over HTTP/1.1 the time to open every \
                 connection; not checked)",
                self.first_chunk_spread.unwrap_or_default().as_secs_f64()
            ));
        }
        warnings
    }

    /// The memory target of one idle open stream for the protocol asked for.
    pub(crate) fn target_bytes_per_stream(&self) -> u64 {
        load_targets::bytes_per_stream(self.asked.is_some_and(|asked| asked.http2))
    }

    /// The human-readable table.
    pub(crate) fn table(&self) -> String {
        let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
        let per_stream = self.bytes_per_idle_stream();
        let target = if per_stream <= self.target_bytes_per_stream() as f64 {
            "met"
        } else {
            "NOT met"
        };
        let errors = if self.errors.is_empty() {
            "none".to_owned()
        } else {
            self.errors
                .iter()
                .map(|(kind, n)| format!("{kind} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let spread = match self.first_chunk_spread {
            Some(spread) => format!(
                "{:.2} s (limit {} s)",
                spread.as_secs_f64(),
                FIRST_CHUNK_SPREAD_LIMIT.as_secs()
            ),
            None => "none (no chunk)".to_owned(),
        };
        let rows = [
            ("client", self.client.to_owned()),
            ("protocol (server's count)", self.protocol()),
            ("streams", format!("{}", self.streams)),
            ("chunks per stream", format!("{}", self.chunks_per_stream)),
            ("chunks expected", format!("{}", self.expected())),
            (
                "chunks sent (server)",
                format!("{}", self.server.chunks_sent),
            ),
            ("chunks delivered", format!("{}", self.delivered)),
            (
                "chunks lost",
                format!("{}", self.expected().saturating_sub(self.delivered)),
            ),
            (
                "streams complete ([DONE])",
                format!("{}", self.streams_complete),
            ),
            ("streams failed", format!("{}", self.streams_failed)),
            ("errors", errors),
            (
                "open at the idle point",
                format!(
                    "{} streams, {} descriptors",
                    self.open_at_idle, self.descriptors_at_idle
                ),
            ),
            (
                "connections (server)",
                format!("{}", self.server.connections),
            ),
            ("first-chunk spread", spread),
            (
                "time to open all",
                format!("{:.2} s", self.open_time.as_secs_f64()),
            ),
            ("wall time", format!("{:.2} s", self.wall.as_secs_f64())),
            ("RSS baseline", format!("{:.1} MiB", mib(self.baseline.rss))),
            (
                "RSS all open, idle",
                format!("{:.1} MiB", mib(self.at_idle.rss)),
            ),
            ("RSS at the end", format!("{:.1} MiB", mib(self.at_end.rss))),
            (
                "peak RSS (VmHWM)",
                format!("{:.1} MiB", mib(self.at_end.peak)),
            ),
            (
                "RSS per idle open stream",
                format!(
                    "{:.1} KiB (target ≤ {} KiB: {target})",
                    per_stream / 1024.0,
                    self.target_bytes_per_stream() / 1024
                ),
            ),
        ];
        let mut table = String::new();
        for (name, value) in rows {
            let _ = writeln!(table, "  {name:<27} {value}");
        }
        table
    }

    /// The machine-readable results.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "client": self.client,
            "protocol": self.protocol(),
            "http2": self.asked.map(|asked| asked.http2),
            "tls": self.asked.map(|asked| asked.tls),
            "max_concurrent_streams": self
                .asked
                .filter(|asked| asked.http2)
                .map(|asked| asked.max_concurrent_streams),
            "streams": self.streams,
            "chunks_per_stream": self.chunks_per_stream,
            "open_concurrency": self.open_concurrency,
            "chunks_expected": self.expected(),
            "chunks_sent_by_server": self.server.chunks_sent,
            "chunks_delivered": self.delivered,
            "chunks_lost": self.expected().saturating_sub(self.delivered),
            "streams_complete": self.streams_complete,
            "streams_failed": self.streams_failed,
            "errors": self.errors,
            "server": {
                "connections": self.server.connections,
                "connections_h2": self.server.connections_h2,
                "connections_tls": self.server.connections_tls,
                "streams_started": self.server.streams_started,
                "streams_finished": self.server.streams_finished,
                "streams_aborted": self.server.streams_aborted,
            },
            "open_at_idle": self.open_at_idle,
            "past_first_chunk_at_idle": self.past_first_at_idle,
            "descriptors_at_idle": self.descriptors_at_idle,
            "open_seconds": self.open_time.as_secs_f64(),
            "first_chunk_spread_seconds": self.first_chunk_spread.map(|s| s.as_secs_f64()),
            "wall_seconds": self.wall.as_secs_f64(),
            "rss_baseline_bytes": self.baseline.rss,
            "rss_idle_bytes": self.at_idle.rss,
            "rss_end_bytes": self.at_end.rss,
            "peak_rss_bytes": self.at_end.peak,
            "rss_per_idle_stream_bytes": self.bytes_per_idle_stream(),
            "target_bytes_per_stream": self.target_bytes_per_stream(),
            "target_met": self.bytes_per_idle_stream() <= self.target_bytes_per_stream() as f64,
            "failures": self.failures(),
            "warnings": self.warnings(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passing() -> Results {
        Results {
            streams: 10,
            chunks_per_stream: 5,
            delivered: 50,
            streams_complete: 10,
            server: ServerStats {
                connections: 10,
                streams_started: 10,
                streams_finished: 10,
                streams_aborted: 0,
                chunks_sent: 50,
                ..ServerStats::default()
            },
            asked: Some(Asked::default()),
            first_chunk_spread: Some(Duration::from_millis(150)),
            open_at_idle: 10,
            baseline: Memory {
                rss: 1 << 20,
                peak: 1 << 20,
            },
            at_idle: Memory {
                rss: (1 << 20) + 10 * 8192,
                peak: 2 << 20,
            },
            ..Results::default()
        }
    }

    #[test]
    fn a_complete_run_passes_and_is_measured_per_stream() {
        let results = passing();
        assert!(results.failures().is_empty(), "{:?}", results.failures());
        assert_eq!(results.bytes_per_idle_stream(), 8192.0);
        assert_eq!(results.json()["target_met"], true);
        assert!(results.table().contains("8.0 KiB (target ≤ 16 KiB: met)"));
        assert_eq!(results.protocol(), "HTTP/1.1");
        assert_eq!(results.json()["first_chunk_spread_seconds"], 0.15);
    }

    #[test]
    fn streams_that_waited_for_others_fail_the_run() {
        let mut results = passing();
        results.asked = Some(Asked {
            http2: true,
            ..Asked::default()
        });
        results.server.connections_h2 = results.server.connections;
        results.first_chunk_spread = Some(Duration::from_millis(2500));
        results.open_at_idle = 4;
        let failures = results.failures();
        assert_eq!(failures.len(), 2, "{failures:?}");
        assert!(failures[0].contains("2.50 s"), "{failures:?}");
        assert!(
            failures[1].contains("see the first-chunk spread"),
            "{failures:?}"
        );
    }

    /// Over HTTP/1.1 a stream cannot queue behind another: a wide spread is
    /// the time to open the connections, a warning only.
    #[test]
    fn a_wide_spread_over_http1_is_a_warning() {
        let mut results = passing();
        results.first_chunk_spread = Some(Duration::from_millis(2500));
        assert!(results.failures().is_empty(), "{:?}", results.failures());
        assert!(results.warnings().iter().any(|w| w.contains("2.50 s")));
        assert!(results.table().contains("8.0 KiB (target ≤ 16 KiB: met)"));
        results.asked = Some(Asked {
            http2: true,
            ..Asked::default()
        });
        assert!(results.table().contains("8.0 KiB (target ≤ 8 KiB: met)"));
    }

    #[test]
    fn the_protocol_is_the_servers_count_and_must_be_the_one_asked_for() {
        let mut results = passing();
        results.server.connections = 1;
        results.server.connections_h2 = 1;
        results.server.connections_tls = 1;
        assert_eq!(results.protocol(), "HTTP/2 over TLS");
        assert!(results.failures()[0].contains("asked for HTTP/1.1, the server saw HTTP/2"));
        results.asked = Some(Asked {
            http2: true,
            tls: true,
            max_concurrent_streams: 100,
        });
        assert!(results.failures().is_empty(), "{:?}", results.failures());
        assert_eq!(results.json()["max_concurrent_streams"], 100);
        results.server.connections = 3;
        assert_eq!(
            results.protocol(),
            "mixed (1 of 3 connections HTTP/2), 1 of 3 connections TLS"
        );
        results.asked = None;
        assert!(results.failures().is_empty());
    }

    #[test]
    fn lost_chunks_failed_streams_and_a_short_hold_are_reported() {
        let mut results = passing();
        results.delivered = 49;
        assert_eq!(results.failures().len(), 2, "{:?}", results.failures());
        let mut results = passing();
        results.streams_failed = 1;
        results.errors.insert("transport".to_owned(), 1);
        assert!(results.failures()[0].contains("transport"));
        let mut results = passing();
        results.open_at_idle = 9;
        results.past_first_at_idle = 3;
        assert!(results.failures()[0].contains("raise --hold-ms"));
        assert!(results.warnings()[0].contains("3 streams"));
    }
}
