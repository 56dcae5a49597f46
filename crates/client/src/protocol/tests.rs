//! The end-state rules of [`StreamReader`], fed bytes directly, and the
//! [`ChunkStream`] adapter over an in-memory body.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_core::Stream;

use super::*;
use crate::error::{Error, ErrorKind};

fn chunk(index: u32, content: &str, finish: Option<&str>) -> String {
    let finish = finish.map_or("null".to_owned(), |f| format!("\"{f}\""));
    format!(
        "data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"m\",\
         \"choices\":[{{\"index\":{index},\"delta\":{{\"content\":\"{content}\"}},\"finish_reason\":{finish}}}]}}\n\n"
    )
}

/// Everything `reader` yields once fed `pieces` and the end of the body:
/// the text of the chunks, and the error, if any.
fn read_all(mut reader: StreamReader, pieces: &[&str]) -> (StreamReader, String, Option<Error>) {
    let mut text = String::new();
    let mut error = None;
    let mut take = |reader: &mut StreamReader| {
        while let Some(item) = reader.next_item() {
            match item {
                Ok(chunk) => {
                    for choice in &chunk.choices {
                        text.push_str(&choice.delta.content_text().unwrap_or_default());
                    }
                }
                Err(e) => {
                    assert!(error.is_none(), "a second error: {e}");
                    error = Some(e);
                }
            }
        }
    };
    for piece in pieces {
        reader.feed(Bytes::copy_from_slice(piece.as_bytes()), Instant::now());
        take(&mut reader);
    }
    reader.end_of_body();
    take(&mut reader);
    assert!(
        reader.is_terminated(),
        "the end of the body ends the stream"
    );
    (reader, text, error)
}

fn kind(error: Option<&Error>) -> Option<ErrorKind> {
    error.map(Error::kind)
}

#[test]
fn done_ends_cleanly_and_nothing_after_it_is_read() {
    let body = chunk(0, "Hi", None) + "data: [DONE]\n\n" + &chunk(0, "ignored", None);
    let (reader, text, error) = read_all(StreamReader::new(), &[&body]);
    assert_eq!((text.as_str(), kind(error.as_ref())), ("Hi", None));
    assert_eq!(reader.end_state(), Some(EndState::Done));
}

#[test]
fn every_choice_finished_without_done_is_finished() {
    let body = chunk(0, "a", None) + &chunk(1, "b", Some("stop")) + &chunk(0, "c", Some("length"));
    let (reader, text, error) = read_all(StreamReader::new(), &[&body]);
    assert_eq!((text.as_str(), kind(error.as_ref())), ("abc", None));
    assert_eq!(reader.end_state(), Some(EndState::Finished));
}

#[test]
fn a_choice_left_unfinished_is_truncation_after_every_chunk() {
    let body = chunk(0, "a", Some("stop")) + &chunk(1, "b", None);
    let (reader, text, error) = read_all(StreamReader::new(), &[&body]);
    assert_eq!(text, "ab", "everything before the error is delivered");
    assert_eq!(kind(error.as_ref()), Some(ErrorKind::Truncated));
    assert_eq!(reader.end_state(), None);
}

#[test]
fn a_body_cut_inside_an_event_is_truncation_even_if_choices_finished() {
    let whole = chunk(0, "a", Some("stop"));
    let usage = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":1";
    let (_, _, error) = read_all(StreamReader::new(), &[&whole, usage]);
    assert_eq!(kind(error.as_ref()), Some(ErrorKind::Truncated));
    assert!(error.unwrap().to_string().contains("middle of an event"));
}

#[test]
fn a_done_without_its_blank_line_still_ends_cleanly() {
    let body = chunk(0, "a", Some("stop")) + "data: [DONE]";
    let (reader, _, error) = read_all(StreamReader::new(), &[&body]);
    assert!(error.is_none());
    assert_eq!(reader.end_state(), Some(EndState::Finished));
}

#[test]
fn an_empty_body_is_truncation() {
    let (_, _, error) = read_all(StreamReader::new(), &[]);
    assert_eq!(kind(error.as_ref()), Some(ErrorKind::Truncated));
    assert!(error.unwrap().to_string().contains("before any chunk"));
}

