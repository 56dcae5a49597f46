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
    /// The custom tool, for custom tools (free-form input; see
    /// [`Tool::custom`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomToolDefinition>,
    /// Other fields of other tool types (provider tools), sent as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A custom tool: the model calls it with free-form text (optionally in a
/// grammar) instead of JSON arguments.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomToolDefinition {
    /// Its name.
    pub name: String,
    /// What it does, for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The input's format: `{"type": "text"}` (the default) or a grammar
    /// (`{"type": "grammar", "grammar": {"syntax": "lark", "definition": …}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Value>,
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
            custom: None,
            extra: Map::new(),
        }
    }

    /// A custom tool named `name`, taking free-form text.
    ///
    /// ```
    /// use chatstream_types::Tool;
    /// use serde_json::json;
    ///
    /// let tool = Tool::custom("run_sql")
    ///     .description("Runs one SQL query")
    ///     .format(json!({"type": "grammar", "grammar": {"syntax": "lark", "definition": "start: /SELECT .+/"}}));
    /// let sent = serde_json::to_value(&tool).unwrap();
    /// assert_eq!(sent["type"], "custom");
    /// assert_eq!(sent["custom"]["name"], "run_sql");
    /// assert_eq!(sent["custom"]["format"]["grammar"]["syntax"], "lark");
    /// ```
    pub fn custom(name: impl Into<String>) -> Self {
        Tool {
            kind: ToolType::Custom,
            function: None,
            custom: Some(CustomToolDefinition {
                name: name.into(),
                description: None,
                format: None,
            }),
            extra: Map::new(),
        }
    }

    /// Sets a custom tool's input format (see [`CustomToolDefinition::format`]);
    /// no effect on a function tool.
    pub fn format(mut self, format: Value) -> Self {
        if let Some(custom) = &mut self.custom {
            custom.format = Some(format);
        }
        self
    }

    /// Sets the description of the function (or of the custom tool).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        if let Some(function) = &mut self.function {
            function.description = Some(description.into());
        } else if let Some(custom) = &mut self.custom {
            custom.description = Some(description.into());
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
/// use serde_json::json;
///
/// assert_eq!(serde_json::to_string(&ToolChoice::Required).unwrap(), r#""required""#);
/// assert_eq!(
///     serde_json::to_string(&ToolChoice::function("get_weather")).unwrap(),
///     r#"{"type":"function","function":{"name":"get_weather"}}"#,
/// );
/// let allowed = ToolChoice::allowed_functions("auto", ["get_weather", "get_time"]);
/// assert_eq!(
///     serde_json::to_value(&allowed).unwrap(),
///     json!({"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": [
///         {"type": "function", "function": {"name": "get_weather"}},
///         {"type": "function", "function": {"name": "get_time"}},
///     ]}}),
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
    /// `{"type":"custom","custom":{"name":…}}`: call this custom tool.
    Custom {
        /// The custom tool's name.
        name: String,
    },
    /// `{"type":"allowed_tools","allowed_tools":{"mode":…,"tools":[…]}}`:
    /// only these of the request's tools may be called — `mode` `auto` (the
    /// model decides) or `required` (it calls one of them). Keeping the
    /// whole `tools` list and narrowing it here keeps the prompt cache warm.
    AllowedTools {
        /// `auto` or `required`.
        mode: String,
        /// The tools, as `{"type": "function", "function": {"name": …}}`
        /// (or `{"type": "custom", "custom": {"name": …}}`).
        tools: Vec<Value>,
    },
    /// Any other form, sent as given (provider tools, …).
    Other(Value),
}

impl ToolChoice {
    /// Forces a call to the function `name`.
    pub fn function(name: impl Into<String>) -> Self {
        ToolChoice::Function { name: name.into() }
    }

    /// Forces a call to the custom tool `name`.
    pub fn custom(name: impl Into<String>) -> Self {
        ToolChoice::Custom { name: name.into() }
    }

    /// Allows only the functions `names` (`mode`: `auto` or `required`).
    pub fn allowed_functions<I, N>(mode: impl Into<String>, names: I) -> Self
    where
        I: IntoIterator<Item = N>,
        N: Into<String>,
    {
        let tools = names
            .into_iter()
            .map(|name| {
                let mut function = Map::new();
                function.insert("name".to_owned(), Value::String(name.into()));
                let mut tool = Map::new();
                tool.insert("type".to_owned(), Value::String("function".to_owned()));
                tool.insert("function".to_owned(), Value::Object(function));
                Value::Object(tool)
            })
            .collect();
        ToolChoice::AllowedTools {
            mode: mode.into(),
            tools,
        }
    }

