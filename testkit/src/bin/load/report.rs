//! The figures of a load run: the verdict, the table, the JSON.
//!
//! The verdict is about correctness only — every stream ended with
//! `[DONE]`, every chunk the server wrote arrived, all streams were open at
//! once. Memory is a figure to read against its target (16 KiB per idle open
//! stream), not a pass/fail: it depends on the allocator and the kernel as
//! much as on the client.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::server::ServerStats;
use chatstream_testkit::process::Memory;

/// The target for the memory of one idle open stream.
pub(crate) const TARGET_BYTES_PER_STREAM: u64 = 16 * 1024;

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

    /// What makes the run a failure (empty: it passed).
    pub(crate) fn failures(&self) -> Vec<String> {
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
        if self.open_at_idle != self.streams && self.streams_failed == 0 {
            failures.push(format!(
                "only {} of {} streams were open at once: raise --hold-ms",
                self.open_at_idle, self.streams
            ));
        }
        failures
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
        warnings
    }

    /// The human-readable table.
    pub(crate) fn table(&self) -> String {
        let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
        let per_stream = self.bytes_per_idle_stream();
        let target = if per_stream <= TARGET_BYTES_PER_STREAM as f64 {
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
        let rows = [
            ("client", self.client.to_owned()),
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
                    TARGET_BYTES_PER_STREAM / 1024
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
                "streams_started": self.server.streams_started,
                "streams_finished": self.server.streams_finished,
                "streams_aborted": self.server.streams_aborted,
            },
            "open_at_idle": self.open_at_idle,
            "past_first_chunk_at_idle": self.past_first_at_idle,
            "descriptors_at_idle": self.descriptors_at_idle,
            "open_seconds": self.open_time.as_secs_f64(),
            "wall_seconds": self.wall.as_secs_f64(),
            "rss_baseline_bytes": self.baseline.rss,
            "rss_idle_bytes": self.at_idle.rss,
            "rss_end_bytes": self.at_end.rss,
            "peak_rss_bytes": self.at_end.peak,
            "rss_per_idle_stream_bytes": self.bytes_per_idle_stream(),
            "target_bytes_per_stream": TARGET_BYTES_PER_STREAM,
            "target_met": self.bytes_per_idle_stream() <= TARGET_BYTES_PER_STREAM as f64,
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
                streams_started: 10,
                streams_finished: 10,
                streams_aborted: 0,
                chunks_sent: 50,
            },
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
