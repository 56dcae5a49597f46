//! End-to-end tests of faults: broken connections (transport), payloads
//! that are not chunks or events past the size limit (decode), timeouts,
//! connection failures, and dropping a stream. Each checks the typed error,
//! that every chunk before the fault was delivered, and a generous time
//! bound wherever a timeout or a hang is involved.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::*;

// ---------------------------------------------------------------------------
// Transport: the connection broke
// ---------------------------------------------------------------------------

fn aborted_after_two() -> Reply {
    Reply::sse(Bytes::new())
        .pieces(events(2).into_iter().map(Bytes::from).collect())
        .end(Ending::Abort)
}

async fn assert_two_chunks_then_transport(client: &Client) {
    let (delivered, error, end) = stream_through(client).await;
    assert_eq!(delivered, texts(2), "every chunk before the break");
    assert_eq!(end, None);
    let error = error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    assert_no_secret(&error);
}

#[tokio::test]
async fn an_abort_mid_body_over_http1_is_transport() {
    let server = serve(aborted_after_two()).await;
    assert_two_chunks_then_transport(&client(&server)).await;
    assert_eq!(server.requests()[0].version, "HTTP/1.1");
}

#[tokio::test]
async fn an_abort_mid_body_over_http2_is_transport() {
    let server = serve(aborted_after_two()).await;
    let client = builder(&server).http2_prior_knowledge().build().unwrap();
    assert_two_chunks_then_transport(&client).await;
    assert_eq!(server.requests()[0].version, "HTTP/2.0");
}

#[tokio::test]
async fn an_abort_mid_body_over_tls_is_transport() {
    let server = MockServer::start_tls(aborted_after_two()).await.unwrap();
    assert_two_chunks_then_transport(&tls_client(&server)).await;
    assert_eq!(server.requests()[0].version, "HTTP/2.0", "ALPN chose h2");
}

const SSE_HEAD: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";

fn http_chunk(data: &str) -> String {
    format!("{:x}\r\n{data}\r\n", data.len())
}

#[tokio::test]
async fn a_chunked_body_closed_mid_chunk_is_transport() {
    // hyper reports a chunked body cut inside a chunk (the connection closed
    // before the announced chunk size arrived) as a body error, never as a
    // clean end, so the client reports Transport, not Truncated.
    let second = event("b", 0, "c1", None);
    let bytes = format!(
        "{SSE_HEAD}{}{:x}\r\n{}",
        http_chunk(&event("a", 0, "c0", None)),
        second.len(),
        &second[..10],
    );
    let (delivered, error, _) = raw_and_stream(bytes).await;
    assert_eq!(delivered, ["c0"]);
    assert_eq!(error.unwrap().kind(), ErrorKind::Transport);

    // The same between chunks (no terminating zero-size chunk): also a body
    // error.
    let bytes = format!("{SSE_HEAD}{}", http_chunk(&event("a", 0, "c0", None)));
    let (delivered, error, _) = raw_and_stream(bytes).await;
    assert_eq!(delivered, ["c0"]);
    assert_eq!(error.unwrap().kind(), ErrorKind::Transport);
}

#[tokio::test]
async fn a_body_delimited_by_the_connection_close_ends_by_the_choices() {
    // Without content-length or chunked encoding, the body ends when the
    // server closes: hyper reports that as a clean end of body, so a cut is
    // seen only through the choices — Truncated when one is unfinished,
    // Finished when all are.
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
    let cut = format!("{head}{}{}", event("a", 0, "c0", None), "data: {\"id\":");
    let (delivered, error, _) = raw_and_stream(cut).await;
    assert_eq!(delivered, ["c0"]);
    assert_eq!(error.unwrap().kind(), ErrorKind::Truncated);

    let whole = format!("{head}{}", event("a", 0, "c0", Some("stop")));
    let (delivered, error, end) = raw_and_stream(whole).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered, ["c0"]);
    assert_eq!(end, Some(EndState::Finished));
}

#[tokio::test]
async fn a_content_length_body_closed_early_is_transport() {
    let body = event("a", 0, "c0", None);
    let bytes = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\n\r\n{body}",
        body.len() + 100
    );
    let (delivered, error, _) = raw_and_stream(bytes).await;
    assert_eq!(delivered, ["c0"]);
    assert_eq!(error.unwrap().kind(), ErrorKind::Transport);
}

