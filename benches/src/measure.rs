//! Timing: best of N runs with [`std::time::Instant`], plus the allocations
//! of a run.
//!
//! Each method is a closure that processes the whole input once and returns
//! an [`Outcome`] (what it counted, and a checksum that depends on every item
//! so the optimiser cannot drop the work). The best run is reported: on a
//! shared two-core machine the noise is one-sided (interruptions only make a
//! run slower), so the minimum is the most repeatable estimate. Allocations
//! are deterministic per run; the smallest count is kept.

use std::time::{Duration, Instant};

use crate::alloc::allocations;

/// What one pass of a method counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Items handled successfully (chunks parsed, events decoded).
    pub items: u64,
    /// Items that failed (a parse error, an unexpected payload).
    pub failures: u64,
    /// A sum over the items' contents, so nothing is optimised away.
    pub checksum: u64,
    /// The first failure's message, if any.
    pub first_failure: Option<String>,
}

impl Outcome {
    /// Records one failure, keeping the first message.
    pub fn fail(&mut self, message: impl FnOnce() -> String) {
        self.failures += 1;
        if self.first_failure.is_none() {
            self.first_failure = Some(message());
        }
    }
}

/// The result of measuring one method.
#[derive(Clone, Debug)]
pub struct Measured {
    /// The fastest run.
    pub best: Duration,
    /// Allocations in one run (the smallest count seen).
    pub allocations: u64,
    /// What the last run counted.
    pub outcome: Outcome,
}

/// Measures several methods over the same input, interleaved: each run
/// times every method once (starting with a different one each time), and
/// each method keeps its fastest run. On a shared machine whose load drifts
/// (another process, the CPU clock), interleaving gives every method the
/// same conditions, so the ratios between them are steadier than when each
/// method's runs come one after the other.
pub fn measure_interleaved(
    runs: u32,
    methods: usize,
    mut pass: impl FnMut(usize) -> Outcome,
) -> Vec<Measured> {
    let mut measured: Vec<Measured> = (0..methods)
        .map(|_| Measured {
            best: Duration::MAX,
            allocations: u64::MAX,
            outcome: Outcome::default(),
        })
        .collect();
    for run in 0..runs.max(1) as usize {
        for k in 0..methods {
            let method = (run + k) % methods;
            let once = measure(1, || pass(method));
            if let Some(slot) = measured.get_mut(method) {
                slot.best = slot.best.min(once.best);
                slot.allocations = slot.allocations.min(once.allocations);
                slot.outcome = once.outcome;
            }
        }
    }
    measured
}

/// Runs `pass` `runs` times (at least once) and keeps the fastest time.
pub fn measure(runs: u32, mut pass: impl FnMut() -> Outcome) -> Measured {
    let mut best = Duration::MAX;
    let mut fewest = u64::MAX;
    let mut outcome = Outcome::default();
    for _ in 0..runs.max(1) {
        let before = allocations();
        let start = Instant::now();
        let result = std::hint::black_box(pass());
        let elapsed = start.elapsed();
        let allocated = allocations() - before;
        best = best.min(elapsed);
        fewest = fewest.min(allocated);
        outcome = result;
    }
    Measured {
        best,
        allocations: fewest,
        outcome,
    }
}
