//! The connection settings of [`ClientBuilder`]: connect timeout, HTTP/2 and
//! its flow control, how long idle connections are kept.

use std::time::Duration;

use super::ClientBuilder;
use crate::error::{Error, ErrorKind};
use crate::pool::{DEFAULT_CONNECTION_WINDOW, DEFAULT_STREAM_WINDOW, streams_the_windows_allow};

/// The largest flow-control window HTTP/2 allows (RFC 9113 §6.9.1).
const MAX_WINDOW: u32 = (1 << 31) - 1;
/// The smallest stream window accepted: below it a stream would need a
/// window update for every few frames.
const MIN_STREAM_WINDOW: u32 = 1024;
/// The smallest connection window accepted: HTTP/2's initial one, which a
/// client can raise but not lower (RFC 9113 §6.9.2).
const MIN_CONNECTION_WINDOW: u32 = 65_535;

/// How the client connects.
#[derive(Clone, Debug)]
pub(crate) struct Connections {
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) http2_prior_knowledge: bool,
    pub(crate) http2_max_streams: Option<u32>,
    pub(crate) http2_stream_window: u32,
    pub(crate) http2_connection_window: u32,
    pub(crate) pool_idle_timeout: Option<Duration>,
}

impl Default for Connections {
    fn default() -> Self {
        Connections {
            connect_timeout: Some(Duration::from_secs(10)),
            http2_prior_knowledge: false,
            http2_max_streams: None,
            http2_stream_window: DEFAULT_STREAM_WINDOW,
            http2_connection_window: DEFAULT_CONNECTION_WINDOW,
            pool_idle_timeout: Some(Duration::from_secs(90)),
        }
    }
}

impl Connections {
    /// The most streams on one HTTP/2 connection: the caller's cap, and no
    /// more than the windows allow (see the `pool` module).
    pub(crate) fn http2_max_streams(&self) -> u32 {
        let windows =
            streams_the_windows_allow(self.http2_stream_window, self.http2_connection_window);
        self.http2_max_streams
            .map_or(windows, |cap| cap.min(windows))
    }
}

