//! Tools the model may call, how it chooses, and the response format.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ToolType;

/// A tool the model may call (`tools` entry).
///
/// ```
/// use chatstream_types::Tool;
/// use serde_json::json;
///
/// let tool = Tool::function("get_weather", json!({
///     "type": "object",
///     "properties": {"city": {"type": "string"}},
///     "required": ["city"],
/// }))
/// .description("Current weather for a city")
/// .strict(true);
/// assert_eq!(serde_json::to_value(&tool).unwrap()["function"]["strict"], true);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// The tool type, `function` for functions.
    #[serde(rename = "type")]
    pub kind: ToolType,
    /// The function, for function tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionDefinition>,
    /// Other fields of other tool types (`custom`, provider tools), sent as
    /// given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Tool {
    /// A function tool taking arguments described by the JSON Schema
    /// `parameters`.
    pub fn function(name: impl Into<String>, parameters: Value) -> Self {
        Tool {
            kind: ToolType::Function,
            function: Some(FunctionDefinition {
                name: name.into(),
                description: None,
                parameters: Some(parameters),
                strict: None,
            }),
            extra: Map::new(),
        }
    }

    /// Sets the function's description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        if let Some(function) = &mut self.function {
            function.description = Some(description.into());
        }
        self
    }

    /// Asks for strict schema adherence (Structured Outputs).
    pub fn strict(mut self, strict: bool) -> Self {
        if let Some(function) = &mut self.function {
            function.strict = Some(strict);
        }
        self
    }
}

/// A function the model may call.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionDefinition {
    /// Its name.
    pub name: String,
    /// What it does, for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its arguments as a JSON Schema object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// Whether the arguments must follow the schema exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// Whether and which tool the model must call (`tool_choice`).
///
/// ```
/// use chatstream_types::ToolChoice;
///
/// assert_eq!(serde_json::to_string(&ToolChoice::Required).unwrap(), r#""required""#);
/// assert_eq!(
///     serde_json::to_string(&ToolChoice::function("get_weather")).unwrap(),
///     r#"{"type":"function","function":{"name":"get_weather"}}"#,
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ToolChoice {
    /// `"none"`: call no tool.
    None,
    /// `"auto"`: the model decides.
    Auto,
    /// `"required"`: call at least one tool.
    Required,
    /// `{"type":"function","function":{"name":…}}`: call this function.
    Function {
        /// The function's name.
        name: String,
    },
    /// Any other form, sent as given (`allowed_tools`, custom tools, …).
    Other(Value),
}

impl ToolChoice {
    /// Forces a call to the function `name`.
    pub fn function(name: impl Into<String>) -> Self {
        ToolChoice::Function { name: name.into() }
    }
}

impl Serialize for ToolChoice {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ToolChoice::None => serializer.serialize_str("none"),
            ToolChoice::Auto => serializer.serialize_str("auto"),
            ToolChoice::Required => serializer.serialize_str("required"),
            ToolChoice::Function { name } => {
                struct Name<'a>(&'a str);
                impl Serialize for Name<'_> {
                    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                        let mut map = serializer.serialize_map(Some(1))?;
                        map.serialize_entry("name", self.0)?;
                        map.end()
                    }
                }
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("type", "function")?;
                map.serialize_entry("function", &Name(name))?;
                map.end()
            }
            ToolChoice::Other(value) => value.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ToolChoice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ToolChoiceVisitor;
        impl<'de> Visitor<'de> for ToolChoiceVisitor {
            type Value = ToolChoice;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a tool choice string or object")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ToolChoice, E> {
                Ok(match v {
                    "none" => ToolChoice::None,
                    "auto" => ToolChoice::Auto,
                    "required" => ToolChoice::Required,
                    other => ToolChoice::Other(Value::String(other.to_owned())),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ToolChoice, A::Error> {
                let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let name = value
                    .get("function")
                    .and_then(|function| function.get("name"))
                    .and_then(Value::as_str);
                let is_plain_function = value.get("type").and_then(Value::as_str)
                    == Some("function")
                    && value.as_object().is_some_and(|o| o.len() == 2)
                    && value
                        .get("function")
                        .and_then(Value::as_object)
                        .is_some_and(|f| f.len() == 1);
                Ok(match name {
                    Some(name) if is_plain_function => ToolChoice::function(name),
                    _ => ToolChoice::Other(value),
                })
            }
        }
        deserializer.deserialize_any(ToolChoiceVisitor)
    }
}

/// The format of the answer (`response_format`).
///
/// ```
/// use chatstream_types::ResponseFormat;
/// use serde_json::json;
///
/// let format = ResponseFormat::json_schema("weather", json!({"type": "object"}), true);
/// assert_eq!(
///     serde_json::to_value(&format).unwrap(),
///     json!({"type": "json_schema", "json_schema": {"name": "weather", "schema": {"type": "object"}, "strict": true}}),
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ResponseFormat {
    /// Plain text (the default).
    Text,
    /// Any valid JSON object.
    JsonObject,
    /// JSON following a schema (Structured Outputs).
    JsonSchema {
        /// The schema.
        json_schema: JsonSchemaFormat,
    },
}

impl ResponseFormat {
    /// JSON following `schema`, named `name`.
    pub fn json_schema(name: impl Into<String>, schema: Value, strict: bool) -> Self {
        ResponseFormat::JsonSchema {
            json_schema: JsonSchemaFormat {
                name: name.into(),
                description: None,
                schema: Some(schema),
                strict: Some(strict),
            },
        }
    }
}

/// The schema of a [`ResponseFormat::JsonSchema`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JsonSchemaFormat {
    /// Its name.
    pub name: String,
    /// What the answer is, for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The JSON Schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Value>,
    /// Whether the answer must follow the schema exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}
