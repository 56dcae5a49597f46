//! The results file (`docs/bench/results.json`), read into plain structs.
//!
//! The benchmark binary writes it (`report.rs`, beside this module's parent):
//! `{"schema": 1, "groups": {NAME: {date, commit, dirty, runs, chunks,
//! machine, settings, rows}}}`. It is read here through `serde_json::Value`
//! by hand rather than with a derived `Deserialize` of the writer's types,
//! because the writer's rows borrow from a run in progress, and because
//! reading by hand lets each missing field be reported with its path. Numbers the report needs are required;
//! facts that only describe the machine fall back to `unknown`, so an older
//! or partial file still renders.

use std::collections::BTreeMap;

pub(super) use chatstream_testkit::json::required;
use serde_json::{Map, Value};

/// The layout version this module reads.
pub const SCHEMA: u64 = 1;

/// The whole file: the measured groups by name (`types`, `sse`, `client`).
#[derive(Clone, Debug, PartialEq)]
pub struct Results {
    /// The groups present in the file, by name.
    pub groups: BTreeMap<String, Group>,
}

/// One group, measured in one run of the benchmark.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// `types`, `sse` or `client`.
    pub name: String,
    /// When the group was measured (UTC).
    pub date: String,
    /// The commit measured (`git rev-parse --short HEAD`).
    pub commit: String,
    /// Whether tracked files differed from that commit.
    pub dirty: bool,
    /// Runs per method (the best was kept).
    pub runs: u64,
    /// JSON chunks per corpus.
    pub chunks: u64,
    /// The machine.
    pub machine: Machine,
    /// Options that shape the numbers, rendered as text (`eventsource_cap`,
    /// `client_runtime`, `write_size`).
    pub settings: BTreeMap<String, String>,
    /// The measured rows, in the order they were measured.
    pub rows: Vec<Row>,
}

/// What a group ran on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Machine {
    /// CPU model.
    pub cpu: String,
    /// Logical cores (0 if unknown).
    pub logical_cores: u64,
    /// Total memory in KiB (0 if unknown).
    pub memory_kib: u64,
    /// Kernel release.
    pub kernel: String,
    /// `rustc -V`.
    pub rustc: String,
}

/// One measured method on one corpus and piece size.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// `text`, `tools` or `azure`.
    pub corpus: String,
    /// `payloads` (types), `1KiB`/`16KiB`/`whole` (sse), `chunked`/`length`/
    /// `ttfc` (client).
    pub piece: String,
    /// The method (`ours`, a peer, or a ceiling).
    pub method: String,
    /// Items handled per run.
    pub items: u64,
    /// Input bytes per run.
    pub bytes: u64,
    /// The best run in seconds (for `ttfc` rows: the median request).
    pub best_s: f64,
    /// Items per second in the best run (`events_per_s` in the file).
    pub rate: f64,
    /// Input MB (10^6 bytes) per second.
    pub mb_per_s: f64,
    /// Allocations (alloc + realloc calls) per item.
    pub allocs_per_item: f64,
    /// Items the method failed on.
    pub failures: u64,
    /// The first failure's message.
    pub first_failure: Option<String>,
    /// What qualifies the numbers.
    pub note: Option<String>,
    /// Group-specific numbers (`peak_rss_mb`, `ttfc_median_us`, …).
    pub metrics: BTreeMap<String, f64>,
}

impl Results {
    /// Parses the file's text.
    pub fn parse(json: &str) -> Result<Self, String> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| format!("results file is not JSON: {e}"))?;
        let top = value
            .as_object()
            .ok_or("results file: expected an object with `schema` and `groups`")?;
        let schema = top.get("schema").and_then(Value::as_u64);
        if schema != Some(SCHEMA) {
            return Err(format!(
                "results file: schema {}, this generator reads schema {SCHEMA} \
                 (rerun `cargo xtask bench --report`)",
                schema.map_or("missing".to_owned(), |s| s.to_string())
            ));
        }
        let groups = top
            .get("groups")
            .and_then(Value::as_object)
            .ok_or("results file: `groups` is missing or not an object")?;
        let mut parsed = BTreeMap::new();
        for (name, group) in groups {
            parsed.insert(name.clone(), Group::parse(name, group)?);
        }
        Ok(Self { groups: parsed })
    }

    /// The group called `name`, if it was measured.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.get(name)
    }
}

