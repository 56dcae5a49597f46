//! The benchmark report: `BENCHMARKS.md`, the charts in `docs/bench/*.svg`
//! and the README's benchmark section, generated from the committed results
//! file `docs/bench/results.json` and, when they exist, the load benchmark's
//! recorded runs (`docs/bench/load-http2.json`, `load-http2-tls.json`; see
//! [`load`]).
//!
//! `cargo xtask bench --report` runs the benchmarks, copies their results
//! file here and runs the `bench-report` binary, which calls [`render_at`]
//! and [`write()`]. The results are committed rather than the report alone so
//! that the report can be regenerated and checked anywhere without rerunning
//! anything: `benches/tests/bench_report.rs` renders everything in memory and
//! fails when a committed file differs (a hand edit, a stale chart, a report
//! from other numbers). That is why the output must be byte-deterministic,
//! and why the charts are written by hand ([`svg`]) instead of by a
//! plotting crate.
//!
//! The generator lives with the benchmarks that make the results, not in
//! the xtask, because the xtask has no dependencies (this reads JSON with
//! serde_json) and because the check is a test of this package.
//!
//! - [`model`]: the results file, read;
//! - [`targets`]: the performance targets, computed from the numbers;
//! - [`charts`] and [`svg`]: which numbers become which bars, and the SVG;
//! - [`headline`] and [`markdown`]: the ratio tables, `BENCHMARKS.md` and the
//!   README section;
//! - [`load`]: the load benchmark's recorded runs, read, and their section.

pub mod charts;
mod format;
pub mod headline;
pub mod load;
pub mod markdown;
pub mod model;
pub mod svg;
pub mod targets;

use std::path::{Path, PathBuf};

pub use load::Load;
pub use model::Results;

/// The committed results file, relative to the workspace root.
pub const RESULTS: &str = "docs/bench/results.json";
/// The report, relative to the workspace root.
pub const REPORT: &str = "BENCHMARKS.md";
/// The README, relative to the workspace root.
pub const README: &str = "README.md";
/// The folder of the charts (and of the results file).
pub const CHART_DIR: &str = "docs/bench";
/// The start of the README's begin marker (the rest of its line is kept).
pub const BEGIN_MARKER: &str = "<!-- bench-report:begin";
/// The README's end marker.
pub const END_MARKER: &str = "<!-- bench-report:end -->";

/// One generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    /// Relative to the workspace root, with `/` separators.
    pub path: String,
    /// The whole file.
    pub contents: String,
}

/// The workspace root (the parent of this package's folder).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

/// Everything generated from the results file's text `results_json` and
/// the load benchmark's recorded runs `load`, with `readme` (the current
/// README) given its new benchmark section.
pub fn render(results_json: &str, load: &Load, readme: &str) -> Result<Vec<Output>, String> {
    let results = Results::parse(results_json)?;
    let charts = charts::all(&results);
    let links: Vec<(String, String)> = charts
        .iter()
        .map(|c| (c.file.clone(), c.alt.clone()))
        .collect();
    let mut outputs = vec![
        Output {
            path: REPORT.to_owned(),
            contents: markdown::benchmarks(&results, load, &links),
        },
        Output {
            path: README.to_owned(),
            contents: replace_block(readme, &headline::readme_block(&results, &links))?,
        },
    ];
    outputs.extend(charts.iter().map(|c| Output {
        path: format!("{CHART_DIR}/{}", c.file),
        contents: svg::render(&c.chart),
    }));
    Ok(outputs)
}

/// [`render`] from the files under `root`.
pub fn render_at(root: &Path) -> Result<Vec<Output>, String> {
    let read = |relative: &str| {
        let path = root.join(relative);
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let results = read(RESULTS)?;
    let readme = read(README)?;
    let load = Load::read(root)?;
    render(&results, &load, &readme).map_err(|e| format!("{RESULTS}: {e}"))
}

/// `readme` with the lines between the begin and end markers replaced by
/// `block` (the marker lines themselves are kept as they are).
pub fn replace_block(readme: &str, block: &str) -> Result<String, String> {
    let begin = readme
        .find(BEGIN_MARKER)
        .ok_or_else(|| format!("{README}: no `{BEGIN_MARKER} … -->` marker"))?;
    let body_start = readme[begin..]
        .find('\n')
        .map(|at| begin + at + 1)
        .ok_or_else(|| format!("{README}: nothing after the begin marker"))?;
    let end = readme[body_start..]
        .find(END_MARKER)
        .map(|at| body_start + at)
        .ok_or_else(|| format!("{README}: no `{END_MARKER}` after the begin marker"))?;
    let mut out = String::with_capacity(readme.len() + block.len());
    out.push_str(&readme[..body_start]);
    out.push_str(block);
    if !block.is_empty() && !block.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&readme[end..]);
    Ok(out)
}

/// The paths (relative to `root`) of the files that `outputs` would change,
/// and of charts under `docs/bench` that no output produces any more.
/// Line endings are compared as `\n`, so a checkout with CRLF endings is
/// not reported.
pub fn stale(root: &Path, outputs: &[Output]) -> Vec<String> {
    let mut out: Vec<String> = outputs
        .iter()
        .filter(|o| {
            std::fs::read_to_string(root.join(&o.path))
                .map_or(true, |text| text.replace("\r\n", "\n") != o.contents)
        })
        .map(|o| o.path.clone())
        .collect();
    out.extend(orphan_charts(root, outputs));
    out
}

/// Charts in `docs/bench` that no output produces.
fn orphan_charts(root: &Path, outputs: &[Output]) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root.join(CHART_DIR)) else {
        return Vec::new();
    };
    let mut orphans: Vec<String> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_owned();
            let path = format!("{CHART_DIR}/{name}");
            (name.ends_with(".svg") && !outputs.iter().any(|o| o.path == path)).then_some(path)
        })
        .collect();
    orphans.sort();
    orphans
}

/// Writes the outputs that differ and removes orphan charts; returns the
/// paths changed.
pub fn write(root: &Path, outputs: &[Output]) -> Result<Vec<String>, String> {
    let changed = stale(root, outputs);
    for path in &changed {
        let full = root.join(path);
        match outputs.iter().find(|o| &o.path == path) {
            Some(output) => {
                if let Some(parent) = full.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| format!("{}: {e}", parent.display()))?;
                }
                std::fs::write(&full, &output.contents)
                    .map_err(|e| format!("{}: {e}", full.display()))?;
            }
            None => {
                std::fs::remove_file(&full).map_err(|e| format!("{}: {e}", full.display()))?;
            }
        }
    }
    Ok(changed)
}
