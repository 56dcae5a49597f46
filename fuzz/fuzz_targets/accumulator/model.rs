//! The model: what folding the described chunks must give, computed the
//! plain way.

use std::collections::BTreeMap;

use super::input::*;

// ---------------------------------------------------------------------------
// The model: what the documented folding rules give.

#[derive(Default, Debug, Clone)]
pub(crate) struct ToolModel {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) arguments: String,
}

#[derive(Default, Debug, Clone)]
pub(crate) struct ChoiceModel {
    pub(crate) role: String,
    pub(crate) content: String,
    pub(crate) reasoning: String,
    pub(crate) refusal: String,
    pub(crate) tool_calls: BTreeMap<u32, ToolModel>,
    pub(crate) function_call: Option<(String, String)>,
    pub(crate) finish_reason: Option<String>,
}

#[derive(Default, Debug, Clone)]
pub(crate) struct Model {
    pub(crate) id: String,
    pub(crate) model: String,
    pub(crate) text_bytes: usize,
    pub(crate) usage: Option<(u32, u32, u32)>,
    pub(crate) choices: BTreeMap<u32, ChoiceModel>,
}

/// Limits the model saw passed while applying one chunk.
#[derive(Default, Debug)]
pub(crate) struct Passed {
    pub(crate) choices: bool,
    pub(crate) tool_calls: bool,
    pub(crate) text: bool,
}

pub(crate) fn first_non_empty(slot: &mut String, value: &str) {
    if slot.is_empty() {
        slot.push_str(value);
    }
}

pub(crate) fn append(
    model_text: &mut usize,
    passed: &mut Passed,
    limit: usize,
    out: &mut String,
    text: &str,
) {
    *model_text += text.len();
    if *model_text > limit {
        passed.text = true;
    }
    out.push_str(text);
}

impl Model {
    /// Applies a chunk (all of it, even past a limit) and reports which
    /// limits it passed.
    pub(crate) fn apply(&mut self, chunk: &ChunkIn, text_limit: usize) -> Passed {
        let mut passed = Passed::default();
        if let Some(id) = &chunk.id {
            first_non_empty(&mut self.id, &id.text());
        }
        if let Some(model) = &chunk.model {
            first_non_empty(&mut self.model, &model.text());
        }
        if let Some(Some(usage)) = chunk.usage {
            self.usage = Some(usage);
        }
        let text = &mut self.text_bytes;
        for choice in chunk.choices.iter().flatten().flatten() {
            let index = choice.index.value().unwrap_or(0);
            if !self.choices.contains_key(&index) && self.choices.len() >= MAX_CHOICES {
                passed.choices = true;
            }
            let state = self.choices.entry(index).or_default();
            if let Some(delta) = &choice.delta {
                if let Some(role) = &delta.role {
                    first_non_empty(&mut state.role, &role.text());
                }
                for reasoning in [&delta.reasoning_content, &delta.reasoning] {
                    if let Some(Some(t)) = reasoning {
                        append(
                            text,
                            &mut passed,
                            text_limit,
                            &mut state.reasoning,
                            &t.text(),
                        );
                    }
                }
                if let Some(ContentIn::Parts(parts)) = &delta.content {
                    for part in parts {
                        if let PartIn::Thinking(inner) = part {
                            for t in inner {
                                append(
                                    text,
                                    &mut passed,
                                    text_limit,
                                    &mut state.reasoning,
                                    &t.text(),
                                );
                            }
                        }
                    }
                }
                match &delta.content {
                    Some(ContentIn::Text(t)) => {
                        append(text, &mut passed, text_limit, &mut state.content, &t.text())
                    }
                    Some(ContentIn::Parts(parts)) => {
                        for part in parts {
                            if let PartIn::Text(t) | PartIn::TextWithExtra(t) = part {
                                append(
                                    text,
                                    &mut passed,
                                    text_limit,
                                    &mut state.content,
                                    &t.text(),
                                );
                            }
                        }
                    }
                    Some(ContentIn::Null) | None => {}
                }
                if let Some(Some(t)) = &delta.refusal {
                    append(text, &mut passed, text_limit, &mut state.refusal, &t.text());
                }
                for call in delta.tool_calls.iter().flatten().flatten() {
                    let id = call.id.as_ref().map(Str::text).unwrap_or_default();
                    let index = call.index.value().unwrap_or_else(|| {
                        let same_id = state
                            .tool_calls
                            .iter()
                            .find(|(_, t)| !id.is_empty() && t.id == id);
                        match same_id {
                            Some((&index, _)) => index,
                            None => state
                                .tool_calls
                                .keys()
                                .next_back()
                                .map_or(0, |last| last.saturating_add(1)),
                        }
                    });
                    if !state.tool_calls.contains_key(&index)
                        && state.tool_calls.len() >= MAX_TOOL_CALLS
                    {
                        passed.tool_calls = true;
                    }
                    let tool = state.tool_calls.entry(index).or_default();
                    first_non_empty(&mut tool.id, &id);
                    if let Some(function) = &call.function {
                        if let Some(name) = &function.name {
                            first_non_empty(&mut tool.name, &name.text());
                        }
                        if let Some(arguments) = &function.arguments {
                            append(
                                text,
                                &mut passed,
                                text_limit,
                                &mut tool.arguments,
                                &arguments.text(),
                            );
                        }
                    }
                }
                if let Some(function) = &delta.function_call {
                    let (name, arguments) =
                        state.function_call.get_or_insert_with(Default::default);
                    if let Some(n) = &function.name {
                        first_non_empty(name, &n.text());
                    }
                    if let Some(a) = &function.arguments {
                        append(text, &mut passed, text_limit, arguments, &a.text());
                    }
                }
            }
            if let Some(reason) = &choice.finish_reason {
                if let Some(reason) = reason.json().as_str() {
                    state.finish_reason = Some(reason.to_owned());
                }
            }
        }
        passed
    }
}
