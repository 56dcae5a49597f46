//! The README's provider compatibility table is the one the corpus gives,
//! and the facts it is built from are derived correctly.
//!
//! The first test fails when a capture is added or changed and the README was
//! not regenerated (`cargo xtask compat`); the others feed small hand-built
//! streams through the derivation, so that a fact the table shows cannot be
//! silently wrong.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::BTreeMap;

use chatstream_testkit::compat::observe::{FilterResults, UsagePlacement};
use chatstream_testkit::compat::tool_calls::ToolCallQuirk;
use chatstream_testkit::compat::{
    End, ProviderRow, corpus_rows, generate, observe_stream, provider_of, readme, readme_path,
    servers, table,
};
use chatstream_testkit::{data_dir, sse_files};

#[test]
fn the_readme_block_is_the_generated_table() {
    let text = std::fs::read_to_string(readme_path()).unwrap();
    let table = generate().unwrap();
    let block = readme::current_block(&text).unwrap();
    assert!(
        block == readme::block_for(&table),
        "README.md's provider compatibility table is stale: run `cargo xtask compat`\n\
         --- in README.md ---\n{block}\n--- generated ---\n{table}"
    );
}

#[test]
fn every_provider_folder_and_every_capture_has_a_row() {
    let fixtures = data_dir().join("fixtures");
    let rows = corpus_rows(&fixtures).unwrap();
    let total: usize = rows.iter().map(|row| row.streams).sum();
    assert_eq!(total, sse_files(&fixtures).len());
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && name != "real-servers" {
            assert!(
                rows.iter().any(|row| row.provider == name && !row.local),
                "no row for {name}"
            );
        }
    }
    // The corpus folds as recorded (tests/tests/fixtures.rs checks the
    // detail): the table's "x/y" column says so too.
    for row in &rows {
        assert_eq!(row.folded_as_expected, row.streams, "{}", row.provider);
    }
}

/// A chunk's data line with one choice whose delta is `delta`.
fn chunk(delta: &str, finish: Option<&str>) -> String {
    let finish = finish.map_or("null".to_owned(), |f| format!("\"{f}\""));
    format!(
        "data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\
         \"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]}}\n\n"
    )
}

