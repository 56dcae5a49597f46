//! The chat-completion request.

use std::collections::BTreeMap;

use serde::ser::SerializeSeq;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::{
    ChatCompletionMessage, Content, FunctionDefinition, MessageAudio, PromptCacheMode,
    PromptCacheRetention, ReasoningEffort, ResponseFormat, ServiceTier, Tool, ToolChoice,
    Verbosity,
};

/// Where generation stops (`stop`): one sequence, or several (OpenAI takes
/// up to 4). Both forms are what the API accepts; a string converts into
/// [`Stop::One`], a vector into [`Stop::Many`].
///
/// ```
/// use chatstream_types::{ChatCompletionRequest, Stop};
///
/// let one = ChatCompletionRequest::new("m", vec![]).stop("END");
/// assert_eq!(serde_json::to_value(&one).unwrap()["stop"], "END");
/// let many = ChatCompletionRequest::new("m", vec![]).stop(vec!["A", "B"]);
/// assert_eq!(many.stop, Some(Stop::Many(vec!["A".into(), "B".into()])));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    /// One sequence.
    One(String),
    /// Several sequences.
    Many(Vec<String>),
}

impl From<&str> for Stop {
    fn from(sequence: &str) -> Self {
        Stop::One(sequence.to_owned())
    }
}

impl From<String> for Stop {
    fn from(sequence: String) -> Self {
        Stop::One(sequence)
    }
}

impl From<Vec<String>> for Stop {
    fn from(sequences: Vec<String>) -> Self {
        Stop::Many(sequences)
    }
}

impl From<Vec<&str>> for Stop {
    fn from(sequences: Vec<&str>) -> Self {
        Stop::Many(sequences.into_iter().map(str::to_owned).collect())
    }
}

/// The messages as a request sends them: a message's audio as its reference
/// (the id alone), and no annotations (output only).
fn request_messages<S: Serializer>(
    messages: &[ChatCompletionMessage],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut sequence = serializer.serialize_seq(Some(messages.len()))?;
    for message in messages {
        if message.audio.is_none() && message.annotations.is_none() {
            sequence.serialize_element(message)?;
        } else {
            let mut sent = message.clone();
            sent.audio = message.audio.as_ref().map(MessageAudio::reference);
            sent.annotations = None;
            sequence.serialize_element(&sent)?;
        }
    }
    sequence.end()
}

