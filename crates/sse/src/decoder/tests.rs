//! Edge cases of the decoder, fed in chosen pieces.

use super::*;

/// A readable form of a frame: `E type|data|id`, `C text`, `R millis`.
fn show(frame: &Frame) -> String {
    match frame {
        Frame::Event(e) => format!("E {}|{}|{}", e.event_type(), e.data(), e.id()),
        Frame::Comment(c) => format!("C {}", c.text()),
        Frame::Retry(r) => format!("R {}", r.as_millis()),
    }
}

/// Feeds `pieces` one at a time, draining after each; returns the frames and
/// the leftover.
fn run_with(decoder: &mut Decoder, pieces: &[&[u8]]) -> (Vec<String>, Leftover) {
    let mut out = Vec::new();
    for piece in pieces {
        decoder.feed_slice(piece);
        loop {
            match decoder.next_frame() {
                Ok(Some(frame)) => out.push(show(&frame)),
                Ok(None) => break,
                Err(e) => {
                    out.push(format!("error {e:?}"));
                    break;
                }
            }
        }
    }
    (out, decoder.finish())
}

fn run(pieces: &[&[u8]]) -> (Vec<String>, Leftover) {
    run_with(&mut Decoder::new(), pieces)
}

#[test]
fn cr_at_piece_end_then_lf() {
    let (frames, left) = run(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]);
    assert_eq!(frames, ["E message|a\nb|"]);
    assert_eq!(left, Leftover::Nothing);
}

#[test]
fn cr_at_piece_end_then_other() {
    // The CR ends the line; the next piece's "\r" is a blank line.
    let (frames, _) = run(&[b"data: a\r", b"\r"]);
    assert_eq!(frames, ["E message|a|"]);
}

#[test]
fn bare_cr_and_lf_lines() {
    let (frames, left) = run(&[b"data: a\r\rdata: b\n\ndata: c\r\n\r\n"]);
    assert_eq!(frames, ["E message|a|", "E message|b|", "E message|c|"]);
    assert_eq!(left, Leftover::Nothing);
}

#[test]
fn bom_split_one_plus_two() {
    let (frames, _) = run(&[b"\xEF", b"\xBB\xBFdata: x\n\n"]);
    assert_eq!(frames, ["E message|x|"]);
    let (frames, _) = run(&[b"\xEF\xBB", b"\xBF", b"data: y\n\n"]);
    assert_eq!(frames, ["E message|y|"]);
}

#[test]
fn empty_first_piece_then_bom() {
    let mut decoder = Decoder::new();
    decoder.feed(Bytes::new());
    assert_eq!(decoder.next_frame(), Ok(None));
    let (frames, _) = run_with(&mut decoder, &[b"", b"\xEF\xBB\xBFdata: x\n\n"]);
    assert_eq!(frames, ["E message|x|"]);
}

#[test]
fn only_one_bom_stripped() {
    // The second BOM makes the field name unknown: the first event is lost.
    let (frames, _) = run(&[b"\xEF\xBB\xBF\xEF\xBB\xBFdata: 1\n\ndata: 2\n\n"]);
    assert_eq!(frames, ["E message|2|"]);
}

#[test]
fn partial_bom_is_data() {
    // EF BB followed by "d" is not a BOM: one U+FFFD, field name unknown.
    let (frames, _) = run(&[b"\xEF\xBB", b"data: 1\n\ndata: 2\n\n"]);
    assert_eq!(frames, ["E message|2|"]);
    // Colon right after the partial BOM: a U+FFFD field, ignored.
    let (frames, _) = run(&[b"\xEF", b":x\n\n:y\n"]);
    assert_eq!(frames, ["C y"]);
    // A partial BOM at end of input is a partial line.
    assert_eq!(run(&[b"\xEF\xBB"]).1, Leftover::PartialLine);
    // A BOM alone: nothing left.
    assert_eq!(run(&[b"\xEF\xBB\xBF"]).1, Leftover::Nothing);
}

#[test]
fn bom_not_stripped_after_first_line() {
    let (frames, _) = run(&[b"\n\xEF\xBB\xBFdata: 1\n\ndata: 2\n\n"]);
    assert_eq!(frames, ["E message|2|"]);
}

#[test]
fn retry_forms() {
    let (frames, _) = run(&[b"retry: 0100\nretry: 1.5\nretry:\nretry: x\nretry:  5\nretry\n"]);
    assert_eq!(frames, ["R 100"]);
}

