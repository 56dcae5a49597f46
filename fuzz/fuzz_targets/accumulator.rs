//! `accumulator`: structured chunk sequences through `Accumulator`.
//!
//! The fuzzer's bytes are read (with `arbitrary`) as a sequence of chunk
//! descriptions — choice indices small, huge or absent; tool calls with or
//! without `index`, ids, names, arguments; content as a string, `null` or an
//! array of parts (text, thinking, image, odd shapes); refusal, both names of
//! reasoning, legacy `function_call`, finish reasons, usage — which are
//! written as JSON, parsed with `ChunkParser` and pushed into an
//! `Accumulator` limited to 8 choices, 8 tool calls per choice and 1 MiB held
//! (or a smaller `max_bytes` the input picks).
//!
//! Checked:
//!
//! - nothing panics, and every generated chunk parses;
//! - a push that takes the stream past the choice or tool-call limit (a model
//!   counts them) fails with that limit's error, unless it passed
//!   `max_bytes` first; a push whose text alone passes `max_bytes` (text
//!   counts twice its length) fails; a push fails only with a limit error;
//! - the choice count and each choice's tool-call count never exceed the
//!   limits, and what the accumulator holds (`held_bytes`) never exceeds
//!   `max_bytes` and counts at least twice the text it holds, even after
//!   errors (pushing on after an error is allowed);
//! - until the first error, the folded state equals the model's: each
//!   choice's content is the concatenation of its content deltas (string and
//!   text parts), reasoning of `reasoning_content`, `reasoning` and thinking
//!   parts, refusal of refusal deltas, tool calls keyed by index (a fragment
//!   without index joins the call with the same id, else starts one after the
//!   highest), first non-empty role / id / name, last non-null finish reason
//!   and usage;
//! - events: each delta is a suffix of its snapshot; a choice finishes once,
//!   a tool call is done once;
//! - `snapshot()` equals `finish()`, and neither panics.

#![no_main]

use std::collections::HashSet;

use chatstream_types::{
    AccumulateError, Accumulator, AccumulatorEvent, AccumulatorLimits, ChatCompletion, ChunkParser,
    Content,
};
use libfuzzer_sys::fuzz_target;

#[path = "accumulator/input.rs"]
mod input;
#[path = "accumulator/json.rs"]
mod json;
#[path = "accumulator/model.rs"]
mod model;

use input::*;
use json::*;
use model::*;

// ---------------------------------------------------------------------------

fuzz_target!(|input: Input| {
    let max_bytes = input
        .small_text_limit
        .map_or(1 << 20, |n| usize::from(n % 2048) * 32);
    // Text counts twice its length: the model's text passes at half.
    let text_limit = max_bytes / 2;
    let limits = AccumulatorLimits::default()
        .max_choices(MAX_CHOICES)
        .max_tool_calls(MAX_TOOL_CALLS)
        .max_bytes(max_bytes);
    let mut accumulator = Accumulator::with_limits(limits);
    let mut parser = ChunkParser::new();
    let mut model = Model::default();
    let mut failed = false;
    let mut finished_choices = HashSet::new();
    let mut done_calls = HashSet::new();

    for chunk_in in &input.chunks {
        let json = match serde_json::to_vec(&chunk_json(chunk_in)) {
            Ok(json) => json,
            Err(e) => panic!("cannot write the chunk: {e}"),
        };
        let chunk = match parser.parse_chunk(&json) {
            Ok(chunk) => chunk,
            Err(e) => panic!(
                "generated chunk does not parse: {e}: {}",
                String::from_utf8_lossy(&json)
            ),
        };
        let passed = model.apply(chunk_in, text_limit);

        let result = accumulator.push_with(&chunk, |event| match event {
            AccumulatorEvent::ContentDelta {
                delta, snapshot, ..
            }
            | AccumulatorEvent::ReasoningDelta {
                delta, snapshot, ..
            }
            | AccumulatorEvent::RefusalDelta {
                delta, snapshot, ..
            } => {
                assert!(
                    snapshot.ends_with(delta),
                    "delta {delta:?} not a suffix of {snapshot:?}"
                );
            }
            AccumulatorEvent::ToolCallArgumentsDelta {
                delta, arguments, ..
            } => {
                assert!(
                    arguments.ends_with(delta),
                    "delta {delta:?} not a suffix of {arguments:?}"
                );
            }
            AccumulatorEvent::ToolCallArgumentsDone { choice, index, .. } => {
                assert!(
                    done_calls.insert((choice, index)),
                    "tool call {choice}/{index} done twice"
                );
            }
            AccumulatorEvent::ChoiceFinished { choice, .. } => {
                assert!(
                    finished_choices.insert(choice),
                    "choice {choice} finished twice"
                );
            }
            _ => {}
        });

        // Errors: when the model passed a limit, and only limit errors; a
        // push may also pass `max_bytes` with what the model does not count
        // (ids, names, the slots of choices and tool calls).
        if !failed {
            let any = passed.choices || passed.tool_calls || passed.text;
            match result {
                Ok(()) => assert!(!any, "push succeeded past a limit: {passed:?}"),
                Err(AccumulateError::TooManyChoices { limit }) => {
                    assert!(
                        passed.choices && limit == MAX_CHOICES,
                        "{result:?} {passed:?}"
                    )
                }
                Err(AccumulateError::TooManyToolCalls { limit }) => {
                    assert!(
                        passed.tool_calls && limit == MAX_TOOL_CALLS,
                        "{result:?} {passed:?}"
                    )
                }
                Err(AccumulateError::TooLarge { limit }) => {
                    assert_eq!(limit, max_bytes, "{result:?} {passed:?}")
                }
                Err(other) => panic!("unexpected error {other:?}"),
            }
        }
        check_bounds(&accumulator, max_bytes);
        if result.is_err() {
            failed = true;
        }
        if !failed {
            check_model(&accumulator, &model);
        }
        if failed && input.stop_at_error {
            break;
        }
    }
    let snapshot = accumulator.snapshot();
    check_completion(&snapshot, max_bytes);
    assert_eq!(
        snapshot,
        accumulator.finish(),
        "snapshot() differs from finish()"
    );
});

