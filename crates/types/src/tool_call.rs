//! Tool calls: complete ones (in messages) and streamed fragments (in deltas).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::ToolType;
use crate::lenient::lenient_struct;

/// A fragment of a tool call, as streamed in `delta.tool_calls`.
///
/// Fragments of one call share an `index`; the first usually carries `id`,
/// `type` and `function.name`, the rest carry pieces of `function.arguments`.
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
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(ToolCallDelta, "a tool call delta", counted as ToolCalls {
    index: "index",
    id: "id",
    kind: "type",
    function: "function",
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

/// A complete tool call, in an assistant message.
///
/// ```
/// use chatstream_types::ToolCall;
///
/// let call = ToolCall::function("call_1", "get_weather", r#"{"city":"Paris"}"#);
/// assert_eq!(call.function.name, "get_weather");
/// let json = serde_json::to_string(&call).unwrap();
/// assert_eq!(
///     json,
///     r#"{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}"#
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ToolCall {
    /// The call's id, echoed back in the `tool` message that answers it.
    pub id: String,
    /// The call's type.
    #[serde(rename = "type")]
    pub kind: ToolType,
    /// The function called.
    pub function: FunctionCall,
    /// Fields this crate does not name, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient_struct!(ToolCall, "a tool call", counted as ToolCalls {
    id: "id",
    kind: "type",
    function: "function",
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
            function: FunctionCall {
                name: name.into(),
                arguments: arguments.into(),
                extra: Map::new(),
            },
            extra: Map::new(),
        }
    }
}

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