// ---------------------------------------------------------------------------
// Decode: payloads that are not chunks, events past the size limit
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_invalid_json_payload_is_decode_with_the_payload() {
    let body = [
        event("a", 0, "c0", None),
        event("a", 0, "c1", None),
        "data: {\"id\":\"a\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"oops}}]\n\n"
            .to_owned(),
        "data: [DONE]\n\n".to_owned(),
    ];
    let (delivered, error, _) = serve_and_stream(Reply::sse(body.concat())).await;
    assert_eq!(delivered, ["c0", "c1"]);
    let error = error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(
        &error.payload().unwrap()[..],
        b"{\"id\":\"a\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"oops}}]"
    );
    assert_no_secret(&error);
}

/// Bytes that are neither text nor SSE: NUL, invalid UTF-8, controls, no
/// line end.
fn garbage() -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut bytes = vec![0u8, 0xFF, 0xFE, 0xC3, 0x28, 0x80];
    while bytes.len() < 4096 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let byte = (state >> 56) as u8;
        if byte != b'\n' && byte != b'\r' {
            bytes.push(byte);
        }
    }
    bytes
}

#[tokio::test]
async fn garbage_bytes_as_the_body() {
    // No line end at all: nothing was ever dispatched when the body ends.
    let (delivered, error, _) = serve_and_stream(Reply::sse(garbage()).split_every(1000)).await;
    assert!(delivered.is_empty());
    let error = error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Truncated);
    assert_no_secret(&error);

    // Blank lines inside the garbage: per the SSE rules a line without a
    // `data` field dispatches nothing (it is an unknown field), so this is
    // still a body without a single event.
    let mut with_blanks = garbage();
    with_blanks.splice(2000..2000, *b"\n\n");
    with_blanks.extend_from_slice(b"\n\n");
    let (delivered, error, _) = serve_and_stream(Reply::sse(with_blanks)).await;
    assert!(delivered.is_empty());
    assert_eq!(error.unwrap().kind(), ErrorKind::Truncated);

    // Garbage as the data of an event: a Decode error carrying it (after
    // U+FFFD replacement of the invalid UTF-8).
    let mut as_data = b"data: ".to_vec();
    as_data.extend_from_slice(&garbage());
    as_data.extend_from_slice(b"\n\n");
    let (delivered, error, _) = serve_and_stream(Reply::sse(as_data)).await;
    assert!(delivered.is_empty());
    let error = error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Decode);
    let payload = error.payload().unwrap();
    assert!(payload.starts_with(b"\0\xEF\xBF\xBD"), "NUL, then U+FFFD");
    assert!(
        std::str::from_utf8(payload).is_ok(),
        "replaced, valid UTF-8"
    );
    assert!(payload.len() >= 4000);
}

#[tokio::test]
async fn invalid_utf8_inside_a_json_string_becomes_replacement_characters() {
    let mut body = b"data: {\"id\":\"a\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ab\xFF\xFEcd\"},\"finish_reason\":null}]}\n\n".to_vec();
    body.extend_from_slice(event("a", 0, "", Some("stop")).as_bytes());
    body.extend_from_slice(b"data: [DONE]\n\n");
    let (delivered, error, end) = serve_and_stream(Reply::sse(body).split_every(7)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered.len(), 2);
    assert!(delivered[0].contains('\u{FFFD}'), "{:?}", delivered[0]);
    assert!(delivered[0].starts_with("ab") && delivered[0].ends_with("cd"));
    assert_eq!(end, Some(EndState::Done));
}

#[tokio::test]
async fn a_bom_at_the_start_is_ignored() {
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend_from_slice(event("a", 0, "c0", None).as_bytes());
    body.extend_from_slice(b"data: [DONE]\n\n");
    // Split inside the BOM too.
    let (delivered, error, end) = serve_and_stream(Reply::sse(body).split_every(2)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered, ["c0"]);
    assert_eq!(end, Some(EndState::Done));
}

