//! [`RateLimits`]: the `x-ratelimit-*` response headers (go-openai's
//! `GetRateLimitHeaders`).

use std::time::Duration;

use http::HeaderMap;

/// The rate-limit headers of a response, readable before the first chunk.
///
/// Missing or unparseable headers are `None` (go-openai reports 0, which
/// cannot be told from a real 0).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimits {
    /// `x-ratelimit-limit-requests`
    pub limit_requests: Option<u64>,
    /// `x-ratelimit-limit-tokens`
    pub limit_tokens: Option<u64>,
    /// `x-ratelimit-remaining-requests`
    pub remaining_requests: Option<u64>,
    /// `x-ratelimit-remaining-tokens`
    pub remaining_tokens: Option<u64>,
    /// `x-ratelimit-reset-requests`, as sent (e.g. `1s`, `6m0s`).
    pub reset_requests: Option<String>,
    /// `x-ratelimit-reset-tokens`, as sent.
    pub reset_tokens: Option<String>,
}

impl RateLimits {
    /// Reads the headers.
    ///
    /// ```
    /// use http::HeaderMap;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-ratelimit-remaining-tokens", "149984".parse().unwrap());
    /// headers.insert("x-ratelimit-reset-tokens", "6m0s".parse().unwrap());
    /// let limits = chatstream::RateLimits::from_headers(&headers);
    /// assert_eq!(limits.remaining_tokens, Some(149_984));
    /// assert_eq!(limits.reset_tokens_after(), Some(std::time::Duration::from_secs(360)));
    /// ```
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_owned())
        };
        let number = |name: &str| text(name).and_then(|v| v.parse().ok());
        RateLimits {
            limit_requests: number("x-ratelimit-limit-requests"),
            limit_tokens: number("x-ratelimit-limit-tokens"),
            remaining_requests: number("x-ratelimit-remaining-requests"),
            remaining_tokens: number("x-ratelimit-remaining-tokens"),
            reset_requests: text("x-ratelimit-reset-requests"),
            reset_tokens: text("x-ratelimit-reset-tokens"),
        }
    }

    /// [`reset_requests`](Self::reset_requests) as a duration.
    pub fn reset_requests_after(&self) -> Option<Duration> {
        self.reset_requests.as_deref().and_then(parse_go_duration)
    }

    /// [`reset_tokens`](Self::reset_tokens) as a duration.
    pub fn reset_tokens_after(&self) -> Option<Duration> {
        self.reset_tokens.as_deref().and_then(parse_go_duration)
    }
}

/// Parses a Go-style duration (`1s`, `6m0s`, `1h2m3.5s`, `20ms`).
fn parse_go_duration(text: &str) -> Option<Duration> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let value: f64 = rest.get(..digits)?.parse().ok()?;
        rest = rest.get(digits..)?;
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let seconds = match rest.get(..unit_len)? {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += value * seconds;
        rest = rest.get(unit_len..)?;
    }
    Duration::try_from_secs_f64(total).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1s"), Some(Duration::from_secs(1)));
        assert_eq!(parse_go_duration("6m0s"), Some(Duration::from_secs(360)));
        assert_eq!(parse_go_duration("20ms"), Some(Duration::from_millis(20)));
        assert_eq!(
            parse_go_duration("1h2m3.5s"),
            Some(Duration::from_millis(3_723_500))
        );
        assert_eq!(parse_go_duration(""), None);
        assert_eq!(parse_go_duration("5 parsecs"), None);
    }
}
