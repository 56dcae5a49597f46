//! Azure OpenAI content-filter annotations.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::FilterSeverity;
use crate::lenient::lenient_struct;

/// Azure's `content_filter_results`, on a choice or a prompt.
///
/// The severity categories and the detection categories are typed (Azure sends
/// them on every chunk, so they parse without allocating); any other category
/// (`custom_blocklists`, `error`, new ones) is kept in
/// [`extra`](Self::extra).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ContentFilterResults {
    /// Hate and fairness.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hate: Option<SeverityResult>,
    /// Self-harm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_harm: Option<SeverityResult>,
    /// Sexual content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sexual: Option<SeverityResult>,
    /// Violence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violence: Option<SeverityResult>,
    /// Jailbreak attempts (prompts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jailbreak: Option<DetectionResult>,
    /// Profanity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profanity: Option<DetectionResult>,
    /// Protected text material.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protected_material_text: Option<DetectionResult>,
    /// Protected code material (with its citation in `extra`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protected_material_code: Option<DetectionResult>,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(ContentFilterResults, "content filter results" {
    hate: "hate",
    self_harm: "self_harm",
    sexual: "sexual",
    violence: "violence",
    jailbreak: "jailbreak",
    profanity: "profanity",
    protected_material_text: "protected_material_text",
    protected_material_code: "protected_material_code",
});

/// A severity-graded filter category.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SeverityResult {
    /// Whether the content was filtered.
    pub filtered: bool,
    /// The severity found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<FilterSeverity>,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(SeverityResult, "a severity filter result" {
    filtered: "filtered",
    severity: "severity",
});

/// A detection filter category.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DetectionResult {
    /// Whether the content was filtered.
    pub filtered: bool,
    /// Whether the category was detected.
    pub detected: bool,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(DetectionResult, "a detection filter result" {
    filtered: "filtered",
    detected: "detected",
});

// Equality as derived, with a shortcut for the `extra` maps, which are
// nearly always empty: Azure repeats the same results on every chunk, and the
// accumulator compares them to keep the last without copying it each time.

/// Whether two `extra` maps are equal, empty ones told without iterating.
#[inline]
fn same_extra(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    (a.is_empty() && b.is_empty()) || a == b
}

impl PartialEq for ContentFilterResults {
    fn eq(&self, other: &Self) -> bool {
        // Destructured, so that a new field cannot be forgotten here.
        let Self {
            hate,
            self_harm,
            sexual,
            violence,
            jailbreak,
            profanity,
            protected_material_text,
            protected_material_code,
            extra,
        } = self;
        *hate == other.hate
            && *self_harm == other.self_harm
            && *sexual == other.sexual
            && *violence == other.violence
            && *jailbreak == other.jailbreak
            && *profanity == other.profanity
            && *protected_material_text == other.protected_material_text
            && *protected_material_code == other.protected_material_code
            && same_extra(extra, &other.extra)
    }
}

impl PartialEq for SeverityResult {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        let Self {
            filtered,
            severity,
            extra,
        } = self;
        *filtered == other.filtered
            && *severity == other.severity
            && same_extra(extra, &other.extra)
    }
}

impl PartialEq for DetectionResult {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        let Self {
            filtered,
            detected,
            extra,
        } = self;
        *filtered == other.filtered
            && *detected == other.detected
            && same_extra(extra, &other.extra)
    }
}

/// Azure's filter results for one prompt (`prompt_filter_results` entries,
/// also the older `prompt_annotations`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PromptFilterResult {
    /// Which prompt (Azure sends `prompt_index`; older versions `index`).
    pub prompt_index: u32,
    /// The results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_filter_results: Option<ContentFilterResults>,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(PromptFilterResult, "a prompt filter result", counted as FilterResults {
    prompt_index: "prompt_index" | "index",
    content_filter_results: "content_filter_results",
});
