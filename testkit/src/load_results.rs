//! The results of one run of the load benchmark, read back from the file the
//! `load` binary writes (`--json`): one typed reader for the tools that read
//! it — `load --compare`, which puts runs side by side, and the benchmark
//! report (`BENCHMARKS.md`), which renders the recorded runs.
//!
//! The file is read by hand through `serde_json::Value` rather than derived:
//! a missing or mistyped figure is reported with its path
//! (`http2.server.connections: missing or not a count`), and the fields the
//! readers do not use may change freely.

use serde_json::Value;

use crate::json::{required, texts};
use crate::load_targets;

/// One run of the load benchmark: the figures its readers show.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadRun {
    /// The protocol the server saw, by its count of connections
    /// (`HTTP/1.1`, `HTTP/2 over TLS`, `mixed (…)`…).
    pub protocol: String,
    /// The protocol the run asked for (`None`: it ran against a server
    /// started elsewhere, `load --url`, whose protocol it did not choose).
    pub asked: Option<Asked>,
    /// Streams opened.
    pub streams: u64,
    /// Chunks each stream should deliver.
    pub chunks_per_stream: u64,
    /// The server's limit of streams on one HTTP/2 connection.
    pub max_concurrent_streams: Option<u64>,
    /// Connections the server accepted.
    pub connections: u64,
    /// Chunks the streams should have delivered, all together.
    pub chunks_expected: u64,
    /// Chunks the client delivered, all streams together.
    pub chunks_delivered: u64,
    /// Chunks expected and not delivered.
    pub chunks_lost: u64,
    /// Streams that failed or ended any other way than with `[DONE]`.
    pub streams_failed: u64,
    /// From the first stream opened to every stream open and idle.
    pub open_seconds: f64,
    /// From the first stream's first chunk to the last stream's (`None`: no
    /// chunk arrived).
    pub first_chunk_spread_seconds: Option<f64>,
    /// Resident memory when every stream was open and idle.
    pub rss_idle_bytes: u64,
    /// Resident memory per idle open stream, above the memory before the
    /// first stream opened.
    pub rss_per_idle_stream_bytes: f64,
    /// Peak resident memory (`VmHWM`).
    pub peak_rss_bytes: u64,
    /// From the first stream opened to the last one ended.
    pub wall_seconds: f64,
    /// What failed the run (empty: it passed).
    pub failures: Vec<String>,
    /// What qualifies its figures.
    pub warnings: Vec<String>,
}

/// The protocol a run asked for (of a server it started itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Asked {
    /// HTTP/2 (else HTTP/1.1).
    pub http2: bool,
    /// TLS.
    pub tls: bool,
}

impl LoadRun {
    /// Reads a run from its results (`run`), naming a missing figure by its
    /// path under `at` (the run's name in the file that holds it).
    ///
    /// ```
    /// use chatstream_testkit::load_results::LoadRun;
    ///
    /// let error = LoadRun::from_value(&serde_json::json!({"protocol": "HTTP/2"}), "http2")
    ///     .unwrap_err();
    /// assert_eq!(error, "http2.server: missing or not an object");
    /// ```
    pub fn from_value(run: &Value, at: &str) -> Result<Self, String> {
        let run = run
            .as_object()
            .ok_or_else(|| format!("{at}: missing or not an object"))?;
        let count = |key: &str| required(run, at, key, "a count", Value::as_u64);
        let number = |key: &str| required(run, at, key, "a number", Value::as_f64);
        let server = required(run, at, "server", "an object", Value::as_object)?;
        let server_at = format!("{at}.server");
        Ok(Self {
            asked: match (
                run.get("http2").and_then(Value::as_bool),
                run.get("tls").and_then(Value::as_bool),
            ) {
                (Some(http2), Some(tls)) => Some(Asked { http2, tls }),
                _ => None,
            },
            protocol: required(run, at, "protocol", "a text", Value::as_str)?.to_owned(),
            streams: count("streams")?,
            chunks_per_stream: count("chunks_per_stream")?,
            max_concurrent_streams: run.get("max_concurrent_streams").and_then(Value::as_u64),
            connections: required(server, &server_at, "connections", "a count", Value::as_u64)?,
            chunks_expected: count("chunks_expected")?,
            chunks_delivered: count("chunks_delivered")?,
            chunks_lost: count("chunks_lost")?,
            streams_failed: count("streams_failed")?,
            open_seconds: number("open_seconds")?,
            first_chunk_spread_seconds: run
                .get("first_chunk_spread_seconds")
                .and_then(Value::as_f64),
            rss_idle_bytes: count("rss_idle_bytes")?,
            rss_per_idle_stream_bytes: number("rss_per_idle_stream_bytes")?,
            peak_rss_bytes: count("peak_rss_bytes")?,
            wall_seconds: number("wall_seconds")?,
            failures: texts(run, "failures"),
            warnings: texts(run, "warnings"),
        })
    }

