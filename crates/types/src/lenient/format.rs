//! [`Format`], the way visitors read keys and the string values they match:
//! through `deserialize_str` for any format, or as unchecked bytes for
//! serde_json, the fast path [`ChunkParser`](crate::ChunkParser) takes (the
//! [module docs](super) say why) — and [`utf8`], the check for the bytes that
//! path keeps. Apart because every byte-level reader below builds on it.

use serde::de::{self, Deserializer, Unexpected, Visitor};

/// How visitors read keys and the string values they match (see the
/// [module docs](super)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// Any self-describing format: strings through `deserialize_str`.
    Any,
    /// serde_json: strings through `deserialize_bytes`, checked for UTF-8
    /// only when kept.
    Json,
}

impl Format {
    /// The format for parsing `input` with serde_json: [`Format::Json`],
    /// unless `input` holds a raw control byte (below 0x20).
    ///
    /// Why: JSON forbids raw control characters in strings, and serde_json
    /// rejects them when it hands out a `str` — but not when it hands out
    /// bytes, and after unescaping a raw newline looks the same as an escaped
    /// `\n`. Compact JSON (which is what streams send) has no control bytes
    /// at all, so this check, a fast scan, keeps [`Format::Json`] exact;
    /// pretty-printed input takes [`Format::Any`].
    pub(crate) fn for_json(input: &[u8]) -> Format {
        // Sixteen bytes at a time, which compiles to vector instructions;
        // the last few bytes as part of the last sixteen (checking a byte
        // twice is harmless, and a loop over the few would end at a
        // different place each payload: a branch the processor cannot
        // predict).
        fn lowest(block: &[u8]) -> u8 {
            block.iter().fold(u8::MAX, |min, &b| min.min(b))
        }
        let last = input
            .last_chunk::<16>()
            .map_or_else(|| lowest(input), |block| lowest(block));
        let control = last < 0x20 || input.chunks_exact(16).any(|block| lowest(block) < 0x20);
        if control { Format::Any } else { Format::Json }
    }

    /// Asks `deserializer` for a string, as this format reads strings; the
    /// visitor must accept both `str` and bytes.
    pub(crate) fn deserialize_string_like<'de, D: Deserializer<'de>, V: Visitor<'de>>(
        self,
        deserializer: D,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        match self {
            Format::Any => deserializer.deserialize_str(visitor),
            Format::Json => deserializer.deserialize_bytes(visitor),
        }
    }
}

/// `bytes` as `str`, or the error serde reports for bytes that are not text.
pub(crate) fn utf8<'a, E: de::Error>(
    bytes: &'a [u8],
    expected: &dyn de::Expected,
) -> Result<&'a str, E> {
    std::str::from_utf8(bytes).map_err(|_| E::invalid_value(Unexpected::Bytes(bytes), expected))
}

#[cfg(test)]
mod tests {
    use super::Format;

    /// The naive reference: any byte below 0x20 anywhere.
    fn naive(input: &[u8]) -> Format {
        if input.iter().any(|&b| b < 0x20) {
            Format::Any
        } else {
            Format::Json
        }
    }

    #[test]
    fn for_json_finds_a_control_byte_wherever_it_is() {
        for len in 0..80 {
            let clean = vec![b'a'; len];
            assert_eq!(Format::for_json(&clean), Format::Json, "len {len}");
            for at in 0..len {
                for byte in [0x00, b'\n', 0x1f] {
                    let mut input = clean.clone();
                    input[at] = byte;
                    assert_eq!(Format::for_json(&input), naive(&input), "len {len} at {at}");
                }
            }
        }
        // The edges of the range: 0x20 and above pass, 0x7f and UTF-8 too.
        assert_eq!(Format::for_json(" \x7f\u{e9}".as_bytes()), Format::Json);
    }
}
