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
use crate::parse_limits::{ParseError, ParseLimit, ParseLimits, WithinLimits, memory_bound};

/// Payloads up to this size are parsed [`Unbounded`] (see the [module
/// docs](self)). Why it is safe: such a payload has at most 683 elements in
/// any array (`{},` each), which a vector holds in 1,024 slots (1,536 for an
/// instant while it grows); the largest element of a chunk is under 512
/// bytes (a unit test checks the sizes), so its vectors stay under 768 KiB,
/// and everything else it holds is a copy of its own bytes at most — under
/// `4·N + 1 MiB`. The `chunk` fuzz target checks the bound on every payload
/// with a counting allocator.
pub(crate) const UNCHARGED_MAX: usize = 2 << 10;

/// Payloads over this size get a budget computed from a scan of their
/// strings; smaller ones a fixed allowance beyond their size.
const SCAN_MIN: usize = 64 << 10;

/// The budget of a payload up to [`SCAN_MIN`] bytes, beyond its own size.
const SMALL_FLOOR: usize = 256 << 10;

/// What one more entry of a map of unknown fields costs at most, beyond its
/// key's text: the key's `String` and the `Value` (24 + 32 bytes) in a
/// B-tree leaf split half full (eleven slots a leaf), or in an index map's
/// entry vector and table with room to grow.
pub(crate) const MAP_ENTRY: usize = 160;

/// What a map's first entry costs at most: a whole B-tree leaf (eleven keys,
/// eleven values: 632 bytes, with the allocator's overhead), which also
/// covers an index map's first vector and table.
pub(crate) const MAP_FIRST_ENTRY: usize = 648;

/// What inserting a new key of `key_len` bytes into a map of `map_len`
/// entries costs at most (see [`MAP_ENTRY`]).
pub(crate) fn map_entry_cost(map_len: usize, key_len: usize) -> usize {
    let slot = if map_len == 0 {
        MAP_FIRST_ENTRY
    } else {
        MAP_ENTRY
    };
    slot.saturating_add(allocation(key_len))
}

/// What an allocation of `len` bytes costs with the allocator's overhead: a
/// common allocator (glibc's) rounds each block up to 16 bytes with 8 of
/// bookkeeping, and gives no block under 32 bytes.
pub(crate) fn allocation(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        len.saturating_add(8 + 15).max(32) & !15
    }
}

/// What a visitor charges its allocations to, and checks its counts with.
pub(crate) trait Bound: Copy {
    /// Whether this parse is charged: then visitors also keep serde_json from
    /// echoing a string where it expected something else (see
    /// [`refuse_strings`](super::refuse_strings)).
    const CHARGED: bool;

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

    /// Checks the counts of something read whole and converted (a content
    /// part, with its nested parts and kept objects), as the check after
    /// a parse without charges would (see [`WithinLimits`]).
    fn check_after<T: WithinLimits, E: de::Error>(self, value: &T) -> Result<(), E>;
}

/// Nothing to charge: the `Deserialize` impls, and payloads too small to
/// break the bound (their counts are checked after the parse).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unbounded;

impl Bound for Unbounded {
    const CHARGED: bool = false;

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

    #[inline(always)]
    fn check_after<T: WithinLimits, E: de::Error>(self, _: &T) -> Result<(), E> {
        // Checked with the rest once the payload is parsed.
        Ok(())
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
    const CHARGED: bool = true;

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

    fn check_after<T: WithinLimits, E: de::Error>(self, value: &T) -> Result<(), E> {
        match value.check(&self.limits) {
            Ok(()) => Ok(()),
            Err(error) => Err(self.exceed(error.limit().unwrap_or(ParseLimit::ExtraKeys))),
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
    let scratch = longest_scratch_use(input).saturating_mul(3);
    memory_bound(input.len()).saturating_sub(scratch)
}

/// The most serde_json's scratch buffer may have to hold for `json`: the
/// longest string with a backslash in it (such a string is unescaped there;
/// counted as it is in the input, as its text is no longer), or the longest
/// number (its digits are gathered there when serde_json's `float_roundtrip`
/// feature is on, which any crate of a build may turn on). A scan of the
/// input's bytes.
fn longest_scratch_use(json: &[u8]) -> usize {
    let mut longest = 0;
    let mut number = 0;
    let mut at = 0;
    while let Some(&byte) = json.get(at) {
        if byte != b'"' {
            let in_number =
                byte.is_ascii_digit() || matches!(byte, b'-' | b'+' | b'.' | b'e' | b'E');
            number = if in_number { number + 1 } else { 0 };
            longest = longest.max(number);
            at += 1;
            continue;
        }
        number = 0;
        let start = at + 1;
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
    fn the_longest_string_with_escapes_or_number_is_found() {
        assert_eq!(longest_scratch_use(br#"{"a":"bcdef"}"#), 0);
        assert_eq!(
            longest_scratch_use(br#"{"a":-12.5e+10,"b":"1234567890123"}"#),
            9
        );
        assert_eq!(longest_scratch_use(br#"{"a":"b\ncd","e\"":"x"}"#), 5);
        assert_eq!(longest_scratch_use(br#"["\\", "abc\u0041"]"#), 9);
        // Unterminated: up to the end.
        assert_eq!(longest_scratch_use(br#"["ab\"cd"#), 6);
        assert_eq!(longest_scratch_use(br#"["ab\"#), 3);
        assert_eq!(longest_scratch_use(b""), 0);
    }

    #[test]
    fn the_elements_of_a_chunk_are_small_enough_to_parse_small_payloads_uncharged() {
        // What makes `UNCHARGED_MAX` safe: 1,536 slots of the largest element
        // of any array a chunk holds, plus the payload's own bytes a few
        // times over, stay under the bound for a payload of that size.
        let largest = [
            size_of::<crate::ChunkChoice>(),
            size_of::<crate::ToolCallDelta>(),
            size_of::<crate::PromptFilterResult>(),
            size_of::<crate::TokenLogprob>(),
            size_of::<crate::TopLogprob>(),
            size_of::<crate::ContentPart>(),
            size_of::<serde_json::Value>(),
        ]
        .into_iter()
        .max()
        .unwrap();
        assert!(largest < 512, "an element of {largest} bytes");
        let slots = 1536 * largest;
        let copies = 6 * UNCHARGED_MAX;
        assert!(slots + copies < memory_bound(0));
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
