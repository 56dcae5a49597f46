//! Annotations of an answer: the citations of web-search models
//! (`message.annotations`, streamed in `delta.annotations`).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::lenient::lenient_struct;

/// One annotation of an answer: today a URL citation (`"type":
/// "url_citation"`), any other kind kept as sent in
/// [`extra`](Self::extra).
///
/// ```
/// use chatstream_types::Annotation;
///
/// let annotation: Annotation = serde_json::from_str(
///     r#"{"type":"url_citation","url_citation":{"start_index":0,"end_index":12,"url":"https://example.com","title":"Example"}}"#,
/// ).unwrap();
/// let citation = annotation.url_citation.unwrap();
/// assert_eq!((citation.url.as_str(), citation.end_index), ("https://example.com", 12));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Annotation {
    /// The kind of annotation (`url_citation`).
    #[serde(rename = "type")]
    pub kind: String,
    /// For a URL citation: where in the text, and which page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_citation: Option<UrlCitation>,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(Annotation, "an annotation", counted as Annotations {
    kind: "type",
    url_citation: "url_citation",
});

/// A web page an answer cites, and the part of the answer citing it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct UrlCitation {
    /// The first character of the citing text, in the message's content.
    pub start_index: u64,
    /// The character after the citing text.
    pub end_index: u64,
    /// The page's URL.
    pub url: String,
    /// The page's title.
    pub title: String,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(UrlCitation, "a URL citation" {
    start_index: "start_index",
    end_index: "end_index",
    url: "url",
    title: "title",
});
