//! The charts of the report, built from the results: which rows become
//! which bars.
//!
//! Throughput charts show ratios to one peer (that peer's bar is 1×), not
//! absolute rates: the ratio is what carries over to another machine, and
//! every method of a chart was measured in the same run over the same
//! bytes. Each bar's label also gives the absolute rate. The memory chart
//! shows megabytes, since there is no time in it to depend on the machine.
//!
//! A chart whose group is missing from the results is not produced.

use super::format;
use super::model::{Group, Results};
use super::svg::{Bar, BarGroup, Chart, Series};

/// A chart and where it goes.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartFile {
    /// The file name under `docs/bench/` (`sse.svg`).
    pub file: String,
    /// The image's alternative text in Markdown.
    pub alt: String,
    /// The chart.
    pub chart: Chart,
}

/// The colour of each method, the same in every chart (Okabe–Ito).
pub fn color(method: &str) -> &'static str {
    match method {
        "ours" => "#0072B2",
        "ours+fold" => "#56B4E9",
        "async-openai" => "#E69F00",
        "sse-stream" => "#009E73",
        "eventsource-stream" => "#D55E00",
        "hyper" => "#8A8A8A",
        _ => "#CC79A7",
    }
}

/// Every chart the results allow, in report order.
pub fn all(results: &Results) -> Vec<ChartFile> {
    let mut out = Vec::new();
    if let Some(group) = results.group("types") {
        out.extend(types(group));
    }
    if let Some(group) = results.group("sse") {
        out.extend(sse(group));
    }
    if let Some(group) = results.group("client") {
        out.extend(client_rate(group));
        out.extend(client_memory(group));
    }
    out
}

fn series(methods: &[&str]) -> Vec<Series> {
    methods
        .iter()
        .map(|m| Series {
            name: format::method(m),
            color: color(m).to_owned(),
        })
        .collect()
}

/// `ratio · rate/s`, the label of a throughput bar.
fn rate_label(ratio: f64, rate: f64, unit: &str) -> String {
    format!("{} · {} {unit}", format::ratio(ratio), format::rate(rate))
}

/// The scopes of [`ratio_groups`] for one block per corpus at `piece`,
/// labelled with the corpus.
fn per_corpus<'a>(group: &'a Group, piece: &'a str) -> Vec<(&'a str, &'a str, String)> {
    group
        .corpora()
        .into_iter()
        .map(|corpus| (corpus, piece, corpus.to_owned()))
        .collect()
}

/// One block per `scope` (corpus or framing): for each method, its rate
/// relative to `base`'s on the same corpus and piece.
fn ratio_groups(
    group: &Group,
    scopes: &[(&str, &str, String)],
    methods: &[&str],
    base: &str,
    unit: &str,
) -> Vec<BarGroup> {
    scopes
        .iter()
        .filter_map(|(corpus, piece, label)| {
            let base_rate = group.row(corpus, piece, base)?.rate;
            if base_rate <= 0.0 {
                return None;
            }
            let bars = methods
                .iter()
                .enumerate()
                .filter_map(|(series, method)| {
                    let row = group.row(corpus, piece, method)?;
                    let ratio = row.rate / base_rate;
                    Some(Bar {
                        series,
                        value: ratio,
                        label: rate_label(ratio, row.rate, unit),
                    })
                })
                .collect();
            Some(BarGroup {
                label: label.clone(),
                bars,
            })
        })
        .collect()
}

/// `best of 5 runs, measured 2025-11-26 at abc1234`.
fn runs(group: &Group) -> String {
    format!(
        "best of {} run{}, measured {} at {}",
        group.runs,
        if group.runs == 1 { "" } else { "s" },
        group.date.split('T').next().unwrap_or(&group.date),
        group.commit_text()
    )
}

/// The last note of the parsing and SSE charts.
fn corpus_runs(group: &Group) -> String {
    format!(
        "{} chunks per corpus; {}",
        format::count(group.chunks),
        runs(group)
    )
}

fn sse(group: &Group) -> Option<ChartFile> {
    let methods = ["ours", "sse-stream", "eventsource-stream"];
    let scopes = per_corpus(group, "16KiB");
    let groups = ratio_groups(group, &scopes, &methods, "eventsource-stream", "events/s");
    if groups.is_empty() {
        return None;
    }
    let limits: Vec<String> = group
        .corpora()
        .into_iter()
        .filter_map(|corpus| {
            let limit = group.row(corpus, "16KiB", "limit")?;
            let ratio = group.rate_ratio(corpus, "16KiB", "limit", "ours")?;
            Some(format!(
                "{corpus} {} events/s ({} ours)",
                format::rate(limit.rate),
                format::ratio(ratio)
            ))
        })
        .collect();
    let mut notes = Vec::new();
    if !limits.is_empty() {
        notes.push(format!(
            "Scan limit (memchr counting \\n\\n, no decoding; not drawn): {}.",
            limits.join(", ")
        ));
    }
    notes.push(
        "eventsource-stream copies the rest of its buffer for every line, so its cost grows with \
         the piece size; 1 KiB and whole-buffer pieces are in BENCHMARKS.md."
            .to_owned(),
    );
    notes.push(corpus_runs(group));
    Some(ChartFile {
        file: "sse.svg".to_owned(),
        alt: "SSE decoding at 16 KiB pieces: events/s relative to eventsource-stream".to_owned(),
        chart: Chart {
            title: "SSE decoding, 16 KiB pieces".to_owned(),
            subtitle: vec![
                "events/s relative to eventsource-stream (async-openai's SSE layer) · higher is \
                 better · same bytes, same run"
                    .to_owned(),
            ],
            series: series(&methods),
            groups,
            axis_label: "× eventsource-stream's events/s".to_owned(),
            tick_suffix: "×".to_owned(),
            notes,
        },
    })
}

