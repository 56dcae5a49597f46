//! [`body_snippet`]: the start of a body as one safe line of text, for error
//! messages (a server's bytes never break or reorder a log line).

/// The start of a body as one line of text, for error messages.
pub(crate) fn body_snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body.get(..200.min(body.len())).unwrap_or_default());
    // Control characters, line separators and bidirectional overrides would
    // break or reorder a log line: blanked.
    let mut snippet: String = text
        .chars()
        .map(|c| {
            let unsafe_in_a_line = c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if unsafe_in_a_line { ' ' } else { c }
        })
        .collect();
    snippet = snippet.split_whitespace().collect::<Vec<_>>().join(" ");
    if body.len() > 200 {
        snippet.push('…');
    }
    snippet
}