#[test]
fn error_objects_and_error_events_are_api_errors_with_their_payload() {
    for body in [
        "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n",
        "event: error\ndata: {\"message\":\"overloaded\"}\n\n",
    ] {
        let body = chunk(0, "a", None) + body;
        let (reader, text, error) = read_all(StreamReader::new(), &[&body]);
        let error = error.expect("an error");
        assert_eq!(
            (text.as_str(), error.kind()),
            ("a", ErrorKind::Api),
            "{body}"
        );
        assert_eq!(error.api_error().unwrap().message, "overloaded");
        assert!(error.payload().is_some());
        assert_eq!(reader.end_state(), None);
    }
}

#[test]
fn a_bare_error_object_instead_of_a_stream_is_an_api_error() {
    let pieces = [
        "{\"error\":{\"message\":",
        "\"bad key\",\"code\":\"invalid_api_key\"}}",
    ];
    let (_, _, error) = read_all(StreamReader::new(), &pieces);
    let error = error.expect("an error");
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.api_error().unwrap().message, "bad key");
}

#[test]
fn a_run_of_empty_events_past_the_limit_fails_and_comments_do_not_count() {
    let comments = ": keep-alive\n\n".repeat(50);
    let body = chunk(0, "a", None) + &comments + &"data:\n\n".repeat(3) + &chunk(0, "b", None);
    let reader = StreamReader::new().empty_event_limit(3);
    let (_, text, error) = read_all(reader, &[&body]);
    assert_eq!(text, "ab");
    assert_eq!(
        kind(error.as_ref()),
        Some(ErrorKind::Truncated),
        "3 is within 3"
    );

    let body = chunk(0, "a", None) + &"data:\n\n".repeat(4) + &chunk(0, "b", None);
    let (_, text, error) = read_all(StreamReader::new().empty_event_limit(3), &[&body]);
    assert_eq!(text, "a");
    assert_eq!(kind(error.as_ref()), Some(ErrorKind::TooManyEmptyEvents));
}

#[test]
fn a_payload_that_is_not_a_chunk_is_a_decode_error_with_the_payload() {
    let body = chunk(0, "a", None) + "data: {\"choices\":7}\n\n" + &chunk(0, "b", None);
    let (_, text, error) = read_all(StreamReader::new(), &[&body]);
    let error = error.expect("an error");
    assert_eq!((text.as_str(), error.kind()), ("a", ErrorKind::Decode));
    assert_eq!(error.payload().unwrap(), &b"{\"choices\":7}"[..]);
}

#[test]
fn more_distinct_choices_than_the_limit_fail() {
    let limits = chatstream_types::ParseLimits::default().max_choices(2);
    let body = chunk(0, "a", None) + &chunk(1, "b", None) + &chunk(2, "c", None);
    let (_, text, error) = read_all(StreamReader::new().parse_limits(limits), &[&body]);
    assert_eq!(text, "ab");
    let error = error.expect("an error");
    assert_eq!(
        error.parse_limit(),
        Some(chatstream_types::ParseLimit::Choices)
    );
}

#[test]
fn an_event_past_the_decoder_limit_fails() {
    let limits = chatstream_sse::Limits::default().with_max_event_size(64);
    let body = chunk(0, "a long enough chunk to pass sixty-four bytes", None);
    let (_, _, error) = read_all(StreamReader::new().sse_limits(limits), &[&body]);
    assert_eq!(kind(error.as_ref()), Some(ErrorKind::Decode));
}

#[test]
fn a_whole_completion_is_one_chunk_then_not_streamed() {
    let mut reader = StreamReader::new();
    let body = br#"{"id":"x","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Whole"},"finish_reason":"stop"}]}"#;
    reader.feed_json_body(Bytes::from_static(body), Instant::now());
    let chunk = reader.next_item().unwrap().unwrap();
    assert_eq!(
        chunk.choices[0].delta.content_text().as_deref(),
        Some("Whole")
    );
    assert!(reader.next_item().is_none());
    assert_eq!(reader.end_state(), Some(EndState::NotStreamed));

    let mut reader = StreamReader::new();
    reader.feed_json_body(
        Bytes::from_static(b"{\"error\":{\"message\":\"no\"}}"),
        Instant::now(),
    );
    assert_eq!(
        kind(reader.next_item().unwrap().err().as_ref()),
        Some(ErrorKind::Api)
    );
    assert!(reader.is_terminated());
}