#[tokio::test]
async fn a_100_mib_line_fails_fast_with_bounded_memory() {
    // A line with no end, 100 MiB as 1600 clones of one 64 KiB buffer, with a
    // 1 MiB event limit: Decode after about 1 MiB. The pieces are 2 ms apart,
    // so the server needs at least 3.2 s to send them all; an error well
    // before that proves the client neither waited for (nor buffered) the
    // whole line.
    let piece = Bytes::from(vec![b'a'; 64 * 1024]);
    let mut pieces = vec![Bytes::from_static(b"data: ")];
    pieces.extend(std::iter::repeat_n(piece, 1600));
    let server = serve(
        Reply::sse(Bytes::new())
            .pieces(pieces)
            .pace(Duration::from_millis(2)),
    )
    .await;
    let client = builder(&server).max_event_size(1 << 20).build().unwrap();
    let started = Instant::now();
    let mut stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    let (delivered, error) = drain(&mut stream).await;
    let elapsed = started.elapsed();
    assert!(delivered.is_empty());
    let error = error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Decode, "{error:?}");
    assert_no_secret(&error);
    assert!(
        elapsed < Duration::from_millis(3000),
        "the error must come before the server could send it all: {elapsed:?}"
    );
    assert!(
        stream.timing().time_to_first_byte().is_some(),
        "bytes were read"
    );
    drop(stream);
    assert!(
        server.wait_connections_closed(1, BOUND).await,
        "the client hung up"
    );
}

// ---------------------------------------------------------------------------
// Timeout
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_stall_after_one_chunk_is_an_idle_timeout() {
    let server = serve(Reply::sse(event("a", 0, "c0", None)).end(Ending::Stall)).await;
    let client = builder(&server)
        .idle_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let (delivered, error, _) = stream_through(&client).await;
    let elapsed = started.elapsed();
    assert_eq!(delivered, ["c0"]);
    let error = error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(error.is_timeout());
    assert_no_secret(&error);
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < BOUND, "{elapsed:?}");
}

#[tokio::test]
async fn one_byte_every_50_ms_never_trips_a_300_ms_idle_timeout() {
    let body = "data:{\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\ndata:[DONE]\n\n";
    let server = serve(
        Reply::sse(body)
            .split_every(1)
            .pace(Duration::from_millis(50)),
    )
    .await;
    let client = builder(&server)
        .idle_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let (delivered, error, end) = stream_through(&client).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered, ["ok"]);
    assert_eq!(end, Some(EndState::Done));
    // 57 pieces, 56 pauses: longer than the idle timeout many times over.
    assert!(started.elapsed() >= Duration::from_millis(56 * 50));
}

#[tokio::test]
async fn a_late_response_head_is_a_timeout_at_creation() {
    let server = serve(Reply::sse("data: [DONE]\n\n").delay_headers(Duration::from_secs(2))).await;
    let client = builder(&server)
        .response_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let (error, elapsed) = creation_error(&client).await;
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert_no_secret(&error);
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(1900),
        "did not wait for the head: {elapsed:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout_at_creation() {
    let server = MockServer::start_raw(RawReply::never_answer())
        .await
        .unwrap();
    let client = builder(&server)
        .response_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let (error, elapsed) = creation_error(&client).await;
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(elapsed < BOUND);
    assert_eq!(server.requests().len(), 1);
}

/// A listener whose accept queue is full (backlog 0, one connection never
/// accepted): Linux drops further SYNs, so a new connection hangs. Returns
/// the address and what must stay alive.
#[cfg(target_os = "linux")]
async fn unconnectable() -> (
    std::net::SocketAddr,
    tokio::net::TcpListener,
    Vec<tokio::net::TcpStream>,
) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    for _ in 0..16 {
        let connect = tokio::net::TcpStream::connect(addr);
        match tokio::time::timeout(Duration::from_millis(200), connect).await {
            Ok(Ok(stream)) => held.push(stream),
            _ => return (addr, listener, held),
        }
    }
    panic!("the accept queue never filled");
}