    /// The typed form of an object choice, if it is exactly one of the
    /// known shapes (else it is kept as [`ToolChoice::Other`]).
    fn from_object(value: Value) -> Self {
        let Some(object) = value.as_object() else {
            return ToolChoice::Other(value);
        };
        let kind = object.get("type").and_then(Value::as_str);
        let inner = kind
            .and_then(|kind| object.get(kind))
            .and_then(Value::as_object);
        let (Some(kind), Some(inner), 2) = (kind, inner, object.len()) else {
            return ToolChoice::Other(value);
        };
        let name = inner.get("name").and_then(Value::as_str);
        match (kind, name, inner.len()) {
            ("function", Some(name), 1) => ToolChoice::function(name),
            ("custom", Some(name), 1) => ToolChoice::custom(name),
            ("allowed_tools", _, 2) => {
                let mode = inner.get("mode").and_then(Value::as_str);
                let tools = inner.get("tools").and_then(Value::as_array);
                match (mode, tools) {
                    (Some(mode), Some(tools)) => ToolChoice::AllowedTools {
                        mode: mode.to_owned(),
                        tools: tools.clone(),
                    },
                    _ => ToolChoice::Other(value),
                }
            }
            _ => ToolChoice::Other(value),
        }
    }
}

impl Serialize for ToolChoice {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ToolChoice::None => serializer.serialize_str("none"),
            ToolChoice::Auto => serializer.serialize_str("auto"),
            ToolChoice::Required => serializer.serialize_str("required"),
            ToolChoice::Function { name } => {
                Tagged("function", Name { name }).serialize(serializer)
            }
            ToolChoice::Custom { name } => Tagged("custom", Name { name }).serialize(serializer),
            ToolChoice::AllowedTools { mode, tools } => {
                Tagged("allowed_tools", Allowed { mode, tools }).serialize(serializer)
            }
            ToolChoice::Other(value) => value.serialize(serializer),
        }
    }
}

/// `{"type": KIND, KIND: inner}`, `type` first as the API documents it.
struct Tagged<'a, T>(&'a str, T);

impl<T: Serialize> Serialize for Tagged<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("type", self.0)?;
        map.serialize_entry(self.0, &self.1)?;
        map.end()
    }
}

/// `{"name": …}`.
#[derive(Serialize)]
struct Name<'a> {
    name: &'a str,
}

/// `{"mode": …, "tools": […]}`.
#[derive(Serialize)]
struct Allowed<'a> {
    mode: &'a str,
    tools: &'a [Value],
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
                Ok(ToolChoice::from_object(value))
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
///
/// Formats other than these three (a provider's `regex` or `grammar`, a
/// newer OpenAI one) are kept and sent as given ([`ResponseFormat::Other`]),
/// so a request read back from JSON is never refused for its format.
#[derive(Clone, Debug, PartialEq)]
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
    /// Any other format, as given.
    Other(Value),
}

/// The three named formats, in their JSON shape.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum NamedFormat {
    Text,
    JsonObject,
    JsonSchema { json_schema: JsonSchemaFormat },
}

impl Serialize for ResponseFormat {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ResponseFormat::Text => NamedFormat::Text.serialize(serializer),
            ResponseFormat::JsonObject => NamedFormat::JsonObject.serialize(serializer),
            ResponseFormat::JsonSchema { json_schema } => NamedFormat::JsonSchema {
                json_schema: json_schema.clone(),
            }
            .serialize(serializer),
            ResponseFormat::Other(value) => value.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ResponseFormat {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Ok(match NamedFormat::deserialize(&value) {
            Ok(NamedFormat::Text) => ResponseFormat::Text,
            Ok(NamedFormat::JsonObject) => ResponseFormat::JsonObject,
            Ok(NamedFormat::JsonSchema { json_schema }) => {
                ResponseFormat::JsonSchema { json_schema }
            }
            Err(_) => ResponseFormat::Other(value),
        })
    }
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
