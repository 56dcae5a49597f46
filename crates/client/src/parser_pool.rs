//! Chunk parsers kept between the streams of one client.
//!
//! Why: a [`ChunkParser`] learns as it goes — the strings every chunk repeats
//! (`object`, `model`, `system_fingerprint`) are interned once, and the
//! buffers it records the head and tail of the last payload in keep their
//! allocations. A fresh parser pays for all of that on the first chunk of
//! every stream, which is the chunk the time to first chunk waits for. A
//! stream takes a parser from its client's pool and gives it back when it
//! is dropped, so a client that streams one completion after another parses
//! each first chunk with a parser that is already set up.
//!
//! Sharing a parser between streams is sound because a parser is made for
//! any sequence of payloads: what it remembers is only used after checking
//! it against the bytes at hand, so a payload of another stream is simply
//! one that shares less (the tests of `chatstream-types` check the reusing
//! parser against plain serde_json on mutated payloads). A parser taken
//! from the pool is told a new stream begins
//! ([`ChunkParser::begin_stream`]), so the last stream's misses do not keep
//! it from looking for what the new one's payloads share.
//!
//! Memory stays bounded: a parser keeps at most a few copies of parts of the
//! payloads it parsed (a head, a tail, a shortened input, a few strings), so
//! only parsers whose largest payload was at most [`KEEP_PAYLOAD_MAX`] go
//! back, and the pool holds at most [`POOL_MAX`] of them. A parser from a
//! stream that saw a larger payload is dropped with the stream.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use chatstream_types::ChunkParser;

/// How many parsers a client keeps (as many streams as it runs at once,
/// beyond which new streams start with fresh parsers).
pub(crate) const POOL_MAX: usize = 8;

/// The largest payload a parser may have parsed and still go back to the
/// pool.
pub(crate) const KEEP_PAYLOAD_MAX: usize = 16 * 1024;

/// The parsers a client keeps between streams.
///
/// Boxed, in the pool and on loan: a parser is a few hundred bytes, and a
/// stream (which holds its parser) is moved several times on its way to
/// the caller; a box moves as a pointer, and taking one from the pool or
/// giving it back copies no parser.
#[derive(Debug, Default)]
pub(crate) struct ParserPool {
    #[allow(
        clippy::vec_box,
        reason = "boxes move in and out without copying a parser"
    )]
    parsers: Mutex<Vec<Box<ChunkParser>>>,
}

impl ParserPool {
    /// A parser from the pool, or a new one if the pool is empty.
    #[cfg(feature = "transport")]
    pub(crate) fn take(self: &Arc<Self>) -> PooledParser {
        let parser = self.lock().pop().map(|mut parser| {
            parser.begin_stream();
            parser
        });
        PooledParser {
            parser: Some(parser.unwrap_or_default()),
            pool: Some(Arc::clone(self)),
            largest_payload: 0,
        }
    }

    /// How many parsers the pool holds.
    #[cfg(all(test, feature = "transport"))]
    fn len(&self) -> usize {
        self.lock().len()
    }

    fn give_back(&self, parser: Box<ChunkParser>) {
        let mut parsers = self.lock();
        if parsers.len() < POOL_MAX {
            parsers.push(parser);
        }
    }

    /// The parsers. A panic while the lock was held cannot have left the
    /// vector inconsistent (`push` and `pop` are its only writes), so a
    /// poisoned lock is used as it is.
    #[allow(clippy::vec_box, reason = "see `ParserPool`")]
    fn lock(&self) -> MutexGuard<'_, Vec<Box<ChunkParser>>> {
        self.parsers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A parser on loan to a stream: given back to its pool when dropped, if it
/// stayed small.
#[derive(Debug)]
pub(crate) struct PooledParser {
    /// `Some` from the loan until `drop` gives it back.
    parser: Option<Box<ChunkParser>>,
    pool: Option<Arc<ParserPool>>,
    /// The size of the largest payload parsed with it.
    largest_payload: usize,
}

impl PooledParser {
    /// A parser of no pool (dropped with its stream).
    pub(crate) fn unpooled(parser: ChunkParser) -> Self {
        PooledParser {
            parser: Some(Box::new(parser)),
            pool: None,
            largest_payload: 0,
        }
    }

    /// Notes the size of a payload about to be parsed.
    pub(crate) fn note_payload(&mut self, len: usize) {
        self.largest_payload = self.largest_payload.max(len);
    }
}

/// The parser. It is only ever missing inside `drop`; were it missing, a
/// parser with nothing remembered would stand in rather than a panic.
impl Deref for PooledParser {
    type Target = ChunkParser;

    fn deref(&self) -> &ChunkParser {
        static STAND_IN: OnceLock<ChunkParser> = OnceLock::new();
        match &self.parser {
            Some(parser) => parser,
            None => STAND_IN.get_or_init(ChunkParser::default),
        }
    }
}

impl DerefMut for PooledParser {
    fn deref_mut(&mut self) -> &mut ChunkParser {
        self.parser.get_or_insert_with(Box::default)
    }
}

impl Drop for PooledParser {
    fn drop(&mut self) {
        if let (Some(pool), Some(parser)) = (self.pool.take(), self.parser.take()) {
            if self.largest_payload <= KEEP_PAYLOAD_MAX {
                pool.give_back(parser);
            }
        }
    }
}

#[cfg(all(test, feature = "transport"))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chatstream_types::StreamPayload;

    use super::*;

    const FIRST: &[u8] = br#"{"id":"a","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#;
    const OTHER: &[u8] = br#"{"id":"b","object":"chat.completion.chunk","created":2,"model":"n","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}"#;

    fn parse(parser: &mut PooledParser, payload: &[u8]) -> chatstream_types::ChatCompletionChunk {
        parser.note_payload(payload.len());
        match parser.parse_payload(payload).unwrap() {
            StreamPayload::Chunk(chunk) => chunk,
            other => panic!("expected a chunk, got {other:?}"),
        }
    }

    #[test]
    fn a_parser_goes_back_and_parses_another_stream_exactly() {
        let pool = Arc::new(ParserPool::default());
        let mut first = pool.take();
        parse(&mut first, FIRST);
        drop(first);
        assert_eq!(pool.len(), 1);

        let mut second = pool.take();
        assert_eq!(pool.len(), 0);
        let chunk = parse(&mut second, OTHER);
        let plain: chatstream_types::ChatCompletionChunk = serde_json::from_slice(OTHER).unwrap();
        assert_eq!(chunk, plain);
        assert_eq!(chunk.id, "b");
    }

    #[test]
    fn a_parser_that_saw_a_large_payload_is_dropped() {
        let pool = Arc::new(ParserPool::default());
        let mut parser = pool.take();
        parse(&mut parser, FIRST);
        parser.note_payload(KEEP_PAYLOAD_MAX + 1);
        drop(parser);
        assert_eq!(pool.len(), 0);
    }

    #[test]
    fn the_pool_keeps_at_most_its_maximum() {
        let pool = Arc::new(ParserPool::default());
        let loans: Vec<_> = (0..POOL_MAX + 3).map(|_| pool.take()).collect();
        drop(loans);
        assert_eq!(pool.len(), POOL_MAX);
    }
}