/// A chat-completion request (`POST /chat/completions`), with every field of
/// go-openai's `ChatCompletionRequest` and the current OpenAI ones.
///
/// Every optional field is an `Option` and is left out of the JSON when
/// `None`, so zero values are sendable: `temperature(0.0)` sends
/// `"temperature":0.0` and `store(false)` sends `"store":false` (go-openai's
/// `omitempty` cannot send either). Provider-specific fields this type does not
/// name (OpenRouter's `provider`, vLLM's `top_k`, …) go in
/// [`extra`](Self::extra), merged into the top level of the body.
///
/// A request is one expression:
///
/// ```
/// use chatstream_types::{ChatCompletionMessage, ChatCompletionRequest, Tool, ToolChoice};
/// use serde_json::json;
///
/// let request = ChatCompletionRequest::new("gpt-4o-mini", vec![
///     ChatCompletionMessage::system("You are terse."),
///     ChatCompletionMessage::user("Weather in Paris?"),
/// ])
/// .temperature(0.0)
/// .max_completion_tokens(200)
/// .tool(Tool::function("get_weather", json!({"type": "object"})))
/// .tool_choice(ToolChoice::Auto)
/// .include_usage(true)
/// .extra_field("provider", json!({"order": ["openai"]}));
///
/// let body = serde_json::to_value(&request).unwrap();
/// assert_eq!(body["temperature"], 0.0);
/// assert_eq!(body["stream_options"], json!({"include_usage": true}));
/// assert_eq!(body["provider"]["order"][0], "openai");
/// assert!(body.get("top_p").is_none()); // None fields are not sent
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionRequest {
    /// The model (or, on Azure, the model the deployment is mapped from).
    pub model: String,
    /// The conversation so far. A folded answer can go back as it is: its
    /// tool calls with every field the provider sent on them, and, as the
    /// API's request format wants, its audio as a reference (the id alone)
    /// and no annotations (they describe an answer; a request has none).
    #[serde(serialize_with = "request_messages")]
    pub messages: Vec<ChatCompletionMessage>,
    /// Whether to stream. The streaming client sets it to `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Streaming options (`include_usage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    /// The most tokens to generate (deprecated by OpenAI; rejected for
    /// reasoning models, see [`validate_reasoning_request`](crate::validate_reasoning_request)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// The most tokens to generate, reasoning included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    /// Sampling temperature, 0 to 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling mass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// How many choices to generate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// Where generation stops: one sequence, or up to 4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    /// Penalty for tokens already present, -2 to 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    /// Penalty proportional to token frequency, -2 to 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    /// Bias per token id (as a string), -100 to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logit_bias: Option<BTreeMap<String, i32>>,
    /// Whether to return log probabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<bool>,
    /// How many alternatives per token with `logprobs`, 0 to 20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_logprobs: Option<u32>,
    /// A seed for best-effort determinism.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// The format of the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    /// Tools the model may call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// Whether and which tool to call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Whether the model may call several tools at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// Legacy functions (deprecated by OpenAI in favour of `tools`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub functions: Option<Vec<FunctionDefinition>>,
    /// Legacy function choice (deprecated): `"none"`, `"auto"` or
    /// `{"name": …}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_call: Option<Value>,
    /// A stable id of the end user (deprecated by OpenAI in favour of
    /// `safety_identifier` and `prompt_cache_key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// A stable, hashed id of the end user for abuse detection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety_identifier: Option<String>,
    /// A key to improve prompt-cache hits across similar requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_cache_key: Option<String>,
    /// How long a cached prompt prefix is kept (`in_memory` or `24h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_cache_retention: Option<PromptCacheRetention>,
    /// Implicit or explicit prompt caching, and how long an explicit cache
    /// entry lives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_cache_options: Option<PromptCacheOptions>,
    /// Whether OpenAI stores the completion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<bool>,
    /// Key-value tags for stored completions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    /// Reasoning effort of reasoning models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<ReasoningEffort>,
    /// How long the answer should be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verbosity: Option<Verbosity>,
    /// The processing tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
    /// Output modalities: `["text"]`, `["text", "audio"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modalities: Option<Vec<String>>,
    /// Audio output settings, with the `audio` modality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<AudioOutput>,
    /// Predicted output, to speed up regeneration of mostly known text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction: Option<Prediction>,
    /// Web search settings (search models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_search_options: Option<WebSearchOptions>,
    /// vLLM: arguments for the chat template (`{"enable_thinking": false}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_template_kwargs: Option<Map<String, Value>>,
    /// vLLM: the answer must be one of these strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guided_choice: Option<Vec<String>>,
    /// Any other body field, merged into the top level of the JSON body.
    /// Use it only for names the fields above do not cover: a name given both
    /// here and as a field would be sent twice.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Streaming options (`stream_options`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamOptions {
    /// Send a last chunk with the request's [`Usage`](crate::Usage) (and empty
    /// `choices`) before `[DONE]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    /// Whether OpenAI pads chunks with an `obfuscation` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_obfuscation: Option<bool>,
}

/// Audio output settings (`audio`).
///
/// ```
/// use chatstream_types::{AudioOutput, Voice};
///
/// let built_in = AudioOutput::new("alloy", "mp3");
/// assert_eq!(serde_json::to_value(&built_in)?["voice"], "alloy");
/// let custom = AudioOutput::new(Voice::custom("voice_123"), "wav");
/// assert_eq!(serde_json::to_value(&custom)?["voice"]["id"], "voice_123");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AudioOutput {
    /// The voice: a built-in one by name (`alloy`, `verse`, `marin`, …) or a
    /// custom one by id.
    pub voice: Voice,
    /// The format (`wav`, `aac`, `mp3`, `flac`, `opus`, `pcm16`).
    pub format: String,
}

impl AudioOutput {
    /// Audio in `voice` and `format`.
    pub fn new(voice: impl Into<Voice>, format: impl Into<String>) -> Self {
        AudioOutput {
            voice: voice.into(),
            format: format.into(),
        }
    }
}

/// The voice of audio output: a built-in voice's name, or a custom voice's
/// id (`{"id": "voice_…"}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Voice {
    /// A built-in voice, by name.
    Named(String),
    /// A custom voice, by id.
    Custom {
        /// The custom voice's id.
        id: String,
    },
}

impl Voice {
    /// A custom voice, by id.
    pub fn custom(id: impl Into<String>) -> Self {
        Voice::Custom { id: id.into() }
    }
}

impl Default for Voice {
    fn default() -> Self {
        Voice::Named(String::new())
    }
}

impl From<&str> for Voice {
    fn from(name: &str) -> Self {
        Voice::Named(name.to_owned())
    }
}

impl From<String> for Voice {
    fn from(name: String) -> Self {
        Voice::Named(name)
    }
}

/// Prompt caching (`prompt_cache_options`): implicit (the provider decides
/// what to cache) or explicit (up to the parts marked with a
/// `prompt_cache_breakpoint`), and the life of an explicit entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PromptCacheOptions {
    /// `implicit` or `explicit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<PromptCacheMode>,
    /// How long an explicit entry lives (`30m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
}

impl PromptCacheOptions {
    /// Explicit caching, entries kept for `ttl` (`"30m"`).
    pub fn explicit(ttl: impl Into<String>) -> Self {
        PromptCacheOptions {
            mode: Some(PromptCacheMode::Explicit),
            ttl: Some(ttl.into()),
        }
    }
}

