//! What the visitors charge their allocations to: a [`Bound`], which is
//! either [`Unbounded`] (nothing to charge, compiled away) or a [`Budget`],
//! and [`Cx`], which carries it with the [`Format`] down to every visitor.
//!
//! # Two ways to bound a parse
//!
//! The bound is `4·N + 1 MiB` of heap for a payload of `N` bytes
//! ([`memory_bound`]). A payload of at most [`UNCHARGED_MAX`] bytes cannot
//! break it whatever it holds: the largest element of any array the models
//! hold is a few hundred bytes for three bytes of input (`{},`), so such a
//! payload allocates well under 1 MiB. It is parsed [`Unbounded`] — the same
//! visitors with every charge compiled away, as fast as without limits — and
//! its counts are checked once it is parsed. Stream chunks are nearly all of
//! this size.
//!
//! A larger payload is parsed under a [`Budget`]: every allocation the
//! visitors make is charged *before* it is made (a vector's new buffer, a
//! box, a string, an entry of an `extra` map) and the counts are checked as
//! elements arrive, so a limit stops the parse before the memory is spent.
//! What the visitors cannot charge is taken off the budget up front:
//! serde_json's scratch buffer, where it unescapes a string with escapes,
//! keeps its capacity for the whole parse and doubles as it grows, so it
//! holds at most twice the longest such string (three times for an instant
//! while it reallocates). A payload up to [`SCAN_MIN`] bytes therefore gets
//! `N + 256 KiB` (its scratch takes at most `3·N`), a larger one the bound
//! minus three times its longest string with an escape, found by a scan
//! before the parse.
//!
//! Charges are upper bounds: a vector is charged its whole new capacity
//! while the old buffer is still charged (both exist while it grows), a map
//! entry of an unknown field a generous estimate of a B-tree's share, a
//! string shared between payloads as if it were new (so the outcome does not
//! depend on what the parser remembers).

use std::cell::Cell;

use serde::de;

use super::Format;
use crate::parse_limits::{ParseError, ParseLimit, ParseLimits, memory_bound};

/// Payloads up to this size are parsed [`Unbounded`] (see the [module
/// docs](self)); the flood tests show the bound holds at this size.
pub(crate) const UNCHARGED_MAX: usize = 2 << 10;

/// Payloads over this size get a budget computed from a scan of their
/// strings; smaller ones a fixed allowance beyond their size.
const SCAN_MIN: usize = 64 << 10;

/// The budget of a payload up to [`SCAN_MIN`] bytes, beyond its own size.
const SMALL_FLOOR: usize = 256 << 10;

/// What one entry of a map of unknown fields costs at most, beyond its key's
/// text: the key's `String` and the `Value` (24 + 32 bytes) in a B-tree node
/// that may be half empty, or in an index map's entry vector and table with
/// room to grow.
pub(crate) const MAP_ENTRY: usize = 160;

/// What a visitor charges its allocations to, and checks its counts with.
pub(crate) trait Bound: Copy {
    /// Takes `bytes` from the budget, or fails the parse (before the caller
    /// allocates them).
    fn charge<E: de::Error>(self, bytes: usize) -> Result<(), E>;

    /// Fails the parse if a collection that `limit` caps already holds `len`
    /// elements (so one more would be too many).
    fn check_count<E: de::Error>(self, limit: ParseLimit, len: usize) -> Result<(), E>;

    /// Makes room in `vec` for one more element, charging what it grows by.
    /// The first element gets a capacity of one (streams send one choice,
    /// one tool-call fragment, and a four-choice vector would be a kilobyte
    /// and a half).
    fn reserve_one<T, E: de::Error>(self, vec: &mut Vec<T>) -> Result<(), E>;

    /// Gives an empty `vec` room for exactly one element, charging it.
    fn reserve_first<T, E: de::Error>(self, vec: &mut Vec<T>) -> Result<(), E> {
        self.charge(size_of::<T>())?;
        vec.reserve_exact(1);
        Ok(())
    }

    /// The error that stops the parse at `limit` (recorded for the typed
    /// error).
    fn exceed<E: de::Error>(self, limit: ParseLimit) -> E;
}

