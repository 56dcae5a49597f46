//! Group `client`: the whole client, over loopback HTTP, against
//! async-openai's client and a bare hyper request.
//!
//! The other groups time layers on bytes already in memory; this one times
//! what a user gets: a request to a server, the response read from a socket,
//! HTTP/1.1 chunked decoding, SSE framing, JSON parsing, and the hand-off to
//! the caller. The server is the `mock-server` binary of `chatstream-testkit`
//! (built next to this one, in `target/release`), started once as a separate
//! process, serving the `text` corpus as one `text/event-stream` body in
//! 16 KiB writes, as fast as the socket takes them. Being another process,
//! its CPU time, memory and allocations stay out of the client's numbers.
//!
//! The body is sent with two framings, each measured (column `piece`):
//!
//! - `chunked` — HTTP/1.1 chunked, one 16 KiB chunk per write: hyper hands
//!   the client at most one chunk per frame, so every client sees pieces of
//!   at most 16 KiB (as behind a proxy that flushes 16 KiB buffers, or over
//!   HTTP/2, whose frames are 16 KiB by default);
//! - `length` — a `content-length` body in bare 16 KiB writes: the client's
//!   reads decide the piece size, and a client that reads faster than the
//!   server writes sees small pieces, a slower one large ones (up to
//!   hyper's read buffer, hundreds of KiB). eventsource-stream, async-openai's
//!   SSE layer, is quadratic in the piece size, so this is where it loses
//!   most; it is also the setting of the reference's loopback numbers
//!   (async-openai at 52–60 k chunks/s).
//!
//! Each method runs in a child process of its own (this binary re-executed
//! with the hidden `--client-method NAME` flag), which reports its numbers
//! as one JSON line; so the peak resident set (`VmHWM` of
//! `/proc/self/status`, read at the end) is that method's alone, not the
//! high-water mark of everything measured before it. Each child reads the
//! whole stream `--runs` times over one client (the connection is pooled)
//! and reports the best run, like the other groups:
//!
//! - `ours` — `chatstream::Client::create_chat_completion_stream` and
//!   `stream.next()` until the end (which must be `[DONE]`), counting the
//!   chunks and summing the bytes of their content;
//! - `async-openai` — async-openai 0.43's `Client::with_config` and
//!   `chat().create_stream`, read through its stream (reqwest, then
//!   eventsource-stream, then serde_json into its owned type, handed over
//!   from a spawned task through an unbounded channel), counting the same;
//! - `hyper` — a bare hyper-util legacy client request (HTTP/1.1) whose body
//!   frames are only scanned for the `\n\n` event separators: the transport
//!   ceiling, what any client built on hyper could reach.
//!
//! All three must report the same chunk count (the corpus's events less
//! `[DONE]`); `ours` and `async-openai` the same content bytes, and `hyper`
//! every byte of the corpus. Reported: chunks/s and MB/s (body bytes) of the
//! best run, allocations per chunk (the whole process, every thread, one
//! run), and the peak RSS of the child (with, for scale, that of a child
//! that only starts the runtime). The target: `ours` at least 10 times
//! async-openai (checked for both framings).
//!
//! Time to first chunk: last, one child per run (`--runs`, a batch each)
//! alternates requests of `ours` and of the bare hyper client for a short
//! stream (the corpus's first 20 events then `[DONE]`, chunked, served under
//! `/chunked/first-20/v1`), over pooled connections, after a few warm-up
//! requests, and times from the call to the first chunk (`ours`) or to the
//! first body byte (`hyper`); each stream is then read to its end. Reported,
//! from the median batch by the ratio of the two (see [`ttfc_row`]): the
//! median of its 400 requests each (and p10, p90), and
//! allocations per request; and the spread of the batch medians. Target:
//! `ours` within 5% of bare hyper.
//!
//! The runtime is tokio's current-thread runtime by default: on a two-core
//! machine whose other core runs the server, it measures what each client
//! costs per chunk on one core, without the noise of more runnable threads
//! than cores. `--client-runtime multi` uses the multi-thread runtime with
//! its default worker count (what `#[tokio::main]` gives), where both our
//! client and async-openai hand data between threads (hyper's connection
//! task; async-openai's spawned decoding task).

use std::path::Path;
use std::time::Duration;

use memchr::memmem;
use serde::{Deserialize, Serialize};

