//! `bench-record-load`: records the load benchmark's HTTP/1.1 and HTTP/2
//! runs for the report, with the facts of the machine they ran on.
//!
//! ```text
//! bench-record-load <results-http2.json> <recorded.json>
//! ```
//!
//! Run by `cargo xtask load --http2 --record` once both runs have passed:
//! it reads the side-by-side results the `load` binary wrote
//! (`{"http1.1": RUN, "http2": RUN}`), adds the date, commit and machine
//! the way the measuring binary records them with each group
//! ([`chatstream_bench::machine`]; taken now, right after the runs), and
//! writes the whole to `<recorded.json>` (`docs/bench/load-http2.json`, or
//! `load-http2-tls.json` over TLS), which the report renders
//! ([`chatstream_bench::render::load`]).

use std::path::Path;
use std::process::ExitCode;

use chatstream_bench::machine;
use serde_json::{Map, Value};

const USAGE: &str = "usage: bench-record-load <results-http2.json> <recorded.json>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [source, destination] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match record(Path::new(source), Path::new(destination)) {
        Ok(()) => {
            println!("bench-record-load: wrote {destination}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("bench-record-load: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `source` with the run facts added, written to `destination`.
fn record(source: &Path, destination: &Path) -> Result<(), String> {
    let mut runs = read_runs(source)?;
    match serde_json::to_value(machine::capture()) {
        Ok(Value::Object(facts)) => runs.extend(facts),
        Ok(_) => return Err("the run facts are not a JSON object".to_owned()),
        Err(e) => return Err(format!("the run facts: {e}")),
    }
    let json = serde_json::to_string_pretty(&runs).map_err(|e| e.to_string())?;
    if let Some(parent) = destination.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(destination, json + "\n").map_err(|e| format!("{}: {e}", destination.display()))
}

/// The side-by-side results at `path`, which must hold both runs.
fn read_runs(path: &Path) -> Result<Map<String, Value>, String> {
    let at = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{at}: {e}"))?;
    let runs = match serde_json::from_str(&text) {
        Ok(Value::Object(runs)) => runs,
        Ok(_) => return Err(format!("{at}: not a JSON object")),
        Err(e) => return Err(format!("{at}: {e}")),
    };
    match ["http1.1", "http2"]
        .into_iter()
        .find(|key| !runs.get(*key).is_some_and(Value::is_object))
    {
        Some(key) => Err(format!("{at}: no `{key}` run")),
        None => Ok(runs),
    }
}
