//! Unit tests of request building: URLs, headers, the body, the key.

use super::*;
use chatstream_types::ChatCompletionMessage;

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
    let uri = client.url("gpt-4o").unwrap();
    assert_eq!(
        uri.to_string(),
        "https://api.openai.com/v1/chat/completions"
    );
    let options = RequestOptions::new().header("x-trace", "t1").unwrap();
    let http = client
        .http_request(&uri, &options, Bytes::new(), true)
        .unwrap();
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
        client.url("chatgpt-demo").unwrap().to_string(),
        "https://httpbin.org/openai/deployments/chatgpt-demo/chat/completions?api-version=2023-05-15"
    );
    // The default mapper (go-openai's DefaultAzureConfig).
    assert_eq!(
        client.url("gpt-3.5-turbo").unwrap().path(),
        "/openai/deployments/gpt-35-turbo/chat/completions"
    );
    let uri = client.url("gpt-4o").unwrap();
    let http = client
        .http_request(&uri, &RequestOptions::new(), Bytes::new(), true)
        .unwrap();
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
        mapped.url("gpt-4o").unwrap().path(),
        "/openai/deployments/prod-4o/chat/completions"
    );
    assert_eq!(
        mapped.url("o3").unwrap().path(),
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
        empty.url("m").unwrap().path(),
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
    let uri = client.url("m").unwrap();
    let http = client
        .http_request(&uri, &RequestOptions::new(), Bytes::new(), true)
        .unwrap();
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
