//! Starting the servers in their own process groups, waiting for health, and
//! stopping every one of them whatever happens.

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

// ----------------------------------------------------------------- servers

/// How to start one server and tell that it is up.
pub(super) struct Spec<'a> {
    pub(super) name: &'static str,
    pub(super) port: u16,
    pub(super) command: &'a mut Command,
    /// A path on the server that answers 200 once it is ready.
    pub(super) health: &'static str,
    /// A bearer key the health path needs.
    pub(super) health_key: Option<&'static str>,
    pub(super) deadline: Duration,
}

pub(super) struct Running {
    pub(super) name: &'static str,
    pub(super) child: Child,
    pub(super) log: PathBuf,
    pub(super) pid_file: PathBuf,
}

/// The servers started so far; dropping it stops them all.
pub(super) struct Servers {
    pub(super) cache: PathBuf,
    pub(super) running: Vec<Running>,
}

impl Servers {
    pub(super) fn new(cache: &Path) -> Self {
        Servers {
            cache: cache.to_owned(),
            running: Vec::new(),
        }
    }

    /// Stops the servers a killed earlier run left behind, as its pid files
    /// tell (only processes whose command line names the cache).
    pub(super) fn stop_leftovers(&self) {
        let Ok(entries) = fs::read_dir(self.cache.join("run")) else {
            return;
        };
        let cache = path_arg(&self.cache);
        let mut groups = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|ext| ext != "pid") {
                continue;
            }
            let pid = fs::read_to_string(&path)
                .ok()
                .and_then(|text| text.trim().parse::<u32>().ok());
            let _ = fs::remove_file(&path);
            let Some(pid) = pid else { continue };
            let ours = fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|line| String::from_utf8_lossy(&line).contains(&cache));
            if ours {
                eprintln!(
                    "e2e: stopping process group {pid} left by an earlier run ({})",
                    path.display()
                );
                kill_group(pid, "TERM");
                groups.push(pid);
            }
        }
        let until = Instant::now() + Duration::from_secs(10);
        while groups.iter().any(|&pid| group_alive(pid)) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(100));
        }
        for pid in groups {
            kill_group(pid, "KILL");
        }
    }

    pub(super) fn start(&mut self, report: &mut Report, spec: Spec<'_>) -> Result<(), String> {
        let Spec {
            name,
            port,
            command,
            health,
            health_key,
            deadline,
        } = spec;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        if TcpListener::bind(address).is_err() {
            return Err(format!(
                "{name}: port {port} on 127.0.0.1 is taken (another {name} still running?)"
            ));
        }
        let log = self.cache.join("logs").join(format!("{name}.log"));
        let out =
            fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
        command
            .current_dir(self.cache.join("run"))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            // Its own process group (pgid = pid): reloaders and workers it
            // spawns are stopped with it, and `kill -PGID` cannot reach us.
            .process_group(0);
        let clock = Instant::now();
        eprintln!("e2e: {name}: starting, log {}", log.display());
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {name} ({:?}): {e}", command.get_program()))?;
        let pid_file = self.cache.join("run").join(format!("{name}.pid"));
        let _ = fs::write(&pid_file, child.id().to_string());
        self.running.push(Running {
            name,
            child,
            log,
            pid_file,
        });
        let Some(server) = self.running.last_mut() else {
            return Err("no server".to_owned());
        };
        eprintln!(
            "e2e: {name}: waiting up to {} s for GET http://127.0.0.1:{port}{health} to answer 200",
            deadline.as_secs()
        );
        let until = clock + deadline;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!(
                    "{name} exited before it was ready ({status}); log {}:\n{}",
                    server.log.display(),
                    tail(&server.log, 40)
                ));
            }
            match http_status(address, health, health_key) {
                Some(200) => break,
                _ if Instant::now() >= until => {
                    return Err(format!(
                        "{name} was not ready within {} s; log {}:\n{}",
                        deadline.as_secs(),
                        server.log.display(),
                        tail(&server.log, 40)
                    ));
                }
                _ => std::thread::sleep(Duration::from_millis(250)),
            }
        }
        eprintln!(
            "e2e: {name}: up after {:.1} s (pid {})",
            clock.elapsed().as_secs_f64(),
            server.child.id()
        );
        report.add(&format!("start {name}"), clock);
        Ok(())
    }

    pub(super) fn print_logs(&self) {
        for server in &self.running {
            eprintln!(
                "\n--- {} log (last 60 lines of {}) ---\n{}",
                server.name,
                server.log.display(),
                tail(&server.log, 60)
            );
        }
    }

    /// Stops every server (last started first): TERM to its process group,
    /// up to 10 s to exit, then KILL to the group.
    pub(super) fn stop_all(&mut self) -> Result<(), String> {
        let mut failures = Vec::new();
        while let Some(mut server) = self.running.pop() {
            let pid = server.child.id();
            eprintln!("e2e: {}: stopping process group {pid}", server.name);
            kill_group(pid, "TERM");
            let until = Instant::now() + Duration::from_secs(10);
            let mut exited = false;
            while Instant::now() < until {
                if let Ok(Some(_)) = server.child.try_wait() {
                    exited = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            // KILL the group even when the leader exited: children it left
            // (uvicorn reloader workers, node children) are still in it.
            kill_group(pid, "KILL");
            if !exited {
                eprintln!("e2e: {}: did not exit on TERM, killed", server.name);
                let _ = server.child.kill();
                let _ = server.child.wait();
            }
            if !group_gone_within(pid, Duration::from_secs(5)) {
                failures.push(format!("{} (process group {pid})", server.name));
            }
            let _ = fs::remove_file(&server.pid_file);
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(format!("still running after KILL: {}", failures.join(", ")))
        }
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        if !self.running.is_empty() {
            if let Err(message) = self.stop_all() {
                eprintln!("e2e: {message}");
            }
        }
    }
}

/// `kill -SIGNAL -- -PGID`, quietly (the group may be gone already).
pub(super) fn kill_group(pgid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg("--")
        .arg(format!("-{pgid}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Whether any process is still in the group (signal 0 checks without
/// sending).
/// Waits up to `limit` for the process group to be gone. A killed child
/// whose leader exited first (Hypercorn's worker) is reparented and stays a
/// zombie until its new parent reaps it: that takes a moment, not forever.
fn group_gone_within(pgid: u32, limit: Duration) -> bool {
    let until = Instant::now() + limit;
    while group_alive(pgid) {
        if Instant::now() >= until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

pub(super) fn group_alive(pgid: u32) -> bool {
    Command::new("kill")
        .args(["-0", "--"])
        .arg(format!("-{pgid}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The status code of `GET path` on `address`, or `None` when nothing
/// answers (yet).
pub(super) fn http_status(address: SocketAddr, path: &str, key: Option<&str>) -> Option<u16> {
    let timeout = Duration::from_secs(2);
    let mut stream = TcpStream::connect_timeout(&address, timeout).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream.set_write_timeout(Some(timeout)).ok()?;
    let auth = key
        .map(|key| format!("Authorization: Bearer {key}\r\n"))
        .unwrap_or_default();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut head = [0u8; 32];
    let mut read = 0;
    while read < 12 {
        let n = stream.read(&mut head[read..]).ok()?;
        if n == 0 {
            break;
        }
        read += n;
    }
    let line = std::str::from_utf8(head.get(..read)?).ok()?;
    line.strip_prefix("HTTP/1.1 ")
        .or_else(|| line.strip_prefix("HTTP/1.0 "))?
        .get(..3)?
        .parse()
        .ok()
}

/// The last `lines` lines of a log file.
pub(super) fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_else(|e| format!("(cannot read the log: {e})"));
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
