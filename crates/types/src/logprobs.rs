//! Token log probabilities.

use serde::Serialize;

use crate::lenient::lenient_struct;

/// The log probabilities of a choice (`logprobs`), in a chunk or a completion.
///
/// In a stream each chunk carries the entries of its own tokens; the
/// accumulator appends them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ChoiceLogprobs {
    /// One entry per content token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<Vec<TokenLogprob>>,
    /// One entry per refusal token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Vec<TokenLogprob>>,
}

/// A token with its log probability and the most likely alternatives.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TokenLogprob {
    /// The token.
    pub token: String,
    /// Its log probability.
    pub logprob: f64,
    /// Its UTF-8 bytes (a token may be part of a character).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<Vec<u8>>,
    /// The most likely tokens at this position.
    pub top_logprobs: Vec<TopLogprob>,
}

/// One alternative in [`TokenLogprob::top_logprobs`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TopLogprob {
    /// The token.
    pub token: String,
    /// Its log probability.
    pub logprob: f64,
    /// Its UTF-8 bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<Vec<u8>>,
}

lenient_struct!(
    ChoiceLogprobs,
    "choice logprobs",
    closed {
        content: "content",
        refusal: "refusal",
    }
);

lenient_struct!(TokenLogprob, "a token logprob", closed, counted as Logprobs {
    token: "token",
    logprob: "logprob",
    bytes: "bytes",
    top_logprobs: "top_logprobs",
});

lenient_struct!(TopLogprob, "a top logprob", closed, counted as TopLogprobs {
    token: "token",
    logprob: "logprob",
    bytes: "bytes",
});
