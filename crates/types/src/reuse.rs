//! What [`ChunkParser`](crate::ChunkParser) remembers of a stream's payloads
//! to parse the next ones faster: how they begin ([`Head`]) and how they end
//! ([`Tail`]).
//!
//! Consecutive chunks of a stream repeat most of their bytes: OpenAI's repeat
//! everything before the choice's `delta`; Azure's (keys in alphabetical
//! order) the content-filter results before it and the top-level fields after
//! the choices. Parsing reads left to right, so the same bytes leave the
//! parser in the same state: a payload that begins with the bytes a previous
//! one began with can be parsed from there, over the state those bytes left;
//! and one that ends like a previous one, with top-level fields only, can be
//! parsed without them, the fields being set afterwards. The [`Recorder`]
//! finds both while a payload is parsed; [`Reuse::plan`] finds them in the
//! next one.
//!
//! To keep the state small and the argument simple, a head ends just before
//! the first top-level key that is not a [`TopFields`] one, or, when that key
//! is `choices`, just before the first key of the first choice that is not a
//! [`ChoiceHead`] one; and a tail holds [`TopFields`] keys only. A head is
//! only used when a key follows it, as one did where it was found: the
//! shortened payload restarts the object with `{`, which is the same state
//! as after the head's comma before a key, but not before a `}`.

use crate::lenient::Key;
use crate::{ChatCompletionChunk, ChunkChoice, ContentFilterResults, ServiceTier, SharedStr};

/// JSON's whitespace (not the same as ASCII's: no form feed).
fn is_json_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// The head and tail of the last payloads that had one.
#[derive(Clone, Debug, Default)]
pub(crate) struct Reuse {
    head: Option<Head>,
    tail: Option<Tail>,
    /// How many payloads in a row shared neither (see [`Self::worth_recording`]).
    misses: u32,
}

impl Reuse {
    /// Whether to look for a head and a tail in a payload parsed whole:
    /// always at first, then only now and then while payloads keep sharing
    /// nothing with the remembered ones (a stream whose every payload begins
    /// differently, a new `id` each time, would pay for recording each one
    /// for nothing).
    pub(crate) fn worth_recording(&self) -> bool {
        self.misses < 4 || self.misses % 32 == 0
    }

    /// Forgets how many payloads in a row shared nothing (a new stream may
    /// share a lot), keeping the remembered head and tail.
    pub(crate) fn forget_misses(&mut self) {
        self.misses = 0;
    }

    /// What of `json` can be skipped: `None` if nothing.
    pub(crate) fn plan(&mut self, json: &[u8]) -> Option<Plan<'_>> {
        let head = self
            .head
            .as_ref()
            .filter(|head| head.continues_in(json))
            .map(|head| head.bytes.len());
        let cut = self
            .tail
            .as_ref()
            .and_then(|tail| tail.cut(json, head.unwrap_or(0)));
        if head.is_none() && cut.is_none() {
            self.misses = self.misses.saturating_add(1);
            return None;
        }
        self.misses = 0;
        Some(Plan {
            head: self.head.as_ref().filter(|_| head.is_some()),
            tail: self.tail.as_ref().zip(cut),
            start: head.unwrap_or(0),
        })
    }

    /// Keeps what `recorder` found in its input (reusing the memory of the
    /// previous head and tail).
    ///
    /// The recorder is taken by reference (what it found is taken out of
    /// it): it is a few hundred bytes, most of them unused on most payloads,
    /// and passed by value it would be copied on every one.
    pub(crate) fn keep(&mut self, recorder: &mut Recorder<'_>) {
        let input = recorder.input;
        if let Some(found) = recorder.head.take() {
            let mut bytes = self.head.take().map(|old| old.bytes).unwrap_or_default();
            bytes.clear();
            bytes.extend_from_slice(input.get(..found.end).unwrap_or_default());
            self.head = Some(Head {
                bytes,
                top: found.top,
                first_choice: found.first_choice,
            });
        }
        if let Some(found) = recorder.tail.take() {
            let mut bytes = self.tail.take().map(|old| old.bytes).unwrap_or_default();
            bytes.clear();
            bytes.extend_from_slice(input.get(found.start..).unwrap_or_default());
            self.tail = Some(Tail {
                bytes,
                fields: found.fields,
            });
        }
    }
}

