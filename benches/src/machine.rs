//! What a group of numbers was measured on, captured when it is measured.
//!
//! A rate means nothing without the machine and the build behind it, and the
//! groups of the results file can be re-measured separately
//! (`--only client`), possibly on another day, another commit or another
//! machine: so each group records its own facts, taken at the start of its
//! run, and the report prints them next to that group's numbers. The load
//! benchmark's recorded runs (`bench-record-load`) carry the same facts,
//! taken when they are recorded, right after the runs.
//!
//! Everything is read from `/proc` and from two commands (`rustc -V`, `git`);
//! a fact that cannot be read is recorded as `unknown` (or 0) rather than
//! failing the benchmark, since the numbers are still worth keeping. The date
//! is computed from the system clock in UTC without a date library (this
//! package keeps its dependencies to the peers it measures).

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// The machine and toolchain a group ran on.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    /// The CPU model (`model name` of `/proc/cpuinfo`).
    pub cpu: String,
    /// Logical cores (`processor` entries of `/proc/cpuinfo`, else what the
    /// standard library reports as available).
    pub logical_cores: usize,
    /// Total memory in KiB (`MemTotal` of `/proc/meminfo`), 0 if unknown.
    pub memory_kib: u64,
    /// The kernel release (`/proc/sys/kernel/osrelease`).
    pub kernel: String,
    /// `rustc -V` of the toolchain on the `PATH` (the one cargo used).
    pub rustc: String,
}

/// The facts of one run of a group: when, which source, on what.
#[derive(Clone, Debug, Serialize)]
pub struct RunFacts {
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub date: String,
    /// `git rev-parse --short HEAD`, or `unknown`.
    pub commit: String,
    /// Whether tracked files differed from that commit.
    pub dirty: bool,
    /// The machine.
    pub machine: Machine,
}

const UNKNOWN: &str = "unknown";

/// Captures the facts now.
pub fn capture() -> RunFacts {
    let (commit, dirty) = git();
    RunFacts {
        date: utc_date(SystemTime::now()),
        commit,
        dirty,
        machine: Machine {
            cpu: cpu_model(),
            logical_cores: logical_cores(),
            memory_kib: memory_kib(),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_owned())
                .unwrap_or_else(|_| UNKNOWN.to_owned()),
            rustc: command_line("rustc", &["-V"]).unwrap_or_else(|| UNKNOWN.to_owned()),
        },
    }
}

/// The first non-empty line of a command's standard output, if it succeeded.
fn command_line(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .map(str::to_owned)
}

/// The short commit and whether tracked files were modified (untracked
/// files, such as generated corpora, do not count).
fn git() -> (String, bool) {
    let Some(commit) = command_line("git", &["rev-parse", "--short", "HEAD"]) else {
        return (UNKNOWN.to_owned(), false);
    };
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .is_ok_and(|out| out.status.success() && !out.stdout.is_empty());
    (commit, dirty)
}

fn cpuinfo() -> String {
    std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default()
}

fn cpu_model() -> String {
    cpuinfo()
        .lines()
        .find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == "model name").then(|| value.trim().to_owned())
        })
        .filter(|model| !model.is_empty())
        .unwrap_or_else(|| UNKNOWN.to_owned())
}

fn logical_cores() -> usize {
    let listed = cpuinfo()
        .lines()
        .filter(|line| {
            line.split_once(':')
                .is_some_and(|(key, _)| key.trim() == "processor")
        })
        .count();
    if listed > 0 {
        listed
    } else {
        std::thread::available_parallelism().map_or(0, |n| n.get())
    }
}

fn memory_kib() -> u64 {
    proc_kib("/proc/meminfo", "MemTotal:")
}

/// A `NAME: N kB` field of a `/proc` file, in KiB, or 0 when it cannot be
/// read (not Linux).
pub fn proc_kib(path: &str, field: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| {
                line.strip_prefix(field)?
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse()
                    .ok()
            })
        })
        .unwrap_or(0)
}

/// `time` as `YYYY-MM-DDTHH:MM:SSZ` (UTC); the epoch if the clock is set
/// before it.
pub fn utc_date(time: SystemTime) -> String {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_are_utc_calendar_dates() {
        let at = |secs| utc_date(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        // 2000-02-29 (a leap day of a century leap year) 12:34:56.
        assert_eq!(at(951_827_696), "2000-02-29T12:34:56Z");
        // 2024-12-31T23:59:59Z, the last second of a leap year.
        assert_eq!(at(1_735_689_599), "2024-12-31T23:59:59Z");
        assert_eq!(at(1_735_689_600), "2025-01-01T00:00:00Z");
    }
}
