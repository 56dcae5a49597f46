//! The `tracing` feature: one span per call with OpenTelemetry's GenAI
//! attributes, an event per retry, and never a secret — read by a small
//! capturing subscriber.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

type Fields = BTreeMap<String, String>;

#[derive(Default)]
struct Captured {
    spans: Mutex<Vec<(String, Fields)>>,
    events: Mutex<Vec<Fields>>,
    next: AtomicU64,
}

#[derive(Clone, Default)]
struct Capture(Arc<Captured>);

struct Into<'a>(&'a mut Fields);

impl Visit for Into<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attributes: &Attributes<'_>) -> Id {
        let mut fields = Fields::new();
        attributes.record(&mut Into(&mut fields));
        let mut spans = self.0.spans.lock().unwrap();
        spans.push((attributes.metadata().name().to_owned(), fields));
        self.0.next.fetch_add(1, Ordering::SeqCst);
        Id::from_u64(spans.len() as u64)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut spans = self.0.spans.lock().unwrap();
        if let Some((_, fields)) = spans.get_mut(span.into_u64() as usize - 1) {
            values.record(&mut Into(fields));
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::new();
        event.record(&mut Into(&mut fields));
        self.0.events.lock().unwrap().push(fields);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn a_call_is_one_span_with_the_genai_attributes_and_its_retry_an_event() {
    let capture = Capture::default();
    let seen = capture.clone();
    tracing::subscriber::with_default(capture, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let usage = r#"{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024-07-18","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}"#;
            let body = event("chatcmpl-9", 0, "Hi", Some("stop")) + &format!("data: {usage}\n\n") + "data: [DONE]\n\n";
            let server = MockServer::start(Sequence::new(vec![
                Reply::json(503, json!({"error": {"message": "busy"}})),
                Reply::sse(body),
            ]))
            .await
            .unwrap();
            let client = builder(&server)
                .max_retries(1)
                .retry_backoff(Duration::from_millis(1), Duration::from_millis(1))
                .build()
                .unwrap();
            let collected = client
                .create_chat_completion_stream(&request())
                .await
                .unwrap()
                .collect_completion()
                .await;
            assert!(collected.end.is_ok(), "{:?}", collected.end);
        });
    });
    let spans = seen.0.spans.lock().unwrap();
    let chats: Vec<&Fields> = spans
        .iter()
        .filter(|(name, _)| name == "chat")
        .map(|(_, fields)| fields)
        .collect();
    assert_eq!(chats.len(), 1, "one span per call: {spans:?}");
    let span = chats[0];
    let field = |name: &str| span.get(name).map(String::as_str);
    assert_eq!(field("gen_ai.operation.name"), Some("chat"));
    assert_eq!(field("gen_ai.provider.name"), Some("openai"));
    assert_eq!(field("gen_ai.request.model"), Some("gpt-4o-mini"));
    assert_eq!(field("server.address"), Some("127.0.0.1"));
    assert_eq!(field("gen_ai.response.id"), Some("chatcmpl-9"));
    assert_eq!(field("gen_ai.response.finish_reasons"), Some("stop"));
    assert_eq!(field("gen_ai.usage.input_tokens"), Some("12"));
    assert_eq!(field("gen_ai.usage.output_tokens"), Some("3"));
    assert_eq!(field("chatstream.attempts"), Some("2"));
    assert_eq!(field("chatstream.end_state"), Some("done"));
    assert!(field("chatstream.time_to_first_chunk_ms").is_some());
    assert!(field("error.type").is_none());

    let events = seen.0.events.lock().unwrap();
    let retries: Vec<&Fields> = events
        .iter()
        .filter(|fields| fields.get("message").map(String::as_str) == Some("retrying"))
        .collect();
    assert_eq!(retries.len(), 1, "{events:?}");
    assert_eq!(retries[0].get("reason").map(String::as_str), Some("503"));

    for (_, fields) in spans.iter() {
        for value in fields.values() {
            assert!(!value.contains(KEY), "a secret in a span: {value}");
        }
    }
    for fields in events.iter() {
        for value in fields.values() {
            assert!(!value.contains(KEY), "a secret in an event: {value}");
        }
    }
}
