//! The benchmark report is generated, not written: `BENCHMARKS.md`,
//! `docs/bench/*.svg` and the README's benchmark section must be exactly what
//! `docs/bench/results.json` renders to, and the generator must compute its
//! verdicts and bars from the numbers.
//!
//! The first test is the guard against a stale or hand-edited report; the
//! others check the generator itself on small results made here, so they do
//! not depend on what the last benchmark run measured.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::path::PathBuf;

use chatstream_bench::render::svg::{self, Bar, BarGroup, Chart, Series};
use chatstream_bench::render::{
    self as bench_report, Load, Output, Results, charts, markdown, render, replace_block, stale,
    targets,
};
use serde_json::{Value, json};

#[test]
fn committed_report_matches_the_committed_results() {
    let root = bench_report::workspace_root();
    let outputs = bench_report::render_at(&root)
        .unwrap_or_else(|e| panic!("{e} — run `cargo xtask bench --report-only`"));
    let stale = stale(&root, &outputs);
    assert!(
        stale.is_empty(),
        "out of date with {}: {} — run `cargo xtask bench --report-only`",
        bench_report::RESULTS,
        stale.join(", ")
    );
}

/// A row of the results file.
fn row(corpus: &str, piece: &str, method: &str, rate: f64, allocs: f64) -> Value {
    json!({
        "group": "x", "corpus": corpus, "piece": piece, "method": method,
        "items": 1000, "bytes": 100_000, "best_s": 1000.0 / rate,
        "events_per_s": rate, "mb_per_s": 0.1 * rate / 1000.0,
        "allocs_per_item": allocs, "failures": 0, "ratio_to": {}
    })
}

fn group(rows: Vec<Value>) -> Value {
    json!({
        "date": "2025-01-02T03:04:05Z", "commit": "abc1234", "dirty": false,
        "runs": 3, "chunks": 1000, "settings": {},
        "machine": {"cpu": "Test CPU", "logical_cores": 4, "memory_kib": 8_388_608,
                    "kernel": "6.0", "rustc": "rustc 1.85.0"},
        "rows": rows
    })
}

fn results(groups: Value) -> String {
    json!({"schema": 1, "groups": groups}).to_string()
}

/// A `types` group where ours parses at `ratio` times async-openai's rate.
fn types_group(ratio: f64) -> Value {
    group(vec![
        row("text", "payloads", "ours", 1_000_000.0 * ratio, 2.0),
        row("text", "payloads", "ours+fold", 950_000.0 * ratio, 2.0),
        row("text", "payloads", "async-openai", 1_000_000.0, 6.0),
    ])
}

const README: &str = "# x\n\nintro\n\n<!-- bench-report:begin (generated) -->\nold text\n\
                      <!-- bench-report:end -->\n\ntail\n";

fn find<'a>(outputs: &'a [Output], path: &str) -> &'a str {
    &outputs
        .iter()
        .find(|o| o.path == path)
        .unwrap_or_else(|| panic!("no output {path}"))
        .contents
}

#[test]
fn a_target_below_its_goal_is_missed_and_above_it_met() {
    for (ratio, met) in [(1.2, false), (1.29, false), (1.3, true), (1.45, true)] {
        let parsed = Results::parse(&results(json!({"types": types_group(ratio)}))).unwrap();
        let all = targets::all(&parsed);
        let parse = all
            .iter()
            .find(|t| t.what.starts_with("parse: ours ÷ async-openai"))
            .unwrap();
        assert!((parse.measured - ratio).abs() < 1e-9, "{parse:?}");
        assert_eq!(parse.met(), met, "ratio {ratio}");
        let report = markdown::benchmarks(&parsed, &Load::default(), &[]);
        let line = report
            .lines()
            .find(|l| l.contains("| parse: ours ÷ async-openai"))
            .unwrap();
        assert_eq!(line.ends_with("| **missed** |"), !met, "{line}");
        assert_eq!(line.ends_with("| met |"), met, "{line}");
    }
    // Allocations: 2 per chunk meets "≤ 3", 3.5 misses it.
    for (allocs, met) in [(2.0, true), (3.5, false)] {
        let types = group(vec![
            row("text", "payloads", "ours", 2e6, allocs),
            row("text", "payloads", "async-openai", 1e6, 6.0),
        ]);
        let parsed = Results::parse(&results(json!({ "types": types }))).unwrap();
        let all = targets::all(&parsed);
        let target = all.iter().find(|t| t.what.contains("allocations")).unwrap();
        assert_eq!(target.met(), met, "{allocs} allocations");
    }
}