#[test]
fn retry_overflow_saturates() {
    let mut decoder = Decoder::new();
    let (frames, _) = run_with(&mut decoder, &[b"retry: 99999999999999999999999999\n"]);
    assert_eq!(frames, [format!("R {}", u64::MAX)]);
    assert_eq!(decoder.retry(), Some(Duration::from_millis(u64::MAX)));
    assert_eq!(parse_retry(b"18446744073709551615"), Some(u64::MAX));
    assert_eq!(parse_retry(b"18446744073709551616"), Some(u64::MAX));
    assert_eq!(parse_retry(b"18446744073709551614"), Some(u64::MAX - 1));
}

#[test]
fn retry_reported_without_dispatch() {
    let mut decoder = Decoder::new();
    let (frames, left) = run_with(&mut decoder, &[b"retry: 7\n\n"]);
    assert_eq!(frames, ["R 7"]);
    assert_eq!(left, Leftover::Nothing);
    assert_eq!(decoder.retry(), Some(Duration::from_millis(7)));
}

#[test]
fn id_with_nul_ignored_and_id_persists() {
    let mut decoder = Decoder::new();
    let input: &[u8] = b"id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\ndata: c\n\nid\ndata: d\n\n";
    let (frames, _) = run_with(&mut decoder, &[input]);
    assert_eq!(
        frames,
        [
            "E message|a|1",
            "E message|b|1",
            "E message|c|1",
            "E message|d|"
        ]
    );
    assert_eq!(decoder.last_event_id(), "");
}

#[test]
fn id_set_without_data_still_updates_last_event_id() {
    let mut decoder = Decoder::new();
    let (frames, _) = run_with(&mut decoder, &[b"id: 5\n\n"]);
    assert!(frames.is_empty());
    assert_eq!(decoder.last_event_id(), "5");
    // ...but not before the blank line.
    let mut decoder = Decoder::new();
    run_with(&mut decoder, &[b"id: 5\n"]);
    assert_eq!(decoder.last_event_id(), "");
}

#[test]
fn fields_and_spaces() {
    let input: &[u8] =
        b"data\ndata:\ndata:  two\ndata:\tt\nData: no\ndata : no\n:c\nevent:  x \n\n";
    let (frames, _) = run(&[input]);
    assert_eq!(frames, ["C c", "E  x |\n\n two\n\tt|"]);
}

#[test]
fn empty_data_and_trailing_lf() {
    let (frames, _) = run(&[b"data:\n\ndata\ndata\n\nevent: ping\n\n"]);
    assert_eq!(frames, ["E message||", "E message|\n|"]);
}

#[test]
fn event_type_resets_after_dispatch_and_after_empty_block() {
    let (frames, _) = run(&[b"event: a\n\ndata: 1\n\nevent: b\ndata: 2\n\ndata: 3\n\n"]);
    assert_eq!(frames, ["E message|1|", "E b|2|", "E message|3|"]);
}

#[test]
fn invalid_utf8_replaced() {
    let (frames, _) = run(&[
        b"data: a\xC0\xAFb\xED\xA0\x80c\xE2\x82\n",
        b"event: \xFF\n\n",
    ]);
    assert_eq!(
        frames,
        ["E \u{FFFD}|a\u{FFFD}\u{FFFD}b\u{FFFD}\u{FFFD}\u{FFFD}c\u{FFFD}|"]
    );
    // A character split across pieces survives.
    let (frames, _) = run(&[b"data: \xF0\x9F", b"\x98", b"\x80\n\n"]);
    assert_eq!(frames, ["E message|\u{1F600}|"]);
}

#[test]
fn unterminated_block_not_dispatched() {
    assert_eq!(run(&[b"data: a\n"]), (vec![], Leftover::UndispatchedEvent));
    assert_eq!(run(&[b"data: a"]), (vec![], Leftover::PartialLine));
    assert_eq!(run(&[b"data: a\ndata: b"]).1, Leftover::UndispatchedEvent);
    assert_eq!(run(&[b"event: a\nid: 1\n"]).1, Leftover::Nothing);
    assert_eq!(run(&[b""]).1, Leftover::Nothing);
    assert_eq!(run(&[b"data: a\n\r"]).1, Leftover::Nothing);
}

