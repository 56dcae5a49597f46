//! The command line of `load` (its usage is in the binary's docs).

use std::path::PathBuf;
use std::time::Duration;

/// What `--help` and a usage error print.
pub(crate) const USAGE: &str = "usage: load [--url http://127.0.0.1:PORT/paced/v1] \
    [--streams 10000] [--chunks 200] [--interval-ms 100] [--hold-ms H] \
    [--open-concurrency 256] [--idle-timeout-s S] [--http2] [--tls] \
    [--max-concurrent-streams 100] [--json FILE] [--bare]\n\
    \x20      load --compare LABEL=RESULTS.json… [--json FILE]";

/// What the command line asks for.
#[derive(Debug)]
pub(crate) enum Command {
    /// A load run.
    Run(Options),
    /// `--compare`: the results files of earlier runs side by side.
    Compare {
        /// Each run's label (a column's heading) and results file.
        runs: Vec<(String, PathBuf)>,
        /// Where the combined results go.
        json: Option<PathBuf>,
    },
}

/// The command line of a run.
#[derive(Debug)]
pub(crate) struct Options {
    /// A server started elsewhere; `None`: start `mock-server` here.
    pub(crate) url: Option<String>,
    pub(crate) streams: u64,
    pub(crate) chunks: u64,
    pub(crate) interval_ms: u64,
    pub(crate) hold_ms: Option<u64>,
    pub(crate) open_concurrency: usize,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) json: Option<PathBuf>,
    /// Read the streams with a bare hyper-util client instead (see `bare`).
    pub(crate) bare: bool,
    /// Speak HTTP/2 (h2c with prior knowledge; over TLS, negotiated).
    pub(crate) http2: bool,
    /// Start the server with TLS and trust its CA.
    pub(crate) tls: bool,
    /// The server's limit of streams open at once on one HTTP/2 connection.
    pub(crate) max_concurrent_streams: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            url: None,
            streams: 10_000,
            chunks: 200,
            interval_ms: 100,
            hold_ms: None,
            open_concurrency: 256,
            idle_timeout: None,
            json: None,
            bare: false,
            http2: false,
            tls: false,
            max_concurrent_streams: 100,
        }
    }
}

impl Options {
    /// The hold after each stream's first chunk: long enough for every
    /// stream to be opened before the first one receives its second chunk,
    /// with room to spare for a slower machine.
    pub(crate) fn hold_ms(&self) -> u64 {
        self.hold_ms
            .unwrap_or(5_000 + self.streams + self.interval_ms)
    }

    /// The client's idle timeout: longer than a stream is ever silent.
    pub(crate) fn idle_timeout(&self) -> Duration {
        self.idle_timeout.unwrap_or(Duration::from_secs(
            (self.hold_ms() + self.interval_ms) / 1000 + 60,
        ))
    }
}