#[test]
fn client_targets_need_the_rate_and_no_more_memory() {
    let with_rss = |mut value: Value, mb: f64| {
        value["metrics"] = json!({"peak_rss_mb": mb});
        value
    };
    let ttfc = |method: &str, us: f64| {
        let mut value = row("text", "ttfc", method, 1e6 / us, 50.0);
        value["metrics"] = json!({"ttfc_median_us": us});
        value
    };
    let client = group(vec![
        with_rss(row("text", "chunked", "ours", 1.2e6, 2.0), 8.0),
        with_rss(row("text", "chunked", "async-openai", 1e5, 11.0), 6.0),
        with_rss(row("text", "chunked", "hyper", 8e6, 0.0), 5.0),
        ttfc("ours", 104.0),
        ttfc("hyper", 100.0),
    ]);
    let parsed = Results::parse(&results(json!({ "client": client }))).unwrap();
    let all = targets::all(&parsed);
    let verdict = |what: &str| all.iter().find(|t| t.what.starts_with(what)).unwrap().met();
    // 12× the chunks/s is met; 8 MB against the peer's 6 MB is missed.
    assert!(verdict("ours ÷ async-openai, chunks/s"));
    assert!(!verdict("peak RSS"));
    // 4 % slower to the first chunk is within 5 %.
    assert!(verdict("time to first chunk"));
}

/// The `width` of each `<rect class="bar" …>`, in order.
fn bar_widths(svg: &str) -> Vec<f64> {
    svg.lines()
        .filter(|l| l.starts_with("<rect class=\"bar\""))
        .map(|l| {
            let at = l.find(" width=\"").unwrap() + 8;
            let end = at + l[at..].find('"').unwrap();
            l[at..end].parse().unwrap()
        })
        .collect()
}

#[test]
fn bar_lengths_are_proportional_to_the_values() {
    let values = [1.0, 2.5, 4.0, 10.6, 0.0];
    let chart = Chart {
        title: "t".to_owned(),
        subtitle: vec![],
        series: vec![Series {
            name: "s".to_owned(),
            color: "#000000".to_owned(),
        }],
        groups: vec![BarGroup {
            label: "g".to_owned(),
            bars: values
                .iter()
                .map(|&value| Bar {
                    series: 0,
                    value,
                    label: format!("{value}"),
                })
                .collect(),
        }],
        axis_label: "x".to_owned(),
        tick_suffix: "×".to_owned(),
        notes: vec![],
    };
    let widths = bar_widths(&svg::render(&chart));
    assert_eq!(widths.len(), values.len());
    assert_eq!(widths[4], 0.0);
    let unit = widths[0] / values[0];
    for (width, value) in widths.iter().zip(values) {
        // Coordinates are printed with one decimal.
        assert!((width - value * unit).abs() <= 0.1, "{width} for {value}");
    }
}

#[test]
fn the_charts_show_the_measured_ratios() {
    let sse = group(vec![
        row("text", "16KiB", "limit", 8e7, 0.0),
        row("text", "16KiB", "ours", 2e7, 0.0),
        row("text", "16KiB", "sse-stream", 1e7, 1.0),
        row("text", "16KiB", "eventsource-stream", 1e6, 5.0),
    ]);
    let parsed = Results::parse(&results(json!({ "sse": sse }))).unwrap();
    let charts = charts::all(&parsed);
    assert_eq!(charts.len(), 1);
    let bars: Vec<(f64, &str)> = charts[0].chart.groups[0]
        .bars
        .iter()
        .map(|b| (b.value, b.label.as_str()))
        .collect();
    assert_eq!(
        bars,
        [
            (20.0, "20.0× · 20.00 M events/s"),
            (10.0, "10.0× · 10.00 M events/s"),
            (1.0, "1.00× · 1.00 M events/s"),
        ]
    );
    let widths = bar_widths(&svg::render(&charts[0].chart));
    assert!((widths[0] / widths[2] - 20.0).abs() < 0.01, "{widths:?}");
}

