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
pub(super) fn media_kind(headers: &HeaderMap) -> MediaKind {
    let value = headers.get(CONTENT_TYPE).map_or(&b""[..], |v| v.as_bytes());
    // The media type is what comes before any parameters (`; charset=…`);
    // compared as bytes: the names are ASCII, and whatever else the value
    // holds cannot make it one of them.
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

    /// The media kind as read through `str` (the reference: simple and
    /// obviously right, for values that are visible ASCII).
    fn naive(value: &str) -> MediaKind {
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
        let values = [
            "",
            "text/event-stream",
            "text/event-stream; charset=utf-8",
            "application/json",
            "Application/JSON; charset=utf-8",
            "  application/json  ;",
            "application/problem+json",
            "application/vnd.api+JSON;v=1",
            "+json",
            "json",
            "application/jsonx",
            "text/html",
            "TEXT/HTML; charset=iso-8859-1",
            "text/htm",
            ";application/json",
            "text/plain;application/json",
        ];
        for value in values {
            assert_eq!(kind_of(value.as_bytes()), naive(value), "{value:?}");
        }
        assert_eq!(media_kind(&HeaderMap::new()), MediaKind::Other);
    }

    #[test]
    fn bytes_beyond_ascii_in_parameters_do_not_hide_the_media_type() {
        assert_eq!(kind_of(b"application/json; name=\xe9"), MediaKind::Json);
        assert_eq!(kind_of(b"text/html\xe9"), MediaKind::Other);
    }
}
