//! The mock server process the client methods read from.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::*;

/// The mock server, killed (and reaped) when dropped. It also exits by
/// itself when this process dies, since its standard input closes.
#[derive(Debug)]
pub(super) struct Server {
    pub(super) child: Child,
    pub(super) url: String,
}

impl Server {
    pub(super) fn start(binary: &Path, corpus: &Path) -> Result<Server, String> {
        let child = Command::new(binary)
            .arg("--corpus")
            .arg(corpus)
            .args(["--port", "0", "--write-size", &WRITE_SIZE.to_string()])
            .arg("--exit-with-stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut server = Server {
            child,
            url: String::new(),
        };
        let stdout = server
            .child
            .stdout
            .take()
            .ok_or("mock-server: no standard output")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("mock-server: {e}"))?;
        server.url = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| format!("mock-server did not start (it said {line:?})"))?
            .to_owned();
        server.health()?;
        Ok(server)
    }

    /// `http://127.0.0.1:PORT`.
    pub(super) fn origin(&self) -> &str {
        self.url.strip_suffix("/v1").unwrap_or(&self.url)
    }

    /// `GET /health` must answer 200.
    pub(super) fn health(&self) -> Result<(), String> {
        let address = self
            .url
            .strip_prefix("http://")
            .and_then(|rest| rest.split('/').next())
            .ok_or_else(|| format!("mock-server: unexpected URL {}", self.url))?;
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
            Err(format!("mock-server /health answered {answer:?}"))
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A binary built next to this one (`target/release/NAME`).
pub(super) fn sibling(name: &str) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let path = exe.with_file_name(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing: build it with `cargo build --release -p chatstream-tests --bin \
             {name}` (`cargo xtask bench` does)",
            path.display()
        ))
    }
}
