//! The benchmark corpora: synthetic OpenAI-compatible chat-completion streams.
//!
//! A port of `shared/bench/gen_corpus.py` (the generator behind the numbers in
//! `shared/reference/performance.md`), so that `cargo xtask bench` needs no
//! Python. It writes three Server-Sent Events bodies, each `N` JSON chunks as
//! `data: <compact JSON>\n\n` events followed by `data: [DONE]\n\n`:
//!
//! - `sse_text.bin` — gpt-4o text chunks, content of 1–12 characters, about
//!   10% non-ASCII and 10% needing JSON escapes (`\n`, `\"`, `\\`, `\t`,
//!   `\r\n`, raw U+2028);
//! - `sse_tools.bin` — parallel tool calls whose `arguments` JSON arrives in
//!   fragments of 1–8 characters;
//! - `sse_azure.bin` — Azure's shape: keys in alphabetical order,
//!   `content_filter_results` on every choice, and a first event carrying
//!   only `prompt_filter_results` with empty `choices`, `id`, `model`,
//!   `object` and `created: 0`.
//!
//! The shapes, key orders and value distributions are the Python script's;
//! the random draws come from a small seeded PRNG (splitmix64, seed
//! 20241119), so the output is deterministic but not byte-identical to the
//! script's. JSON is written by hand, compact and with raw UTF-8, escaping
//! only what `json.dumps(ensure_ascii=False)` escapes.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

/// The seed of the Python script, kept for the same spirit of determinism.
const SEED: u64 = 20241119;

/// Bumped whenever the generated shape changes, so stale corpora are rebuilt.
const FORMAT: u32 = 1;

/// The corpora, in the order they are written and benchmarked.
pub const NAMES: [&str; 3] = ["text", "tools", "azure"];

/// Writes `dir/sse_{text,tools,azure}.bin` with `chunks` JSON chunks each,
/// unless a previous run already wrote them with the same `chunks` (and
/// `regen` is false). Prints each file's bytes, events and bytes per event.
pub fn ensure(dir: &Path, chunks: usize, regen: bool) -> Result<(), String> {
    if chunks < 3 {
        return Err(format!("--chunks must be at least 3, got {chunks}"));
    }
    let stamp_path = dir.join("corpus.stamp");
    let stamp = format!("chunks={chunks} seed={SEED} format={FORMAT}\n");
    let present = NAMES
        .iter()
        .all(|name| dir.join(format!("sse_{name}.bin")).is_file());
    if !regen && present && fs::read_to_string(&stamp_path).ok().as_deref() == Some(&stamp) {
        for name in NAMES {
            let path = dir.join(format!("sse_{name}.bin"));
            let data = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            report(&path, &data, " (kept)");
        }
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // Remove the stamp first: an interrupted run must not look complete.
    let _ = fs::remove_file(&stamp_path);
    for name in NAMES {
        let mut rng = Rng::new(SEED);
        let data = match name {
            "text" => gen_text(&mut rng, chunks),
            "tools" => gen_tools(&mut rng, chunks),
            _ => gen_azure(&mut rng, chunks),
        };
        let path = dir.join(format!("sse_{name}.bin"));
        fs::write(&path, &data).map_err(|e| format!("{}: {e}", path.display()))?;
        report(&path, &data, "");
    }
    fs::write(&stamp_path, stamp).map_err(|e| format!("{}: {e}", stamp_path.display()))
}

/// Prints the summary line the Python script prints.
fn report(path: &Path, data: &[u8], suffix: &str) {
    let events = data.windows(2).filter(|w| w == b"\n\n").count();
    let per_event = data.len() as f64 / events.max(1) as f64;
    println!(
        "{}: {} bytes, {events} events ({} JSON chunks + [DONE]), {per_event:.1} B/event{suffix}",
        path.display(),
        data.len(),
        events.saturating_sub(1),
    );
}

// ---------------------------------------------------------------------------
// Random draws

/// splitmix64: tiny, fast, and good enough to pick words.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`, like Python's `random.random()`.
    fn random(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (multiply-shift; the bias is below 2^-40 here).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `low..=high`, like Python's `random.randint`.
    fn randint(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }

    fn choice<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }

    /// `len` ASCII letters and digits.
    fn alnum(&mut self, len: usize) -> String {
        const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        (0..len)
            .map(|_| char::from(ALNUM[self.below(ALNUM.len())]))
            .collect()
    }
}

// ---------------------------------------------------------------------------
// Vocabulary (as in gen_corpus.py)