/// How to parse a payload without the head and tail it shares with earlier
/// ones.
pub(crate) struct Plan<'r> {
    head: Option<&'r Head>,
    /// The tail, and where the payload is cut for it.
    tail: Option<(&'r Tail, usize)>,
    /// Where the payload's bytes to parse start.
    start: usize,
}

impl<'r> Plan<'r> {
    /// Writes what is left to parse of `json` to `buffer`, and restores the
    /// head's state in `chunk` (the state of its first choice is returned,
    /// for the parser to continue it).
    pub(crate) fn prepare(
        &self,
        json: &[u8],
        buffer: &mut Vec<u8>,
        chunk: &mut ChatCompletionChunk,
    ) -> Option<&'r ChoiceHead> {
        let end = self.tail.map_or(json.len(), |(_, cut)| cut);
        buffer.clear();
        if let Some(head) = self.head {
            buffer.extend_from_slice(head.opening());
            head.top.restore(chunk);
        }
        buffer.extend_from_slice(json.get(self.start..end).unwrap_or_default());
        if self.tail.is_some() {
            buffer.push(b'}');
        }
        self.head.and_then(|head| head.first_choice.as_ref())
    }

    /// A recorder for the prepared `buffer`, looking for what was not used:
    /// the buffer begins as the payload does unless a head was used, and ends
    /// as it does unless a tail was.
    pub(crate) fn recorder<'i>(&self, buffer: &'i [u8]) -> Recorder<'i> {
        Recorder::new(buffer, self.head.is_none(), self.tail.is_none())
    }

    /// Sets the tail's fields, once the rest is parsed.
    pub(crate) fn finish(&self, chunk: &mut ChatCompletionChunk) {
        if let Some((tail, _)) = self.tail {
            tail.fields.apply(chunk);
        }
    }
}

/// How a payload began, with the state it left the parser in.
#[derive(Clone, Debug)]
struct Head {
    /// The payload's bytes up to the opening quote of the key that ends the
    /// head.
    bytes: Vec<u8>,
    /// The top-level fields the head set.
    top: TopFields,
    /// For a head that ends in the first choice: what the head set in it.
    first_choice: Option<ChoiceHead>,
}

impl Head {
    /// Whether `json` begins with this head and goes on with a key, as the
    /// payload the head was found in did. The key matters: the head ends
    /// after a comma (or the first choice's `{`) where the shortened payload
    /// has a `{`, the same state before a key, but not before a `}`, which
    /// would close an empty object in the buffer and is a trailing comma in
    /// the payload (`{"id":"a",}` after a head `{"id":"a",`).
    fn continues_in(&self, json: &[u8]) -> bool {
        json.starts_with(&self.bytes) && json.get(self.bytes.len()) == Some(&b'"')
    }

    /// The JSON that brings a parser to where the head ends (the state itself
    /// is restored from `top` and `first_choice`).
    fn opening(&self) -> &'static [u8] {
        if self.first_choice.is_some() {
            br#"{"choices":[{"#
        } else {
            b"{"
        }
    }
}

/// How a payload ended: top-level [`TopFields`] keys only, after a comma, up
/// to the end.
///
/// A payload `X` + `,` + `bytes` parses, if at all, exactly as `X` + `}`
/// followed by what `bytes` set. After the comma, `bytes` can only be read as
/// members of the top-level object: anywhere else they are invalid (in a
/// string its first quote ends it before a letter, in an array a key is not a
/// value, in a nested object the final brace does not end the document), and
/// as members they set the same fields as when they were recorded. The only
/// `X` for which `X` + `}` is valid but `X` + `,` is not ends with `{`, and
/// [`Tail::cut`] rules it out.
#[derive(Clone, Debug)]
struct Tail {
    /// From the opening quote of the first key to the end of the payload.
    bytes: Vec<u8>,
    /// What those keys set (the last value of each).
    fields: TailFields,
}

