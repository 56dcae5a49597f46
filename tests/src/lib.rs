//! Workspace integration tests for chatstream.
//!
//! The tests live in `tests/tests/`; this library holds what they share: the
//! location of the data copied from the shared corpus (`tests/data`, kept in
//! step by `cargo xtask sync-data`).

use std::path::PathBuf;

/// The folder holding the copied test data (`tests/data`).
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")
}
