//! `chatstream-sse` on its own, over a plain hyper byte stream: for programs
//! that bring their own HTTP transport.
//!
//! ```text
//! cargo run --example sse_over_hyper
//! ```
//!
//! It POSTs to a local replay server on 127.0.0.1 (always: this example is
//! about decoding, not about the API) that answers with
//! `tests/data/fixtures/openai/gpt4o-text-usage.sse` cut into 13-byte pieces,
//! so lines and events are split across reads. Each body frame's bytes go
//! into a sans-I/O `Decoder`; every complete event is printed (type, data
//! length); `Decoder::finish` then tells a clean end from a body cut off in
//! the middle of an event.
//!
//! With an async byte stream (`Stream<Item = Result<Bytes, E>>`) at hand,
//! `chatstream_sse::SseStream::new(stream)` does this loop for you: e.g.
//! `SseStream::new(response.bytes_stream())` with reqwest, or
//! `SseStream::new(body.into_data_stream())` with hyper and
//! `http_body_util::BodyExt`, polled with `futures_util::StreamExt::next`
//! (a dependency this package does not have, hence the `Decoder` here).

use std::error::Error;

use bytes::Bytes;
use chatstream_sse::{Decoder, Leftover};
use chatstream_tests::data_dir;
use chatstream_tests::mock::{MockServer, fixture_reply};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let fixture = data_dir().join("fixtures/openai/gpt4o-text-usage.sse");
    let server = MockServer::start(fixture_reply(&fixture)?.split_every(13)).await?;
    eprintln!("(replaying {} from {})", fixture.display(), server.url());

    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = hyper::Request::post(format!("{}/chat/completions", server.url()))
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(Full::new(Bytes::from(
            r#"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}"#,
        )))?;
    let response = client.request(request).await?;
    println!(
        "HTTP {} {:?}",
        response.status(),
        response.headers().get("content-type")
    );

    let mut body = response.into_body();
    let mut decoder = Decoder::new();
    let (mut pieces, mut events) = (0, 0);
    while let Some(frame) = body.frame().await {
        // Trailers and other non-data frames carry no event bytes.
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        pieces += 1;
        decoder.feed(data);
        while let Some(event) = decoder.next_event()? {
            events += 1;
            let data = event.data();
            let kind = if data == "[DONE]" { "[DONE]" } else { "json" };
            println!(
                "event #{events:>2} type {:?} · {:>4} bytes of data ({kind})",
                event.event_type(),
                data.len()
            );
        }
    }
    match decoder.finish() {
        Leftover::Nothing => println!("{events} events from {pieces} body pieces; clean end"),
        leftover => println!("{events} events; the body ended mid-event: {leftover:?}"),
    }
    Ok(())
}