impl Tail {
    /// Where `json` is cut for this tail: the offset of the comma before it,
    /// if `json` ends with the tail and something other than `{` comes
    /// between `start` and the comma.
    fn cut(&self, json: &[u8], start: usize) -> Option<usize> {
        let before = json.strip_suffix(self.bytes.as_slice())?;
        let comma = before.iter().rposition(|&b| !is_json_whitespace(b))?;
        let between = json.get(start..comma)?;
        let last = between.iter().rev().find(|&&b| !is_json_whitespace(b))?;
        (before.get(comma) == Some(&b',') && *last != b'{').then_some(comma)
    }
}

/// The top-level fields a [`Head`] or a [`Tail`] may set.
#[derive(Clone, Debug, Default)]
struct TopFields {
    id: SharedStr,
    object: SharedStr,
    created: i64,
    model: SharedStr,
    system_fingerprint: Option<SharedStr>,
    service_tier: Option<ServiceTier>,
}

impl TopFields {
    /// The key's bit in a [`TailFields`] mask, if it names one of these
    /// fields.
    fn bit(key: &[u8]) -> Option<u8> {
        Some(match key {
            b"id" => 1,
            b"object" => 2,
            b"created" => 4,
            b"model" => 8,
            b"system_fingerprint" => 16,
            b"service_tier" => 32,
            _ => return None,
        })
    }

    fn of(chunk: &ChatCompletionChunk) -> Self {
        TopFields {
            id: chunk.id.clone(),
            object: chunk.object.clone(),
            created: chunk.created,
            model: chunk.model.clone(),
            system_fingerprint: chunk.system_fingerprint.clone(),
            service_tier: chunk.service_tier.clone(),
        }
    }

    fn restore(&self, chunk: &mut ChatCompletionChunk) {
        chunk.id.clone_from(&self.id);
        chunk.object.clone_from(&self.object);
        chunk.created = self.created;
        chunk.model.clone_from(&self.model);
        chunk
            .system_fingerprint
            .clone_from(&self.system_fingerprint);
        chunk.service_tier.clone_from(&self.service_tier);
    }
}

/// Those of the [`TopFields`] a [`Tail`]'s keys set (the bits of `set`).
#[derive(Clone, Debug)]
struct TailFields {
    set: u8,
    values: TopFields,
}

impl TailFields {
    fn apply(&self, chunk: &mut ChatCompletionChunk) {
        let set = |bit: u8| self.set & bit != 0;
        let values = &self.values;
        if set(1) {
            chunk.id.clone_from(&values.id);
        }
        if set(2) {
            chunk.object.clone_from(&values.object);
        }
        if set(4) {
            chunk.created = values.created;
        }
        if set(8) {
            chunk.model.clone_from(&values.model);
        }
        if set(16) {
            chunk
                .system_fingerprint
                .clone_from(&values.system_fingerprint);
        }
        if set(32) {
            chunk.service_tier.clone_from(&values.service_tier);
        }
    }
}

/// The fields of the first choice a [`Head`] may set; the others are still
/// at their default where the head ends.
#[derive(Clone, Debug)]
pub(crate) struct ChoiceHead {
    index: u32,
    content_filter_results: Option<Box<ContentFilterResults>>,
}

impl ChoiceHead {
    /// Whether a key of the first choice sets a `ChoiceHead` field.
    fn names(key: &[u8]) -> bool {
        matches!(key, b"index" | b"content_filter_results")
    }

    fn of(choice: &ChunkChoice) -> Self {
        ChoiceHead {
            index: choice.index,
            content_filter_results: choice.content_filter_results.clone(),
        }
    }

    /// Sets in `choice` (a default one) what the head set.
    pub(crate) fn restore(&self, choice: &mut ChunkChoice) {
        choice.index = self.index;
        choice
            .content_filter_results
            .clone_from(&self.content_filter_results);
    }
}

/// Finds a payload's head and tail while it is parsed, told the keys as the
/// parser reads them. Keys are located by address: serde_json lends keys
/// without escapes straight from its input (see [`Key::quote_offset_in`]).
pub(crate) struct Recorder<'i> {
    /// What is being parsed.
    input: &'i [u8],
    /// Where the head may still end.
    head_search: HeadSearch,
    /// The head, once found.
    head: Option<FoundHead>,
    /// Whether to look for a tail.
    tail_search: bool,
    /// The current run of top-level `TopFields` keys: the offset of its first
    /// key's quote, and the keys' bits.
    run: Option<(usize, u8)>,
    /// The tail, once the map has ended in a run.
    tail: Option<FoundTail>,
}