#[test]
fn finish_resets_for_a_new_stream() {
    let mut decoder = Decoder::new();
    run_with(
        &mut decoder,
        &[b"retry: 9\nid: 3\ndata: a\n\ndata: partial"],
    );
    assert_eq!(decoder.last_event_id(), "3");
    // The new stream starts with a BOM again, and keeps id and retry...
    let (frames, _) = run_with(&mut decoder, &[b"\xEF\xBB\xBFdata: b\n"]);
    assert!(frames.is_empty());
    assert_eq!(
        (decoder.last_event_id(), decoder.retry()),
        ("3", Some(Duration::from_millis(9)))
    );
    // ...until its first blank line: the new stream's id buffer is empty.
    let (frames, _) = run_with(&mut decoder, &[b"data: c\n\n"]);
    assert_eq!(frames, ["E message|c|"]);
}

#[test]
fn zero_copy_single_line_and_copy_when_straddling() {
    let piece = Bytes::from_static(b"data: hello\n\n");
    let mut decoder = Decoder::new();
    decoder.feed(piece.clone());
    let event = decoder.next_event().unwrap().unwrap();
    assert_eq!(event.data_bytes().as_ptr(), piece[6..].as_ptr());
    assert_eq!(decoder.buffered_len(), 0);

    decoder.feed(Bytes::from_static(b"data: he"));
    assert_eq!(decoder.next_event(), Ok(None));
    assert_eq!(decoder.buffered_len(), 8);
    decoder.feed(Bytes::from_static(b"llo\n\n"));
    assert_eq!(decoder.next_event().unwrap().unwrap().data(), "hello");
}

#[test]
fn feeding_many_pieces_before_draining() {
    let mut decoder = Decoder::new();
    for piece in [&b"data: 1\n"[..], b"\n", b"data", b": 2\r", b"\r"] {
        decoder.feed(piece);
    }
    assert_eq!(decoder.next_event().unwrap().unwrap().data(), "1");
    assert_eq!(decoder.next_event().unwrap().unwrap().data(), "2");
    assert_eq!(decoder.next_event(), Ok(None));
}

#[test]
fn line_limit_is_exact_and_sticky() {
    let limits = Limits::default().with_max_line_len(8);
    // "data: ab" is 8 bytes: allowed, split or not.
    let (frames, _) = run_with(&mut Decoder::with_limits(limits), &[b"data: ab\n\n"]);
    assert_eq!(frames, ["E message|ab|"]);
    let (frames, _) = run_with(
        &mut Decoder::with_limits(limits),
        &[b"data", b": ab", b"\n\n"],
    );
    assert_eq!(frames, ["E message|ab|"]);
    // 9 bytes: an error, whether the line is whole or carried.
    for pieces in [&[&b"data: abc\n\n"[..]][..], &[b"data: a", b"bc"]] {
        let mut decoder = Decoder::with_limits(limits);
        let (frames, left) = run_with(&mut decoder, pieces);
        assert_eq!(frames, ["error LineTooLong { limit: 8 }"]);
        assert_eq!(left, Leftover::PartialLine);
    }
    let mut decoder = Decoder::with_limits(limits);
    decoder.feed_slice(b"data: 1\n\ndata: 123456789\n\ndata: 2\n\n");
    assert_eq!(decoder.next_event().unwrap().unwrap().data(), "1");
    let error = DecodeError::LineTooLong { limit: 8 };
    assert_eq!(decoder.next_event(), Err(error));
    decoder.feed_slice(b"data: 3\n\n");
    assert_eq!(decoder.next_frame(), Err(error));
    assert_eq!(decoder.buffered_len(), 0);
    assert_eq!(decoder.finish(), Leftover::PartialLine);
    decoder.feed_slice(b"data: 4\n\n");
    assert_eq!(decoder.next_event().unwrap().unwrap().data(), "4");
}

#[test]
fn event_limit_counts_joined_and_replaced_data() {
    let limits = Limits::default().with_max_event_size(5);
    let (frames, _) = run_with(
        &mut Decoder::with_limits(limits),
        &[b"data: ab\ndata: cd\n\n"],
    );
    assert_eq!(frames, ["E message|ab\ncd|"]);
    let too_large = "error EventTooLarge { limit: 5 }";
    let (frames, left) = run_with(
        &mut Decoder::with_limits(limits),
        &[b"data: ab\ndata: cde\n"],
    );
    assert_eq!(
        (frames, left),
        (vec![too_large.to_owned()], Leftover::UndispatchedEvent)
    );
    let (frames, _) = run_with(&mut Decoder::with_limits(limits), &[b"data: abcdef\n\n"]);
    assert_eq!(frames, [too_large]);
    // Two invalid bytes become six bytes of U+FFFD.
    let (frames, _) = run_with(&mut Decoder::with_limits(limits), &[b"data: \xFF\xFF\n\n"]);
    assert_eq!(frames, [too_large]);
    let (frames, _) = run_with(&mut Decoder::with_limits(limits), &[b"data: \xFFa\n\n"]);
    assert_eq!(frames, ["E message|\u{FFFD}a|"]);
}

