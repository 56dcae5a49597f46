//! A request as the mock server received it.

use bytes::Bytes;

/// One request the mock server received, recorded before its handler ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The method, e.g. `"POST"`.
    pub method: String,
    /// The path with the query, e.g. `"/v1/chat/completions?x=1"`.
    pub path: String,
    /// The headers in the order received, names in lowercase. HTTP/2
    /// pseudo-headers are not included (the authority is in `host` only when
    /// the client sent one).
    pub headers: Vec<(String, String)>,
    /// The whole request body.
    pub body: Bytes,
    /// `"HTTP/1.1"`, `"HTTP/1.0"` or `"HTTP/2.0"`.
    pub version: String,
}

impl RecordedRequest {
    /// The first value of the header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of the header `name` (any case), in order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The body parsed as JSON, or `None` when it is not JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The path without the query.
    pub fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }

    /// The text of the last `"user"` message of a chat request, when the body
    /// is one (string content, or the text parts of array content joined).
    pub fn last_user_text(&self) -> Option<String> {
        let body = self.json()?;
        let message = body
            .get("messages")?
            .as_array()?
            .iter()
            .rev()
            .find(|m| m.get("role").and_then(|r| r.as_str()) == Some("user"))?;
        match message.get("content")? {
            serde_json::Value::String(text) => Some(text.clone()),
            serde_json::Value::Array(parts) => Some(
                parts
                    .iter()
                    .filter_map(|p| p.get("text").and_then(|t| t.as_str()))
                    .collect::<Vec<_>>()
                    .join(""),
            ),
            _ => None,
        }
    }
}

/// The name hyper's `Version` debug output gives, which is what we record.
pub(crate) fn version_name(version: hyper::Version) -> String {
    format!("{version:?}")
}