/// Reads the command line.
pub(crate) fn parse_args() -> Result<Command, String> {
    parse(std::env::args().skip(1))
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter().peekable();
    if args.peek().is_some_and(|arg| arg == "--compare") {
        return parse_compare(args.skip(1));
    }
    let mut options = Options::default();
    let mut server_options = false;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--url" => options.url = Some(value("--url")?),
            "--streams" => options.streams = number("--streams", value("--streams")?)?,
            "--chunks" => options.chunks = number("--chunks", value("--chunks")?)?,
            "--interval-ms" => {
                options.interval_ms = number("--interval-ms", value("--interval-ms")?)?;
            }
            "--hold-ms" => options.hold_ms = Some(number("--hold-ms", value("--hold-ms")?)?),
            "--open-concurrency" => {
                let n = number("--open-concurrency", value("--open-concurrency")?)?;
                options.open_concurrency = usize::try_from(n).map_err(|e| e.to_string())?;
            }
            "--idle-timeout-s" => {
                let seconds = number("--idle-timeout-s", value("--idle-timeout-s")?)?;
                options.idle_timeout = Some(Duration::from_secs(seconds));
            }
            "--json" => options.json = Some(PathBuf::from(value("--json")?)),
            "--bare" => options.bare = true,
            "--http2" => options.http2 = true,
            "--tls" => {
                options.tls = true;
                server_options = true;
            }
            "--max-concurrent-streams" => {
                let n = number(
                    "--max-concurrent-streams",
                    value("--max-concurrent-streams")?,
                )?;
                options.max_concurrent_streams = u32::try_from(n).map_err(|e| e.to_string())?;
                server_options = true;
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    check(&options, server_options)?;
    Ok(Command::Run(options))
}

/// The combinations a run refuses.
fn check(options: &Options, server_options: bool) -> Result<(), String> {
    if options.chunks < 2 {
        return Err("--chunks must be at least 2 (the role and the final chunk)".to_owned());
    }
    if options.bare && (options.http2 || options.tls) {
        return Err(format!(
            "--bare reads plain HTTP/1.1 only (the floor of the HTTP/1.1 figure): \
             drop --http2 and --tls\n{USAGE}"
        ));
    }
    if options.url.is_some() && server_options {
        return Err(format!(
            "--tls and --max-concurrent-streams set up the server this tool starts: \
             not with --url\n{USAGE}"
        ));
    }
    Ok(())
}

/// `--compare LABEL=FILE… [--json FILE]`.
fn parse_compare(args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut runs = Vec::new();
    let mut json = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--json" {
            json = Some(PathBuf::from(args.next().ok_or("--json needs a value")?));
            continue;
        }
        let (label, path) = arg
            .split_once('=')
            .filter(|(label, path)| !label.is_empty() && !path.is_empty())
            .ok_or_else(|| format!("--compare takes LABEL=FILE, got `{arg}`\n{USAGE}"))?;
        runs.push((label.to_owned(), PathBuf::from(path)));
    }
    if runs.is_empty() {
        return Err(format!("--compare needs at least one LABEL=FILE\n{USAGE}"));
    }
    Ok(Command::Compare { runs, json })
}

/// A positive number (`_` allowed between digits).
fn number(name: &str, text: String) -> Result<u64, String> {
    let n: u64 = text
        .replace('_', "")
        .parse()
        .map_err(|e| format!("{name} {text}: {e}"))?;
    if n == 0 {
        return Err(format!("{name} must be at least 1"));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<Command, String> {
        parse(line.split_whitespace().map(str::to_owned))
    }

    fn run(line: &str) -> Options {
        match args(line) {
            Ok(Command::Run(options)) => options,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn a_run_defaults_to_plain_http1() {
        let options = run("--streams 1_000");
        assert_eq!(options.streams, 1000);
        assert!(!options.http2 && !options.tls);
        assert_eq!(options.max_concurrent_streams, 100);
        let options = run("--http2 --tls --max-concurrent-streams 1000");
        assert!(options.http2 && options.tls);
        assert_eq!(options.max_concurrent_streams, 1000);
    }

    #[test]
    fn refused_combinations() {
        assert!(
            args("--bare --http2")
                .unwrap_err()
                .contains("HTTP/1.1 only")
        );
        assert!(args("--bare --tls").is_err());
        assert!(args("--url http://x/v1 --tls").is_err());
        assert!(args("--chunks 1").is_err());
        assert!(args("--streams 0").is_err());
    }

    #[test]
    fn compare_takes_labelled_files() {
        match args("--compare http1.1=a.json http2=b.json --json c.json").unwrap() {
            Command::Compare { runs, json } => {
                assert_eq!(runs.len(), 2);
                assert_eq!(runs[1], ("http2".to_owned(), PathBuf::from("b.json")));
                assert_eq!(json, Some(PathBuf::from("c.json")));
            }
            other => panic!("{other:?}"),
        }
        assert!(args("--compare").is_err());
        assert!(args("--compare a.json").is_err());
    }
}