#[test]
fn rendering_is_deterministic_and_only_the_readme_block_changes() {
    let json = results(json!({"types": types_group(1.4)}));
    let first = render(&json, &Load::default(), README).unwrap();
    assert_eq!(first, render(&json, &Load::default(), README).unwrap());
    let readme = find(&first, "README.md");
    assert!(readme.starts_with("# x\n\nintro\n\n<!-- bench-report:begin (generated) -->\n"));
    assert!(readme.ends_with("<!-- bench-report:end -->\n\ntail\n"));
    assert!(!readme.contains("old text"));
    assert!(readme.contains("](docs/bench/types.svg)"));
    assert!(readme.contains("[BENCHMARKS.md](BENCHMARKS.md)"));
    // Rendering its own output again changes nothing.
    assert_eq!(render(&json, &Load::default(), readme).unwrap(), first);
    assert!(replace_block("no markers", "x").is_err());
    assert!(replace_block("<!-- bench-report:begin -->\nno end\n", "x").is_err());
}

#[test]
fn a_group_not_measured_is_said_so_and_not_drawn() {
    let outputs = render(
        &results(json!({"types": types_group(1.4)})),
        &Load::default(),
        README,
    )
    .unwrap();
    let paths: Vec<&str> = outputs.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(
        paths,
        ["BENCHMARKS.md", "README.md", "docs/bench/types.svg"]
    );
    let report = find(&outputs, "BENCHMARKS.md");
    assert!(report.contains("run `cargo xtask bench --only sse --report`"));
    assert!(report.contains("run `cargo xtask bench --only client --report`"));
    assert!(report.contains("| CPU | Test CPU |"));
    // A file of another schema is refused with a clear message.
    let error = render(r#"[{"group": "client"}]"#, &Load::default(), README).unwrap_err();
    assert!(error.contains("schema"), "{error}");
}

#[test]
fn check_names_stale_and_orphan_files_and_write_fixes_them() {
    let root: PathBuf =
        std::env::temp_dir().join(format!("chatstream-bench-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("docs/bench")).unwrap();
    std::fs::write(
        root.join(bench_report::RESULTS),
        results(json!({"types": types_group(1.4)})),
    )
    .unwrap();
    std::fs::write(root.join("README.md"), README).unwrap();
    std::fs::write(root.join("docs/bench/old.svg"), "<svg/>").unwrap();

    let outputs = bench_report::render_at(&root).unwrap();
    let before = stale(&root, &outputs);
    assert_eq!(
        before,
        [
            "BENCHMARKS.md",
            "README.md",
            "docs/bench/types.svg",
            "docs/bench/old.svg"
        ]
    );
    assert_eq!(bench_report::write(&root, &outputs).unwrap(), before);
    assert!(stale(&root, &outputs).is_empty());
    assert!(!root.join("docs/bench/old.svg").exists());

    std::fs::write(root.join("BENCHMARKS.md"), "edited by hand\n").unwrap();
    assert_eq!(stale(&root, &outputs), ["BENCHMARKS.md"]);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn an_out_of_reach_chunked_target_is_explained_from_the_numbers() {
    let client = |peer: f64| {
        group(vec![
            row("text", "chunked", "ours", 2_000_000.0, 2.0),
            row("text", "chunked", "async-openai", peer, 11.0),
            row("text", "chunked", "hyper", 10_000_000.0, 0.0),
        ])
    };
    let types = group(vec![
        row("text", "payloads", "ours", 3_000_000.0, 2.0),
        row("text", "payloads", "async-openai", 1_500_000.0, 6.0),
    ]);
    let report = |peer: f64, with_types: bool| {
        let groups = if with_types {
            json!({"client": client(peer), "types": types.clone()})
        } else {
            json!({ "client": client(peer) })
        };
        let parsed = Results::parse(&results(groups)).unwrap();
        markdown::benchmarks(&parsed, &Load::default(), &[])
    };
    // 10 × 500 k = 5 M chunks/s, past the parser's 3 M.
    let text = report(500_000.0, true);
    let line = text
        .lines()
        .find(|l| l.starts_with("Why the chunked target is out of reach"))
        .unwrap_or_else(|| panic!("no explanation in:\n{text}"));
    assert!(
        line.contains("10× async-openai is 5.00 M chunks/s"),
        "{line}"
    );
    assert!(
        line.contains("runs at 3.00 M; bare hyper, which parses nothing, 10.00 M"),
        "{line}"
    );
    assert!(
        line.contains("ours, at 2.00 M, reaches 67 % of it"),
        "{line}"
    );
    // Within the parser's reach (10 × 250 k = 2.5 M), or without the parser's
    // rate: nothing said.
    assert!(!report(250_000.0, true).contains("out of reach"));
    assert!(!report(500_000.0, false).contains("out of reach"));
}
