//! The command line of `mock-server` (its usage is in the binary's docs).

use std::path::PathBuf;
use std::time::Duration;

use crate::paced;

/// What `--help` and a usage error print.
pub(crate) const USAGE: &str = "usage: mock-server [--corpus FILE] [--port 0] \
    [--write-size 16384] [--framing chunked|length] [--chunks 200] [--interval-ms 100] \
    [--hold-ms MS] [--http2] [--max-concurrent-streams 100] [--tls --ca-out FILE] \
    [--exit-with-stdin]";

/// The command line.
#[derive(Debug)]
pub(crate) struct Options {
    /// The corpus served to chat requests that are not paced.
    pub(crate) corpus: Option<PathBuf>,
    /// The port to listen on (0: a free one).
    pub(crate) port: u16,
    /// Bytes of the corpus per socket write (HTTP/1.1).
    pub(crate) write_size: usize,
    /// The corpus's default framing: chunked, or a `content-length`.
    pub(crate) chunked: bool,
    /// Exit when standard input closes.
    pub(crate) exit_with_stdin: bool,
    /// The paced synthetic stream.
    pub(crate) paced: paced::Settings,
    /// Serve HTTP/2: h2c with prior knowledge beside HTTP/1.1, and only `h2`
    /// over TLS.
    pub(crate) http2: bool,
    /// The streams one HTTP/2 connection may have open at once.
    pub(crate) max_concurrent_streams: u32,
    /// `--tls`: where to write the CA certificate (PEM) clients must trust.
    pub(crate) ca_out: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            corpus: None,
            port: 0,
            write_size: 16 * 1024,
            chunked: true,
            exit_with_stdin: false,
            paced: paced::Settings::default(),
            http2: false,
            max_concurrent_streams: 100,
            ca_out: None,
        }
    }
}

/// Reads the command line.
pub(crate) fn parse_args() -> Result<Options, String> {
    parse(std::env::args().skip(1))
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut args = args.into_iter();
    let mut options = Options::default();
    let mut tls = false;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--corpus" => options.corpus = Some(PathBuf::from(value("--corpus")?)),
            "--port" => options.port = number("--port", &value("--port")?)?,
            "--write-size" => {
                options.write_size = at_least("--write-size", &value("--write-size")?, 1)?;
            }
            "--framing" => {
                options.chunked = match value("--framing")?.as_str() {
                    "chunked" => true,
                    "length" => false,
                    other => return Err(format!("--framing takes chunked or length, got {other}")),
                };
            }
            "--chunks" => {
                options.paced.chunks = number("--chunks", &value("--chunks")?)?;
                if options.paced.chunks < 2 {
                    return Err("--chunks must be at least 2 (the role and the final chunk)".into());
                }
            }
            "--interval-ms" => options.paced.interval = millis(&value("--interval-ms")?)?,
            "--hold-ms" => options.paced.hold = Some(millis(&value("--hold-ms")?)?),
            "--http2" => options.http2 = true,
            "--max-concurrent-streams" => {
                let text = value("--max-concurrent-streams")?;
                options.max_concurrent_streams = at_least("--max-concurrent-streams", &text, 1)?;
            }
            "--tls" => tls = true,
            "--ca-out" => options.ca_out = Some(PathBuf::from(value("--ca-out")?)),
            "--exit-with-stdin" => options.exit_with_stdin = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    match (tls, &options.ca_out) {
        (true, None) => Err("--tls needs --ca-out FILE (where the CA certificate goes)".into()),
        (false, Some(_)) => Err("--ca-out only goes with --tls".into()),
        _ => Ok(options),
    }
}

/// `text` as a number, for option `name`.
fn number<T: std::str::FromStr>(name: &str, text: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| format!("{name} {text}: {e}"))
}

/// `text` as a number of at least `min`, for option `name`.
fn at_least<T>(name: &str, text: &str, min: T) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
    T::Err: std::fmt::Display,
{
    let n = number(name, text)?;
    if n < min {
        return Err(format!("{name} must be at least {min}"));
    }
    Ok(n)
}

/// A number of milliseconds.
fn millis(value: &str) -> Result<Duration, String> {
    value
        .parse()
        .map(Duration::from_millis)
        .map_err(|e| format!("{value} ms: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<Options, String> {
        parse(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn the_defaults_are_plain_http1() {
        let options = args("").unwrap();
        assert!(!options.http2);
        assert!(options.ca_out.is_none());
        assert_eq!(options.max_concurrent_streams, 100);
        assert_eq!(options.paced.chunks, 200);
    }

    #[test]
    fn tls_needs_somewhere_to_put_its_ca() {
        assert!(args("--tls").unwrap_err().contains("--ca-out"));
        assert!(args("--ca-out ca.pem").unwrap_err().contains("--tls"));
        let options = args("--http2 --tls --ca-out ca.pem --max-concurrent-streams 7").unwrap();
        assert!(options.http2);
        assert_eq!(options.ca_out, Some(PathBuf::from("ca.pem")));
        assert_eq!(options.max_concurrent_streams, 7);
    }

    #[test]
    fn bad_numbers_are_refused() {
        assert!(args("--chunks 1").unwrap_err().contains("at least 2"));
        assert!(args("--write-size 0").is_err());
        assert!(args("--max-concurrent-streams 0").is_err());
        assert!(args("--port x").is_err());
    }
}
