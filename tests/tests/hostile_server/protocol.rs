//! Protocol oddities: informational responses before the head, a chunked
//! body whose chunk-size line never ends, a body with no newline at all,
//! events that never dispatch, floods of empty events and of comments, bytes
//! that are not text, an error object with terminal escapes — and a server
//! that, after sending an error or a bad payload, keeps the connection open
//! and would go on generating: the stream releases it at once.

use std::time::Duration;

use serde_json::json;

use super::*;

pub(crate) fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "informational_responses_before_the_head",
            |probe| boxed(informational(probe)),
            |observed| ended_with(observed, "done"),
        ),
        Case::new(
            "chunk_size_line_that_never_ends",
            |probe| boxed(chunk_size_line(probe)),
            |observed| ended_with(observed, "transport"),
        ),
        Case::new(
            "body_of_32_mib_without_a_newline",
            |probe| boxed(no_newline(probe)),
            |observed| ended_with(observed, "decode"),
        )
        // The decoder holds at most its 16 MiB cap (and one read).
        .memory(48 * MIB)
        .time(Duration::from_secs(10)),
        Case::new(
            "events_that_never_dispatch",
            |probe| boxed(never_dispatched(probe)),
            |observed| ended_with(observed, "truncated"),
        ),
        Case::new(
            "a_flood_of_empty_events",
            |probe| boxed(raw_body(probe, "data:\n\n".repeat(100_000))),
            |observed| ended_with(observed, "too_many_empty_events"),
        ),
        Case::new(
            "a_flood_of_comments_and_no_chunk",
            |probe| boxed(raw_body(probe, ": keep-alive\n".repeat(200_000))),
            |observed| ended_with(observed, "truncated"),
        ),
        Case::new(
            "bytes_that_are_not_text",
            |probe| boxed(not_text(probe)),
            // Read as the SSE rules say (UTF-8 with replacement): the chunk
            // arrives with U+FFFD where the bytes were; no finish reason, so
            // the end is a truncation.
            |observed| {
                ended_with(observed, "truncated")?;
                ensure(
                    observed.detail["text"] == json!("\u{fffd}\u{fffd}\u{fffd}\u{fffd}"),
                    "not replaced by U+FFFD",
                    observed,
                )
            },
        ),
        Case::new(
            "error_object_with_terminal_escapes",
            |probe| boxed(escapes(probe)),
            |observed| {
                ended_with(observed, "api")?;
                ensure(
                    !observed.message.chars().any(char::is_control),
                    "control characters shown",
                    observed,
                )
            },
        ),
        Case::new(
            "error_then_the_connection_left_open",
            |probe| {
                boxed(released_after(
                    probe,
                    event(&json!({"error": {"message": "boom"}})),
                ))
            },
            released("api"),
        ),
        Case::new(
            "bad_payload_then_the_connection_left_open",
            |probe| boxed(released_after(probe, "data: {not json\n\n".to_owned())),
            released("decode"),
        ),
        Case::new(
            "silence_then_the_connection_left_open",
            |probe| boxed(silent_after_a_chunk(probe)),
            released("timeout"),
        ),
    ]
}

async fn raw_body(probe: Probe, body: String) -> Observed {
    answer(probe, RawReply::response(sse(body))).await
}

/// A chunk whose text is not UTF-8.
async fn not_text(probe: Probe) -> Observed {
    let body =
        b"data: {\"id\":\"c\",\"choices\":[{\"delta\":{\"content\":\"\xff\xfe\xc0\x80\"}}]}\n\n";
    let (_server, mut stream) = open(probe, RawReply::response(sse(body))).await;
    let mut text = String::new();
    let mut observed = read_to_end(&mut stream, |chunk| {
        for choice in &chunk.choices {
            text.push_str(&choice.delta.content_text().unwrap_or_default());
        }
    })
    .await;
    observed.detail = json!({"text": text});
    observed
}

async fn informational(probe: Probe) -> Observed {
    let response =
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>; rel=preload\r\n\r\n"
            .to_owned()
            + &head("200 OK", &[("content-type", "text/event-stream")])
            + &short_stream();
    answer(probe, RawReply::response(response)).await
}

async fn chunk_size_line(probe: Probe) -> Observed {
    let response =
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_owned()
            + &"F".repeat(1 << 20);
    answer(probe, RawReply::response(response)).await
}

async fn no_newline(probe: Probe) -> Observed {
    let piece = Bytes::from(vec![b'a'; 1 << 20]);
    let mut writes = vec![(Duration::ZERO, sse("data: "))];
    writes.extend(std::iter::repeat_n((Duration::ZERO, piece), 32));
    answer(probe, RawReply::bytes(writes)).await
}

async fn never_dispatched(probe: Probe) -> Observed {
    raw_body(probe, "data: x\n".repeat(200_000)).await
}

async fn escapes(probe: Probe) -> Observed {
    let body = event(&json!({"error": {
        "message": "boom\n2026-01-01 INFO forged\u{1b}[2J\u{202e}",
        "code": "x\ry", "type": "t\u{7}"}}));
    raw_body(probe, body).await
}

/// `body` (which ends the stream with an error), then the connection stays
/// open: the client must close it without being dropped.
async fn released_after(probe: Probe, body: String) -> Observed {
    let server = raw(then_stall(sse(body))).await;
    let client = client(&server, |builder| builder);
    probe.start();
    read_then_see_released(&client, &server).await
}

/// A chunk, then nothing, the connection open: the idle timeout fires, and
/// the connection is released at once.
async fn silent_after_a_chunk(probe: Probe) -> Observed {
    let first = event(&json!({"id": "c", "choices": [{"index": 0, "delta": {"content": "hi"}}]}));
    let server = raw(then_stall(sse(first))).await;
    let client = client(&server, |builder| {
        builder.idle_timeout(Duration::from_millis(200))
    });
    probe.start();
    read_then_see_released(&client, &server).await
}

/// Reads a stream of `client` to its error, then — the stream still alive —
/// notes whether `server` saw its connection closed.
async fn read_then_see_released(client: &Client, server: &MockServer) -> Observed {
    let mut stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    let mut observed = read_to_end(&mut stream, |_| {}).await;
    let closed = server
        .wait_connections_closed(1, Duration::from_secs(2))
        .await;
    observed.detail = json!({"released": closed});
    drop(stream);
    observed
}

/// The stream ended with an error of `kind` and released its connection
/// while it was still alive.
fn released(kind: &'static str) -> fn(&Observed) -> Result<(), String> {
    match kind {
        "api" => |observed| released_check(observed, "api"),
        "decode" => |observed| released_check(observed, "decode"),
        _ => |observed| released_check(observed, "timeout"),
    }
}

fn released_check(observed: &Observed, kind: &str) -> Result<(), String> {
    ended_with(observed, kind)?;
    ensure(
        observed.detail["released"] == json!(true),
        "the connection was kept open",
        observed,
    )
}
