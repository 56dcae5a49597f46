//! Number formatting shared by the tables and the charts, so a figure reads
//! the same in `BENCHMARKS.md`, the README and on a bar.
//!
//! Everything goes through Rust's float formatting (correctly rounded, the
//! same on every platform), never through platform maths functions, so the
//! generated files are byte-identical wherever they are regenerated.

/// A rate: `11.77 M`, `850 k`, `34.2 k`, `950`.
pub fn rate(value: f64) -> String {
    if value >= 1e6 {
        format!("{:.2} M", value / 1e6)
    } else if value >= 1e5 {
        format!("{:.0} k", value / 1e3)
    } else if value >= 1e3 {
        format!("{:.1} k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

/// A ratio with about three significant digits: `412×`, `17.5×`, `0.86×`,
/// `0.025×`.
pub fn ratio(value: f64) -> String {
    if !value.is_finite() {
        "n/a".to_owned()
    } else if value >= 100.0 {
        format!("{value:.0}×")
    } else if value >= 10.0 {
        format!("{value:.1}×")
    } else if value >= 0.1 {
        format!("{value:.2}×")
    } else {
        format!("{value:.3}×")
    }
}

/// Allocations per item: `0`, `0.0001`, `5.07`, `72`.
pub fn allocs(value: f64) -> String {
    if value == 0.0 {
        "0".to_owned()
    } else if value < 0.01 {
        format!("{value:.4}")
    } else if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

/// Megabytes with one decimal: `7.3 MB`.
pub fn megabytes(value: f64) -> String {
    format!("{value:.1} MB")
}

/// A signed percentage with one decimal: `+2.4 %`, `-0.8 %`.
pub fn percent(value: f64) -> String {
    format!("{value:+.1} %")
}

/// Microseconds with one decimal: `77.6 µs`.
pub fn micros(value: f64) -> String {
    format!("{value:.1} µs")
}

/// Seconds with two decimals: `0.73 s`.
pub fn seconds(value: f64) -> String {
    format!("{value:.2} s")
}

/// Resident memory given in bytes, as the report's megabytes (MiB, like
/// the client's peak RSS): `200.0 MB`.
pub fn rss_bytes(bytes: u64) -> String {
    megabytes(bytes as f64 / (1024.0 * 1024.0))
}

/// Memory given in KiB, as GiB with one decimal (`23.5 GiB`), or `unknown`.
pub fn memory_kib(kib: u64) -> String {
    if kib == 0 {
        "unknown".to_owned()
    } else {
        format!("{:.1} GiB", kib as f64 / (1024.0 * 1024.0))
    }
}

/// A count with thousands separators: `200,000`.
pub fn count(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The label of a piece size or framing: `16 KiB`, `whole buffer`,
/// `content-length`.
pub fn piece(piece: &str) -> String {
    match piece {
        "1KiB" => "1 KiB".to_owned(),
        "16KiB" => "16 KiB".to_owned(),
        "whole" => "whole buffer".to_owned(),
        "length" => "content-length".to_owned(),
        "ttfc" => "first chunk".to_owned(),
        other => other.to_owned(),
    }
}

/// The label of a method: `bare hyper` for the transport ceiling, `memchr
/// scan` for the SSE ceiling, the name otherwise.
pub fn method(method: &str) -> String {
    match method {
        "hyper" => "bare hyper".to_owned(),
        "limit" => "memchr scan (limit)".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_in_the_tables() {
        assert_eq!(rate(11_770_000.0), "11.77 M");
        assert_eq!(rate(850_400.0), "850 k");
        assert_eq!(rate(34_210.0), "34.2 k");
        assert_eq!(ratio(412.4), "412×");
        assert_eq!(ratio(17.46), "17.5×");
        assert_eq!(ratio(0.864), "0.86×");
        assert_eq!(ratio(0.0253), "0.025×");
        assert_eq!(allocs(0.0), "0");
        assert_eq!(allocs(0.00011), "0.0001");
        assert_eq!(allocs(5.07), "5.07");
        assert_eq!(count(200_000), "200,000");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(percent(2.44), "+2.4 %");
        assert_eq!(memory_kib(24_684_084), "23.5 GiB");
        assert_eq!(seconds(0.7274657), "0.73 s");
        assert_eq!(rss_bytes(209_752_064), "200.0 MB");
    }
}