const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "he",
    "this",
    "are",
    "or",
    "his",
    "from",
    "at",
    "which",
    "but",
    "have",
    "an",
    "they",
    "you",
    "were",
    "her",
    "she",
    "there",
    "been",
    "one",
    "all",
    "we",
    "their",
    "has",
    "would",
    "when",
    "if",
    "so",
    "no",
    "will",
    "what",
    "can",
    "more",
    "about",
    "up",
    "out",
    "other",
    "into",
    "could",
    "time",
    "only",
    "function",
    "stream",
    "token",
    "parser",
    "latency",
    "buffer",
    "chunk",
    "delta",
    "content",
    "tokio",
    "serde",
    "allocation",
    "throughput",
];
const NON_ASCII: &[&str] = &[
    "é",
    "ñ",
    "ü",
    "日本",
    "語",
    "中文",
    "—",
    "…",
    "“",
    "”",
    "’",
    "€",
    "😀",
    "🚀",
    "Привет",
    "ß",
    "ø",
    "한국",
];
const ESCAPED: &[&str] = &[
    "\n", "\n\n", "\"", "\\", "\t", "```", "\u{2028}", "</", "\r\n",
];
const PUNCTUATION: &[&str] = &[
    ".", ",", ":", ";", "!", "?", "(", ")", "-", " 1", " 42", "0",
];
const TOOL_NAMES: &[&str] = &[
    "get_weather",
    "search_documents",
    "create_calendar_event",
    "run_sql_query",
];
const LOCATIONS: &[&str] = &["Paris, France", "São Paulo", "東京", "New York, NY"];
const UNITS: &[&str] = &["celsius", "fahrenheit"];

/// A 1–12 character content delta: mostly `" word"`, some punctuation,
/// non-ASCII, or text that needs JSON escapes.
fn piece(rng: &mut Rng) -> String {
    let r = rng.random();
    let s = if r < 0.70 {
        if rng.random() < 0.8 {
            format!(" {}", rng.choice(WORDS))
        } else {
            rng.choice(WORDS).to_owned()
        }
    } else if r < 0.80 {
        rng.choice(PUNCTUATION).to_owned()
    } else if r < 0.90 {
        format!("{}{}", rng.choice(&["", " "]), rng.choice(NON_ASCII))
    } else {
        let mut s = rng.choice(ESCAPED).to_owned();
        if rng.random() < 0.5 {
            s.push_str(rng.choice(WORDS));
        }
        s
    };
    if s.is_empty() {
        " a".to_owned()
    } else {
        s.chars().take(12).collect()
    }
}

fn cid(rng: &mut Rng) -> String {
    format!("chatcmpl-{}", rng.alnum(29))
}

// ---------------------------------------------------------------------------
// JSON by hand

/// Appends `s` as a JSON string literal, escaping like Python's
/// `json.dumps(ensure_ascii=False)`: `"`, `\`, and control characters;
/// everything else (U+2028 included) stays raw UTF-8.
fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `s` as a JSON string literal.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    json_str(&mut out, s);
    out
}

/// Appends one event: `data: <json>\n\n`.
fn event(out: &mut Vec<u8>, json: &str) {
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(json.as_bytes());
    out.extend_from_slice(b"\n\n");
}

fn finish_json(finish: Option<&str>) -> String {
    finish.map_or_else(|| "null".to_owned(), quoted)
}

/// An OpenAI chunk around `delta` (already JSON), keys in OpenAI's order.
fn openai_chunk(id: &str, delta: &str, finish: Option<&str>) -> String {
    format!(
        "{{\"id\":{},\"object\":\"chat.completion.chunk\",\"created\":1732000000,\
         \"model\":\"gpt-4o-2024-08-06\",\"system_fingerprint\":\"fp_831e067d82\",\
         \"choices\":[{{\"index\":0,\"delta\":{delta},\"logprobs\":null,\"finish_reason\":{}}}]}}",
        quoted(id),
        finish_json(finish),
    )
}

fn content_delta(text: &str) -> String {
    format!("{{\"content\":{}}}", quoted(text))
}

// ---------------------------------------------------------------------------
// The three corpora

fn gen_text(rng: &mut Rng, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 270);
    let id = cid(rng);
    event(
        &mut out,
        &openai_chunk(
            &id,
            r#"{"role":"assistant","content":"","refusal":null}"#,
            None,
        ),
    );
    for _ in 0..n - 2 {
        event(
            &mut out,
            &openai_chunk(&id, &content_delta(&piece(rng)), None),
        );
    }
    event(&mut out, &openai_chunk(&id, "{}", Some("stop")));
    out.extend_from_slice(b"data: [DONE]\n\n");
    out
}

/// One tool call's `arguments`, as Python's `json.dumps` writes it by
/// default: `", "` and `": "` separators, raw UTF-8.
fn tool_arguments(rng: &mut Rng) -> String {
    let location = rng.choice(LOCATIONS);
    let unit = rng.choice(UNITS);
    let words = rng.randint(5, 40);
    let query: Vec<&str> = (0..words).map(|_| rng.choice(WORDS)).collect();
    let limit = rng.randint(1, 100);
    let tags = rng.randint(0, 5);
    let tags: Vec<String> = (0..tags).map(|_| quoted(rng.choice(WORDS))).collect();
    let exact = rng.random() < 0.5;
    format!(
        "{{\"location\": {}, \"unit\": {}, \"query\": {}, \"limit\": {limit}, \
         \"filters\": {{\"tags\": [{}], \"exact\": {exact}}}}}",
        quoted(location),
        quoted(unit),
        quoted(&query.join(" ")),
        tags.join(", "),
    )
}

