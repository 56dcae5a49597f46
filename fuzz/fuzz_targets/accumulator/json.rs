//! Writing the described chunks as the JSON a server would send.

use serde_json::{Map, Value, json};

use super::input::*;

// ---------------------------------------------------------------------------
// JSON writing.

pub(crate) fn text_part(t: &TextIn) -> Value {
    json!({"type": "text", "text": t.text()})
}

pub(crate) fn chunk_json(chunk: &ChunkIn) -> Value {
    let mut out = Map::new();
    if let Some(id) = &chunk.id {
        out.insert("id".into(), json!(id.text()));
    }
    out.insert("object".into(), json!("chat.completion.chunk"));
    if let Some(model) = &chunk.model {
        out.insert("model".into(), json!(model.text()));
    }
    if let Some(created) = chunk.created {
        out.insert("created".into(), json!(created));
    }
    match &chunk.choices {
        None => {}
        Some(None) => {
            out.insert("choices".into(), Value::Null);
        }
        Some(Some(choices)) => {
            let choices = choices.iter().map(choice_json).collect();
            out.insert("choices".into(), Value::Array(choices));
        }
    }
    match chunk.usage {
        None => {}
        Some(None) => {
            out.insert("usage".into(), Value::Null);
        }
        Some(Some((prompt, completion, total))) => {
            out.insert(
                "usage".into(),
                json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}),
            );
        }
    }
    Value::Object(out)
}

pub(crate) fn optional_text(
    out: &mut Map<String, Value>,
    key: &str,
    value: &Option<Option<TextIn>>,
) {
    match value {
        None => {}
        Some(None) => {
            out.insert(key.into(), Value::Null);
        }
        Some(Some(t)) => {
            out.insert(key.into(), json!(t.text()));
        }
    }
}

pub(crate) fn function_json(function: &FunctionIn) -> Value {
    let mut out = Map::new();
    if let Some(name) = &function.name {
        out.insert("name".into(), json!(name.text()));
    }
    if let Some(arguments) = &function.arguments {
        out.insert("arguments".into(), json!(arguments.text()));
    }
    Value::Object(out)
}

pub(crate) fn choice_json(choice: &ChoiceIn) -> Value {
    let mut out = Map::new();
    if let Some(index) = choice.index.value() {
        out.insert("index".into(), json!(index));
    }
    if let Some(delta) = &choice.delta {
        let mut d = Map::new();
        if let Some(role) = &delta.role {
            d.insert("role".into(), json!(role.text()));
        }
        match &delta.content {
            None => {}
            Some(ContentIn::Null) => {
                d.insert("content".into(), Value::Null);
            }
            Some(ContentIn::Text(t)) => {
                d.insert("content".into(), json!(t.text()));
            }
            Some(ContentIn::Parts(parts)) => {
                let parts = parts
                    .iter()
                    .map(|part| match part {
                        PartIn::Text(t) => text_part(t),
                        PartIn::TextWithExtra(t) => {
                            json!({"type": "text", "text": t.text(), "annotations": []})
                        }
                        PartIn::TextNotString(n) => json!({"type": "text", "text": n}),
                        PartIn::Thinking(inner) => {
                            json!({"type": "thinking", "thinking": inner.iter().map(text_part).collect::<Vec<_>>()})
                        }
                        PartIn::Image(url) => json!({"type": "image_url", "image_url": {"url": url}}),
                        PartIn::Unknown(kind) => json!({"type": kind}),
                    })
                    .collect();
                d.insert("content".into(), Value::Array(parts));
            }
        }
        optional_text(&mut d, "refusal", &delta.refusal);
        optional_text(&mut d, "reasoning_content", &delta.reasoning_content);
        optional_text(&mut d, "reasoning", &delta.reasoning);
        match &delta.tool_calls {
            None => {}
            Some(None) => {
                d.insert("tool_calls".into(), Value::Null);
            }
            Some(Some(calls)) => {
                let calls = calls
                    .iter()
                    .map(|call| {
                        let mut c = Map::new();
                        if let Some(index) = call.index.value() {
                            c.insert("index".into(), json!(index));
                        }
                        if let Some(id) = &call.id {
                            c.insert("id".into(), json!(id.text()));
                        }
                        if let Some(kind) = &call.kind {
                            c.insert("type".into(), json!(kind.text()));
                        }
                        if let Some(function) = &call.function {
                            c.insert("function".into(), function_json(function));
                        }
                        Value::Object(c)
                    })
                    .collect();
                d.insert("tool_calls".into(), Value::Array(calls));
            }
        }
        if let Some(function) = &delta.function_call {
            d.insert("function_call".into(), function_json(function));
        }
        out.insert("delta".into(), Value::Object(d));
    }
    if let Some(reason) = &choice.finish_reason {
        out.insert("finish_reason".into(), reason.json());
    }
    Value::Object(out)
}