impl Group {
    fn parse(name: &str, value: &Value) -> Result<Self, String> {
        let at = format!("groups.{name}");
        let object = value
            .as_object()
            .ok_or_else(|| format!("{at}: not an object"))?;
        let rows = object
            .get("rows")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{at}.rows: missing or not a list"))?
            .iter()
            .enumerate()
            .map(|(i, row)| Row::parse(&format!("{at}.rows[{i}]"), row))
            .collect::<Result<Vec<_>, _>>()?;
        let settings = object
            .get("settings")
            .and_then(Value::as_object)
            .map(|map| {
                map.iter()
                    .map(|(key, value)| {
                        let text = value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_owned);
                        (key.clone(), text)
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            name: name.to_owned(),
            date: text_or_unknown(object, "date"),
            commit: text_or_unknown(object, "commit"),
            dirty: object
                .get("dirty")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            runs: object.get("runs").and_then(Value::as_u64).unwrap_or(0),
            chunks: object.get("chunks").and_then(Value::as_u64).unwrap_or(0),
            machine: Machine::parse(object),
            settings,
            rows,
        })
    }

    /// The row of `method` on `corpus` at `piece`.
    pub fn row(&self, corpus: &str, piece: &str, method: &str) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.corpus == corpus && r.piece == piece && r.method == method)
    }

    /// The median time to first chunk of `method`, in µs (group `client`).
    pub fn ttfc_median_us(&self, method: &str) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.piece == "ttfc" && r.method == method)
            .and_then(|r| r.metric("ttfc_median_us"))
    }

    /// The rate of `method` divided by the rate of `other` on the same
    /// corpus and piece (how many times faster `method` is).
    pub fn rate_ratio(&self, corpus: &str, piece: &str, method: &str, other: &str) -> Option<f64> {
        let row = self.row(corpus, piece, method)?;
        let base = self.row(corpus, piece, other)?;
        (base.rate > 0.0).then(|| row.rate / base.rate)
    }

    /// The corpora of the rows, in the order they first appear.
    pub fn corpora(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for row in &self.rows {
            if !seen.contains(&row.corpus.as_str()) {
                seen.push(&row.corpus);
            }
        }
        seen
    }

    /// The pieces of the rows, in the order they first appear.
    pub fn pieces(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for row in &self.rows {
            if !seen.contains(&row.piece.as_str()) {
                seen.push(&row.piece);
            }
        }
        seen
    }

    /// `commit`, with ` (modified)` when the tree was dirty.
    pub fn commit_text(&self) -> String {
        commit_text(&self.commit, self.dirty)
    }
}

impl Machine {
    /// The `machine` object of `object` (a group, or any file that records
    /// the facts the same way); a fact that is missing reads `unknown` (or
    /// 0), as does a missing `machine`.
    pub fn parse(object: &Map<String, Value>) -> Self {
        let empty = Map::new();
        let machine = object
            .get("machine")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let number = |key: &str| machine.get(key).and_then(Value::as_u64).unwrap_or(0);
        Machine {
            cpu: text_or_unknown(machine, "cpu"),
            logical_cores: number("logical_cores"),
            memory_kib: number("memory_kib"),
            kernel: text_or_unknown(machine, "kernel"),
            rustc: text_or_unknown(machine, "rustc"),
        }
    }
}

impl Row {
    fn parse(at: &str, value: &Value) -> Result<Self, String> {
        let object = value
            .as_object()
            .ok_or_else(|| format!("{at}: not an object"))?;
        let text =
            |key: &str| required(object, at, key, "a string", Value::as_str).map(str::to_owned);
        let number = |key: &str| required(object, at, key, "a number", Value::as_f64);
        let count = |key: &str| required(object, at, key, "a count", Value::as_u64);
        let optional = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
        let metrics = object
            .get("metrics")
            .and_then(Value::as_object)
            .map(|map| {
                map.iter()
                    .filter_map(|(key, value)| Some((key.clone(), value.as_f64()?)))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            corpus: text("corpus")?,
            piece: text("piece")?,
            method: text("method")?,
            items: count("items")?,
            bytes: count("bytes")?,
            best_s: number("best_s")?,
            rate: number("events_per_s")?,
            mb_per_s: number("mb_per_s")?,
            allocs_per_item: number("allocs_per_item")?,
            failures: count("failures")?,
            first_failure: optional("first_failure"),
            note: optional("note"),
            metrics,
        })
    }

    /// The metric called `name`, if the row has it.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics.get(name).copied()
    }
}

/// `commit`, with ` (modified)` when the tree was `dirty`.
pub(super) fn commit_text(commit: &str, dirty: bool) -> String {
    if dirty {
        format!("{commit} (modified)")
    } else {
        commit.to_owned()
    }
}

/// The text field `key` of `object`, or `unknown` when it is missing or
/// empty.
pub(super) fn text_or_unknown(object: &Map<String, Value>, key: &str) -> String {
    object
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("unknown")
        .to_owned()
}