/// Parallel tool calls; each call's arguments arrive in 1–8 character
/// fragments (characters, not bytes, as in the Python script).
fn gen_tools(rng: &mut Rng, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 320);
    let id = cid(rng);
    let mut count = 0;
    let mut index = 0;
    let mut first = true;
    while count < n - 1 {
        let name = rng.choice(TOOL_NAMES);
        let args: Vec<char> = tool_arguments(rng).chars().collect();
        let call_id = format!("call_{}", rng.alnum(24));
        let call = format!(
            "[{{\"index\":{index},\"id\":{},\"type\":\"function\",\
             \"function\":{{\"name\":{},\"arguments\":\"\"}}}}]",
            quoted(&call_id),
            quoted(name),
        );
        let head = if first {
            first = false;
            format!(
                "{{\"role\":\"assistant\",\"content\":null,\"tool_calls\":{call},\"refusal\":null}}"
            )
        } else {
            format!("{{\"tool_calls\":{call}}}")
        };
        event(&mut out, &openai_chunk(&id, &head, None));
        count += 1;
        let mut i = 0;
        while i < args.len() && count < n - 1 {
            let k = rng.randint(1, 8);
            let fragment: String = args[i..(i + k).min(args.len())].iter().collect();
            let delta = format!(
                "{{\"tool_calls\":[{{\"index\":{index},\"function\":{{\"arguments\":{}}}}}]}}",
                quoted(&fragment)
            );
            event(&mut out, &openai_chunk(&id, &delta, None));
            i += k;
            count += 1;
        }
        index += 1;
    }
    event(&mut out, &openai_chunk(&id, "{}", Some("tool_calls")));
    out.extend_from_slice(b"data: [DONE]\n\n");
    out
}

const SAFE: &str = r#"{"filtered":false,"severity":"safe"}"#;

fn azure_cfr() -> String {
    format!(r#"{{"hate":{SAFE},"self_harm":{SAFE},"sexual":{SAFE},"violence":{SAFE}}}"#)
}

/// An Azure chunk: keys sorted, `content_filter_results` on the choice
/// (empty on the role and finish chunks).
fn azure_chunk(id: &str, delta: &str, finish: Option<&str>, cfr: bool) -> String {
    let cfr = if cfr { azure_cfr() } else { "{}".to_owned() };
    format!(
        "{{\"choices\":[{{\"content_filter_results\":{cfr},\"delta\":{delta},\
         \"finish_reason\":{},\"index\":0,\"logprobs\":null}}],\"created\":1732000000,\
         \"id\":{},\"model\":\"gpt-4o-2024-08-06\",\"object\":\"chat.completion.chunk\",\
         \"system_fingerprint\":\"fp_b705f0c291\"}}",
        finish_json(finish),
        quoted(id),
    )
}

fn gen_azure(rng: &mut Rng, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 480);
    let id = cid(rng);
    // First Azure event: prompt filter results, empty choices, empty
    // id/model/object, created 0.
    event(
        &mut out,
        &format!(
            "{{\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",\
             \"prompt_filter_results\":[{{\"prompt_index\":0,\"content_filter_results\":\
             {{\"hate\":{SAFE},\"jailbreak\":{{\"filtered\":false,\"detected\":false}},\
             \"self_harm\":{SAFE},\"sexual\":{SAFE},\"violence\":{SAFE}}}}}]}}"
        ),
    );
    event(
        &mut out,
        &azure_chunk(
            &id,
            r#"{"content":"","refusal":null,"role":"assistant"}"#,
            None,
            false,
        ),
    );
    for _ in 0..n - 3 {
        event(
            &mut out,
            &azure_chunk(&id, &content_delta(&piece(rng)), None, true),
        );
    }
    event(&mut out, &azure_chunk(&id, "{}", Some("stop"), false));
    out.extend_from_slice(b"data: [DONE]\n\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_python() {
        assert_eq!(
            quoted("a\"b\\c\n\t\r\u{1}\u{2028}é"),
            "\"a\\\"b\\\\c\\n\\t\\r\\u0001\u{2028}é\""
        );
    }

    #[test]
    fn every_corpus_has_n_chunks_and_done() {
        for generate in [gen_text, gen_tools, gen_azure] {
            let data = generate(&mut Rng::new(SEED), 500);
            let text = String::from_utf8(data).unwrap();
            let events: Vec<&str> = text.split_terminator("\n\n").collect();
            assert_eq!(events.len(), 501);
            assert_eq!(events[500], "data: [DONE]");
            assert!(events[..500].iter().all(|e| e.starts_with("data: {")));
        }
    }
}
