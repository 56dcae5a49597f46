//! What the kernel says about this process: resident memory, its peak, the
//! open-files limit and the open descriptors (Linux `/proc/self`). Used by
//! the load benchmark (`src/bin/load.rs`) and the memory test
//! (`tests/client_memory.rs`).
//!
//! The load benchmark reports memory as the kernel sees it, not as an
//! allocator counts it: resident pages are what a machine running 10,000
//! streams actually pays, allocator overhead and fragmentation included.

use std::fs;

/// Resident set size now (`VmRSS`) and its peak so far (`VmHWM`), in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Memory {
    /// Resident now (`VmRSS`), in bytes.
    pub rss: u64,
    /// The peak so far (`VmHWM`), in bytes.
    pub peak: u64,
}

/// Reads [`Memory`] from `/proc/self/status`.
pub fn memory() -> Result<Memory, String> {
    let status = fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("cannot read /proc/self/status: {e}"))?;
    parse_status(&status)
}

fn parse_status(status: &str) -> Result<Memory, String> {
    let field = |name: &str| -> Result<u64, String> {
        let line = status
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .ok_or_else(|| format!("/proc/self/status has no {name}"))?;
        let kib = line.trim().trim_end_matches("kB").trim();
        kib.parse::<u64>()
            .map(|kib| kib * 1024)
            .map_err(|e| format!("/proc/self/status {name}: {kib:?}: {e}"))
    };
    Ok(Memory {
        rss: field("VmRSS")?,
        peak: field("VmHWM")?,
    })
}

/// Resets the peak resident set (`VmHWM`) to the resident set now, so that
/// a later [`memory`] tells the peak of what follows alone (Linux 4.0 and
/// later: `5` written to `/proc/self/clear_refs`).
pub fn reset_peak() -> Result<(), String> {
    fs::write("/proc/self/clear_refs", "5")
        .map_err(|e| format!("cannot reset the peak resident set: {e}"))
}

/// The soft limit on open files (`None`: unlimited).
pub fn open_files_limit() -> Result<Option<u64>, String> {
    let limits = fs::read_to_string("/proc/self/limits")
        .map_err(|e| format!("cannot read /proc/self/limits: {e}"))?;
    parse_open_files(&limits)
}

fn parse_open_files(limits: &str) -> Result<Option<u64>, String> {
    let line = limits
        .lines()
        .find_map(|line| line.strip_prefix("Max open files"))
        .ok_or("/proc/self/limits has no `Max open files` line")?;
    match line.split_whitespace().next() {
        Some("unlimited") => Ok(None),
        Some(soft) => soft
            .parse()
            .map(Some)
            .map_err(|e| format!("/proc/self/limits: open files {soft:?}: {e}")),
        None => Err("/proc/self/limits: empty `Max open files` line".to_owned()),
    }
}

/// The number of descriptors this process has open.
pub fn open_descriptors() -> Result<usize, String> {
    fs::read_dir("/proc/self/fd")
        .map(Iterator::count)
        .map_err(|e| format!("cannot list /proc/self/fd: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_are_read_in_bytes() {
        let status = "Name:\tload\nVmPeak:\t  99999 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\n";
        assert_eq!(
            parse_status(status).unwrap(),
            Memory {
                rss: 1024 * 1024,
                peak: 2048 * 1024
            }
        );
        assert!(parse_status("Name:\tload\n").is_err());
    }

    #[test]
    fn the_soft_open_files_limit_is_read() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max open files            1024                 20000                files\n";
        assert_eq!(parse_open_files(limits).unwrap(), Some(1024));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(parse_open_files(unlimited).unwrap(), None);
        assert!(parse_open_files("Max processes 1 1 processes\n").is_err());
    }

    #[test]
    fn this_process_is_measured() {
        let memory = memory().unwrap();
        assert!(memory.rss > 0 && memory.peak >= memory.rss, "{memory:?}");
        assert!(open_descriptors().unwrap() >= 3);
        assert!(open_files_limit().unwrap().is_none_or(|limit| limit > 0));
    }
}
