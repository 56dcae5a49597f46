//! Bounded growth of the decoder's internal buffers.

use bytes::BytesMut;

/// Smallest allocation for the internal buffers.
const MIN_CAPACITY: usize = 256;
/// After a stream ends, a buffer larger than this is freed rather than kept.
const KEEP_CAPACITY: usize = 64 * 1024;

/// Appends `value` with invalid UTF-8 replaced by U+FFFD, within `limit`.
pub(crate) fn push_lossy(buf: &mut BytesMut, value: &[u8], limit: usize) -> Option<()> {
    for chunk in value.utf8_chunks() {
        if !push_bounded(buf, chunk.valid().as_bytes(), limit) {
            return None;
        }
        if !chunk.invalid().is_empty() && !push_bounded(buf, "\u{FFFD}".as_bytes(), limit) {
            return None;
        }
    }
    Some(())
}

/// Appends `bytes` unless the result would exceed `limit` bytes. Growth never
/// allocates past `limit` (unlike `BytesMut::reserve`, which may double), and
/// reuses the buffer's previous allocation once the events that were sliced
/// from it have been dropped.
pub(crate) fn push_bounded(buf: &mut BytesMut, bytes: &[u8], limit: usize) -> bool {
    let Some(needed) = buf.len().checked_add(bytes.len()) else {
        return false;
    };
    if needed > limit {
        return false;
    }
    if buf.capacity() - buf.len() < bytes.len() && !buf.try_reclaim(bytes.len()) {
        let capacity = needed
            .max(buf.capacity().saturating_mul(2))
            .max(MIN_CAPACITY)
            .min(limit)
            .max(needed);
        let mut grown = BytesMut::with_capacity(capacity);
        grown.extend_from_slice(buf);
        *buf = grown;
    }
    buf.extend_from_slice(bytes);
    true
}

/// Empties a buffer, freeing it if it grew large.
pub(crate) fn clear_or_free(buf: &mut BytesMut) {
    if buf.capacity() > KEEP_CAPACITY {
        *buf = BytesMut::new();
    } else {
        buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_stops_at_the_limit() {
        let mut buf = BytesMut::new();
        for i in 0..1000 {
            assert!(push_bounded(&mut buf, b"x", 1000), "byte {i}");
            assert!(buf.capacity() <= 1000, "capacity {}", buf.capacity());
        }
        assert!(!push_bounded(&mut buf, b"x", 1000));
        assert!(!push_bounded(&mut buf, &[], 999));
        assert_eq!(buf.len(), 1000);
    }

    #[test]
    fn allocation_is_reused_once_released() {
        let mut buf = BytesMut::new();
        assert!(push_bounded(&mut buf, &[7; 300], 4096));
        let first = buf.split().freeze();
        let ptr = first.as_ptr();
        drop(first);
        // The only handle left: the allocation is reclaimed, not replaced.
        assert!(push_bounded(&mut buf, &[8; 300], 4096));
        assert_eq!(buf.as_ptr(), ptr);
        // While a frozen slice is alive, the next line cannot overwrite it.
        let second = buf.split().freeze();
        assert!(push_bounded(&mut buf, &[9; 300], 4096));
        assert_ne!(buf.as_ptr(), second.as_ptr());
        assert_eq!((&second[..], &buf[..]), (&[8; 300][..], &[9; 300][..]));
    }

    #[test]
    fn lossy_counts_replacements() {
        let mut buf = BytesMut::new();
        assert_eq!(push_lossy(&mut buf, b"a\xFFb", 5), Some(()));
        assert_eq!(&buf[..], "a\u{FFFD}b".as_bytes());
        buf.clear();
        assert_eq!(push_lossy(&mut buf, b"a\xFFb", 4), None);
        assert!(buf.len() <= 4);
    }
}
