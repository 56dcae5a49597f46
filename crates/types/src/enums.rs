//! Open string enums of the protocol.
//!
//! Each keeps values it does not know as `Other(String)` — providers add
//! values (`finish_reason: "eos"`, `"error"`, `""`; new service tiers; new tool
//! types) faster than any library can follow, and a closed enum turns each new
//! value into a failed stream (a known problem of async-openai's types).

use crate::lenient::string_enum;

string_enum! {
    /// The author of a message (`role`).
    ///
    /// ```
    /// use chatstream_types::Role;
    ///
    /// assert_eq!(Role::from("assistant"), Role::Assistant);
    /// assert_eq!(Role::from("critic"), Role::Other("critic".into()));
    /// assert_eq!(Role::Tool.as_str(), "tool");
    /// ```
    pub enum Role {
        /// `system`: instructions from the application.
        System => "system",
        /// `developer`: instructions from the developer (replaces `system` for
        /// reasoning models).
        Developer => "developer",
        /// `user`: the end user.
        User => "user",
        /// `assistant`: the model.
        Assistant => "assistant",
        /// `tool`: the result of a tool call.
        Tool => "tool",
        /// `function`: the result of a legacy function call (deprecated).
        Function => "function",
    }
}

impl Default for Role {
    /// `assistant`, the role of every streamed answer.
    fn default() -> Self {
        Role::Assistant
    }
}

string_enum! {
    /// Why a choice stopped producing tokens (`finish_reason`).
    ///
    /// ```
    /// use chatstream_types::FinishReason;
    ///
    /// assert_eq!(FinishReason::from("tool_calls"), FinishReason::ToolCalls);
    /// // Values this crate does not name are kept, `""` included.
    /// assert_eq!(FinishReason::from("eos"), FinishReason::Other("eos".into()));
    /// ```
    pub enum FinishReason {
        /// `stop`: a natural stop point or a stop sequence.
        Stop => "stop",
        /// `length`: the token limit was reached.
        Length => "length",
        /// `tool_calls`: the model called one or more tools.
        ToolCalls => "tool_calls",
        /// `content_filter`: content was omitted by a content filter.
        ContentFilter => "content_filter",
        /// `function_call`: the model called a legacy function (deprecated).
        FunctionCall => "function_call",
    }
}

string_enum! {
    /// The processing tier (`service_tier`), in requests and responses.
    pub enum ServiceTier {
        /// `auto`
        Auto => "auto",
        /// `default`
        Default => "default",
        /// `flex`
        Flex => "flex",
        /// `priority`
        Priority => "priority",
        /// `scale`
        Scale => "scale",
        /// `fast`
        Fast => "fast",
    }
}

string_enum! {
    /// The type of a tool or tool call (`type`).
    pub enum ToolType {
        /// `function`: a function the application runs.
        Function => "function",
        /// `custom`: a custom tool with free-form input.
        Custom => "custom",
    }
}

impl Default for ToolType {
    /// `function`, the only type chat-completion tool calls stream today.
    fn default() -> Self {
        ToolType::Function
    }
}

string_enum! {
    /// How hard a reasoning model thinks (`reasoning_effort`).
    pub enum ReasoningEffort {
        /// `none`
        None => "none",
        /// `minimal`
        Minimal => "minimal",
        /// `low`
        Low => "low",
        /// `medium`
        Medium => "medium",
        /// `high`
        High => "high",
        /// `xhigh`
        Xhigh => "xhigh",
        /// `max`
        Max => "max",
    }
}

string_enum! {
    /// How long a cached prompt prefix is kept (`prompt_cache_retention`).
    pub enum PromptCacheRetention {
        /// `in_memory`: minutes, the default. The API's first spelling,
        /// `in-memory`, reads as this too.
        InMemory => "in_memory" | "in-memory",
        /// `24h`: up to a day.
        Hours24 => "24h",
    }
}

string_enum! {
    /// How a prompt is cached (`prompt_cache_options.mode`).
    pub enum PromptCacheMode {
        /// `implicit`: the provider decides.
        Implicit => "implicit",
        /// `explicit`: up to the parts marked with a breakpoint.
        Explicit => "explicit",
    }
}

string_enum! {
    /// How long the answer should be (`verbosity`).
    pub enum Verbosity {
        /// `low`
        Low => "low",
        /// `medium`
        Medium => "medium",
        /// `high`
        High => "high",
    }
}

string_enum! {
    /// The severity an Azure content filter assigned (`severity`).
    pub enum FilterSeverity {
        /// `safe`
        Safe => "safe",
        /// `low`
        Low => "low",
        /// `medium`
        Medium => "medium",
        /// `high`
        High => "high",
    }
}
