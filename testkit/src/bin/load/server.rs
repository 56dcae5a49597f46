//! The server side of the load benchmark: `mock-server` started in its paced
//! mode (HTTP/1.1 or HTTP/2, plain or TLS), and its own count of what it
//! sent (`GET /stats`).
//!
//! The count is asked on a connection of its own, outside the client under
//! test, so the question cannot disturb the streams being measured and a
//! client bug cannot change the answer. It is plain HTTP/1.1 whatever the
//! streams speak: `mock-server` answers plain HTTP/1.1 beside TLS and
//! HTTP/2 on the same port. It is also where the protocol of a run is read:
//! the client's stream does not say which protocol its connection
//! negotiated, the server counts its HTTP/2 and TLS connections.
//!
//! With TLS the server makes a CA at start-up and writes its certificate to
//! a file this side names; the file is read once the server is up, then
//! removed.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use chatstream_testkit::mock_process::MockServerProcess;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `mock-server` (built next to this binary) in its paced mode, stopped
/// (killed and reaped) when dropped.
#[derive(Debug)]
pub(crate) struct PacedServer {
    process: MockServerProcess,
    /// With TLS: the CA certificate (PEM) the client must trust.
    ca_pem: Option<Vec<u8>>,
}

/// How to start the server.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    /// Chunks per stream.
    pub(crate) chunks: u64,
    /// Milliseconds between two chunks.
    pub(crate) interval_ms: u64,
    /// Milliseconds between the first chunk and the second.
    pub(crate) hold_ms: u64,
    /// Serve HTTP/2 (h2c with prior knowledge, or `h2` by ALPN over TLS).
    pub(crate) http2: bool,
    /// Serve TLS.
    pub(crate) tls: bool,
    /// Streams one HTTP/2 connection may have open at once.
    pub(crate) max_concurrent_streams: u32,
}

impl PacedServer {
    /// The URL of the paced mode (`/paced/v1`, whatever the server's
    /// defaults).
    pub(crate) fn paced_url(&self) -> String {
        self.process.url().replace("/v1", "/paced/v1")
    }

    /// With TLS: the CA certificate (PEM) the client must trust.
    pub(crate) fn ca_pem(&self) -> Option<&[u8]> {
        self.ca_pem.as_deref()
    }
}

/// Starts `mock-server` as `settings` say.
pub(crate) fn start(settings: Settings) -> Result<PacedServer, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let binary = exe.with_file_name("mock-server");
    if !binary.is_file() {
        return Err(format!(
            "{} is missing: build it with `cargo build --release -p chatstream-testkit --bin \
             mock-server` (`cargo xtask load` does)",
            binary.display()
        ));
    }
    let mut command = Command::new(binary);
    command
        .args(["--chunks", &settings.chunks.to_string()])
        .args(["--interval-ms", &settings.interval_ms.to_string()])
        .args(["--hold-ms", &settings.hold_ms.to_string()]);
    if settings.http2 {
        command.arg("--http2").args([
            "--max-concurrent-streams",
            &settings.max_concurrent_streams.to_string(),
        ]);
    }
    let ca_file = settings.tls.then(|| {
        std::env::temp_dir().join(format!("chatstream-load-ca-{}.pem", std::process::id()))
    });
    if let Some(path) = &ca_file {
        command.arg("--tls").arg("--ca-out").arg(path);
    }
    let process = MockServerProcess::start(command, Duration::from_secs(10))?;
    let ca_pem = ca_file.map(read_ca).transpose()?;
    Ok(PacedServer { process, ca_pem })
}

/// The CA certificate the server wrote to `path`, the file removed.
fn read_ca(path: PathBuf) -> Result<Vec<u8>, String> {
    let pem = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()));
    let _ = std::fs::remove_file(&path);
    pem
}

/// What `mock-server` says it did (see its `stats` module).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ServerStats {
    /// Connections accepted.
    pub(crate) connections: u64,
    /// Of which spoke HTTP/2.
    pub(crate) connections_h2: u64,
    /// Of which completed a TLS handshake.
    pub(crate) connections_tls: u64,
    pub(crate) streams_started: u64,
    pub(crate) streams_finished: u64,
    pub(crate) streams_aborted: u64,
    pub(crate) chunks_sent: u64,
}