/// Predicted output (`prediction`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Always `content`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The predicted text.
    pub content: Content,
}

impl Prediction {
    /// A content prediction.
    pub fn content(content: impl Into<Content>) -> Self {
        Prediction {
            kind: "content".to_owned(),
            content: content.into(),
        }
    }
}

/// Web search settings (`web_search_options`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WebSearchOptions {
    /// `low`, `medium` or `high`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_context_size: Option<String>,
    /// An approximate user location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_location: Option<Value>,
}

/// Generates by-value setters: `plain` ones take the field's type (so integer
/// and float literals infer), `into` ones take anything that converts.
macro_rules! setters {
    (
        plain { $($(#[$pmeta:meta])* $pname:ident: $pty:ty),* $(,)? }
        into { $($(#[$imeta:meta])* $iname:ident: $ity:ty),* $(,)? }
    ) => {
        $(
            $(#[$pmeta])*
            pub fn $pname(mut self, value: $pty) -> Self {
                self.$pname = Some(value);
                self
            }
        )*
        $(
            $(#[$imeta])*
            pub fn $iname(mut self, value: impl Into<$ity>) -> Self {
                self.$iname = Some(value.into());
                self
            }
        )*
    };
}

impl ChatCompletionRequest {
    /// A request for `model` with `messages`; everything else unset.
    pub fn new(model: impl Into<String>, messages: Vec<ChatCompletionMessage>) -> Self {
        Self {
            model: model.into(),
            messages,
            ..Self::default()
        }
    }

    /// Appends a message.
    pub fn message(mut self, message: ChatCompletionMessage) -> Self {
        self.messages.push(message);
        self
    }

    /// Appends a tool.
    pub fn tool(mut self, tool: Tool) -> Self {
        self.tools.get_or_insert_with(Vec::new).push(tool);
        self
    }

    /// Asks for (or declines) the final usage chunk
    /// (`stream_options.include_usage`).
    pub fn include_usage(mut self, include: bool) -> Self {
        self.stream_options
            .get_or_insert_with(StreamOptions::default)
            .include_usage = Some(include);
        self
    }

    /// Adds a body field this type does not name (provider extensions).
    pub fn extra_field(mut self, key: impl Into<String>, value: Value) -> Self {
        self.extra.insert(key.into(), value);
        self
    }

    setters! {
        plain {
        /// Sets `stream`.
        stream: bool,
        /// Sets `max_tokens` (deprecated; not for reasoning models).
        max_tokens: u32,
        /// Sets `max_completion_tokens`.
        max_completion_tokens: u32,
        /// Sets `temperature` (0 is sent).
        temperature: f64,
        /// Sets `top_p`.
        top_p: f64,
        /// Sets `n`.
        n: u32,
        /// Sets `presence_penalty`.
        presence_penalty: f64,
        /// Sets `frequency_penalty`.
        frequency_penalty: f64,
        /// Sets `logit_bias`.
        logit_bias: BTreeMap<String, i32>,
        /// Sets `logprobs`.
        logprobs: bool,
        /// Sets `top_logprobs`.
        top_logprobs: u32,
        /// Sets `seed`.
        seed: i64,
        /// Sets `tools`.
        tools: Vec<Tool>,
        /// Sets `parallel_tool_calls`.
        parallel_tool_calls: bool,
        /// Sets `store` (`false` is sent).
        store: bool,
        /// Sets `metadata`.
        metadata: BTreeMap<String, String>,
        /// Sets `modalities`.
        modalities: Vec<String>,
        /// Sets `chat_template_kwargs` (vLLM).
        chat_template_kwargs: Map<String, Value>,
        /// Sets `guided_choice` (vLLM).
        guided_choice: Vec<String>,
        }
        into {
        /// Sets `stop`: a string or a vector of them.
        stop: Stop,
        /// Sets `prompt_cache_retention`.
        prompt_cache_retention: PromptCacheRetention,
        /// Sets `prompt_cache_options`.
        prompt_cache_options: PromptCacheOptions,
        /// Sets `response_format`.
        response_format: ResponseFormat,
        /// Sets `tool_choice`.
        tool_choice: ToolChoice,
        /// Sets `user`.
        user: String,
        /// Sets `safety_identifier`.
        safety_identifier: String,
        /// Sets `prompt_cache_key`.
        prompt_cache_key: String,
        /// Sets `reasoning_effort`.
        reasoning_effort: ReasoningEffort,
        /// Sets `verbosity`.
        verbosity: Verbosity,
        /// Sets `service_tier`.
        service_tier: ServiceTier,
        /// Sets `audio`.
        audio: AudioOutput,
        /// Sets `prediction`.
        prediction: Prediction,
        /// Sets `web_search_options`.
        web_search_options: WebSearchOptions,
        }
    }
}
