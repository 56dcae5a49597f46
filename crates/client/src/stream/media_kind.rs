//! What a response's `Content-Type` says its body is.

use http::HeaderMap;
use http::header::CONTENT_TYPE;

/// What a response's `Content-Type` says its body is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum MediaKind {
    /// `application/json` or `*+json`: a whole completion or error object.
    Json,
    /// `text/html`: an error page of a proxy or gateway.
    Html,
    /// Anything else, or none: read as an event stream.
    Other,
}

/// The media type of `headers`' `Content-Type`, compared without
/// allocating (media types are case-insensitive).
///
/// Read as [`HeaderValue::to_str`](http::HeaderValue::to_str) reads it: a
/// value holding a byte beyond ASCII names no media type, and the body is
/// read as an event stream. (A header value holds only tabs, visible ASCII
/// and bytes beyond ASCII — `HeaderValue` and hyper's parser refuse the
/// rest — so `is_ascii` is `to_str`'s test.) Compared as bytes, without a
/// UTF-8 check or a splitter: this runs on every stream's way to its first
/// chunk.
pub(super) fn media_kind(headers: &HeaderMap) -> MediaKind {
    let Some(value) = headers.get(CONTENT_TYPE).map(|v| v.as_bytes()) else {
        return MediaKind::Other;
    };
    if !value.is_ascii() {
        return MediaKind::Other;
    }
    // The media type is what comes before any parameters (`; charset=…`).
    let media = match value.iter().position(|&b| b == b';') {
        Some(end) => value.split_at(end).0,
        None => value,
    }
    .trim_ascii();
    let ends_with_json = media
        .last_chunk::<5>()
        .is_some_and(|tail| tail.eq_ignore_ascii_case(b"+json"));
    if media.eq_ignore_ascii_case(b"application/json") || ends_with_json {
        MediaKind::Json
    } else if media.eq_ignore_ascii_case(b"text/html") {
        MediaKind::Html
    } else {
        MediaKind::Other
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    /// The media kind as read through `str`, as the client read it before it
    /// compared bytes (the reference: simple and obviously right).
    fn naive(value: &[u8]) -> MediaKind {
        let value = HeaderValue::from_bytes(value)
            .ok()
            .and_then(|v| v.to_str().ok().map(str::to_owned))
            .unwrap_or_default();
        let media = value.split(';').next().unwrap_or_default().trim();
        let lower = media.to_ascii_lowercase();
        if lower == "application/json" || lower.ends_with("+json") {
            MediaKind::Json
        } else if lower == "text/html" {
            MediaKind::Html
        } else {
            MediaKind::Other
        }
    }

    fn kind_of(value: &[u8]) -> MediaKind {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.insert(CONTENT_TYPE, value);
        }
        media_kind(&headers)
    }

    #[test]
    fn media_kinds_agree_with_the_reference() {
        let values: [&[u8]; 22] = [
            b"",
            b"text/event-stream",
            b"text/event-stream; charset=utf-8",
            b"application/json",
            b"Application/JSON; charset=utf-8",
            b"  application/json  ;",
            b"\tapplication/json\t",
            b"application/problem+json",
            b"application/vnd.api+JSON;v=1",
            b"+json",
            b"json",
            b"application/jsonx",
            b"text/html",
            b"TEXT/HTML; charset=iso-8859-1",
            b"text/htm",
            b";application/json",
            b"text/plain;application/json",
            // Not visible ASCII: no media type, whatever the rest says.
            b"application/json; name=\xe9",
            b"application/vnd.\xe9+json",
            b"text/html\xe9",
            b"application/json\x7f",
            b"\xfftext/html",
        ];
        for value in values {
            assert_eq!(kind_of(value), naive(value), "{:?}", value.escape_ascii());
        }
        assert_eq!(kind_of(b"application/json; name=\xe9"), MediaKind::Other);
        assert_eq!(media_kind(&HeaderMap::new()), MediaKind::Other);
    }
}
