//! Everything benchmark, in one package: the corpora the benchmarks run on
//! ([`corpus`], the `bench-corpus` binary), the measuring binary
//! (`chatstream-bench`, against the peers: built only with the `peers`
//! feature, which `cargo xtask bench` turns on), and the report made from
//! its results ([`render`], the `bench-report` binary: `BENCHMARKS.md`, the
//! charts, the README section), and the facts of the machine a measurement
//! ran on ([`machine`]: the measuring binary records them with each group,
//! the `bench-record-load` binary with the load benchmark's runs).
//!
//! The library holds what needs no peer crate, so that the package is a
//! default member of the workspace: `cargo test` checks that the committed
//! report matches the committed results without compiling async-openai.

pub mod corpus;
pub mod machine;
pub mod render;
