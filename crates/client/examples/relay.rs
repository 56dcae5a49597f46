//! A tiny streaming gateway: read a stream with the chatstream client,
//! re-encode each chunk as Server-Sent Events with `chatstream::sse`, serve it.
//!
//! ```text
//! cargo run -p chatstream --example relay
//! ```
//!
//! `upstream ─SSE─▶ gateway (Client → serde_json → encode_event) ─SSE─▶ downstream`
//!
//! With `OPENAI_API_KEY` set the upstream is the real API (`OPENAI_BASE_URL`
//! is honoured); without, it is a recorded OpenAI stream bundled with the
//! examples (`examples/data/openai-gpt4o-text-usage.sse`), read by the
//! gateway's client through
//! [`Client::stream_from_response`](chatstream::Client::stream_from_response)
//! (said on stderr). The gateway is hyper on 127.0.0.1. The example sends it
//! one request with a chatstream client and checks that the text folded
//! downstream equals the text the gateway folded upstream.

mod support;

use std::convert::Infallible;
use std::error::Error;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use chatstream::sse::{Event, encode_data, encode_event};
use chatstream::types::{
    Accumulator, ChatCompletion, ChatCompletionMessage, ChatCompletionRequest,
};
use chatstream::{Client, ClientBuilder};
use http_body_util::BodyExt;
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::{Request, Response, service::service_fn};
use hyper_util::rt::TokioIo;
use support::Recording;
use tokio::sync::mpsc;

/// A response body fed by a channel: each message is one encoded SSE event.
struct ChannelBody(mpsc::Receiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|piece| piece.map(|bytes| Ok(Frame::data(bytes))))
    }
}

fn text(completion: &ChatCompletion) -> String {
    completion
        .choices
        .first()
        .and_then(|c| c.message.text())
        .unwrap_or_default()
}

/// One downstream request: send it upstream (offline: read the recording
/// instead), relay every chunk re-encoded, then report the upstream's folded
/// text on `folded`.
async fn relay(
    upstream: Client,
    offline: Option<&'static Recording>,
    request: Request<Incoming>,
    folded: mpsc::UnboundedSender<String>,
) -> Result<Response<ChannelBody>, Box<dyn Error + Send + Sync>> {
    let body = request.into_body().collect().await?.to_bytes();
    let chat: ChatCompletionRequest = serde_json::from_slice(&body)?;
    let mut stream = match offline {
        Some(recording) => upstream.stream_from_response(recording.response()).await?,
        None => upstream.create_chat_completion_stream(&chat).await?,
    };
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        let mut accumulator = Accumulator::new();
        // On an upstream failure, stop without [DONE]: downstream sees a cut-off stream.
        while let Some(Ok(chunk)) = stream.next().await {
            let _ = accumulator.push(&chunk);
            let json = serde_json::to_string(&chunk).unwrap_or_default();
            let mut out = Vec::new();
            if encode_event(&Event::new(json), &mut out).is_err()
                || tx.send(out.into()).await.is_err()
            {
                return;
            }
        }
        if stream.end_state().is_some() {
            let mut out = Vec::new();
            encode_data("[DONE]", &mut out);
            let _ = tx.send(out.into()).await;
        }
        let _ = folded.send(text(&accumulator.finish()));
    });
    Ok(Response::builder()
        .header("content-type", "text/event-stream")
        .body(ChannelBody(rx))?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let offline = support::offline(&support::TEXT, " as the upstream");
    let upstream = ClientBuilder::from_env().build()?;

    // The gateway: hyper HTTP/1.1 on 127.0.0.1, any path; one connection is
    // enough here (a real one would accept in a loop, a task per connection).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let gateway_url = format!("http://{}/v1", listener.local_addr()?);
    let (folded_tx, mut folded_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let Ok((tcp, _)) = listener.accept().await else {
            return;
        };
        let service =
            service_fn(move |request| relay(upstream.clone(), offline, request, folded_tx.clone()));
        let _ = http1::Builder::new()
            .serve_connection(TokioIo::new(tcp), service)
            .await;
    });
    eprintln!("(gateway listening at {gateway_url})");

    // Downstream: an ordinary chatstream client pointed at the gateway.
    let client = Client::builder()
        .base_url(&gateway_url)
        .no_proxy()
        .build()?;
    let prompt = ChatCompletionMessage::user("What is the weather in San Francisco?");
    let request = ChatCompletionRequest::new("gpt-4o-mini", vec![prompt]);
    let collected = client
        .create_chat_completion_stream(&request)
        .await?
        .collect_completion()
        .await;
    let chunks = collected.timing.chunks();
    let downstream = text(&collected.into_result()?);
    let upstream = folded_rx.recv().await.ok_or("the gateway did not report")?;
    println!("downstream: {chunks} chunks, clean end: {downstream}");
    if downstream != upstream {
        return Err(format!("the gateway changed the text; upstream folded {upstream:?}").into());
    }
    println!(
        "folded text identical upstream and downstream ({} chars)",
        upstream.len()
    );
    Ok(())
}
