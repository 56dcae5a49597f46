//! Unit tests of request building: URLs, headers, the body, the key.

use std::time::Duration;

use chatstream_types::ChatCompletionMessage;

use super::request::{STREAM_MEMBER, encode_body, join_stream_member, percent_encode_segment};
use super::*;
use crate::head_timer;

const KEY: &str = "sk-test-SECRET-0123456789";

fn request() -> ChatCompletionRequest {
    ChatCompletionRequest::new("gpt-3.5-turbo", vec![ChatCompletionMessage::user("hi")])
}

#[test]
fn openai_url_and_headers() {
    let client = Client::builder()
        .api_key(KEY)
        .organization("org-1")
        .project("proj-1")
        .default_header("x-custom", "yes")
        .no_proxy()
        .build()
        .unwrap();
    let uri = client.url("gpt-4o", &[]).unwrap();
    assert_eq!(
        uri.to_string(),
        "https://api.openai.com/v1/chat/completions"
    );
    let options = RequestOptions::new().header("x-trace", "t1").unwrap();
    let http = client.http_request(&uri, &options, Bytes::new(), true);
    let header = |name: &str| {
        http.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(
        header("authorization").as_deref(),
        Some(&*format!("Bearer {KEY}"))
    );
    assert!(http.headers()["authorization"].is_sensitive());
    assert_eq!(header("accept").as_deref(), Some("text/event-stream"));
    assert_eq!(header("content-type").as_deref(), Some("application/json"));
    assert_eq!(header("openai-organization").as_deref(), Some("org-1"));
    assert_eq!(header("openai-project").as_deref(), Some("proj-1"));
    assert_eq!(header("x-custom").as_deref(), Some("yes"));
    assert_eq!(header("x-trace").as_deref(), Some("t1"));
    assert!(header("user-agent").unwrap().starts_with("chatstream/"));
    assert!(header("api-key").is_none());
}

#[test]
fn azure_urls_and_key_header() {
    // go-openai api_internal_test.go TestAzureFullURL.
    let client = Client::builder()
        .api_key(KEY)
        .base_url("https://httpbin.org/")
        .azure("2023-05-15")
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(
        client.url("chatgpt-demo", &[]).unwrap().to_string(),
        "https://httpbin.org/openai/deployments/chatgpt-demo/chat/completions?api-version=2023-05-15"
    );
    // The default mapper (go-openai's DefaultAzureConfig).
    assert_eq!(
        client.url("gpt-3.5-turbo", &[]).unwrap().path(),
        "/openai/deployments/gpt-35-turbo/chat/completions"
    );
    let uri = client.url("gpt-4o", &[]).unwrap();
    let http = client.http_request(&uri, &RequestOptions::new(), Bytes::new(), true);
    assert_eq!(http.headers()["api-key"], KEY);
    assert!(http.headers()["api-key"].is_sensitive());
    assert!(http.headers().get("authorization").is_none());

    let mapped = Client::builder()
        .base_url("https://x.openai.azure.com")
        .azure_deployment("gpt-4o", "prod-4o")
        .azure_deployment_mapper(|model| format!("dep-{model}"))
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(
        mapped.url("gpt-4o", &[]).unwrap().path(),
        "/openai/deployments/prod-4o/chat/completions"
    );
    assert_eq!(
        mapped.url("o3", &[]).unwrap().path(),
        "/openai/deployments/dep-o3/chat/completions"
    );
    let empty = Client::builder()
        .base_url("https://x.openai.azure.com")
        .azure("v")
        .azure_deployment_mapper(|_| String::new())
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(
        empty.url("m", &[]).unwrap().path(),
        "/openai/deployments/UNKNOWN/chat/completions"
    );
}

#[test]
fn no_key_sends_no_authorization() {
    let client = Client::builder()
        .api_key("")
        .base_url("http://127.0.0.1:1/v1")
        .no_proxy()
        .build()
        .unwrap();
    let uri = client.url("m", &[]).unwrap();
    let http = client.http_request(&uri, &RequestOptions::new(), Bytes::new(), true);
    assert!(http.headers().get("authorization").is_none());
    assert_eq!(uri.to_string(), "http://127.0.0.1:1/v1/chat/completions");
}

#[test]
fn the_key_is_never_printed() {
    let builder = Client::builder().api_key(KEY).no_proxy();
    assert!(!format!("{builder:?}").contains("SECRET"));
    let client = builder.build().unwrap();
    assert!(!format!("{client:?}").contains("SECRET"));
    let bad = Client::builder()
        .api_key("sk-SECRET\nnewline")
        .build()
        .unwrap_err();
    assert!(bad.is_builder());
    assert!(!bad.to_string().contains("SECRET"));
    assert!(!format!("{bad:?}").contains("SECRET"));
}

#[test]
fn invalid_settings_are_reported_by_build() {
    for url in ["ftp://x/v1", "not a url", "http://"] {
        let error = Client::builder().base_url(url).build().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Builder, "{url}");
    }
    assert!(
        Client::builder()
            .default_header("bad header", "v")
            .build()
            .unwrap_err()
            .is_builder()
    );
    assert!(
        Client::builder()
            .add_root_certificate_der(vec![1, 2, 3])
            .build()
            .is_err()
    );
}