#[cfg(target_os = "linux")]
async fn connect_timeout_error() -> (Error, Duration) {
    let (addr, _listener, _held) = unconnectable().await;
    let client = Client::builder()
        .base_url(format!("http://{addr}/v1"))
        .api_key(KEY)
        .connect_timeout(Duration::from_millis(200))
        .max_retries(0)
        .no_proxy()
        .build()
        .unwrap();
    creation_error(&client).await
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_connection_that_hangs_times_out() {
    let (error, elapsed) = connect_timeout_error().await;
    assert!(error.is_timeout(), "{error:?}");
    assert!(
        matches!(error.kind(), ErrorKind::Connect | ErrorKind::Timeout),
        "{error:?}"
    );
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    assert!(elapsed < BOUND, "{elapsed:?}");
    assert_no_secret(&error);
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_connect_timeout_is_the_timeout_kind() {
    let (error, _) = connect_timeout_error().await;
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
}

#[tokio::test]
async fn keep_alive_comments_keep_the_idle_timer_alive() {
    // One comment every 100 ms for a second, idle timeout 300 ms: the
    // comments are bytes, so no timeout; then the answer.
    let mut pieces: Vec<Bytes> = (0..10)
        .map(|_| Bytes::from_static(b": OPENROUTER PROCESSING\n\n"))
        .collect();
    pieces.extend(events(2).into_iter().map(Bytes::from));
    pieces.push(Bytes::from(event("a", 0, "", Some("stop"))));
    pieces.push(Bytes::from_static(b"data: [DONE]\n\n"));
    let server = serve(
        Reply::sse(Bytes::new())
            .pieces(pieces)
            .pace(Duration::from_millis(100)),
    )
    .await;
    let client = builder(&server)
        .idle_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let (delivered, error, end) = stream_through(&client).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(delivered, ["c0", "c1", ""]);
    assert_eq!(end, Some(EndState::Done));
    assert!(started.elapsed() >= Duration::from_millis(1000));
}

// ---------------------------------------------------------------------------
// Connect
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_refused_connection_is_connect() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}/v1"))
        .api_key(KEY)
        .max_retries(0)
        .no_proxy()
        .build()
        .unwrap();
    let (error, elapsed) = creation_error(&client).await;
    assert_eq!(error.kind(), ErrorKind::Connect, "{error:?}");
    assert!(error.is_connect());
    assert!(error.status().is_none());
    assert!(elapsed < BOUND);
    assert_no_secret(&error);
}

#[tokio::test]
async fn a_certificate_for_another_name_is_connect() {
    let server = MockServer::start_tls_for_name(Reply::sse("data: [DONE]\n\n"), "example.com")
        .await
        .unwrap();
    let error = tls_client(&server)
        .create_chat_completion_stream(&request())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connect, "{error:?}");
    assert!(
        server.requests().is_empty(),
        "no request over a refused TLS"
    );
    assert_no_secret(&error);
}

// ---------------------------------------------------------------------------
// Dropping a stream
// ---------------------------------------------------------------------------

fn stalled_after_one() -> Reply {
    Reply::sse(event("a", 0, "c0", None)).end(Ending::Stall)
}

#[tokio::test]
async fn dropping_a_stream_closes_the_http1_connection() {
    let server = serve(stalled_after_one()).await;
    let client = client(&server);
    let mut stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    assert_eq!(text(&stream.next().await.unwrap().unwrap()), "c0");
    assert_eq!(server.connections_closed(), 0);
    drop(stream);
    // The client is still alive: the close comes from dropping the stream.
    assert!(
        server
            .wait_connections_closed(1, Duration::from_secs(2))
            .await,
        "the server never saw the close: {server:?}"
    );
    drop(client);
}

#[tokio::test]
async fn dropping_a_stream_resets_the_http2_stream() {
    // Over HTTP/2 dropping the stream resets that stream only (the connection
    // is shared and stays pooled): a second request reuses the connection.
    // Once the client goes too, the connection closes — which it could not do
    // with the stalled stream still open.
    let server = MockServer::start(Sequence::new(vec![
        stalled_after_one(),
        Reply::sse("data: [DONE]\n\n"),
    ]))
    .await
    .unwrap();
    let client = builder(&server).http2_prior_knowledge().build().unwrap();
    let mut stream = client
        .create_chat_completion_stream(&request())
        .await
        .unwrap();
    assert_eq!(text(&stream.next().await.unwrap().unwrap()), "c0");
    drop(stream);
    let (delivered, error, end) = stream_through(&client).await;
    assert!(delivered.is_empty() && error.is_none());
    assert_eq!(end, Some(EndState::Done));
    assert_eq!(server.connections_opened(), 1, "one shared connection");
    assert_eq!(server.requests()[1].version, "HTTP/2.0");
    drop(client);
    assert!(
        server
            .wait_connections_closed(1, Duration::from_secs(2))
            .await,
        "the server never saw the close: {server:?}"
    );
}
