//! The mock server process the client methods read from.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::*;

use chatstream_testkit::mock_process::MockServerProcess;

/// The mock server serving `corpus`, killed (and reaped) when dropped.
#[derive(Debug)]
pub(super) struct Server {
    process: MockServerProcess,
}

impl Server {
    pub(super) fn start(binary: &Path, corpus: &Path) -> Result<Server, String> {
        let mut command = Command::new(binary);
        command
            .arg("--corpus")
            .arg(corpus)
            .args(["--write-size", &WRITE_SIZE.to_string()]);
        let process = MockServerProcess::start(command, Duration::from_secs(10))?;
        Ok(Server { process })
    }

    /// `http://127.0.0.1:PORT/v1`.
    pub(super) fn url(&self) -> &str {
        self.process.url()
    }

    /// `http://127.0.0.1:PORT`.
    pub(super) fn origin(&self) -> &str {
        self.url().strip_suffix("/v1").unwrap_or(self.url())
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
            "{} is missing: build it with `cargo build --release -p chatstream-testkit --bin \
             {name}` (`cargo xtask bench` does)",
            path.display()
        ))
    }
}