fn types(group: &Group) -> Option<ChartFile> {
    let methods = ["ours", "ours+fold", "async-openai"];
    let scopes = per_corpus(group, "payloads");
    let groups = ratio_groups(group, &scopes, &methods, "async-openai", "chunks/s");
    if groups.is_empty() {
        return None;
    }
    Some(ChartFile {
        file: "types.svg".to_owned(),
        alt: "Payload parsing: chunks/s relative to async-openai".to_owned(),
        chart: Chart {
            title: "Payload parsing (JSON to chunk type)".to_owned(),
            subtitle: vec![
                "chunks/s relative to async-openai's chunk type through serde_json · higher is \
                 better · same payloads, same run"
                    .to_owned(),
            ],
            series: series(&methods),
            groups,
            axis_label: "× async-openai's chunks/s".to_owned(),
            tick_suffix: "×".to_owned(),
            notes: vec![
                "ours+fold also folds every chunk into the final completion (Accumulator)."
                    .to_owned(),
                corpus_runs(group),
            ],
        },
    })
}

/// The framings of the client group, as (corpus, piece, label).
fn framings(group: &Group) -> Vec<(&str, &str, String)> {
    group
        .pieces()
        .into_iter()
        .filter(|p| *p != "ttfc")
        .filter_map(|piece| {
            let corpus = group
                .rows
                .iter()
                .find(|r| r.piece == piece)?
                .corpus
                .as_str();
            Some((corpus, piece, format::piece(piece)))
        })
        .collect()
}

fn client_setting(group: &Group) -> String {
    let runtime = group
        .settings
        .get("client_runtime")
        .map_or(String::new(), |r| format!(", tokio {r}-thread runtime"));
    format!(
        "{} chunks of the text corpus from a local mock server{runtime}",
        format::count(group.chunks)
    )
}

fn client_rate(group: &Group) -> Option<ChartFile> {
    let methods = ["ours", "async-openai", "hyper"];
    let groups = ratio_groups(
        group,
        &framings(group),
        &methods,
        "async-openai",
        "chunks/s",
    );
    if groups.is_empty() {
        return None;
    }
    Some(ChartFile {
        file: "client.svg".to_owned(),
        alt: "Client over loopback HTTP: chunks/s relative to async-openai".to_owned(),
        chart: Chart {
            title: "Whole client over loopback HTTP".to_owned(),
            subtitle: vec![
                "chunks/s relative to async-openai's client · higher is better · same server, \
                 same run"
                    .to_owned(),
            ],
            series: series(&methods),
            groups,
            axis_label: "× async-openai's chunks/s".to_owned(),
            tick_suffix: "×".to_owned(),
            notes: vec![
                "bare hyper only counts event separators in the body: the transport ceiling, not \
                 a client."
                    .to_owned(),
                "chunked: HTTP/1.1 chunks of 16 KiB; content-length: the client's reads decide \
                 the piece size."
                    .to_owned(),
                format!("{}; {}", client_setting(group), runs(group)),
            ],
        },
    })
}

fn client_memory(group: &Group) -> Option<ChartFile> {
    let methods = ["ours", "async-openai", "hyper"];
    let groups: Vec<BarGroup> = framings(group)
        .into_iter()
        .filter_map(|(corpus, piece, label)| {
            let bars: Vec<Bar> = methods
                .iter()
                .enumerate()
                .filter_map(|(series, method)| {
                    let mb = group.row(corpus, piece, method)?.metric("peak_rss_mb")?;
                    Some(Bar {
                        series,
                        value: mb,
                        label: format::megabytes(mb),
                    })
                })
                .collect();
            (!bars.is_empty()).then_some(BarGroup { label, bars })
        })
        .collect();
    if groups.is_empty() {
        return None;
    }
    let baseline = group
        .rows
        .iter()
        .find_map(|r| r.metric("baseline_rss_mb"))
        .map(|mb| {
            format!(
                "A process that only starts the runtime peaks at {}.",
                format::megabytes(mb)
            )
        });
    let mut notes: Vec<String> = baseline.into_iter().collect();
    notes.push(format!("{}; {}", client_setting(group), runs(group)));
    Some(ChartFile {
        file: "client-memory.svg".to_owned(),
        alt: "Client over loopback HTTP: peak resident memory".to_owned(),
        chart: Chart {
            title: "Peak memory while streaming".to_owned(),
            subtitle: vec![
                "peak resident set (VmHWM) of a process running one method · lower is better"
                    .to_owned(),
            ],
            series: series(&methods),
            groups,
            axis_label: "peak RSS, MB".to_owned(),
            tick_suffix: String::new(),
            notes,
        },
    })
}
