//! Spoken answers: the pieces a stream sends in `delta.audio`, and the whole
//! answer in a message (`message.audio`).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::lenient::lenient_struct;

/// A piece of a spoken answer, as streamed in `delta.audio` (models asked
/// for `"modalities": ["text", "audio"]`).
///
/// The first piece usually carries the `id`; every piece may carry a piece of
/// the base64 `data` and of the `transcript`; the last one `expires_at`. The
/// [`Accumulator`](crate::Accumulator) folds them into a [`MessageAudio`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AudioDelta {
    /// The audio's id, for referring to it in a later request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A piece of the audio, base64-encoded in the requested format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// A piece of the transcript.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript: Option<String>,
    /// When the audio stops being available to later requests (Unix time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(AudioDelta, "an audio delta" {
    id: "id",
    data: "data",
    transcript: "transcript",
    expires_at: "expires_at",
});

/// A spoken answer, in an assistant message.
///
/// Sent back in a request (as part of a folded message), only its `id` goes
/// out: the API refers to the audio it keeps rather than taking it again (see
/// [`ChatCompletionRequest`](crate::ChatCompletionRequest)).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MessageAudio {
    /// The audio's id.
    pub id: String,
    /// The whole audio, base64-encoded (`""` if none arrived).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub data: String,
    /// The whole transcript (`""` if none arrived).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub transcript: String,
    /// When the audio stops being available to later requests (Unix time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(MessageAudio, "a message's audio" {
    id: "id",
    data: "data",
    transcript: "transcript",
    expires_at: "expires_at",
});

impl MessageAudio {
    /// The reference a request sends back: the id alone.
    pub fn reference(&self) -> MessageAudio {
        MessageAudio {
            id: self.id.clone(),
            ..MessageAudio::default()
        }
    }
}
