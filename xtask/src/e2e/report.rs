//! Timings of the installs, starts and tests, printed at the end.

use std::time::Instant;

// ------------------------------------------------------------------ timings

/// What took how long, printed at the end.
#[derive(Default)]
pub(super) struct Report {
    pub(super) lines: Vec<String>,
}

impl Report {
    pub(super) fn add(&mut self, what: &str, since: Instant) {
        self.lines
            .push(format!("{what}: {:.1} s", since.elapsed().as_secs_f64()));
    }

    pub(super) fn note(&mut self, line: String) {
        self.lines.push(line);
    }

    pub(super) fn print(&self, started: Instant) {
        eprintln!("\ne2e timings:");
        for line in &self.lines {
            eprintln!("  {line}");
        }
        eprintln!("  total: {:.1} s", started.elapsed().as_secs_f64());
    }
}