use crate::measure::{Measured, Outcome};
use crate::report::Row;

mod methods;
mod server;

pub use methods::child_main;
use methods::*;
use server::*;

/// The method names of this group, in the order they are reported.
pub const METHODS: [&str; 3] = ["ours", "async-openai", "hyper"];

/// The corpus this group streams.
pub(super) const CORPUS: &str = "text";

/// The server's write size.
pub(super) const WRITE_SIZE: usize = 16 * 1024;

/// The framings measured: the row's `piece`, which is also the path segment
/// that asks the server for it.
pub const FRAMINGS: [&str; 2] = ["chunked", "length"];

/// The short stream of the time-to-first-chunk measurement: its events,
/// requests timed per method, and warm-up requests per method.
pub(super) const TTFC_EVENTS: u64 = 20;
pub(super) const TTFC_REQUESTS: usize = 400;
pub(super) const TTFC_WARMUP: usize = 20;

/// The request every method sends (the bare one pre-encoded).
pub(super) const MODEL: &str = "gpt-4o";
pub(super) const PROMPT: &str = "Benchmark.";
pub(super) const RAW_REQUEST: &[u8] =
    br#"{"model":"gpt-4o","messages":[{"role":"user","content":"Benchmark."}],"stream":true}"#;

/// Removed from the children's environment: the clients must talk to the
/// loopback server directly (reqwest honours these by default).
pub(super) const PROXY_VARS: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// What a child process reports, as one JSON line on its standard output.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct Report {
    /// The best run, in seconds.
    pub(super) best_s: f64,
    /// Allocations of one run (the fewest seen).
    pub(super) allocations: u64,
    /// Chunks counted in the last run.
    pub(super) items: u64,
    /// Failures in the last run.
    pub(super) failures: u64,
    /// Content bytes (`ours`, `async-openai`) or body bytes (`hyper`).
    pub(super) checksum: u64,
    /// The first failure.
    pub(super) first_failure: Option<String>,
    /// `VmHWM` at the end, in KiB (0 where `/proc` has none).
    pub(super) peak_rss_kb: u64,
    /// Time to first chunk of each timed request of `ours`, in nanoseconds.
    pub(super) ours_ns: Vec<u64>,
    /// Time to first body byte of each timed bare hyper request.
    pub(super) hyper_ns: Vec<u64>,
    /// Allocations per timed request (whole short stream), `ours`.
    pub(super) ours_allocs: Vec<u64>,
    /// Allocations per timed request, bare hyper.
    pub(super) hyper_allocs: Vec<u64>,
}

