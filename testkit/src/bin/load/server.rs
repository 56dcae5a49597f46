//! The server side of the load benchmark: `mock-server` started in its paced
//! mode, and its own count of what it sent (`GET /stats`).
//!
//! The count is asked on a connection of its own, outside the client under
//! test, so the question cannot disturb the streams being measured and a
//! client bug cannot change the answer.

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
}

impl PacedServer {
    /// The URL of the paced mode (`/paced/v1`, whatever the server's
    /// defaults).
    pub(crate) fn paced_url(&self) -> String {
        self.process.url().replace("/v1", "/paced/v1")
    }
}

/// Starts `mock-server`: `chunks` per stream, one per `interval_ms`, held
/// `hold_ms` after the first.
pub(crate) fn start(chunks: u64, interval_ms: u64, hold_ms: u64) -> Result<PacedServer, String> {
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
        .args(["--chunks", &chunks.to_string()])
        .args(["--interval-ms", &interval_ms.to_string()])
        .args(["--hold-ms", &hold_ms.to_string()]);
    let process = MockServerProcess::start(command, Duration::from_secs(10))?;
    Ok(PacedServer { process })
}

/// What `mock-server` says it did (see its `stats` module).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ServerStats {
    pub(crate) streams_started: u64,
    pub(crate) streams_finished: u64,
    pub(crate) streams_aborted: u64,
    pub(crate) chunks_sent: u64,
}

impl ServerStats {
    /// What happened between `before` and `self`.
    pub(crate) fn since(self, before: ServerStats) -> ServerStats {
        ServerStats {
            streams_started: self.streams_started.saturating_sub(before.streams_started),
            streams_finished: self
                .streams_finished
                .saturating_sub(before.streams_finished),
            streams_aborted: self.streams_aborted.saturating_sub(before.streams_aborted),
            chunks_sent: self.chunks_sent.saturating_sub(before.chunks_sent),
        }
    }
}

/// `host:port` of an `http://` base URL.
pub(crate) fn address(base_url: &str) -> Result<String, String> {
    base_url
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .filter(|address| !address.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| format!("expected an http:// base URL, got {base_url:?}"))
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
        assert!(address("https://example.com/v1").is_err());
        assert!(address("http:///v1").is_err());
    }

    #[test]
    fn stats_are_parsed_and_subtracted() {
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n\
            {\"chunks_sent\":30,\"connections_accepted\":4,\"connections_open\":1,\
            \"streams_aborted\":1,\"streams_finished\":2,\"streams_started\":3}";
        let after = parse(answer).unwrap();
        let before = ServerStats {
            streams_started: 1,
            streams_finished: 1,
            streams_aborted: 0,
            chunks_sent: 10,
        };
        assert_eq!(
            after.since(before),
            ServerStats {
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