#[test]
fn the_body_forces_stream_and_merges_extra_fields() {
    let options = RequestOptions::new().body_field("top_k", serde_json::json!(5));
    let body = encode_body(&request().temperature(0.0), &options, true).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["stream"], true);
    assert_eq!(json["top_k"], 5);
    assert_eq!(json["temperature"], 0.0);
    // Without per-request fields, `stream` is spliced in, not copied in.
    let fast = encode_body(&request(), &RequestOptions::new(), true).unwrap();
    assert!(fast.starts_with(br#"{"stream":true,"model":"#), "{fast:?}");
    let json: serde_json::Value = serde_json::from_slice(&fast).unwrap();
    assert_eq!(json["messages"][0]["content"], "hi");
    let explicit = encode_body(&request().stream(false), &RequestOptions::new(), true).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&explicit).unwrap();
    assert_eq!(json["stream"], true, "an explicit false is overridden");
    let plain = encode_body(&request(), &RequestOptions::new(), false).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert!(json.get("stream").is_none());
}

#[test]
fn a_body_field_replaces_the_request_field_of_the_same_name() {
    let options = RequestOptions::new()
        .body_field("model", serde_json::json!("other-model"))
        .body_field("temperature", serde_json::json!(1.5))
        .body_field("stream", serde_json::json!(false));
    for stream in [true, false] {
        let body = encode_body(&request().temperature(0.0), &options, stream).unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        for key in ["\"model\"", "\"temperature\"", "\"stream\""] {
            assert!(text.matches(key).count() <= 1, "{key} twice in {text}");
        }
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["model"], "other-model");
        assert_eq!(json["temperature"], 1.5);
        // `stream` is the call's when it streams.
        assert_eq!(json["stream"], stream);
    }
}

#[test]
fn credential_headers_set_by_the_caller_are_never_shown() {
    let options = RequestOptions::new()
        .header("Authorization", "Bearer sk-SECRET-A")
        .unwrap()
        .header("x-api-key", "sk-SECRET-B")
        .unwrap()
        .header("cookie", "session=SECRET-C")
        .unwrap()
        .header("x-trace-id", "visible")
        .unwrap();
    let shown = format!("{options:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(shown.contains("visible"), "{shown}");
    let mut headers = http::HeaderMap::new();
    headers.insert("proxy-authorization", "Basic SECRET-D".parse().unwrap());
    headers.insert("api-key", "SECRET-E".parse().unwrap());
    let client = Client::builder()
        .default_header("authorization", "Bearer SECRET-F")
        .default_headers(headers)
        .base_url("http://127.0.0.1:1/v1")
        .no_proxy()
        .build()
        .unwrap();
    let uri = client.url("m", &[]).unwrap();
    let http = client.http_request(&uri, &options, Bytes::new(), true);
    let shown = format!("{:?} {client:?}", http.headers());
    assert!(!shown.contains("SECRET"), "{shown}");
    // Sent all the same.
    assert_eq!(http.headers()["x-api-key"], "sk-SECRET-B");
    assert_eq!(http.headers()["api-key"], "SECRET-E");
}

#[test]
fn a_proxy_the_client_cannot_speak_fails_build() {
    for url in [
        "socks5://127.0.0.1:1080",
        "https://proxy.example:443",
        "not a url",
    ] {
        let error = Client::builder().proxy(url).build().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Builder, "{url}");
    }
    assert!(
        Client::builder()
            .proxy("http://127.0.0.1:3128")
            .build()
            .is_ok()
    );
}

