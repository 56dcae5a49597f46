//! `chatstream-sse` on its own, over a plain hyper byte stream: for programs
//! that bring their own HTTP transport.
//!
//! ```text
//! cargo run -p chatstream-sse --example sse_over_hyper
//! ```
//!
//! It runs offline, always (this example is about decoding, not about an
//! API): a tiny hyper server in this file, on 127.0.0.1, answers with a
//! recorded OpenAI chat-completion stream bundled with the example
//! (`examples/data/openai-gpt4o-text-usage.sse`) cut into 13-byte pieces, so
//! lines and events are split across reads. The client side is hyper's
//! low-level HTTP/1.1 connection: each body frame's bytes go into a
//! sans-I/O [`Decoder`]; every complete event is printed (type, data
//! length); [`Decoder::finish`] then tells a clean end from a body cut off in
//! the middle of an event.
//!
//! With an async byte stream (`Stream<Item = Result<Bytes, E>>`) at hand,
//! [`chatstream_sse::SseStream::new`] does this loop for you: e.g.
//! `SseStream::new(response.bytes_stream())` with reqwest, or
//! `SseStream::new(body.into_data_stream())` with hyper and
//! `http_body_util::BodyExt`, polled with `futures_util::StreamExt::next`
//! (a dependency this package does not have, hence the `Decoder` here).

use std::convert::Infallible;
use std::error::Error;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use chatstream_sse::{Decoder, Leftover};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// The recorded stream the server answers with.
const RECORDED: &[u8] = include_bytes!("data/openai-gpt4o-text-usage.sse");

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let address = serve().await?;
    eprintln!(
        "(a local server at {address} replays openai-gpt4o-text-usage.sse, bundled with this example)"
    );

    // The client: one HTTP/1.1 connection, driven by a task of its own.
    let tcp = TcpStream::connect(address).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(connection);
    let request = Request::post("/v1/chat/completions")
        .header("host", address.to_string())
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(Full::new(Bytes::from_static(
            br#"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}"#,
        )))?;
    let response = sender.send_request(request).await?;
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

/// Starts the server on 127.0.0.1: any request gets the recorded stream.
async fn serve() -> Result<std::net::SocketAddr, Box<dyn Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let service = service_fn(|_request| async {
                Response::builder()
                    .header("content-type", "text/event-stream")
                    .body(Pieces::new(Bytes::from_static(RECORDED), 13))
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(tcp), service));
        }
    });
    Ok(address)
}

/// A response body that sends `body` in pieces of `size` bytes, a
/// millisecond apart (so that they reach the client as separate reads).
struct Pieces {
    rest: Bytes,
    size: usize,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Pieces {
    fn new(body: Bytes, size: usize) -> Self {
        Pieces {
            rest: body,
            size,
            pause: None,
        }
    }
}

impl Body for Pieces {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.rest.is_empty() {
            return Poll::Ready(None);
        }
        let pause = this
            .pause
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(1))));
        ready!(pause.as_mut().poll(cx));
        this.pause = None;
        let size = this.size.min(this.rest.len());
        Poll::Ready(Some(Ok(Frame::data(this.rest.split_to(size)))))
    }
}
