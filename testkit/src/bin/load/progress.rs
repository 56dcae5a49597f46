//! The counters every stream task updates, the chatstream ones and the bare
//! ones alike, read by the run as it goes (the idle point) and at the end.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The counters of a run.
#[derive(Debug)]
pub(crate) struct Progress {
    /// What the first-chunk times are measured from.
    epoch: Instant,
    /// Streams whose response head arrived and that have not ended.
    pub(crate) open: AtomicU64,
    /// Streams that received their first chunk.
    pub(crate) first: AtomicU64,
    /// Streams that received their second chunk.
    pub(crate) second: AtomicU64,
    /// Streams that failed before their first chunk (they will never count
    /// in `first`).
    pub(crate) failed_early: AtomicU64,
    /// Chunks delivered.
    pub(crate) delivered: AtomicU64,
    /// Streams that ended with `[DONE]` after every chunk.
    pub(crate) complete: AtomicU64,
    /// Failures by kind.
    pub(crate) errors: Mutex<BTreeMap<String, u64>>,
    /// The earliest first chunk, in nanoseconds since `epoch` (`u64::MAX`:
    /// none yet).
    earliest_first_ns: AtomicU64,
    /// The latest first chunk, in nanoseconds since `epoch`.
    latest_first_ns: AtomicU64,
}

impl Progress {
    /// Counters at zero, first-chunk times measured from now.
    pub(crate) fn new() -> Self {
        Progress {
            epoch: Instant::now(),
            open: AtomicU64::new(0),
            first: AtomicU64::new(0),
            second: AtomicU64::new(0),
            failed_early: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            complete: AtomicU64::new(0),
            errors: Mutex::default(),
            earliest_first_ns: AtomicU64::new(u64::MAX),
            latest_first_ns: AtomicU64::new(0),
        }
    }

    /// Counts a failure of `kind`.
    pub(crate) fn fail(&self, kind: &str) {
        if let Ok(mut errors) = self.errors.lock() {
            *errors.entry(kind.to_owned()).or_default() += 1;
        }
    }

    /// Counts a stream's chunk number `n` (from 1): the first and second
    /// are counted, and the first one's arrival time is kept.
    pub(crate) fn chunk(&self, n: u64) {
        match n {
            1 => {
                let at = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
                self.earliest_first_ns.fetch_min(at, Ordering::Relaxed);
                self.latest_first_ns.fetch_max(at, Ordering::Relaxed);
                self.first.fetch_add(1, Ordering::Relaxed);
            }
            2 => {
                self.second.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    /// From the first stream's first chunk to the last stream's (`None`: no
    /// first chunk yet).
    pub(crate) fn first_chunk_spread(&self) -> Option<Duration> {
        let earliest = self.earliest_first_ns.load(Ordering::Relaxed);
        let latest = self.latest_first_ns.load(Ordering::Relaxed);
        (earliest != u64::MAX).then(|| Duration::from_nanos(latest.saturating_sub(earliest)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spread_runs_from_the_first_first_chunk_to_the_last() {
        let progress = Progress::new();
        assert_eq!(progress.first_chunk_spread(), None);
        progress.chunk(1);
        std::thread::sleep(Duration::from_millis(20));
        progress.chunk(2);
        progress.chunk(3);
        assert!(progress.first_chunk_spread() < Some(Duration::from_millis(20)));
        progress.chunk(1);
        assert!(progress.first_chunk_spread() >= Some(Duration::from_millis(20)));
        assert_eq!(progress.first.load(Ordering::Relaxed), 2);
        assert_eq!(progress.second.load(Ordering::Relaxed), 1);
    }
}