/// Nothing to charge: the `Deserialize` impls, and payloads too small to
/// break the bound (their counts are checked after the parse).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unbounded;

impl Bound for Unbounded {
    #[inline(always)]
    fn charge<E: de::Error>(self, _: usize) -> Result<(), E> {
        Ok(())
    }

    #[inline(always)]
    fn check_count<E: de::Error>(self, _: ParseLimit, _: usize) -> Result<(), E> {
        Ok(())
    }

    #[inline(always)]
    fn reserve_one<T, E: de::Error>(self, vec: &mut Vec<T>) -> Result<(), E> {
        if vec.capacity() == 0 {
            vec.reserve_exact(1);
        }
        Ok(())
    }

    #[cold]
    fn exceed<E: de::Error>(self, limit: ParseLimit) -> E {
        E::custom(format_args!("{limit:?} limit"))
    }
}

/// What a parse may still allocate, and the counts it checks (see the
/// [module docs](self)).
#[derive(Debug)]
pub(crate) struct Budget {
    limits: ParseLimits,
    /// The payload's size, for the memory limit's message.
    len: usize,
    /// Bytes the parse may still allocate.
    left: Cell<usize>,
    /// The limit that stopped the parse, if one did.
    exceeded: Cell<Option<ParseLimit>>,
}

impl Budget {
    /// The budget for parsing `input` under `limits`.
    pub(crate) fn for_input(limits: &ParseLimits, input: &[u8]) -> Self {
        let len = input.len();
        let left = if !limits.bound_memory {
            usize::MAX
        } else if len <= SCAN_MIN {
            len + SMALL_FLOOR
        } else {
            large_payload_budget(input)
        };
        Budget {
            limits: *limits,
            len,
            left: Cell::new(left),
            exceeded: Cell::new(None),
        }
    }

    /// The typed error for a failed parse: the limit that stopped it, if
    /// one did, else `error`.
    #[cold]
    #[inline(never)]
    pub(crate) fn error(&self, error: serde_json::Error) -> ParseError {
        match self.exceeded.get() {
            Some(limit) => ParseError::Limit {
                limit,
                max: self.limits.max_of(limit, self.len),
            },
            None => ParseError::Json(error),
        }
    }

    #[cold]
    #[inline(never)]
    fn grow<T, E: de::Error>(&self, vec: &mut Vec<T>) -> Result<(), E> {
        let size = size_of::<T>();
        let old = vec.capacity();
        let new = if old == 0 {
            1
        } else {
            old.saturating_mul(2).max(4)
        };
        self.charge(new.saturating_mul(size))?;
        vec.reserve_exact(new - vec.len());
        self.left
            .set(self.left.get().saturating_add(old.saturating_mul(size)));
        Ok(())
    }
}

impl Bound for &Budget {
    #[inline]
    fn charge<E: de::Error>(self, bytes: usize) -> Result<(), E> {
        match self.left.get().checked_sub(bytes) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => Err(self.exceed(ParseLimit::Memory)),
        }
    }

    #[inline]
    fn check_count<E: de::Error>(self, limit: ParseLimit, len: usize) -> Result<(), E> {
        if len < self.limits.max_of(limit, 0) {
            Ok(())
        } else {
            Err(self.exceed(limit))
        }
    }

    #[inline]
    fn reserve_one<T, E: de::Error>(self, vec: &mut Vec<T>) -> Result<(), E> {
        if vec.len() < vec.capacity() {
            Ok(())
        } else {
            self.grow(vec)
        }
    }

    #[cold]
    fn exceed<E: de::Error>(self, limit: ParseLimit) -> E {
        self.exceeded.set(Some(limit));
        E::custom(format_args!(
            "{}",
            ParseError::Limit {
                limit,
                max: self.limits.max_of(limit, self.len),
            }
        ))
    }
}

/// How visitors read their input: the string [`Format`], and the [`Bound`]
/// they charge what they allocate to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cx<B> {
    pub(crate) format: Format,
    pub(crate) bound: B,
}

impl<B: Bound> Cx<B> {
    pub(crate) fn new(format: Format, bound: B) -> Self {
        Cx { format, bound }
    }
}

