//! Tool calls: complete ones (in messages) and streamed fragments (in deltas).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::ToolType;
use crate::lenient::lenient_struct;

/// A fragment of a tool call, as streamed in `delta.tool_calls`.
///
/// Fragments of one call share an `index`; the first usually carries `id`,
/// `type` and `function.name`, the rest carry pieces of `function.arguments`
/// (or, for a custom tool, `custom.name` and pieces of `custom.input`).
/// Providers differ: some repeat `id` and `name` on every fragment, some send
/// `name: ""` on continuations, some omit `index` altogether. Every field is
/// therefore optional; [`Accumulator`](crate::Accumulator) knows how to fold
/// them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ToolCallDelta {
    /// Which call of the choice this fragment belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// The call's id (usually only on the first fragment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The call's type (usually only on the first fragment).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<ToolType>,
    /// The function's name and a piece of its arguments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionCallDelta>,
    /// For a custom tool (`"type": "custom"`): its name and a piece of its
    /// free-form input (boxed: function calls, by far the most common, do
    /// not pay for its room).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom: Option<Box<CustomToolCallDelta>>,
    /// Fields this crate does not name, as sent (Gemini's `extra_content`
    /// with its `thought_signature`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(ToolCallDelta, "a tool call delta", counted as ToolCalls {
    index: "index",
    id: "id",
    kind: "type",
    function: "function",
    custom: "custom",
});

/// The custom-tool part of a [`ToolCallDelta`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CustomToolCallDelta {
    /// The tool's name (usually only on the first fragment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A piece of the input, to be concatenated in arrival order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(CustomToolCallDelta, "a custom tool call delta" {
    name: "name",
    input: "input",
});

/// The function part of a [`ToolCallDelta`] (or of a legacy
/// `delta.function_call`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FunctionCallDelta {
    /// The function's name (usually only on the first fragment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A piece of the JSON arguments, to be concatenated in arrival order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(FunctionCallDelta, "a function call delta" {
    name: "name",
    arguments: "arguments",
});

/// A complete tool call, in an assistant message: a function call
/// (`function`), or a call of a custom tool (`custom`, free-form input).
///
/// ```
/// use chatstream_types::ToolCall;
///
/// let call = ToolCall::function("call_1", "get_weather", r#"{"city":"Paris"}"#);
/// assert_eq!(call.function.as_ref().map(|f| f.name.as_str()), Some("get_weather"));
/// let json = serde_json::to_string(&call).unwrap();
/// assert_eq!(
///     json,
///     r#"{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}"#
/// );
///
/// let custom = ToolCall::custom("call_2", "run_sql", "SELECT 1");
/// assert_eq!(
///     serde_json::to_string(&custom).unwrap(),
///     r#"{"id":"call_2","type":"custom","custom":{"name":"run_sql","input":"SELECT 1"}}"#
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ToolCall {
    /// The call's id, echoed back in the `tool` message that answers it.
    pub id: String,
    /// The call's type.
    #[serde(rename = "type")]
    pub kind: ToolType,
    /// The function called (`None` for a custom tool's call).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionCall>,
    /// The custom tool called, with its input (`None` for a function call).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomToolCall>,
    /// Fields this crate does not name, as sent (Gemini's `extra_content`
    /// with its `thought_signature`, which must go back with the call).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(ToolCall, "a tool call", counted as ToolCalls {
    id: "id",
    kind: "type",
    function: "function",
    custom: "custom",
});

impl ToolCall {
    /// A function tool call.
    pub fn function(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        ToolCall {
            id: id.into(),
            kind: ToolType::Function,
            function: Some(FunctionCall {
                name: name.into(),
                arguments: arguments.into(),
                extra: Map::new(),
            }),
            custom: None,
            extra: Map::new(),
        }
    }

    /// A call of a custom tool, with its free-form input.
    pub fn custom(
        id: impl Into<String>,
        name: impl Into<String>,
        input: impl Into<String>,
    ) -> Self {
        ToolCall {
            id: id.into(),
            kind: ToolType::Custom,
            function: None,
            custom: Some(CustomToolCall {
                name: name.into(),
                input: input.into(),
                extra: Map::new(),
            }),
            extra: Map::new(),
        }
    }

    /// The name of the function or custom tool called (`""` if neither).
    pub fn name(&self) -> &str {
        match (&self.function, &self.custom) {
            (Some(function), _) => &function.name,
            (None, Some(custom)) => &custom.name,
            (None, None) => "",
        }
    }
}

/// A custom tool's name and its complete free-form input.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CustomToolCall {
    /// The tool's name.
    pub name: String,
    /// The input, as the model wrote it (free text, or text in the tool's
    /// grammar).
    pub input: String,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(CustomToolCall, "a custom tool call" {
    name: "name",
    input: "input",
});

/// A function's name and its complete JSON arguments.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FunctionCall {
    /// The function's name.
    pub name: String,
    /// The arguments as JSON text, as the model wrote them: parse them with
    /// `serde_json::from_str` (the model may write invalid JSON).
    pub arguments: String,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(FunctionCall, "a function call" {
    name: "name",
    arguments: "arguments",
});