impl ClientBuilder {
    /// How long to wait for a TCP connection (`None`: no limit).
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connections.connect_timeout = timeout.into();
        self
    }

    /// Speaks HTTP/2 without negotiation on plain `http://` connections
    /// (h2c with prior knowledge, for servers that only speak HTTP/2).
    /// Over TLS, HTTP/2 is negotiated by ALPN anyway.
    pub fn http2_prior_knowledge(mut self) -> Self {
        self.connections.http2_prior_knowledge = true;
        self
    }

    /// The most streams one HTTP/2 connection carries (default: as many as
    /// the server allows, up to what the flow-control windows allow —
    /// connection window ÷ stream window, 256 by default).
    ///
    /// A server announces how many concurrent streams it takes on one
    /// connection (`SETTINGS_MAX_CONCURRENT_STREAMS`, often 100 to 256). When
    /// every connection to the origin carries that many — or this many, if
    /// lower — the client opens another connection rather than make the
    /// request wait for an earlier answer to end, and closes the extra
    /// connections once idle for the [pool idle
    /// timeout](Self::pool_idle_timeout). A lower cap spreads streams over
    /// more connections (and so over more of a load balancer's backends).
    ///
    /// ```
    /// let client = chatstream::Client::builder()
    ///     .api_key("sk-...")
    ///     .http2_max_streams_per_connection(50)
    ///     .build()?;
    /// # Ok::<(), chatstream::Error>(())
    /// ```
    ///
    /// [`build`](Self::build) fails for `0`.
    pub fn http2_max_streams_per_connection(mut self, streams: u32) -> Self {
        if streams == 0 {
            return self.fail(Error::new(
                ErrorKind::Builder,
                "an HTTP/2 connection must carry at least one stream",
            ));
        }
        self.connections.http2_max_streams = Some(streams);
        self
    }

    /// The HTTP/2 flow-control window of each stream, in bytes (default
    /// 64 KiB): the most a server may send ahead of a reader that falls
    /// behind, per stream.
    ///
    /// A token stream needs little (the server just waits for a reader that
    /// far behind); the window bounds the memory slow readers can cost. A
    /// larger one helps a single fast stream over a long round trip (window ÷
    /// round trip is its top speed), and lowers how many streams a
    /// connection takes (connection window ÷ stream window).
    /// [`build`](Self::build) fails outside 1 KiB to 2³¹ − 1.
    pub fn http2_initial_stream_window_size(self, bytes: u32) -> Self {
        self.window(bytes, MIN_STREAM_WINDOW, "stream", |connections| {
            connections.http2_stream_window = bytes;
        })
    }

    /// The HTTP/2 flow-control window of each connection, in bytes (default
    /// 16 MiB): the most a server may send ahead of all the readers of one
    /// connection.
    ///
    /// Unread data holds it too: were it smaller than the stream windows of
    /// all a connection's streams, a few readers that fall behind could fill
    /// it and stall the others. So a connection takes at most connection
    /// window ÷ stream window streams (256 by default) and the client opens
    /// another past that. [`build`](Self::build) fails outside 65,535
    /// (HTTP/2's initial window) to 2³¹ − 1.
    pub fn http2_initial_connection_window_size(self, bytes: u32) -> Self {
        self.window(bytes, MIN_CONNECTION_WINDOW, "connection", |connections| {
            connections.http2_connection_window = bytes;
        })
    }

    /// Sets a flow-control window of `bytes` with `set`, or fails the build
    /// when it is outside `min` to [`MAX_WINDOW`] (`what`: whose window).
    fn window(
        mut self,
        bytes: u32,
        min: u32,
        what: &str,
        set: impl FnOnce(&mut Connections),
    ) -> Self {
        if !(min..=MAX_WINDOW).contains(&bytes) {
            return self.fail(Error::new(
                ErrorKind::Builder,
                format!("an HTTP/2 {what} window must be {min} to {MAX_WINDOW} bytes"),
            ));
        }
        set(&mut self.connections);
        self
    }

    /// How long an idle connection is kept for reuse (default 90 s; `None`:
    /// until the server closes it). Extra HTTP/2 connections opened under
    /// load are closed this long after their last stream.
    pub fn pool_idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connections.pool_idle_timeout = timeout.into();
        self
    }
}

#[cfg(test)]
mod tests {
    use crate::{Client, ErrorKind};

    #[test]
    fn out_of_range_settings_fail_the_build() {
        let builds = [
            Client::builder()
                .http2_max_streams_per_connection(0)
                .build(),
            Client::builder()
                .http2_initial_stream_window_size(10)
                .build(),
            Client::builder()
                .http2_initial_stream_window_size(u32::MAX)
                .build(),
            Client::builder()
                .http2_initial_connection_window_size(1024)
                .build(),
            Client::builder()
                .http2_initial_connection_window_size(1 << 31)
                .build(),
        ];
        for build in builds {
            let error = build.err().map(|e| e.kind());
            assert_eq!(error, Some(ErrorKind::Builder));
        }
        let fine = Client::builder()
            .http2_max_streams_per_connection(1)
            .http2_initial_stream_window_size(1024)
            .http2_initial_connection_window_size((1 << 31) - 1)
            .pool_idle_timeout(None)
            .build();
        assert!(fine.is_ok());
    }

    #[test]
    fn a_connection_takes_no_more_streams_than_its_window_serves() {
        let defaults = super::Connections::default();
        assert_eq!(defaults.http2_max_streams(), 256);
        let capped = super::Connections {
            http2_max_streams: Some(10),
            ..super::Connections::default()
        };
        assert_eq!(capped.http2_max_streams(), 10);
        let small = super::Connections {
            http2_max_streams: Some(1000),
            http2_stream_window: 1 << 20,
            http2_connection_window: 65_535,
            ..super::Connections::default()
        };
        assert_eq!(small.http2_max_streams(), 1);
    }
}