#[test]
fn zero_limits_never_panic() {
    let limits = Limits::default()
        .with_max_line_len(0)
        .with_max_event_size(0);
    let (frames, _) = run_with(&mut Decoder::with_limits(limits), &[b"\n\n\r\n"]);
    assert!(frames.is_empty());
    let (frames, _) = run_with(&mut Decoder::with_limits(limits), &[b"\xEFx"]);
    assert_eq!(frames, ["error LineTooLong { limit: 0 }"]);
    let limits = limits.with_max_line_len(5);
    let (frames, _) = run_with(&mut Decoder::with_limits(limits), &[b"data\n\n"]);
    assert_eq!(frames, ["E message||"]);
    let (frames, _) = run_with(&mut Decoder::with_limits(limits), &[b"data\ndata\n\n"]);
    assert_eq!(frames, ["error EventTooLarge { limit: 0 }"]);
}

#[test]
fn debug_and_defaults() {
    let decoder = Decoder::default();
    assert_eq!(decoder.limits(), Limits::new());
    let text = format!("{decoder:?}");
    assert!(text.starts_with("Decoder { limits: Limits {"), "{text}");
}

/// Sets its flag when dropped: tells when the decoder let go of a piece.
struct Owner(&'static [u8], std::sync::Arc<std::sync::atomic::AtomicBool>);

impl AsRef<[u8]> for Owner {
    fn as_ref(&self) -> &[u8] {
        self.0
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.1.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn what_an_event_lent_is_released_by_any_next_call() {
    // A lent event whose data was sliced from a piece already decoded (its
    // blank line came in the next piece) keeps that piece only until the
    // next call, even an owned one.
    let dropped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut decoder = Decoder::new();
    decoder.feed(Bytes::from_owner(Owner(b"data: x\n", dropped.clone())));
    assert!(decoder.next_event_ref().unwrap().is_none());
    decoder.feed("\n");
    assert_eq!(decoder.next_event_ref().unwrap().unwrap().data(), "x");
    assert!(
        !dropped.load(std::sync::atomic::Ordering::SeqCst),
        "still lent"
    );
    assert!(decoder.next_event().unwrap().is_none());
    assert!(
        dropped.load(std::sync::atomic::Ordering::SeqCst),
        "kept after the next call"
    );

    // A lent multi-line event sits in the assembly buffer until the next call.
    decoder.feed("data: a\ndata: b\n\n");
    assert_eq!(decoder.next_event_ref().unwrap().unwrap().data(), "a\nb");
    assert_eq!(decoder.buffered_len(), 3);
    decoder.feed("data: c\n\n");
    assert_eq!(decoder.next_event().unwrap().unwrap().data(), "c");
    assert_eq!(decoder.buffered_len(), 0);
}

#[test]
fn lent_and_owned_reads_mix() {
    let mut decoder = Decoder::new();
    let mut seen = Vec::new();
    // Single lines in a piece, straddling lines, blank lines in the next
    // piece, several data lines, types and ids, read alternately.
    let pieces: [&[u8]; 6] = [
        b"event: a\nid: 1\ndata: one\n\nda",
        b"ta: two\n",
        b"\ndata: th",
        b"ree\ndata: 3\n\nevent: b\ndata: four\n",
        b"\n",
        b"data: five\n\n",
    ];
    for (i, piece) in pieces.iter().enumerate() {
        decoder.feed_slice(piece);
        loop {
            let event = if i % 2 == 0 {
                decoder.next_event_ref().unwrap().map(|e| e.to_event())
            } else {
                decoder.next_event().unwrap()
            };
            match event {
                Some(e) => seen.push(format!("{}|{}|{}", e.event_type(), e.data(), e.id())),
                None => break,
            }
        }
    }
    assert_eq!(
        seen,
        [
            "a|one|1",
            "message|two|1",
            "message|three\n3|1",
            "b|four|1",
            "message|five|1"
        ]
    );
}
