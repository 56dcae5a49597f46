//! When and how long to wait before retrying a request.
//!
//! Retries happen only before the response starts: a connection error, or a
//! response head with a retryable status (408, 409, 429, 5xx). Once a stream
//! has begun, a retry would send the model's tokens a second time, so a broken
//! stream is reported, never retried. The server may decide with
//! `x-should-retry: true|false`, and may say how long to wait with
//! `retry-after-ms` or `Retry-After` (seconds or an HTTP date); a wait of more
//! than 60 s is not honoured (the backoff applies instead), as in the official
//! SDKs.
//!
//! Every value here comes from the server, so nothing is trusted: numbers of
//! any size or sign, dates in any year, and text that is neither give no
//! wait (the backoff applies) — never a panic, never an overflow.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chatstream_types::ErrorCode;
use http::{HeaderMap, StatusCode};

use crate::error::ErrorKind;

/// The most a server-requested wait is honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Whether a response with `status` and `headers` should be retried.
pub(crate) fn should_retry(status: StatusCode, headers: &HeaderMap) -> bool {
    match headers.get("x-should-retry").and_then(|v| v.to_str().ok()) {
        Some("true") => return true,
        Some("false") => return false,
        _ => {}
    }
    matches!(status.as_u16(), 408 | 409 | 429) || status.is_server_error()
}

/// Whether a stream that failed with `error` before its first chunk may be
/// sent again (the opt-in early retry): nothing was delivered, so nothing can
/// be duplicated. Retried: a connection that broke or a body that ended
/// before any chunk, and an error object in the first event that says the
/// server is busy or failed — a numeric code 408, 409, 429 or 5xx (as a
/// number or as text: Azure sends `"429"`), or a code or type naming a rate
/// limit, an overload, a server error or an unavailable service
/// (`rate_limit_exceeded`, Anthropic's `overloaded_error` through
/// OpenRouter, `server_error`, `service_unavailable`). Not retried: anything
/// the request itself caused (`invalid_request_error`, a bad key, a context
/// too long), which would fail again.
pub(crate) fn retryable_first_error(error: &crate::Error) -> bool {
    match error.kind() {
        ErrorKind::Transport | ErrorKind::Truncated => true,
        ErrorKind::Api => error.api_error().is_some_and(|api| {
            let busy_number = |code: i64| matches!(code, 408 | 409 | 429 | 500..=599);
            let busy_text = |text: &str| {
                let text = text.to_ascii_lowercase();
                ["rate_limit", "overloaded", "server_error", "unavailable"]
                    .iter()
                    .any(|word| text.contains(word))
                    || text.trim().parse::<i64>().is_ok_and(busy_number)
            };
            let code = match &api.code {
                Some(ErrorCode::Number(code)) => busy_number(*code),
                Some(ErrorCode::String(code)) => busy_text(code),
                None => false,
            };
            code || api.kind.as_deref().is_some_and(busy_text)
        }),
        _ => false,
    }
}

/// The wait the server asked for, if any and if reasonable (at most
/// [`MAX_RETRY_AFTER`]).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return seconds(ms / 1000.0);
        }
    }
    let value = header("retry-after")?;
    match value.parse::<f64>() {
        Ok(wait) if wait.is_finite() && wait >= 0.0 => seconds(wait),
        Ok(_) => None,
        Err(_) => {
            let at = parse_http_date(value)?;
            let wait = at
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO);
            Some(wait).filter(|wait| *wait <= MAX_RETRY_AFTER)
        }
    }
}

/// `wait` seconds as a duration, if it is one and within
/// [`MAX_RETRY_AFTER`]; checked, since a server may send `1e20` or `NaN`.
fn seconds(wait: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(wait)
        .ok()
        .filter(|wait| *wait <= MAX_RETRY_AFTER)
}

/// The backoff before retry number `attempt` (0-based): `initial · 2^attempt`
/// capped at `max`, minus up to 25% of jitter.
pub(crate) fn backoff(attempt: u32, initial: Duration, max: Duration) -> Duration {
    let factor = 2u32.saturating_pow(attempt.min(16));
    let base = initial.saturating_mul(factor).min(max);
    let jitter = 1.0 - 0.25 * random_unit();
    base.mul_f64(jitter)
}

