//! [`Collected`]: a stream read to its end and folded, and the fold shared
//! by every stream type.

use std::pin::Pin;

use chatstream_types::{
    Accumulator, AccumulatorEvent, AccumulatorLimits, ChatCompletion, ChatCompletionChunk,
};
use futures_core::Stream;

use super::end_state::EndState;
use crate::error::{Error, ErrorKind, Result};
use crate::timing::StreamTiming;

/// A stream read to its end, folded (see
/// `ChatCompletionStream::collect_completion` and
/// [`ChunkStream::collect_completion`](super::ChunkStream::collect_completion)).
#[derive(Debug)]
pub struct Collected {
    /// Everything received, folded — also when the stream failed (then it is
    /// what arrived before the failure).
    pub completion: ChatCompletion,
    /// How the stream ended.
    pub end: Result<EndState>,
    /// When things happened.
    pub timing: StreamTiming,
}

impl Collected {
    /// The completion if the stream ended cleanly, else the error.
    ///
    /// # Errors
    ///
    /// The error the stream ended with.
    pub fn into_result(self) -> Result<ChatCompletion> {
        self.end.map(|_| self.completion)
    }
}

/// Reads `stream` to its end and folds it, holding at most the default
/// [`AccumulatorLimits::max_bytes`] and `max_choices` choices (the stream's
/// own parse limit, so that tracker and fold agree); calls `on_event` for
/// each change. The error is the stream's, or the accumulator's limit.
pub(crate) async fn collect<S, F>(
    stream: &mut S,
    max_choices: usize,
    mut on_event: F,
) -> (ChatCompletion, Option<Error>)
where
    S: Stream<Item = Result<ChatCompletionChunk>> + Unpin,
    F: FnMut(AccumulatorEvent<'_>),
{
    let limits = AccumulatorLimits::default().max_choices(max_choices);
    let mut accumulator = Accumulator::with_limits(limits);
    let mut failure = None;
    while let Some(item) = std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await {
        match item {
            Ok(chunk) => {
                if let Err(error) = accumulator.push_with(&chunk, &mut on_event) {
                    failure = Some(
                        Error::new(
                            ErrorKind::Decode,
                            "the stream exceeds the accumulator's limits",
                        )
                        .with_source(error),
                    );
                    break;
                }
            }
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
    }
    (accumulator.finish(), failure)
}

/// The end of a collected stream: its error, its clean end, or — if it
/// yielded neither (it was dropped early) — truncation.
pub(crate) fn end_of(failure: Option<Error>, state: Option<EndState>) -> Result<EndState> {
    match (failure, state) {
        (Some(error), _) => Err(error),
        (None, Some(state)) => Ok(state),
        (None, None) => Err(Error::new(ErrorKind::Truncated, "the stream stopped early")),
    }
}