    /// Whether the run asked for HTTP/2.
    pub fn http2(&self) -> bool {
        self.asked.is_some_and(|asked| asked.http2)
    }

    /// What the run asked for — `HTTP/1.1`, `HTTP/2`, `HTTP/1.1 over TLS` or
    /// `HTTP/2 over TLS` — or, against a server started elsewhere, what the
    /// server saw.
    pub fn label(&self) -> String {
        let Some(asked) = self.asked else {
            return self.protocol.clone();
        };
        let version = if asked.http2 { "HTTP/2" } else { "HTTP/1.1" };
        if asked.tls {
            format!("{version} over TLS")
        } else {
            version.to_owned()
        }
    }

    /// The memory target of one idle open stream over the protocol asked
    /// for, as the `load` binary checks it (HTTP/1.1's against a server
    /// started elsewhere). Computed, not read: a file written by an older
    /// `load` binary may carry another.
    pub fn target_bytes_per_stream(&self) -> u64 {
        load_targets::bytes_per_stream(self.http2())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn run_value() -> Value {
        serde_json::json!({
            "protocol": "HTTP/2", "http2": true, "tls": false, "streams": 10,
            "chunks_per_stream": 5, "max_concurrent_streams": 4,
            "server": {"connections": 3}, "chunks_expected": 50,
            "chunks_delivered": 48, "chunks_lost": 2, "streams_failed": 1,
            "open_seconds": 0.25, "first_chunk_spread_seconds": null,
            "rss_idle_bytes": 10_485_760, "rss_per_idle_stream_bytes": 7000.5,
            "peak_rss_bytes": 11_534_336, "wall_seconds": 1.5,
            "failures": ["1 of 10 streams failed", 7], "warnings": [],
            "target_bytes_per_stream": 16384,
        })
    }

    #[test]
    fn every_figure_is_read() {
        let run = LoadRun::from_value(&run_value(), "http2").unwrap();
        assert_eq!(run.protocol, "HTTP/2");
        assert_eq!(run.label(), "HTTP/2");
        assert_eq!((run.streams, run.chunks_per_stream), (10, 5));
        assert_eq!(run.max_concurrent_streams, Some(4));
        assert_eq!(run.connections, 3);
        assert_eq!((run.chunks_expected, run.chunks_delivered), (50, 48));
        assert_eq!((run.chunks_lost, run.streams_failed), (2, 1));
        assert_eq!(run.first_chunk_spread_seconds, None);
        assert_eq!(run.rss_per_idle_stream_bytes, 7000.5);
        assert_eq!(run.failures, ["1 of 10 streams failed"]);
        // The target follows the protocol, not the file.
        assert_eq!(run.target_bytes_per_stream(), 8 * 1024);
        let mut elsewhere = run_value();
        elsewhere["http2"] = Value::Null;
        elsewhere["tls"] = Value::Null;
        let elsewhere = LoadRun::from_value(&elsewhere, "run").unwrap();
        assert_eq!(elsewhere.asked, None);
        assert_eq!(elsewhere.label(), "HTTP/2");
        assert_eq!(elsewhere.target_bytes_per_stream(), 16 * 1024);
    }

    #[test]
    fn a_missing_figure_is_named_by_its_path() {
        let mut value = run_value();
        value["server"] = serde_json::json!({});
        let error = LoadRun::from_value(&value, "http2").unwrap_err();
        assert_eq!(error, "http2.server.connections: missing or not a count");
        value = run_value();
        value["open_seconds"] = "soon".into();
        let error = LoadRun::from_value(&value, "run").unwrap_err();
        assert_eq!(error, "run.open_seconds: missing or not a number");
        let error = LoadRun::from_value(&Value::Null, "http1.1").unwrap_err();
        assert_eq!(error, "http1.1: missing or not an object");
    }
}
