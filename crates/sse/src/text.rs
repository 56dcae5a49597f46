//! `Utf8Bytes`: a [`Bytes`] that is known to hold valid UTF-8.
//!
//! The crate forbids `unsafe`, so the `&str` view re-runs
//! [`std::str::from_utf8`] (a fast, vectorised check) instead of trusting the
//! invariant blindly. The invariant is upheld by every constructor, so the
//! fallback branch of [`Utf8Bytes::as_str`] is unreachable in practice; it
//! returns `""` rather than panicking.

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
        if std::str::from_utf8(raw).is_ok() {
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

impl std::fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}