impl ServerStats {
    /// What happened between `before` and `self`, where `self` was asked
    /// after `before`: the connection that asked for `self` is not counted
    /// (it counts itself; the one that asked for `before` counted itself
    /// there).
    pub(crate) fn since(self, before: ServerStats) -> ServerStats {
        ServerStats {
            connections: self
                .connections
                .saturating_sub(before.connections)
                .saturating_sub(1),
            connections_h2: self.connections_h2.saturating_sub(before.connections_h2),
            connections_tls: self.connections_tls.saturating_sub(before.connections_tls),
            streams_started: self.streams_started.saturating_sub(before.streams_started),
            streams_finished: self
                .streams_finished
                .saturating_sub(before.streams_finished),
            streams_aborted: self.streams_aborted.saturating_sub(before.streams_aborted),
            chunks_sent: self.chunks_sent.saturating_sub(before.chunks_sent),
        }
    }
}

/// `host:port` of an `http://` or `https://` base URL.
pub(crate) fn address(base_url: &str) -> Result<String, String> {
    base_url
        .strip_prefix("http://")
        .or_else(|| base_url.strip_prefix("https://"))
        .and_then(|rest| rest.split('/').next())
        .filter(|address| !address.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| format!("expected an http:// or https:// base URL, got {base_url:?}"))
}

/// Asks the server at `address` for its counters.
pub(crate) async fn stats(address: &str) -> Result<ServerStats, String> {
    let failed = |e: std::io::Error| format!("GET http://{address}/stats: {e}");
    let mut stream = TcpStream::connect(address).await.map_err(failed)?;
    stream
        .write_all(b"GET /stats HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .await
        .map_err(failed)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.map_err(failed)?;
    parse(&answer).map_err(|e| format!("GET http://{address}/stats: {e}"))
}

fn parse(answer: &[u8]) -> Result<ServerStats, String> {
    let text = String::from_utf8_lossy(answer);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or("the answer has no end of head")?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!(
            "answered {:?} (is it mock-server?)",
            head.lines().next().unwrap_or_default()
        ));
    }
    let json: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("not JSON: {e}: {body:?}"))?;
    let field = |name: &str| {
        json[name]
            .as_u64()
            .ok_or_else(|| format!("no number `{name}` in {body}"))
    };
    Ok(ServerStats {
        connections: field("connections_accepted")?,
        connections_h2: field("connections_h2")?,
        connections_tls: field("connections_tls")?,
        streams_started: field("streams_started")?,
        streams_finished: field("streams_finished")?,
        streams_aborted: field("streams_aborted")?,
        chunks_sent: field("chunks_sent")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_is_taken_from_the_base_url() {
        assert_eq!(
            address("http://127.0.0.1:4000/paced/v1").unwrap(),
            "127.0.0.1:4000"
        );
        assert_eq!(
            address("https://localhost:4000/paced/v1").unwrap(),
            "localhost:4000"
        );
        assert!(address("ftp://example.com/v1").is_err());
        assert!(address("http:///v1").is_err());
    }

    #[test]
    fn stats_are_parsed_and_subtracted() {
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n\
            {\"chunks_sent\":30,\"connections_accepted\":4,\"connections_open\":1,\
            \"connections_h2\":2,\"connections_tls\":0,\
            \"streams_aborted\":1,\"streams_finished\":2,\"streams_started\":3}";
        let after = parse(answer).unwrap();
        let before = ServerStats {
            connections: 1,
            streams_started: 1,
            streams_finished: 1,
            streams_aborted: 0,
            chunks_sent: 10,
            ..ServerStats::default()
        };
        assert_eq!(
            after.since(before),
            ServerStats {
                connections: 2,
                connections_h2: 2,
                connections_tls: 0,
                streams_started: 2,
                streams_finished: 1,
                streams_aborted: 1,
                chunks_sent: 20,
            }
        );
        assert!(parse(b"HTTP/1.1 404 Not Found\r\n\r\nno route").is_err());
        assert!(parse(b"HTTP/1.1 200 OK\r\n\r\n{}").is_err());
    }
}