/// Bytes of text the accumulator holds (counted twice in `held_bytes`).
fn held_text(completion: &ChatCompletion) -> usize {
    completion
        .choices
        .iter()
        .map(|choice| {
            let m = &choice.message;
            let content = match &m.content {
                Some(Content::Text(text)) => text.len(),
                _ => 0,
            };
            let refusal = m.refusal.as_ref().map_or(0, String::len);
            let reasoning = m.reasoning_content.as_ref().map_or(0, String::len)
                + m.reasoning.as_ref().map_or(0, String::len);
            let tools: usize = m
                .tool_calls
                .iter()
                .flatten()
                .map(|t| {
                    t.function.as_ref().map_or(0, |f| f.arguments.len())
                        + t.custom.as_ref().map_or(0, |c| c.input.len())
                })
                .sum();
            let function = m.function_call.as_ref().map_or(0, |f| f.arguments.len());
            content + refusal + reasoning + tools + function
        })
        .sum()
}

fn check_bounds(accumulator: &Accumulator, max_bytes: usize) {
    assert!(
        accumulator.choices().len() <= MAX_CHOICES,
        "too many choices held"
    );
    for choice in accumulator.choices() {
        assert!(
            choice.tool_calls().len() <= MAX_TOOL_CALLS,
            "too many tool calls held"
        );
    }
    let held = accumulator.held_bytes();
    assert!(held <= max_bytes, "holds {held} bytes > max_bytes {max_bytes}");
    let text = held_text(&accumulator.snapshot());
    assert!(
        2 * text <= held,
        "holds {text} bytes of text but counts only {held}"
    );
}

fn check_completion(completion: &ChatCompletion, max_bytes: usize) {
    let held = held_text(completion);
    assert!(
        2 * held <= max_bytes,
        "completion holds {held} bytes of text > half of {max_bytes}"
    );
    let indices: Vec<u32> = completion.choices.iter().map(|c| c.index).collect();
    assert!(
        indices.windows(2).all(|w| w[0] < w[1]),
        "choices not sorted: {indices:?}"
    );
}

fn check_model(accumulator: &Accumulator, model: &Model) {
    assert_eq!(accumulator.id(), model.id, "id");
    assert_eq!(accumulator.model(), model.model, "model");
    let usage = accumulator
        .usage()
        .map(|u| (u.prompt_tokens, u.completion_tokens, u.total_tokens));
    let expected_usage = model
        .usage
        .map(|(p, c, t)| (u64::from(p), u64::from(c), u64::from(t)));
    assert_eq!(usage, expected_usage, "usage");

    let indices: Vec<u32> = accumulator.choices().map(|c| c.index()).collect();
    let expected: Vec<u32> = model.choices.keys().copied().collect();
    assert_eq!(indices, expected, "choice indices");
    for (view, (index, m)) in accumulator.choices().zip(&model.choices) {
        assert_eq!(view.content(), m.content, "content of choice {index}");
        assert_eq!(view.reasoning(), m.reasoning, "reasoning of choice {index}");
        assert_eq!(view.refusal(), m.refusal, "refusal of choice {index}");
        assert_eq!(
            view.role().map_or("", |r| r.as_str()),
            m.role,
            "role of choice {index}"
        );
        assert_eq!(
            view.finish_reason().map(|r| r.as_str()),
            m.finish_reason.as_deref(),
            "finish_reason of choice {index}"
        );
        let calls: Vec<(u32, &str, &str, &str)> = view
            .tool_calls()
            .map(|t| (t.index(), t.id(), t.name(), t.arguments()))
            .collect();
        let expected: Vec<(u32, &str, &str, &str)> = m
            .tool_calls
            .iter()
            .map(|(&i, t)| (i, t.id.as_str(), t.name.as_str(), t.arguments.as_str()))
            .collect();
        assert_eq!(calls, expected, "tool calls of choice {index}");
    }

    let snapshot = accumulator.snapshot();
    assert_eq!(held_text(&snapshot), model.text_bytes, "text bytes held");
    for (choice, m) in snapshot.choices.iter().zip(model.choices.values()) {
        let function = choice
            .message
            .function_call
            .as_ref()
            .map(|f| (f.name.clone(), f.arguments.clone()));
        assert_eq!(
            function, m.function_call,
            "function_call of choice {}",
            choice.index
        );
    }
}
