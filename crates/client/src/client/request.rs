//! The HTTP request of a call: its URL (the base URL's path and query, the
//! Azure deployment path, the client's and the call's query parameters), its
//! headers (the fixed ones built once per client, then the call's) and its
//! body (the request with `stream` set and the call's extra fields).

use bytes::{Bytes, BytesMut};
use chatstream_types::ChatCompletionRequest;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use http::{HeaderMap, Method, Request};
use serde_json::{Map, Value};

use crate::body::RequestBody;
use crate::builder::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::options::RequestOptions;

use super::Client;

impl Client {
    /// The chat-completions URL for `model`, with this call's `query`.
    pub(super) fn url(&self, model: &str, query: &[(String, String)]) -> Result<http::Uri> {
        if let (Some(uri), true) = (&self.inner.chat_uri, query.is_empty()) {
            return Ok(uri.clone());
        }
        let url = chat_url(&self.inner.config, model, query);
        url.parse().map_err(|e| {
            Error::new(ErrorKind::Request, format!("invalid request URL {url:?}")).with_source(e)
        })
    }

    /// The request of one attempt: `uri`, the client's fixed headers, the
    /// proxy's credentials for a plain-HTTP origin, the call's headers (last,
    /// so they override), and `body`.
    pub(super) fn http_request(
        &self,
        uri: &http::Uri,
        options: &RequestOptions,
        body: Bytes,
        stream: bool,
    ) -> Request<RequestBody> {
        let config = &self.inner.config;
        let mut request = Request::new(RequestBody::new(body));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = uri.clone();
        let mut headers = self.inner.base_headers.clone();
        if !stream {
            headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        }
        if let Some(proxies) = &config.proxies {
            if uri.scheme_str() == Some("http") {
                if let Some(auth) = proxies.intercept(uri).and_then(|i| i.basic_auth().cloned()) {
                    headers.insert(http::header::PROXY_AUTHORIZATION, auth);
                }
            }
        }
        for (name, value) in &options.headers {
            headers.insert(name, value.clone());
        }
        *request.headers_mut() = headers;
        request
    }
}

/// The headers every request carries: content type, user agent, the key
/// (unless a credential provider gives one per attempt), organization,
/// project, the configured default headers (after those, so they can
/// override them), and `Accept` for a stream (a request for a whole
/// completion replaces it).
pub(super) fn base_headers(config: &Config) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(USER_AGENT, config.user_agent.clone());
    // A credential provider's credential replaces the fixed key.
    let key = config
        .api_key
        .as_ref()
        .filter(|_| config.credentials.is_none());
    if let Some(key) = key {
        if config.azure.is_some() {
            headers.insert(HeaderName::from_static("api-key"), key.clone());
        } else {
            let mut bearer = BytesMut::with_capacity(7 + key.len());
            bearer.extend_from_slice(b"Bearer ");
            bearer.extend_from_slice(key.as_bytes());
            // The key was checked to be a valid header value when it was set,
            // so the prefixed value is valid too.
            if let Ok(mut value) = HeaderValue::from_maybe_shared(bearer.freeze()) {
                value.set_sensitive(true);
                headers.insert(AUTHORIZATION, value);
            }
        }
    }
    if let Some(organization) = &config.organization {
        headers.insert(
            HeaderName::from_static("openai-organization"),
            organization.clone(),
        );
    }
    if let Some(project) = &config.project {
        headers.insert(HeaderName::from_static("openai-project"), project.clone());
    }
    for (name, value) in &config.default_headers {
        headers.insert(name, value.clone());
    }
    // After the default headers, as when it was set per request: the client
    // reads what it asked for.
    headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    headers
}

/// The request body: the request with `stream` forced, and the per-request
/// fields merged at the top level.
pub(super) fn encode_body(
    request: &ChatCompletionRequest,
    options: &RequestOptions,
    stream: bool,
) -> Result<Bytes> {
    let encode_error = |e: serde_json::Error| {
        Error::new(ErrorKind::Request, "cannot encode the request").with_source(e)
    };
    if options.body.is_empty() && (!stream || request.stream == Some(true)) {
        return serde_json::to_vec(request)
            .map(Bytes::from)
            .map_err(encode_error);
    }
    if options.body.is_empty() && request.stream.is_none() {
        // The common case: `"stream":true` as the first member, written
        // before the request instead of copying the whole request to set the
        // field: `{"stream":true` + `{"model":…}`, then the request's `{`
        // becomes the comma.
        let mut json = Vec::with_capacity(256);
        json.extend_from_slice(STREAM_MEMBER);
        serde_json::to_writer(&mut json, request).map_err(encode_error)?;
        if let Some(json) = join_stream_member(json) {
            return Ok(Bytes::from(json));
        }
        // Not an object (a request always is): set the field below.
    }
    // Per-request fields replace the request's own of the same name (a
    // field set twice is invalid JSON to some servers, and which one wins
    // differs between them), so they are merged into the serialized object.
    let mut body = match serde_json::to_value(request).map_err(encode_error)? {
        Value::Object(body) => body,
        _ => Map::new(),
    };
    for (key, value) in &options.body {
        body.insert(key.clone(), value.clone());
    }
    if stream {
        body.insert("stream".to_owned(), Value::Bool(true));
    }
    serde_json::to_vec(&body)
        .map(Bytes::from)
        .map_err(encode_error)
}

/// The first member of a streamed request's body, with the object's `{`.
pub(super) const STREAM_MEMBER: &[u8] = b"{\"stream\":true";

/// [`STREAM_MEMBER`] followed by a serialized object, made one object with
/// the stream member first: the object's `{` becomes the comma (or goes, for
/// `{}`). `None` when no object follows.
pub(super) fn join_stream_member(mut json: Vec<u8>) -> Option<Vec<u8>> {
    let at = STREAM_MEMBER.len();
    match json.get(at..at + 2) {
        Some(b"{}") => {
            json.truncate(at);
            json.push(b'}');
            Some(json)
        }
        Some([b'{', _]) => {
            *json.get_mut(at)? = b',';
            Some(json)
        }
        _ => None,
    }
}

/// The chat-completions URL: the base URL's path, the endpoint (Azure's
/// deployment path for `model`), then the query — the base URL's own, Azure's
/// `api-version`, the client's default parameters, the call's `query`.
pub(super) fn chat_url(config: &Config, model: &str, query: &[(String, String)]) -> String {
    let (base, base_query) = config
        .base_url
        .split_once('?')
        .unwrap_or((&config.base_url, ""));
    let mut url = match &config.azure {
        Some(azure) => format!(
            "{base}/openai/deployments/{}/chat/completions",
            percent_encode_segment(&azure.deployment(model))
        ),
        None => format!("{base}/chat/completions"),
    };
    let mut all = base_query.to_owned();
    let mut add = |key: &str, value: &str| {
        if !all.is_empty() {
            all.push('&');
        }
        all.push_str(&percent_encode_segment(key));
        all.push('=');
        all.push_str(&percent_encode_segment(value));
    };
    if let Some(azure) = &config.azure {
        add("api-version", &azure.api_version);
    }
    for (key, value) in config.default_query.iter().chain(query) {
        add(key, value);
    }
    if !all.is_empty() {
        url.push('?');
        url.push_str(&all);
    }
    url
}

/// Percent-encodes a URL path segment or query value (RFC 3986 unreserved
/// characters pass).
pub(super) fn percent_encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
