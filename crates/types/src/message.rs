//! Chat messages: what a request sends and what a completion answers.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::lenient::lenient_struct;
use crate::{Annotation, Content, ContentPart, FunctionCall, MessageAudio, Role, ToolCall};

/// One message of a conversation (go-openai's `ChatCompletionMessage`).
///
/// The same type serves requests (every role: system, developer, user,
/// assistant, tool, legacy function) and answers (the `message` of a
/// [`ChatCompletion`](crate::ChatCompletion) choice). Constructors cover the
/// usual shapes; every field is public for the rest.
///
/// ```
/// use chatstream_types::{ChatCompletionMessage, ContentPart, ToolCall};
///
/// let conversation = vec![
///     ChatCompletionMessage::developer("Answer in French."),
///     ChatCompletionMessage::user("What is the weather in Paris?"),
///     ChatCompletionMessage::assistant_tool_calls(vec![ToolCall::function(
///         "call_1", "get_weather", r#"{"city":"Paris"}"#,
///     )]),
///     ChatCompletionMessage::tool("call_1", r#"{"celsius":21}"#),
///     ChatCompletionMessage::user_parts(vec![
///         ContentPart::text("And this place?"),
///         ContentPart::image_url("https://example.com/photo.jpg"),
///     ]),
/// ];
/// let json = serde_json::to_value(&conversation).unwrap();
/// assert_eq!(json[3], serde_json::json!({"role":"tool","content":"{\"celsius\":21}","tool_call_id":"call_1"}));
/// assert_eq!(json[4]["content"][1]["type"], "image_url");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ChatCompletionMessage {
    /// Who wrote it.
    pub role: Role,
    /// The text, or an array of parts (user messages may carry images, audio
    /// and files). An assistant message that only calls tools has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    /// The assistant's refusal, when it refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// A name for the author, to tell apart participants of the same role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The tools the assistant called.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// For a `tool` message: the id of the call it answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// A legacy function call (deprecated by OpenAI).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_call: Option<FunctionCall>,
    /// Reasoning, as DeepSeek, Qwen and xAI name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// Reasoning, as OpenRouter, Groq, vLLM and Ollama name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// The spoken answer (models asked for audio). In a request, only its id
    /// is sent (see [`ChatCompletionRequest`](crate::ChatCompletionRequest)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio: Option<MessageAudio>,
    /// Annotations of the answer (web-search models' citations). Output
    /// only: a request does not send them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Vec<Annotation>>,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(ChatCompletionMessage, "a chat message" {
    role: "role",
    content: "content",
    refusal: "refusal",
    name: "name",
    tool_calls: "tool_calls",
    tool_call_id: "tool_call_id",
    function_call: "function_call",
    reasoning_content: "reasoning_content",
    reasoning: "reasoning",
    audio: "audio",
    annotations: "annotations",
});

impl ChatCompletionMessage {
    /// A message of `role` with text content.
    pub fn new(role: Role, content: impl Into<Content>) -> Self {
        Self {
            role,
            content: Some(content.into()),
            ..Self::default()
        }
    }

    /// A `system` message.
    pub fn system(content: impl Into<Content>) -> Self {
        Self::new(Role::System, content)
    }

    /// A `developer` message (instructions for reasoning models).
    pub fn developer(content: impl Into<Content>) -> Self {
        Self::new(Role::Developer, content)
    }

    /// A `user` message.
    pub fn user(content: impl Into<Content>) -> Self {
        Self::new(Role::User, content)
    }

    /// A `user` message made of parts (text, images, audio, files).
    pub fn user_parts(parts: Vec<ContentPart>) -> Self {
        Self::new(Role::User, Content::Parts(parts))
    }

    /// An `assistant` message (a previous answer, for multi-turn requests).
    pub fn assistant(content: impl Into<Content>) -> Self {
        Self::new(Role::Assistant, content)
    }

    /// An `assistant` message that called tools.
    pub fn assistant_tool_calls(tool_calls: Vec<ToolCall>) -> Self {
        Self {
            role: Role::Assistant,
            tool_calls: Some(tool_calls),
            ..Self::default()
        }
    }

    /// A `tool` message: the result of the call `tool_call_id`.
    pub fn tool(tool_call_id: impl Into<String>, content: impl Into<Content>) -> Self {
        Self {
            tool_call_id: Some(tool_call_id.into()),
            ..Self::new(Role::Tool, content)
        }
    }

    /// A legacy `function` message: the result of the function `name`.
    pub fn function(name: impl Into<String>, content: impl Into<Content>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::new(Role::Function, content)
        }
    }

    /// Sets the author's `name`.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The text of the content: the string, or its `text` parts joined.
    pub fn text(&self) -> Option<String> {
        let content = self.content.as_ref()?;
        let mut text = String::new();
        content.append_text_to(&mut text);
        Some(text)
    }

    /// The reasoning, whatever the provider called it (`reasoning_content`
    /// first, then `reasoning`).
    pub fn reasoning_text(&self) -> Option<&str> {
        self.reasoning_content
            .as_deref()
            .or(self.reasoning.as_deref())
    }
}