/// Runs the group: starts the server, one child per framing and method,
/// then the time-to-first-chunk child. Returns the rows (throughput rows
/// with piece `chunked` or `length`, time-to-first-chunk rows with piece
/// `ttfc`).
pub fn bench(dir: &Path, runs: u32, runtime: &str) -> Result<Vec<Row>, String> {
    let path = dir.join(format!("sse_{CORPUS}.bin"));
    let data = std::fs::read(&path).map_err(|e| {
        format!(
            "{}: {e} (generate the corpora with `cargo xtask bench`)",
            path.display()
        )
    })?;
    if !data.ends_with(b"data: [DONE]\n\n") {
        return Err(format!("{}: does not end with [DONE]", path.display()));
    }
    let bytes = data.len() as u64;
    let chunks = memmem::find_iter(&data, b"\n\n").count() as u64 - 1;
    drop(data);
    println!(
        "\n## group `client`: corpus `{CORPUS}` over loopback HTTP: {bytes} bytes, {chunks} \
         chunks + [DONE], served by mock-server in {} KiB writes; tokio {runtime}-thread runtime; \
         each method in a child process of its own",
        WRITE_SIZE / 1024
    );

    let server = Server::start(&sibling("mock-server")?, &path)?;
    let origin = server.origin();
    let baseline = run_child("baseline", server.url(), 1, runtime)?;
    let mut rows = Vec::new();
    for framing in FRAMINGS {
        let url = format!("{origin}/{framing}/v1");
        let mut group = Vec::new();
        for method in METHODS {
            let report = run_child(method, &url, runs, runtime)?;
            let failed = report.failures > 0 || report.items != chunks;
            if failed {
                return Err(format!(
                    "client/{framing}/{method}: read {} chunks with {} failures, expected \
                     {chunks} (first failure: {})",
                    report.items,
                    report.failures,
                    report.first_failure.as_deref().unwrap_or("none")
                ));
            }
            let mut row = Row::new(
                "client",
                CORPUS,
                framing,
                method,
                chunks,
                bytes,
                &measured(&report),
            );
            row.metrics
                .insert("peak_rss_mb".to_owned(), report.peak_rss_kb as f64 / 1024.0);
            row.metrics.insert(
                "baseline_rss_mb".to_owned(),
                baseline.peak_rss_kb as f64 / 1024.0,
            );
            row.metrics
                .insert("checksum".to_owned(), report.checksum as f64);
            group.push(row);
        }
        check_checksums(&group, bytes)?;
        crate::report::add_ratios(&mut group);
        rows.extend(group);
    }

    let mut batches = Vec::new();
    for _ in 0..runs.max(1) {
        batches.push(run_child(
            "ttfc",
            &format!("{origin}/chunked/v1"),
            1,
            runtime,
        )?);
    }
    drop(server);
    let summaries: Vec<Batch> = batches.iter().map(Batch::of).collect();
    for (i, batch) in summaries.iter().enumerate() {
        println!(
            "time to first chunk, batch {}: ours {:.1} µs, bare hyper {:.1} µs ({:+.1} %)",
            i + 1,
            batch.ours as f64 / 1e3,
            batch.bare as f64 / 1e3,
            batch.gap_pct()
        );
    }
    let mut by_gap: Vec<&Batch> = summaries.iter().filter(|b| b.timed()).collect();
    by_gap.sort_by(|a, b| a.gap_pct().total_cmp(&b.gap_pct()));
    let (Some(first), Some(middle), Some(last)) =
        (by_gap.first(), by_gap.get(by_gap.len() / 2), by_gap.last())
    else {
        return Err("client/ttfc: no request timed".to_owned());
    };
    let spread = (first.gap_pct(), last.gap_pct());
    let ours = ttfc_row("ours", &batches, middle.report, Some(spread), |b| {
        (&b.ours_ns, &b.ours_allocs)
    })?;
    let hyper = ttfc_row("hyper", &batches, middle.report, None, |b| {
        (&b.hyper_ns, &b.hyper_allocs)
    })?;
    print_table(&rows, baseline.peak_rss_kb, &ours, &hyper);
    rows.extend([ours, hyper]);
    Ok(rows)
}

/// `ours` and `async-openai` must agree on the content bytes, `hyper` must
/// have read the whole corpus (`rows`: one framing).
pub(super) fn check_checksums(rows: &[Row], bytes: u64) -> Result<(), String> {
    let sum = |method: &str| {
        rows.iter()
            .find(|r| r.method == method)
            .and_then(|r| r.metrics.get("checksum").copied())
    };
    if let (Some(ours), Some(peer)) = (sum("ours"), sum("async-openai")) {
        if ours != peer {
            return Err(format!(
                "client: ours read {ours} content bytes, async-openai {peer}"
            ));
        }
    }
    if let Some(read) = sum("hyper") {
        if read != bytes as f64 {
            return Err(format!(
                "client/hyper: read {read} body bytes, the corpus has {bytes}"
            ));
        }
    }
    Ok(())
}

pub(super) fn measured(report: &Report) -> Measured {
    Measured {
        best: Duration::from_secs_f64(report.best_s),
        allocations: report.allocations,
        outcome: Outcome {
            items: report.items,
            failures: report.failures,
            checksum: report.checksum,
            first_failure: report.first_failure.clone(),
        },
    }
}

/// The median of `nanos` (0 if empty).
fn median_ns(nanos: &[u64]) -> u64 {
    let mut sorted = nanos.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or(0)
}

/// One batch of the time-to-first-chunk child and its two medians.
struct Batch<'a> {
    report: &'a Report,
    /// Our median, in nanoseconds (0 if none was timed).
    ours: u64,
    /// Bare hyper's median.
    bare: u64,
}

impl<'a> Batch<'a> {
    fn of(report: &'a Report) -> Self {
        Batch {
            report,
            ours: median_ns(&report.ours_ns),
            bare: median_ns(&report.hyper_ns),
        }
    }

