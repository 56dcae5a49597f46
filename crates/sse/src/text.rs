//! `Utf8Bytes`: a [`Bytes`] that is known to hold valid UTF-8.
//!
//! The crate forbids `unsafe`, so the `&str` view re-runs
//! [`std::str::from_utf8`] (a fast, vectorised check) instead of trusting the
//! invariant blindly. The invariant is upheld by every constructor, so the
//! fallback branch of [`Utf8Bytes::as_str`] is unreachable in practice; it
//! returns `""` rather than panicking.
//!
//! [`is_utf8`] is the decoder's check of event data: the same answer as
//! `std::str::from_utf8`, faster on the mostly-ASCII text of JSON payloads.

use bytes::Bytes;

/// Bytes that hold valid UTF-8 (private invariant, checked on construction).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// The empty string, without allocating.
    pub(crate) const fn new() -> Self {
        Self(Bytes::new())
    }

    /// Wraps a static string, without allocating.
    pub(crate) const fn from_static(s: &'static str) -> Self {
        Self(Bytes::from_static(s.as_bytes()))
    }

    /// Takes ownership of a `String`'s buffer, without copying.
    pub(crate) fn from_string(s: String) -> Self {
        Self(Bytes::from(s))
    }

    /// Validates `bytes` as UTF-8 and wraps them without copying.
    pub(crate) fn try_from_bytes(bytes: Bytes) -> Result<Self, std::str::Utf8Error> {
        std::str::from_utf8(&bytes)?;
        Ok(Self(bytes))
    }

    /// Wraps bytes the caller has already checked (or built only from `&str`
    /// pieces). Not `unsafe`: a broken invariant would make `as_str` return
    /// `""`, never cause undefined behaviour.
    pub(crate) fn from_validated(bytes: Bytes) -> Self {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        Self(bytes)
    }

    /// `src[start..end]`: a zero-copy slice when it is valid UTF-8, otherwise
    /// an owned copy with each invalid sequence replaced by U+FFFD (the
    /// WHATWG / Unicode "maximal subpart" rule, as `String::from_utf8_lossy`).
    pub(crate) fn slice_lossy(src: &Bytes, start: usize, end: usize) -> Self {
        let raw = &src[start..end];
        if is_utf8(raw) {
            Self(src.slice(start..end))
        } else {
            Self::from_string(String::from_utf8_lossy(raw).into_owned())
        }
    }

    /// An owned copy of `raw`, with invalid sequences replaced by U+FFFD.
    pub(crate) fn copy_lossy(raw: &[u8]) -> Self {
        Self::from_string(String::from_utf8_lossy(raw).into_owned())
    }

    /// The text. Never fails: the bytes were validated on construction.
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The underlying bytes (valid UTF-8).
    pub(crate) fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// The underlying bytes (valid UTF-8).
    pub(crate) fn into_bytes(self) -> Bytes {
        self.0
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `std::str::from_utf8(bytes).is_ok()`, faster on mostly-ASCII text such
/// as JSON event data.
pub(crate) fn is_utf8(bytes: &[u8]) -> bool {
    is_long_ascii(bytes) || is_mostly_ascii_utf8(bytes)
}

/// The length of the leading 64-byte blocks that are all ASCII.
fn ascii_blocks_len(bytes: &[u8]) -> usize {
    bytes
        .chunks_exact(64)
        .take_while(|block| block.iter().fold(0, |acc, byte| acc | byte) < 0x80)
        .count()
        * 64
}

/// Whether `bytes` is ASCII, for slices of at least 64 bytes (shorter ones
/// give `false`).
///
/// All bytes are OR-ed into 64 lanes, which the compiler keeps in vector
/// registers: a few instructions per 64 bytes, no branch per block, one test
/// at the end. The last 64 bytes are OR-ed in again (overlapping) to cover
/// those after the last whole block.
fn is_long_ascii(bytes: &[u8]) -> bool {
    const BLOCK: usize = 64;
    let Some(last) = bytes.last_chunk::<BLOCK>() else {
        return false;
    };
    let mut lanes = *last;
    for block in bytes.chunks_exact(BLOCK) {
        for (lane, byte) in lanes.iter_mut().zip(block) {
            *lane |= byte;
        }
    }
    lanes.iter().fold(0, |acc, lane| acc | lane) < 0x80
}

/// `std::str::from_utf8(bytes).is_ok()` for text with a few non-ASCII
/// characters among ASCII (an accented letter, curly quotes, an emoji).
///
/// ASCII runs are skipped 8 bytes at a time and each isolated non-ASCII
/// character is validated on its own by `std`: a valid character always
/// spans exactly the length its first byte announces, so the string is valid
/// exactly when each of these pieces is. Where two non-ASCII characters are
/// adjacent (text in a non-Latin script), the rest goes to `std` whole,
/// which is faster there.
#[inline(never)]
fn is_mostly_ascii_utf8(bytes: &[u8]) -> bool {
    let mut rest = &bytes[ascii_blocks_len(bytes)..];
    loop {
        rest = &rest[ascii_len(rest)..];
        let Some(&first) = rest.first() else {
            return true;
        };
        let len = match first {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return false,
        };
        let Some((char, after)) = rest.split_at_checked(len) else {
            return false;
        };
        if std::str::from_utf8(char).is_err() {
            return false;
        }
        if after.first().is_some_and(|b| !b.is_ascii()) {
            return std::str::from_utf8(after).is_ok();
        }
        rest = after;
    }
}

/// The number of leading ASCII bytes, counted 8 at a time.
fn ascii_len(bytes: &[u8]) -> usize {
    // The bytes `>= 0x80` of an 8-byte word, as their high bits.
    fn high_bits(word: &[u8; 8]) -> u64 {
        u64::from_le_bytes(*word) & 0x8080_8080_8080_8080
    }
    let mut len = 0;
    for word in bytes.chunks_exact(8) {
        let high = word.try_into().map_or(0, high_bits);
        if high != 0 {
            return len + high.trailing_zeros() as usize / 8;
        }
        len += 8;
    }
    // Fewer than 8 bytes left: the last word again, whose first bytes are
    // ASCII bytes already counted.
    match bytes.last_chunk() {
        Some(last) if len < bytes.len() => match high_bits(last) {
            0 => bytes.len(),
            high => bytes.len() - 8 + high.trailing_zeros() as usize / 8,
        },
        _ => len + bytes[len..].iter().take_while(|b| b.is_ascii()).count(),
    }
}

impl std::fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `is_utf8` agrees with `std::str::from_utf8`.
    fn check(bytes: &[u8]) {
        assert_eq!(
            is_utf8(bytes),
            std::str::from_utf8(bytes).is_ok(),
            "{bytes:x?}"
        );
    }

    #[test]
    fn edge_cases_at_every_offset() {
        // Valid characters of each length, and the classic invalid sequences:
        // overlong, surrogate, above U+10FFFF, lone continuation, truncated.
        let pieces: [&[u8]; 14] = [
            "é".as_bytes(),
            "€".as_bytes(),
            "😀".as_bytes(),
            "\u{7F}".as_bytes(),
            b"\xC0\xAF",
            b"\xE0\x80\xAF",
            b"\xED\xA0\x80",
            b"\xF4\x90\x80\x80",
            b"\xF5\x80\x80\x80",
            b"\x80",
            b"\xE2\x82",
            b"\xF0\x9F\x98",
            b"\xFF",
            "日本語".as_bytes(),
        ];
        for piece in pieces {
            for before in 0..140 {
                for after in [0, 1, 7, 8, 9, 63, 64, 65] {
                    let mut bytes = vec![b'a'; before];
                    bytes.extend_from_slice(piece);
                    bytes.resize(bytes.len() + after, b'z');
                    check(&bytes);
                    // Also cut right after the piece, and inside it.
                    check(&bytes[..before + piece.len()]);
                    check(&bytes[..before + piece.len() - 1]);
                }
            }
        }
    }

    #[test]
    fn generated_inputs() {
        // Mostly ASCII with sprinkled characters and raw bytes (xorshift).
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let chars = ["ß", "“", "€", "😀", "日本", "\u{10FFFF}"];
        let raw = [0x80, 0xBF, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xFF];
        for _ in 0..20_000 {
            let mut bytes = Vec::new();
            for _ in 0..next() % 300 {
                match next() % 64 {
                    0 => bytes.extend_from_slice(chars[next() as usize % chars.len()].as_bytes()),
                    1 => bytes.push(raw[next() as usize % raw.len()]),
                    _ => bytes.push(b' ' + (next() % 95) as u8),
                }
            }
            check(&bytes);
        }
    }
}