#[test]
fn reasoning_is_reported_under_the_field_it_came_in() {
    let body = chunk(r#"{"role":"assistant","reasoning_content":"hmm"}"#, None)
        + &chunk(r#"{"content":"Hi"}"#, Some("stop"))
        + "data: [DONE]\n\n";
    let facts = observe_stream(body.as_bytes());
    assert_eq!(
        facts.reasoning.iter().copied().collect::<Vec<_>>(),
        ["reasoning_content"]
    );
    assert!(facts.text);

    let body = chunk(r#"{"reasoning":"hmm"}"#, Some("stop"));
    assert_eq!(
        observe_stream(body.as_bytes())
            .reasoning
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        ["reasoning"]
    );

    let parts = r#"{"content":[{"type":"thinking","thinking":[{"type":"text","text":"hmm"}]},{"type":"text","text":"Hi"}]}"#;
    let facts = observe_stream(chunk(parts, Some("stop")).as_bytes());
    assert_eq!(
        facts.reasoning.iter().copied().collect::<Vec<_>>(),
        ["thinking parts"]
    );
    assert!(facts.text);

    // An empty reasoning field is not reasoning.
    let facts = observe_stream(
        chunk(r#"{"content":"Hi","reasoning_content":""}"#, Some("stop")).as_bytes(),
    );
    assert!(facts.reasoning.is_empty());
}

#[test]
fn tool_call_shapes_are_reported() {
    // No `index`: the fragments join by id, the second call starts anew.
    let body = chunk(
        r#"{"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{\"x\""}}]}"#,
        None,
    ) + &chunk(
        r#"{"tool_calls":[{"id":"a","function":{"arguments":":1}"}}]}"#,
        None,
    ) + &chunk(
        r#"{"tool_calls":[{"id":"b","type":"function","function":{"name":"g","arguments":"{}"}}]}"#,
        Some("tool_calls"),
    );
    let facts = observe_stream(body.as_bytes());
    assert_eq!(facts.tool_calls, 2);
    assert!(facts.tool_call_quirks.contains(&ToolCallQuirk::NoIndex));
    assert!(facts.tool_call_quirks.contains(&ToolCallQuirk::IdRepeated));
    assert!(facts.tool_call_quirks.contains(&ToolCallQuirk::Parallel));
    assert!(
        facts
            .tool_call_quirks
            .contains(&ToolCallQuirk::ArgumentsStreamed)
    );
    assert!(
        facts
            .tool_call_quirks
            .contains(&ToolCallQuirk::WholeCallInOneChunk)
    );
    assert!(
        !facts
            .tool_call_quirks
            .contains(&ToolCallQuirk::FirstIndex(0))
    );

    // A first index of 1, the name sent again, `name: ""` and `type` on
    // continuations.
    let body = chunk(
        r#"{"tool_calls":[{"index":1,"id":"a","type":"function","function":{"name":"f","arguments":""}}]}"#,
        None,
    ) + &chunk(
        r#"{"tool_calls":[{"index":1,"type":"function","function":{"name":"f","arguments":"{}"}}]}"#,
        None,
    ) + &chunk(
        r#"{"tool_calls":[{"index":1,"function":{"name":"","arguments":""}}]}"#,
        Some("tool_calls"),
    );
    let quirks = observe_stream(body.as_bytes()).tool_call_quirks;
    let expected = [
        ToolCallQuirk::FirstIndex(1),
        ToolCallQuirk::NameRepeated,
        ToolCallQuirk::EmptyNameOnContinuation,
        ToolCallQuirk::TypeRepeated,
    ];
    for quirk in &expected {
        assert!(quirks.contains(quirk), "{quirk:?} missing from {quirks:?}");
    }
    assert!(!quirks.contains(&ToolCallQuirk::NoIndex));
    assert!(!quirks.contains(&ToolCallQuirk::Parallel));
    assert!(!quirks.contains(&ToolCallQuirk::ArgumentsStreamed));
}

#[test]
fn the_way_a_stream_ends_is_reported() {
    let text = chunk(r#"{"role":"assistant","content":"Hi"}"#, None);
    let finish = chunk("{}", Some("stop"));
    let cases = [
        (format!("{text}{finish}data: [DONE]\n\n"), End::Done),
        // `[DONE]` without its blank line is never dispatched.
        (format!("{text}{finish}data: [DONE]\n"), End::Finished),
        (format!("{text}{finish}"), End::Finished),
        (text.clone(), End::Truncated),
        (String::new(), End::Truncated),
        (
            format!("{text}data: {{\"error\":{{\"message\":\"boom\"}}}}\n\ndata: [DONE]\n\n"),
            End::ErrorObject,
        ),
        (
            format!("{text}event: error\ndata: {{\"error\":{{\"message\":\"boom\"}}}}\n\n"),
            End::ErrorEvent,
        ),
        (format!("{text}data: not json\n\n"), End::Unreadable),
    ];
    for (body, end) in cases {
        let facts = observe_stream(body.as_bytes());
        assert_eq!(facts.end, end, "{body:?}");
        assert_eq!(facts.summary.is_some(), end != End::Unreadable);
        if let Some(summary) = &facts.summary {
            assert_eq!(summary["outcome"], end.outcome().unwrap());
        }
    }
    let unreadable = observe_stream(format!("{text}data: not json\n\n").as_bytes());
    assert!(unreadable.problem.unwrap().contains("not json"));
}

#[test]
fn usage_placement_comments_and_unnamed_fields_are_reported() {
    let usage = r#""usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"cost":0.1}"#;
    let text = chunk(r#"{"content":"Hi"}"#, Some("stop"));
    let usage_chunk = format!("data: {{\"id\":\"c\",\"choices\":[],{usage}}}\n\n");
    let empty_delta =
        format!("data: {{\"id\":\"c\",\"choices\":[{{\"index\":0,\"delta\":{{}}}}],{usage}}}\n\n");
    let with_finish = format!(
        "data: {{\"id\":\"c\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"Hi\"}},\"finish_reason\":\"stop\"}}],{usage}}}\n\n"
    );
    let cases = [
        (
            format!("{text}{usage_chunk}"),
            UsagePlacement::UsageOnlyChunk,
        ),
        (
            format!("{text}{empty_delta}"),
            UsagePlacement::EmptyDeltaChunk,
        ),
        (with_finish.clone(), UsagePlacement::FinishChunk),
        (
            format!("{with_finish}{with_finish}"),
            UsagePlacement::EveryChunk,
        ),
        (
            format!("{text}{usage_chunk}{usage_chunk}"),
            UsagePlacement::SeveralChunks,
        ),
        (text.clone(), UsagePlacement::Absent),
    ];
    for (body, placement) in cases {
        assert_eq!(observe_stream(body.as_bytes()).usage, placement, "{body:?}");
    }

    let body = format!(
        ": keep-alive\n\ndata: {{\"id\":\"c\",\"x_groq\":{{\"id\":\"r\"}},\"prompt_filter_results\":[],\
         \"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"Hi\",\"channel\":\"final\"}},\
         \"native_finish_reason\":\"end\",\"finish_reason\":\"stop\",\
         \"logprobs\":{{\"content\":[{{\"token\":\"Hi\",\"logprob\":-0.1,\"top_logprobs\":[]}}]}}}},\
         {{\"index\":1,\"delta\":{{\"refusal\":\"no\"}},\"finish_reason\":\"stop\",\
         \"content_filter_results\":{{}}}}],{usage}}}\n\n"
    );
    let facts = observe_stream(body.as_bytes());
    assert_eq!(facts.comments.iter().collect::<Vec<_>>(), ["keep-alive"]);
    assert_eq!(
        facts.unnamed_fields.iter().collect::<Vec<_>>(),
        [
            "choice.native_finish_reason",
            "delta.channel",
            "usage.cost",
            "x_groq"
        ]
    );
    assert!(facts.logprobs && facts.refusal);
    assert_eq!(facts.choices, 2);
    assert_eq!(
        facts.content_filter.iter().copied().collect::<Vec<_>>(),
        [FilterResults::Prompt, FilterResults::Output]
    );
    // Null log probabilities (Snowflake) are not log probabilities.
    let body = chunk(r#"{"content":"Hi"}"#, Some("stop")).replace(
        "\"finish_reason\"",
        "\"logprobs\":{\"content\":null},\"finish_reason\"",
    );
    assert!(!observe_stream(body.as_bytes()).logprobs);
}

#[test]
fn local_captures_are_grouped_by_server() {
    let stems = [
        "llama-cpp-python-stream",
        "llama-cpp-python-bad-json",
        "mock-llm-npm-error-401-stream",
        "mock-llm-npm-stream",
        "mockllm-stream",
        "mockllm-bad-json",
        "litellm-proxy-mock-stream",
        "litellm-proxy-via-fakellm-stream-tools",
        "solo-stream",
    ];
    let names = servers::server_names(stems);
    let server = |stem: &str| names[stem].as_str();
    assert_eq!(server("llama-cpp-python-bad-json"), "llama-cpp-python");
    assert_eq!(server("mock-llm-npm-error-401-stream"), "mock-llm-npm");
    assert_eq!(server("mockllm-stream"), "mockllm");
    assert_eq!(
        server("litellm-proxy-via-fakellm-stream-tools"),
        "litellm-proxy"
    );
    assert_eq!(server("solo-stream"), "solo");
    assert_eq!(servers::stem("a-b.headers.txt"), "a-b");

    let names: BTreeMap<String, String> = names;
    assert_eq!(
        provider_of("real-servers/mockllm-stream.sse", &names),
        ("mockllm".to_owned(), true)
    );
    assert_eq!(
        provider_of("openai/x.sse", &names),
        ("openai".to_owned(), false)
    );
}

#[test]
fn rows_merge_streams_and_cells_stay_inside_the_table() {
    let done = observe_stream(
        (chunk(r#"{"content":"Hi"}"#, Some("stop")) + "data: [DONE]\n\n").as_bytes(),
    );
    let cut = observe_stream(b": a | b\n\ndata: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"H\"}}]}\n\n");
    let mut row = ProviderRow::new("p|q", false);
    row.add(&done, true);
    row.add(&cut, false);
    let cells = row.cells();
    assert_eq!(cells[0], "p\\|q");
    assert_eq!(cells[1], "1/2");
    assert_eq!(cells[10], "`done` ×1, `truncated` ×1");
    assert_eq!(cells[11], "`: a \\| b`");
    let rendered = table::render(&[row]);
    let lines: Vec<&str> = rendered.lines().collect();
    let columns = |line: &str| line.replace("\\|", "").matches('|').count();
    assert_eq!(columns(lines[0]), columns(lines[2]));
    assert!(rendered.ends_with(&format!("\n\n{}\n", table::LEGEND)));
}

#[test]
fn the_block_is_replaced_and_nothing_else() {
    let text = "# T\n\n<!-- compat-table:begin (note) -->\nold\n<!-- compat-table:end -->\n\n\
                <!-- bench-report:begin -->\nbench\n<!-- bench-report:end -->\n";
    let updated = readme::with_block(text, "| a |\n").unwrap();
    assert_eq!(
        updated,
        "# T\n\n<!-- compat-table:begin (note) -->\n\n| a |\n\n<!-- compat-table:end -->\n\n\
         <!-- bench-report:begin -->\nbench\n<!-- bench-report:end -->\n"
    );
    assert_eq!(
        readme::current_block(&updated).unwrap(),
        readme::block_for("| a |\n")
    );
    assert_eq!(readme::with_block(&updated, "| a |\n").unwrap(), updated);
    assert!(readme::with_block("no markers", "x").is_err());
    assert!(readme::with_block("<!-- compat-table:begin -->\nx\n", "x").is_err());
}