    /// Whether both methods timed requests.
    fn timed(&self) -> bool {
        !self.report.ours_ns.is_empty() && !self.report.hyper_ns.is_empty()
    }

    /// How much longer ours took than bare hyper, in percent.
    fn gap_pct(&self) -> f64 {
        (self.ours as f64 / self.bare.max(1) as f64 - 1.0) * 100.0
    }
}

/// The time-to-first-chunk row of `method`, read from `chosen`, one of
/// `batches` (each a child process timing alternated requests of both
/// methods; `pick` gives the method's times and allocations in one);
/// `gap_spread`, the smallest and largest per-batch ratio in percent, goes
/// on the row of `ours`.
///
/// `chosen` is the median batch: the batches sorted by the ratio of our
/// median to bare hyper's, the middle one. Both methods are
/// read from that one batch (their requests alternated), and the choice
/// favours neither: picking the batch in which one method was fastest would
/// pick that method's luck. Why batches: on these machines a whole batch
/// runs in one of two phases (a back-to-back request takes ~40 µs in one and
/// ~70–100 µs in the other, for the same binaries), and the phase, not the
/// code, then decides a single batch's figure. The spread over all batches
/// is kept in the row (`ttfc_batch_median_min_us`,
/// `ttfc_batch_median_max_us`, `ttfc_pooled_median_us`, and on `ours` the
/// smallest and largest ratio, `ttfc_gap_min_pct`, `ttfc_gap_max_pct`).
/// `best_s` is the median, the one item the first chunk, allocations those
/// of a whole short request.
pub(super) fn ttfc_row(
    method: &'static str,
    batches: &[Report],
    chosen: &Report,
    gap_spread: Option<(f64, f64)>,
    pick: impl Fn(&Report) -> (&Vec<u64>, &Vec<u64>),
) -> Result<Row, String> {
    let (nanos, allocs) = pick(chosen);
    if nanos.is_empty() {
        return Err(format!("client/ttfc/{method}: no request timed"));
    }
    let timed = || batches.iter().map(|b| pick(b).0).filter(|n| !n.is_empty());
    let batch_medians: Vec<u64> = timed().map(|n| median_ns(n)).collect();
    let pooled: Vec<u64> = timed().flatten().copied().collect();
    let mut sorted = nanos.to_vec();
    sorted.sort_unstable();
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize] as f64 / 1e3;
    let median = at(0.5);
    let mean_allocs = allocs.iter().sum::<u64>() / allocs.len().max(1) as u64;
    let measured = Measured {
        best: Duration::from_nanos((median * 1e3) as u64),
        allocations: mean_allocs,
        outcome: Outcome {
            items: 1,
            ..Outcome::default()
        },
    };
    let mut row = Row::new("client", CORPUS, "ttfc", method, 1, 0, &measured);
    for (name, value) in [
        ("ttfc_median_us", median),
        ("ttfc_p10_us", at(0.1)),
        ("ttfc_p90_us", at(0.9)),
        ("requests", sorted.len() as f64),
        ("allocs_per_request", mean_allocs as f64),
        ("batches", batch_medians.len() as f64),
        (
            "ttfc_batch_median_min_us",
            batch_medians.iter().copied().min().unwrap_or(0) as f64 / 1e3,
        ),
        (
            "ttfc_batch_median_max_us",
            batch_medians.iter().copied().max().unwrap_or(0) as f64 / 1e3,
        ),
        ("ttfc_pooled_median_us", median_ns(&pooled) as f64 / 1e3),
    ] {
        row.metrics.insert(name.to_owned(), value);
    }
    if let Some((low, high)) = gap_spread {
        row.metrics.insert("ttfc_gap_min_pct".to_owned(), low);
        row.metrics.insert("ttfc_gap_max_pct".to_owned(), high);
    }
    row.note = Some(format!(
        "time to first {} of a {TTFC_EVENTS}-event stream over a pooled connection: best_s is \
         the median of {} requests in the median of {} batches (by the ratio ours / bare hyper); \
         allocs_per_item are per whole request",
        if method == "ours" {
            "chunk"
        } else {
            "body byte"
        },
        sorted.len(),
        batches.len()
    ));
    Ok(row)
}