#[test]
fn percent_encoding_of_path_segments() {
    assert_eq!(percent_encode_segment("gpt-4o.mini_x~"), "gpt-4o.mini_x~");
    assert_eq!(percent_encode_segment("a/b c"), "a%2Fb%20c");
}

#[test]
fn clients_are_send_sync_and_cheap_to_clone() {
    fn is_send_sync<T: Send + Sync + Clone>() {}
    is_send_sync::<Client>();
    fn is_send<T: Send>() {}
    is_send::<ChatCompletionStream>();
}

#[test]
fn the_stream_member_joins_any_object() {
    let join = |after: &str| {
        let mut json = STREAM_MEMBER.to_vec();
        json.extend_from_slice(after.as_bytes());
        join_stream_member(json).map(|json| String::from_utf8(json).unwrap())
    };
    assert_eq!(
        join(r#"{"model":"m"}"#).as_deref(),
        Some(r#"{"stream":true,"model":"m"}"#)
    );
    assert_eq!(join("{}").as_deref(), Some(r#"{"stream":true}"#));
    assert_eq!(join("[1]"), None);
    assert_eq!(join(""), None);
}

/// A body whose one frame comes after `wait`, then nothing, ever.
struct Late {
    wait: std::pin::Pin<Box<tokio::time::Sleep>>,
    frame: Option<Bytes>,
}

impl Body for Late {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<std::result::Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        if self.frame.is_none() || self.wait.as_mut().poll(cx).is_pending() {
            return std::task::Poll::Pending;
        }
        let frame = self
            .frame
            .take()
            .map(|data| Ok(hyper::body::Frame::data(data)));
        std::task::Poll::Ready(frame)
    }
}

/// The response-head timer goes on as the stream's idle timer, set to the
/// idle deadline at the first wait: with a head limit of 100 ms and an idle
/// limit of 1 s, a first byte 300 ms after the head is no timeout, and the
/// stall after it is cut 1 s after that byte.
#[tokio::test(start_paused = true)]
async fn the_head_timer_goes_on_as_the_idle_timer() {
    let client = Client::builder()
        .api_key(KEY)
        .response_timeout(Duration::from_millis(100))
        .idle_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let timer = head_timer::start(Duration::from_millis(100));
    let body = Late {
        wait: Box::pin(tokio::time::sleep(Duration::from_millis(300))),
        frame: Some(Bytes::from_static(
            b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n",
        )),
    };
    let response = Response::builder()
        .header("content-type", "text/event-stream")
        .body(ResponseBody::boxed(body))
        .unwrap();
    let started = tokio::time::Instant::now();
    let settings = CallSettings::start(&client.inner.config, &RequestOptions::default());
    let mut stream = ChatCompletionStream::start(
        response,
        &client.inner.config,
        settings.stream_limits(),
        StreamTiming::new(Instant::now()),
        &client.inner.parsers,
        Some(timer),
    )
    .unwrap();
    let first = stream.next().await.unwrap();
    assert!(first.is_ok(), "{first:?}");
    assert_eq!(started.elapsed(), Duration::from_millis(300));
    let error = stream.next().await.unwrap().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert_eq!(started.elapsed(), Duration::from_millis(1300));
}

#[test]
fn a_base_url_query_stays_last_and_query_parameters_follow_it() {
    let client = Client::builder()
        .base_url("https://gw.example/v1/?team=a b")
        .default_query("route", "eu/1")
        .no_proxy()
        .build();
    // A space is not valid in a URL: the builder refuses it.
    assert!(client.is_err());

    let client = Client::builder()
        .base_url("https://gw.example/v1/?team=a")
        .default_query("route", "eu/1")
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(
        client.url("m", &[]).unwrap().to_string(),
        "https://gw.example/v1/chat/completions?team=a&route=eu%2F1"
    );
    let call = [("trace".to_owned(), "x&y=z".to_owned())];
    assert_eq!(
        client.url("m", &call).unwrap().to_string(),
        "https://gw.example/v1/chat/completions?team=a&route=eu%2F1&trace=x%26y%3Dz"
    );

    let azure = Client::builder()
        .base_url("https://res.openai.azure.com?sig=1")
        .azure("2024-10-21")
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(
        azure.url("gpt-4o", &[]).unwrap().to_string(),
        "https://res.openai.azure.com/openai/deployments/gpt-4o/chat/completions?sig=1&api-version=2024-10-21"
    );
}
