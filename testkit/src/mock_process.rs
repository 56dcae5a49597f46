//! [`MockServerProcess`]: the `mock-server` binary run as a child process,
//! for the tools that measure against it from outside this crate.
//!
//! The `load` binary (the load benchmark's client) and the `client` group
//! of the benchmarks both start `mock-server` in a process of its own, learn
//! its URL from the line it prints, wait for `GET /health` and kill it when
//! done. This is that one procedure.
//!
//! The health check is plain HTTP/1.1 on a connection of its own whatever the
//! server was asked to speak: `mock-server` recognises each connection by its
//! first bytes and answers plain HTTP/1.1 beside TLS and HTTP/2 (see its
//! `protocol` module), so this check needs neither a TLS nor an HTTP/2
//! client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `mock-server`, killed (and reaped) when dropped. It also exits
/// by itself if this process dies, since its standard input (a pipe held
/// here) closes.
#[derive(Debug)]
pub struct MockServerProcess {
    child: Child,
    url: String,
}

impl MockServerProcess {
    /// Runs `command` (the `mock-server` binary, with its options, possibly
    /// wrapped in a shell that passes on its arguments) on an ephemeral
    /// port, reads the `listening on URL` line it prints, and waits until
    /// its `GET /health` answers 200, for at most `deadline`.
    ///
    /// # Errors
    ///
    /// The process cannot start, says something else, or is not healthy in
    /// time (it is then killed).
    pub fn start(mut command: Command, deadline: Duration) -> Result<Self, String> {
        let mut child = command
            .args(["--port", "0", "--exit-with-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))?;
        let stdout = child.stdout.take();
        // Owned from here on: every early return below kills it.
        let mut server = Self {
            child,
            url: String::new(),
        };
        let stdout = stdout.ok_or("mock-server: no standard output")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("mock-server: {e}"))?;
        server.url = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| format!("mock-server did not start (it said {line:?})"))?
            .to_owned();
        server.wait_healthy(deadline)?;
        Ok(server)
    }

    /// `http://127.0.0.1:PORT/v1` (`https://localhost:PORT/v1` with
    /// `--tls`), as the server printed it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `GET /health` answers 200 within `deadline`.
    fn wait_healthy(&self, deadline: Duration) -> Result<(), String> {
        let address = self
            .url
            .strip_prefix("http://")
            .or_else(|| self.url.strip_prefix("https://"))
            .and_then(|rest| rest.split('/').next())
            .ok_or_else(|| format!("mock-server: unexpected URL {}", self.url))?;
        let started = Instant::now();
        loop {
            match health(address) {
                Ok(()) => return Ok(()),
                Err(e) if started.elapsed() > deadline => {
                    return Err(format!("mock-server not healthy after {deadline:?}: {e}"));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

impl Drop for MockServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `GET /health` to `address` (`host:port`) on a connection of its own.
fn health(address: &str) -> Result<(), String> {
    let mut stream = TcpStream::connect(address).map_err(|e| format!("{address}: {e}"))?;
    stream
        .write_all(b"GET /health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .map_err(|e| format!("{address}: {e}"))?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| format!("{address}: {e}"))?;
    if answer.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        Err(format!("/health answered {answer:?}"))
    }
}