/// A number in `[0, 1)`, good enough for jitter (not for anything secret):
/// the standard library's randomly seeded hasher, fed a counter.
fn random_unit() -> f64 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form
/// `Retry-After` dates take. Years outside 1970–9999 (the four digits the
/// format has) are refused, so the arithmetic below cannot overflow.
pub(crate) fn parse_http_date(text: &str) -> Option<SystemTime> {
    let mut parts = text.split_ascii_whitespace();
    let _weekday = parts.next()?;
    let day: u64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&year) {
        return None;
    }
    let mut clock = parts.next()?.split(':');
    let hour: u64 = clock.next()?.parse().ok()?;
    let minute: u64 = clock.next()?.parse().ok()?;
    let second: u64 = clock.next()?.parse().ok()?;
    if parts.next()? != "GMT" || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60
    {
        return None;
    }
    let days = u64::try_from(days_from_civil(year, month, i64::try_from(day).ok()?)).ok()?;
    let seconds = days
        .checked_mul(86_400)?
        .checked_add(hour * 3600 + minute * 60 + second)?;
    UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm); `year` within 1970–9999, so nothing overflows.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, http::HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn retryable_statuses_and_the_server_override() {
        for status in [408, 409, 429, 500, 502, 503, 504, 529] {
            assert!(
                should_retry(StatusCode::from_u16(status).unwrap(), &HeaderMap::new()),
                "{status}"
            );
        }
        for status in [400, 401, 403, 404, 422] {
            assert!(
                !should_retry(StatusCode::from_u16(status).unwrap(), &HeaderMap::new()),
                "{status}"
            );
        }
        assert!(!should_retry(
            StatusCode::TOO_MANY_REQUESTS,
            &headers(&[("x-should-retry", "false")])
        ));
        assert!(should_retry(
            StatusCode::BAD_REQUEST,
            &headers(&[("x-should-retry", "true")])
        ));
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "1500")])),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "2")])),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "0.5")])),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3600")])),
            None,
            "over the cap"
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "-1")])), None);
        // A date in the past means "now".
        assert_eq!(
            retry_after(&headers(&[(
                "retry-after",
                "Sun, 06 Nov 1994 08:49:37 GMT"
            )])),
            Some(Duration::ZERO)
        );
        // retry-after-ms wins.
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "10"), ("retry-after", "5")])),
            Some(Duration::from_millis(10))
        );
    }

    #[test]
    fn absurd_values_give_no_wait_and_never_panic() {
        for (name, value) in [
            ("retry-after", "1e20"),
            ("retry-after", "1e308"),
            ("retry-after", "18446744073709551616"),
            ("retry-after", "-0"),
            ("retry-after", "NaN"),
            ("retry-after", "inf"),
            ("retry-after", "Sun, 06 Nov 999999999999999999 08:49:37 GMT"),
            (
                "retry-after",
                "Sun, 06 Nov -9223372036854775808 08:49:37 GMT",
            ),
            ("retry-after", "Sun, 06 Nov 9999 23:59:60 GMT"),
            (
                "retry-after",
                "Sun, 99999999999999999999 Nov 2024 08:49:37 GMT",
            ),
            ("retry-after-ms", "1e23"),
            ("retry-after-ms", "1.7976931348623157e308"),
            ("retry-after-ms", "-1e23"),
        ] {
            let wait = retry_after(&headers(&[(name, value)]));
            assert!(
                wait.is_none_or(|wait| wait <= MAX_RETRY_AFTER),
                "{name}: {value} gave {wait:?}"
            );
        }
        assert_eq!(retry_after(&headers(&[("retry-after", "1e20")])), None);
        assert_eq!(retry_after(&headers(&[("retry-after-ms", "1e23")])), None);
        // -0 is zero seconds: retry at once.
        assert_eq!(
            retry_after(&headers(&[("retry-after", "-0")])),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn http_dates() {
        let date = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            date.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            784_111_777
        );
        let leap = parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT").unwrap();
        assert_eq!(
            leap.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_709_164_800
        );
        for bad in [
            "",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1969 08:49:37 GMT",
            "Sun, 06 Nov 10000 08:49:37 GMT",
            "Sun, 06 Nov 9223372036854775807 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn backoff_doubles_within_bounds() {
        let initial = Duration::from_millis(500);
        let max = Duration::from_secs(8);
        for attempt in 0..10 {
            let wait = backoff(attempt, initial, max);
            let base = initial.saturating_mul(1 << attempt.min(16)).min(max);
            assert!(
                wait <= base && wait >= base.mul_f64(0.75),
                "{attempt}: {wait:?}"
            );
        }
        assert!(backoff(u32::MAX, initial, max) <= max);
    }
}