/// The budget of a payload over [`SCAN_MIN`] bytes: the bound, less what
/// serde_json's scratch buffer may take (see the [module docs](self)).
#[cold]
#[inline(never)]
fn large_payload_budget(input: &[u8]) -> usize {
    let scratch = longest_escaped_string(input).saturating_mul(3);
    memory_bound(input.len()).saturating_sub(scratch)
}

/// The length of the longest string of `json` with a backslash in it (such a
/// string goes through serde_json's scratch buffer), counted as it is in the
/// input (its unescaped text is no longer); a scan of the input's bytes.
fn longest_escaped_string(json: &[u8]) -> usize {
    let mut longest = 0;
    let mut at = 0;
    while let Some(open) = json
        .get(at..)
        .and_then(|rest| rest.iter().position(|&b| b == b'"'))
    {
        let start = at + open + 1;
        let mut end = start;
        let mut escaped = false;
        while let Some(&byte) = json.get(end) {
            match byte {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    end += 2;
                }
                _ => end += 1,
            }
        }
        if escaped {
            longest = longest.max(end.min(json.len()) - start);
        }
        at = end + 1;
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    type JsonResult = Result<(), serde_json::Error>;

    #[test]
    fn longest_escaped_string_counts_only_strings_with_escapes() {
        assert_eq!(longest_escaped_string(br#"{"a":"bcdef"}"#), 0);
        assert_eq!(longest_escaped_string(br#"{"a":"b\ncd","e\"":"x"}"#), 5);
        assert_eq!(longest_escaped_string(br#"["\\", "abc\u0041"]"#), 9);
        // Unterminated: up to the end.
        assert_eq!(longest_escaped_string(br#"["ab\"cd"#), 6);
        assert_eq!(longest_escaped_string(br#"["ab\"#), 3);
        assert_eq!(longest_escaped_string(b""), 0);
    }

    #[test]
    fn payloads_up_to_the_scan_get_their_size_and_a_floor() {
        let budget = Budget::for_input(&ParseLimits::default(), &[b' '; 100]);
        assert_eq!(budget.left.get(), 100 + SMALL_FLOOR);
        let off = Budget::for_input(&ParseLimits::default().bound_memory(false), b"{}");
        assert_eq!(off.left.get(), usize::MAX);
    }

    #[test]
    fn larger_payloads_get_the_bound_less_their_scratch() {
        let mut input = vec![b'"'; 1];
        input.extend(std::iter::repeat_n(b'a', SCAN_MIN * 2));
        input.extend_from_slice(b"\\n\"");
        let budget = Budget::for_input(&ParseLimits::default(), &input);
        assert_eq!(
            budget.left.get(),
            memory_bound(input.len()) - 3 * (SCAN_MIN * 2 + 2)
        );
    }

    #[test]
    fn charges_stop_at_the_budget_and_name_the_limit() {
        let budget = Budget::for_input(&ParseLimits::default(), b"{}");
        assert!((&budget).charge::<serde_json::Error>(SMALL_FLOOR).is_ok());
        assert!((&budget).charge::<serde_json::Error>(3).is_err());
        let error = budget.error(serde_json::from_str::<u8>("x").unwrap_err());
        assert_eq!(error.limit(), Some(ParseLimit::Memory));
    }

    #[test]
    fn vectors_grow_within_the_budget() {
        let budget = Budget::for_input(&ParseLimits::default(), b"");
        let mut vec: Vec<u64> = Vec::new();
        for i in 0..100 {
            let grown: JsonResult = (&budget).reserve_one(&mut vec);
            grown.unwrap();
            vec.push(i);
        }
        assert_eq!(vec.capacity(), 128);
        assert_eq!(budget.left.get(), SMALL_FLOOR - 128 * 8);
        let counted = Budget::for_input(&ParseLimits::default().max_choices(2), b"");
        let one: JsonResult = (&counted).check_count(ParseLimit::Choices, 1);
        let two: JsonResult = (&counted).check_count(ParseLimit::Choices, 2);
        assert!(one.is_ok() && two.is_err());
    }
}