#[test]
fn a_transport_failure_is_the_one_error_and_later_bytes_are_ignored() {
    let mut reader = StreamReader::new();
    reader.feed(Bytes::from(chunk(0, "a", None)), Instant::now());
    assert!(reader.next_item().unwrap().is_ok());
    reader.fail_with(Error::new(ErrorKind::Transport, "reset"));
    reader.feed(Bytes::from(chunk(0, "b", Some("stop"))), Instant::now());
    assert_eq!(
        kind(reader.next_item().unwrap().err().as_ref()),
        Some(ErrorKind::Transport)
    );
    assert!(reader.next_item().is_none() && reader.is_terminated());
    reader.fail_with(Error::new(ErrorKind::Timeout, "late"));
    assert!(reader.next_item().is_none(), "nothing after the end");
}

#[test]
fn the_last_payload_stops_sharing_the_read_buffer_when_released() {
    let read = Bytes::from(chunk(0, "a", None));
    let range = read.as_ptr_range();
    let mut reader = StreamReader::new();
    reader.feed(read.clone(), Instant::now());
    reader.next_item().unwrap().unwrap();
    let shared = reader.last_payload().unwrap().as_ptr();
    assert!(range.contains(&shared), "zero-copy until the next read");
    reader.release_buffers();
    let own = reader.last_payload().unwrap();
    assert!(!range.contains(&own.as_ptr()));
    assert!(own.starts_with(b"{\"id\":\"c\""));
}

#[test]
fn chunks_take_the_time_their_bytes_arrived() {
    let mut reader = StreamReader::new();
    let start = reader.timing().started();
    let later = start + Duration::from_millis(250);
    let body = chunk(0, "a", None);
    let (first, second) = body.split_at(20);
    reader.feed(Bytes::copy_from_slice(first.as_bytes()), start);
    assert!(reader.next_item().is_none());
    reader.feed(Bytes::copy_from_slice(second.as_bytes()), later);
    reader.next_item().unwrap().unwrap();
    let timing = reader.timing();
    assert_eq!(timing.chunks(), 1);
    let to_first_chunk = timing.time_to_first_chunk().unwrap();
    assert!(to_first_chunk >= Duration::from_millis(250));
    assert_eq!(timing.time_to_first_token(), Some(to_first_chunk));
}

/// A body in memory, one buffer per poll, then maybe an error.
struct Body {
    pieces: VecDeque<Bytes>,
    then_error: bool,
}

impl Stream for Body {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(match self.pieces.pop_front() {
            Some(piece) => Some(Ok(piece)),
            None if self.then_error => {
                self.then_error = false;
                Some(Err(std::io::Error::other("connection reset")))
            }
            None => None,
        })
    }
}

fn body(text: &str, then_error: bool) -> Body {
    let pieces = text
        .as_bytes()
        .chunks(7)
        .map(Bytes::copy_from_slice)
        .collect();
    Body { pieces, then_error }
}

/// Runs a future that never waits (the bodies here are always ready).
fn ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

#[test]
fn chunk_stream_reads_a_byte_stream_to_its_end_state() {
    let text = chunk(0, "Hel", None) + &chunk(0, "lo", Some("stop")) + "data: [DONE]\n\n";
    let collected = ready(ChunkStream::new(body(&text, false)).collect_completion());
    assert_eq!(collected.end.as_ref().ok(), Some(&EndState::Done));
    let message = &collected.completion.choices[0].message;
    assert_eq!(message.text().as_deref(), Some("Hello"));
    assert_eq!(collected.timing.chunks(), 2);
}

#[test]
fn chunk_stream_ends_with_the_body_error_after_every_chunk() {
    use futures_core::stream::FusedStream;

    let mut stream = ChunkStream::new(body(&chunk(0, "a", None), true));
    let first = ready(stream.next()).unwrap();
    assert!(first.is_ok());
    let error = ready(stream.next()).unwrap().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport);
    assert!(std::error::Error::source(&error).is_some());
    assert!(ready(stream.next()).is_none());
    assert!(stream.is_terminated());
}