/// Where a head may still end.
enum HeadSearch {
    /// Nowhere (found, or not looked for).
    Off,
    /// At the top level, where only `TopFields` keys were seen so far (and
    /// whether any was: a head must skip something).
    Top { any: bool },
    /// In the first choice, with the top-level fields set before `choices`.
    FirstChoice(TopFields),
}

impl<'i> Recorder<'i> {
    /// A recorder for `input`, looking for a head and a tail as told.
    pub(crate) fn new(input: &'i [u8], head: bool, tail: bool) -> Self {
        Recorder {
            input,
            head_search: if head {
                HeadSearch::Top { any: false }
            } else {
                HeadSearch::Off
            },
            head: None,
            tail_search: tail,
            run: None,
            tail: None,
        }
    }

    /// A recorder that looks for nothing.
    pub(crate) fn off() -> Recorder<'static> {
        Recorder::new(&[], false, false)
    }

    /// Whether the head may end in the first choice (then its keys must be
    /// told to [`first_choice_key`](Self::first_choice_key)).
    pub(crate) fn in_first_choice(&self) -> bool {
        matches!(self.head_search, HeadSearch::FirstChoice(_))
    }

    /// A top-level key, before its value is read (`chunk` as it is so far).
    pub(crate) fn top_key(&mut self, key: &Key<'_>, chunk: &ChatCompletionChunk) {
        let bit = TopFields::bit(key.bytes());
        if self.tail_search {
            self.run = match (bit, self.run) {
                (Some(bit), Some((start, set))) => Some((start, set | bit)),
                (Some(bit), None) => key.quote_offset_in(self.input).map(|start| (start, bit)),
                (None, _) => None,
            };
        }
        if let HeadSearch::Top { any } = &mut self.head_search {
            if bit.is_some() {
                *any = true;
            } else if key.bytes() == b"choices" {
                self.head_search = HeadSearch::FirstChoice(TopFields::of(chunk));
            } else {
                let any = *any;
                self.head_search = HeadSearch::Off;
                if any {
                    self.found_head(key, TopFields::of(chunk), None);
                }
            }
        }
    }

    /// A key of the first choice, before its value is read (`choice` as it
    /// is so far).
    pub(crate) fn first_choice_key(&mut self, key: &Key<'_>, choice: &ChunkChoice) {
        if ChoiceHead::names(key.bytes()) {
            return;
        }
        if let HeadSearch::FirstChoice(top) =
            std::mem::replace(&mut self.head_search, HeadSearch::Off)
        {
            self.found_head(key, top, Some(ChoiceHead::of(choice)));
        }
    }

    /// The end of the first choice, or of `choices`: the head did not end in
    /// it.
    pub(crate) fn left_choices(&mut self) {
        if self.in_first_choice() {
            self.head_search = HeadSearch::Off;
        }
    }

    fn found_head(&mut self, key: &Key<'_>, top: TopFields, first_choice: Option<ChoiceHead>) {
        if let Some(end) = key.quote_offset_in(self.input) {
            self.head = Some(FoundHead {
                end,
                top,
                first_choice,
            });
        }
    }

    /// The end of the top-level map (`chunk` as parsed): a run of keys that
    /// reaches it, after a comma, is a tail.
    pub(crate) fn end(&mut self, chunk: &ChatCompletionChunk) {
        let Some((start, set)) = self.run else {
            return;
        };
        let before = self.input.get(..start).unwrap_or_default();
        let after_comma = before.iter().rev().find(|&&b| !is_json_whitespace(b)) == Some(&b',');
        if after_comma {
            self.tail = Some(FoundTail {
                start,
                fields: TailFields {
                    set,
                    values: TopFields::of(chunk),
                },
            });
        }
    }
}

/// A [`Head`] found in a recorder's input: it ends at `end`.
struct FoundHead {
    end: usize,
    top: TopFields,
    first_choice: Option<ChoiceHead>,
}

/// A [`Tail`] found in a recorder's input: it starts at `start`.
struct FoundTail {
    start: usize,
    fields: TailFields,
}
