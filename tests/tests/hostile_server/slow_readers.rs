//! Readers that fall behind, over HTTP/2. The streams of a connection share
//! its reads, so what a reader that does not keep up lets the server send
//! ahead is held by the client — bounded only by the flow-control windows it
//! announces (64 KiB per stream by default). A server offering far more than
//! that to every stream must not make the client hold more; and since
//! unread data holds the connection's window too, the readers that fall
//! behind must not stall the streams opened after them on the same
//! connection (each of which must still get its first chunk).

use chatstream_testkit::mock::Reply;

use super::*;

/// Each stream's body: one valid chunk, then 1 MiB more events — sixteen
/// times the stream window.
const OFFERED: usize = 1 << 20;
/// Streams, and the server's limit per connection: more than the client
/// puts on one connection (256 with its windows), so the client's own rule
/// is what is tested.
const STREAMS: usize = 300;
const PER_CONNECTION: u32 = 1000;

pub(crate) fn cases() -> Vec<Case> {
    vec![
        // 300 MiB offered; the windows let in 300 × 64 KiB, 18.75 MiB. With
        // hyper's own windows (2 MiB per stream, 5 MiB per connection) the
        // third stream's unread data fills the connection's window and the
        // fourth stream never gets its first chunk.
        Case::new(
            "http2_readers_that_fall_behind_hold_at_most_the_windows",
            |probe| boxed(fall_behind(probe)),
            |observed| {
                ended_with(observed, "done")?;
                ensure(
                    observed.chunks == STREAMS,
                    "every stream gave its first chunk",
                    observed,
                )?;
                ensure(
                    observed.detail["connections"] == 2,
                    "256 streams on the first connection, the rest on a second",
                    observed,
                )
            },
        )
        .memory(40 * MIB)
        .time(Duration::from_secs(20)),
    ]
}

/// Opens the streams, reads one chunk of each, then reads nothing for a
/// while — long enough for the server to send all the windows allow.
async fn fall_behind(probe: Probe) -> Observed {
    let mut body = String::with_capacity(OFFERED + 4096);
    body.push_str(&short_stream().replace("data: [DONE]\n\n", ""));
    let filler = event(
        &json!({"id": "c1", "object": "chat.completion.chunk", "model": "m",
        "choices": [{"index": 0, "delta": {"content": "x".repeat(1000)}}]}),
    );
    while body.len() < OFFERED {
        body.push_str(&filler);
    }
    let reply = Reply::sse(body).split_every(16 * 1024);
    let server = MockServer::start_with_stream_limit(reply, Some(PER_CONNECTION))
        .await
        .unwrap();
    let client = client(&server, ClientBuilder::http2_prior_knowledge);
    probe.start();
    let mut observed = Observed::default();
    let mut streams = Vec::new();
    for _ in 0..STREAMS {
        let mut stream = match client.create_chat_completion_stream(&request()).await {
            Ok(stream) => stream,
            Err(error) => {
                observed.failed(&error);
                return observed;
            }
        };
        match stream.next().await {
            Some(Ok(_)) => observed.chunks += 1,
            Some(Err(error)) => {
                observed.failed(&error);
                return observed;
            }
            None => {}
        }
        streams.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    observed.end = "done".to_owned();
    observed.requests = server.requests().len();
    observed.detail = json!({ "connections": server.connections_opened() });
    drop(streams);
    observed
}
