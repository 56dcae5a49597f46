//! Copies the response headers out of hyper's read buffer, so that an open
//! stream does not keep a whole buffer alive for a few bytes it holds on to
//! (the payload is the reader's: `StreamReader::release_buffers`).

use bytes::BytesMut;
use http::{HeaderMap, HeaderValue};

/// Copies the header values into one buffer of their own.
///
/// hyper hands out header values as slices of the connection's read buffer,
/// so keeping the response headers for the life of a stream (they are
/// readable until the end) would keep that whole buffer — 8 KiB or more —
/// alive per open stream, and make hyper allocate another for its next read.
/// One small copy per response instead; names need none (hyper copies custom
/// names, standard ones are static).
pub(super) fn detach_header_values(headers: &mut HeaderMap) {
    let total: usize = headers.values().map(|value| value.len()).sum();
    let mut buffer = BytesMut::with_capacity(total);
    for value in headers.values() {
        buffer.extend_from_slice(value.as_bytes());
    }
    let mut buffer = buffer.freeze();
    for value in headers.values_mut() {
        let own = buffer.split_to(value.len());
        // The bytes were a valid value a moment ago, so this cannot fail; if
        // it somehow did, the shared value is kept (correct, only larger).
        if let Ok(mut copy) = HeaderValue::from_maybe_shared(own) {
            copy.set_sensitive(value.is_sensitive());
            *value = copy;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use bytes::Bytes;

    use super::*;

    /// Whether `inner` lies inside `outer` in memory.
    fn points_into(inner: &[u8], outer: &[u8]) -> bool {
        let range = outer.as_ptr_range();
        range.contains(&inner.as_ptr())
    }

    #[test]
    fn header_values_stop_sharing_the_read_buffer() {
        let read_buffer = Bytes::from_static(b"text/event-stream req_123 secret");
        let mut headers = HeaderMap::new();
        for (name, range) in [("content-type", 0..17), ("x-request-id", 18..25)] {
            let value = HeaderValue::from_maybe_shared(read_buffer.slice(range)).unwrap();
            headers.insert(name, value);
        }
        let mut secret = HeaderValue::from_maybe_shared(read_buffer.slice(26..32)).unwrap();
        secret.set_sensitive(true);
        headers.insert("set-cookie", secret);
        assert!(points_into(
            headers["x-request-id"].as_bytes(),
            &read_buffer
        ));

        detach_header_values(&mut headers);

        assert_eq!(headers["content-type"], "text/event-stream");
        assert_eq!(headers["x-request-id"], "req_123");
        assert_eq!(headers["set-cookie"], "secret");
        assert!(headers["set-cookie"].is_sensitive());
        for value in headers.values() {
            assert!(!points_into(value.as_bytes(), &read_buffer));
        }
    }
}