/// `1.23 M`, `456 k`.
pub(super) fn rate(value: f64) -> String {
    if value >= 1e6 {
        format!("{:.2} M", value / 1e6)
    } else if value >= 1e3 {
        format!("{:.0} k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

pub(super) fn megabytes(kb: u64) -> String {
    if kb == 0 {
        "n/a".to_owned()
    } else {
        format!("{:.1} MB", kb as f64 / 1024.0)
    }
}

pub(super) fn print_table(rows: &[Row], baseline_kb: u64, ours: &Row, hyper: &Row) {
    println!(
        "\n{:<6} {:<7} {:<13} {:>10} {:>8} {:>12} {:>10} {:>7}",
        "client", "piece", "method", "chunks/s", "MB/s", "allocs/chunk", "peak RSS", "ours ×"
    );
    for row in rows {
        let ours_rate = rows
            .iter()
            .find(|r| r.method == "ours" && r.piece == row.piece)
            .map_or(f64::NAN, |r| r.events_per_s);
        let rss = row.metrics.get("peak_rss_mb").copied().unwrap_or(0.0);
        println!(
            "{:<6} {:<7} {:<13} {:>10} {:>8.0} {:>12.2} {:>10} {:>6.2}×",
            row.corpus,
            row.piece,
            row.method,
            rate(row.events_per_s),
            row.mb_per_s,
            row.allocs_per_item,
            megabytes((rss * 1024.0) as u64),
            ours_rate / row.events_per_s
        );
    }
    println!(
        "(peak RSS of a child that only starts the runtime: {})",
        megabytes(baseline_kb)
    );
    println!(
        "\ntime to first chunk ({TTFC_EVENTS}-event stream, pooled connection, requests of both \
         methods alternated)"
    );
    println!(
        "{:<6} {:<7} {:<13} {:>10} {:>10} {:>10} {:>9} {:>12}",
        "client", "piece", "method", "median", "p10", "p90", "requests", "allocs/req"
    );
    for row in [ours, hyper] {
        let metric = |name: &str| row.metrics.get(name).copied().unwrap_or(f64::NAN);
        println!(
            "{:<6} {:<7} {:<13} {:>7.1} µs {:>7.1} µs {:>7.1} µs {:>9} {:>12}",
            row.corpus,
            row.piece,
            row.method,
            metric("ttfc_median_us"),
            metric("ttfc_p10_us"),
            metric("ttfc_p90_us"),
            metric("requests"),
            metric("allocs_per_request"),
        );
    }
}

/// Prints the group's targets against what was measured (after the other
/// groups' targets).
pub fn print_targets(rows: &[Row]) {
    let find = |piece: &str, method: &str| {
        rows.iter()
            .find(|r| r.group == "client" && r.piece == piece && r.method == method)
    };
    let line = |what: &str, value: String, target: &str, ok: Option<bool>| {
        let verdict = match ok {
            Some(true) => "ok",
            Some(false) => "MISS",
            None => "",
        };
        println!("{CORPUS:<6} {what:<40} {value:>10}   target {target:<10} {verdict}");
    };
    for framing in FRAMINGS {
        if let (Some(ours), Some(peer)) = (find(framing, "ours"), find(framing, "async-openai")) {
            let ratio = ours.events_per_s / peer.events_per_s;
            line(
                &format!("client {framing}: ours / async-openai"),
                format!("{ratio:.1}×"),
                "≥ 10×",
                Some(ratio >= 10.0),
            );
        }
        if let (Some(ours), Some(bare)) = (find(framing, "ours"), find(framing, "hyper")) {
            let ratio = ours.events_per_s / bare.events_per_s;
            line(
                &format!("client {framing}: ours / bare hyper"),
                format!("{ratio:.2}"),
                "(info)",
                None,
            );
        }
    }
    if let (Some(ours), Some(bare)) = (find("ttfc", "ours"), find("ttfc", "hyper")) {
        let extra = (ours.best_s / bare.best_s - 1.0) * 100.0;
        line(
            "client: first chunk, ours vs bare hyper",
            format!("{extra:+.1}%"),
            "≤ +5%",
            Some(extra <= 5.0),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_finds_separators_split_across_pieces() {
        let body = b"data: a\n\ndata: b\n\ndata: c\n\n";
        for size in 1..=body.len() {
            let mut counter = EventCounter::default();
            for piece in body.chunks(size) {
                counter.feed(piece);
            }
            assert_eq!(counter.events, 3, "size {size}");
        }
    }
}
