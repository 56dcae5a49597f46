//! The stream adapters, driven by a hand-written executor over scripted
//! byte streams.

#![allow(clippy::unwrap_used, clippy::expect_used)] // in tests, a panic is a failure

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use chatstream_sse::{
    DecodeError, Decoder, Event, Frame, FrameStream, Leftover, Limits, SseStream, StreamError,
};
use futures_core::{FusedStream, Stream};

/// One scripted step of a byte stream.
enum Step<B> {
    Data(B),
    Fail(&'static str),
    /// Returns `Pending` once (after waking the task, like a socket would).
    Wait,
}

/// A byte stream that plays a script, then ends; it counts its polls and
/// panics if polled after it ended.
struct Script<B> {
    steps: VecDeque<Step<B>>,
    polls: usize,
    done: bool,
}

fn script<B>(steps: impl IntoIterator<Item = Step<B>>) -> Script<B> {
    Script {
        steps: steps.into_iter().collect(),
        polls: 0,
        done: false,
    }
}

impl<B: Unpin> Stream for Script<B> {
    type Item = Result<B, &'static str>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        assert!(!self.done, "polled after the end");
        self.polls += 1;
        match self.steps.pop_front() {
            Some(Step::Data(b)) => Poll::Ready(Some(Ok(b))),
            Some(Step::Fail(e)) => Poll::Ready(Some(Err(e))),
            Some(Step::Wait) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            None => {
                self.done = true;
                Poll::Ready(None)
            }
        }
    }
}

/// Polls until the stream ends, recording `Pending`s as `None` entries.
fn run<S: Stream + Unpin>(stream: &mut S) -> Vec<Option<S::Item>> {
    let mut cx = Context::from_waker(Waker::noop());
    let mut out = Vec::new();
    loop {
        match Pin::new(&mut *stream).poll_next(&mut cx) {
            Poll::Ready(Some(item)) => out.push(Some(item)),
            Poll::Ready(None) => return out,
            Poll::Pending => out.push(None),
        }
    }
}

fn data<'a>(item: &'a Option<Result<Event, StreamError<&'static str>>>) -> &'a str {
    match item {
        Some(Ok(event)) => event.data(),
        other => panic!("expected an event, got {other:?}"),
    }
}

#[test]
fn events_then_transport_error_then_more() {
    let mut stream = SseStream::new(script([
        Step::Data(Bytes::from("data: 1\n\ndata: 2\n")),
        Step::Wait,
        Step::Data(Bytes::from("\ndata: 3")),
        Step::Fail("reset"),
        Step::Data(Bytes::from("\n\n")),
    ]));
    assert_eq!(stream.leftover(), None);
    let items = run(&mut stream);
    assert_eq!(items.len(), 5, "{items:?}");
    assert_eq!((data(&items[0]), data(&items[2])), ("1", "2"));
    assert!(items[1].is_none(), "Pending is passed on");
    assert!(matches!(
        items[3],
        Some(Err(StreamError::Transport("reset")))
    ));
    // The inner stream went on after its error, and so did decoding.
    assert_eq!(data(&items[4]), "3");
    assert_eq!(stream.leftover(), Some(Leftover::Nothing));
    assert!(stream.is_terminated());
    // Ended: polling again yields None without touching the inner stream.
    assert!(run(&mut stream).is_empty());
}

#[test]
fn ending_mid_event_is_reported() {
    for (tail, leftover) in [
        ("data: 2\n", Leftover::UndispatchedEvent),
        ("data: 2", Leftover::PartialLine),
        (": c\nevent: x\n", Leftover::Nothing),
        ("", Leftover::Nothing),
    ] {
        let mut stream = SseStream::new(script([Step::Data(format!("data: 1\n\n{tail}"))]));
        let items = run(&mut stream);
        assert_eq!(items.len(), 1, "{tail:?}");
        assert_eq!(data(&items[0]), "1");
        assert_eq!(stream.leftover(), Some(leftover), "{tail:?}");
    }
}

#[test]
fn decode_error_ends_the_stream() {
    let decoder = Decoder::with_limits(Limits::default().with_max_line_len(10));
    let mut stream = SseStream::with_decoder(
        script([
            Step::Data(b"data: 1\n\n".to_vec()),
            Step::Data(b"data: 123456".to_vec()),
            Step::Data(b"data: never\n\n".to_vec()),
        ]),
        decoder,
    );
    let items = run(&mut stream);
    assert_eq!(items.len(), 2);
    assert_eq!(data(&items[0]), "1");
    let error = DecodeError::LineTooLong { limit: 10 };
    assert!(matches!(items[1], Some(Err(StreamError::Decode(e))) if e == error));
    assert_eq!(stream.leftover(), Some(Leftover::PartialLine));
    assert!(stream.is_terminated());
    assert_eq!(stream.get_ref().polls, 2, "not polled after the error");
}

#[test]
fn frames_include_comments_and_retries() {
    let stream = SseStream::new(script([Step::Data(": hi\nretry: 5\ndata: x\n\n")]));
    let mut frames: FrameStream<_> = stream.into_frames();
    let items: Vec<_> = run(&mut frames)
        .into_iter()
        .map(|i| i.unwrap().unwrap())
        .collect();
    assert!(matches!(&items[0], Frame::Comment(c) if c.text() == "hi"));
    assert_eq!(items[1], Frame::Retry(Duration::from_millis(5)));
    assert_eq!(items[2], Frame::Event(Event::new("x")));
    assert_eq!(items.len(), 3);
    assert_eq!(frames.decoder().retry(), Some(Duration::from_millis(5)));
    assert_eq!(frames.leftover(), Some(Leftover::Nothing));
}

#[test]
fn decoder_state_carries_over_to_a_reconnection() {
    let mut first = SseStream::new(script([Step::Data("retry: 3\nid: 41\ndata: a\n\ndata: b")]));
    assert_eq!(run(&mut first).len(), 1);
    assert_eq!(first.leftover(), Some(Leftover::PartialLine));
    let (_, decoder) = first.into_parts();
    assert_eq!(
        (decoder.last_event_id(), decoder.retry()),
        ("41", Some(Duration::from_millis(3)))
    );

    let mut second = SseStream::with_decoder(script([Step::Data("id: 42\ndata: c\n\n")]), decoder);
    let items = run(&mut second);
    assert!(matches!(&items[0], Some(Ok(e)) if e.id() == "42" && e.data() == "c"));
    assert_eq!(second.decoder().last_event_id(), "42");
}

#[test]
fn comment_only_stream_yields_nothing_and_many_piece_types_work() {
    let mut stream = SseStream::new(script([Step::Data(": a\n"), Step::Data(": b\n\n")]));
    assert!(run(&mut stream).is_empty());
    assert_eq!(stream.leftover(), Some(Leftover::Nothing));
    // `Vec<u8>`, `String`, `&'static [u8]` pieces all work (`Into<Bytes>`).
    let mut stream = SseStream::new(script([Step::Data(&b"data: v\n\n"[..])]));
    assert_eq!(data(&run(&mut stream)[0]), "v");
}

#[test]
fn adapters_are_send_sync_unpin() {
    fn check<T: Send + Sync + Unpin>() {}
    check::<SseStream<Script<Bytes>>>();
    check::<FrameStream<Script<Bytes>>>();
    check::<Decoder>();
    let boxed: Pin<Box<dyn Stream<Item = Result<Bytes, &'static str>> + Send>> =
        Box::pin(script([Step::Data(Bytes::from("data: boxed\n\n"))]));
    let mut stream = SseStream::new(boxed);
    assert_eq!(data(&run(&mut stream)[0]), "boxed");
}
