//! What the server really did, for `GET /stats`.
//!
//! The load benchmark (`cargo xtask load`) compares the chunks its client
//! received with what the server says it wrote: a client that counted its
//! own expectations only would not notice a server that sent less (or a
//! client that invented chunks). The counters are atomics because
//! `tokio::spawn` wants `Send` tasks even on the current-thread runtime;
//! nothing orders them against each other, so relaxed loads and stores are
//! enough (a snapshot taken while streams run is approximate; one taken
//! after every stream ended is exact).
//!
//! The server also counts which protocol each connection spoke (HTTP/2, TLS),
//! because the client's stream type does not say which one it negotiated:
//! the load benchmark reads here that a run asked to be HTTP/2 really was,
//! and how many connections it took.

use std::sync::atomic::{AtomicU64, Ordering};

/// The server's counters.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Connections accepted since start-up.
    pub(crate) connections_accepted: AtomicU64,
    /// Connections accepted and not yet closed.
    pub(crate) connections_open: AtomicU64,
    /// Accepted connections that spoke HTTP/2 (h2c with prior knowledge, or
    /// `h2` negotiated over TLS).
    pub(crate) connections_h2: AtomicU64,
    /// Accepted connections that completed a TLS handshake.
    pub(crate) connections_tls: AtomicU64,
    /// Paced streams whose response head was about to be written.
    pub(crate) streams_started: AtomicU64,
    /// Paced streams written to the end (`[DONE]`, and over HTTP/1.1 the
    /// last chunk of the chunked encoding).
    pub(crate) streams_finished: AtomicU64,
    /// Paced streams whose connection (or HTTP/2 stream) failed before the
    /// end.
    pub(crate) streams_aborted: AtomicU64,
    /// `chat.completion.chunk` events of paced streams sent (`[DONE]` is
    /// not a chunk and is not counted): over HTTP/1.1 fully written to the
    /// socket, over HTTP/2 handed to hyper's connection as a DATA frame (a
    /// frame it then fails to send ends the stream as aborted).
    pub(crate) chunks_sent: AtomicU64,
}

impl Stats {
    /// Adds one to `counter`.
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters as a JSON object.
    pub(crate) fn json(&self) -> String {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        serde_json::json!({
            "connections_accepted": get(&self.connections_accepted),
            "connections_open": get(&self.connections_open),
            "connections_h2": get(&self.connections_h2),
            "connections_tls": get(&self.connections_tls),
            "streams_started": get(&self.streams_started),
            "streams_finished": get(&self.streams_finished),
            "streams_aborted": get(&self.streams_aborted),
            "chunks_sent": get(&self.chunks_sent),
        })
        .to_string()
    }
}

/// Counts a connection as open for as long as it lives (closed however its
/// task ends, error or not).
#[derive(Debug)]
pub(crate) struct OpenConnection<'a>(&'a Stats);

impl<'a> OpenConnection<'a> {
    /// Counts a newly accepted connection.
    pub(crate) fn new(stats: &'a Stats) -> Self {
        Stats::bump(&stats.connections_accepted);
        Stats::bump(&stats.connections_open);
        OpenConnection(stats)
    }
}

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        self.0.connections_open.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_connections_are_counted_until_dropped() {
        let stats = Stats::default();
        let first = OpenConnection::new(&stats);
        {
            let _second = OpenConnection::new(&stats);
            assert_eq!(stats.connections_open.load(Ordering::Relaxed), 2);
        }
        assert_eq!(stats.connections_open.load(Ordering::Relaxed), 1);
        drop(first);
        let json: serde_json::Value = serde_json::from_str(&stats.json()).unwrap();
        assert_eq!(json["connections_accepted"], 2);
        assert_eq!(json["connections_open"], 0);
        assert_eq!(json["connections_h2"], 0);
        assert_eq!(json["chunks_sent"], 0);
    }
}
